//! Object printers shared by the commands: `-o json` (4-space indent, sorted keys, like
//! kubectl), `-o yaml` (serde-saphyr), `-o name` (`<kind>.<group>/<name>`), JSONPath, and the
//! server-side Table printer (`get`'s columns through the Go tabwriter port).

use serde_json::Value;

use crate::client::resources::{self, ResourceType};
use crate::error::CliError;
use crate::output::jsonpath::JsonPath;
use crate::tabwriter;

/// An `-o` choice.
#[derive(Debug, Clone)]
pub enum OutputFormat {
    /// The default (Table for `get`, a success line for mutations).
    Default,
    /// Table with the priority>0 columns.
    Wide,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
    /// `<kind>.<group>/<name>`.
    Name,
    /// A JSONPath template.
    JsonPath(JsonPath),
    /// `custom-columns=HEADER:.path,...`.
    CustomColumns(Vec<(String, JsonPath)>),
}

impl OutputFormat {
    /// Parse `-o`; `allowed` limits the choices for commands that do not print tables.
    pub fn parse(value: Option<&str>, command: &str, tables: bool) -> Result<Self, CliError> {
        let Some(v) = value else {
            return Ok(OutputFormat::Default);
        };
        let f = match v {
            "" => OutputFormat::Default,
            "json" => OutputFormat::Json,
            "yaml" => OutputFormat::Yaml,
            "name" => OutputFormat::Name,
            "wide" if tables => OutputFormat::Wide,
            _ => {
                if let Some(spec) = v.strip_prefix("custom-columns=") {
                    OutputFormat::CustomColumns(parse_custom_columns(spec)?)
                } else if let Some(t) = v
                    .strip_prefix("jsonpath=")
                    .or_else(|| v.strip_prefix("jsonpath-as-json="))
                {
                    OutputFormat::JsonPath(JsonPath::parse(t)?)
                } else if v == "jsonpath" {
                    return Err(CliError::msg(
                        "template format specified but no template given",
                    ));
                } else {
                    let allowed = if tables {
                        "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
                    } else {
                        "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"
                    };
                    let _ = command;
                    return Err(CliError::msg(format!(
                        "unable to match a printer suitable for the output format \"{v}\", allowed formats are: {allowed}"
                    )));
                }
            }
        };
        Ok(f)
    }

    /// Whether an object printer (not a table, not the default line) is chosen.
    pub fn prints_objects(&self) -> bool {
        matches!(
            self,
            OutputFormat::Json
                | OutputFormat::Yaml
                | OutputFormat::Name
                | OutputFormat::JsonPath(_)
                | OutputFormat::CustomColumns(_)
        )
    }
}

/// Parse `HEADER:.path,HEADER2:{.other}`.
fn parse_custom_columns(spec: &str) -> Result<Vec<(String, JsonPath)>, CliError> {
    if spec.is_empty() {
        return Err(CliError::msg(
            "custom-columns format specified but no custom columns given",
        ));
    }
    let mut cols = Vec::new();
    for part in spec.split(',') {
        let Some((header, path)) = part.split_once(':') else {
            return Err(CliError::msg(format!(
                "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
            )));
        };
        let path = path.trim();
        let template = if path.starts_with('{') {
            path.to_owned()
        } else {
            format!("{{{path}}}")
        };
        cols.push((header.to_owned(), JsonPath::parse(&template)?));
    }
    Ok(cols)
}

/// `value` as kubectl's `-o json`: 4-space indent, newline at the end.
pub fn to_json(value: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    value
        .serialize(&mut ser)
        .expect("JSON values always serialize");
    let mut s = String::from_utf8(buf).expect("serde_json writes UTF-8");
    s.push('\n');
    s
}

/// `value` as YAML.
pub fn to_yaml(value: &Value) -> Result<String, CliError> {
    let mut s = serde_saphyr::to_string(value)
        .map_err(|e| CliError::msg(format!("cannot encode YAML: {e}")))?;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    Ok(s)
}

/// The name printer's text for one object: `imagestream.image.openshift.io/foo`.
pub fn object_name(obj: &Value) -> String {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{}/{name}", kind_group_of(obj))
}

/// `imagestream.image.openshift.io` for an object (from its apiVersion and kind).
pub fn kind_group_of(obj: &Value) -> String {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    match resources::by_kind(api_version, kind) {
        Some(rt) => rt.kind_group(),
        None => {
            let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            if group.is_empty() {
                kind.to_ascii_lowercase()
            } else {
                format!("{}.{group}", kind.to_ascii_lowercase())
            }
        }
    }
}

/// Fill in `apiVersion`/`kind` of `obj` from its type when the server left them out.
pub fn with_type(mut obj: Value, rt: &ResourceType) -> Value {
    if let Some(map) = obj.as_object_mut() {
        map.entry("apiVersion")
            .or_insert_with(|| Value::from(rt.api_version()));
        map.entry("kind").or_insert_with(|| Value::from(rt.kind));
    }
    obj
}

/// A kubectl `List` of `items` (what `-o yaml|json` prints for several objects).
pub fn list_of(items: Vec<Value>) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// Print objects in an object format: one object alone, several as a `List` (json/yaml),
/// one name per line, or the template applied to the single object or the List.
pub fn print_objects(
    format: &OutputFormat,
    objects: Vec<Value>,
    single: bool,
) -> Result<String, CliError> {
    let doc = if single && objects.len() == 1 {
        objects[0].clone()
    } else {
        list_of(objects.clone())
    };
    match format {
        OutputFormat::Json => Ok(to_json(&doc)),
        OutputFormat::Yaml => to_yaml(&doc),
        OutputFormat::Name => Ok(objects.iter().map(|o| object_name(o) + "\n").collect()),
        OutputFormat::JsonPath(t) => t.execute(&doc),
        OutputFormat::CustomColumns(cols) => Ok(custom_columns(cols, &objects, true)),
        OutputFormat::Default | OutputFormat::Wide => Ok(String::new()),
    }
}

/// The custom-columns table of `objects` (multiple values joined by `,`, none as `<none>`).
pub fn custom_columns(cols: &[(String, JsonPath)], objects: &[Value], headers: bool) -> String {
    let mut lines = Vec::new();
    if headers {
        lines.push(
            cols.iter()
                .map(|(h, _)| h.as_str())
                .collect::<Vec<_>>()
                .join("\t"),
        );
    }
    for o in objects {
        let cells: Vec<String> = cols
            .iter()
            .map(|(_, p)| {
                let vals = p.results(o);
                if vals.is_empty() {
                    "<none>".to_owned()
                } else {
                    vals.join(",")
                }
            })
            .collect();
        lines.push(cells.join("\t"));
    }
    align(&lines)
}

/// Options of the Table printer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// Show priority>0 columns.
    pub wide: bool,
    /// Prepend a NAMESPACE column (from each row's object metadata).
    pub namespace_column: bool,
    /// Print the header line.
    pub headers: bool,
    /// Prefix names with `<kind>.<group>/` (several types in one `get`).
    pub kind_prefix: Option<&'static ResourceType>,
    /// Append a LABELS column (`k=v,…` sorted, `<none>`).
    pub show_labels: bool,
}

/// The lines (tab-separated cells, before alignment) of a Table answer.
pub fn table_lines(table: &Value, opts: TableOptions) -> Vec<String> {
    let columns = table
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let shown: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| opts.wide || c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect();
    let mut lines = Vec::new();
    if opts.headers {
        let mut header: Vec<String> = Vec::new();
        if opts.namespace_column {
            header.push("NAMESPACE".to_owned());
        }
        for &i in &shown {
            header.push(
                columns[i]
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_uppercase(),
            );
        }
        if opts.show_labels {
            header.push("LABELS".to_owned());
        }
        lines.push(header.join("\t"));
    }
    for row in table
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let cells = row
            .get("cells")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out: Vec<String> = Vec::new();
        if opts.namespace_column {
            out.push(
                row.pointer("/object/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        for &i in &shown {
            let mut text = cell_text(cells.get(i).unwrap_or(&Value::Null));
            if i == 0
                && let Some(rt) = opts.kind_prefix
            {
                text = format!("{}/{text}", rt.kind_group());
            }
            out.push(text);
        }
        if opts.show_labels {
            let labels = row
                .pointer("/object/metadata/labels")
                .and_then(Value::as_object)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    // serde_json maps iterate in key order.
                    l.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_else(|| "<none>".to_owned());
            out.push(labels);
        }
        lines.push(out.join("\t"));
    }
    lines
}

/// Align tab-separated lines with `get`'s tabwriter settings.
pub fn align(lines: &[String]) -> String {
    let mut text = String::new();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    tabwriter::format(&tabwriter::GET, &text)
}

/// The number of rows of a Table answer.
pub fn row_count(table: &Value) -> usize {
    table
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0)
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_layout() {
        let t = json!({
            "columnDefinitions": [
                {"name": "Name", "priority": 0},
                {"name": "Image Reference", "priority": 0},
                {"name": "Image Name", "priority": 1},
            ],
            "rows": [
                {"cells": ["a:1", "x/y@sha256:1", "sha256:1"], "object": {"metadata": {"namespace": "ns"}}},
                {"cells": ["bbbbbbbb:2", null, "sha256:2"], "object": {"metadata": {"namespace": "ns"}}},
            ]
        });
        let plain = align(&table_lines(
            &t,
            TableOptions {
                headers: true,
                ..Default::default()
            },
        ));
        assert_eq!(
            plain,
            "NAME         IMAGE REFERENCE\na:1          x/y@sha256:1\nbbbbbbbb:2   \n"
        );
        let wide = align(&table_lines(
            &t,
            TableOptions {
                headers: true,
                wide: true,
                namespace_column: true,
                kind_prefix: None,
                show_labels: false,
            },
        ));
        assert!(
            wide.starts_with("NAMESPACE   NAME         IMAGE REFERENCE   IMAGE NAME\n"),
            "{wide}"
        );
    }

    #[test]
    fn names_and_json() {
        let o = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "a"}});
        assert_eq!(object_name(&o), "imagestream.image.openshift.io/a");
        let s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}});
        assert_eq!(object_name(&s), "secret/s");
        assert_eq!(
            to_json(&json!({"b": 1, "a": [true]})),
            "{\n    \"a\": [\n        true\n    ],\n    \"b\": 1\n}\n"
        );
    }
}

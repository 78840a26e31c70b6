//! `tagplane get`: list or fetch resources through the server's Table, or print them as
//! YAML/JSON/names/JSONPath; `-w` watches (spec §A5).

use futures_util::StreamExt;
use serde_json::Value;

use crate::client::Client;
use crate::client::resources::{self, ResourceType};
use crate::error::CliError;
use crate::output::jsonpath::JsonPath;
use crate::output::printer::{self, OutputFormat, TableOptions};

const COMMAND: &str = "tagplane get";

/// Arguments of `get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// TYPE [NAME...] or TYPE/NAME...
    pub args: Vec<String>,
    /// Output format: json|yaml|name|wide|jsonpath=TEMPLATE.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    /// After listing/getting the requested object, watch for changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// List the requested object(s) across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// When printing, don't print headers.
    #[arg(long)]
    pub no_headers: bool,
    /// When printing, show all labels as the last column.
    #[arg(long)]
    pub show_labels: bool,
    /// Sort list types using this JSONPath expression (e.g. `.metadata.creationTimestamp`).
    #[arg(long)]
    pub sort_by: Option<String>,
}

/// What one `get` asks for: a type and either names or the whole collection.
#[derive(Debug, Clone)]
pub struct Target {
    /// The type.
    pub rt: &'static ResourceType,
    /// Names; empty means "list".
    pub names: Vec<String>,
}

/// Parse `TYPE[,TYPE] [NAME…]` or `TYPE/NAME…` into targets (consecutive same-type names are
/// grouped).
pub fn parse_targets(args: &[String], command: &str) -> Result<Vec<Target>, CliError> {
    let Some(first) = args.first() else {
        return Err(CliError::usage(command, "Required resource not specified."));
    };
    let mut targets: Vec<Target> = Vec::new();
    if first.contains('/') {
        for a in args {
            let Some((t, name)) = a.split_once('/') else {
                return Err(CliError::msg(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '{} resource/<resource_name>' instead of '{} resource resource/<resource_name>'",
                    command, command
                )));
            };
            if name.is_empty() {
                return Err(CliError::msg(
                    "arguments in resource/name form must have a single resource and name",
                ));
            }
            let rt = resources::resolve(t)?;
            match targets.last_mut() {
                Some(last) if std::ptr::eq(last.rt, rt) => last.names.push(name.to_owned()),
                _ => targets.push(Target {
                    rt,
                    names: vec![name.to_owned()],
                }),
            }
        }
        return Ok(targets);
    }
    if args[1..].iter().any(|a| a.contains('/')) {
        return Err(CliError::msg(format!(
            "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '{command} resource/<resource_name>' instead of '{command} resource resource/<resource_name>'"
        )));
    }
    for t in first.split(',').filter(|t| !t.is_empty()) {
        targets.push(Target {
            rt: resources::resolve(t)?,
            names: args[1..].to_vec(),
        });
    }
    Ok(targets)
}

/// Run `get`.
pub async fn run(client: &Client, args: GetArgs) -> Result<(), CliError> {
    let format = OutputFormat::parse(args.output.as_deref(), COMMAND, true)?;
    let targets = parse_targets(&args.args, COMMAND)?;
    if args.selector.is_some() && targets.iter().any(|t| !t.names.is_empty()) {
        return Err(CliError::msg(
            "name cannot be provided when a selector is specified",
        ));
    }
    let ns = (!args.all_namespaces).then(|| client.namespace().to_owned());
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(sel) = &args.selector {
        query.push(("labelSelector", sel.as_str()));
    }
    if args.watch {
        return watch(client, &args, &format, &targets, ns.as_deref(), &query).await;
    }
    let sort_key = match &args.sort_by {
        Some(expr) => Some(sort_template(expr)?),
        None => None,
    };
    let single = targets.len() == 1 && targets[0].names.len() == 1;
    let several_types = targets.len() > 1;
    let mut errors: Vec<CliError> = Vec::new();
    let mut out = String::new();

    if format.prints_objects() {
        let mut objects = Vec::new();
        for t in &targets {
            if t.names.is_empty() {
                let list = match client
                    .get_query(&t.rt.path(ns.as_deref(), None), &query)
                    .await
                {
                    Ok(l) => l,
                    Err(e) => return Err(unserved(client, e, t.rt).await),
                };
                for item in list
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    objects.push(printer::with_type(item, t.rt));
                }
            } else {
                for name in &t.names {
                    match client.get(&t.rt.path(ns.as_deref(), Some(name))).await {
                        Ok(o) => objects.push(printer::with_type(o, t.rt)),
                        Err(e) if single => return Err(e),
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        if let Some(key) = &sort_key {
            sort_objects(&mut objects, key);
        }
        let text = match &format {
            OutputFormat::CustomColumns(cols) => {
                printer::custom_columns(cols, &objects, !args.no_headers)
            }
            _ => printer::print_objects(&format, objects, single)?,
        };
        out.push_str(&text);
        print!("{out}");
        return finish(errors);
    }

    let mut rows_total = 0;
    let mut blocks: Vec<String> = Vec::new();
    for t in &targets {
        let opts = TableOptions {
            wide: matches!(format, OutputFormat::Wide),
            namespace_column: args.all_namespaces && t.rt.namespaced,
            headers: !args.no_headers,
            kind_prefix: several_types.then_some(t.rt),
            show_labels: args.show_labels,
        };
        let mut lines: Vec<String> = Vec::new();
        if t.names.is_empty() {
            let mut table = match table_query(client, &t.rt.path(ns.as_deref(), None), &query).await
            {
                Ok(t) => t,
                Err(e) => return Err(unserved(client, e, t.rt).await),
            };
            if let Some(key) = &sort_key {
                // Table rows carry only metadata: sort them by the full objects.
                let list = client
                    .get_query(&t.rt.path(ns.as_deref(), None), &query)
                    .await?;
                sort_rows(&mut table, &list, key);
            }
            if printer::row_count(&table) > 0 {
                rows_total += printer::row_count(&table);
                lines = printer::table_lines(&table, opts);
            }
        } else {
            let mut header_done = false;
            for name in &t.names {
                match client
                    .get_table(&t.rt.path(ns.as_deref(), Some(name)))
                    .await
                {
                    Ok(table) => {
                        rows_total += printer::row_count(&table);
                        let mut l = printer::table_lines(
                            &table,
                            TableOptions {
                                headers: opts.headers && !header_done,
                                ..opts
                            },
                        );
                        header_done = header_done || opts.headers;
                        lines.append(&mut l);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        if !lines.is_empty() && (lines.len() > 1 || args.no_headers) {
            blocks.push(printer::align(&lines));
        }
    }
    print!("{}", blocks.join("\n"));
    if rows_total == 0 && errors.is_empty() {
        match &ns {
            Some(n) if targets.iter().any(|t| t.rt.namespaced) => {
                eprintln!("No resources found in {n} namespace.")
            }
            _ => eprintln!("No resources found"),
        }
    }
    finish(errors)
}

async fn table_query(
    client: &Client,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Value, CliError> {
    client
        .request_accept(
            reqwest::Method::GET,
            path,
            query,
            None,
            None,
            crate::client::TABLE_ACCEPT,
        )
        .await
}

/// `--sort-by` as a template (`.a.b` and `{.a.b}` both work).
fn sort_template(expr: &str) -> Result<JsonPath, CliError> {
    let t = if expr.starts_with('{') {
        expr.to_owned()
    } else {
        format!("{{{expr}}}")
    };
    JsonPath::parse(&t)
}

/// Order two sort values: numbers numerically, otherwise as text; missing values first.
fn compare_keys(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    match (a.first(), b.first()) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal),
            _ => {
                let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or(v.to_string());
                natural_cmp(&text(x), &text(y))
            }
        },
    }
}

/// kubectl's "natural" text order: runs of digits compare by value (shorter number first,
/// then fewer leading zeros), digits sort before other bytes, other bytes compare as bytes.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (da, db) = (a[i].is_ascii_digit(), b[j].is_ascii_digit());
        if da != db {
            return if da {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        if !da {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
            continue;
        }
        let (zi, zj) = (i, j);
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let (si, sj) = (i, j);
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let by_len = (i - si).cmp(&(j - sj));
        if by_len != Ordering::Equal {
            return by_len;
        }
        let by_digits = a[si..i].cmp(&b[sj..j]);
        if by_digits != Ordering::Equal {
            return by_digits;
        }
        let by_zeros = (si - zi).cmp(&(sj - zj));
        if by_zeros != Ordering::Equal {
            return by_zeros;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn sort_objects(objects: &mut [Value], key: &JsonPath) {
    objects.sort_by_cached_key(|o| SortKey(key.values(o)));
}

/// A sort key with [`compare_keys`] order.
#[derive(PartialEq)]
struct SortKey(Vec<Value>);

impl Eq for SortKey {}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        compare_keys(&self.0, &other.0)
    }
}

/// Sort the rows of `table` like the objects of `list` sorted by `key` (matched by namespace
/// and name).
fn sort_rows(table: &mut Value, list: &Value, key: &JsonPath) {
    let id = |v: &Value, prefix: &str| {
        (
            v.pointer(&format!("{prefix}/metadata/namespace"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            v.pointer(&format!("{prefix}/metadata/name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        )
    };
    let keys: std::collections::HashMap<(String, String), Vec<Value>> = list
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|o| (id(o, ""), key.values(o)))
        .collect();
    if let Some(rows) = table.get_mut("rows").and_then(Value::as_array_mut) {
        rows.sort_by_cached_key(|r| {
            SortKey(keys.get(&id(r, "/object")).cloned().unwrap_or_default())
        });
    }
}

/// A 404 without details on a collection: kubectl's `Unable to list …` when discovery lists
/// the type, else "the server doesn't have a resource type".
pub async fn unserved(client: &Client, e: CliError, rt: &ResourceType) -> CliError {
    let CliError::Api(status) = &e else { return e };
    if status.code != Some(404) || status.details.is_some() {
        return e;
    }
    let group_path = if rt.group.is_empty() {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{}/v1", rt.group)
    };
    let listed = client.get(&group_path).await.is_ok_and(|d| {
        d.get("resources")
            .and_then(Value::as_array)
            .is_some_and(|r| {
                r.iter()
                    .any(|x| x.get("name").and_then(Value::as_str) == Some(rt.plural))
            })
    });
    if !listed {
        return CliError::msg(format!(
            "the server doesn't have a resource type \"{}\"",
            rt.plural
        ));
    }
    let mut status = status.clone();
    status.message = Some(format!(
        "Unable to list \"{}/v1, Resource={}\": {}",
        rt.group,
        rt.plural,
        status.message.clone().unwrap_or_default()
    ));
    CliError::Api(status)
}

fn finish(errors: Vec<CliError>) -> Result<(), CliError> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.into_iter().next().expect("one error")),
        _ => Err(CliError::Many(errors)),
    }
}

/// `get -w`: print the current state, then one line (or object) per change until the server
/// ends the watch.
async fn watch(
    client: &Client,
    args: &GetArgs,
    format: &OutputFormat,
    targets: &[Target],
    ns: Option<&str>,
    query: &[(&str, &str)],
) -> Result<(), CliError> {
    if targets.len() != 1 || targets[0].names.len() > 1 {
        return Err(CliError::msg(format!(
            "watch is only supported on individual resources and resource collections, but {} resources were found",
            targets.iter().map(|t| t.names.len().max(1)).sum::<usize>()
        )));
    }
    let t = &targets[0];
    let path = t.rt.path(ns, None);
    let field;
    let mut q: Vec<(&str, &str)> = query.to_vec();
    if let Some(name) = t.names.first() {
        field = format!("metadata.name={name}");
        q.push(("fieldSelector", field.as_str()));
    }
    let opts = TableOptions {
        wide: matches!(format, OutputFormat::Wide),
        namespace_column: args.all_namespaces && t.rt.namespaced,
        headers: !args.no_headers,
        kind_prefix: None,
        show_labels: args.show_labels,
    };
    let mut header_printed = args.no_headers;
    let mut printed_objects = 0usize;
    let yaml = matches!(format, OutputFormat::Yaml);
    let mut print_object = |obj: Value| -> Result<(), CliError> {
        printed_objects += 1;
        if yaml && printed_objects > 1 {
            println!("---");
        }
        print!(
            "{}",
            printer::print_objects(format, vec![printer::with_type(obj, t.rt)], true)?
        );
        Ok(())
    };
    let rv;
    if format.prints_objects() {
        let list = client.get_query(&path, &q).await?;
        rv = list
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        for item in list
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            print_object(item)?;
        }
    } else {
        let table = table_query(client, &path, &q).await?;
        rv = table
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if printer::row_count(&table) > 0 {
            print!("{}", printer::align(&printer::table_lines(&table, opts)));
            header_printed = true;
        }
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut wq = q.clone();
    if !rv.is_empty() {
        wq.push(("resourceVersion", rv.as_str()));
    }
    let mut events = client.watch(&path, &wq, !format.prints_objects()).await?;
    while let Some(ev) = events.next().await {
        let ev = ev?;
        if ev.kind == "BOOKMARK" {
            continue;
        }
        if format.prints_objects() {
            print_object(ev.object)?;
        } else {
            let lines = printer::table_lines(
                &ev.object,
                TableOptions {
                    headers: !header_printed,
                    ..opts
                },
            );
            header_printed = true;
            print!("{}", printer::align(&lines));
        }
        let _ = std::io::stdout().flush();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("5", "10"), Less);
        assert_eq!(natural_cmp("a2", "a10"), Less);
        assert_eq!(natural_cmp("a", "1"), Greater);
        assert_eq!(natural_cmp("web", "zzz"), Less);
        assert_eq!(natural_cmp("01", "1"), Greater);
        assert_eq!(natural_cmp("ab", "abc"), Less);
        assert_eq!(natural_cmp("x", "x"), Equal);
    }
}

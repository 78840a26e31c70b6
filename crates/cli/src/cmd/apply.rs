//! `tagplane apply -f` (client-side apply with the last-applied-configuration annotation and a
//! three-way merge patch) and `tagplane replace -f`.

use serde_json::{Map, Value};

use crate::client::{Client, PatchType};
use crate::cmd::create::print_result;
use crate::cmd::manifest;
use crate::error::CliError;
use crate::output::printer::OutputFormat;

/// The annotation holding the configuration of the last `apply`.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Files (or `-`) that contain the configuration to apply.
    #[arg(short = 'f', long = "filename", required = true)]
    pub filename: Vec<String>,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Arguments of `replace`.
#[derive(Debug, clap::Args)]
pub struct ReplaceArgs {
    /// Files (or `-`) that contain the objects.
    #[arg(short = 'f', long = "filename", required = true)]
    pub filename: Vec<String>,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Lists merged by key in a strategic merge patch, per kind: (path, key).
fn merge_lists(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "ImageStream" => &[("spec.tags", "name")],
        _ => &[],
    }
}

/// Run `apply`.
pub async fn run_apply(client: &Client, args: ApplyArgs) -> Result<(), CliError> {
    let format = OutputFormat::parse(args.output.as_deref(), "tagplane apply", false)?;
    let manifests = manifest::load(client, &args.filename, "apply")?;
    let mut errors = Vec::new();
    for m in manifests {
        if let Err(e) = apply_one(client, &format, m).await {
            errors.push(e);
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(CliError::Many(errors)),
    }
}

async fn apply_one(
    client: &Client,
    format: &OutputFormat,
    m: manifest::Manifest,
) -> Result<(), CliError> {
    if m.name.is_empty() {
        return Err(CliError::msg(format!(
            "error when retrieving current configuration of:\nResource: \"{}\", GroupVersionKind: \"{}, Kind={}\"\nName: \"\", Namespace: \"{}\"\nfrom server for: \"{}\": resource name may not be empty",
            m.rt.qualified(),
            m.rt.api_version(),
            m.rt.kind,
            m.namespace.as_deref().unwrap_or(""),
            m.source
        )));
    }
    let modified = with_last_applied(&m.object)?;
    let current = match client.get(&m.path()).await {
        Ok(c) => c,
        Err(e) if e.is_not_found() => {
            let created = client
                .post(&m.collection(), &modified)
                .await
                .map_err(|e| e.context(&format!("error when creating \"{}\"", m.source)))?;
            return print_result(format, created, &m.display(), "created");
        }
        Err(e) => return Err(e),
    };
    let annotation = current
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str);
    if annotation.is_none() {
        eprintln!(
            "Warning: resource {}/{} is missing the {LAST_APPLIED} annotation which is required by tagplane apply. tagplane apply should only be used on resources created declaratively by either tagplane create --save-config or tagplane apply. The missing annotation will be patched automatically.",
            m.rt.plural, m.name
        );
    }
    let original: Option<Value> = annotation.and_then(|s| serde_json::from_str(s).ok());
    let lists = merge_lists(m.rt.kind);
    let patch = three_way(original.as_ref(), &modified, &current, lists);
    if patch.is_empty() {
        return print_result(format, current, &m.display(), "unchanged");
    }
    let kind = if lists.is_empty() {
        PatchType::Merge
    } else {
        PatchType::Strategic
    };
    let patched = client.patch(&m.path(), kind, &Value::Object(patch)).await?;
    print_result(format, patched, &m.display(), "configured")
}

/// The object with the last-applied annotation set to its own compact JSON, as kubectl writes
/// it: without the annotation itself but with `metadata.annotations` present (`{}` when the
/// file has none), keys sorted, a newline at the end.
pub fn with_last_applied(obj: &Value) -> Result<Value, CliError> {
    let mut bare = obj.clone();
    if let Some(meta) = bare.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        match annotations.as_object_mut() {
            Some(a) => {
                a.remove(LAST_APPLIED);
            }
            None => *annotations = Value::Object(Map::new()),
        }
    }
    let text = serde_json::to_string(&bare)? + "\n";
    let mut out = obj.clone();
    let meta = out
        .as_object_mut()
        .ok_or_else(|| CliError::msg("the object is not a JSON object"))?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let annotations = meta
        .as_object_mut()
        .ok_or_else(|| CliError::msg("metadata is not an object"))?
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if !annotations.is_object() {
        *annotations = Value::Object(Map::new());
    }
    annotations
        .as_object_mut()
        .expect("just made an object")
        .insert(LAST_APPLIED.to_owned(), Value::from(text));
    Ok(out)
}

/// kubectl's three-way patch: additions and changes from `current` to `modified`, plus the
/// deletions from `original` (the last applied configuration) to `modified`. Lists named in
/// `lists` merge by key (strategic merge patch with `$patch: delete` items); other lists and
/// scalars are replaced.
pub fn three_way(
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
    lists: &[(&str, &str)],
) -> Map<String, Value> {
    let mut patch = Map::new();
    if let (Some(m), Some(c)) = (modified.as_object(), current.as_object()) {
        patch = delta(c, m, "", lists);
    }
    if let (Some(Value::Object(o)), Some(m)) = (original, modified.as_object()) {
        let del = deletions(o, m, "", lists);
        merge_into(&mut patch, del, "", lists);
    }
    patch
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn list_key<'a>(path: &str, lists: &'a [(&str, &str)]) -> Option<&'a str> {
    lists.iter().find(|(p, _)| *p == path).map(|(_, k)| *k)
}

fn keyed<'a>(items: &'a [Value], key: &str, value: &Value) -> Option<&'a Map<String, Value>> {
    items
        .iter()
        .filter_map(Value::as_object)
        .find(|i| i.get(key) == Some(value))
}

fn delta(
    current: &Map<String, Value>,
    modified: &Map<String, Value>,
    path: &str,
    lists: &[(&str, &str)],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, mv) in modified {
        let p = join(path, k);
        match (current.get(k), mv) {
            (None, _) => {
                out.insert(k.clone(), mv.clone());
            }
            (Some(Value::Object(c)), Value::Object(m)) => {
                let sub = delta(c, m, &p, lists);
                if !sub.is_empty() {
                    out.insert(k.clone(), Value::Object(sub));
                }
            }
            (Some(Value::Array(c)), Value::Array(m)) if list_key(&p, lists).is_some() => {
                let key = list_key(&p, lists).expect("checked");
                let mut items = Vec::new();
                for item in m {
                    let Some(mi) = item.as_object() else {
                        items.push(item.clone());
                        continue;
                    };
                    let Some(kv) = mi.get(key) else {
                        items.push(item.clone());
                        continue;
                    };
                    match keyed(c, key, kv) {
                        None => items.push(item.clone()),
                        Some(ci) => {
                            let mut sub = delta(ci, mi, &format!("{p}[]"), lists);
                            if !sub.is_empty() {
                                sub.insert(key.to_owned(), kv.clone());
                                items.push(Value::Object(sub));
                            }
                        }
                    }
                }
                if !items.is_empty() {
                    out.insert(k.clone(), Value::Array(items));
                }
            }
            (Some(c), m) => {
                if c != m {
                    out.insert(k.clone(), m.clone());
                }
            }
        }
    }
    out
}

fn deletions(
    original: &Map<String, Value>,
    modified: &Map<String, Value>,
    path: &str,
    lists: &[(&str, &str)],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, ov) in original {
        let p = join(path, k);
        match (ov, modified.get(k)) {
            (_, None) => {
                out.insert(k.clone(), Value::Null);
            }
            (Value::Object(o), Some(Value::Object(m))) => {
                let sub = deletions(o, m, &p, lists);
                if !sub.is_empty() {
                    out.insert(k.clone(), Value::Object(sub));
                }
            }
            (Value::Array(o), Some(Value::Array(m))) if list_key(&p, lists).is_some() => {
                let key = list_key(&p, lists).expect("checked");
                let mut items = Vec::new();
                for item in o.iter().filter_map(Value::as_object) {
                    let Some(kv) = item.get(key) else { continue };
                    match keyed(m, key, kv) {
                        None => {
                            let mut d = Map::new();
                            d.insert(key.to_owned(), kv.clone());
                            d.insert("$patch".to_owned(), Value::from("delete"));
                            items.push(Value::Object(d));
                        }
                        Some(mi) => {
                            let mut sub = deletions(item, mi, &format!("{p}[]"), lists);
                            if !sub.is_empty() {
                                sub.insert(key.to_owned(), kv.clone());
                                items.push(Value::Object(sub));
                            }
                        }
                    }
                }
                if !items.is_empty() {
                    out.insert(k.clone(), Value::Array(items));
                }
            }
            _ => {}
        }
    }
    out
}

fn merge_into(
    into: &mut Map<String, Value>,
    from: Map<String, Value>,
    path: &str,
    lists: &[(&str, &str)],
) {
    for (k, v) in from {
        let p = join(path, &k);
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge_into(a, b, &p, lists),
            (Some(Value::Array(a)), Value::Array(b)) if list_key(&p, lists).is_some() => {
                let key = list_key(&p, lists).expect("checked");
                for item in b {
                    let kv = item.get(key).cloned();
                    let existing = a
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .find(|i| kv.is_some() && i.get(key) == kv.as_ref());
                    match (existing, item) {
                        (Some(e), Value::Object(bi)) => merge_into(e, bi, &format!("{p}[]"), lists),
                        (_, item) => a.push(item),
                    }
                }
            }
            (Some(_), v) | (None, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Run `replace`.
pub async fn run_replace(client: &Client, args: ReplaceArgs) -> Result<(), CliError> {
    let format = OutputFormat::parse(args.output.as_deref(), "tagplane replace", false)?;
    let manifests = manifest::load(client, &args.filename, "replace")?;
    let mut errors = Vec::new();
    for m in manifests {
        let mut obj = m.object.clone();
        if obj.pointer("/metadata/resourceVersion").is_none() {
            match client.get(&m.path()).await {
                Ok(cur) => {
                    if let (Some(rv), Some(meta)) = (
                        cur.pointer("/metadata/resourceVersion").cloned(),
                        obj.get_mut("metadata").and_then(Value::as_object_mut),
                    ) {
                        meta.insert("resourceVersion".to_owned(), rv);
                    }
                }
                Err(e) => {
                    errors.push(e.context(&format!("error when replacing \"{}\"", m.source)));
                    continue;
                }
            }
        }
        match client.put(&m.path(), &obj).await {
            Ok(r) => print_result(&format, r, &m.display(), "replaced")?,
            Err(e) => errors.push(e.context(&format!("error when replacing \"{}\"", m.source))),
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(CliError::Many(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TAGS: &[(&str, &str)] = &[("spec.tags", "name")];

    #[test]
    fn three_way_patches() {
        let original = json!({"metadata": {"name": "a", "labels": {"x": "1", "y": "2"}}, "spec": {"tags": [{"name": "t1", "from": {"name": "a"}}, {"name": "t2"}]}});
        let modified = json!({"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"tags": [{"name": "t1", "from": {"name": "b"}}, {"name": "t3"}]}});
        let current = json!({"metadata": {"name": "a", "resourceVersion": "5", "labels": {"x": "1", "y": "2", "z": "3"}}, "spec": {"tags": [{"name": "t1", "from": {"name": "a"}, "generation": 1}, {"name": "t2", "generation": 1}]}, "status": {}});
        let p = three_way(Some(&original), &modified, &current, TAGS);
        assert_eq!(
            Value::Object(p),
            json!({"metadata": {"labels": {"y": null}}, "spec": {"tags": [{"name": "t1", "from": {"name": "b"}}, {"name": "t3"}, {"name": "t2", "$patch": "delete"}]}})
        );
        let same = three_way(
            Some(&modified),
            &modified,
            &json!({"metadata": {"name": "a", "labels": {"x": "1"}, "uid": "u"}, "spec": {"tags": [{"name": "t1", "from": {"name": "b"}, "generation": 2}, {"name": "t3"}]}}),
            TAGS,
        );
        assert!(same.is_empty(), "{same:?}");
        let merge = three_way(
            None,
            &json!({"data": {"a": "1"}, "type": "x"}),
            &json!({"data": {"a": "2", "b": "3"}, "type": "x"}),
            &[],
        );
        assert_eq!(Value::Object(merge), json!({"data": {"a": "1"}}));
    }

    #[test]
    fn annotation() {
        let o = json!({"kind": "ImageStream", "metadata": {"name": "a"}});
        let w = with_last_applied(&o).unwrap();
        assert_eq!(
            w["metadata"]["annotations"][LAST_APPLIED],
            "{\"kind\":\"ImageStream\",\"metadata\":{\"annotations\":{},\"name\":\"a\"}}\n"
        );
        assert_eq!(with_last_applied(&w).unwrap(), w);
    }
}

//! Reading objects for `create/apply/replace/delete -f`: files, directories or stdin (`-`),
//! JSON or multi-document YAML, `List` kinds flattened; and resolving each object to its
//! resource type, namespace and name.

use serde_json::Value;

use crate::client::Client;
use crate::client::resources::{self, ResourceType};
use crate::error::CliError;

/// One object read from a file, with where it goes.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The object as written (namespace filled in for namespaced types).
    pub object: Value,
    /// Its type.
    pub rt: &'static ResourceType,
    /// Namespace (for namespaced types).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// The file it came from.
    pub source: String,
}

impl Manifest {
    /// REST path of the object.
    pub fn path(&self) -> String {
        self.rt.path(self.namespace.as_deref(), Some(&self.name))
    }

    /// REST path of its collection.
    pub fn collection(&self) -> String {
        self.rt.path(self.namespace.as_deref(), None)
    }

    /// `imagestream.image.openshift.io/NAME`.
    pub fn display(&self) -> String {
        format!("{}/{}", self.rt.kind_group(), self.name)
    }
}

/// Read every object of `files` (`-` is stdin; directories give their `.json`, `.yaml` and
/// `.yml` files in name order).
pub fn read_objects(files: &[String]) -> Result<Vec<(String, Value)>, CliError> {
    let mut out = Vec::new();
    for f in files {
        if f == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            for v in parse_documents(&text, "STDIN")? {
                out.push(("STDIN".to_owned(), v));
            }
            continue;
        }
        let path = std::path::Path::new(f);
        if !path.exists() {
            return Err(CliError::msg(format!("the path \"{f}\" does not exist")));
        }
        let mut paths = Vec::new();
        if path.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("json" | "yaml" | "yml")
                    )
                })
                .collect();
            entries.sort();
            paths.extend(entries);
        } else {
            paths.push(path.to_owned());
        }
        for p in paths {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| CliError::msg(format!("error reading {}: {e}", p.display())))?;
            let name = p.display().to_string();
            for v in parse_documents(&text, &name)? {
                out.push((name.clone(), v));
            }
        }
    }
    Ok(out)
}

/// Parse JSON or multi-document YAML; empty documents are skipped and `List` kinds flattened.
pub fn parse_documents(text: &str, source: &str) -> Result<Vec<Value>, CliError> {
    let docs: Vec<Value> = if text.trim_start().starts_with('{') {
        let mut docs = Vec::new();
        for v in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            docs.push(v.map_err(|e| CliError::msg(format!("error parsing {source}: {e}")))?);
        }
        docs
    } else {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| CliError::msg(format!("error parsing {source}: {e}")))?
    };
    let mut out = Vec::new();
    for d in docs {
        flatten(d, &mut out);
    }
    Ok(out)
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Null => {}
        Value::Object(ref m)
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && m.get("items").is_some_and(Value::is_array) =>
        {
            if let Some(Value::Array(items)) = v.get("items").cloned() {
                for i in items {
                    flatten(i, out);
                }
            }
        }
        other => out.push(other),
    }
}

/// Resolve objects to types, namespaces and names (namespace from the object, else the
/// client's current one).
pub fn resolve(client: &Client, objects: Vec<(String, Value)>) -> Result<Vec<Manifest>, CliError> {
    let mut out = Vec::new();
    for (source, mut obj) in objects {
        let api_version = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if kind.is_empty() || api_version.is_empty() {
            let mut missing = Vec::new();
            if api_version.is_empty() {
                missing.push("apiVersion not set");
            }
            if kind.is_empty() {
                missing.push("kind not set");
            }
            return Err(CliError::msg(format!(
                "error validating \"{source}\": error validating data: [{}]; if you choose to ignore these errors, turn validation off with --validate=false",
                missing.join(", ")
            )));
        }
        let Some(rt) = resources::by_kind(&api_version, &kind) else {
            return Err(CliError::msg(format!(
                "resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{source}\": no matches for kind \"{kind}\" in version \"{api_version}\"\nensure CRDs are installed first",
                obj.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                obj.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            )));
        };
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let namespace = if rt.namespaced {
            if let Some(own) = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                && client.namespace_explicit()
                && own != client.namespace()
            {
                return Err(CliError::msg(format!(
                    "the namespace from the provided object \"{own}\" does not match the namespace \"{}\". You must pass '--namespace={own}' to perform this operation.",
                    client.namespace()
                )));
            }
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(client.namespace())
                .to_owned();
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("namespace".to_owned(), Value::from(ns.clone()));
            }
            Some(ns)
        } else {
            None
        };
        out.push(Manifest {
            object: obj,
            rt,
            namespace,
            name,
            source,
        });
    }
    Ok(out)
}

/// Read and resolve; an empty result is kubectl's "no objects passed" error.
pub fn load(client: &Client, files: &[String], verb: &str) -> Result<Vec<Manifest>, CliError> {
    let objects = read_objects(files)?;
    if objects.is_empty() {
        return Err(CliError::msg(format!("no objects passed to {verb}")));
    }
    resolve(client, objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents() {
        let y = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n";
        let docs = parse_documents(y, "x").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["metadata"]["name"], "b");
        let j = "{\"kind\":\"Namespace\"}\n{\"kind\":\"Secret\"}";
        assert_eq!(parse_documents(j, "x").unwrap().len(), 2);
    }
}

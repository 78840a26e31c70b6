//! Strategic merge patch (`application/strategic-merge-patch+json`) over `serde_json::Value`,
//! driven by a small static table of the merge keys of the types we serve.
//!
//! Semantics follow apimachinery's `strategicpatch` apply path (`StrategicMergeMapPatch` with
//! `MergeParallelList` and `IgnoreUnmatchedNulls`):
//! - maps merge recursively; `null` deletes a key; a value of another type replaces;
//! - lists at a [`MergeList`] path merge by key (patch items update the item with the same key or
//!   are added); other lists are replaced; lists of scalars at a path with an empty key are merged
//!   as sets;
//! - the order of a merged list is apimachinery's: items named in the patch keep the patch's order,
//!   items only on the server keep theirs, and the two are interleaved by the server's order, so an
//!   item the server did not have lands before the server-only items that follow it (a new item
//!   in a patch that names nothing else comes first); `$setElementOrder/<field>` (sent by
//!   `kubectl apply` and `kubectl patch`) overrides this with an explicit order;
//! - directives: `$patch: delete` on a list item removes the items with its key, on a map empties
//!   the map (a new map with it is not added); `$patch: replace` on a map replaces it with the
//!   patch's fields, as an item of a merged list replaces the whole list with the patch's items;
//!   `$retainKeys` drops the keys it does not list (and rejects a patch that sets others);
//!   `$deleteFromPrimitiveList/<field>` removes scalars from a list.
//!
//! Where apimachinery would copy a directive into the result (inside new values or replaced
//! lists), we apply the patch to an empty value instead, so no `$patch`, `$retainKeys`,
//! `$setElementOrder/...` or `$deleteFromPrimitiveList/...` key ever reaches a stored object.
//! Every error is a 400 `BadRequest` carrying apimachinery's message.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";
/// The path segment of "an item of the list".
const ITEM: &str = "[]";

const ERR_RETAIN_KEYS: &str = "invalid patch format of retainKeys";
const ERR_SET_ELEMENT_ORDER: &str = "invalid patch format of setElementOrder list";
const ERR_PRIMITIVE_LIST: &str = "invalid patch format of primitive list";
const ERR_LIST_OF_LISTS: &str = "lists of lists are not supported";

/// A list merged by key instead of replaced (a `patchStrategy:"merge"` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MergeList {
    /// Dotted path of the list; `[]` after a field name steps into the field's list items
    /// (`spec.template.spec.containers[].env`).
    pub path: &'static str,
    /// The `patchMergeKey` of the items; empty for a list of scalars merged as a set.
    pub key: &'static str,
}

/// The merge strategies of one resource type: which lists merge by which key, which maps are
/// replaced wholesale, and where a core/v1 `PodSpec` sits (its lists merge by [`POD_SPEC_LISTS`]).
#[derive(Clone, Copy, Debug)]
pub struct MergeSchema {
    /// Lists merged by key, by path from the object root.
    pub lists: &'static [MergeList],
    /// Maps replaced rather than merged (`patchStrategy:"replace"`), by path.
    pub replace: &'static [&'static str],
    /// Paths of embedded `PodSpec`s.
    pub pod_specs: &'static [&'static str],
}

/// The merge lists every object has through `ObjectMeta`.
macro_rules! object_meta_lists {
    ($($extra:expr),* $(,)?) => {
        &[
            MergeList { path: "metadata.finalizers", key: "" },
            MergeList { path: "metadata.ownerReferences", key: "uid" },
            $($extra,)*
        ]
    };
}

/// The merge lists of a core/v1 `PodSpec`, relative to the spec.
pub const POD_SPEC_LISTS: &[MergeList] = &[
    MergeList {
        path: "containers",
        key: "name",
    },
    MergeList {
        path: "containers[].ports",
        key: "containerPort",
    },
    MergeList {
        path: "containers[].env",
        key: "name",
    },
    MergeList {
        path: "containers[].volumeMounts",
        key: "mountPath",
    },
    MergeList {
        path: "containers[].volumeDevices",
        key: "devicePath",
    },
    MergeList {
        path: "initContainers",
        key: "name",
    },
    MergeList {
        path: "initContainers[].ports",
        key: "containerPort",
    },
    MergeList {
        path: "initContainers[].env",
        key: "name",
    },
    MergeList {
        path: "initContainers[].volumeMounts",
        key: "mountPath",
    },
    MergeList {
        path: "initContainers[].volumeDevices",
        key: "devicePath",
    },
    MergeList {
        path: "ephemeralContainers",
        key: "name",
    },
    MergeList {
        path: "ephemeralContainers[].env",
        key: "name",
    },
    MergeList {
        path: "ephemeralContainers[].volumeMounts",
        key: "mountPath",
    },
    MergeList {
        path: "ephemeralContainers[].volumeDevices",
        key: "devicePath",
    },
    MergeList {
        path: "volumes",
        key: "name",
    },
    MergeList {
        path: "imagePullSecrets",
        key: "name",
    },
    MergeList {
        path: "hostAliases",
        key: "ip",
    },
    MergeList {
        path: "topologySpreadConstraints",
        key: "topologyKey",
    },
    MergeList {
        path: "schedulingGates",
        key: "name",
    },
    MergeList {
        path: "resourceClaims",
        key: "name",
    },
];

/// `image.openshift.io/v1` ImageStream: `spec.tags` by `name`, `status.tags` by `tag`.
pub static IMAGE_STREAM: MergeSchema = MergeSchema {
    lists: object_meta_lists![
        MergeList {
            path: "spec.tags",
            key: "name"
        },
        MergeList {
            path: "status.tags",
            key: "tag"
        },
    ],
    replace: &[],
    pod_specs: &[],
};

/// Workloads that own a pod template (apps/v1 Deployment, StatefulSet, DaemonSet, ReplicaSet;
/// batch/v1 Job and CronJob; core/v1 Pod): the `PodSpec` lists, and `status.conditions` by `type`.
#[allow(
    dead_code,
    reason = "used by the workload handlers and the trigger controller"
)]
pub static POD_TEMPLATE_OWNERS: MergeSchema = MergeSchema {
    lists: object_meta_lists![MergeList {
        path: "status.conditions",
        key: "type"
    }],
    replace: &[],
    pod_specs: &[
        "spec.template.spec",
        "spec.jobTemplate.spec.template.spec",
        "spec",
    ],
};

/// core/v1 Namespace: the object-meta lists and `spec.finalizers` as a set.
pub static NAMESPACE: MergeSchema = MergeSchema {
    lists: object_meta_lists![MergeList {
        path: "spec.finalizers",
        key: ""
    }],
    replace: &[],
    pod_specs: &[],
};

/// `image.openshift.io/v1` Image: `signatures` by `name` (their `conditions` by `type`);
/// `dockerImageMetadata` is replaced, not merged.
#[allow(dead_code, reason = "used by the image handlers")]
pub static IMAGE: MergeSchema = MergeSchema {
    lists: object_meta_lists![
        MergeList {
            path: "signatures",
            key: "name"
        },
        MergeList {
            path: "signatures[].conditions",
            key: "type"
        },
    ],
    replace: &["dockerImageMetadata"],
    pod_specs: &[],
};

/// Apply the strategic merge patch `patch` to `target` (an object) under `schema`.
pub fn apply(target: Value, patch: &Value, schema: &MergeSchema) -> ApiResult<Value> {
    let Value::Object(patch) = patch else {
        return Err(ApiError::bad_request(format!(
            "invalid strategic merge patch: expected a JSON object, got {}",
            kind_name(patch)
        )));
    };
    let original = match target {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    Merger { schema }
        .merge_map(Some(original), patch, &[])
        .map(Value::Object)
        .map_err(ApiError::bad_request)
}

type R<T> = Result<T, String>;

/// How the value at a path is patched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// A list merged by this key (empty: a set of scalars).
    Merge(&'static str),
    /// A map replaced wholesale.
    Replace,
    /// Maps merge, lists are replaced.
    Default,
}

/// The rest of `path` after the dotted `prefix`, if `prefix` matches its start.
fn strip_path<'a, 'p>(prefix: &str, path: &'a [&'p str]) -> Option<&'a [&'p str]> {
    let mut rest = path;
    for part in prefix.split('.') {
        let (name, items) = match part.strip_suffix(ITEM) {
            Some(name) => (name, true),
            None => (part, false),
        };
        let (first, tail) = rest.split_first()?;
        if *first != name {
            return None;
        }
        rest = tail;
        if items {
            let (first, tail) = rest.split_first()?;
            if *first != ITEM {
                return None;
            }
            rest = tail;
        }
    }
    Some(rest)
}

fn path_is(schema_path: &str, path: &[&str]) -> bool {
    strip_path(schema_path, path).is_some_and(<[&str]>::is_empty)
}

impl MergeSchema {
    fn strategy(&self, path: &[&str]) -> Strategy {
        let direct = self.lists.iter().find(|l| path_is(l.path, path));
        let in_pod_spec = || {
            self.pod_specs.iter().find_map(|spec| {
                let rest = strip_path(spec, path)?;
                POD_SPEC_LISTS.iter().find(|l| path_is(l.path, rest))
            })
        };
        if let Some(list) = direct.or_else(in_pod_spec) {
            Strategy::Merge(list.key)
        } else if self.replace.iter().any(|p| path_is(p, path)) {
            Strategy::Replace
        } else {
            Strategy::Default
        }
    }
}

fn child<'p>(path: &[&'p str], segment: &'p str) -> Vec<&'p str> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.extend_from_slice(path);
    p.push(segment);
    p
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A canonical text of a value for equality and hashing: numbers compare by value (`80` equals
/// `80.0`, as Go's float64 decoding has it), maps by sorted keys.
fn ident(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Number(n) => match n.as_f64() {
                Some(f) => {
                    let _ = write!(out, "{f:?}");
                }
                None => out.push_str(&n.to_string()),
            },
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(item, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (k, item) in map {
                    out.push_str(&json(k));
                    out.push(':');
                    write(item, out);
                    out.push(',');
                }
                out.push('}');
            }
            other => out.push_str(&json(other)),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// The identity of a list item: its merge-key value, or the whole item for a scalar list.
fn item_ident(v: &Value, key: &str) -> Option<String> {
    if key.is_empty() {
        Some(ident(v))
    } else {
        v.as_object()?.get(key).map(ident)
    }
}

fn no_merge_key(item: &Map<String, Value>, key: &str) -> String {
    format!(
        "map: {} does not contain declared merge key: {key}",
        json(item)
    )
}

fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> String {
    let d = directive
        .as_str()
        .map_or_else(|| json(directive), str::to_owned);
    format!("unknown patch type: {d} in map: {}", json(map))
}

/// Positions of items in a list, by identity (first occurrence wins).
struct Order(HashMap<String, usize>);

impl Order {
    fn new<'a>(items: impl IntoIterator<Item = &'a Value>, key: &str) -> Order {
        let mut index = HashMap::new();
        for (i, item) in items.into_iter().enumerate() {
            if let Some(id) = item_ident(item, key) {
                index.entry(id).or_insert(i);
            }
        }
        Order(index)
    }

    fn index(&self, item: &Value, key: &str) -> Option<usize> {
        self.0.get(&item_ident(item, key)?).copied()
    }
}

/// apimachinery's `normalizeElementOrder`: the items of `merged` that `wanted` names, in its
/// order, interleaved with the others in the server's order.
fn normalize(merged: Vec<Value>, wanted: &Order, server: &Order, key: &str) -> Vec<Value> {
    let mut named = Vec::new();
    let mut server_only = Vec::new();
    for item in merged {
        match wanted.index(&item, key) {
            Some(i) => named.push((i, item)),
            None => server_only.push((server.index(&item, key), item)),
        }
    }
    named.sort_by_key(|(i, _)| *i);
    server_only.sort_by_key(|(i, _)| i.unwrap_or(usize::MAX));

    // A server-only item goes first only when both are on the server and it comes earlier.
    let mut out = Vec::with_capacity(named.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = named.into_iter().map(|(_, v)| v).peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((li, _)), Some(r)) => {
                matches!((li, server.index(r, key)), (Some(l), Some(r)) if *l < r)
            }
        };
        let next = if take_left {
            left.next().map(|(_, v)| v)
        } else {
            right.next()
        };
        out.extend(next);
    }
    out
}

/// Check that every list item has one type, which is not a list; returns whether they are maps.
fn items_are_maps(original: &[Value], patch: &[Value]) -> R<bool> {
    let mut kind = None;
    for item in original.iter().chain(patch) {
        if item.is_array() {
            return Err(ERR_LIST_OF_LISTS.to_owned());
        }
        let k = kind_name(item);
        match kind {
            None => kind = Some(k),
            Some(prev) if prev != k => {
                return Err(format!(
                    "list element types are not identical: [{} {}]",
                    json(&original),
                    json(&patch)
                ));
            }
            Some(_) => {}
        }
    }
    Ok(kind == Some("map"))
}

/// apimachinery's `validatePatchWithSetOrderList`: the patch's items (deletions and other
/// directives aside) must appear in the `$setElementOrder` list, in the same order.
fn validate_order(patch: &[Value], order: &[Value], key: &str) -> R<()> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let ident_of = |v: &Value| -> R<String> {
        if key.is_empty() {
            return Ok(ident(v));
        }
        let Value::Object(m) = v else {
            return Err(format!(
                "expected a map in the $setElementOrder list, but received a {}",
                kind_name(v)
            ));
        };
        m.get(key).map(ident).ok_or_else(|| no_merge_key(m, key))
    };
    let items: Vec<&Value> = patch
        .iter()
        .filter(|v| !v.as_object().is_some_and(|m| m.contains_key(DIRECTIVE)))
        .collect();
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if ident_of(items[p])? == ident_of(&order[o])? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() {
        return Err(format!(
            "The order in patch list:\n{}\n doesn't match $setElementOrder list:\n{}\n",
            json(&patch),
            json(&order)
        ));
    }
    Ok(())
}

struct Merger<'s> {
    schema: &'s MergeSchema,
}

impl Merger<'_> {
    /// Merge `patch` into the map `original` (absent: a new value).
    fn merge_map<'p>(
        &self,
        original: Option<Map<String, Value>>,
        patch: &'p Map<String, Value>,
        path: &[&'p str],
    ) -> R<Map<String, Value>> {
        match patch.get(DIRECTIVE) {
            None => self.merge_fields(original.unwrap_or_default(), patch, path),
            Some(d) if d == "replace" => self.merge_fields(Map::new(), patch, path),
            Some(d) if d == "delete" => Ok(Map::new()),
            Some(d) => Err(bad_patch_type(d, patch)),
        }
    }

    /// The value a patch value takes where the target has nothing (`None`: leave it out).
    fn fresh<'p>(&self, patch: &'p Value, path: &[&'p str]) -> R<Option<Value>> {
        Ok(Some(match patch {
            Value::Object(m) => {
                if m.get(DIRECTIVE).is_some_and(|d| d == "delete") {
                    return Ok(None);
                }
                Value::Object(self.merge_map(None, m, path)?)
            }
            Value::Array(items) => Value::Array(self.fresh_list(items, path)?),
            other => other.clone(),
        }))
    }

    /// A list that replaces whatever was there: its items without directives.
    fn fresh_list<'p>(&self, items: &'p [Value], path: &[&'p str]) -> R<Vec<Value>> {
        let item_path = child(path, ITEM);
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if item.as_object().is_some_and(|m| m.contains_key(DIRECTIVE)) {
                continue;
            }
            out.extend(self.fresh(item, &item_path)?);
        }
        Ok(out)
    }

    /// Merge the list `patch` into `original` by `key` (empty: a set of scalars).
    fn merge_list<'p>(
        &self,
        mut original: Vec<Value>,
        patch: &'p [Value],
        key: &str,
        path: &[&'p str],
    ) -> R<Vec<Value>> {
        if original.is_empty() && patch.is_empty() {
            return Ok(original);
        }
        let maps = items_are_maps(&original, patch)?;
        if !maps {
            if !key.is_empty() {
                return Err(format!(
                    "expected a list of maps with merge key {key} at {}, but the items are {}s",
                    path.join("."),
                    kind_name(original.first().or(patch.first()).unwrap_or(&Value::Null))
                ));
            }
            let mut seen = std::collections::HashSet::new();
            let merged: Vec<Value> = original
                .iter()
                .chain(patch)
                .filter(|v| seen.insert(ident(v)))
                .cloned()
                .collect();
            return Ok(normalize(
                merged,
                &Order::new(patch, ""),
                &Order::new(&original, ""),
                "",
            ));
        }
        if key.is_empty() {
            return Err(format!(
                "cannot merge lists without merge key for {}",
                path.join(".")
            ));
        }

        // Directives first: deletions by key, and whether the list is replaced.
        let mut items: Vec<&'p Map<String, Value>> = Vec::new();
        let mut replace = false;
        for m in patch.iter().filter_map(Value::as_object) {
            match m.get(DIRECTIVE) {
                None => items.push(m),
                Some(d) if d == "delete" => {
                    let value = ident(m.get(key).ok_or_else(|| no_merge_key(m, key))?);
                    original.retain(|o| item_ident(o, key).as_ref() != Some(&value));
                }
                Some(d) if d == "replace" => replace = true,
                Some(d) if d == "merge" => {
                    return Err("merging lists cannot yet be specified in the patch".to_owned());
                }
                Some(d) => return Err(bad_patch_type(d, m)),
            }
        }
        let item_path = child(path, ITEM);
        if replace {
            return items
                .into_iter()
                .map(|m| self.merge_map(None, m, &item_path).map(Value::Object))
                .collect();
        }

        let server = Order::new(&original, key);
        let mut patch_order = HashMap::new();
        for (i, m) in items.iter().enumerate() {
            let value = ident(m.get(key).ok_or_else(|| no_merge_key(m, key))?);
            match original
                .iter()
                .position(|o| item_ident(o, key).as_ref() == Some(&value))
            {
                Some(at) => {
                    let existing = match std::mem::take(&mut original[at]) {
                        Value::Object(existing) => existing,
                        _ => Map::new(),
                    };
                    original[at] = Value::Object(self.merge_map(Some(existing), m, &item_path)?);
                }
                None => original.push(Value::Object(self.merge_map(None, m, &item_path)?)),
            }
            patch_order.entry(value).or_insert(i);
        }
        Ok(normalize(original, &Order(patch_order), &server, key))
    }

    /// Merge the fields of `patch` (a map without a `$patch` directive, or a replacement) into
    /// `original`.
    fn merge_fields<'p>(
        &self,
        mut original: Map<String, Value>,
        patch: &'p Map<String, Value>,
        path: &[&'p str],
    ) -> R<Map<String, Value>> {
        if let Some(retain) = patch.get(RETAIN_KEYS) {
            let Value::Array(retain) = retain else {
                return Err(ERR_RETAIN_KEYS.to_owned());
            };
            let retained = |k: &str| retain.iter().any(|v| v.as_str() == Some(k));
            let unlisted = patch.iter().any(|(k, v)| {
                !(v.is_null()
                    || k == RETAIN_KEYS
                    || k == DIRECTIVE
                    || k.starts_with(SET_ELEMENT_ORDER)
                    || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                    || retained(k))
            });
            if unlisted {
                return Err(ERR_RETAIN_KEYS.to_owned());
            }
            original.retain(|k, _| retained(k));
        }

        // `$setElementOrder/<field>`: merge the field's list now, then order it.
        let mut ordered: Vec<&str> = Vec::new();
        for (k, order) in patch {
            let Some(field) = k.strip_prefix(SET_ELEMENT_ORDER) else {
                continue;
            };
            let Value::Array(order) = order else {
                return Err(ERR_SET_ELEMENT_ORDER.to_owned());
            };
            let patch_list = match patch.get(field) {
                // Deleting the list: the order is moot.
                Some(Value::Null) => continue,
                None => None,
                Some(Value::Array(list)) => Some(list.as_slice()),
                Some(other) => {
                    return Err(format!(
                        "expected a list for {field}, but received a {}",
                        kind_name(other)
                    ));
                }
            };
            let original_list = match original.get(field) {
                None | Some(Value::Null) => None,
                Some(Value::Array(list)) => Some(list.clone()),
                Some(other) => {
                    return Err(format!(
                        "expected a list for {field}, but received a {}",
                        kind_name(other)
                    ));
                }
            };
            let field_path = child(path, field);
            let strategy = self.schema.strategy(&field_path);
            let key = match strategy {
                Strategy::Merge(key) => key,
                _ => "",
            };
            if let Some(list) = patch_list {
                validate_order(list, order, key)?;
            }
            let server = Order::new(original_list.iter().flatten(), key);
            let merged = match (original_list, patch_list) {
                (None, None) => continue,
                (Some(list), None) => list,
                (None, Some(list)) => self.fresh_list(list, &field_path)?,
                (Some(orig), Some(list)) => match strategy {
                    Strategy::Merge(key) => self.merge_list(orig, list, key, &field_path)?,
                    _ => self.fresh_list(list, &field_path)?,
                },
            };
            let wanted = Order::new(order, key);
            original.insert(
                field.to_owned(),
                Value::Array(normalize(merged, &wanted, &server, key)),
            );
            ordered.push(field);
        }

        let mut deletions = Vec::new();
        for (k, value) in patch {
            if k == DIRECTIVE
                || k == RETAIN_KEYS
                || k.starts_with(SET_ELEMENT_ORDER)
                || ordered.contains(&k.as_str())
            {
                continue;
            }
            if let Some(field) = k.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
                deletions.push((field, value));
                continue;
            }
            if value.is_null() {
                original.remove(k);
                continue;
            }
            let key_path = child(path, k);
            let merged = match (original.remove(k), value) {
                (Some(Value::Object(o)), Value::Object(p)) => {
                    let o = (self.schema.strategy(&key_path) != Strategy::Replace).then_some(o);
                    Some(Value::Object(self.merge_map(o, p, &key_path)?))
                }
                (Some(Value::Array(o)), Value::Array(p)) => {
                    Some(Value::Array(match self.schema.strategy(&key_path) {
                        Strategy::Merge(key) => self.merge_list(o, p, key, &key_path)?,
                        _ => self.fresh_list(p, &key_path)?,
                    }))
                }
                (_, value) => self.fresh(value, &key_path)?,
            };
            if let Some(v) = merged {
                original.insert(k.clone(), v);
            }
        }

        for (field, value) in deletions {
            match value {
                Value::Null => {
                    original.remove(field);
                }
                Value::Array(remove) => {
                    if let Some(Value::Array(list)) = original.get_mut(field) {
                        let remove: Vec<String> = remove.iter().map(ident).collect();
                        list.retain(|v| !remove.contains(&ident(v)));
                    }
                }
                _ => return Err(ERR_PRIMITIVE_LIST.to_owned()),
            }
        }
        Ok(original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn smp(target: Value, patch: Value, schema: &MergeSchema) -> Value {
        match apply(target, &patch, schema) {
            Ok(v) => v,
            Err(e) => panic!("patch {patch} failed: {e}"),
        }
    }

    fn smp_err(target: Value, patch: Value, schema: &MergeSchema) -> String {
        let e = apply(target, &patch, schema).unwrap_err();
        assert_eq!(e.code(), 400);
        e.to_string()
    }

    fn stream() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"a": "1", "b": "2"}},
            "spec": {
                "lookupPolicy": {"local": false},
                "tags": [
                    {"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/a:latest"}, "annotations": null},
                    {"name": "stable", "from": {"kind": "ImageStreamTag", "name": "web:latest"}, "importPolicy": {"scheduled": true}},
                    {"name": "old", "from": {"kind": "DockerImage", "name": "quay.io/a:old"}},
                ],
            },
            "status": {"dockerImageRepository": "", "tags": [{"tag": "latest", "items": [{"image": "sha256:1"}]}]},
        })
    }

    fn names(v: &Value, list: &str) -> Vec<String> {
        v.pointer(list)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|i| match i.get("name").or(i.get("tag")) {
                        Some(Value::String(s)) => s.clone(),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn image_stream_tags_merge_by_name() {
        let out = smp(
            stream(),
            json!({"spec": {"tags": [
                {"name": "stable", "from": {"name": "web:v2"}},
                {"name": "new", "from": {"kind": "DockerImage", "name": "quay.io/a:new"}},
                {"name": "old", "$patch": "delete"},
            ]}}),
            &IMAGE_STREAM,
        );
        // `stable` updated in place (its other fields kept), `old` gone, `new` added before the
        // server-only items that follow the last named one (apimachinery's order).
        assert_eq!(names(&out, "/spec/tags"), ["latest", "stable", "new"]);
        let stable = &out["spec"]["tags"][1];
        assert_eq!(
            stable["from"],
            json!({"kind": "ImageStreamTag", "name": "web:v2"})
        );
        assert_eq!(stable["importPolicy"], json!({"scheduled": true}));
        assert_eq!(out["spec"]["tags"][2]["from"]["name"], "quay.io/a:new");
        // Untouched parts stay, including explicit nulls in the target.
        assert_eq!(out["spec"]["tags"][0]["annotations"], Value::Null);
        assert_eq!(out["status"], stream()["status"]);
        assert_eq!(out["metadata"], stream()["metadata"]);
    }

    #[test]
    fn new_items_go_before_later_server_items_like_apimachinery() {
        let target = json!({"spec": {"tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}});
        let out = smp(
            target.clone(),
            json!({"spec": {"tags": [{"name": "d"}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/spec/tags"), ["d", "a", "b", "c"]);
        let out = smp(
            target.clone(),
            json!({"spec": {"tags": [{"name": "b", "x": 1}, {"name": "d"}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/spec/tags"), ["a", "b", "d", "c"]);
        // The patch's own order wins over the server's for the items it names.
        // A server-only item that the server had before a named one stays in front of it.
        let out = smp(
            target,
            json!({"spec": {"tags": [{"name": "c"}, {"name": "a"}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/spec/tags"), ["b", "c", "a"]);
    }

    #[test]
    fn status_tags_merge_by_tag() {
        let out = smp(
            stream(),
            json!({"status": {"tags": [{"tag": "v2", "items": []}, {"tag": "latest", "conditions": [{"type": "ImportSuccess"}]}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/status/tags"), ["v2", "latest"]);
        // `items` is not a merge list inside a named tag event list: kept, conditions added.
        assert_eq!(
            out["status"]["tags"][1]["items"],
            json!([{"image": "sha256:1"}])
        );
        assert_eq!(
            out["status"]["tags"][1]["conditions"],
            json!([{"type": "ImportSuccess"}])
        );
    }

    #[test]
    fn set_element_order_reorders_merged_items() {
        let out = smp(
            stream(),
            json!({"spec": {
                "$setElementOrder/tags": [{"name": "old"}, {"name": "new"}, {"name": "latest"}, {"name": "stable"}],
                "tags": [{"name": "new", "from": {"kind": "DockerImage", "name": "x"}}],
            }}),
            &IMAGE_STREAM,
        );
        assert_eq!(
            names(&out, "/spec/tags"),
            ["old", "new", "latest", "stable"]
        );
        assert!(out["spec"].get("$setElementOrder/tags").is_none());

        // Only an order: the existing items are reordered, server-only items keep their place.
        let out = smp(
            stream(),
            json!({"spec": {"$setElementOrder/tags": [{"name": "stable"}, {"name": "latest"}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/spec/tags"), ["stable", "latest", "old"]);

        // With a deletion, as kubectl apply sends it.
        let out = smp(
            stream(),
            json!({"spec": {
                "$setElementOrder/tags": [{"name": "stable"}, {"name": "latest"}],
                "tags": [{"name": "old", "$patch": "delete"}],
            }}),
            &IMAGE_STREAM,
        );
        assert_eq!(names(&out, "/spec/tags"), ["stable", "latest"]);

        // A list the target does not have yet.
        let out = smp(
            json!({"spec": {}}),
            json!({"spec": {"$setElementOrder/tags": [{"name": "b"}, {"name": "a"}], "tags": [{"name": "b"}, {"name": "a", "x": 1}]}}),
            &IMAGE_STREAM,
        );
        assert!(
            smp_err(
                stream(),
                json!({"spec": {"$setElementOrder/tags": [{"name": "a"}, {"name": "b"}], "tags": [{"name": "b"}, {"name": "a"}]}}),
                &IMAGE_STREAM,
            )
            .starts_with("The order in patch list:")
        );
        assert_eq!(names(&out, "/spec/tags"), ["b", "a"]);
    }

    #[test]
    fn set_element_order_on_primitive_and_replaced_lists() {
        let target = json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"args": ["x", "y"]}});
        let out = smp(
            target.clone(),
            json!({"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["c", "b", "a"]));
        let out = smp(
            target,
            json!({"spec": {"$setElementOrder/args": ["z", "x"], "args": ["z", "x"]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["spec"]["args"], json!(["z", "x"]));
    }

    #[test]
    fn null_deletes_keys() {
        let out = smp(
            stream(),
            json!({"metadata": {"labels": {"a": null, "c": "3"}}, "status": null, "spec": {"missing": null}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["metadata"]["labels"], json!({"b": "2", "c": "3"}));
        assert!(out.get("status").is_none());
        assert!(out["spec"].get("missing").is_none());
        // Nulls inside new values are dropped too.
        let out = smp(
            json!({}),
            json!({"spec": {"a": null, "b": {"c": null, "d": 1}}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out, json!({"spec": {"b": {"d": 1}}}));
    }

    #[test]
    fn replace_directive() {
        let out = smp(
            stream(),
            json!({"metadata": {"labels": {"$patch": "replace", "z": "9"}}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["metadata"]["labels"], json!({"z": "9"}));
        assert_eq!(out["metadata"]["name"], "web");

        let out = smp(
            stream(),
            json!({"spec": {"tags": [{"$patch": "replace"}, {"name": "only", "from": {"name": "x"}}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(
            out["spec"]["tags"],
            json!([{"name": "only", "from": {"name": "x"}}])
        );

        // A whole-object replacement keeps nothing of the target.
        let out = smp(
            stream(),
            json!({"$patch": "replace", "metadata": {"name": "x"}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out, json!({"metadata": {"name": "x"}}));
    }

    #[test]
    fn delete_directive_on_maps() {
        let out = smp(
            stream(),
            json!({"spec": {"lookupPolicy": {"$patch": "delete"}, "brandNew": {"$patch": "delete", "x": 1}}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["spec"]["lookupPolicy"], json!({}));
        assert!(out["spec"].get("brandNew").is_none());
    }

    #[test]
    fn retain_keys() {
        let target = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let out = smp(
            target.clone(),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}}),
            &POD_TEMPLATE_OWNERS,
        );
        assert_eq!(out, json!({"spec": {"strategy": {"type": "Recreate"}}}));
        assert_eq!(
            smp_err(
                target,
                json!({"spec": {"strategy": {"$retainKeys": ["type"], "other": 1}}}),
                &POD_TEMPLATE_OWNERS
            ),
            "invalid patch format of retainKeys"
        );
    }

    #[test]
    fn delete_from_primitive_list() {
        let out = smp(
            json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "finalizers": ["d"]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["d", "a", "c"]));
        let out = smp(
            json!({"metadata": {}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out, json!({"metadata": {}}));
        assert_eq!(
            smp_err(
                json!({}),
                json!({"$deleteFromPrimitiveList/x": "b"}),
                &IMAGE_STREAM
            ),
            "invalid patch format of primitive list"
        );
    }

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "annotations": {"image.openshift.io/triggers": "[]"}},
            "spec": {"replicas": 2, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "web:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "ports": [{"containerPort": 8080, "protocol": "TCP"}], "args": ["--a", "--b"]},
                        {"name": "sidecar", "image": "proxy:1"},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            }},
        })
    }

    #[test]
    fn containers_merge_by_name_in_a_deployment() {
        let out = smp(
            deployment(),
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "sidecar", "image": "proxy:2"},
                {"name": "app", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                 "ports": [{"containerPort": 8080.0, "name": "http"}], "args": ["--c"]},
            ]}}}}),
            &POD_TEMPLATE_OWNERS,
        );
        let containers = &out["spec"]["template"]["spec"]["containers"];
        // The patch names both, so its order wins.
        assert_eq!(
            names(&out, "/spec/template/spec/containers"),
            ["sidecar", "app"]
        );
        assert_eq!(containers[0]["image"], "proxy:2");
        let app = &containers[1];
        assert_eq!(app["image"], "web:1");
        assert_eq!(
            app["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
        );
        // Ports merge by containerPort (8080 and 8080.0 are the same key).
        let ports = app["ports"].as_array().unwrap();
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0]["containerPort"].as_f64(), Some(8080.0));
        assert_eq!(
            (&ports[0]["protocol"], &ports[0]["name"]),
            (&json!("TCP"), &json!("http"))
        );
        // `args` is not a merge list: replaced.
        assert_eq!(app["args"], json!(["--c"]));
        assert_eq!(out["spec"]["replicas"], 2);
        assert_eq!(
            out["spec"]["template"]["spec"]["volumes"],
            deployment()["spec"]["template"]["spec"]["volumes"]
        );
    }

    #[test]
    fn pod_template_annotation_patch_as_oc_set_image_lookup_sends() {
        let out = smp(
            deployment(),
            json!({"spec": {"template": {"metadata": {"annotations": {"alpha.image.policy.openshift.io/resolve-names": "*"}}}}}),
            &POD_TEMPLATE_OWNERS,
        );
        assert_eq!(
            out["spec"]["template"]["metadata"],
            json!({"labels": {"app": "web"}, "annotations": {"alpha.image.policy.openshift.io/resolve-names": "*"}})
        );
    }

    #[test]
    fn pod_spec_lists_are_found_under_every_root() {
        let cronjob = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}]}}}}}});
        let out = smp(
            cronjob,
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "2"}]}}}}}}),
            &POD_TEMPLATE_OWNERS,
        );
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"],
            json!([{"name": "a", "image": "2"}, {"name": "b"}])
        );
        let pod = json!({"spec": {"initContainers": [{"name": "i", "volumeMounts": [{"mountPath": "/a", "name": "x"}]}]}});
        let out = smp(
            pod,
            json!({"spec": {"initContainers": [{"name": "i", "volumeMounts": [{"mountPath": "/b", "name": "y"}]}]}}),
            &POD_TEMPLATE_OWNERS,
        );
        assert_eq!(
            out["spec"]["initContainers"][0]["volumeMounts"],
            json!([{"mountPath": "/b", "name": "y"}, {"mountPath": "/a", "name": "x"}])
        );
        // Containers of the image stream schema are not merged: the list is replaced.
        let out = smp(
            deployment(),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}),
            &IMAGE_STREAM,
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app"}])
        );
    }

    #[test]
    fn non_schema_lists_are_replaced() {
        let out = smp(
            stream(),
            json!({"status": {"tags": [{"tag": "latest", "items": [{"image": "sha256:2"}]}]}, "spec": {"extra": [1, 2]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(
            out["status"]["tags"][0]["items"],
            json!([{"image": "sha256:2"}])
        );
        assert_eq!(out["spec"]["extra"], json!([1, 2]));
        // Directive items in a replaced list are dropped, not stored.
        let out = smp(
            json!({"spec": {"list": [{"a": 1}]}}),
            json!({"spec": {"list": [{"$patch": "delete", "a": 1}, {"b": {"$patch": "replace", "c": 1}}]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(out, json!({"spec": {"list": [{"b": {"c": 1}}]}}));
    }

    #[test]
    fn image_signatures_and_replaced_metadata() {
        let image = json!({
            "metadata": {"name": "sha256:1"},
            "dockerImageMetadata": {"kind": "DockerImage", "Architecture": "amd64", "Size": 1},
            "signatures": [{"name": "sha256:1@a", "conditions": [{"type": "Trusted", "status": "False"}]}],
        });
        let out = smp(
            image,
            json!({
                "dockerImageMetadata": {"Architecture": "arm64"},
                "signatures": [{"name": "sha256:1@a", "conditions": [{"type": "Trusted", "status": "True"}, {"type": "Verified"}]}],
            }),
            &IMAGE,
        );
        assert_eq!(out["dockerImageMetadata"], json!({"Architecture": "arm64"}));
        assert_eq!(
            out["signatures"],
            json!([{"name": "sha256:1@a", "conditions": [{"type": "Trusted", "status": "True"}, {"type": "Verified"}]}])
        );
    }

    #[test]
    fn new_values_are_stripped_of_directives() {
        let out = smp(
            json!({"spec": {}}),
            json!({"spec": {"tags": [
                {"name": "a", "from": {"name": "x"}, "annotations": {"k": null}},
                {"name": "gone", "$patch": "delete"},
                {"$setElementOrder/x": []},
            ], "$retainKeys": ["tags"]}}),
            &IMAGE_STREAM,
        );
        assert_eq!(
            out,
            json!({"spec": {"tags": [{"name": "a", "from": {"name": "x"}, "annotations": {}}, {}]}})
        );
        assert!(!out.to_string().contains('$'));
    }

    #[test]
    fn errors_are_bad_requests() {
        let cases = [
            (
                json!([1]),
                "invalid strategic merge patch: expected a JSON object, got list",
            ),
            (
                json!({"spec": {"$patch": "frobnicate"}}),
                "unknown patch type: frobnicate in map: {\"$patch\":\"frobnicate\"}",
            ),
            (
                json!({"spec": {"tags": [{"from": {}}]}}),
                "map: {\"from\":{}} does not contain declared merge key: name",
            ),
            (
                json!({"spec": {"tags": [{"$patch": "delete"}]}}),
                "map: {\"$patch\":\"delete\"} does not contain declared merge key: name",
            ),
            (
                json!({"spec": {"tags": [{"$patch": "merge"}]}}),
                "merging lists cannot yet be specified in the patch",
            ),
            (
                json!({"spec": {"tags": [["a"]]}}),
                "lists of lists are not supported",
            ),
            (
                json!({"spec": {"tags": ["a"]}}),
                "list element types are not identical: [[{\"from\":{\"kind\":\"DockerImage\",\"name\":\"quay.io/a:latest\"},\"name\":\"latest\",\"annotations\":null},{\"from\":{\"kind\":\"ImageStreamTag\",\"name\":\"web:latest\"},\"importPolicy\":{\"scheduled\":true},\"name\":\"stable\"},{\"from\":{\"kind\":\"DockerImage\",\"name\":\"quay.io/a:old\"},\"name\":\"old\"}] [\"a\"]]",
            ),
            (
                json!({"spec": {"$retainKeys": "tags"}}),
                "invalid patch format of retainKeys",
            ),
            (
                json!({"spec": {"$setElementOrder/tags": {"name": "a"}}}),
                "invalid patch format of setElementOrder list",
            ),
            (
                json!({"spec": {"$setElementOrder/tags": [{"name": "a"}], "tags": {"name": "a"}}}),
                "expected a list for tags, but received a map",
            ),
        ];
        for (patch, want) in cases {
            let got = smp_err(stream(), patch.clone(), &IMAGE_STREAM);
            if want.starts_with("list element types") {
                assert!(
                    got.starts_with("list element types are not identical"),
                    "{patch}: {got}"
                );
            } else {
                assert_eq!(got, want, "{patch}");
            }
        }
    }

    #[test]
    fn schema_paths() {
        let p = |s: &'static str| -> Vec<&'static str> {
            s.split('.')
                .flat_map(|part| match part.strip_suffix("[]") {
                    Some(name) => vec![name, ITEM],
                    None => vec![part],
                })
                .collect()
        };
        assert!(matches!(
            IMAGE_STREAM.strategy(&p("spec.tags")),
            Strategy::Merge("name")
        ));
        assert!(matches!(
            IMAGE_STREAM.strategy(&p("spec.tags[].from")),
            Strategy::Default
        ));
        assert!(matches!(
            IMAGE.strategy(&p("signatures[].conditions")),
            Strategy::Merge("type")
        ));
        assert!(matches!(
            IMAGE.strategy(&p("dockerImageMetadata")),
            Strategy::Replace
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("spec.template.spec.containers[].env")),
            Strategy::Merge("name")
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("spec.containers[].ports")),
            Strategy::Merge("containerPort")
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("spec.template.spec.containers")),
            Strategy::Merge("name")
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("spec.template.spec.containers[].args")),
            Strategy::Default
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("metadata.finalizers")),
            Strategy::Merge("")
        ));
        assert!(matches!(
            POD_TEMPLATE_OWNERS.strategy(&p("spec.template")),
            Strategy::Default
        ));
    }
}

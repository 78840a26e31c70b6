//! OpenAPI v3: the `/openapi/v3` index and one document per group version, with real component
//! schemas generated from the wire types (so `kubectl explain` works) and operations that carry
//! `x-kubernetes-group-version-kind` and declare `fieldValidation` on PATCH (so `kubectl apply`
//! leaves validation to the server). `/openapi/v2` stays a 404 (test-peers §6).

use std::sync::LazyLock;

use axum::Router;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{DeleteOptions, Status};
use k8s_openapi::schemars::SchemaGenerator;
use k8s_openapi::schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use tagplane_api::image::{
    Image, ImageSignature, ImageStream, ImageStreamImage, ImageStreamImport, ImageStreamLayers,
    ImageStreamMapping, ImageStreamTag, ImageTag,
};
use tagplane_api::meta::ListMeta;

use super::AppState;
use super::discovery::{self, IMAGE_GROUP, ResourceInfo, VERSION, sha256_hex};

/// Schema-name prefix of the image group's types (as OpenShift publishes them).
pub const IMAGE_PREFIX: &str = "com.github.openshift.api.image.v1.";
/// Schema-name prefix of core/v1 types.
pub const CORE_PREFIX: &str = "io.k8s.api.core.v1.";
/// Schema-name prefix of rbac/v1 types.
pub const RBAC_PREFIX: &str = "io.k8s.api.rbac.v1.";
/// The RBAC API group.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// Schema-name prefix of meta/v1 types.
pub const META_PREFIX: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

const REF_PREFIX: &str = "#/components/schemas/";

const API_VERSION_DOC: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DOC: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// One served OpenAPI document: its bytes and their hash.
#[derive(Debug)]
pub struct Doc {
    /// `api/v1` or `apis/<group>/<version>`.
    pub path: String,
    /// The JSON document.
    pub body: Vec<u8>,
    /// Upper-case hex SHA-256 of `body`.
    pub hash: String,
}

impl Doc {
    fn new(path: &str, doc: &Value) -> Self {
        let body = serde_json::to_vec(doc).unwrap_or_default();
        let hash = sha256_hex(&body);
        Doc {
            path: path.to_owned(),
            body,
            hash,
        }
    }
}

/// Every document, built once.
static DOCS: LazyLock<Vec<Doc>> = LazyLock::new(|| {
    vec![
        Doc::new("api/v1", &group_version_document("")),
        Doc::new(
            &format!("apis/{IMAGE_GROUP}/{VERSION}"),
            &group_version_document(IMAGE_GROUP),
        ),
        Doc::new(
            &format!("apis/{RBAC_GROUP}/{VERSION}"),
            &group_version_document(RBAC_GROUP),
        ),
    ]
});

/// The `/openapi/v3` index: each group version's document with its hash.
pub fn index() -> Value {
    let paths: Map<String, Value> = DOCS
        .iter()
        .map(|d| {
            (
                d.path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{}?hash={}", d.path, d.hash)}),
            )
        })
        .collect();
    json!({ "paths": paths })
}

/// The schema-name prefix of a group's kinds.
fn prefix_of(group: &str) -> &'static str {
    match group {
        "" => CORE_PREFIX,
        RBAC_GROUP => RBAC_PREFIX,
        _ => IMAGE_PREFIX,
    }
}

/// Generate the component schemas of one group version.
fn raw_definitions(group: &str) -> Map<String, Value> {
    let mut generator = SchemaGenerator::new(SchemaSettings::openapi3());
    generator.subschema_for::<Status>();
    generator.subschema_for::<DeleteOptions>();
    generator.subschema_for::<ListMeta>();
    if group == RBAC_GROUP {
        generator.subschema_for::<k8s_openapi::api::rbac::v1::Role>();
        generator.subschema_for::<k8s_openapi::api::rbac::v1::ClusterRole>();
        generator.subschema_for::<k8s_openapi::api::rbac::v1::RoleBinding>();
        generator.subschema_for::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>();
    } else if group.is_empty() {
        generator.subschema_for::<Namespace>();
        generator.subschema_for::<Secret>();
        generator.subschema_for::<k8s_openapi::api::core::v1::ServiceAccount>();
        generator.subschema_for::<k8s_openapi::api::authentication::v1::TokenRequest>();
    } else {
        generator.subschema_for::<ImageStream>();
        generator.subschema_for::<Image>();
        generator.subschema_for::<ImageSignature>();
        generator.subschema_for::<ImageStreamTag>();
        generator.subschema_for::<ImageTag>();
        generator.subschema_for::<ImageStreamImage>();
        generator.subschema_for::<ImageStreamMapping>();
        generator.subschema_for::<ImageStreamImport>();
        generator.subschema_for::<ImageStreamLayers>();
        generator.subschema_for::<Secret>();
    }
    generator.take_definitions(true)
}

/// The published name of a schema generated as `name`: our own types get OpenShift's dotted
/// names (core's for the two reference types), k8s-openapi names stay.
fn published_name(name: &str) -> String {
    if name.contains('.') {
        return name.to_owned();
    }
    match name {
        "ObjectReference" | "LocalObjectReference" => format!("{CORE_PREFIX}{name}"),
        _ => format!("{IMAGE_PREFIX}{name}"),
    }
}

/// The schema of `<Kind>List` whose items are the schema `item`.
fn list_schema(kind: &str, item: &str) -> Value {
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": API_VERSION_DOC, "type": "string"},
            "kind": {"description": KIND_DOC, "type": "string"},
            "metadata": {
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                "allOf": [schema_ref(&format!("{META_PREFIX}ListMeta"))],
                "default": {},
            },
            "items": {
                "description": format!("Items is a list of {kind} objects."),
                "type": "array",
                "items": schema_ref(item),
            },
        },
    })
}

/// Rewrite every `$ref` under `value` through `rename`.
fn rewrite_refs(value: &mut Value, rename: &dyn Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref")
                && let Some(name) = r.strip_prefix(REF_PREFIX)
            {
                *r = format!("{REF_PREFIX}{}", rename(name));
            }
            for v in map.values_mut() {
                rewrite_refs(v, rename);
            }
        }
        Value::Array(items) => {
            for v in items {
                rewrite_refs(v, rename);
            }
        }
        _ => {}
    }
}

/// Make generated schemas read like Kubernetes' own: `Option<$ref>` (`anyOf` of the ref and
/// `null`) becomes a single-element `allOf` marked nullable, which `kubectl explain` follows;
/// descriptions lose the spec citations and Markdown backticks of our doc comments.
fn kubernetes_style(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(any)) = map.get("anyOf")
                && any.len() == 2
                && let Some(pos) = any
                    .iter()
                    .position(|v| v.get("enum") == Some(&json!([null])))
            {
                let other = any[1 - pos].clone();
                map.remove("anyOf");
                map.insert("nullable".into(), json!(true));
                match other {
                    Value::Object(o) if o.contains_key("$ref") => {
                        map.insert("allOf".into(), json!([Value::Object(o)]));
                    }
                    Value::Object(o) => map.extend(o),
                    _ => {}
                }
            }
            if let Some(Value::String(d)) = map.get_mut("description") {
                *d = clean_description(d);
            }
            for v in map.values_mut() {
                kubernetes_style(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(kubernetes_style),
        _ => {}
    }
}

/// `d` without ` (spec §…)` citations and backticks.
fn clean_description(d: &str) -> String {
    let mut out = String::with_capacity(d.len());
    let mut rest = d;
    while let Some(i) = rest.find(" (spec ") {
        out.push_str(&rest[..i]);
        rest = match rest[i..].find(')') {
            Some(j) => &rest[i + j + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out.replace('`', "")
}

/// `x-kubernetes-group-version-kind` value of a schema.
fn gvk_list(group: &str, kind: &str) -> Value {
    json!([{"group": group, "kind": kind, "version": VERSION}])
}

/// The component schemas of one group version, with published names, the GVK extension on
/// every top-level kind, and Kubernetes' descriptions of `apiVersion` and `kind`.
pub fn component_schemas(group: &str) -> Map<String, Value> {
    let raw = raw_definitions(group);
    let rename = |name: &str| published_name(name);
    let mut out: Map<String, Value> = Map::new();
    for (name, mut schema) in raw {
        rewrite_refs(&mut schema, &rename);
        kubernetes_style(&mut schema);
        out.insert(rename(&name), schema);
    }
    let prefix = prefix_of(group);
    let mut kinds: Vec<&str> = Vec::new();
    for r in discovery::resources_of(group, VERSION) {
        kinds.push(r.kind);
        for s in r.subresources {
            kinds.push(s.kind);
        }
    }
    let mut lists: Vec<String> = discovery::resources_of(group, VERSION)
        .filter(|r| r.verbs.contains(&"list"))
        .map(|r| r.kind.to_owned())
        .collect();
    if group == IMAGE_GROUP {
        // the body of imagestreams/{name}/secrets: a core SecretList re-typed into this group
        lists.push("Secret".to_owned());
    }
    for kind in &lists {
        let item = if kind == "Secret" {
            format!("{CORE_PREFIX}Secret")
        } else {
            format!("{}{kind}", prefix_of(group))
        };
        out.insert(
            format!("{}{kind}List", prefix_of(group)),
            list_schema(kind, &item),
        );
    }
    let list_kinds: Vec<String> = lists.iter().map(|k| format!("{k}List")).collect();
    kinds.extend(list_kinds.iter().map(String::as_str));
    for kind in kinds {
        if let Some(Value::Object(schema)) = out.get_mut(&format!("{prefix}{kind}")) {
            schema.insert(
                "x-kubernetes-group-version-kind".into(),
                gvk_list(group, kind),
            );
            if let Some(Value::Object(props)) = schema.get_mut("properties") {
                for (field, doc) in [("apiVersion", API_VERSION_DOC), ("kind", KIND_DOC)] {
                    if let Some(Value::Object(p)) = props.get_mut(field) {
                        p.insert("description".into(), json!(doc));
                    }
                }
            }
        }
    }
    let meta_gvk = |kind: &str| {
        let mut v = vec![json!({"group": "", "kind": kind, "version": "v1"})];
        if !group.is_empty() {
            v.push(json!({"group": group, "kind": kind, "version": VERSION}));
        }
        Value::Array(v)
    };
    for kind in ["Status", "DeleteOptions"] {
        if let Some(Value::Object(schema)) = out.get_mut(&format!("{META_PREFIX}{kind}")) {
            schema.insert("x-kubernetes-group-version-kind".into(), meta_gvk(kind));
        }
    }
    out.insert(
        format!("{META_PREFIX}Patch"),
        json!({
            "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            "type": "object",
        }),
    );
    out
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{REF_PREFIX}{name}") })
}

fn query(name: &str, type_: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": type_, "uniqueItems": true}})
}

fn path_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "description": description, "required": true, "schema": {"type": "string", "uniqueItems": true}})
}

fn write_params(patch: bool) -> Vec<Value> {
    let mut v = vec![
        query(
            "dryRun",
            "string",
            "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
        ),
        query(
            "fieldManager",
            "string",
            "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.",
        ),
        query(
            "fieldValidation",
            "string",
            "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
        ),
    ];
    if patch {
        v.push(query("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests."));
    }
    v
}

fn list_params() -> Vec<Value> {
    vec![
        query(
            "allowWatchBookmarks",
            "boolean",
            "allowWatchBookmarks requests watch events with type \"BOOKMARK\".",
        ),
        query(
            "continue",
            "string",
            "The continue option should be set when retrieving more results from the server.",
        ),
        query(
            "fieldSelector",
            "string",
            "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
        ),
        query(
            "labelSelector",
            "string",
            "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
        ),
        query(
            "limit",
            "integer",
            "limit is a maximum number of responses to return for a list call.",
        ),
        query(
            "resourceVersion",
            "string",
            "resourceVersion sets a constraint on what resource versions a request may be served from.",
        ),
        query(
            "resourceVersionMatch",
            "string",
            "resourceVersionMatch determines how resourceVersion is applied to list calls.",
        ),
        query(
            "timeoutSeconds",
            "integer",
            "Timeout for the list/watch call.",
        ),
        query(
            "watch",
            "boolean",
            "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
        ),
    ]
}

fn delete_params() -> Vec<Value> {
    vec![
        query(
            "dryRun",
            "string",
            "When present, indicates that modifications should not be persisted.",
        ),
        query(
            "gracePeriodSeconds",
            "integer",
            "The duration in seconds before the object should be deleted.",
        ),
        query(
            "propagationPolicy",
            "string",
            "Whether and how garbage collection will be performed.",
        ),
    ]
}

fn responses(code: &str, schema: &str) -> Value {
    let body = json!({"schema": schema_ref(schema)});
    json!({
        code: {"description": if code == "201" { "Created" } else { "OK" }, "content": {"application/json": body.clone(), "application/yaml": body}},
        "401": {"description": "Unauthorized"},
    })
}

/// `ImageOpenshiftIoV1` / `CoreV1`, the group part of operation ids.
fn op_group(group: &str) -> String {
    if group.is_empty() {
        return "CoreV1".to_owned();
    }
    let mut out = String::new();
    for part in group.split('.') {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str("V1");
    out
}

/// Everything that differs between the operations of one path.
struct Op<'a> {
    r: &'a ResourceInfo,
    group: &'a str,
    kind: &'a str,
    suffix: &'a str,
}

impl Op<'_> {
    fn build(
        &self,
        method: &str,
        action: &str,
        id_verb: &str,
        extra: Vec<Value>,
        body: Option<Value>,
        resp: Value,
    ) -> (String, Value) {
        let scope = if self.r.namespaced && action != "list-all" {
            "Namespaced"
        } else {
            ""
        };
        let for_all = if action == "list-all" {
            "ForAllNamespaces"
        } else {
            ""
        };
        let mut op = json!({
            "tags": [op_group(self.r.group)],
            "operationId": format!("{id_verb}{}{scope}{}{}{for_all}", op_group(self.r.group), self.r.kind, self.suffix),
            "parameters": extra,
            "responses": resp,
            "x-kubernetes-action": if action == "list-all" { "list" } else { action },
            "x-kubernetes-group-version-kind": {"group": self.group, "version": VERSION, "kind": self.kind},
        });
        if let Some(b) = body {
            op["requestBody"] = b;
        }
        (method.to_owned(), op)
    }
}

fn object_body(schema: &str) -> Value {
    json!({"content": {"*/*": {"schema": schema_ref(schema)}}, "required": true})
}

fn patch_body() -> Value {
    let patch = json!({"schema": schema_ref(&format!("{META_PREFIX}Patch"))});
    // Strategic merge patch is served but not advertised: kubectl would then compute apply
    // patches from these schemas, which carry no patch merge keys; JSON merge patches are exact.
    json!({
        "content": {
            "application/apply-patch+yaml": patch.clone(),
            "application/json-patch+json": patch.clone(),
            "application/merge-patch+json": patch,
        },
        "required": true,
    })
}

fn path_item(params: Vec<Value>, ops: Vec<(String, Value)>) -> Option<Value> {
    if ops.is_empty() {
        return None;
    }
    let mut item = Map::new();
    for (method, op) in ops {
        item.insert(method, op);
    }
    item.insert("parameters".into(), Value::Array(params));
    Some(Value::Object(item))
}

/// The paths of one resource (collection, object, subresources, all-namespaces list).
fn resource_paths(r: &ResourceInfo) -> Vec<(String, Value)> {
    let prefix = prefix_of(r.group);
    let base = if r.group.is_empty() {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    let ns_seg = if r.namespaced {
        "/namespaces/{namespace}"
    } else {
        ""
    };
    let has = |v: &str| r.verbs.contains(&v);
    let kind_schema = format!("{prefix}{}", r.kind);
    let list_schema = format!("{prefix}{}List", r.kind);
    let status_schema = format!("{META_PREFIX}Status");
    let mut ns_params = Vec::new();
    if r.namespaced {
        ns_params.push(path_param(
            "namespace",
            "object name and auth scope, such as for teams and projects",
        ));
    }
    let mut name_params = vec![path_param("name", &format!("name of the {}", r.kind))];
    name_params.extend(ns_params.iter().cloned());
    let op = Op {
        r,
        group: r.group,
        kind: r.kind,
        suffix: "",
    };
    let mut out = Vec::new();

    // collection
    let mut ops = Vec::new();
    if has("list") {
        ops.push(op.build(
            "get",
            "list",
            "list",
            list_params(),
            None,
            responses("200", &list_schema),
        ));
    }
    if has("create") {
        let resp = if r.kind == "ImageStreamMapping" {
            &status_schema
        } else {
            &kind_schema
        };
        ops.push(op.build(
            "post",
            "post",
            "create",
            write_params(false),
            Some(object_body(&kind_schema)),
            responses("201", resp),
        ));
    }
    if has("deletecollection") {
        let mut params = list_params();
        params.extend(delete_params());
        ops.push(op.build(
            "delete",
            "deletecollection",
            "deletecollection",
            params,
            Some(json!({"content": {"*/*": {"schema": schema_ref(&format!("{META_PREFIX}DeleteOptions"))}}})),
            responses("200", &status_schema),
        ));
    }
    if let Some(item) = path_item(ns_params.clone(), ops) {
        out.push((format!("{base}{ns_seg}/{}", r.plural), item));
    }

    // object
    let mut ops = Vec::new();
    if has("get") {
        ops.push(op.build(
            "get",
            "get",
            "read",
            vec![],
            None,
            responses("200", &kind_schema),
        ));
    }
    if has("update") {
        ops.push(op.build(
            "put",
            "put",
            "replace",
            write_params(false),
            Some(object_body(&kind_schema)),
            responses("200", &kind_schema),
        ));
    }
    if has("patch") {
        ops.push(op.build(
            "patch",
            "patch",
            "patch",
            write_params(true),
            Some(patch_body()),
            responses("200", &kind_schema),
        ));
    }
    if has("delete") {
        ops.push(op.build(
            "delete",
            "delete",
            "delete",
            delete_params(),
            Some(json!({"content": {"*/*": {"schema": schema_ref(&format!("{META_PREFIX}DeleteOptions"))}}})),
            responses("200", &kind_schema),
        ));
    }
    if let Some(item) = path_item(name_params.clone(), ops) {
        out.push((format!("{base}{ns_seg}/{}/{{name}}", r.plural), item));
    }

    // subresources
    for s in r.subresources {
        let schema = format!("{}{}", prefix_of(s.group), s.kind);
        let mut suffix = s.name.to_owned();
        if let Some(first) = suffix.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let sop = Op {
            r,
            group: s.group,
            kind: s.kind,
            suffix: &suffix,
        };
        let mut ops = Vec::new();
        if s.verbs.contains(&"get") {
            let params = if s.name == "secrets" {
                list_params()
            } else {
                vec![]
            };
            ops.push(sop.build(
                "get",
                "get",
                "read",
                params,
                None,
                responses("200", &schema),
            ));
        }
        if s.verbs.contains(&"update") {
            ops.push(sop.build(
                "put",
                "put",
                "replace",
                write_params(false),
                Some(object_body(&schema)),
                responses("200", &schema),
            ));
        }
        if s.verbs.contains(&"patch") {
            ops.push(sop.build(
                "patch",
                "patch",
                "patch",
                write_params(true),
                Some(patch_body()),
                responses("200", &schema),
            ));
        }
        if let Some(item) = path_item(name_params.clone(), ops) {
            out.push((
                format!("{base}{ns_seg}/{}/{{name}}/{}", r.plural, s.name),
                item,
            ));
        }
    }

    // list across namespaces
    if r.namespaced && has("list") {
        let ops = vec![op.build(
            "get",
            "list-all",
            "list",
            list_params(),
            None,
            responses("200", &list_schema),
        )];
        if let Some(item) = path_item(vec![], ops) {
            out.push((format!("{base}/{}", r.plural), item));
        }
    }
    out
}

/// The OpenAPI v3 document of one group (`""` is core/v1).
pub fn group_version_document(group: &str) -> Value {
    let mut paths = Map::new();
    for r in discovery::resources_of(group, VERSION) {
        for (p, item) in resource_paths(r) {
            paths.insert(p, item);
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "tagplane", "version": concat!("v1.33.0+tagplane-", env!("CARGO_PKG_VERSION"))},
        "paths": paths,
        "components": {"schemas": component_schemas(group)},
    })
}

fn respond(headers: &HeaderMap, body: &[u8], hash: &str, immutable: bool) -> Response {
    let etag = format!("\"{hash}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body.to_vec()).into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, immutable"
        } else {
            "no-cache, private"
        }),
    );
    resp
}

async fn index_handler(headers: HeaderMap) -> Response {
    let body = serde_json::to_vec(&index()).unwrap_or_default();
    let hash = sha256_hex(&body);
    respond(&headers, &body, &hash, false)
}

fn serve_doc(path: &str, headers: &HeaderMap, query: Option<&str>) -> Response {
    match DOCS.iter().find(|d| d.path == path) {
        Some(d) => {
            let immutable = query
                .unwrap_or("")
                .split('&')
                .any(|kv| kv.strip_prefix("hash=").is_some_and(|h| h == d.hash));
            respond(headers, &d.body, &d.hash, immutable)
        }
        None => crate::error::ApiError::not_found("", "", path).into_response(),
    }
}

async fn core_doc(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    serve_doc("api/v1", &headers, q.as_deref())
}

async fn rbac_doc(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    serve_doc(
        &format!("apis/{RBAC_GROUP}/{VERSION}"),
        &headers,
        q.as_deref(),
    )
}

async fn image_doc(headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    serve_doc(
        &format!("apis/{IMAGE_GROUP}/{VERSION}"),
        &headers,
        q.as_deref(),
    )
}

/// OpenAPI routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi/v3", get(index_handler))
        .route("/openapi/v3/", get(index_handler))
        .route("/openapi/v3/api/v1", get(core_doc))
        .route("/openapi/v3/apis/image.openshift.io/v1", get(image_doc))
        .route(
            "/openapi/v3/apis/rbac.authorization.k8s.io/v1",
            get(rbac_doc),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_doc() -> Value {
        group_version_document(IMAGE_GROUP)
    }

    /// Follow `$ref` / single-`allOf` wrappers the way `kubectl explain` does.
    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.strip_prefix(REF_PREFIX).unwrap();
            return resolve(doc, &doc["components"]["schemas"][name]);
        }
        if let Some([one]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            && schema.get("properties").is_none()
        {
            return resolve(doc, one);
        }
        schema
    }

    #[test]
    fn patch_operations_declare_field_validation_and_gvk() {
        let doc = image_doc();
        let path =
            &doc["paths"]["/apis/image.openshift.io/v1/namespaces/{namespace}/imagestreams/{name}"];
        let patch = &path["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "image.openshift.io", "version": "v1", "kind": "ImageStream"})
        );
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        );
        assert!(
            patch["requestBody"]["content"]
                .get("application/merge-patch+json")
                .is_some()
        );
        assert!(
            patch["requestBody"]["content"]
                .get("application/strategic-merge-patch+json")
                .is_none()
        );
        // every PATCH in every document declares fieldValidation and a GVK
        for g in ["", IMAGE_GROUP, RBAC_GROUP] {
            let d = group_version_document(g);
            for (p, item) in d["paths"].as_object().unwrap() {
                if let Some(op) = item.get("patch") {
                    assert!(
                        op["x-kubernetes-group-version-kind"]["kind"].is_string(),
                        "{p}"
                    );
                    assert!(
                        op["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x["name"] == "fieldValidation"),
                        "{p}"
                    );
                }
                for (_, op) in item
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| *k != "parameters")
                {
                    assert!(op.get("x-kubernetes-group-version-kind").is_some(), "{p}");
                    assert!(op["operationId"].is_string(), "{p}");
                }
            }
        }
    }

    #[test]
    fn operations_cover_the_verbs_of_discovery() {
        let doc = image_doc();
        let paths = doc["paths"].as_object().unwrap();
        let base = "/apis/image.openshift.io/v1";
        assert!(
            paths[&format!("{base}/namespaces/{{namespace}}/imagestreams")]
                .get("post")
                .is_some()
        );
        assert!(
            paths[&format!("{base}/namespaces/{{namespace}}/imagestreams")]
                .get("delete")
                .is_some()
        );
        assert!(paths[&format!("{base}/imagestreams")].get("get").is_some());
        assert_eq!(
            paths[&format!("{base}/namespaces/{{namespace}}/imagestreams/{{name}}/status")]["put"]
                ["operationId"],
            "replaceImageOpenshiftIoV1NamespacedImageStreamStatus"
        );
        assert_eq!(
            paths[&format!("{base}/namespaces/{{namespace}}/imagestreams/{{name}}/layers")]["get"]
                ["x-kubernetes-group-version-kind"]["kind"],
            "ImageStreamLayers"
        );
        // create-only and get-only resources have exactly those operations
        let mappings = &paths[&format!("{base}/namespaces/{{namespace}}/imagestreammappings")];
        assert!(mappings.get("post").is_some() && mappings.get("get").is_none());
        assert!(!paths.contains_key(&format!(
            "{base}/namespaces/{{namespace}}/imagestreammappings/{{name}}"
        )));
        let sigs = &paths[&format!("{base}/imagesignatures/{{name}}")];
        assert!(sigs.get("delete").is_some() && sigs.get("get").is_none());
        assert!(paths.contains_key(&format!("{base}/images/{{name}}")));
        let core = group_version_document("");
        assert_eq!(
            core["paths"]["/api/v1/namespaces/{name}"]["get"]["x-kubernetes-group-version-kind"],
            json!({"group": "", "version": "v1", "kind": "Namespace"})
        );
        assert!(core["paths"]["/api/v1/namespaces/{namespace}/secrets"]["get"].is_object());
    }

    #[test]
    fn every_referenced_schema_exists() {
        for g in ["", IMAGE_GROUP, RBAC_GROUP] {
            let doc = group_version_document(g);
            let schemas = doc["components"]["schemas"].as_object().unwrap();
            let mut refs = Vec::new();
            fn collect(v: &Value, out: &mut Vec<String>) {
                match v {
                    Value::Object(m) => {
                        if let Some(Value::String(r)) = m.get("$ref") {
                            out.push(r.clone());
                        }
                        m.values().for_each(|x| collect(x, out));
                    }
                    Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                    _ => {}
                }
            }
            collect(&doc, &mut refs);
            assert!(!refs.is_empty());
            for r in refs {
                let name = r
                    .strip_prefix(REF_PREFIX)
                    .unwrap_or_else(|| panic!("bad ref {r}"));
                assert!(
                    schemas.contains_key(name),
                    "{g}: {name} is referenced but missing"
                );
            }
            for name in schemas.keys() {
                assert!(name.contains('.'), "{name} has no published name");
            }
        }
    }

    #[test]
    fn kinds_carry_gvk_and_descriptions_for_explain() {
        let doc = image_doc();
        let schemas = &doc["components"]["schemas"];
        let is = &schemas["com.github.openshift.api.image.v1.ImageStream"];
        assert_eq!(
            is["x-kubernetes-group-version-kind"],
            gvk_list(IMAGE_GROUP, "ImageStream")
        );
        assert!(is["description"].as_str().unwrap().contains("image stream"));
        assert_eq!(is["properties"]["kind"]["description"], KIND_DOC);
        assert_eq!(
            schemas["com.github.openshift.api.image.v1.ImageStreamList"]["x-kubernetes-group-version-kind"],
            gvk_list(IMAGE_GROUP, "ImageStreamList")
        );
        // imagestream.spec.tags resolves through refs to TagReference, with descriptions
        let spec = resolve(&doc, &is["properties"]["spec"]);
        let tags = &spec["properties"]["tags"];
        assert_eq!(tags["type"], "array");
        assert!(tags["description"].as_str().unwrap().contains("Spec tags"));
        let tag_ref = resolve(&doc, &tags["items"]);
        assert!(tag_ref["properties"]["from"].is_object());
        assert!(tag_ref["properties"]["importPolicy"].is_object());
        // the field's own description survives next to its $ref
        assert!(
            is["properties"]["spec"]["description"]
                .as_str()
                .unwrap()
                .contains("Desired state")
        );
        // metadata is Kubernetes' ObjectMeta
        let meta = resolve(&doc, &is["properties"]["metadata"]);
        assert!(meta["properties"]["resourceVersion"].is_object());
        assert_eq!(
            schemas["com.github.openshift.api.image.v1.TagReferencePolicy"]["required"],
            json!(["type"])
        );
        let core = group_version_document("");
        let ns = &core["components"]["schemas"]["io.k8s.api.core.v1.Namespace"];
        assert_eq!(
            ns["x-kubernetes-group-version-kind"],
            gvk_list("", "Namespace")
        );
        assert!(core["components"]["schemas"]["io.k8s.api.core.v1.SecretList"].is_object());
    }

    #[test]
    fn optional_refs_are_explainable() {
        let doc = image_doc();
        let tag_ref =
            &doc["components"]["schemas"]["com.github.openshift.api.image.v1.TagReference"];
        let from = &tag_ref["properties"]["from"];
        assert!(from.get("anyOf").is_none());
        assert_eq!(from["nullable"], true);
        assert_eq!(resolve(&doc, from)["properties"]["kind"]["type"], "string");
        assert_eq!(from["description"], "Source of the tag.");
        assert_eq!(
            clean_description("An image stream: tags, with history (spec §2.1). `x` ok"),
            "An image stream: tags, with history. x ok"
        );
        assert_eq!(clean_description("a (spec §4.3); b (spec §1"), "a; b");
    }

    #[test]
    fn index_lists_each_document_with_its_hash() {
        let idx = index();
        let url = idx["paths"]["apis/image.openshift.io/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap();
        let hash = url
            .strip_prefix("/openapi/v3/apis/image.openshift.io/v1?hash=")
            .unwrap();
        assert_eq!(hash.len(), 64);
        assert!(
            idx["paths"]["api/v1"]["serverRelativeURL"]
                .as_str()
                .unwrap()
                .starts_with("/openapi/v3/api/v1?hash=")
        );
        // the documents are deterministic, so the hash is stable across builds of the doc
        assert_eq!(
            sha256_hex(&serde_json::to_vec(&group_version_document(IMAGE_GROUP)).unwrap()),
            hash
        );
    }
}

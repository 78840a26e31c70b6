//! API discovery: the static table of every resource we serve, answered as aggregated discovery
//! (`apidiscovery.k8s.io/v2` or `v2beta1`, whichever the client lists) or as the legacy
//! documents (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`) for plain JSON
//! (test-peers §6).

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;

/// The API group of the image resources.
pub const IMAGE_GROUP: &str = "image.openshift.io";
/// The only version we serve of every group.
pub const VERSION: &str = "v1";

/// Verbs of a fully served resource (sorted, as Kubernetes lists them).
const CRUD_WATCH: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A subresource of a served resource (`imagestreams/status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubresourceInfo {
    /// Path segment after the object name (`status`).
    pub name: &'static str,
    /// Group of the kind read and written through it.
    pub group: &'static str,
    /// Kind read and written through it.
    pub kind: &'static str,
    /// Verbs, sorted.
    pub verbs: &'static [&'static str],
}

/// Static facts about one served resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version.
    pub version: &'static str,
    /// Plural, the REST path segment.
    pub plural: &'static str,
    /// Singular name (what `kubectl explain` and `get` accept too).
    pub singular: &'static str,
    /// Kind of the objects.
    pub kind: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Verbs, sorted.
    pub verbs: &'static [&'static str],
    /// Short names (`is`).
    pub short_names: &'static [&'static str],
    /// Categories (`all`).
    pub categories: &'static [&'static str],
    /// Subresources.
    pub subresources: &'static [SubresourceInfo],
}

/// `group/version`, or just the version for the core group.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Every resource the server serves (spec §1 for the image group).
pub const RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        group: "",
        version: VERSION,
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        short_names: &["ns"],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: "",
        version: VERSION,
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        verbs: CRUD_WATCH,
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "images",
        singular: "image",
        kind: "Image",
        namespaced: false,
        verbs: CRUD_WATCH,
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagesignatures",
        singular: "imagesignature",
        kind: "ImageSignature",
        namespaced: false,
        verbs: &["create", "delete"],
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagestreamimages",
        singular: "imagestreamimage",
        kind: "ImageStreamImage",
        namespaced: true,
        verbs: &["get"],
        short_names: &["isimage"],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagestreamimports",
        singular: "imagestreamimport",
        kind: "ImageStreamImport",
        namespaced: true,
        verbs: &["create"],
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagestreammappings",
        singular: "imagestreammapping",
        kind: "ImageStreamMapping",
        namespaced: true,
        verbs: &["create"],
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagestreams",
        singular: "imagestream",
        kind: "ImageStream",
        namespaced: true,
        verbs: CRUD_WATCH,
        short_names: &["is"],
        categories: &["all"],
        subresources: &[
            SubresourceInfo {
                name: "layers",
                group: IMAGE_GROUP,
                kind: "ImageStreamLayers",
                verbs: &["get"],
            },
            SubresourceInfo {
                name: "secrets",
                group: IMAGE_GROUP,
                kind: "SecretList",
                verbs: &["get"],
            },
            SubresourceInfo {
                name: "status",
                group: IMAGE_GROUP,
                kind: "ImageStream",
                verbs: &["get", "patch", "update"],
            },
        ],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagestreamtags",
        singular: "imagestreamtag",
        kind: "ImageStreamTag",
        namespaced: true,
        verbs: &["create", "delete", "get", "list", "patch", "update"],
        short_names: &["istag"],
        categories: &[],
        subresources: &[],
    },
    ResourceInfo {
        group: IMAGE_GROUP,
        version: VERSION,
        plural: "imagetags",
        singular: "imagetag",
        kind: "ImageTag",
        namespaced: true,
        verbs: &["create", "delete", "get", "list", "patch", "update"],
        short_names: &["itag"],
        categories: &[],
        subresources: &[],
    },
];

/// RBAC, access reviews and projects (issue 7); kept apart from the image table above.
const ACCESS_RESOURCES: &[ResourceInfo] = &[
    rbac_resource(
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        false,
    ),
    rbac_resource("clusterroles", "clusterrole", "ClusterRole", false),
    rbac_resource("rolebindings", "rolebinding", "RoleBinding", true),
    rbac_resource("roles", "role", "Role", true),
    create_only(
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        "selfsubjectaccessreview",
        "SelfSubjectAccessReview",
    ),
    create_only(
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        "selfsubjectrulesreview",
        "SelfSubjectRulesReview",
    ),
    create_only(
        "authorization.k8s.io",
        "subjectaccessreviews",
        "subjectaccessreview",
        "SubjectAccessReview",
    ),
    ResourceInfo {
        group: "project.openshift.io",
        version: VERSION,
        plural: "projects",
        singular: "project",
        kind: "Project",
        namespaced: false,
        verbs: &["delete", "get", "list"],
        short_names: &[],
        categories: &[],
        subresources: &[],
    },
    create_only(
        "project.openshift.io",
        "projectrequests",
        "projectrequest",
        "ProjectRequest",
    ),
    ResourceInfo {
        group: "",
        version: VERSION,
        plural: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        namespaced: true,
        verbs: CRUD_WATCH,
        short_names: &["sa"],
        categories: &[],
        subresources: &[SubresourceInfo {
            name: "token",
            group: "authentication.k8s.io",
            kind: "TokenRequest",
            verbs: &["create"],
        }],
    },
    create_only(
        "authentication.k8s.io",
        "selfsubjectreviews",
        "selfsubjectreview",
        "SelfSubjectReview",
    ),
];

const fn rbac_resource(
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceInfo {
    ResourceInfo {
        group: "rbac.authorization.k8s.io",
        version: VERSION,
        plural,
        singular,
        kind,
        namespaced,
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        short_names: &[],
        categories: &[],
        subresources: &[],
    }
}

const fn create_only(
    group: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
) -> ResourceInfo {
    ResourceInfo {
        group,
        version: VERSION,
        plural,
        singular,
        kind,
        namespaced: false,
        verbs: &["create"],
        short_names: &[],
        categories: &[],
        subresources: &[],
    }
}

/// Every served resource: [`RESOURCES`] and the access-control ones.
pub fn all_resources() -> impl Iterator<Item = &'static ResourceInfo> {
    RESOURCES.iter().chain(ACCESS_RESOURCES)
}

/// The groups we serve, in discovery order (core first, then by name), each with its version.
pub fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in all_resources() {
        if !out.contains(&r.group) {
            out.push(r.group);
        }
    }
    out.sort_unstable();
    out
}

/// The resources of one group version, in table order.
pub fn resources_of(group: &str, version: &str) -> impl Iterator<Item = &'static ResourceInfo> {
    let (group, version) = (group.to_owned(), version.to_owned());
    all_resources().filter(move |r| r.group == group && r.version == version)
}

/// Which aggregated-discovery version a client asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Negotiated {
    /// `apidiscovery.k8s.io/v2`.
    AggregatedV2,
    /// `apidiscovery.k8s.io/v2beta1` (kubectl 1.28 asks only for this).
    AggregatedV2Beta1,
    /// Plain JSON: the legacy documents.
    Legacy,
}

impl Negotiated {
    fn aggregated_version(self) -> Option<&'static str> {
        match self {
            Negotiated::AggregatedV2 => Some("v2"),
            Negotiated::AggregatedV2Beta1 => Some("v2beta1"),
            Negotiated::Legacy => None,
        }
    }
}

/// Choose the answer from the `Accept` header: the first media range that lists an aggregated
/// version we serve wins, a plain JSON (or wildcard) range before it means legacy; no usable
/// range at all also means legacy.
pub fn negotiate(headers: &HeaderMap) -> Negotiated {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut g = None;
        let mut v = None;
        let mut as_ = None;
        for p in parts {
            if let Some((k, val)) = p.split_once('=') {
                let val = val.trim().trim_matches('"');
                match k.trim() {
                    "g" => g = Some(val),
                    "v" => v = Some(val),
                    "as" => as_ = Some(val),
                    _ => {}
                }
            }
        }
        let json_ish = matches!(media.as_str(), "application/json" | "application/*" | "*/*");
        if !json_ish {
            continue;
        }
        match (g, v, as_) {
            (None, None, None) => return Negotiated::Legacy,
            (Some("apidiscovery.k8s.io"), Some("v2"), Some("APIGroupDiscoveryList")) => {
                return Negotiated::AggregatedV2;
            }
            (Some("apidiscovery.k8s.io"), Some("v2beta1"), Some("APIGroupDiscoveryList")) => {
                return Negotiated::AggregatedV2Beta1;
            }
            _ => continue,
        }
    }
    Negotiated::Legacy
}

/// The `APIGroupDiscovery` entry of one group.
fn aggregated_group(group: &str) -> Value {
    let resources: Vec<Value> = resources_of(group, VERSION)
        .map(|r| {
            let mut res = json!({
                "resource": r.plural,
                "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                "singularResource": r.singular,
                "verbs": r.verbs,
            });
            if !r.short_names.is_empty() {
                res["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                res["categories"] = json!(r.categories);
            }
            if !r.subresources.is_empty() {
                res["subresources"] = r
                    .subresources
                    .iter()
                    .map(|s| {
                        json!({
                            "subresource": s.name,
                            "responseKind": {"group": s.group, "version": r.version, "kind": s.kind},
                            "verbs": s.verbs,
                        })
                    })
                    .collect();
            }
            res
        })
        .collect();
    let mut metadata = json!({"creationTimestamp": null});
    if !group.is_empty() {
        metadata["name"] = json!(group);
    }
    json!({
        "metadata": metadata,
        "versions": [{"version": VERSION, "resources": resources, "freshness": "Current"}],
    })
}

/// `APIGroupDiscoveryList` of the core group (`core == true`) or of all named groups.
pub fn aggregated(core: bool, version: &str) -> Value {
    let items: Vec<Value> = groups()
        .into_iter()
        .filter(|g| g.is_empty() == core)
        .map(aggregated_group)
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

/// Legacy `APIResourceList` of one group version.
pub fn resource_list(group: &str, version: &str) -> Value {
    let mut resources: Vec<Value> = Vec::new();
    for r in resources_of(group, version) {
        let mut res = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            res["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            res["categories"] = json!(r.categories);
        }
        resources.push(res);
        for s in r.subresources {
            resources.push(json!({
                "name": format!("{}/{}", r.plural, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.kind,
                "verbs": s.verbs,
            }));
        }
    }
    let mut out = json!({
        "kind": "APIResourceList",
        "groupVersion": group_version(group, version),
        "resources": resources,
    });
    if !group.is_empty() {
        out["apiVersion"] = json!("v1");
    }
    out
}

/// Legacy `APIGroup` of a named group.
pub fn api_group(group: &str) -> Value {
    let gv = json!({"groupVersion": group_version(group, VERSION), "version": VERSION});
    json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [gv.clone()],
        "preferredVersion": gv,
    })
}

/// Legacy `APIGroupList` of every named group.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let mut v = api_group(g);
            if let Some(m) = v.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
            v
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Legacy `APIVersions` (`/api`); `server_address` is where clients reached us.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": [VERSION],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// A discovery answer: JSON with `content_type`, an ETag, `Vary: Accept`, and 304 when the
/// client already has this body.
fn respond(headers: &HeaderMap, body: &Value, content_type: &str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, bytes).into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

/// Upper-case hex SHA-256 of `bytes` (ETags and OpenAPI hashes).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// Content type of an aggregated answer.
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

fn root(headers: &HeaderMap, core: bool) -> Response {
    match negotiate(headers).aggregated_version() {
        Some(v) => respond(headers, &aggregated(core, v), &aggregated_content_type(v)),
        None if core => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            respond(headers, &api_versions(host), "application/json")
        }
        None => respond(headers, &api_group_list(), "application/json"),
    }
}

async fn api(headers: HeaderMap) -> Response {
    root(&headers, true)
}

async fn apis(headers: HeaderMap) -> Response {
    root(&headers, false)
}

async fn core_v1(headers: HeaderMap) -> Response {
    respond(&headers, &resource_list("", VERSION), "application/json")
}

async fn image_group(headers: HeaderMap) -> Response {
    respond(&headers, &api_group(IMAGE_GROUP), "application/json")
}

async fn image_v1(headers: HeaderMap) -> Response {
    respond(
        &headers,
        &resource_list(IMAGE_GROUP, VERSION),
        "application/json",
    )
}

/// Discovery routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api", get(api))
        .route("/api/", get(api))
        .route("/apis", get(apis))
        .route("/apis/", get(apis))
        .route("/api/v1", get(core_v1))
        .route("/apis/image.openshift.io", get(image_group))
        .route("/apis/image.openshift.io/v1", get(image_v1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    const KUBECTL_132: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

    #[test]
    fn negotiation_follows_the_client_order() {
        assert_eq!(negotiate(&accept(KUBECTL_132)), Negotiated::AggregatedV2);
        // kubectl 1.28 lists only v2beta1
        assert_eq!(
            negotiate(&accept(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
            )),
            Negotiated::AggregatedV2Beta1
        );
        assert_eq!(negotiate(&accept("application/json")), Negotiated::Legacy);
        assert_eq!(negotiate(&HeaderMap::new()), Negotiated::Legacy);
        assert_eq!(
            negotiate(&accept(
                "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )),
            Negotiated::Legacy
        );
        // protobuf is not served; the JSON range after it is
        assert_eq!(
            negotiate(&accept(
                "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            )),
            Negotiated::AggregatedV2
        );
        // an unknown version is skipped
        assert_eq!(
            negotiate(&accept(
                "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"
            )),
            Negotiated::Legacy
        );
    }

    #[test]
    fn aggregated_image_group_matches_the_verified_shape() {
        let doc = aggregated(false, "v2");
        assert_eq!(doc["kind"], "APIGroupDiscoveryList");
        assert_eq!(doc["apiVersion"], "apidiscovery.k8s.io/v2");
        let items = doc["items"].as_array().unwrap();
        let image = items
            .iter()
            .find(|g| g["metadata"]["name"] == IMAGE_GROUP)
            .unwrap();
        let v = &image["versions"][0];
        assert_eq!(v["version"], "v1");
        assert_eq!(v["freshness"], "Current");
        let is = v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "imagestreams")
            .unwrap();
        assert_eq!(
            is["responseKind"],
            json!({"group": "image.openshift.io", "version": "v1", "kind": "ImageStream"})
        );
        assert_eq!(is["scope"], "Namespaced");
        assert_eq!(is["singularResource"], "imagestream");
        assert_eq!(is["shortNames"], json!(["is"]));
        assert_eq!(is["categories"], json!(["all"]));
        assert_eq!(
            is["verbs"],
            json!([
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch"
            ])
        );
        let subs: Vec<&str> = is["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["subresource"].as_str().unwrap())
            .collect();
        assert_eq!(subs, ["layers", "secrets", "status"]);
        let images = v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "images")
            .unwrap();
        assert_eq!(images["scope"], "Cluster");
        // the core group has no name
        let core = aggregated(true, "v2beta1");
        assert_eq!(core["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        assert!(core["items"][0]["metadata"].get("name").is_none());
        let core_res: Vec<&str> = core["items"][0]["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["resource"].as_str().unwrap())
            .collect();
        assert_eq!(core_res, ["namespaces", "secrets", "serviceaccounts"]);
    }

    #[test]
    fn legacy_documents() {
        let list = resource_list(IMAGE_GROUP, VERSION);
        assert_eq!(list["groupVersion"], "image.openshift.io/v1");
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        for want in [
            "images",
            "imagesignatures",
            "imagestreamimages",
            "imagestreamimports",
            "imagestreammappings",
            "imagestreams",
            "imagestreams/layers",
            "imagestreams/secrets",
            "imagestreams/status",
            "imagestreamtags",
            "imagetags",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let is = &list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "imagestreams")
            .unwrap();
        assert_eq!(is["shortNames"], json!(["is"]));
        assert_eq!(is["namespaced"], true);
        let sigs = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "imagesignatures")
            .unwrap();
        assert_eq!(sigs["verbs"], json!(["create", "delete"]));
        let core = resource_list("", VERSION);
        assert_eq!(core["groupVersion"], "v1");
        assert!(core.get("apiVersion").is_none());
        let groups = api_group_list();
        let image = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == IMAGE_GROUP)
            .unwrap();
        assert_eq!(
            image["preferredVersion"],
            json!({"groupVersion": "image.openshift.io/v1", "version": "v1"})
        );
        assert_eq!(api_versions("127.0.0.1:6443")["versions"], json!(["v1"]));
    }

    #[test]
    fn every_resource_is_consistent() {
        for r in all_resources() {
            let mut sorted = r.verbs.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, r.verbs, "{} verbs must be sorted", r.plural);
            assert_eq!(format!("{}s", r.singular), r.plural);
            assert_eq!(
                all_resources()
                    .filter(|o| o.group == r.group && o.plural == r.plural)
                    .count(),
                1
            );
        }
    }
}

//! Kubernetes request attributes: what a request asks to do (verb, API group, resource,
//! subresource, namespace, name, or a non-resource path), derived from method, path and query
//! the way the API server's `RequestInfoFactory` does, and the 403 text of a denial.

use crate::error::ApiError;

use super::UserInfo;

/// What one request (or one access review) asks to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, or
    /// for non-resource requests the lower-cased HTTP method.
    pub verb: String,
    /// Whether this is a request for an API resource (else a non-resource URL).
    pub resource_request: bool,
    /// API group (`""` for core).
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural resource name (`imagestreams`).
    pub resource: String,
    /// Subresource (`layers`), or empty.
    pub subresource: String,
    /// Namespace, or empty for cluster scope.
    pub namespace: String,
    /// Object name, or empty.
    pub name: String,
    /// The request path (what non-resource rules match).
    pub path: String,
}

/// A path segment with its `%XX` escapes decoded (names as the handlers see them); invalid
/// escapes and non-UTF-8 results are kept as sent.
/// Whether a raw query string asks for a watch, decoded the way the handlers decode it
/// (`watch=%74rue` is a watch too), so authorization and serving never disagree.
pub fn query_is_watch(query: Option<&str>) -> bool {
    let decode = |s: &str| percent_decode(&s.replace('+', " "));
    query.is_some_and(|q| {
        q.split('&').any(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            decode(k) == "watch" && matches!(decode(v).as_str(), "true" | "1" | "True")
        })
    })
}

fn percent_decode(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_owned();
    }
    let b = segment.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'%'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_owned())
}

/// Namespace subresources that stay on the `namespaces` resource (`namespaces/x/status`).
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

impl Attributes {
    /// The attributes of a request with `method`, `path` and raw `query`.
    pub fn from_request(method: &str, path: &str, query: Option<&str>) -> Attributes {
        let non_resource = || Attributes {
            verb: method.to_ascii_lowercase(),
            resource_request: false,
            path: path.to_owned(),
            ..Default::default()
        };
        let decoded: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let parts: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let (group, version, rest) = match parts.as_slice() {
            ["api", version, rest @ ..] if !rest.is_empty() => ("", *version, rest),
            ["apis", group, version, rest @ ..] if !rest.is_empty() => (*group, *version, rest),
            _ => return non_resource(),
        };
        let mut rest: &[&str] = rest;
        let mut namespace = "";
        if rest[0] == "namespaces" && rest.len() > 1 {
            namespace = rest[1];
            if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
                rest = &rest[2..];
            }
        }
        let resource = rest[0];
        let name = rest.get(1).copied().unwrap_or("");
        // OpenShift resolves a project request into the project's namespace, so a namespace's
        // RoleBindings decide who may read its Project.
        if group == "project.openshift.io" && resource == "projects" && !name.is_empty() {
            namespace = name;
        }
        let subresource = rest.get(2).copied().unwrap_or("");
        let watch = query_is_watch(query);
        let verb = match method {
            "GET" | "HEAD" if watch => "watch",
            "GET" | "HEAD" if name.is_empty() => "list",
            "GET" | "HEAD" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" if name.is_empty() => "deletecollection",
            "DELETE" => "delete",
            other => {
                return Attributes {
                    verb: other.to_ascii_lowercase(),
                    ..non_resource()
                };
            }
        };
        Attributes {
            verb: verb.to_owned(),
            resource_request: true,
            group: group.to_owned(),
            version: version.to_owned(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
        }
    }

    /// A resource request (access reviews, service-layer checks).
    pub fn resource(
        verb: &str,
        group: &str,
        resource: &str,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> Attributes {
        Attributes {
            verb: verb.to_owned(),
            resource_request: true,
            group: group.to_owned(),
            version: String::new(),
            resource: resource.to_owned(),
            subresource: subresource.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            path: String::new(),
        }
    }

    /// `resource/subresource`, or the resource alone.
    pub fn full_resource(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }

    /// The denial text Kubernetes writes (`User "alice" cannot list resource "imagestreams"
    /// in API group "image.openshift.io" in the namespace "shared"`).
    pub fn forbidden_message(&self, user: &UserInfo) -> String {
        let who = tagplane_api::validation::go_quote(&user.name);
        let q = tagplane_api::validation::go_quote;
        if !self.resource_request {
            return format!("User {who} cannot {} path {}", self.verb, q(&self.path));
        }
        let scope = if self.namespace.is_empty() {
            "at the cluster scope".to_owned()
        } else {
            format!("in the namespace {}", q(&self.namespace))
        };
        format!(
            "User {who} cannot {} resource {} in API group {} {scope}",
            self.verb,
            q(&self.full_resource()),
            q(&self.group)
        )
    }

    /// The 403 `Status` of a denial (`reason` is the authorizer's, appended after `: `).
    pub fn forbidden(&self, user: &UserInfo, reason: &str) -> ApiError {
        let mut why = self.forbidden_message(user);
        if !reason.is_empty() {
            why.push_str(": ");
            why.push_str(reason);
        }
        let mut e = ApiError::forbidden(&self.group, &self.resource, &self.name, "");
        let message = if !self.resource_request {
            format!("forbidden: {why}")
        } else if self.name.is_empty() {
            format!(
                "{} is forbidden: {why}",
                crate::error::qualified(&self.group, &self.resource)
            )
        } else {
            format!(
                "{} {} is forbidden: {why}",
                crate::error::qualified(&self.group, &self.resource),
                tagplane_api::validation::go_quote(&self.name)
            )
        };
        e.status.message = Some(message);
        // Go omits empty detail fields.
        if let Some(d) = e.status.details.as_mut() {
            let none_if_empty = |v: &mut Option<String>| {
                if v.as_deref() == Some("") {
                    *v = None;
                }
            };
            none_if_empty(&mut d.name);
            none_if_empty(&mut d.group);
            none_if_empty(&mut d.kind);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(method: &str, path: &str, query: Option<&str>) -> Attributes {
        Attributes::from_request(method, path, query)
    }

    /// A percent-encoded `watch` is a watch for authorization as it is for the handler.
    #[test]
    fn encoded_watch_queries_are_watches() {
        let list = "/apis/image.openshift.io/v1/namespaces/x/imagestreams";
        for q in [
            "watch=true",
            "watch=%74rue",
            "%77atch=true",
            "watch=%31",
            "a=b&watch=1",
        ] {
            assert_eq!(attrs("GET", list, Some(q)).verb, "watch", "{q}");
        }
        for q in ["watch=false", "watchx=true", "watch=", "nowatch=true"] {
            assert_eq!(attrs("GET", list, Some(q)).verb, "list", "{q}");
        }
    }

    #[test]
    fn maps_resource_requests() {
        let a = attrs(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/shared/imagestreams/app/layers",
            None,
        );
        assert_eq!(
            (
                a.verb.as_str(),
                a.group.as_str(),
                a.full_resource().as_str(),
                a.namespace.as_str(),
                a.name.as_str()
            ),
            (
                "get",
                "image.openshift.io",
                "imagestreams/layers",
                "shared",
                "app"
            )
        );
        let a = attrs(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/shared/imagestreams",
            Some("watch=true&resourceVersion=5"),
        );
        assert_eq!(a.verb, "watch");
        assert_eq!(attrs("GET", "/api/v1/secrets", None).verb, "list");
        let ns = attrs("GET", "/api/v1/namespaces/foo", None);
        assert_eq!(
            (
                ns.resource.as_str(),
                ns.name.as_str(),
                ns.namespace.as_str()
            ),
            ("namespaces", "foo", "foo")
        );
        let del = attrs("DELETE", "/api/v1/namespaces/foo/secrets", None);
        assert_eq!(
            (del.verb.as_str(), del.resource.as_str()),
            ("deletecollection", "secrets")
        );
        let patch = attrs(
            "PATCH",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/x",
            None,
        );
        assert_eq!(
            (patch.verb.as_str(), patch.namespace.as_str()),
            ("patch", "")
        );
    }

    #[test]
    fn decodes_escaped_names() {
        let a = attrs(
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aimage-puller",
            None,
        );
        assert_eq!(a.name, "system:image-puller");
        assert_eq!(percent_decode("a%zzb%"), "a%zzb%");
        assert_eq!(percent_decode("%ff"), "%ff");
    }

    #[test]
    fn maps_non_resource_requests() {
        for p in [
            "/version",
            "/apis",
            "/api",
            "/api/v1",
            "/apis/image.openshift.io/v1",
            "/openapi/v3",
        ] {
            let a = attrs("GET", p, None);
            assert!(!a.resource_request, "{p}");
            assert_eq!(a.verb, "get");
        }
    }

    #[test]
    fn denial_texts_use_kubernetes_wording() {
        let user = UserInfo {
            name: "alice".into(),
            ..Default::default()
        };
        let a = attrs(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/shared/imagestreams",
            None,
        );
        let e = a.forbidden(&user, "");
        assert_eq!(
            e.status.message.as_deref(),
            Some(
                "imagestreams.image.openshift.io is forbidden: User \"alice\" cannot list resource \"imagestreams\" in API group \"image.openshift.io\" in the namespace \"shared\""
            )
        );
        let d = e.status.details.unwrap();
        assert_eq!(d.kind.as_deref(), Some("imagestreams"));
        assert_eq!(d.name, None);
        let a = attrs("GET", "/apis/image.openshift.io/v1/images/sha256:x", None);
        assert!(
            a.forbidden_message(&user)
                .ends_with("cannot get resource \"images\" in API group \"image.openshift.io\" at the cluster scope")
        );
        let a = attrs(
            "GET",
            "/apis/image.openshift.io/v1/namespaces/s/imagestreams/app/layers",
            None,
        );
        assert_eq!(
            a.forbidden(&user, "").status.message.as_deref(),
            Some(
                "imagestreams.image.openshift.io \"app\" is forbidden: User \"alice\" cannot get resource \"imagestreams/layers\" in API group \"image.openshift.io\" in the namespace \"s\""
            )
        );
        assert_eq!(
            attrs("GET", "/apis", None)
                .forbidden(&user, "")
                .status
                .message
                .as_deref(),
            Some("forbidden: User \"alice\" cannot get path \"/apis\"")
        );
    }
}

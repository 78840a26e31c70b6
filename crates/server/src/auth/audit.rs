//! The audit log (`--audit-log FILE`, `-` for stderr): one JSON line per request with time,
//! user, verb, resource, namespace, name and response code. Headers, query strings and bodies
//! are never written, so tokens, passwords and Secret data cannot end up in it.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::UserInfo;
use super::attributes::Attributes;

/// Where audit lines go.
pub struct AuditLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// Append to `target` (created with mode 0600), or stderr for `-`.
    pub fn open(target: &Path) -> Result<AuditLog, String> {
        let out: Box<dyn Write + Send> = if target.as_os_str() == "-" {
            Box::new(std::io::stderr())
        } else {
            let mut opts = std::fs::OpenOptions::new();
            opts.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let f = opts
                .open(target)
                .map_err(|e| format!("--audit-log {}: {e}", target.display()))?;
            Box::new(f)
        };
        Ok(AuditLog {
            out: Mutex::new(out),
        })
    }

    /// Write one line (errors are ignored: auditing never fails a request).
    pub fn write(&self, line: &serde_json::Value) {
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// One audit line for a request (only method, path and what the response says).
pub fn line(
    time: &str,
    user: &UserInfo,
    method: &str,
    path: &str,
    watch: bool,
    code: u16,
) -> serde_json::Value {
    // Of the query only `watch` matters (list or watch); the query is never logged.
    let a = Attributes::from_request(method, path, watch.then_some("watch=true"));
    let mut v = json!({
        "time": time,
        "user": user.name,
        "groups": user.groups,
        "verb": a.verb,
        "path": path,
        "code": code,
    });
    if a.resource_request {
        v["group"] = json!(a.group);
        v["resource"] = json!(if a.subresource.is_empty() {
            a.resource.clone()
        } else {
            format!("{}/{}", a.resource, a.subresource)
        });
        if !a.namespace.is_empty() {
            v["namespace"] = json!(a.namespace);
        }
        if !a.name.is_empty() {
            v["name"] = json!(a.name);
        }
    }
    v
}

/// The middleware (outermost): write a line once the response is known.
pub async fn audit(
    State(log): State<std::sync::Arc<AuditLog>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let watch = crate::auth::attributes::query_is_watch(req.uri().query());
    let resp = next.run(req).await;
    let user = resp
        .extensions()
        .get::<UserInfo>()
        .cloned()
        .unwrap_or_else(UserInfo::anonymous);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let time = tagplane_api::meta::Timestamp::new(
        i64::try_from(now.as_secs()).unwrap_or(0),
        i32::try_from(now.subsec_nanos()).unwrap_or(0),
    )
    .unwrap_or(tagplane_api::meta::Timestamp::UNIX_EPOCH)
    .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
    .to_string();
    log.write(&line(
        &time,
        &user,
        &method,
        &path,
        watch,
        resp.status().as_u16(),
    ));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_who_did_what_to_which_object() {
        let user = UserInfo {
            name: "alice".into(),
            uid: String::new(),
            groups: vec!["system:authenticated".into()],
        };
        let l = line(
            "t",
            &user,
            "GET",
            "/apis/image.openshift.io/v1/namespaces/team/imagestreams/app",
            false,
            200,
        );
        assert_eq!(l["user"], "alice");
        assert_eq!(l["verb"], "get");
        assert_eq!(l["resource"], "imagestreams");
        assert_eq!(l["namespace"], "team");
        assert_eq!(l["name"], "app");
        assert_eq!(l["code"], 200);
        let l = line("t", &UserInfo::anonymous(), "GET", "/healthz", false, 200);
        assert_eq!(l["user"], "system:anonymous");
        assert!(l.get("resource").is_none());
    }
}

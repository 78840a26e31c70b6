//! The HTTP edge: routes, request decoding (JSON/YAML, size limit, field validation), response
//! encoding, and thin handlers that call the service layer.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::service::{Service, WriteOptions};

mod discovery;
mod images;
mod imports;
mod mappings;
mod namespaces;
mod openapi;
mod patch;
mod secrets;
mod smp;
mod streams;
pub mod table;
mod tags;
pub mod watch;

/// Largest request body accepted (Kubernetes' limit is 3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The service layer.
    pub service: Arc<Service>,
}

/// Common query parameters of Kubernetes requests.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommonQuery {
    /// `dryRun=All`.
    #[serde(default)]
    pub dry_run: Option<String>,
    /// `Ignore`, `Warn` or `Strict`.
    #[serde(default)]
    pub field_validation: Option<String>,
    /// Who is writing (accepted, not used yet).
    #[serde(default)]
    pub field_manager: Option<String>,
    /// List paging.
    #[serde(default)]
    pub limit: Option<u64>,
    /// List paging.
    #[serde(default, rename = "continue")]
    pub continue_: Option<String>,
    /// List/watch revision.
    #[serde(default)]
    pub resource_version: Option<String>,
    /// `resourceVersionMatch`.
    #[serde(default)]
    pub resource_version_match: Option<String>,
    /// Watch instead of list.
    #[serde(default)]
    pub watch: Option<String>,
    /// Bookmarks wanted.
    #[serde(default)]
    pub allow_watch_bookmarks: Option<bool>,
    /// Watch duration.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Label selector.
    #[serde(default)]
    pub label_selector: Option<String>,
    /// Field selector.
    #[serde(default)]
    pub field_selector: Option<String>,
}

impl CommonQuery {
    /// Write options from the query.
    pub fn write_options(&self) -> ApiResult<WriteOptions> {
        match self.dry_run.as_deref() {
            None | Some("") => Ok(WriteOptions { dry_run: false }),
            Some("All") => Ok(WriteOptions { dry_run: true }),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dry run value \"{other}\", valid values are: All"
            ))),
        }
    }

    /// Whether this is a watch request.
    pub fn is_watch(&self) -> bool {
        matches!(self.watch.as_deref(), Some("true" | "1"))
    }
}

/// A decoded body plus warnings to send back (`fieldValidation=Warn`).
#[derive(Debug)]
pub struct Decoded<T> {
    /// The object.
    pub value: T,
    /// `Warning` headers.
    pub warnings: Vec<String>,
}

fn is_yaml(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("yaml"))
}

/// Decode a request body as JSON or YAML into `T`, reporting unknown fields according to
/// `fieldValidation` (Strict: 400; Warn: warnings; Ignore: nothing).
pub fn decode_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    validation: Option<&str>,
) -> ApiResult<Decoded<T>> {
    if body.len() > MAX_BODY {
        return Err(ApiError::too_large(MAX_BODY));
    }
    let value: serde_json::Value = if is_yaml(headers) {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("the request body is not valid UTF-8"))?;
        serde_saphyr::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))?
    };
    let mut unknown: Vec<String> = Vec::new();
    // serde_ignored writes `?` for an Option layer; field paths do not show it.
    let clean = |p: String| {
        p.split('.')
            .filter(|s| *s != "?")
            .collect::<Vec<_>>()
            .join(".")
    };
    let typed: T = serde_ignored::deserialize(value, |path| unknown.push(clean(path.to_string())))
        .map_err(|e| {
            ApiError::bad_request(format!("the request body is not a valid object: {e}"))
        })?;
    let unknown: Vec<String> = unknown
        .into_iter()
        .filter(|p| p != "apiVersion" && p != "kind")
        .collect();
    let mode = validation.unwrap_or("Warn");
    match mode {
        "Strict" if !unknown.is_empty() => {
            let parts: Vec<String> = unknown
                .iter()
                .map(|p| format!("unknown field \"{p}\""))
                .collect();
            Err(ApiError::bad_request(format!(
                "strict decoding error: {}",
                parts.join(", ")
            )))
        }
        "Strict" | "Warn" | "Ignore" => Ok(Decoded {
            value: typed,
            warnings: if mode == "Warn" {
                unknown
                    .iter()
                    .map(|p| format!("unknown field \"{p}\""))
                    .collect()
            } else {
                vec![]
            },
        }),
        other => Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported value: \"{other}\", must be one of Ignore, Warn, Strict"
        ))),
    }
}

/// A JSON response with status `code` and `Warning` headers.
pub fn json_response<T: Serialize>(code: StatusCode, value: &T, warnings: &[String]) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut resp =
                (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            for w in warnings {
                if let Ok(v) =
                    HeaderValue::from_str(&format!("299 - \"{}\"", w.replace('"', "\\\"")))
                {
                    resp.headers_mut().append(header::WARNING, v);
                }
            }
            resp
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

async fn version() -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "major": "1",
            "minor": "33",
            "gitVersion": concat!("v1.33.0+tagplane-", env!("CARGO_PKG_VERSION")),
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "",
            "goVersion": "",
            "compiler": "rustc",
            "platform": format!("{}/{}", std::env::consts::OS, tagplane_core::manifest::go_arch(std::env::consts::ARCH)),
        }),
        &[],
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn fallback(uri: axum::http::Uri) -> Response {
    let mut e = ApiError::not_found("", "", uri.path());
    e.status.message = Some("the server could not find the requested resource".into());
    e.status.details = None;
    e.into_response()
}

/// Build the router.
pub fn router(service: Arc<Service>) -> Router {
    let state = AppState { service };
    Router::new()
        .route("/version", get(version))
        .route("/healthz", get(healthz))
        .route("/readyz", get(healthz))
        .route("/livez", get(healthz))
        .merge(discovery::routes())
        .merge(namespaces::routes())
        .merge(openapi::routes())
        .merge(streams::routes())
        .merge(tags::routes())
        .merge(images::routes())
        .merge(mappings::routes())
        .merge(imports::routes())
        .merge(secrets::routes())
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY + 1))
        .with_state(state)
}

/// Reject bodies over the limit with a 413 Status (axum's limit answers with plain text).
pub fn body_bytes(body: Bytes) -> ApiResult<Bytes> {
    if body.len() > MAX_BODY {
        Err(ApiError::too_large(MAX_BODY))
    } else {
        Ok(body)
    }
}

/// Types re-exported for the handler modules.
pub(crate) mod prelude {
    pub use super::{AppState, CommonQuery, body_bytes, decode_body, json_response};
    pub use crate::error::{ApiError, ApiResult};
    pub use axum::body::Bytes;
    pub use axum::extract::{Path, Query, State};
    pub use axum::http::{HeaderMap, StatusCode};
    pub use axum::response::{IntoResponse, Response};
}

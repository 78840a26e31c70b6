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

use serde_json::Value;
use tagplane_api::meta::List;
use tagplane_store::{ListOptions, Revision};

use crate::error::{ApiError, ApiResult};
use crate::objects::Objects;
use crate::service::tags::PatchFn;
use crate::service::{Service, WriteOptions};
use patch::{PatchKind, json_patch, merge_patch};
use smp::MergeSchema;
use table::TableRow;
use watch::{DEFAULT_WATCH_TIMEOUT, WatchParams};

mod access_reviews;
mod auth_endpoints;
mod discovery;
mod images;
mod imports;
mod mappings;
mod namespaces;
mod openapi;
mod patch;
mod projects;
mod rbac;
mod secrets;
mod serviceaccounts;
mod simple;
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

/// Decode a request body as JSON, YAML or (for the core kinds kubectl's typed clients send)
/// Kubernetes protobuf into `T`, reporting unknown fields according to `fieldValidation`
/// (Strict: 400; Warn: warnings; Ignore: nothing).
pub fn decode_body<T: DeserializeOwned + Serialize + BodyKind>(
    headers: &HeaderMap,
    body: &[u8],
    validation: Option<&str>,
) -> ApiResult<Decoded<T>> {
    if body.len() > MAX_BODY {
        return Err(ApiError::too_large(MAX_BODY));
    }
    check_body_type(headers)?;
    let value: serde_json::Value = if protobuf::is_protobuf(headers) {
        protobuf::to_json(body)?
    } else if is_yaml(headers) {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("the request body is not valid UTF-8"))?;
        serde_saphyr::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))?
    };
    check_type_meta::<T>(&value)?;
    let mut unknown: Vec<String> = Vec::new();
    // serde_ignored writes `?` for an Option layer; field paths do not show it.
    let clean = |p: String| {
        p.split('.')
            .filter(|s| *s != "?")
            .collect::<Vec<_>>()
            .join(".")
    };
    let original = value.clone();
    let typed: T = serde_ignored::deserialize(value, |path| unknown.push(clean(path.to_string())))
        .map_err(|e| {
            ApiError::bad_request(format!("the request body is not a valid object: {e}"))
        })?;
    let unknown: Vec<String> = unknown
        .into_iter()
        .filter(|p| p != "apiVersion" && p != "kind")
        .collect();
    // serde reads a JSON array into a struct field by field; Kubernetes refuses it.
    if let Ok(typed_value) = serde_json::to_value(&typed)
        && let Some(e) = crate::objects::shape_error(&original, &typed_value, "")
    {
        return Err(ApiError::bad_request(e));
    }
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

/// The `apiVersion` and `kind` a request body must carry (when it carries them).
pub trait BodyKind {
    /// Expected `apiVersion`; empty accepts any.
    const API_VERSION: &'static str;
    /// Expected `kind`.
    const KIND: &'static str;
    /// Also accept the legacy `v1` spelling (OpenShift decodes image types from the core group).
    const LEGACY_V1: bool = false;
}

macro_rules! body_kind {
    ($t:ty, $api:expr, $kind:expr, $legacy:expr) => {
        impl BodyKind for $t {
            const API_VERSION: &'static str = $api;
            const KIND: &'static str = $kind;
            const LEGACY_V1: bool = $legacy;
        }
    };
}

const IMAGE_V1: &str = tagplane_api::meta::IMAGE_API_VERSION;
body_kind!(
    tagplane_api::image::ImageStream,
    IMAGE_V1,
    "ImageStream",
    true
);
body_kind!(
    tagplane_api::image::ImageStreamTag,
    IMAGE_V1,
    "ImageStreamTag",
    true
);
body_kind!(tagplane_api::image::ImageTag, IMAGE_V1, "ImageTag", true);
body_kind!(tagplane_api::image::Image, IMAGE_V1, "Image", true);
body_kind!(
    tagplane_api::image::ImageSignature,
    IMAGE_V1,
    "ImageSignature",
    true
);
body_kind!(
    tagplane_api::image::ImageStreamMapping,
    IMAGE_V1,
    "ImageStreamMapping",
    true
);
body_kind!(
    tagplane_api::image::ImageStreamImport,
    IMAGE_V1,
    "ImageStreamImport",
    true
);
body_kind!(
    k8s_openapi::api::core::v1::Namespace,
    "v1",
    "Namespace",
    false
);
body_kind!(k8s_openapi::api::core::v1::Secret, "v1", "Secret", false);
body_kind!(streams::DeleteOptions, "", "DeleteOptions", false);
body_kind!(
    k8s_openapi::api::core::v1::ServiceAccount,
    "v1",
    "ServiceAccount",
    false
);
body_kind!(
    k8s_openapi::api::authentication::v1::TokenRequest,
    "authentication.k8s.io/v1",
    "TokenRequest",
    false
);
const AUTHORIZATION_V1: &str = "authorization.k8s.io/v1";
body_kind!(
    k8s_openapi::api::authorization::v1::SelfSubjectAccessReview,
    AUTHORIZATION_V1,
    "SelfSubjectAccessReview",
    false
);
body_kind!(
    k8s_openapi::api::authorization::v1::SelfSubjectRulesReview,
    AUTHORIZATION_V1,
    "SelfSubjectRulesReview",
    false
);
body_kind!(
    k8s_openapi::api::authorization::v1::SubjectAccessReview,
    AUTHORIZATION_V1,
    "SubjectAccessReview",
    false
);
const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";
body_kind!(k8s_openapi::api::rbac::v1::Role, RBAC_V1, "Role", false);
body_kind!(
    k8s_openapi::api::rbac::v1::ClusterRole,
    RBAC_V1,
    "ClusterRole",
    false
);
body_kind!(
    k8s_openapi::api::rbac::v1::RoleBinding,
    RBAC_V1,
    "RoleBinding",
    false
);
body_kind!(
    k8s_openapi::api::rbac::v1::ClusterRoleBinding,
    RBAC_V1,
    "ClusterRoleBinding",
    false
);
body_kind!(
    crate::service::projects::ProjectRequest,
    "project.openshift.io/v1",
    "ProjectRequest",
    false
);

/// 400 when the body names another API version or kind than the endpoint serves.
fn check_type_meta<T: BodyKind>(value: &serde_json::Value) -> ApiResult<()> {
    let api = value
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let accepted = api.is_empty()
        || T::API_VERSION.is_empty()
        || api == T::API_VERSION
        || (T::LEGACY_V1 && api == "v1");
    if !accepted {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api}) does not match the expected API version ({})",
            T::API_VERSION
        )));
    }
    let kind = value.get("kind").and_then(|v| v.as_str()).unwrap_or("");
    if !kind.is_empty() && kind != T::KIND {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            T::KIND
        )));
    }
    Ok(())
}

/// Body media types we decode (Kubernetes answers 415 for anything else).
fn check_body_type(headers: &HeaderMap) -> ApiResult<()> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        ""
        | "application/json"
        | "application/yaml"
        | "application/x-yaml"
        | "text/yaml"
        | "application/vnd.kubernetes.protobuf" => Ok(()),
        other => Err(ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {other:?})"
        ))),
    }
}

/// Turn any plain-text or empty error answer (axum's extractor rejections, 405s, body-limit
/// 413s) into a Kubernetes `Status`, so every error a client sees has the same shape.
async fn status_errors(resp: Response) -> Response {
    let code = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    if code.as_u16() < 400 || is_json {
        return resp;
    }
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let e = match code.as_u16() {
        405 => ApiError::method_not_allowed(),
        413 => ApiError::too_large(MAX_BODY),
        404 => {
            let mut e = ApiError::not_found("", "", "");
            e.status.message = Some("the server could not find the requested resource".into());
            e.status.details = None;
            e
        }
        415 => ApiError::unsupported_media_type(text),
        400..=499 => {
            let mut e = ApiError::bad_request(if text.is_empty() {
                "bad request".to_owned()
            } else {
                text
            });
            e.status.code = Some(i32::from(code.as_u16()));
            e
        }
        _ => ApiError::internal(if text.is_empty() {
            code.to_string()
        } else {
            text
        }),
    };
    e.into_response()
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
        .merge(rbac::routes())
        .merge(access_reviews::routes())
        .merge(projects::routes())
        .merge(auth_endpoints::routes())
        .merge(serviceaccounts::routes())
        .fallback(fallback)
        // RBAC (after authentication, which wraps it): 403 before any handler runs.
        .layer(axum::middleware::from_fn_with_state(
            state.service.clone(),
            crate::auth::authz::authorize,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY + 1))
        .layer(axum::middleware::map_response(status_errors))
        // Outermost: authentication (layers added later wrap the ones before).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authn::authenticate,
        ))
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

/// Write options and the decoded body of a create or update (query `dryRun`, body size limit,
/// JSON or YAML, `fieldValidation`), in that order.
pub fn decode_write<T: DeserializeOwned + Serialize + BodyKind>(
    q: &CommonQuery,
    headers: &HeaderMap,
    body: Bytes,
) -> ApiResult<(WriteOptions, Decoded<T>)> {
    let opts = q.write_options()?;
    let decoded = decode_body::<T>(headers, &body_bytes(body)?, q.field_validation.as_deref())?;
    Ok((opts, decoded))
}

/// The patch function of a PATCH request, from its Content-Type: JSON patch, merge patch, or a
/// strategic merge patch following `schema`; server-side apply is refused with 415.
pub fn patch_fn(
    headers: &HeaderMap,
    body: Bytes,
    schema: &'static MergeSchema,
) -> ApiResult<Box<PatchFn>> {
    let body = body_bytes(body)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match PatchKind::from_content_type(ct)? {
        PatchKind::Json => Ok(Box::new(move |v: Value| json_patch(v, &body))),
        PatchKind::Merge => Ok(Box::new(move |v: Value| merge_patch(v, &body))),
        PatchKind::Strategic => {
            let patch: Value = serde_json::from_slice(&body).map_err(|e| {
                ApiError::bad_request(format!("invalid strategic merge patch: {e}"))
            })?;
            Ok(Box::new(move |v: Value| smp::apply(v, &patch, schema)))
        }
        PatchKind::Apply => Err(ApiError::unsupported_media_type(
            "server-side apply is not supported yet: use client-side `kubectl apply` (without --server-side) or a merge patch",
        )),
    }
}

/// Write options and preconditions (`resourceVersion`, `uid`) of a DELETE: the query plus an
/// optional `DeleteOptions` body, whose `dryRun: ["All"]` also makes a dry run.
pub fn delete_request(
    q: &CommonQuery,
    headers: &HeaderMap,
    body: Bytes,
) -> ApiResult<(WriteOptions, Option<Revision>, Option<String>)> {
    let mut opts = q.write_options()?;
    let d = streams::delete_options(headers, &body_bytes(body)?)?;
    if d.dry_run
        .as_ref()
        .is_some_and(|v| v.iter().any(|x| x == "All"))
    {
        opts.dry_run = true;
    }
    let pre = d.preconditions.unwrap_or_default();
    let rv = Objects::parse_rv(pre.resource_version.as_deref())?;
    Ok((opts, rv, pre.uid))
}

/// What a write handler (create, update, patch, delete) reads after its state and path: the
/// query, headers and body, extracted in that order as the separate extractors would be.
#[derive(Debug)]
pub struct WriteRequest {
    /// The common query parameters (`dryRun`, `fieldValidation`, …).
    pub q: CommonQuery,
    /// The request headers.
    pub headers: HeaderMap,
    /// The body, as sent.
    pub body: Bytes,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for WriteRequest {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        use axum::extract::{FromRequestParts, Query};
        let (mut parts, body) = req.into_parts();
        let Query(q) = Query::<CommonQuery>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let request = axum::extract::Request::from_parts(parts, body);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(WriteRequest { q, headers, body })
    }
}

impl WriteRequest {
    /// A create or update: decode the write options and body of `T` ([`decode_write`]), hand
    /// both to `write`, and answer what it returns with `code` and the decoding warnings.
    pub async fn write<T, R, F>(
        self,
        code: StatusCode,
        write: impl FnOnce(WriteOptions, T) -> F,
    ) -> Response
    where
        T: DeserializeOwned + Serialize + BodyKind,
        R: Serialize,
        F: Future<Output = ApiResult<R>>,
    {
        self.coded_write(|opts, value| async move { Ok((code, write(opts, value).await?)) })
            .await
    }

    /// [`WriteRequest::write`] where `write` also picks the status code (201 or 200 for a PUT
    /// that may create).
    pub async fn coded_write<T, R, F>(self, write: impl FnOnce(WriteOptions, T) -> F) -> Response
    where
        T: DeserializeOwned + Serialize + BodyKind,
        R: Serialize,
        F: Future<Output = ApiResult<(StatusCode, R)>>,
    {
        let result = async {
            let (opts, decoded) = decode_write::<T>(&self.q, &self.headers, self.body)?;
            let (code, written) = write(opts, decoded.value).await?;
            Ok::<_, ApiError>(json_response(code, &written, &decoded.warnings))
        }
        .await;
        result.unwrap_or_else(IntoResponse::into_response)
    }

    /// A PATCH: the write options and patch function ([`patch_fn`] with `schema`) handed to
    /// `write`, whose object is answered with 200.
    pub async fn patch<R, F>(
        self,
        schema: &'static MergeSchema,
        write: impl FnOnce(WriteOptions, Box<PatchFn>) -> F,
    ) -> Response
    where
        R: Serialize,
        F: Future<Output = ApiResult<R>>,
    {
        let result = async {
            let opts = self.q.write_options()?;
            let patch = patch_fn(&self.headers, self.body, schema)?;
            write(opts, patch).await
        }
        .await;
        respond(StatusCode::OK, result)
    }

    /// A DELETE: the write options and preconditions ([`delete_request`]) handed to `delete`,
    /// whose answer (a Status or the object) is answered with 200.
    pub async fn delete<R, F>(
        self,
        delete: impl FnOnce(WriteOptions, Option<Revision>, Option<String>) -> F,
    ) -> Response
    where
        R: Serialize,
        F: Future<Output = ApiResult<R>>,
    {
        let result = async {
            let (opts, rv, uid) = delete_request(&self.q, &self.headers, self.body)?;
            delete(opts, rv, uid).await
        }
        .await;
        respond(StatusCode::OK, result)
    }
}

/// Paging options of a LIST (no `resourceVersion`: always the newest state).
pub fn list_options(q: &CommonQuery) -> ListOptions {
    ListOptions {
        limit: q.limit,
        continue_token: q.continue_.clone(),
        revision: None,
    }
}

/// 201 when `created`, else 200.
pub fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// A JSON answer with status `code`, or the error's Status.
pub fn respond<T: Serialize>(code: StatusCode, result: ApiResult<T>) -> Response {
    match result {
        Ok(v) => json_response(code, &v, &[]),
        Err(e) => e.into_response(),
    }
}

/// The answer of a GET of one object: a one-row Table when the client negotiated one (kubectl
/// `get KIND NAME`), else the object.
pub fn object_response<T: TableRow + Serialize>(
    st: &AppState,
    headers: &HeaderMap,
    result: ApiResult<T>,
) -> Response {
    match result {
        Ok(v) if table::wants_table(headers) => {
            table::response(&table::table_of(&v, &st.service.objects.clock.now()))
        }
        other => respond(StatusCode::OK, other),
    }
}

/// The answer of a LIST: a Table of the items (with the list's `resourceVersion` and
/// `continue`) when the client negotiated one, else the list.
pub fn list_response<T: TableRow + Serialize>(
    st: &AppState,
    headers: &HeaderMap,
    result: ApiResult<List<T>>,
) -> Response {
    match result {
        Ok(list) if table::wants_table(headers) => table::response(&table::table(
            &list.items,
            Some(&list.metadata),
            &st.service.objects.clock.now(),
        )),
        other => respond(StatusCode::OK, other),
    }
}

/// What a watch sends from the query: namespace, start revision, bookmarks, duration.
pub fn watch_params(namespace: Option<String>, q: &CommonQuery) -> WatchParams {
    WatchParams {
        namespace,
        resource_version: q.resource_version.clone(),
        bookmarks: q.allow_watch_bookmarks.unwrap_or(false),
        timeout: q
            .timeout_seconds
            .map(std::time::Duration::from_secs)
            .unwrap_or(DEFAULT_WATCH_TIMEOUT),
    }
}

/// How a watch presents each object: as a one-row Table when the client negotiated one
/// (`kubectl get -w`), else as the object.
pub fn watch_presenter<T: TableRow + Serialize>(
    st: &AppState,
    headers: &HeaderMap,
) -> impl Fn(T) -> Value + Send + Sync + 'static {
    let table_clock = table::wants_table(headers).then(|| st.service.objects.clock.clone());
    move |object: T| match &table_clock {
        Some(clock) => table::table_of(&object, &clock.now()),
        None => serde_json::to_value(&object).unwrap_or(Value::Null),
    }
}

/// Types re-exported for the handler modules.
pub(crate) mod prelude {
    pub use super::{
        AppState, CommonQuery, WriteRequest, body_bytes, created_or_ok, decode_body, decode_write,
        json_response, list_options, list_response, object_response, patch_fn, respond,
        watch_params, watch_presenter,
    };
    pub use crate::error::{ApiError, ApiResult};
    pub use axum::body::Bytes;
    pub use axum::extract::{Path, Query, State};
    pub use axum::http::{HeaderMap, StatusCode};
    pub use axum::response::{IntoResponse, Response};
}

/// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`).
/// kubectl's typed clients send core kinds this way (`kubectl create secret docker-registry`,
/// `kubectl create namespace`) and client-go has no JSON fallback for protobuf, so the server
/// must read them. The `k8s\0` envelope (`runtime.Unknown`) is unwrapped and the object is
/// turned into its JSON form through a table of the proto fields of the kinds we serve
/// (`k8s.io/api/core/v1/generated.proto`); other kinds get 415. Zero strings and integers are
/// dropped, as Go's `omitempty` JSON does; server-set fields (timestamps, managedFields,
/// status) are skipped.
pub mod protobuf {
    use axum::http::{HeaderMap, header};
    use serde_json::{Map, Value};

    use crate::error::{ApiError, ApiResult};

    /// The media type.
    pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";
    /// Prefix of every protobuf-encoded object.
    const MAGIC: &[u8] = b"k8s\0";

    /// Whether the request body is protobuf.
    pub fn is_protobuf(headers: &HeaderMap) -> bool {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(CONTENT_TYPE)
            })
    }

    /// What a proto field holds and how it appears in JSON.
    #[derive(Clone, Copy, Debug)]
    enum Kind {
        /// `string`.
        String,
        /// `bool` (proto2 optional: present means set).
        Bool,
        /// `int64`.
        Int,
        /// A nested message.
        Message(&'static [Field]),
        /// `map<string, string>`.
        StringMap,
        /// `map<string, bytes>`: base64 strings in JSON.
        BytesMap,
    }

    /// One proto field.
    #[derive(Clone, Copy, Debug)]
    struct Field {
        number: u64,
        name: &'static str,
        kind: Kind,
        repeated: bool,
    }

    const fn one(number: u64, name: &'static str, kind: Kind) -> Field {
        Field {
            number,
            name,
            kind,
            repeated: false,
        }
    }

    const fn many(number: u64, name: &'static str, kind: Kind) -> Field {
        Field {
            number,
            name,
            kind,
            repeated: true,
        }
    }

    const OWNER_REFERENCE: &[Field] = &[
        one(5, "apiVersion", Kind::String),
        one(1, "kind", Kind::String),
        one(3, "name", Kind::String),
        one(4, "uid", Kind::String),
        one(6, "controller", Kind::Bool),
        one(7, "blockOwnerDeletion", Kind::Bool),
    ];

    /// ObjectMeta without the server-set creationTimestamp (8), deletionTimestamp (9) and
    /// managedFields (17).
    const OBJECT_META: &[Field] = &[
        one(1, "name", Kind::String),
        one(2, "generateName", Kind::String),
        one(3, "namespace", Kind::String),
        one(4, "selfLink", Kind::String),
        one(5, "uid", Kind::String),
        one(6, "resourceVersion", Kind::String),
        one(7, "generation", Kind::Int),
        one(10, "deletionGracePeriodSeconds", Kind::Int),
        one(11, "labels", Kind::StringMap),
        one(12, "annotations", Kind::StringMap),
        many(13, "ownerReferences", Kind::Message(OWNER_REFERENCE)),
        many(14, "finalizers", Kind::String),
    ];

    const SECRET: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(2, "data", Kind::BytesMap),
        one(3, "type", Kind::String),
        one(4, "stringData", Kind::StringMap),
        one(5, "immutable", Kind::Bool),
    ];

    const OBJECT_REFERENCE: &[Field] = &[
        one(1, "kind", Kind::String),
        one(2, "namespace", Kind::String),
        one(3, "name", Kind::String),
        one(4, "uid", Kind::String),
        one(5, "apiVersion", Kind::String),
        one(6, "resourceVersion", Kind::String),
        one(7, "fieldPath", Kind::String),
    ];

    const LOCAL_OBJECT_REFERENCE: &[Field] = &[one(1, "name", Kind::String)];

    /// `kubectl create serviceaccount`.
    const SERVICE_ACCOUNT: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        many(2, "secrets", Kind::Message(OBJECT_REFERENCE)),
        many(3, "imagePullSecrets", Kind::Message(LOCAL_OBJECT_REFERENCE)),
        one(4, "automountServiceAccountToken", Kind::Bool),
    ];

    const BOUND_OBJECT_REFERENCE: &[Field] = &[
        one(1, "kind", Kind::String),
        one(2, "apiVersion", Kind::String),
        one(3, "name", Kind::String),
        one(4, "uid", Kind::String),
    ];

    const TOKEN_REQUEST_SPEC: &[Field] = &[
        many(1, "audiences", Kind::String),
        one(3, "boundObjectRef", Kind::Message(BOUND_OBJECT_REFERENCE)),
        one(4, "expirationSeconds", Kind::Int),
    ];

    /// `kubectl create token` (TokenRequest without its status).
    const TOKEN_REQUEST: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(2, "spec", Kind::Message(TOKEN_REQUEST_SPEC)),
    ];

    const POLICY_RULE: &[Field] = &[
        many(1, "verbs", Kind::String),
        many(2, "apiGroups", Kind::String),
        many(3, "resources", Kind::String),
        many(4, "resourceNames", Kind::String),
        many(5, "nonResourceURLs", Kind::String),
    ];

    const ROLE_REF: &[Field] = &[
        one(1, "apiGroup", Kind::String),
        one(2, "kind", Kind::String),
        one(3, "name", Kind::String),
    ];

    const SUBJECT: &[Field] = &[
        one(1, "kind", Kind::String),
        one(2, "apiGroup", Kind::String),
        one(3, "name", Kind::String),
        one(4, "namespace", Kind::String),
    ];

    /// rbac/v1 Role and ClusterRole (`kubectl create role|clusterrole`); a ClusterRole's
    /// aggregationRule (3) is not read.
    const ROLE: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        many(2, "rules", Kind::Message(POLICY_RULE)),
    ];

    /// rbac/v1 RoleBinding and ClusterRoleBinding (`kubectl create rolebinding`, `oc policy`).
    const ROLE_BINDING: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        many(2, "subjects", Kind::Message(SUBJECT)),
        one(3, "roleRef", Kind::Message(ROLE_REF)),
    ];

    const RESOURCE_ATTRIBUTES: &[Field] = &[
        one(1, "namespace", Kind::String),
        one(2, "verb", Kind::String),
        one(3, "group", Kind::String),
        one(4, "version", Kind::String),
        one(5, "resource", Kind::String),
        one(6, "subresource", Kind::String),
        one(7, "name", Kind::String),
    ];

    const NON_RESOURCE_ATTRIBUTES: &[Field] =
        &[one(1, "path", Kind::String), one(2, "verb", Kind::String)];

    const SELF_SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
        one(1, "resourceAttributes", Kind::Message(RESOURCE_ATTRIBUTES)),
        one(
            2,
            "nonResourceAttributes",
            Kind::Message(NON_RESOURCE_ATTRIBUTES),
        ),
    ];

    const SUBJECT_ACCESS_REVIEW_SPEC: &[Field] = &[
        one(1, "resourceAttributes", Kind::Message(RESOURCE_ATTRIBUTES)),
        one(
            2,
            "nonResourceAttributes",
            Kind::Message(NON_RESOURCE_ATTRIBUTES),
        ),
        one(3, "user", Kind::String),
        many(4, "groups", Kind::String),
        one(6, "uid", Kind::String),
    ];

    /// `kubectl auth can-i` (SelfSubjectAccessReview without its status).
    const SELF_SUBJECT_ACCESS_REVIEW: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(2, "spec", Kind::Message(SELF_SUBJECT_ACCESS_REVIEW_SPEC)),
    ];

    /// `kubectl auth can-i --list` (SelfSubjectRulesReview without its status).
    const SELF_SUBJECT_RULES_REVIEW: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(
            2,
            "spec",
            Kind::Message(&[one(1, "namespace", Kind::String)]),
        ),
    ];

    /// SubjectAccessReview without its status.
    const SUBJECT_ACCESS_REVIEW: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(2, "spec", Kind::Message(SUBJECT_ACCESS_REVIEW_SPEC)),
    ];

    const NAMESPACE_SPEC: &[Field] = &[many(1, "finalizers", Kind::String)];

    /// Namespace without its status (3).
    const NAMESPACE: &[Field] = &[
        one(1, "metadata", Kind::Message(OBJECT_META)),
        one(2, "spec", Kind::Message(NAMESPACE_SPEC)),
    ];

    fn malformed(what: &str) -> ApiError {
        ApiError::bad_request(format!("error decoding protobuf: {what}"))
    }

    /// A protobuf wire-format reader.
    struct Reader<'a> {
        buf: &'a [u8],
    }

    impl<'a> Reader<'a> {
        fn varint(&mut self) -> ApiResult<u64> {
            let mut value = 0u64;
            for (i, b) in self.buf.iter().enumerate().take(10) {
                value |= u64::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    self.buf = &self.buf[i + 1..];
                    return Ok(value);
                }
            }
            Err(malformed("truncated or overlong varint"))
        }

        fn take(&mut self, n: usize) -> ApiResult<&'a [u8]> {
            if n > self.buf.len() {
                return Err(malformed("truncated field"));
            }
            let (head, tail) = self.buf.split_at(n);
            self.buf = tail;
            Ok(head)
        }

        fn bytes(&mut self) -> ApiResult<&'a [u8]> {
            let n = usize::try_from(self.varint()?).map_err(|_| malformed("oversized field"))?;
            self.take(n)
        }

        /// The next field's number and wire type, or `None` at the end.
        fn key(&mut self) -> ApiResult<Option<(u64, u64)>> {
            if self.buf.is_empty() {
                return Ok(None);
            }
            let key = self.varint()?;
            Ok(Some((key >> 3, key & 7)))
        }

        fn skip(&mut self, wire: u64) -> ApiResult<()> {
            match wire {
                0 => self.varint().map(drop),
                1 => self.take(8).map(drop),
                2 => self.bytes().map(drop),
                5 => self.take(4).map(drop),
                _ => Err(malformed("unsupported wire type")),
            }
        }
    }

    fn utf8(b: &[u8]) -> ApiResult<String> {
        String::from_utf8(b.to_vec()).map_err(|_| malformed("a string is not valid UTF-8"))
    }

    /// A map entry: key 1, value 2.
    fn map_entry(b: &[u8], bytes_value: bool) -> ApiResult<(String, Value)> {
        let mut r = Reader { buf: b };
        let (mut key, mut value) = (String::new(), Vec::new());
        while let Some((number, wire)) = r.key()? {
            match (number, wire) {
                (1, 2) => key = utf8(r.bytes()?)?,
                (2, 2) => value = r.bytes()?.to_vec(),
                _ => r.skip(wire)?,
            }
        }
        let value = if bytes_value {
            serde_json::to_value(k8s_openapi::ByteString(value)).map_err(ApiError::internal)?
        } else {
            Value::String(utf8(&value)?)
        };
        Ok((key, value))
    }

    fn message(b: &[u8], fields: &[Field]) -> ApiResult<Map<String, Value>> {
        let mut r = Reader { buf: b };
        let mut out = Map::new();
        while let Some((number, wire)) = r.key()? {
            let Some(field) = fields.iter().find(|f| f.number == number) else {
                r.skip(wire)?;
                continue;
            };
            let expected = match field.kind {
                Kind::Bool | Kind::Int => 0,
                _ => 2,
            };
            if wire != expected {
                return Err(malformed(&format!("wrong wire type for {}", field.name)));
            }
            let value = match field.kind {
                Kind::String => Value::String(utf8(r.bytes()?)?),
                Kind::Bool => Value::Bool(r.varint()? != 0),
                // two's complement: negative int64s are ten-byte varints
                Kind::Int => Value::from(r.varint()?.cast_signed()),
                Kind::Message(fs) => Value::Object(message(r.bytes()?, fs)?),
                Kind::StringMap | Kind::BytesMap => {
                    let (k, v) = map_entry(r.bytes()?, matches!(field.kind, Kind::BytesMap))?;
                    if let Value::Object(m) = out
                        .entry(field.name)
                        .or_insert_with(|| Value::Object(Map::new()))
                    {
                        m.insert(k, v);
                    }
                    continue;
                }
            };
            if field.repeated {
                if let Value::Array(a) = out
                    .entry(field.name)
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    a.push(value);
                }
            } else if value == "" || value == 0 {
                // Go's omitempty
                out.remove(field.name);
            } else {
                out.insert(field.name.to_owned(), value);
            }
        }
        Ok(out)
    }

    /// The JSON form of a protobuf-encoded object.
    pub fn to_json(body: &[u8]) -> ApiResult<Value> {
        let Some(envelope) = body.strip_prefix(MAGIC) else {
            return Err(malformed("the body does not start with the k8s envelope"));
        };
        let mut r = Reader { buf: envelope };
        let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
        while let Some((number, wire)) = r.key()? {
            match (number, wire) {
                (1, 2) => {
                    let mut t = Reader { buf: r.bytes()? };
                    while let Some((n, w)) = t.key()? {
                        match (n, w) {
                            (1, 2) => api_version = utf8(t.bytes()?)?,
                            (2, 2) => kind = utf8(t.bytes()?)?,
                            _ => t.skip(w)?,
                        }
                    }
                }
                (2, 2) => raw = r.bytes()?,
                (3, 2) => {
                    if !r.bytes()?.is_empty() {
                        return Err(ApiError::unsupported_media_type(
                            "protobuf bodies with a content encoding are not supported",
                        ));
                    }
                }
                _ => r.skip(wire)?,
            }
        }
        let schema = match (api_version.as_str(), kind.as_str()) {
            ("v1", "Secret") => SECRET,
            ("v1", "Namespace") => NAMESPACE,
            ("v1", "ServiceAccount") => SERVICE_ACCOUNT,
            ("authentication.k8s.io/v1", "TokenRequest") => TOKEN_REQUEST,
            ("rbac.authorization.k8s.io/v1", "Role" | "ClusterRole") => ROLE,
            ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => ROLE_BINDING,
            ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => SELF_SUBJECT_ACCESS_REVIEW,
            ("authorization.k8s.io/v1", "SubjectAccessReview") => SUBJECT_ACCESS_REVIEW,
            ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => SELF_SUBJECT_RULES_REVIEW,
            _ => {
                return Err(ApiError::unsupported_media_type(format!(
                    "{CONTENT_TYPE} is accepted for v1 Secret, Namespace, ServiceAccount, TokenRequest, RBAC objects and access reviews only (got {api_version:?} {kind:?}): send application/json or application/yaml"
                )));
            }
        };
        let mut object = message(raw, schema)?;
        object.insert("apiVersion".into(), Value::String(api_version));
        object.insert("kind".into(), Value::String(kind));
        Ok(Value::Object(object))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// `kubectl create secret docker-registry pull --docker-server=quay.io
        /// --docker-username=robot --docker-password=s3cret`, as kubectl 1.32 sends it.
        const KUBECTL_SECRET: &[u8] = b"k8s\0\n\x0c\n\x02v1\x12\x06Secret\x12\xa5\x01\n\x14\n\x04pull\x12\x00\x1a\x00\"\x00*\x002\x008\x00B\x00\x12m\n\x11.dockerconfigjson\x12X{\"auths\":{\"quay.io\":{\"username\":\"robot\",\"password\":\"s3cret\",\"auth\":\"cm9ib3Q6czNjcmV0\"}}}\x1a\x1ekubernetes.io/dockerconfigjson\x1a\x00\"\x00";

        #[test]
        fn decodes_kubectls_secret() {
            let v = to_json(KUBECTL_SECRET).unwrap();
            assert_eq!(
                v,
                serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "pull"},
                    "type": "kubernetes.io/dockerconfigjson",
                    "data": {".dockerconfigjson": "eyJhdXRocyI6eyJxdWF5LmlvIjp7InVzZXJuYW1lIjoicm9ib3QiLCJwYXNzd29yZCI6InMzY3JldCIsImF1dGgiOiJjbTlpYjNRNmN6TmpjbVYwIn19fQ=="},
                })
            );
        }

        #[test]
        fn maps_repeated_fields_and_negative_ints() {
            // Namespace{metadata{name "ns", labels{a: b}, finalizers [x, y],
            // deletionGracePeriodSeconds -1}, spec{finalizers [kubernetes]}}
            let mut meta = b"\n\x02ns\x5a\x06\n\x01a\x12\x01b\x72\x01x\x72\x01y".to_vec();
            meta.extend_from_slice(&[
                0x50, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ]);
            let spec = b"\n\x0akubernetes";
            let mut raw = vec![0x0a, u8::try_from(meta.len()).unwrap()];
            raw.extend_from_slice(&meta);
            raw.extend_from_slice(&[0x12, u8::try_from(spec.len()).unwrap()]);
            raw.extend_from_slice(spec);
            let mut body = b"k8s\0\n\x0f\n\x02v1\x12\x09Namespace\x12".to_vec();
            body.push(u8::try_from(raw.len()).unwrap());
            body.extend_from_slice(&raw);
            assert_eq!(
                to_json(&body).unwrap(),
                serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": "ns",
                        "labels": {"a": "b"},
                        "finalizers": ["x", "y"],
                        "deletionGracePeriodSeconds": -1,
                    },
                    "spec": {"finalizers": ["kubernetes"]},
                })
            );
        }

        #[test]
        fn refuses_other_kinds_and_garbage() {
            let body = b"k8s\0\n\x0f\n\x02v1\x12\x09ConfigMap\x12\x00";
            assert_eq!(to_json(body).unwrap_err().status.code, Some(415));
            assert_eq!(to_json(b"{}").unwrap_err().status.code, Some(400));
            assert_eq!(to_json(b"k8s\0\n\xff").unwrap_err().status.code, Some(400));
        }
    }
}

//! API errors as Kubernetes `Status` bodies: one constructor per reason, with the exact message
//! shapes apimachinery uses (`imagestreams.image.openshift.io "x" not found`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tagplane_api::meta::{Status, StatusCause, StatusDetails};
use tagplane_api::validation::{FieldError, go_quote, invalid_status};
use tagplane_store::StoreError;

/// An error answered to a client: an HTTP code and the `Status` body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The Status body (its `code` is the HTTP status); boxed to keep `Result`s small.
    pub status: Box<Status>,
}

/// `<resource>.<group>` or just `<resource>` for the core group.
pub fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    }
}

fn status(code: u16, reason: &str, message: String, details: Option<StatusDetails>) -> ApiError {
    ApiError {
        status: Box::new(Status {
            code: Some(i32::from(code)),
            details,
            message: Some(message),
            metadata: Default::default(),
            reason: Some(reason.to_owned()),
            status: Some("Failure".to_owned()),
        }),
    }
}

fn details(group: &str, resource: &str, name: &str) -> Option<StatusDetails> {
    Some(StatusDetails {
        group: Some(group.to_owned()),
        kind: Some(resource.to_owned()),
        name: Some(name.to_owned()),
        ..Default::default()
    })
}

impl ApiError {
    /// 404 `<resource>.<group> "<name>" not found`; details name the requested resource.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        status(
            404,
            "NotFound",
            format!(
                "{} {} not found",
                qualified(group, resource),
                go_quote(name)
            ),
            details(group, resource, name),
        )
    }

    /// 409 `<resource>.<group> "<name>" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        status(
            409,
            "AlreadyExists",
            format!(
                "{} {} already exists",
                qualified(group, resource),
                go_quote(name)
            ),
            details(group, resource, name),
        )
    }

    /// 409 `Operation cannot be fulfilled on <resource>.<group> "<name>": <why>`.
    pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> Self {
        status(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {}: {why}",
                qualified(group, resource),
                go_quote(name)
            ),
            details(group, resource, name),
        )
    }

    /// 422 with field causes (`<Kind>.<group> "<name>" is invalid: ...`).
    pub fn invalid(group: &str, kind: &str, name: &str, errors: &[FieldError]) -> Self {
        ApiError {
            status: Box::new(invalid_status(group, kind, name, errors)),
        }
    }

    /// 400 with a plain message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        status(400, "BadRequest", message.into(), None)
    }

    /// 403 with a plain message.
    pub fn forbidden(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let q = qualified(group, resource);
        status(
            403,
            "Forbidden",
            format!("{q} {} is forbidden: {why}", go_quote(name)),
            details(group, resource, name),
        )
    }

    /// 422 for a patch that cannot be applied (a failed `test` op, a missing path).
    pub fn unprocessable_patch(why: impl Into<String>) -> Self {
        status(
            422,
            "Invalid",
            format!(
                "the server rejected our request due to an error in our request: {}",
                why.into()
            ),
            None,
        )
    }

    /// 405 for a method the path does not serve.
    pub fn method_not_allowed() -> Self {
        status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource".into(),
            None,
        )
    }

    /// 410 Gone (expired resourceVersion or continue token).
    pub fn gone(message: impl Into<String>) -> Self {
        status(410, "Expired", message.into(), None)
    }

    /// 413 for bodies over the limit.
    pub fn too_large(limit: usize) -> Self {
        status(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than the limit of {limit} bytes"),
            None,
        )
    }

    /// 415 for content types we do not accept.
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        status(415, "UnsupportedMediaType", message.into(), None)
    }

    /// 500 ServerTimeout (the spec's retry-exhausted case).
    pub fn server_timeout(operation: &str, resource: &str) -> Self {
        let mut e = status(
            500,
            "ServerTimeout",
            format!(
                "The {operation} operation against {resource} could not be completed at this time, please try again."
            ),
            None,
        );
        e.status.details = Some(StatusDetails {
            name: Some(operation.to_owned()),
            kind: Some(resource.to_owned()),
            retry_after_seconds: Some(2),
            ..Default::default()
        });
        e
    }

    /// 500 `Internal error occurred: <why>`.
    pub fn internal(why: impl std::fmt::Display) -> Self {
        let why = why.to_string();
        let mut e = status(
            500,
            "InternalError",
            format!("Internal error occurred: {why}"),
            None,
        );
        e.status.details = Some(StatusDetails {
            causes: Some(vec![StatusCause {
                message: Some(why),
                ..Default::default()
            }]),
            ..Default::default()
        });
        e
    }

    /// 503 for a store outage (retryable).
    pub fn unavailable(why: impl std::fmt::Display) -> Self {
        let mut e = status(
            503,
            "ServiceUnavailable",
            format!("the server is currently unable to handle the request: {why}"),
            None,
        );
        e.status.details = Some(StatusDetails {
            retry_after_seconds: Some(1),
            ..Default::default()
        });
        e
    }

    /// Map a store error on `<resource> <name>` to the API error a client expects.
    pub fn from_store(e: StoreError, group: &str, resource: &str, name: &str) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(group, resource, name),
            StoreError::AlreadyExists => ApiError::already_exists(group, resource, name),
            StoreError::Conflict { .. } => ApiError::conflict(
                group,
                resource,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ),
            StoreError::UidMismatch => {
                ApiError::conflict(group, resource, name, "the UID precondition was not met")
            }
            StoreError::TooOld {
                requested,
                compacted,
            } => ApiError::gone(format!(
                "too old resource version: {requested} ({compacted})"
            )),
            StoreError::ContinueExpired => ApiError::gone(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from the response to paginate through the latest result.",
            ),
            StoreError::InvalidContinue(why) => {
                ApiError::bad_request(format!("invalid continue token: {why}"))
            }
            StoreError::InvalidRevision(rv) => {
                ApiError::bad_request(format!("invalid resource version {}", go_quote(&rv)))
            }
            StoreError::InvalidKey(why) => ApiError::bad_request(format!("invalid name: {why}")),
            StoreError::Unavailable(why) => ApiError::unavailable(why),
            other => ApiError::internal(other),
        }
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.status
            .code
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(500)
    }

    /// The `reason` string.
    pub fn reason(&self) -> &str {
        self.status.reason.as_deref().unwrap_or("")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.status.message.as_deref().unwrap_or("unknown error"))
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.status).unwrap_or_default();
        (
            code,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// Result alias of the service layer.
pub type ApiResult<T> = Result<T, ApiError>;

//! The one error type of this crate and its mapping to Kubernetes `Status` values (spec §11.6).
//!
//! Every variant carries only text that is safe to show: URLs without query strings, registry
//! hosts, error codes and messages from registries. Credentials never reach an error.

use std::time::Duration;

use tagplane_api::meta::Status;
use tagplane_api::reference::ImageReference;
use tagplane_core::manifest::ManifestError;

/// Why talking to a remote registry failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    /// The image reference cannot address a remote repository (no name, bad digest, ...).
    #[error("invalid image reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The registry rejected the repository name (`NAME_INVALID`).
    #[error("the provided repository name is not valid: {detail}")]
    InvalidName {
        /// The registry's message.
        detail: String,
    },
    /// The registry is blocked by configuration; nothing was sent to it.
    #[error("registry {registry} blocked")]
    Blocked {
        /// Registry host.
        registry: String,
    },
    /// The repository, tag, manifest or blob does not exist (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`, 404).
    #[error("not found: {detail}")]
    NotFound {
        /// The registry's message, or what was requested.
        detail: String,
    },
    /// The registry refused access (`UNAUTHORIZED`) to a request made without credentials or
    /// with a token that does not grant the scope.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// The registry's message.
        detail: String,
    },
    /// The registry asked for Basic authentication and the keyring had no credential for it.
    #[error("no basic auth credentials")]
    NoCredentials {
        /// Registry host.
        registry: String,
    },
    /// Credentials were sent (to the registry or its token server) and were rejected.
    #[error("unauthorized: incorrect username or password")]
    IncorrectCredentials {
        /// Registry host.
        registry: String,
    },
    /// The registry answers only plain HTTP and the import was not allowed to be insecure.
    #[error("registry {registry} is HTTP only and requires the insecure flag")]
    HttpOnly {
        /// Registry host.
        registry: String,
    },
    /// `GET /v2/` answered in a way no Distribution v2 registry does.
    #[error("registry {registry} does not support v2 API (status {status})")]
    NotV2Registry {
        /// Registry host.
        registry: String,
        /// Status code of the ping.
        status: u16,
    },
    /// The registry answered 429 and its `Retry-After` was too long to wait for, or retries ran out.
    #[error("{}", rate_limited_message(.registry, .retry_after, .limit))]
    RateLimited {
        /// Registry host.
        registry: String,
        /// The wait the registry asked for (`Retry-After`, else `RateLimit-Reset`), when it said.
        retry_after: Option<Duration>,
        /// The registry's rate-limit headers, described (`limit 100 per 21600s, 0 remaining`).
        limit: Option<String>,
    },
    /// The request could not be sent or its response not read (DNS, connect, TLS, reset).
    #[error("{method} \"{url}\": {detail}")]
    Transport {
        /// HTTP method.
        method: String,
        /// URL without query string.
        url: String,
        /// The error chain.
        detail: String,
    },
    /// The request did not finish within its timeout.
    #[error("{method} \"{url}\": timed out after {}s", .timeout.as_secs_f64())]
    Timeout {
        /// HTTP method.
        method: String,
        /// URL without query string.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The registry redirected more often than allowed (a loop or a very long chain).
    #[error("{method} \"{url}\": stopped after {max} redirects")]
    TooManyRedirects {
        /// HTTP method.
        method: String,
        /// URL without query string of the first request.
        url: String,
        /// The redirect limit.
        max: usize,
    },
    /// A manifest or blob is larger than this crate accepts.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was being read (`manifest`, `config blob`).
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Fetched content does not hash to the digest it was requested by.
    #[error("{0}")]
    Integrity(String),
    /// The manifest or config cannot be turned into an Image (unsupported type, bad JSON, ...).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A Legacy import met a manifest list without entries.
    #[error("no manifests in manifest list")]
    EmptyManifestList,
    /// The registry answered with an unexpected status.
    #[error("{detail}")]
    Registry {
        /// HTTP status code.
        status: u16,
        /// Error codes and messages from the body, or the status line.
        detail: String,
    },
    /// The registry's answer could not be understood (bad JSON, bad token response, ...).
    #[error("invalid response from {url}: {detail}")]
    InvalidResponse {
        /// URL without query string.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The client configuration is unusable (for example a CA bundle that is not PEM).
    #[error("invalid registry client configuration: {0}")]
    Config(String),
    /// Every pull source (mirrors, then the source) failed; one entry per source, in the order
    /// tried, as `<reference>: <error>` (spec §11.2: an aggregate is an InternalError).
    #[error("[{}]", .0.join(", "))]
    AllSourcesFailed(Vec<String>),
}

/// Whole seconds, rounded up (a 0.2 s wait is "1s", not "0s").
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn rate_limited_message(
    registry: &str,
    retry_after: &Option<Duration>,
    limit: &Option<String>,
) -> String {
    let limit = limit
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    match retry_after {
        Some(d) => format!(
            "toomanyrequests: registry {registry} is rate limiting requests{limit}, retry after \
             {}s",
            ceil_secs(*d)
        ),
        None => format!("toomanyrequests: registry {registry} is rate limiting requests{limit}"),
    }
}

/// `Status.reason` values produced by [`DistributionError::to_status`].
pub mod reason {
    /// 404.
    pub const NOT_FOUND: &str = "NotFound";
    /// 401.
    pub const UNAUTHORIZED: &str = "Unauthorized";
    /// 400.
    pub const BAD_REQUEST: &str = "BadRequest";
    /// 422.
    pub const INVALID: &str = "Invalid";
    /// 403.
    pub const FORBIDDEN: &str = "Forbidden";
    /// 403 (a registry without the v2 API).
    pub const NOT_V2_REGISTRY: &str = "NotV2Registry";
    /// 429 (the registry is rate limiting; not in OpenShift's table, which says InternalError).
    pub const TOO_MANY_REQUESTS: &str = "TooManyRequests";
    /// 500.
    pub const INTERNAL_ERROR: &str = "InternalError";
}

impl DistributionError {
    /// The `(reason, code, message)` of the import status for this error (spec §11.6), where
    /// `reference` is the image as the importer names it (see [`status_reference`]).
    pub fn to_status(&self, reference: &str) -> (&'static str, u16, String) {
        match self {
            DistributionError::NotFound { .. } => (
                reason::NOT_FOUND,
                404,
                format!("dockerimage.image.openshift.io \"{reference}\" not found"),
            ),
            DistributionError::Unauthorized { .. } | DistributionError::NoCredentials { .. } => (
                reason::UNAUTHORIZED,
                401,
                format!("you may not have access to the container image \"{reference}\""),
            ),
            DistributionError::IncorrectCredentials { .. } => (
                reason::UNAUTHORIZED,
                401,
                format!("incorrect username or password for image \"{reference}\""),
            ),
            DistributionError::HttpOnly { .. } => (
                reason::BAD_REQUEST,
                400,
                format!(
                    "the repository {} is HTTP only and requires the insecure flag to import",
                    repository_name_of(reference)
                ),
            ),
            DistributionError::InvalidName { .. } => (
                reason::INVALID,
                422,
                format!(
                    ".image.openshift.io \"\" is invalid: from.name: Invalid value: \"{}\": the \
                     provided repository name is not valid",
                    repository_name_of(reference)
                ),
            ),
            DistributionError::Blocked { registry } => (
                reason::FORBIDDEN,
                403,
                format!("forbidden: registry {registry} blocked"),
            ),
            DistributionError::NotV2Registry { registry, .. } => (
                reason::NOT_V2_REGISTRY,
                403,
                format!("registry \"{registry}\" does not support the v2 Registry API"),
            ),
            DistributionError::RateLimited {
                registry,
                retry_after,
                limit,
            } => {
                let limit = limit
                    .as_deref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default();
                let retry = match retry_after {
                    Some(d) => format!("retry after {}s", ceil_secs(*d)),
                    None => "retry later".to_owned(),
                };
                (
                    reason::TOO_MANY_REQUESTS,
                    429,
                    format!(
                        "too many requests: registry {registry} is rate limiting requests for \
                         \"{reference}\"{limit}; {retry}"
                    ),
                )
            }
            other => (
                reason::INTERNAL_ERROR,
                500,
                format!("Internal error occurred: {reference}: {other}"),
            ),
        }
    }

    /// [`to_status`](Self::to_status) as a failed Kubernetes `Status`.
    pub fn to_k8s_status(&self, reference: &str) -> Status {
        let (reason, code, message) = self.to_status(reference);
        let mut status = failure_status(reason, code, message);
        if let DistributionError::RateLimited {
            retry_after: Some(d),
            ..
        } = self
        {
            status.details = Some(tagplane_api::meta::StatusDetails {
                retry_after_seconds: Some(i32::try_from(ceil_secs(*d)).unwrap_or(i32::MAX)),
                ..Default::default()
            });
        }
        status
    }

    /// How long the registry asked callers to wait, for a rate-limited failure.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DistributionError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether this is the "incorrect username or password" failure that makes the import
    /// service retry anonymously (spec §10.3).
    pub fn is_incorrect_credentials(&self) -> bool {
        matches!(self, DistributionError::IncorrectCredentials { .. })
    }
}

/// A failed `Status` with the given reason, code and message.
fn failure_status(reason: &str, code: u16, message: String) -> Status {
    Status {
        status: Some("Failure".to_owned()),
        reason: Some(reason.to_owned()),
        code: Some(i32::from(code)),
        message: Some(message),
        ..Status::default()
    }
}

/// The registry-relative repository path of a reference string, or the string itself when it
/// does not parse.
fn repository_name_of(reference: &str) -> String {
    match ImageReference::parse(reference) {
        Ok(r) => {
            let name = r.docker_client_defaults().repository_name();
            if name.is_empty() {
                reference.to_owned()
            } else {
                name
            }
        }
        Err(_) => reference.to_owned(),
    }
}

/// How the importer names an image in status messages: the fully defaulted reference with the
/// digest winning over the tag, e.g. `docker.io/library/mysql:8` or `quay.io/a/b@sha256:…`.
pub fn status_reference(reference: &ImageReference) -> String {
    let mut r = reference.docker_client_defaults();
    if matches!(
        r.registry.as_str(),
        "index.docker.io" | "registry-1.docker.io"
    ) {
        r.registry = "docker.io".to_owned();
    }
    r.most_specific().exact()
}

/// The defensive status of an import that produced neither an image nor an error (spec §11.6).
pub fn unknown_import_status(tag: &str, repository: &str, import_mode: &str) -> Status {
    failure_status(
        reason::INTERNAL_ERROR,
        500,
        format!(
            "unknown error while importing tag \"{tag}\" from repository \"{repository}\" with \
             import mode \"{import_mode}\", please try again."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF: &str = "127.0.0.1:5000/ns/app:v1";

    /// §11.6: every row of the table.
    #[test]
    fn s11_6_status_table() {
        let cases: Vec<(DistributionError, &str, u16, String)> = vec![
            (
                DistributionError::NotFound {
                    detail: "manifest unknown".into(),
                },
                "NotFound",
                404,
                format!("dockerimage.image.openshift.io \"{REF}\" not found"),
            ),
            (
                DistributionError::Unauthorized {
                    detail: "authentication required".into(),
                },
                "Unauthorized",
                401,
                format!("you may not have access to the container image \"{REF}\""),
            ),
            (
                DistributionError::NoCredentials {
                    registry: "127.0.0.1:5000".into(),
                },
                "Unauthorized",
                401,
                format!("you may not have access to the container image \"{REF}\""),
            ),
            (
                DistributionError::IncorrectCredentials {
                    registry: "127.0.0.1:5000".into(),
                },
                "Unauthorized",
                401,
                format!("incorrect username or password for image \"{REF}\""),
            ),
            (
                DistributionError::HttpOnly {
                    registry: "127.0.0.1:5000".into(),
                },
                "BadRequest",
                400,
                "the repository ns/app is HTTP only and requires the insecure flag to import"
                    .into(),
            ),
            (
                DistributionError::InvalidName { detail: "x".into() },
                "Invalid",
                422,
                ".image.openshift.io \"\" is invalid: from.name: Invalid value: \"ns/app\": the \
                 provided repository name is not valid"
                    .into(),
            ),
            (
                DistributionError::Blocked {
                    registry: "evil.io".into(),
                },
                "Forbidden",
                403,
                "forbidden: registry evil.io blocked".into(),
            ),
            (
                DistributionError::NotV2Registry {
                    registry: "127.0.0.1:5000".into(),
                    status: 404,
                },
                "NotV2Registry",
                403,
                "registry \"127.0.0.1:5000\" does not support the v2 Registry API".into(),
            ),
            (
                DistributionError::EmptyManifestList,
                "InternalError",
                500,
                format!("Internal error occurred: {REF}: no manifests in manifest list"),
            ),
            (
                DistributionError::RateLimited {
                    registry: "127.0.0.1:5000".into(),
                    retry_after: Some(Duration::from_millis(29_200)),
                    limit: Some("limit 100 per 21600s, 0 remaining".into()),
                },
                "TooManyRequests",
                429,
                format!(
                    "too many requests: registry 127.0.0.1:5000 is rate limiting requests for \
                     \"{REF}\" (limit 100 per 21600s, 0 remaining); retry after 30s"
                ),
            ),
            (
                DistributionError::RateLimited {
                    registry: "127.0.0.1:5000".into(),
                    retry_after: None,
                    limit: None,
                },
                "TooManyRequests",
                429,
                format!(
                    "too many requests: registry 127.0.0.1:5000 is rate limiting requests for \
                     \"{REF}\"; retry later"
                ),
            ),
        ];
        for (err, reason, code, message) in cases {
            assert_eq!(
                err.to_status(REF),
                (reason, code, message.clone()),
                "{err:?}"
            );
            let status = err.to_k8s_status(REF);
            assert_eq!(status.reason.as_deref(), Some(reason));
            assert_eq!(status.code, Some(i32::from(code)));
            assert_eq!(status.message.as_deref(), Some(message.as_str()));
            assert_eq!(status.status.as_deref(), Some("Failure"));
        }
    }

    /// §11.6: the defensive "neither image nor error" message.
    #[test]
    fn s11_6_unknown_error_message() {
        let s = unknown_import_status("v1", "quay.io/a/b", "Legacy");
        assert_eq!(
            s.message.as_deref(),
            Some(
                "unknown error while importing tag \"v1\" from repository \"quay.io/a/b\" with \
                 import mode \"Legacy\", please try again."
            )
        );
        assert_eq!(s.reason.as_deref(), Some("InternalError"));
    }

    /// §11.1: status messages name the fully defaulted reference, digest over tag.
    #[test]
    fn s11_1_status_reference() {
        let cases = [
            ("mysql:8", "docker.io/library/mysql:8"),
            ("busybox", "docker.io/library/busybox:latest"),
            ("index.docker.io/a/b", "docker.io/a/b:latest"),
            (
                "quay.io/a/b:1@sha256:0123456789012345678901234567890123456789012345678901234567890123",
                "quay.io/a/b@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            ),
            ("127.0.0.1:5000/ns/app:v1", "127.0.0.1:5000/ns/app:v1"),
        ];
        for (input, want) in cases {
            let r = ImageReference::parse(input).unwrap();
            assert_eq!(status_reference(&r), want, "{input}");
        }
    }
}

//! Authentication middleware: every request becomes a [`UserInfo`] (bearer token or anonymous)
//! stored in the request's extensions; anonymous callers reach only the health, version and
//! login endpoints, invalid tokens are 401.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tagplane_api::meta::Status;

use super::UserInfo;
use super::tokens::TokenCache;
use super::users::{IdentityFile, LoginLimiter};
use crate::error::ApiError;
use crate::http::AppState;

/// Default lifetime of tokens issued by `POST /auth/login`.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Authentication settings and state shared by every request.
#[derive(Debug)]
pub struct Access {
    /// Recent token lookups.
    pub tokens: TokenCache,
    /// Users who may log in with a password (`--identity-file`).
    pub identity: Option<IdentityFile>,
    /// Failed-login lockouts.
    pub limiter: LoginLimiter,
    /// Lifetime of login tokens.
    pub token_ttl: Duration,
    /// Password checks allowed at once (bcrypt is slow on purpose; a login flood must not take
    /// every core or the blocking pool).
    pub password_checks: tokio::sync::Semaphore,
}

fn password_check_slots() -> tokio::sync::Semaphore {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores.max(2))
}

impl Default for Access {
    fn default() -> Self {
        Access {
            tokens: TokenCache::default(),
            identity: None,
            limiter: LoginLimiter::default(),
            token_ttl: DEFAULT_TOKEN_TTL,
            password_checks: password_check_slots(),
        }
    }
}

/// Authentication options of `tagplane serve`.
#[derive(Clone, Debug)]
pub struct AccessConfig {
    /// `--identity-file`: htpasswd-style users for `POST /auth/login`.
    pub identity_file: Option<PathBuf>,
    /// `--token-ttl`: lifetime of login tokens.
    pub token_ttl: Duration,
    /// The admin token to create when the data directory is new (tests use a fixed one);
    /// `None` generates a random one.
    pub bootstrap_admin_token: Option<String>,
    /// `--audit-log`: a file for one JSON line per request (`-` for stderr).
    pub audit_log: Option<PathBuf>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            identity_file: None,
            token_ttl: DEFAULT_TOKEN_TTL,
            bootstrap_admin_token: None,
            audit_log: None,
        }
    }
}

impl AccessConfig {
    /// The runtime state for these options (loads the identity file).
    pub fn build(&self) -> Result<Access, String> {
        let identity = match &self.identity_file {
            Some(p) => Some(IdentityFile::load(p)?),
            None => None,
        };
        Ok(Access {
            identity,
            token_ttl: self.token_ttl,
            ..Default::default()
        })
    }
}

/// The 401 `Unauthorized` Status.
pub fn unauthorized(message: &str) -> ApiError {
    ApiError {
        status: Box::new(Status {
            code: Some(401),
            message: Some(message.to_owned()),
            reason: Some("Unauthorized".into()),
            status: Some("Failure".into()),
            ..Default::default()
        }),
    }
}

/// What the `Authorization` header presents.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    /// No header, or a scheme other than Bearer (Basic is read by the login endpoint itself).
    None,
    /// `Bearer <token>`.
    Bearer(&'a str),
    /// A header that cannot be read.
    Malformed,
}

/// The credential of a request.
pub fn credential(headers: &HeaderMap) -> Credential<'_> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Credential::None;
    };
    let Ok(v) = v.to_str() else {
        return Credential::Malformed;
    };
    let v = v.trim();
    match v.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() {
                Credential::Malformed
            } else {
                Credential::Bearer(token)
            }
        }
        _ => Credential::None,
    }
}

/// Whether an anonymous caller may make this request.
pub fn anonymous_allowed(method: &Method, path: &str) -> bool {
    match path {
        "/version" | "/healthz" | "/readyz" | "/livez" => true,
        "/auth/login" => method == Method::POST,
        _ => false,
    }
}

/// The client's address, when the server was started with connection info.
pub fn client_addr(req_extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    req_extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

/// The middleware: authenticate, refuse anonymous callers where they may not go, and put the
/// [`UserInfo`] into the request's (and the response's, for the audit log) extensions.
pub async fn authenticate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let user = match credential(req.headers()) {
        Credential::None => UserInfo::anonymous(),
        Credential::Malformed => return unauthorized("Unauthorized").into_response(),
        Credential::Bearer(token) => match st.service.authenticate_token(token).await {
            Ok(Some(user)) => user,
            Ok(None) => return unauthorized("Unauthorized").into_response(),
            Err(e) => return e.into_response(),
        },
    };
    if user.is_anonymous() && !anonymous_allowed(req.method(), req.uri().path()) {
        let mut resp = unauthorized("Unauthorized").into_response();
        resp.extensions_mut().insert(user);
        return resp;
    }
    req.extensions_mut().insert(user.clone());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(user);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_bearer_tokens_only() {
        let mut h = HeaderMap::new();
        assert_eq!(credential(&h), Credential::None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(credential(&h), Credential::Bearer("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        );
        assert_eq!(credential(&h), Credential::Malformed);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YTpi"),
        );
        assert_eq!(credential(&h), Credential::None);
    }

    #[test]
    fn anonymous_reaches_only_health_version_and_login() {
        for p in ["/version", "/healthz", "/readyz", "/livez"] {
            assert!(anonymous_allowed(&Method::GET, p), "{p}");
        }
        assert!(anonymous_allowed(&Method::POST, "/auth/login"));
        assert!(!anonymous_allowed(&Method::GET, "/auth/login"));
        for p in [
            "/api",
            "/apis",
            "/api/v1/namespaces",
            "/openapi/v3",
            "/version/x",
        ] {
            assert!(!anonymous_allowed(&Method::GET, p), "{p}");
        }
    }
}

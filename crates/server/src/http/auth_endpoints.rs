//! `POST /auth/login` (Basic credentials from the identity file → a token), `POST /auth/logout`
//! (revoke the presented token) and `selfsubjectreviews` (who am I). Passwords and tokens are
//! never logged or echoed.

use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::routing::post;
use base64::Engine;
use k8s_openapi::api::authentication::v1::{SelfSubjectReview, SelfSubjectReviewStatus};
use tagplane_api::meta::{Status, Time, Timestamp};

use super::prelude::*;
use crate::auth::UserInfo;
use crate::auth::authn::{Credential, client_addr, credential, unauthorized};
use crate::service::tokens::LoginOutcome;

/// Routes of these endpoints.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            post(self_subject_review),
        )
}

/// `user:password` from `Authorization: Basic ...`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn login_failed() -> Response {
    unauthorized("Login failed (401 Unauthorized)").into_response()
}

fn too_many(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let e = ApiError {
        status: Box::new(Status {
            code: Some(429),
            message: Some(format!(
                "too many failed login attempts; try again in {secs} seconds"
            )),
            reason: Some("TooManyRequests".into()),
            status: Some("Failure".into()),
            details: Some(tagplane_api::meta::StatusDetails {
                retry_after_seconds: i32::try_from(secs).ok(),
                ..Default::default()
            }),
            ..Default::default()
        }),
    };
    let mut resp = e.into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

fn rfc3339(secs: i64) -> String {
    Time(Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH))
        .0
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn login(State(st): State<AppState>, req: Request) -> Response {
    let Some((name, password)) = basic_credentials(req.headers()) else {
        return login_failed();
    };
    let source = client_addr(req.extensions()).map(|a| a.ip());
    match st.service.password_login(&name, password, source).await {
        Ok(LoginOutcome::Issued(issued)) => json_response(
            StatusCode::CREATED,
            &serde_json::json!({
                "apiVersion": "tagplane.dev/v1",
                "kind": "LoginResult",
                "token": issued.token,
                "username": name,
                "expirationTimestamp": rfc3339(issued.expires.unwrap_or_default()),
            }),
            &[],
        ),
        Ok(LoginOutcome::Failed) => login_failed(),
        Ok(LoginOutcome::LockedOut(wait)) => too_many(wait),
        Err(e) => e.into_response(),
    }
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Credential::Bearer(token) = credential(&headers) else {
        return unauthorized("Unauthorized").into_response();
    };
    match st.service.revoke_token(token).await {
        Ok(_) => json_response(
            StatusCode::OK,
            &Status {
                code: Some(200),
                status: Some("Success".into()),
                message: Some("logged out: the token is revoked".into()),
                ..Default::default()
            },
            &[],
        ),
        Err(e) => e.into_response(),
    }
}

async fn self_subject_review(user: Option<Extension<UserInfo>>, body: Bytes) -> Response {
    // The body (JSON, YAML or protobuf) carries nothing the answer depends on.
    if let Err(e) = body_bytes(body) {
        return e.into_response();
    }
    let user = user.map(|u| u.0).unwrap_or_else(UserInfo::anonymous);
    let review = SelfSubjectReview {
        metadata: Default::default(),
        status: Some(SelfSubjectReviewStatus {
            user_info: Some(k8s_openapi::api::authentication::v1::UserInfo {
                username: Some(user.name),
                uid: Some(user.uid).filter(|u| !u.is_empty()),
                groups: Some(user.groups),
                extra: None,
            }),
        }),
    };
    json_response(StatusCode::CREATED, &review, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_credentials_with_colons_in_the_password() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWxpY2U6cDphc3M="),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("alice".to_owned(), "p:ass".to_owned()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&h), None);
    }

    #[test]
    fn expiry_is_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}

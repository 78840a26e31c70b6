//! Handlers of core/v1 `serviceaccounts` and their `token` subresource (TokenRequest). Tokens
//! appear only in the TokenRequest answer, never in logs.

use axum::Router;
use axum::routing::{get, post};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestStatus};
use k8s_openapi::api::core::v1::ServiceAccount;
use serde_json::{Value, json};
use tagplane_api::meta::{List, Time, Timestamp};

use super::prelude::*;
use super::table::{Column, TableRow};
use super::tags::SECRET;
use super::watch::watch_response;
use super::{BodyKind, watch_presenter};

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/serviceaccounts", get(list_all))
        .route(
            "/api/v1/namespaces/{ns}/serviceaccounts",
            get(list).post(create),
        )
        .route(
            "/api/v1/namespaces/{ns}/serviceaccounts/{name}",
            get(get_one).put(replace).patch(patch).delete(remove),
        )
        .route(
            "/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
            post(token),
        )
}

impl BodyKind for ServiceAccount {
    const API_VERSION: &'static str = "v1";
    const KIND: &'static str = "ServiceAccount";
}

impl BodyKind for TokenRequest {
    const API_VERSION: &'static str = "authentication.k8s.io/v1";
    const KIND: &'static str = "TokenRequest";
}

impl TableRow for ServiceAccount {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string(
                "Secrets",
                "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
            )
            .typed("integer"),
            Column::string(
                "Age",
                "CreationTimestamp is a timestamp representing the server time when this object was created.",
            ),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(self.secrets.as_ref().map_or(0, Vec::len)),
            json!(super::table::age(
                now,
                self.metadata.creation_timestamp.as_ref()
            )),
        ]
    }

    fn metadata(&self) -> &tagplane_api::meta::ObjectMeta {
        &self.metadata
    }
}

async fn list_all(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    list_in(st, None, q, headers).await
}

async fn list(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    list_in(st, Some(ns), q, headers).await
}

async fn list_in(st: AppState, ns: Option<String>, q: CommonQuery, headers: HeaderMap) -> Response {
    let selector = match st
        .service
        .service_account_selector(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = watch_params(ns, &q);
        let present = watch_presenter::<ServiceAccount>(&st, &headers);
        let keep = move |s: &ServiceAccount| selector.matches(&s.metadata, |_| None::<String>);
        return watch_response::<ServiceAccount, _, _>(&st.service, params, present, keep).await;
    }
    let result = st
        .service
        .list_service_accounts(ns.as_deref(), &list_options(&q), &selector)
        .await
        .map(|l| List {
            api_version: "v1".into(),
            kind: "ServiceAccountList".into(),
            metadata: l.meta,
            items: l.items,
        });
    list_response(&st, &headers, result)
}

async fn create(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, decoded) = decode_write::<ServiceAccount>(&q, &headers, body)?;
        let sa = st
            .service
            .create_service_account(&ns, decoded.value, opts)
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &sa, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_one(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_service_account(&ns, &name).await;
    object_response(&st, &headers, result)
}

async fn replace(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, decoded) = decode_write::<ServiceAccount>(&q, &headers, body)?;
        let sa = st
            .service
            .update_service_account(
                &ns,
                &name,
                crate::service::tags::ObjectUpdate::Replace(decoded.value),
                opts,
            )
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::OK, &sa, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn patch(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let patch = patch_fn(&headers, body, &SECRET)?;
        st.service
            .update_service_account(
                &ns,
                &name,
                crate::service::tags::ObjectUpdate::Patch(&*patch),
                opts,
            )
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

async fn remove(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, rv, uid) = delete_request(&q, &headers, body)?;
        st.service
            .delete_service_account(&ns, &name, rv, uid.as_deref(), opts)
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

async fn token(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let mut request = if body.is_empty() {
            TokenRequest::default()
        } else {
            decode_write::<TokenRequest>(&q, &headers, body)?.1.value
        };
        let issued = st
            .service
            .request_service_account_token(&ns, &name, request.spec.expiration_seconds)
            .await?;
        let expires = issued.expires.unwrap_or_default();
        request.metadata.name = Some(name.clone());
        request.metadata.namespace = Some(ns.clone());
        request.metadata.creation_timestamp = Some(st.service.objects.clock.now());
        request.spec.expiration_seconds = issued.lifetime;
        request.status = Some(TokenRequestStatus {
            token: issued.token,
            expiration_timestamp: Time(
                Timestamp::from_second(expires).unwrap_or(Timestamp::UNIX_EPOCH),
            ),
        });
        let mut value = serde_json::to_value(&request).map_err(ApiError::internal)?;
        value["apiVersion"] = json!("authentication.k8s.io/v1");
        value["kind"] = json!("TokenRequest");
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &value, &[]))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

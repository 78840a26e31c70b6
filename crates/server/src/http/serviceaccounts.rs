//! Handlers of core/v1 `serviceaccounts` and their `token` subresource (TokenRequest). Tokens
//! appear only in the TokenRequest answer, never in logs.

use axum::Router;
use axum::routing::post;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestStatus};
use k8s_openapi::api::core::v1::ServiceAccount;
use serde_json::{Value, json};
use tagplane_api::meta::{Time, Timestamp};

use super::prelude::*;
use super::simple::{self, Served};
use super::table::{Column, TableRow};

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    simple::routes::<ServiceAccount>(Router::new()).route(
        "/api/v1/namespaces/{ns}/serviceaccounts/{name}/token",
        post(token),
    )
}

impl Served for ServiceAccount {}

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

//! Handlers of core/v1 `namespaces`.

use axum::Router;
use axum::routing::get;
use k8s_openapi::api::core::v1::Namespace;
use serde_json::Value;
use tagplane_api::meta::List;
use tagplane_store::ListOptions;

use super::prelude::*;
use super::watch::{DEFAULT_WATCH_TIMEOUT, WatchParams, watch_response};

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/namespaces", get(list).post(create))
        .route("/api/v1/namespaces/{name}", get(get_one).delete(delete))
}

async fn list(State(st): State<AppState>, Query(q): Query<CommonQuery>) -> Response {
    if q.is_watch() {
        let params = WatchParams {
            namespace: None,
            resource_version: q.resource_version.clone(),
            bookmarks: q.allow_watch_bookmarks.unwrap_or(false),
            timeout: q
                .timeout_seconds
                .map(std::time::Duration::from_secs)
                .unwrap_or(DEFAULT_WATCH_TIMEOUT),
        };
        let present = |n: Namespace| serde_json::to_value(&n).unwrap_or(Value::Null);
        return watch_response::<Namespace, _, _>(&st.service, params, present, |_| true).await;
    }
    let opts = ListOptions {
        limit: q.limit,
        continue_token: q.continue_.clone(),
        revision: None,
    };
    match st.service.objects.list::<Namespace>(None, &opts).await {
        Ok(list) => json_response(
            StatusCode::OK,
            &List {
                api_version: "v1".into(),
                kind: "NamespaceList".into(),
                metadata: list.meta,
                items: list.items,
            },
            &[],
        ),
        Err(e) => e.into_response(),
    }
}

async fn create(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded =
            decode_body::<Namespace>(&headers, &body_bytes(body)?, q.field_validation.as_deref())?;
        let ns = st.service.create_namespace(decoded.value, opts).await?;
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &ns, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_one(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    match st.service.objects.get::<Namespace>(None, &name).await {
        Ok(ns) => json_response(StatusCode::OK, &ns, &[]),
        Err(e) => e.into_response(),
    }
}

async fn delete(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    match st.service.delete_namespace(&name).await {
        Ok(ns) => json_response(StatusCode::OK, &ns, &[]),
        Err(e) => e.into_response(),
    }
}

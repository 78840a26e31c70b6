//! Handlers of core/v1 `secrets` and `imagestreams/{name}/secrets` (§11.5, §12.2). Secret
//! contents are never logged.

use axum::Router;
use axum::routing::get;
use k8s_openapi::api::core::v1::Secret;

use super::prelude::*;
use super::simple::{self, Served};

impl Served for Secret {}

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    simple::routes::<Secret>(Router::new()).route(
        "/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams/{name}/secrets",
        get(stream_secrets),
    )
}

async fn stream_secrets(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    respond(
        StatusCode::OK,
        st.service
            .image_stream_secrets(&ns, &name, labels, fields)
            .await,
    )
}

//! Handler of `imagestreammappings` (§8): decode, call the service, encode the `Status`.

use axum::Router;
use axum::routing::post;
use tagplane_api::image::ImageStreamMapping;

use super::prelude::*;

const BASE: &str = "/apis/image.openshift.io/v1";

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        &format!("{BASE}/namespaces/{{ns}}/imagestreammappings"),
        post(create),
    )
}

async fn create(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded = decode_body::<ImageStreamMapping>(
            &headers,
            &body_bytes(body)?,
            q.field_validation.as_deref(),
        )?;
        let status = st
            .service
            .create_image_stream_mapping(&ns, decoded.value, opts)
            .await?;
        Ok::<_, ApiError>(json_response(
            StatusCode::CREATED,
            &status,
            &decoded.warnings,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

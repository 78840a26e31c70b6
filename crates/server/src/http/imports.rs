//! Handler of `imagestreamimports` (§10): decode, call the service, encode.

use axum::Router;
use axum::routing::post;
use tagplane_api::image::ImageStreamImport;

use super::prelude::*;

const BASE: &str = "/apis/image.openshift.io/v1";

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        &format!("{BASE}/namespaces/{{ns}}/imagestreamimports"),
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
        let decoded = decode_body::<ImageStreamImport>(
            &headers,
            &body_bytes(body)?,
            q.field_validation.as_deref(),
        )?;
        let isi = st.service.import_images(&ns, decoded.value, opts).await?;
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &isi, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

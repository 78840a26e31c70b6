//! Handlers of `images`, `imagesignatures` (§9), `imagestreamimages` (§7) and
//! `imagestreams/{name}/layers` (§12.1): decode, call the service, encode.

use axum::Router;
use axum::routing::{delete, get, post};
use tagplane_api::image::{Image, ImageSignature};
use tagplane_api::meta::List;

use super::prelude::*;
use super::smp;
use super::watch::watch_response;
use crate::service::tags::ObjectUpdate;

const BASE: &str = "/apis/image.openshift.io/v1";

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{BASE}/images"),
            get(list_images).post(create_image),
        )
        .route(
            &format!("{BASE}/images/{{name}}"),
            get(get_image)
                .put(replace_image)
                .patch(patch_image)
                .delete(delete_image),
        )
        .route(&format!("{BASE}/imagesignatures"), post(create_signature))
        .route(
            &format!("{BASE}/imagesignatures/{{name}}"),
            delete(delete_signature),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreamimages/{{name}}"),
            get(get_isimage),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreams/{{name}}/layers"),
            get(get_layers),
        )
}

async fn list_images(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let selector = match st
        .service
        .image_selector(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = watch_params(None, &q);
        let present = watch_presenter::<Image>(&st, &headers);
        let keep = move |i: &Image| selector.matches(&i.metadata, |_| None);
        return watch_response::<Image, _, _>(&st.service, params, present, keep).await;
    }
    let result = st
        .service
        .list_images(&list_options(&q), &selector)
        .await
        .map(|l| List::new(l.items, l.meta));
    list_response(&st, &headers, result)
}

async fn create_image(State(st): State<AppState>, w: WriteRequest) -> Response {
    w.write(StatusCode::CREATED, |opts, image: Image| {
        st.service.create_image(image, opts)
    })
    .await
}

async fn get_image(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_image(&name).await;
    object_response(&st, &headers, result)
}

async fn replace_image(
    State(st): State<AppState>,
    Path(name): Path<String>,
    w: WriteRequest,
) -> Response {
    w.write(StatusCode::OK, |opts, image: Image| {
        st.service
            .update_image(&name, ObjectUpdate::Replace(image), opts)
    })
    .await
}

async fn patch_image(
    State(st): State<AppState>,
    Path(name): Path<String>,
    w: WriteRequest,
) -> Response {
    w.patch(&smp::IMAGE, |opts, patch| async move {
        st.service
            .update_image(&name, ObjectUpdate::Patch(&*patch), opts)
            .await
    })
    .await
}

async fn delete_image(
    State(st): State<AppState>,
    Path(name): Path<String>,
    w: WriteRequest,
) -> Response {
    w.delete(|opts, rv, uid| async move {
        st.service
            .delete_image(&name, rv, uid.as_deref(), opts)
            .await
    })
    .await
}

async fn create_signature(State(st): State<AppState>, w: WriteRequest) -> Response {
    w.write(StatusCode::CREATED, |opts, sig: ImageSignature| {
        st.service.create_image_signature(sig, opts)
    })
    .await
}

async fn delete_signature(
    State(st): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        st.service.delete_image_signature(&name, opts).await
    }
    .await;
    respond(StatusCode::OK, result)
}

async fn get_isimage(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_image_stream_image(&ns, &name).await;
    object_response(&st, &headers, result)
}

async fn get_layers(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    respond(
        StatusCode::OK,
        st.service.get_image_stream_layers(&ns, &name).await,
    )
}

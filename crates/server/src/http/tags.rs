//! Handlers of `imagestreamtags` (§5) and `imagetags` (§6): decode, call the service, encode.
//! Also the strategic-merge schemas of the virtual kinds and of Secrets.

use axum::Router;
use axum::routing::get;
use tagplane_api::image::{ImageStreamTag, ImageTag};

use super::prelude::*;
use super::smp::{MergeList, MergeSchema};
use crate::service::tags::ObjectUpdate;

const BASE: &str = "/apis/image.openshift.io/v1";

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/imagestreamtags"), get(list_istags_all))
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreamtags"),
            get(list_istags).post(create_istag),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreamtags/{{name}}"),
            get(get_istag)
                .put(replace_istag)
                .patch(patch_istag)
                .delete(delete_istag),
        )
        .route(&format!("{BASE}/imagetags"), get(list_itags_all))
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagetags"),
            get(list_itags).post(create_itag),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagetags/{{name}}"),
            get(get_itag)
                .put(replace_itag)
                .patch(patch_itag)
                .delete(delete_itag),
        )
}

/// The `ObjectMeta` lists every object merges by key in a strategic merge patch.
const META_LISTS: [MergeList; 2] = [
    MergeList {
        path: "metadata.finalizers",
        key: "",
    },
    MergeList {
        path: "metadata.ownerReferences",
        key: "uid",
    },
];

/// ImageStreamTag: the embedded Image's signatures merge by `name` (their conditions by
/// `type`); its `dockerImageMetadata` is replaced.
pub(super) static IMAGE_STREAM_TAG: MergeSchema = MergeSchema {
    lists: &[
        META_LISTS[0],
        META_LISTS[1],
        MergeList {
            path: "image.signatures",
            key: "name",
        },
        MergeList {
            path: "image.signatures[].conditions",
            key: "type",
        },
    ],
    replace: &["image.dockerImageMetadata"],
    pod_specs: &[],
};

/// ImageTag: as [`IMAGE_STREAM_TAG`] (its image is optional).
pub(super) static IMAGE_TAG: MergeSchema = IMAGE_STREAM_TAG;

/// Kinds whose only merged lists are metadata's: core/v1 Secret (`data` and `stringData` are
/// maps), ServiceAccount, and the RBAC kinds (their `rules` and `subjects` are atomic).
pub(super) static METADATA_ONLY: MergeSchema = MergeSchema {
    lists: &META_LISTS,
    replace: &[],
    pod_specs: &[],
};

// ------------------------------------------------------------------------ imagestreamtags

async fn list_istags_all(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    let result = st
        .service
        .list_image_stream_tags(None, labels, fields)
        .await;
    list_response(&st, &headers, result)
}

async fn list_istags(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    let result = st
        .service
        .list_image_stream_tags(Some(&ns), labels, fields)
        .await;
    list_response(&st, &headers, result)
}

async fn get_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_image_stream_tag(&ns, &name).await;
    object_response(&st, &headers, result)
}

async fn create_istag(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    w: WriteRequest,
) -> Response {
    w.write(StatusCode::CREATED, |opts, ist: ImageStreamTag| {
        st.service.create_image_stream_tag(&ns, ist, opts)
    })
    .await
}

async fn replace_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    w.coded_write(|opts, ist: ImageStreamTag| async move {
        let update = ObjectUpdate::Replace(ist);
        let (ist, created) = st
            .service
            .update_image_stream_tag(&ns, &name, update, opts)
            .await?;
        Ok((created_or_ok(created), ist))
    })
    .await
}

async fn patch_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    let result = async {
        let opts = w.q.write_options()?;
        let patch = patch_fn(&w.headers, w.body, &IMAGE_STREAM_TAG)?;
        let update = ObjectUpdate::Patch(&*patch);
        let (ist, created) = st
            .service
            .update_image_stream_tag(&ns, &name, update, opts)
            .await?;
        Ok::<_, ApiError>(json_response(created_or_ok(created), &ist, &[]))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn delete_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    // Only the UID precondition is honoured (§5.6).
    w.delete(|opts, _rv, uid| async move {
        st.service
            .delete_image_stream_tag(&ns, &name, uid.as_deref(), opts)
            .await
    })
    .await
}

// ------------------------------------------------------------------------------ imagetags

async fn list_itags_all(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    let result = st.service.list_image_tags(None, labels, fields).await;
    list_response(&st, &headers, result)
}

async fn list_itags(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    let result = st.service.list_image_tags(Some(&ns), labels, fields).await;
    list_response(&st, &headers, result)
}

async fn get_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_image_tag(&ns, &name).await;
    object_response(&st, &headers, result)
}

async fn create_itag(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    w: WriteRequest,
) -> Response {
    w.write(StatusCode::CREATED, |opts, itag: ImageTag| {
        st.service.create_image_tag(&ns, itag, opts)
    })
    .await
}

async fn replace_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    w.coded_write(|opts, itag: ImageTag| async move {
        let update = ObjectUpdate::Replace(itag);
        let (itag, created) = st
            .service
            .update_image_tag(&ns, &name, update, opts)
            .await?;
        Ok((created_or_ok(created), itag))
    })
    .await
}

async fn patch_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    let result = async {
        let opts = w.q.write_options()?;
        let patch = patch_fn(&w.headers, w.body, &IMAGE_TAG)?;
        let update = ObjectUpdate::Patch(&*patch);
        let (itag, created) = st
            .service
            .update_image_tag(&ns, &name, update, opts)
            .await?;
        Ok::<_, ApiError>(json_response(created_or_ok(created), &itag, &[]))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn delete_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    w.delete(|opts, _rv, uid| async move {
        st.service
            .delete_image_tag(&ns, &name, uid.as_deref(), opts)
            .await
    })
    .await
}

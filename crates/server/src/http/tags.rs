//! Handlers of `imagestreamtags` (§5) and `imagetags` (§6): decode, call the service, encode.
//! Also the PATCH/DELETE decoding shared by the other handlers of virtual and cluster resources.

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tagplane_api::image::{ImageStreamTag, ImageTag};
use tagplane_store::{ListOptions, Revision};

use super::patch::{PatchKind, json_patch, merge_patch};
use super::prelude::*;
use super::smp::{self, MergeList, MergeSchema};
use super::streams::delete_options;
use crate::objects::Objects;
use crate::service::WriteOptions;
use crate::service::tags::PatchFn;

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

/// core/v1 Secret: metadata lists only (`data` and `stringData` are maps).
pub(super) static SECRET: MergeSchema = MergeSchema {
    lists: &META_LISTS,
    replace: &[],
    pod_specs: &[],
};

/// The patch function of a PATCH request; strategic merge patches follow `schema`.
pub(super) fn patch_fn(
    headers: &HeaderMap,
    body: Bytes,
    schema: &'static MergeSchema,
) -> ApiResult<Box<PatchFn>> {
    let body = body_bytes(body)?;
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match PatchKind::from_content_type(ct)? {
        PatchKind::Json => Ok(Box::new(move |v: Value| json_patch(v, &body))),
        PatchKind::Merge => Ok(Box::new(move |v: Value| merge_patch(v, &body))),
        PatchKind::Strategic => {
            let patch: Value = serde_json::from_slice(&body).map_err(|e| {
                ApiError::bad_request(format!("invalid strategic merge patch: {e}"))
            })?;
            Ok(Box::new(move |v: Value| smp::apply(v, &patch, schema)))
        }
        PatchKind::Apply => Err(ApiError::unsupported_media_type(
            "server-side apply is not supported yet: use client-side `kubectl apply` (without --server-side) or a merge patch",
        )),
    }
}

/// Write options and preconditions of a DELETE (query plus optional DeleteOptions body).
pub(super) fn delete_request(
    q: &CommonQuery,
    headers: &HeaderMap,
    body: Bytes,
) -> ApiResult<(WriteOptions, Option<Revision>, Option<String>)> {
    let mut opts = q.write_options()?;
    let d = delete_options(headers, &body_bytes(body)?)?;
    if d.dry_run
        .as_ref()
        .is_some_and(|v| v.iter().any(|x| x == "All"))
    {
        opts.dry_run = true;
    }
    let pre = d.preconditions.unwrap_or_default();
    let rv = Objects::parse_rv(pre.resource_version.as_deref())?;
    Ok((opts, rv, pre.uid))
}

/// Paging options of a LIST.
pub(super) fn list_options(q: &CommonQuery) -> ListOptions {
    ListOptions {
        limit: q.limit,
        continue_token: q.continue_.clone(),
        revision: None,
    }
}

/// 201 when `created`, else 200.
pub(super) fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

pub(super) fn respond<T: serde::Serialize>(code: StatusCode, result: ApiResult<T>) -> Response {
    match result {
        Ok(v) => json_response(code, &v, &[]),
        Err(e) => e.into_response(),
    }
}

// ------------------------------------------------------------------------ imagestreamtags

async fn list_istags_all(State(st): State<AppState>, Query(q): Query<CommonQuery>) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    respond(
        StatusCode::OK,
        st.service
            .list_image_stream_tags(None, labels, fields)
            .await,
    )
}

async fn list_istags(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    respond(
        StatusCode::OK,
        st.service
            .list_image_stream_tags(Some(&ns), labels, fields)
            .await,
    )
}

async fn get_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    respond(
        StatusCode::OK,
        st.service.get_image_stream_tag(&ns, &name).await,
    )
}

async fn create_istag(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded = decode_body::<ImageStreamTag>(
            &headers,
            &body_bytes(body)?,
            q.field_validation.as_deref(),
        )?;
        let ist = st
            .service
            .create_image_stream_tag(&ns, decoded.value, opts)
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &ist, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn replace_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded = decode_body::<ImageStreamTag>(
            &headers,
            &body_bytes(body)?,
            q.field_validation.as_deref(),
        )?;
        let update = crate::service::tags::ObjectUpdate::Replace(decoded.value);
        let (ist, created) = st
            .service
            .update_image_stream_tag(&ns, &name, update, opts)
            .await?;
        Ok::<_, ApiError>(json_response(
            created_or_ok(created),
            &ist,
            &decoded.warnings,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn patch_istag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let patch = patch_fn(&headers, body, &IMAGE_STREAM_TAG)?;
        let update = crate::service::tags::ObjectUpdate::Patch(&*patch);
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
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        // Only the UID precondition is honoured (§5.6).
        let (opts, _rv, uid) = delete_request(&q, &headers, body)?;
        st.service
            .delete_image_stream_tag(&ns, &name, uid.as_deref(), opts)
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

// ------------------------------------------------------------------------------ imagetags

async fn list_itags_all(State(st): State<AppState>, Query(q): Query<CommonQuery>) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    respond(
        StatusCode::OK,
        st.service.list_image_tags(None, labels, fields).await,
    )
}

async fn list_itags(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
) -> Response {
    let (labels, fields) = (q.label_selector.as_deref(), q.field_selector.as_deref());
    respond(
        StatusCode::OK,
        st.service.list_image_tags(Some(&ns), labels, fields).await,
    )
}

async fn get_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
) -> Response {
    respond(StatusCode::OK, st.service.get_image_tag(&ns, &name).await)
}

async fn create_itag(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded =
            decode_body::<ImageTag>(&headers, &body_bytes(body)?, q.field_validation.as_deref())?;
        let itag = st
            .service
            .create_image_tag(&ns, decoded.value, opts)
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::CREATED, &itag, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn replace_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let decoded =
            decode_body::<ImageTag>(&headers, &body_bytes(body)?, q.field_validation.as_deref())?;
        let update = crate::service::tags::ObjectUpdate::Replace(decoded.value);
        let (itag, created) = st
            .service
            .update_image_tag(&ns, &name, update, opts)
            .await?;
        Ok::<_, ApiError>(json_response(
            created_or_ok(created),
            &itag,
            &decoded.warnings,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn patch_itag(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let patch = patch_fn(&headers, body, &IMAGE_TAG)?;
        let update = crate::service::tags::ObjectUpdate::Patch(&*patch);
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
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, _rv, uid) = delete_request(&q, &headers, body)?;
        st.service
            .delete_image_tag(&ns, &name, uid.as_deref(), opts)
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

//! Handlers of core/v1 `secrets` and `imagestreams/{name}/secrets` (§11.5, §12.2). Secret
//! contents are never logged.

use axum::Router;
use axum::routing::get;
use k8s_openapi::api::core::v1::Secret;
use tagplane_api::meta::List;

use super::prelude::*;
use super::tags::SECRET;
use super::watch::watch_response;
use crate::service::secrets::secret_selected;
use crate::service::tags::ObjectUpdate;

/// Routes of these resources.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/secrets", get(list_all))
        .route("/api/v1/namespaces/{ns}/secrets", get(list).post(create))
        .route(
            "/api/v1/namespaces/{ns}/secrets/{name}",
            get(get_one).put(replace).patch(patch).delete(remove),
        )
        .route(
            "/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams/{name}/secrets",
            get(stream_secrets),
        )
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
        .secret_selector(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = watch_params(ns, &q);
        let present = watch_presenter::<Secret>(&st, &headers);
        let keep = move |s: &Secret| secret_selected(&selector, s);
        return watch_response::<Secret, _, _>(&st.service, params, present, keep).await;
    }
    let result = st
        .service
        .list_secrets(ns.as_deref(), &list_options(&q), &selector)
        .await
        .map(|l| List {
            api_version: "v1".into(),
            kind: "SecretList".into(),
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
        let (opts, decoded) = decode_write::<Secret>(&q, &headers, body)?;
        let secret = st.service.create_secret(&ns, decoded.value, opts).await?;
        Ok::<_, ApiError>(json_response(
            StatusCode::CREATED,
            &secret,
            &decoded.warnings,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_one(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.get_secret(&ns, &name).await;
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
        let (opts, decoded) = decode_write::<Secret>(&q, &headers, body)?;
        let secret = st
            .service
            .update_secret(&ns, &name, ObjectUpdate::Replace(decoded.value), opts)
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::OK, &secret, &decoded.warnings))
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
            .update_secret(&ns, &name, ObjectUpdate::Patch(&*patch), opts)
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
            .delete_secret(&ns, &name, rv, uid.as_deref(), opts)
            .await
    }
    .await;
    respond(StatusCode::OK, result)
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

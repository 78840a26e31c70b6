//! Handlers of core/v1 `namespaces`.

use axum::Router;
use axum::routing::get;
use k8s_openapi::api::core::v1::Namespace;
use tagplane_api::meta::List;

use super::prelude::*;
use super::watch::watch_response;

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/namespaces", get(list).post(create))
        .route(
            "/api/v1/namespaces/{name}",
            get(get_one).put(replace).patch(patch).delete(delete),
        )
}

async fn list(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    if q.is_watch() {
        let params = watch_params(None, &q);
        let present = watch_presenter::<Namespace>(&st, &headers);
        return watch_response::<Namespace, _, _>(&st.service, params, present, |_| true).await;
    }
    let result = st
        .service
        .objects
        .list::<Namespace>(None, &list_options(&q))
        .await
        .map(|list| List {
            api_version: "v1".into(),
            kind: "NamespaceList".into(),
            metadata: list.meta,
            items: list.items,
        });
    list_response(&st, &headers, result)
}

async fn create(State(st): State<AppState>, w: WriteRequest) -> Response {
    w.write(StatusCode::CREATED, |opts, ns: Namespace| {
        st.service.create_namespace(ns, opts)
    })
    .await
}

async fn get_one(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = st.service.objects.get::<Namespace>(None, &name).await;
    object_response(&st, &headers, result)
}

async fn delete(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    respond(StatusCode::OK, st.service.delete_namespace(&name).await)
}

async fn replace(
    State(st): State<AppState>,
    Path(name): Path<String>,
    w: WriteRequest,
) -> Response {
    let result = async {
        let (opts, decoded) = decode_write::<Namespace>(&w.q, &w.headers, w.body)?;
        let update = crate::service::tags::ObjectUpdate::Replace(decoded.value);
        st.service.update_namespace(&name, update, opts).await
    }
    .await;
    respond(StatusCode::OK, result)
}

async fn patch(State(st): State<AppState>, Path(name): Path<String>, w: WriteRequest) -> Response {
    let schema = &super::smp::NAMESPACE;
    w.patch(schema, |opts, f| async move {
        let update = crate::service::tags::ObjectUpdate::Patch(&*f);
        st.service.update_namespace(&name, update, opts).await
    })
    .await
}

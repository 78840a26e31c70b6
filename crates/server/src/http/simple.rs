//! Generic handlers of a stored Kubernetes kind served with list/watch/get/create/update/
//! patch/delete (Secrets, ServiceAccounts, the RBAC kinds) and its route table: decode → call
//! the generic service writes of [`SimpleObject`] → encode (JSON, Table, watch events).

use std::collections::HashMap;

use axum::Router;
use axum::routing::get;
use tagplane_api::meta::List;

use super::BodyKind;
use super::prelude::*;
use super::smp::MergeSchema;
use super::table::TableRow;
use super::tags::METADATA_ONLY;
use super::watch::watch_response;
use crate::objects::StoredObject;
use crate::service::simple::{SimpleObject, selected};
use crate::service::tags::ObjectUpdate;

/// A kind the generic handlers serve.
pub(super) trait Served: SimpleObject + TableRow + BodyKind {
    /// How a strategic merge patch merges its lists.
    const PATCH_SCHEMA: &'static MergeSchema = &METADATA_ONLY;
}

/// Add the routes of `T` to `router`: the collection (all namespaces, and per namespace for
/// the namespaced kinds) and its items, under `/api/v1` (core) or `/apis/{group}/{version}`.
pub(super) fn routes<T: Served>(router: Router<AppState>) -> Router<AppState> {
    let prefix = if T::GROUP.is_empty() {
        format!("/api/{}", <T as StoredObject>::API_VERSION)
    } else {
        format!("/apis/{}", <T as StoredObject>::API_VERSION)
    };
    let resource = T::RESOURCE;
    let item = || {
        get(get_one::<T>)
            .put(replace::<T>)
            .patch(patch::<T>)
            .delete(remove::<T>)
    };
    if T::NAMESPACED {
        router
            .route(&format!("{prefix}/{resource}"), get(list::<T>))
            .route(
                &format!("{prefix}/namespaces/{{ns}}/{resource}"),
                get(list::<T>).post(create::<T>),
            )
            .route(
                &format!("{prefix}/namespaces/{{ns}}/{resource}/{{name}}"),
                item(),
            )
    } else {
        router
            .route(
                &format!("{prefix}/{resource}"),
                get(list::<T>).post(create::<T>),
            )
            .route(&format!("{prefix}/{resource}/{{name}}"), item())
    }
}

type Params = Path<HashMap<String, String>>;

fn ns_of(p: &HashMap<String, String>) -> Option<String> {
    p.get("ns").cloned()
}

fn name_of(p: &HashMap<String, String>) -> String {
    p.get("name").cloned().unwrap_or_default()
}

async fn list<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let ns = ns_of(&p);
    let selector = match st
        .service
        .object_selector::<T>(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = watch_params(ns, &q);
        let present = watch_presenter::<T>(&st, &headers);
        let keep = move |o: &T| selected(&selector, o);
        return watch_response::<T, _, _>(&st.service, params, present, keep).await;
    }
    let result = st
        .service
        .list_objects::<T>(ns.as_deref(), &list_options(&q), &selector)
        .await
        .map(|l| List {
            api_version: <T as StoredObject>::API_VERSION.into(),
            kind: format!("{}List", <T as StoredObject>::KIND),
            metadata: l.meta,
            items: l.items,
        });
    list_response(&st, &headers, result)
}

async fn create<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    w: WriteRequest,
) -> Response {
    let ns = ns_of(&p);
    w.write(StatusCode::CREATED, |opts, obj: T| {
        st.service.create_object(ns.as_deref(), obj, opts)
    })
    .await
}

async fn get_one<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    headers: HeaderMap,
) -> Response {
    let result = st
        .service
        .get_object::<T>(ns_of(&p).as_deref(), &name_of(&p))
        .await;
    object_response(&st, &headers, result)
}

async fn replace<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    w: WriteRequest,
) -> Response {
    let (ns, name) = (ns_of(&p), name_of(&p));
    w.write(StatusCode::OK, |opts, obj: T| {
        let update = ObjectUpdate::Replace(obj);
        st.service.update_object(ns.as_deref(), &name, update, opts)
    })
    .await
}

async fn patch<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    w: WriteRequest,
) -> Response {
    let (ns, name) = (ns_of(&p), name_of(&p));
    w.patch(T::PATCH_SCHEMA, |opts, f| async move {
        let update = ObjectUpdate::Patch(&*f);
        st.service
            .update_object::<T>(ns.as_deref(), &name, update, opts)
            .await
    })
    .await
}

async fn remove<T: Served>(
    State(st): State<AppState>,
    Path(p): Params,
    w: WriteRequest,
) -> Response {
    let (ns, name) = (ns_of(&p), name_of(&p));
    w.delete(|opts, rv, uid| async move {
        st.service
            .delete_object::<T>(ns.as_deref(), &name, rv, uid.as_deref(), opts)
            .await
    })
    .await
}

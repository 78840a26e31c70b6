//! Handlers of `rbac.authorization.k8s.io/v1` roles, clusterroles, rolebindings and
//! clusterrolebindings: one generic set of list/watch/get/create/update/patch/delete handlers,
//! and their server-side Tables (what `kubectl get clusterrolebindings` prints).

use std::collections::HashMap;

use axum::Router;
use axum::routing::get;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tagplane_api::meta::{List, ObjectMeta, Time};

use super::BodyKind;
use super::prelude::*;
use super::smp::{MergeList, MergeSchema};
use super::table::{Column, TableRow};
use super::watch::watch_response;
use crate::service::rbac::RbacObject;
use crate::service::tags::ObjectUpdate;
use tagplane_api::humanize::kubectl_age;

const PREFIX: &str = "/apis/rbac.authorization.k8s.io/v1";

/// RBAC lists (`rules`, `subjects`) are atomic: a strategic merge patch replaces them.
static RBAC_SCHEMA: MergeSchema = MergeSchema {
    lists: &[
        MergeList {
            path: "metadata.finalizers",
            key: "",
        },
        MergeList {
            path: "metadata.ownerReferences",
            key: "uid",
        },
    ],
    replace: &[],
    pod_specs: &[],
};

macro_rules! rbac_body {
    ($t:ty, $kind:expr) => {
        impl BodyKind for $t {
            const API_VERSION: &'static str = "rbac.authorization.k8s.io/v1";
            const KIND: &'static str = $kind;
        }
    };
}
rbac_body!(Role, "Role");
rbac_body!(ClusterRole, "ClusterRole");
rbac_body!(RoleBinding, "RoleBinding");
rbac_body!(ClusterRoleBinding, "ClusterRoleBinding");

/// What the generic handlers need of a kind.
trait Kind: RbacObject + TableRow + BodyKind + Serialize + DeserializeOwned {}
impl<T: RbacObject + TableRow + BodyKind + Serialize + DeserializeOwned> Kind for T {}

/// Routes of the four kinds.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{PREFIX}/clusterroles"),
            get(list::<ClusterRole>).post(create::<ClusterRole>),
        )
        .route(
            &format!("{PREFIX}/clusterroles/{{name}}"),
            get(get_one::<ClusterRole>)
                .put(replace::<ClusterRole>)
                .patch(patch::<ClusterRole>)
                .delete(remove::<ClusterRole>),
        )
        .route(
            &format!("{PREFIX}/clusterrolebindings"),
            get(list::<ClusterRoleBinding>).post(create::<ClusterRoleBinding>),
        )
        .route(
            &format!("{PREFIX}/clusterrolebindings/{{name}}"),
            get(get_one::<ClusterRoleBinding>)
                .put(replace::<ClusterRoleBinding>)
                .patch(patch::<ClusterRoleBinding>)
                .delete(remove::<ClusterRoleBinding>),
        )
        .route(&format!("{PREFIX}/roles"), get(list::<Role>))
        .route(
            &format!("{PREFIX}/namespaces/{{ns}}/roles"),
            get(list::<Role>).post(create::<Role>),
        )
        .route(
            &format!("{PREFIX}/namespaces/{{ns}}/roles/{{name}}"),
            get(get_one::<Role>)
                .put(replace::<Role>)
                .patch(patch::<Role>)
                .delete(remove::<Role>),
        )
        .route(&format!("{PREFIX}/rolebindings"), get(list::<RoleBinding>))
        .route(
            &format!("{PREFIX}/namespaces/{{ns}}/rolebindings"),
            get(list::<RoleBinding>).post(create::<RoleBinding>),
        )
        .route(
            &format!("{PREFIX}/namespaces/{{ns}}/rolebindings/{{name}}"),
            get(get_one::<RoleBinding>)
                .put(replace::<RoleBinding>)
                .patch(patch::<RoleBinding>)
                .delete(remove::<RoleBinding>),
        )
}

type Params = Path<HashMap<String, String>>;

fn ns_of(p: &HashMap<String, String>) -> Option<String> {
    p.get("ns").cloned()
}

fn name_of(p: &HashMap<String, String>) -> String {
    p.get("name").cloned().unwrap_or_default()
}

async fn list<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    let ns = ns_of(&p);
    let selector = match st
        .service
        .rbac_selector(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = watch_params(ns, &q);
        let present = watch_presenter::<T>(&st, &headers);
        let keep = move |o: &T| selector.matches(o.meta(), |_| None);
        return watch_response::<T, _, _>(&st.service, params, present, keep).await;
    }
    let result = st
        .service
        .list_rbac::<T>(ns.as_deref(), &list_options(&q), &selector)
        .await
        .map(|l| List {
            api_version: <T as crate::objects::StoredObject>::API_VERSION.into(),
            kind: format!("{}List", <T as crate::objects::StoredObject>::KIND),
            metadata: l.meta,
            items: l.items,
        });
    list_response(&st, &headers, result)
}

async fn create<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, decoded) = decode_write::<T>(&q, &headers, body)?;
        let ns = ns_of(&p);
        let created = st
            .service
            .create_rbac(ns.as_deref(), decoded.value, opts)
            .await?;
        Ok::<_, ApiError>(json_response(
            StatusCode::CREATED,
            &created,
            &decoded.warnings,
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_one<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    headers: HeaderMap,
) -> Response {
    let result = st
        .service
        .get_rbac::<T>(ns_of(&p).as_deref(), &name_of(&p))
        .await;
    object_response(&st, &headers, result)
}

async fn replace<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, decoded) = decode_write::<T>(&q, &headers, body)?;
        let updated = st
            .service
            .update_rbac(
                ns_of(&p).as_deref(),
                &name_of(&p),
                ObjectUpdate::Replace(decoded.value),
                opts,
            )
            .await?;
        Ok::<_, ApiError>(json_response(StatusCode::OK, &updated, &decoded.warnings))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn patch<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let opts = q.write_options()?;
        let f = patch_fn(&headers, body, &RBAC_SCHEMA)?;
        st.service
            .update_rbac::<T>(
                ns_of(&p).as_deref(),
                &name_of(&p),
                ObjectUpdate::Patch(&*f),
                opts,
            )
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

async fn remove<T: Kind>(
    State(st): State<AppState>,
    Path(p): Params,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let (opts, rv, uid) = delete_request(&q, &headers, body)?;
        st.service
            .delete_rbac::<T>(ns_of(&p).as_deref(), &name_of(&p), rv, uid.as_deref(), opts)
            .await
    }
    .await;
    respond(StatusCode::OK, result)
}

const CREATED_AT_DOC: &str =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";

fn created_at(meta: &ObjectMeta) -> Value {
    json!(
        meta.creation_timestamp
            .as_ref()
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    )
}

fn role_columns() -> Vec<Column> {
    vec![Column::name(), Column::string("Created At", CREATED_AT_DOC)]
}

impl TableRow for Role {
    fn columns() -> Vec<Column> {
        role_columns()
    }
    fn cells(&self, _now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            created_at(&self.metadata),
        ]
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for ClusterRole {
    fn columns() -> Vec<Column> {
        role_columns()
    }
    fn cells(&self, _now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            created_at(&self.metadata),
        ]
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

fn binding_columns() -> Vec<Column> {
    vec![
        Column::name(),
        Column::string("Role", "Role is the role this binding refers to."),
        Column::string("Age", CREATED_AT_DOC),
        Column::string("Users", "Users are the users bound to the role.").wide(),
        Column::string("Groups", "Groups are the groups bound to the role.").wide(),
        Column::string(
            "ServiceAccounts",
            "ServiceAccounts are the service accounts bound to the role.",
        )
        .wide(),
    ]
}

fn binding_cells(
    meta: &ObjectMeta,
    role_ref: &k8s_openapi::api::rbac::v1::RoleRef,
    subjects: Option<&Vec<k8s_openapi::api::rbac::v1::Subject>>,
    now: &Time,
) -> Vec<Value> {
    let of_kind = |kind: &str| {
        subjects
            .into_iter()
            .flatten()
            .filter(|s| s.kind == kind)
            .map(|s| match (kind, s.namespace.as_deref()) {
                ("ServiceAccount", Some(ns)) => format!("{ns}/{}", s.name),
                _ => s.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        json!(meta.name.as_deref().unwrap_or("")),
        json!(format!("{}/{}", role_ref.kind, role_ref.name)),
        json!(meta.creation_timestamp.as_ref().map_or_else(
            || "<unknown>".to_owned(),
            |t| kubectl_age(now.0.duration_since(t.0).as_secs())
        )),
        json!(of_kind("User")),
        json!(of_kind("Group")),
        json!(of_kind("ServiceAccount")),
    ]
}

impl TableRow for RoleBinding {
    fn columns() -> Vec<Column> {
        binding_columns()
    }
    fn cells(&self, now: &Time) -> Vec<Value> {
        binding_cells(&self.metadata, &self.role_ref, self.subjects.as_ref(), now)
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for ClusterRoleBinding {
    fn columns() -> Vec<Column> {
        binding_columns()
    }
    fn cells(&self, now: &Time) -> Vec<Value> {
        binding_cells(&self.metadata, &self.role_ref, self.subjects.as_ref(), now)
    }
    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

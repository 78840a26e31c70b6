//! Handlers of `rbac.authorization.k8s.io/v1` roles, clusterroles, rolebindings and
//! clusterrolebindings: served by the generic handlers of [`super::simple`], with their
//! server-side Tables (what `kubectl get clusterrolebindings` prints).

use axum::Router;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde_json::{Value, json};
use tagplane_api::humanize::kubectl_age;
use tagplane_api::meta::{ObjectMeta, Time};

use super::AppState;
use super::simple::{self, Served};
use super::table::{Column, TableRow};

impl Served for Role {}
impl Served for ClusterRole {}
impl Served for RoleBinding {}
impl Served for ClusterRoleBinding {}

/// Routes of the four kinds.
pub fn routes() -> Router<AppState> {
    let router = simple::routes::<ClusterRole>(Router::new());
    let router = simple::routes::<ClusterRoleBinding>(router);
    let router = simple::routes::<Role>(router);
    simple::routes::<RoleBinding>(router)
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

/// Roles' Table: name and creation time.
macro_rules! role_table {
    ($($t:ty),*) => {
        $(impl TableRow for $t {
            fn columns() -> Vec<Column> {
                vec![Column::name(), Column::string("Created At", CREATED_AT_DOC)]
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
        })*
    };
}
role_table!(Role, ClusterRole);

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

/// Bindings' Table: name, role, age, and (wide) their subjects by kind.
macro_rules! binding_table {
    ($($t:ty),*) => {
        $(impl TableRow for $t {
            fn columns() -> Vec<Column> {
                binding_columns()
            }
            fn cells(&self, now: &Time) -> Vec<Value> {
                binding_cells(&self.metadata, &self.role_ref, self.subjects.as_ref(), now)
            }
            fn metadata(&self) -> &ObjectMeta {
                &self.metadata
            }
        })*
    };
}
binding_table!(RoleBinding, ClusterRoleBinding);

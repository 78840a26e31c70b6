//! Shared object plumbing: type metadata, lists, object references and the `Resource` trait.
//!
//! Kubernetes' own metadata types (`ObjectMeta`, `ListMeta`, `Status`, `Time`) come from
//! k8s-openapi and are re-exported here so every crate names them the same way.

use serde::{Deserialize, Serialize};

pub use k8s_openapi::ByteString;
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ListMeta, ObjectMeta, Status, StatusCause, StatusDetails, Time,
};
pub use k8s_openapi::jiff::Timestamp;

/// The API group and version every image resource is served under.
pub const IMAGE_API_VERSION: &str = "image.openshift.io/v1";
/// The API group of the image resources.
pub const IMAGE_GROUP: &str = "image.openshift.io";

/// Static facts about a served resource: its kind, plural path segment and scope.
pub trait Resource {
    /// `apiVersion` written on the wire (`group/version`, or `v1` for the core group).
    const API_VERSION: &'static str;
    /// `kind` written on the wire.
    const KIND: &'static str;
    /// The lower-case plural used in REST paths (`imagestreams`).
    const PLURAL: &'static str;
    /// Whether objects live in a namespace.
    const NAMESPACED: bool;
}

/// Serde helper: `skip_serializing_if` for empty strings (Go `omitempty`).
pub(crate) fn is_empty_str(s: &str) -> bool {
    s.is_empty()
}

/// Serde helper: `skip_serializing_if` for `false` (Go `omitempty` on bool).
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// Serde helper: `skip_serializing_if` for zero integers (Go `omitempty` on int64).
pub(crate) fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Deserialize `null` as the type's default, the way Go decodes `null` into a value field.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Serialize a `Status` embedded in another object: Go leaves its empty `TypeMeta` out, while
/// k8s-openapi always writes `apiVersion: v1, kind: Status`.
pub(crate) fn ser_embedded_status<S: serde::Serializer>(
    status: &Status,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut value = serde_json::to_value(status).map_err(serde::ser::Error::custom)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
    }
    value.serialize(s)
}

/// A reference to another object (core/v1 `ObjectReference`), with Go's omitempty rules:
/// every unset field is left out of the JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// Kind of the referent (`DockerImage`, `ImageStreamTag`, `ImageStreamImage`, ...).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Namespace of the referent; empty means "the referring object's namespace".
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub namespace: String,
    /// Name of the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub name: String,
    /// UID of the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub uid: String,
    /// API version of the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// Resource version of the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub resource_version: String,
    /// A field path within the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub field_path: String,
}

impl ObjectReference {
    /// A reference of the given kind and name, no namespace.
    pub fn new(kind: &str, name: &str) -> Self {
        ObjectReference {
            kind: kind.to_owned(),
            name: name.to_owned(),
            ..Default::default()
        }
    }
}

/// A reference to an object in the same namespace, by name only (core/v1 `LocalObjectReference`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LocalObjectReference {
    /// Name of the referent.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub name: String,
}

/// A Kubernetes list: `{apiVersion, kind, metadata, items}`. Go emits `metadata` always and
/// `items` as `null` when there are none; we always emit an array, which every client accepts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct List<T> {
    /// `apiVersion` of the list (the group version of its items).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `kind` of the list (`ImageStreamList`, ...).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Paging metadata: resourceVersion and continue token.
    #[serde(default)]
    pub metadata: ListMeta,
    /// The objects.
    #[serde(default, deserialize_with = "null_as_default")]
    pub items: Vec<T>,
}

impl<T: Resource> List<T> {
    /// A list of `items` with type metadata filled in (`<Kind>List`).
    pub fn new(items: Vec<T>, metadata: ListMeta) -> Self {
        List {
            api_version: T::API_VERSION.to_owned(),
            kind: format!("{}List", T::KIND),
            metadata,
            items,
        }
    }
}

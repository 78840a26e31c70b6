//! Typed object storage: JSON objects in the store with Kubernetes metadata handling
//! (`resourceVersion` from the store revision, uid, creationTimestamp), used by every service.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tagplane_api::image::{Image, ImageStream};
use tagplane_api::meta::{ListMeta, ObjectMeta, Time, Timestamp};
use tagplane_store::{AnyStore, Backend, Key, ListOptions, Object, Prefix, Revision, WatchEvent};

use crate::error::{ApiError, ApiResult};

/// Where "now" comes from; tests inject a fixed clock.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Time;
}

/// The system clock, truncated to seconds as Kubernetes timestamps are.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0);
        Time(Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH))
    }
}

/// A kind the server stores.
pub trait StoredObject: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// API group (`""` for core).
    const GROUP: &'static str;
    /// Plural resource name, also the store's resource.
    const RESOURCE: &'static str;
    /// Kind.
    const KIND: &'static str;
    /// `apiVersion`.
    const API_VERSION: &'static str;
    /// Namespaced or cluster-scoped.
    const NAMESPACED: bool;
    /// Metadata.
    fn meta(&self) -> &ObjectMeta;
    /// Metadata, mutably.
    fn meta_mut(&mut self) -> &mut ObjectMeta;
    /// Fill `apiVersion`/`kind` (k8s-openapi types always write theirs).
    fn set_type_meta(&mut self) {}
}

macro_rules! image_object {
    ($t:ty, $res:expr, $kind:expr, $ns:expr) => {
        impl StoredObject for $t {
            const GROUP: &'static str = tagplane_api::meta::IMAGE_GROUP;
            const RESOURCE: &'static str = $res;
            const KIND: &'static str = $kind;
            const API_VERSION: &'static str = tagplane_api::meta::IMAGE_API_VERSION;
            const NAMESPACED: bool = $ns;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
            fn set_type_meta(&mut self) {
                self.api_version = Self::API_VERSION.to_owned();
                self.kind = Self::KIND.to_owned();
            }
        }
    };
}

image_object!(ImageStream, "imagestreams", "ImageStream", true);
image_object!(Image, "images", "Image", false);

macro_rules! core_object {
    ($t:ty, $res:expr, $kind:expr, $ns:expr) => {
        impl StoredObject for $t {
            const GROUP: &'static str = "";
            const RESOURCE: &'static str = $res;
            const KIND: &'static str = $kind;
            const API_VERSION: &'static str = "v1";
            const NAMESPACED: bool = $ns;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

core_object!(Namespace, "namespaces", "Namespace", false);
core_object!(Secret, "secrets", "Secret", true);

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// The first place where the request has a different JSON shape than the decoded object
/// (an array where an object belongs, say), in Go's `json.Unmarshal` wording.
pub fn shape_error(
    input: &serde_json::Value,
    decoded: &serde_json::Value,
    path: &str,
) -> Option<String> {
    use serde_json::Value;
    let here = || {
        if path.is_empty() {
            "the object".to_owned()
        } else {
            format!("field {path}")
        }
    };
    match (input, decoded) {
        (Value::Null, _) => None,
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            b.get(k).and_then(|d| shape_error(v, d, &p))
        }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| shape_error(x, y, &format!("{path}[{i}]"))),
        (Value::Array(_), Value::Array(_)) => None,
        (i, d @ (Value::Object(_) | Value::Array(_))) => Some(format!(
            "json: cannot unmarshal {} into {} of type {}",
            json_kind(i),
            here(),
            json_kind(d)
        )),
        _ => None,
    }
}

/// A random RFC 4122 version-4 UUID.
pub fn new_uid() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // The OS RNG is always available on Linux; fall back to time-derived bits regardless.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b.copy_from_slice(&t.to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Typed access to the store.
#[derive(Clone, Debug)]
pub struct Objects {
    /// The backend.
    pub store: AnyStore,
    /// The clock.
    pub clock: Arc<dyn Clock>,
}

/// One page of a typed list.
#[derive(Clone, Debug)]
pub struct TypedList<T> {
    /// The objects.
    pub items: Vec<T>,
    /// `resourceVersion` and `continue` of the list.
    pub meta: ListMeta,
}

/// A typed watch event.
#[derive(Clone, Debug)]
pub struct TypedEvent<T> {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The object (for deletes: its last state with the delete's resourceVersion).
    pub object: T,
}

impl Objects {
    /// The store key of `T` named `name` (in `ns` for namespaced kinds).
    pub fn key<T: StoredObject>(ns: Option<&str>, name: &str) -> ApiResult<Key> {
        let key = match (T::NAMESPACED, ns) {
            (true, Some(ns)) => Key::namespaced(T::RESOURCE, ns, name),
            (true, None) => return Err(ApiError::bad_request("a namespace must be specified")),
            (false, _) => Key::cluster(T::RESOURCE, name),
        };
        key.map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, name))
    }

    /// The list prefix of `T` (one namespace or all).
    pub fn prefix<T: StoredObject>(ns: Option<&str>) -> ApiResult<Prefix> {
        match (T::NAMESPACED, ns) {
            (true, Some(ns)) => Prefix::namespace(T::RESOURCE, ns),
            _ => Prefix::resource(T::RESOURCE),
        }
        .map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, ""))
    }

    /// Decode a stored object, setting its resourceVersion.
    pub fn decode<T: StoredObject>(obj: &Object) -> ApiResult<T> {
        let mut t: T = serde_json::from_slice(&obj.value)
            .map_err(|e| ApiError::internal(format!("decoding {}: {e}", obj.key)))?;
        t.meta_mut().resource_version = Some(obj.mod_revision.to_string());
        t.set_type_meta();
        Ok(t)
    }

    fn encode<T: StoredObject>(obj: &T) -> ApiResult<Vec<u8>> {
        let mut obj = obj.clone();
        obj.meta_mut().resource_version = None;
        obj.set_type_meta();
        serde_json::to_vec(&obj).map_err(ApiError::internal)
    }

    /// Parse a client-supplied resourceVersion (empty = none).
    pub fn parse_rv(rv: Option<&str>) -> ApiResult<Option<Revision>> {
        match rv.filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(r) => r
                .parse::<Revision>()
                .map(Some)
                .map_err(|e| ApiError::bad_request(e.to_string())),
        }
    }

    /// Get `name`, or `None`.
    pub async fn try_get<T: StoredObject>(
        &self,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<Option<T>> {
        let key = Self::key::<T>(ns, name)?;
        match self.store.get(&key).await {
            Ok(Some(o)) => Ok(Some(Self::decode(&o)?)),
            Ok(None) => Ok(None),
            Err(e) => Err(ApiError::from_store(e, T::GROUP, T::RESOURCE, name)),
        }
    }

    /// Get `name`, 404 when missing.
    pub async fn get<T: StoredObject>(&self, ns: Option<&str>, name: &str) -> ApiResult<T> {
        self.try_get(ns, name)
            .await?
            .ok_or_else(|| ApiError::not_found(T::GROUP, T::RESOURCE, name))
    }

    /// List `T` with paging.
    pub async fn list<T: StoredObject>(
        &self,
        ns: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<TypedList<T>> {
        let prefix = Self::prefix::<T>(ns)?;
        let page = self
            .store
            .list(&prefix, opts)
            .await
            .map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, ""))?;
        let items = page
            .items
            .iter()
            .map(Self::decode)
            .collect::<ApiResult<Vec<T>>>()?;
        Ok(TypedList {
            items,
            meta: ListMeta {
                resource_version: Some(page.revision.to_string()),
                continue_: page.continue_token,
                remaining_item_count: page.remaining.and_then(|r| i64::try_from(r).ok()),
                ..Default::default()
            },
        })
    }

    /// Create `obj`: fills uid and creationTimestamp, clears resourceVersion.
    pub async fn create<T: StoredObject>(&self, mut obj: T) -> ApiResult<T> {
        let name = obj.meta().name.clone().unwrap_or_default();
        let ns = obj.meta().namespace.clone();
        let key = Self::key::<T>(ns.as_deref(), &name)?;
        let meta = obj.meta_mut();
        meta.uid = Some(new_uid());
        meta.creation_timestamp = Some(self.clock.now());
        meta.deletion_timestamp = None;
        meta.self_link = None;
        let rev = self
            .store
            .create(&key, Self::encode(&obj)?)
            .await
            .map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, &name))?;
        obj.meta_mut().resource_version = Some(rev.to_string());
        obj.set_type_meta();
        Ok(obj)
    }

    /// Write `obj` over the stored one, with compare-and-swap on `expected` when given.
    pub async fn update<T: StoredObject>(
        &self,
        mut obj: T,
        expected: Option<Revision>,
    ) -> ApiResult<T> {
        let name = obj.meta().name.clone().unwrap_or_default();
        let ns = obj.meta().namespace.clone();
        let key = Self::key::<T>(ns.as_deref(), &name)?;
        let rev = self
            .store
            .update(&key, Self::encode(&obj)?, expected)
            .await
            .map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, &name))?;
        obj.meta_mut().resource_version = Some(rev.to_string());
        obj.set_type_meta();
        Ok(obj)
    }

    /// Delete `name` (optionally only at `expected`, and only if its uid is `uid`).
    pub async fn delete<T: StoredObject>(
        &self,
        ns: Option<&str>,
        name: &str,
        expected: Option<Revision>,
        uid: Option<&str>,
    ) -> ApiResult<T> {
        let key = Self::key::<T>(ns, name)?;
        let deleted = match uid {
            Some(uid) => tagplane_store::delete_with_uid(&self.store, &key, uid, expected).await,
            None => self.store.delete(&key, expected).await,
        }
        .map_err(|e| ApiError::from_store(e, T::GROUP, T::RESOURCE, name))?;
        let mut obj: T = Self::decode(&deleted.object)?;
        obj.meta_mut().resource_version = Some(deleted.revision.to_string());
        Ok(obj)
    }

    /// Decode a raw watch event.
    pub fn decode_event<T: StoredObject>(e: &WatchEvent) -> ApiResult<TypedEvent<T>> {
        let kind = match e.kind {
            tagplane_store::EventKind::Created => "ADDED",
            tagplane_store::EventKind::Updated => "MODIFIED",
            tagplane_store::EventKind::Deleted => "DELETED",
        };
        Ok(TypedEvent {
            kind,
            object: Self::decode(&e.object)?,
        })
    }
}

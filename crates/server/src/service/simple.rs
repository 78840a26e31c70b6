//! Generic create/get/list/update/delete of a stored Kubernetes kind whose writes differ only
//! by small hooks ([`SimpleObject`]: defaulting, validation, an admission check, what to do
//! after a write): Secrets, ServiceAccounts and the four RBAC kinds.

use std::future::Future;

use tagplane_api::meta::Status;
use tagplane_api::validation::{BadValue, ErrorType, FieldError};
use tagplane_store::{ListOptions, Revision};

use super::images::deleted_status;
use super::imagestreams::check_identity;
use super::tags::{MetaSelector, ObjectUpdate};
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, StoredObject, TypedList};

/// Attempts of a PATCH before answering 500 ServerTimeout.
const MAX_ATTEMPTS: usize = 10;

/// A kind served by the generic writes of [`Service`]: its selectable fields and write hooks.
pub trait SimpleObject: StoredObject {
    /// Field labels lists and watches of this kind can be selected by.
    const FIELDS: &'static [&'static str] = &["metadata.name", "metadata.namespace"];
    /// Whether a PUT must carry `metadata.resourceVersion` (422 without one).
    const PUT_NEEDS_RESOURCE_VERSION: bool = false;
    /// Value of field label `label` beyond `metadata.name`/`metadata.namespace`.
    fn field(&self, _label: &str) -> Option<String> {
        None
    }
    /// Fill defaults of a create, before validation.
    fn default_create(&mut self) {}
    /// Validation of a create.
    fn validate_create(&self) -> Vec<FieldError>;
    /// Fill defaults of an update (`old` is the stored object), before validation.
    fn default_update(&mut self, _old: &Self) {}
    /// Validation of an update (`old` is the stored object).
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        Vec::new()
    }
    /// A check of a write after validation (RBAC: no escalation).
    fn admit<'a>(
        &'a self,
        _service: &'a Service,
        _ns: &'a str,
        _name: &'a str,
    ) -> impl Future<Output = ApiResult<()>> + Send + 'a {
        async { Ok(()) }
    }
    /// Called after every attempt to write the store (successful or not).
    fn written(_service: &Service) {}
    /// Called after a successful (not dry-run) delete.
    fn deleted(_service: &Service, _ns: Option<&str>, _name: &str) {}
}

/// Whether `selector` selects `obj`.
pub fn selected<T: SimpleObject>(selector: &MetaSelector, obj: &T) -> bool {
    selector.matches(obj.meta(), |f| obj.field(f))
}

fn invalid<T: StoredObject>(name: &str, errs: &[FieldError]) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(T::GROUP, T::KIND, name, errs))
    }
}

impl Service {
    /// POST an object (`ns` for the namespaced kinds).
    pub async fn create_object<T: SimpleObject>(
        &self,
        ns: Option<&str>,
        mut obj: T,
        opts: WriteOptions,
    ) -> ApiResult<T> {
        check_identity(obj.meta(), ns, None)?;
        obj.meta_mut().namespace = if T::NAMESPACED {
            ns.map(str::to_owned)
        } else {
            None
        };
        obj.default_create();
        let name = obj.meta().name.clone().unwrap_or_default();
        invalid::<T>(&name, &obj.validate_create())?;
        if let Some(ns) = ns.filter(|_| T::NAMESPACED) {
            self.require_namespace(ns).await?;
        }
        obj.admit(self, ns.unwrap_or(""), &name).await?;
        if opts.dry_run {
            if self.objects.try_get::<T>(ns, &name).await?.is_some() {
                return Err(ApiError::already_exists(T::GROUP, T::RESOURCE, &name));
            }
            return Ok(obj);
        }
        let created = self.objects.create(obj).await;
        T::written(self);
        created
    }

    /// GET an object.
    pub async fn get_object<T: SimpleObject>(&self, ns: Option<&str>, name: &str) -> ApiResult<T> {
        self.objects.get(ns, name).await
    }

    /// Selectors of a list or watch of `T` (field labels [`SimpleObject::FIELDS`]).
    pub fn object_selector<T: SimpleObject>(
        &self,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<MetaSelector> {
        MetaSelector::parse(labels, fields, T::FIELDS)
    }

    /// LIST objects (one namespace or all, one page), selectors applied.
    pub async fn list_objects<T: SimpleObject>(
        &self,
        ns: Option<&str>,
        opts: &ListOptions,
        selector: &MetaSelector,
    ) -> ApiResult<TypedList<T>> {
        let mut list = self.objects.list::<T>(ns, opts).await?;
        list.items.retain(|o| selected(selector, o));
        Ok(list)
    }

    /// PUT/PATCH an object: name, namespace, uid and creation time are kept; a PATCH is
    /// retried on a conflict with a concurrent write.
    pub async fn update_object<T: SimpleObject>(
        &self,
        ns: Option<&str>,
        name: &str,
        update: ObjectUpdate<'_, T>,
        opts: WriteOptions,
    ) -> ApiResult<T> {
        let attempts = if update.is_patch() { MAX_ATTEMPTS } else { 1 };
        for _ in 0..attempts {
            let old: T = self.objects.get(ns, name).await?;
            let mut new = update.apply(&old, T::KIND)?;
            check_identity(new.meta(), ns, Some(name))?;
            let requested = Objects::parse_rv(new.meta().resource_version.as_deref())?;
            if T::PUT_NEEDS_RESOURCE_VERSION && requested.is_none() && !update.is_patch() {
                let e = FieldError::new(
                    ErrorType::Invalid,
                    "metadata.resourceVersion",
                    BadValue::Literal("0x0".into()),
                    "must be specified for an update",
                );
                return Err(ApiError::invalid(T::GROUP, T::KIND, name, &[e]));
            }
            let current = Objects::parse_rv(old.meta().resource_version.as_deref())?;
            if requested.is_some() && requested != current {
                return Err(ApiError::conflict(
                    T::GROUP,
                    T::RESOURCE,
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            {
                let (o, m) = (old.meta().clone(), new.meta_mut());
                m.name = o.name;
                m.namespace = o.namespace;
                m.uid = o.uid;
                m.creation_timestamp = o.creation_timestamp;
                m.managed_fields = None;
            }
            new.default_update(&old);
            invalid::<T>(name, &new.validate_update(&old))?;
            new.admit(self, ns.unwrap_or(""), name).await?;
            if opts.dry_run {
                return Ok(new);
            }
            let result = self.objects.update(new, current).await;
            T::written(self);
            match result {
                Err(e) if e.reason() == "Conflict" && update.is_patch() => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("patch", T::RESOURCE))
    }

    /// DELETE an object.
    pub async fn delete_object<T: SimpleObject>(
        &self,
        ns: Option<&str>,
        name: &str,
        rv: Option<Revision>,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let deleted: T = if opts.dry_run {
            self.objects.get(ns, name).await?
        } else {
            let d = self.objects.delete(ns, name, rv, uid).await;
            T::written(self);
            let d = d?;
            T::deleted(self, ns, name);
            d
        };
        Ok(deleted_status(
            T::GROUP,
            T::RESOURCE,
            name,
            deleted.meta().uid.clone(),
        ))
    }
}

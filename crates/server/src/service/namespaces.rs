//! Namespaces (core/v1): the scope every namespaced write needs; writes into a missing namespace
//! are 404 (spec §1, issue 4).

use k8s_openapi::api::core::v1::Namespace;
use tagplane_api::validation::{FieldError, validate_namespace_name};

use tagplane_store::Backend;

use super::{Service, WriteOptions};

/// Namespaces Kubernetes refuses to delete.
pub const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// Store resources that live in namespaces (removed with their namespace).
pub const NAMESPACED_RESOURCES: &[&str] = &[
    "imagestreams",
    "secrets",
    "roles",
    "rolebindings",
    "serviceaccounts",
];
use crate::error::{ApiError, ApiResult};

impl Service {
    /// 404 `namespaces "<ns>" not found` unless the namespace exists.
    pub async fn require_namespace(&self, ns: &str) -> ApiResult<()> {
        match self.objects.try_get::<Namespace>(None, ns).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::not_found("", "namespaces", ns)),
        }
    }

    /// Create a namespace.
    pub async fn create_namespace(
        &self,
        mut ns: Namespace,
        opts: WriteOptions,
    ) -> ApiResult<Namespace> {
        let name = ns.metadata.name.clone().unwrap_or_default();
        let mut errs: Vec<FieldError> = Vec::new();
        if name.is_empty() {
            errs.push(FieldError::required(
                "metadata.name",
                "name or generateName is required",
            ));
        } else {
            errs.extend(validate_namespace_name("metadata.name", &name));
        }
        if !errs.is_empty() {
            return Err(ApiError::invalid("", "Namespace", &name, &errs));
        }
        ns.metadata.namespace = None;
        ns.status = Some(k8s_openapi::api::core::v1::NamespaceStatus {
            phase: Some("Active".into()),
            ..Default::default()
        });
        if opts.dry_run {
            if self
                .objects
                .try_get::<Namespace>(None, &name)
                .await?
                .is_some()
            {
                return Err(ApiError::already_exists("", "namespaces", &name));
            }
            return Ok(ns);
        }
        let created = self.objects.create(ns).await?;
        self.ensure_default_bindings(&name).await?;
        self.ensure_default_service_accounts(&name).await?;
        Ok(created)
    }

    /// PUT or PATCH a namespace: labels, annotations and `spec.finalizers` may change; name,
    /// uid and creation time are kept; retried on conflict for patches.
    pub async fn update_namespace(
        &self,
        name: &str,
        update: super::tags::ObjectUpdate<'_, Namespace>,
        opts: WriteOptions,
    ) -> ApiResult<Namespace> {
        for _ in 0..10 {
            let old: Namespace = self.objects.get(None, name).await?;
            let (mut new, expected) = match &update {
                super::tags::ObjectUpdate::Replace(n) => {
                    let rv =
                        crate::objects::Objects::parse_rv(n.metadata.resource_version.as_deref())?;
                    (
                        n.clone(),
                        rv.or(crate::objects::Objects::parse_rv(
                            old.metadata.resource_version.as_deref(),
                        )?),
                    )
                }
                super::tags::ObjectUpdate::Patch(f) => {
                    let cur = serde_json::to_value(&old).map_err(ApiError::internal)?;
                    let patched: Namespace = serde_json::from_value(f(cur)?).map_err(|e| {
                        ApiError::bad_request(format!(
                            "the patched object is not a valid Namespace: {e}"
                        ))
                    })?;
                    (
                        patched,
                        crate::objects::Objects::parse_rv(
                            old.metadata.resource_version.as_deref(),
                        )?,
                    )
                }
            };
            if new.metadata.name.as_deref().is_some_and(|n| n != name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    new.metadata.name.as_deref().unwrap_or("")
                )));
            }
            new.metadata.name = Some(name.to_owned());
            new.metadata.namespace = None;
            new.metadata.uid = old.metadata.uid.clone();
            new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
            new.status = old.status.clone();
            if opts.dry_run {
                return Ok(new);
            }
            match self.objects.update(new, expected).await {
                Err(e)
                    if e.reason() == "Conflict"
                        && matches!(update, super::tags::ObjectUpdate::Patch(_)) =>
                {
                    continue;
                }
                other => return other,
            }
        }
        Err(ApiError::server_timeout("update", "namespaces"))
    }

    /// Delete a namespace and everything stored in it.
    pub async fn delete_namespace(&self, name: &str) -> ApiResult<Namespace> {
        if IMMORTAL_NAMESPACES.contains(&name) {
            return Err(ApiError::forbidden(
                "",
                "namespaces",
                name,
                "this namespace may not be deleted",
            ));
        }
        let ns: Namespace = self.objects.delete(None, name, None, None).await?;
        for resource in NAMESPACED_RESOURCES {
            let prefix = tagplane_store::Prefix::namespace(resource, name)
                .map_err(|e| ApiError::from_store(e, "", resource, name))?;
            loop {
                let page = self
                    .objects
                    .store
                    .list(
                        &prefix,
                        &tagplane_store::ListOptions {
                            limit: Some(500),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| ApiError::from_store(e, "", resource, name))?;
                if page.items.is_empty() {
                    break;
                }
                for o in page.items {
                    match self.objects.store.delete(&o.key, None).await {
                        Ok(_) | Err(tagplane_store::StoreError::NotFound) => {}
                        Err(e) => return Err(ApiError::from_store(e, "", resource, o.key.name())),
                    }
                }
            }
        }
        self.rbac.invalidate();
        self.access.tokens.forget_namespace(name);
        Ok(ns)
    }

    /// Make sure a namespace exists (start-up bootstrap of `default`).
    pub async fn ensure_namespace(&self, name: &str) -> ApiResult<()> {
        if self
            .objects
            .try_get::<Namespace>(None, name)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let ns = Namespace {
            metadata: tagplane_api::meta::ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        match self.create_namespace(ns, WriteOptions::default()).await {
            Ok(_) => Ok(()),
            Err(e) if e.reason() == "AlreadyExists" => Ok(()),
            Err(e) => Err(e),
        }
    }
}

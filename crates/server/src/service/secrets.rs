//! core/v1 Secrets (the pull secrets imports use) and `imagestreams/{name}/secrets` (§11.5,
//! §12.2). Secret data is never logged or put into error messages.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use tagplane_api::image::SecretList;
use tagplane_api::meta::{IMAGE_API_VERSION, Status};
use tagplane_api::validation::{
    BadValue, ErrorType, FieldError, secret_type, validate_secret, validate_secret_update,
};
use tagplane_core::secrets::pull_secrets;
use tagplane_store::{ListOptions, Revision};

use super::images::deleted_status;
use super::imagestreams::check_identity;
use super::tags::{MetaSelector, ObjectUpdate};
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, TypedList};

const SECRETS: &str = "secrets";
/// The field labels secrets can be selected by.
pub const SECRET_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "type"];
/// Attempts of a PATCH before answering 500 ServerTimeout.
const MAX_ATTEMPTS: usize = 10;

/// Fold `stringData` into `data` (it wins), as the API server does on every write.
fn merge_string_data(secret: &mut Secret) {
    if let Some(strings) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (k, v) in strings {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
}

fn invalid(name: &str, errs: &[FieldError]) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("", "Secret", name, errs))
    }
}

/// Whether `selector` selects `secret`.
pub fn secret_selected(selector: &MetaSelector, secret: &Secret) -> bool {
    selector.matches(&secret.metadata, |f| {
        (f == "type").then(|| secret_type(secret).to_owned())
    })
}

impl Service {
    /// POST `secrets`.
    pub async fn create_secret(
        &self,
        ns: &str,
        mut secret: Secret,
        opts: WriteOptions,
    ) -> ApiResult<Secret> {
        check_identity(&secret.metadata, Some(ns), None)?;
        secret.metadata.namespace = Some(ns.to_owned());
        merge_string_data(&mut secret);
        if secret.type_.as_deref().unwrap_or("").is_empty() {
            secret.type_ = Some("Opaque".into());
        }
        let name = secret.metadata.name.clone().unwrap_or_default();
        invalid(&name, &validate_secret(&secret))?;
        self.require_namespace(ns).await?;
        if opts.dry_run {
            if self
                .objects
                .try_get::<Secret>(Some(ns), &name)
                .await?
                .is_some()
            {
                return Err(ApiError::already_exists("", SECRETS, &name));
            }
            return Ok(secret);
        }
        self.objects.create(secret).await
    }

    /// GET `secrets/{name}`.
    pub async fn get_secret(&self, ns: &str, name: &str) -> ApiResult<Secret> {
        self.objects.get(Some(ns), name).await
    }

    /// Selectors of a secrets list or watch (`metadata.name`, `metadata.namespace`, `type`).
    pub fn secret_selector(
        &self,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<MetaSelector> {
        MetaSelector::parse(labels, fields, SECRET_FIELDS)
    }

    /// LIST `secrets` (one namespace or all, one page) with selectors applied.
    pub async fn list_secrets(
        &self,
        ns: Option<&str>,
        opts: &ListOptions,
        selector: &MetaSelector,
    ) -> ApiResult<TypedList<Secret>> {
        let mut list = self.objects.list::<Secret>(ns, opts).await?;
        list.items.retain(|s| secret_selected(selector, s));
        Ok(list)
    }

    /// PUT/PATCH `secrets/{name}`: PUT needs a resourceVersion matching the stored one.
    pub async fn update_secret(
        &self,
        ns: &str,
        name: &str,
        update: ObjectUpdate<'_, Secret>,
        opts: WriteOptions,
    ) -> ApiResult<Secret> {
        let attempts = if update.is_patch() { MAX_ATTEMPTS } else { 1 };
        for _ in 0..attempts {
            let old: Secret = self.objects.get(Some(ns), name).await?;
            let mut new = update.apply(&old, "Secret")?;
            check_identity(&new.metadata, Some(ns), Some(name))?;
            let requested = Objects::parse_rv(new.metadata.resource_version.as_deref())?;
            if requested.is_none() && !update.is_patch() {
                let e = FieldError::new(
                    ErrorType::Invalid,
                    "metadata.resourceVersion",
                    BadValue::Literal("0x0".into()),
                    "must be specified for an update",
                );
                return Err(ApiError::invalid("", "Secret", name, &[e]));
            }
            if let Some(rv) = requested
                && Some(rv) != Objects::parse_rv(old.metadata.resource_version.as_deref())?
            {
                return Err(ApiError::conflict(
                    "",
                    SECRETS,
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            new.metadata.name = old.metadata.name.clone();
            new.metadata.namespace = old.metadata.namespace.clone();
            new.metadata.uid = old.metadata.uid.clone();
            new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
            new.metadata.managed_fields = None;
            merge_string_data(&mut new);
            if new.type_.as_deref().unwrap_or("").is_empty() {
                new.type_ = old.type_.clone();
            }
            invalid(name, &validate_secret_update(&new, &old))?;
            if opts.dry_run {
                return Ok(new);
            }
            let expected = Objects::parse_rv(old.metadata.resource_version.as_deref())?;
            match self.objects.update(new, expected).await {
                Err(e) if e.reason() == "Conflict" && update.is_patch() => continue,
                other => return other,
            }
        }
        Err(ApiError::server_timeout("patch", SECRETS))
    }

    /// DELETE `secrets/{name}`.
    pub async fn delete_secret(
        &self,
        ns: &str,
        name: &str,
        rv: Option<Revision>,
        uid: Option<&str>,
        opts: WriteOptions,
    ) -> ApiResult<Status> {
        let deleted: Secret = if opts.dry_run {
            self.objects.get(Some(ns), name).await?
        } else {
            self.objects.delete(Some(ns), name, rv, uid).await?
        };
        Ok(deleted_status("", SECRETS, name, deleted.metadata.uid))
    }

    /// Every pull secret of a namespace that `selector` selects (§11.5; the filter is core
    /// [`pull_secrets`]).
    pub async fn pull_secrets(
        &self,
        ns: &str,
        selector: &MetaSelector,
    ) -> ApiResult<TypedList<Secret>> {
        let mut opts = ListOptions::default();
        let mut out = TypedList {
            items: Vec::new(),
            meta: Default::default(),
        };
        loop {
            let page = self.list_secrets(Some(ns), &opts, selector).await?;
            if out.meta.resource_version.is_none() {
                out.meta.resource_version = page.meta.resource_version.clone();
            }
            out.items.extend(pull_secrets(page.items));
            match page.meta.continue_ {
                Some(c) => {
                    opts = ListOptions {
                        continue_token: Some(c),
                        ..Default::default()
                    }
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// GET `imagestreams/{name}/secrets` (§11.5, §12.2): the namespace's pull secrets as an
    /// image-group `SecretList`; the stream name is not consulted, the selectors are applied.
    pub async fn image_stream_secrets(
        &self,
        ns: &str,
        _stream: &str,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> ApiResult<SecretList> {
        let selector = self.secret_selector(labels, fields)?;
        let list = self.pull_secrets(ns, &selector).await?;
        Ok(SecretList {
            api_version: IMAGE_API_VERSION.into(),
            kind: "SecretList".into(),
            metadata: list.meta,
            items: list.items,
        })
    }
}

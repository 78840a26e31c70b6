//! core/v1 Secrets (the pull secrets imports use) and `imagestreams/{name}/secrets` (§11.5,
//! §12.2). Secret data is never logged or put into error messages.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use tagplane_api::image::{ANNOTATION_EXCLUDE_SECRET, SecretList};
use tagplane_api::meta::{IMAGE_API_VERSION, Status};
use tagplane_api::validation::{
    BadValue, ErrorType, FieldError, path_segment_name_errors, validate_namespace_name,
};
use tagplane_store::{ListOptions, Revision};

use super::images::deleted_status;
use super::imagestreams::check_identity;
use super::tags::{MetaSelector, ObjectUpdate};
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, TypedList};

const SECRETS: &str = "secrets";
/// Type of a secret holding a `~/.docker/config.json`.
pub const SECRET_TYPE_DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
/// Type of a secret holding a legacy `~/.dockercfg`.
pub const SECRET_TYPE_DOCKERCFG: &str = "kubernetes.io/dockercfg";
/// Data key of [`SECRET_TYPE_DOCKER_CONFIG_JSON`].
pub const DOCKER_CONFIG_JSON_KEY: &str = ".dockerconfigjson";
/// Data key of [`SECRET_TYPE_DOCKERCFG`].
pub const DOCKERCFG_KEY: &str = ".dockercfg";
/// Largest total size of a secret's data (Kubernetes' `MaxSecretSize`).
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;
/// What is printed instead of a secret value in field errors.
const REDACTED: &str = "<secret contents redacted>";
/// The field labels secrets can be selected by.
pub const SECRET_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "type"];
/// Attempts of a PATCH before answering 500 ServerTimeout.
const MAX_ATTEMPTS: usize = 10;

const DNS1123_SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CONFIG_KEY_MESSAGE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.iter()
                    .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

fn config_key_errors(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_owned());
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        errs.push(CONFIG_KEY_MESSAGE.to_owned());
    }
    if key == "." {
        errs.push("must not be '.'".to_owned());
    } else if key == ".." {
        errs.push("must not be '..'".to_owned());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_owned());
    }
    errs
}

/// Fold `stringData` into `data` (it wins), as the API server does on every write.
fn merge_string_data(secret: &mut Secret) {
    if let Some(strings) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (k, v) in strings {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
}

fn secret_type(secret: &Secret) -> &str {
    secret.type_.as_deref().unwrap_or("Opaque")
}

/// Validate a secret (Kubernetes `ValidateSecret`): name, namespace, data keys, total size, and
/// for docker config types the required key holding a JSON object.
pub fn validate_secret(secret: &Secret) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = secret.metadata.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if !is_dns1123_subdomain(name) {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            DNS1123_SUBDOMAIN_MESSAGE,
        ));
    } else {
        for m in path_segment_name_errors(name) {
            errs.push(FieldError::invalid("metadata.name", name, &m));
        }
    }
    let ns = secret.metadata.namespace.as_deref().unwrap_or("");
    errs.extend(validate_namespace_name("metadata.namespace", ns));
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    let mut total = 0usize;
    for (key, value) in data {
        for m in config_key_errors(key) {
            errs.push(FieldError::invalid(format!("data[{key}]"), key, &m));
        }
        total = total.saturating_add(value.0.len());
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::new(
            ErrorType::TooLong,
            "data",
            BadValue::Omitted,
            &format!("must have at most {MAX_SECRET_SIZE} bytes"),
        ));
    }
    let docker_key = match secret_type(secret) {
        SECRET_TYPE_DOCKER_CONFIG_JSON => Some(DOCKER_CONFIG_JSON_KEY),
        SECRET_TYPE_DOCKERCFG => Some(DOCKERCFG_KEY),
        _ => None,
    };
    if let Some(key) = docker_key {
        let path = format!("data[{key}]");
        match data.get(key) {
            None => errs.push(FieldError::required(path, "")),
            Some(bytes) => {
                if let Err(e) =
                    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes.0)
                {
                    // The error text names positions only, never the content.
                    errs.push(FieldError::invalid(path, REDACTED, &e.to_string()));
                }
            }
        }
    }
    errs
}

/// Validate a secret update: type immutable, data immutable once `immutable` is set.
pub fn validate_secret_update(new: &Secret, old: &Secret) -> Vec<FieldError> {
    let mut errs = validate_secret(new);
    if secret_type(new) != secret_type(old) {
        errs.push(FieldError::invalid(
            "type",
            secret_type(new),
            "field is immutable",
        ));
    }
    if old.immutable == Some(true) {
        if new.immutable != Some(true) {
            errs.push(FieldError::forbidden(
                "immutable",
                "field is immutable when `immutable` is set",
            ));
        }
        if new.data != old.data {
            errs.push(FieldError::forbidden(
                "data",
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs
}

fn invalid(name: &str, errs: &[FieldError]) -> ApiResult<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("", "Secret", name, errs))
    }
}

/// Whether a secret can carry registry credentials for imports (§11.5).
pub fn is_pull_secret(secret: &Secret) -> bool {
    matches!(
        secret_type(secret),
        SECRET_TYPE_DOCKER_CONFIG_JSON | SECRET_TYPE_DOCKERCFG
    ) && secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_EXCLUDE_SECRET))
        .is_none_or(|v| v != "true")
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

    /// Every pull secret of a namespace that `selector` selects (§11.5): docker config types
    /// only, minus those annotated `openshift.io/image.excludeSecret: "true"`.
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
            out.items
                .extend(page.items.into_iter().filter(is_pull_secret));
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

//! core/v1 Secrets (the pull secrets imports use) and `imagestreams/{name}/secrets` (§11.5,
//! §12.2). Secret data is never logged or put into error messages.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use tagplane_api::image::SecretList;
use tagplane_api::meta::IMAGE_API_VERSION;
use tagplane_api::validation::{FieldError, secret_type, validate_secret, validate_secret_update};
use tagplane_core::secrets::pull_secrets;
use tagplane_store::ListOptions;

use super::Service;
use super::simple::SimpleObject;
use super::tags::MetaSelector;
use crate::error::ApiResult;
use crate::objects::TypedList;

/// The field labels secrets can be selected by.
pub const SECRET_FIELDS: &[&str] = &["metadata.name", "metadata.namespace", "type"];

/// Fold `stringData` into `data` (it wins), as the API server does on every write.
fn merge_string_data(secret: &mut Secret) {
    if let Some(strings) = secret.string_data.take() {
        let data = secret.data.get_or_insert_with(BTreeMap::new);
        for (k, v) in strings {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
}

impl SimpleObject for Secret {
    const FIELDS: &'static [&'static str] = SECRET_FIELDS;
    const PUT_NEEDS_RESOURCE_VERSION: bool = true;
    fn field(&self, label: &str) -> Option<String> {
        (label == "type").then(|| secret_type(self).to_owned())
    }
    fn default_create(&mut self) {
        merge_string_data(self);
        if self.type_.as_deref().unwrap_or("").is_empty() {
            self.type_ = Some("Opaque".into());
        }
    }
    fn validate_create(&self) -> Vec<FieldError> {
        validate_secret(self)
    }
    fn default_update(&mut self, old: &Self) {
        merge_string_data(self);
        if self.type_.as_deref().unwrap_or("").is_empty() {
            self.type_ = old.type_.clone();
        }
    }
    fn validate_update(&self, old: &Self) -> Vec<FieldError> {
        validate_secret_update(self, old)
    }
}

impl Service {
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
            let page = self
                .list_objects::<Secret>(Some(ns), &opts, selector)
                .await?;
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
        let selector = self.object_selector::<Secret>(labels, fields)?;
        let list = self.pull_secrets(ns, &selector).await?;
        Ok(SecretList {
            api_version: IMAGE_API_VERSION.into(),
            kind: "SecretList".into(),
            metadata: list.meta,
            items: list.items,
        })
    }
}

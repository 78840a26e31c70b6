//! The service layer: every REST semantic of the spec as Rust calls over `tagplane-core` and the
//! store. HTTP handlers, controllers and the integrated registry all call these functions.

use std::collections::HashMap;
use std::sync::Arc;

use tagplane_api::image::ImageStream;
use tagplane_api::validation::RegistryAllowList;
use tagplane_core::repository::RegistryHostnames;
use tagplane_core::resolution::StreamLookup;

use crate::error::ApiResult;
use crate::objects::Objects;

pub mod images;
pub mod imagestreams;
pub mod imports;
pub mod mappings;
pub mod namespaces;
pub mod projects;
pub mod rbac;
pub mod registry_importer;
pub mod secrets;
pub mod serviceaccounts;
pub mod simple;
pub mod tags;
pub mod tokens;

/// Server-wide settings the semantics depend on.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Integrated registry hostnames (§4.8).
    pub hosts: RegistryHostnames,
    /// Allowed registries for import (§3.6).
    pub allow: RegistryAllowList,
    /// Import mode given to tags that do not name one (`Legacy` unless configured, §2.1).
    pub default_import_mode: String,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            hosts: RegistryHostnames::default(),
            allow: RegistryAllowList::allow_all(),
            default_import_mode: tagplane_api::image::IMPORT_MODE_LEGACY.to_owned(),
        }
    }
}

/// Registry hostnames from the command line (empty strings count as unset).
pub fn registry_hostnames(internal: Option<String>, public: Option<String>) -> RegistryHostnames {
    RegistryHostnames {
        internal: internal.filter(|h| !h.is_empty()),
        public: public.filter(|h| !h.is_empty()),
    }
}

/// Options shared by writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// `dryRun=All`: run every check, persist nothing.
    pub dry_run: bool,
}

/// The service layer.
#[derive(Clone, Debug)]
pub struct Service {
    /// Typed store access.
    pub objects: Objects,
    /// Settings.
    pub config: ServiceConfig,
    /// Fetches images from remote registries for ImageStreamImport (§10).
    pub importer: Arc<dyn imports::Importer>,
    /// Flips to `true` when the server starts shutting down; long-running watches end on it.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// The RBAC authorizer (cached roles and bindings).
    pub rbac: Arc<crate::auth::authz::RbacCache>,
    /// Authentication state: token cache, identity file, login limiter.
    pub access: Arc<crate::auth::authn::Access>,
}

/// Streams read ahead of a call into core (core is synchronous and does no IO).
#[derive(Debug, Default)]
pub struct PrefetchedStreams(HashMap<(String, String), ImageStream>);

impl StreamLookup for PrefetchedStreams {
    fn get_stream(&self, namespace: &str, name: &str) -> Result<Option<ImageStream>, String> {
        Ok(self
            .0
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned())
    }
}

impl Service {
    /// A service over `objects` with `config`.
    pub fn new(objects: Objects, config: ServiceConfig) -> Self {
        Service {
            objects,
            config,
            importer: Arc::new(imports::UnconfiguredImporter),
            shutdown: Arc::new(tokio::sync::watch::channel(false).0),
            rbac: Arc::default(),
            access: Arc::default(),
        }
    }

    /// Tell long-running requests (watches) to finish: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Use `access` (identity file, token settings) for authentication.
    pub fn with_access(mut self, access: crate::auth::authn::Access) -> Self {
        self.access = Arc::new(access);
        self
    }

    /// Use `importer` for ImageStreamImport instead of the default [`imports::UnconfiguredImporter`].
    pub fn with_importer(mut self, importer: Arc<dyn imports::Importer>) -> Self {
        self.importer = importer;
        self
    }

    /// Read every other stream that `stream`'s ImageStreamTag/ImageStreamImage spec tags name.
    pub async fn prefetch_sources(&self, stream: &ImageStream) -> ApiResult<PrefetchedStreams> {
        let ns = stream.metadata.namespace.clone().unwrap_or_default();
        let name = stream.metadata.name.clone().unwrap_or_default();
        let mut out = PrefetchedStreams::default();
        for tag in &stream.spec.tags {
            let Some(from) = &tag.from else { continue };
            let Some((src, _)) =
                tagplane_core::resolution::parse_from_reference(&name, &from.kind, &from.name)
            else {
                continue;
            };
            let src_ns = if from.namespace.is_empty() {
                ns.clone()
            } else {
                from.namespace.clone()
            };
            if (src_ns == ns && src == name)
                || out.0.contains_key(&(src_ns.clone(), src.to_owned()))
            {
                continue;
            }
            // An unreadable name is reported by resolution as "not found".
            if let Ok(Some(s)) = self
                .objects
                .try_get::<ImageStream>(Some(&src_ns), src)
                .await
            {
                out.0.insert((src_ns, src.to_owned()), s);
            }
        }
        Ok(out)
    }
}

//! ImageStreamImport (§10): preconditions, the pluggable [`Importer`] that talks to registries,
//! the anonymous retry (§10.3), dry runs (§10.4) and applying results to the stream (§10.5).

use futures::StreamExt;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use k8s_openapi::api::core::v1::Secret;
use tagplane_api::image::{
    Image, ImageImportStatus, ImageStream, ImageStreamImport, ImageStreamImportStatus,
    RepositoryImportStatus,
};
use tagplane_api::meta::Status;
use tagplane_api::validation::{validate_image_stream_import, validate_import_allowed};
use tagplane_core::import::{
    ImportWrite, apply_import_results, default_import_request, merge_anonymous_retry,
    needs_anonymous_retry, trim_dry_run,
};
use tagplane_core::repository::decorate;

use super::imagestreams::check_identity;
use super::registry_importer::is_unchanged_recheck;
use super::tags::MetaSelector;
use super::{Service, WriteOptions};
use crate::error::{ApiError, ApiResult};

const GROUP: &str = tagplane_api::meta::IMAGE_GROUP;
/// Image objects created at once by one import: enough that the store folds the creates of a
/// 1,000-image import into a handful of durable commits instead of one per 32 images.
const IMAGE_CREATE_CONCURRENCY: usize = 256;
/// Attempts of the stream write before answering 500 ServerTimeout.
const MAX_ATTEMPTS: usize = 10;
/// Message of every result of [`UnconfiguredImporter`].
pub const UNCONFIGURED_MESSAGE: &str =
    "importer not configured: this server cannot contact registries yet";

/// Registry credentials for one import: the namespace's pull secrets (§11.5), or none for the
/// anonymous retry (§10.3). `Debug` never shows secret data.
#[derive(Clone, Default)]
pub struct ImportCredentials {
    /// `kubernetes.io/dockerconfigjson` and `kubernetes.io/dockercfg` secrets, in list order.
    pub secrets: Vec<Secret>,
}

impl ImportCredentials {
    /// No credentials at all.
    pub fn anonymous() -> Self {
        ImportCredentials::default()
    }
}

impl std::fmt::Debug for ImportCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .secrets
            .iter()
            .map(|s| s.metadata.name.as_deref().unwrap_or(""))
            .collect();
        f.debug_struct("ImportCredentials")
            .field("secrets", &names)
            .finish()
    }
}

/// Why an import could not run at all (per-image failures go into the returned status).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The importer failed as a whole; answered as 500 InternalError.
    #[error("{0}")]
    Internal(String),
}

/// The future an [`Importer`] returns.
pub type ImportFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ImageStreamImportStatus, ImportError>> + Send + 'a>>;

/// Fetches what an ImageStreamImport asks for from remote registries (§10.2, §11).
///
/// The result is the request's status: `images` index-aligned with `spec.images`, and
/// `repository` when `spec.repository` is set; `import` is left empty (the service fills it).
/// `stream` is the target stream when it exists (spec-tag annotations such as
/// `importer.image.openshift.io/prefer-arch` live there). Object-safe so the server can hold
/// any implementation as `Arc<dyn Importer>`.
pub trait Importer: Send + Sync + std::fmt::Debug {
    /// Import everything `request` names using `credentials`.
    fn import<'a>(
        &'a self,
        request: &'a ImageStreamImport,
        stream: Option<&'a ImageStream>,
        credentials: &'a ImportCredentials,
    ) -> ImportFuture<'a>;
}

/// The importer of a server that cannot contact registries: every image and the repository
/// fail with reason `InternalError` (never a fake success).
#[derive(Clone, Copy, Debug, Default)]
pub struct UnconfiguredImporter;

fn unconfigured_status() -> Status {
    Status {
        status: Some("Failure".into()),
        reason: Some("InternalError".into()),
        message: Some(UNCONFIGURED_MESSAGE.into()),
        code: Some(500),
        ..Default::default()
    }
}

impl Importer for UnconfiguredImporter {
    fn import<'a>(
        &'a self,
        request: &'a ImageStreamImport,
        _stream: Option<&'a ImageStream>,
        _credentials: &'a ImportCredentials,
    ) -> ImportFuture<'a> {
        let status = ImageStreamImportStatus {
            import: None,
            repository: request
                .spec
                .repository
                .as_ref()
                .map(|_| RepositoryImportStatus {
                    status: unconfigured_status(),
                    images: vec![],
                    additional_tags: vec![],
                }),
            images: request
                .spec
                .images
                .iter()
                .map(|_| ImageImportStatus {
                    status: unconfigured_status(),
                    ..Default::default()
                })
                .collect(),
        };
        Box::pin(std::future::ready(Ok(status)))
    }
}

fn strip_manifests(status: &mut ImageImportStatus) {
    for img in status.image.iter_mut().chain(status.manifests.iter_mut()) {
        img.docker_image_manifest.clear();
        img.docker_image_config.clear();
    }
}

impl Service {
    /// Run the configured importer; an overall failure is a 500.
    async fn run_importer(
        &self,
        isi: &ImageStreamImport,
        stream: Option<&ImageStream>,
        credentials: &ImportCredentials,
    ) -> ApiResult<ImageStreamImportStatus> {
        self.importer
            .import(isi, stream, credentials)
            .await
            .map_err(ApiError::internal)
    }

    /// Run the importer for `request` with `credentials`, then anonymously if a registry
    /// rejected the credentials (§10.3); the request with its status.
    async fn import_with_retry(
        &self,
        request: &ImageStreamImport,
        stream: Option<&ImageStream>,
        credentials: &ImportCredentials,
    ) -> ApiResult<ImageStreamImport> {
        let mut isi = request.clone();
        isi.status = self.run_importer(request, stream, credentials).await?;
        if needs_anonymous_retry(&isi) {
            let mut retried = isi.clone();
            retried.status = self
                .run_importer(&isi, stream, &ImportCredentials::anonymous())
                .await?;
            merge_anonymous_retry(&isi, &mut retried);
            isi = retried;
        }
        Ok(isi)
    }

    /// Replace every unchanged-re-check placeholder in `isi.status` with the stored Image of
    /// that digest (keeping the result's `dockerImageReference`); `false`, changing nothing,
    /// when one of those Images does not exist.
    async fn swap_unchanged_placeholders(&self, isi: &mut ImageStreamImport) -> ApiResult<bool> {
        let repository = isi.status.repository.iter_mut().flat_map(|r| &mut r.images);
        let slots: Vec<&mut Image> = isi
            .status
            .images
            .iter_mut()
            .chain(repository)
            .filter_map(|st| st.image.as_mut())
            .filter(|img| is_unchanged_recheck(img))
            .collect();
        let mut stored = Vec::with_capacity(slots.len());
        for img in &slots {
            let digest = img.metadata.name.as_deref().unwrap_or_default();
            match self.objects.try_get::<Image>(None, digest).await? {
                Some(found) => stored.push(found),
                None => return Ok(false),
            }
        }
        for (img, mut found) in slots.into_iter().zip(stored) {
            found.docker_image_reference = std::mem::take(&mut img.docker_image_reference);
            *img = found;
        }
        Ok(true)
    }

    /// Decode-time defaults of an import request (§2.8): `to` from the source tag, and the
    /// server-wide import mode where none is given (so re-imports compare equal, §10.5).
    fn default_import(&self, isi: &mut ImageStreamImport) {
        default_import_request(isi);
        let mode = &self.config.default_import_mode;
        for img in &mut isi.spec.images {
            if img.import_policy.import_mode.is_empty() {
                img.import_policy.import_mode = mode.clone();
            }
        }
        if let Some(repo) = &mut isi.spec.repository
            && repo.import_policy.import_mode.is_empty()
        {
            repo.import_policy.import_mode = mode.clone();
        }
    }

    /// The internal create of a stream that carries status (imports, §10.5): generation 1 for
    /// the stream and every spec tag, tag resolution and validation as on create.
    pub async fn create_stream_internal(
        &self,
        mut stream: ImageStream,
        opts: WriteOptions,
    ) -> ApiResult<ImageStream> {
        let ns = stream.metadata.namespace.clone().unwrap_or_default();
        let name = stream.metadata.name.clone().unwrap_or_default();
        self.require_namespace(&ns).await?;
        self.default_stream(&mut stream);
        stream.metadata.generation = Some(1);
        for tag in &mut stream.spec.tags {
            tag.generation = Some(1);
        }
        decorate(&mut stream, &self.config.hosts);
        self.resolve_and_validate(&mut stream, None).await?;
        if opts.dry_run {
            if self
                .objects
                .try_get::<ImageStream>(Some(&ns), &name)
                .await?
                .is_some()
            {
                return Err(ApiError::already_exists(GROUP, "imagestreams", &name));
            }
            return Ok(stream);
        }
        let mut created = self.objects.create(stream).await?;
        decorate(&mut created, &self.config.hosts);
        Ok(created)
    }

    /// POST `imagestreamimports` (§10): answers 201 with the request and its status, also when
    /// every image failed.
    pub async fn import_images(
        &self,
        ns: &str,
        mut isi: ImageStreamImport,
        opts: WriteOptions,
    ) -> ApiResult<ImageStreamImport> {
        // §10.1.1: status is the server's; validation §3.7.
        check_identity(&isi.metadata, Some(ns), None)?;
        if ns.is_empty() {
            return Err(ApiError::bad_request(
                "a namespace must be specified to import images",
            ));
        }
        isi.metadata.namespace = Some(ns.to_owned());
        isi.status = ImageStreamImportStatus::default();
        self.default_import(&mut isi);
        let name = isi.metadata.name.clone().unwrap_or_default();
        let mut errs = validate_image_stream_import(&isi);
        if errs.is_empty() && !self.caller_bypasses_allowed_registries().await? {
            // §10.1.2: only callers who may create images cluster-wide skip the allow-list.
            errs = validate_import_allowed(&isi, &self.config.allow);
        }
        if !errs.is_empty() {
            return Err(ApiError::invalid(GROUP, "ImageStreamImport", &name, &errs));
        }
        self.require_namespace(ns).await?;

        // §10.1.4: preconditions on the target stream.
        let input_rv = isi.metadata.resource_version.clone().unwrap_or_default();
        let input_uid = isi.metadata.uid.clone().unwrap_or_default();
        let stream = self.objects.try_get::<ImageStream>(Some(ns), &name).await?;
        match &stream {
            None if !input_rv.is_empty() || !input_uid.is_empty() => {
                return Err(ApiError::not_found(GROUP, "imagestreamimports", &name));
            }
            None => {}
            Some(s) => {
                let rv = s.metadata.resource_version.clone().unwrap_or_default();
                if !input_rv.is_empty() && input_rv != rv {
                    let why =
                        format!("the image stream was updated from \"{input_rv}\" to \"{rv}\"");
                    return Err(ApiError::conflict(GROUP, "imagestream", &name, &why));
                }
                if !input_uid.is_empty() && s.metadata.uid.as_deref() != Some(input_uid.as_str()) {
                    return Err(ApiError::not_found(GROUP, "imagestream", &name));
                }
            }
        }

        // §10.1.6, §10.2, §10.3: import with the namespace's pull secrets, then anonymously
        // if a registry rejected the credentials.
        let credentials = ImportCredentials {
            secrets: self.pull_secrets(ns, &MetaSelector::default()).await?.items,
        };
        let shown = stream.clone().map(|mut s| {
            decorate(&mut s, &self.config.hosts);
            s
        });
        let request = isi.clone();
        let started = std::time::Instant::now();
        isi = self
            .import_with_retry(&request, shown.as_ref(), &credentials)
            .await?;
        let fetched = started.elapsed();
        // An unchanged re-check answers with a placeholder Image (registry importer): show the
        // stored Image, or import again without the shortcut when that Image is missing.
        if !self.swap_unchanged_placeholders(&mut isi).await? {
            let forgetful = shown.map(|mut s| {
                s.status.tags.clear();
                s
            });
            isi = self
                .import_with_retry(&request, forgetful.as_ref(), &credentials)
                .await?;
        }
        isi.status.import = None;

        // §10.4: a dry run writes nothing.
        if !isi.spec.import {
            trim_dry_run(&mut isi);
            return Ok(isi);
        }

        // §10.5: apply the results, create the images, write the stream.
        let mut current = stream;
        let mut created: BTreeMap<String, Image> = BTreeMap::new();
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                current = self.objects.try_get::<ImageStream>(Some(ns), &name).await?;
            }
            let now = self.objects.clock.now();
            let app = apply_import_results(current.as_ref(), &isi, &now);
            // Images are independent objects: create them concurrently so the store can fold
            // their durable writes into shared commits.
            let pending: Vec<Image> = app
                .images
                .iter()
                .filter(|i| !created.contains_key(i.metadata.name.as_deref().unwrap_or("")))
                .cloned()
                .collect();
            let results: Vec<ApiResult<(String, Image)>> = futures::stream::iter(pending)
                .map(|image| async move {
                    let digest = image.metadata.name.clone().unwrap_or_default();
                    match self.create_image(image.clone(), opts).await {
                        Ok(i) => Ok((digest, i)),
                        Err(e) if e.reason() == "AlreadyExists" => Ok((digest, image)),
                        Err(e) => Err(e),
                    }
                })
                .buffer_unordered(IMAGE_CREATE_CONCURRENCY)
                .collect()
                .await;
            for result in results {
                let (digest, stored) = result?;
                created.insert(digest, stored);
            }
            let written = match (app.write, &current) {
                (ImportWrite::Create, _) | (_, None) => {
                    self.create_stream_internal(app.stream, opts).await
                }
                (ImportWrite::Update, Some(old)) => {
                    self.update_stream_internal(old, app.stream, opts).await
                }
                (ImportWrite::None, Some(old)) => {
                    let mut s = old.clone();
                    decorate(&mut s, &self.config.hosts);
                    Ok(s)
                }
            };
            match written {
                Ok(s) => {
                    isi.status.import = Some(s);
                    break;
                }
                Err(e) if matches!(e.reason(), "Conflict" | "AlreadyExists") => continue,
                Err(e) => return Err(e),
            }
        }
        if isi.status.import.is_none() {
            return Err(ApiError::server_timeout("create", "imagestreamimports"));
        }
        tracing::debug!(
            namespace = ns,
            name = %name,
            images = isi.status.images.len(),
            fetch_ms = fetched.as_millis() as u64,
            write_ms = (started.elapsed() - fetched).as_millis() as u64,
            "import applied"
        );

        // Returned images are the stored ones; with `import: true` manifests are never returned.
        let replace = |st: &mut ImageImportStatus| {
            if let Some(img) = &mut st.image
                && let Some(stored) = img.metadata.name.as_ref().and_then(|n| created.get(n))
            {
                *img = stored.clone();
            }
            strip_manifests(st);
        };
        isi.status.images.iter_mut().for_each(&replace);
        if let Some(repo) = &mut isi.status.repository {
            repo.images.iter_mut().for_each(&replace);
        }
        Ok(isi)
    }
}

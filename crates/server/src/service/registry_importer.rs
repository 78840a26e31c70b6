//! The [`Importer`] that talks to real registries through `tagplane-distribution` (§10.2,
//! §10.6, §11): per-image imports grouped and deduplicated, bulk repository imports, the
//! namespace's pull secrets as credentials (§11.5) and failures mapped to statuses (§11.6).

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use tagplane_api::image::{
    ANNOTATION_PREFER_ARCH, ANNOTATION_PREFER_OS, Image, ImageImportSpec, ImageImportStatus,
    ImageStream, ImageStreamImport, ImageStreamImportStatus, KIND_DOCKER_IMAGE,
    RepositoryImportStatus, TagImportPolicy,
};
use tagplane_api::meta::Status;
use tagplane_api::reference::ImageReference;
use tagplane_core::import::{DEFAULT_BULK_LIMIT, select_bulk_tags};
use tagplane_core::manifest::{go_arch, go_os, is_manifest_list_type};
pub use tagplane_core::registries::RegistrySources;
use tagplane_distribution::{
    DistributionError, FetchOptions, FetchedImage, ImportMode, Keyring, RegistryClient, Repository,
    fetch_image_from, first_success, pull_spec, status_reference,
};

use crate::objects::Clock;

use super::imports::{ImportCredentials, ImportFuture, Importer};

/// How many fetches of one ImageStreamImport run at the same time.
pub const MAX_CONCURRENT_FETCHES: usize = 8;

/// Imports images from remote registries with a shared [`RegistryClient`].
#[derive(Clone, Debug)]
pub struct RegistryImporter {
    client: RegistryClient,
    /// Mirrors, blocked and insecure registries (§11.2).
    sources: std::sync::Arc<RegistrySources>,
    bulk_limit: i64,
    host_arch: String,
    host_os: String,
}

/// How `tagplane serve` configures the registry importer (its `--registry-*` flags).
#[derive(Clone, Debug)]
pub struct ImporterOptions {
    /// PEM files of extra CAs trusted for every registry (`--registry-ca`).
    pub ca_files: Vec<std::path::PathBuf>,
    /// Request budget per registry; 0 = unlimited (`--registry-requests-per-second`). The
    /// burst is twice the rate.
    pub requests_per_second: f64,
    /// Requests in flight per registry (`--registry-max-concurrent-requests`).
    pub max_concurrent_requests: usize,
    /// Most tags per repository import, -1 = unlimited
    /// (`--max-images-bulk-imported-per-repository`, §10.6).
    pub bulk_limit: i64,
    /// Mirrors, blocked and insecure registries (§11.2).
    pub sources: RegistrySources,
}

impl Default for ImporterOptions {
    fn default() -> Self {
        let client = tagplane_distribution::ClientConfig::default();
        ImporterOptions {
            ca_files: Vec::new(),
            requests_per_second: client.requests_per_second,
            max_concurrent_requests: client.max_concurrent_requests,
            bulk_limit: DEFAULT_BULK_LIMIT,
            sources: RegistrySources::new(),
        }
    }
}

/// Why the importer cannot be built from its options.
#[derive(Debug, thiserror::Error)]
pub enum ImporterConfigError {
    /// A `--registry-ca` file cannot be read.
    #[error("--registry-ca {path}: {source}")]
    CaFile {
        /// The file.
        path: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The registry client rejects the settings (for example a CA file that is not PEM).
    #[error("registry client: {0}")]
    Client(#[from] DistributionError),
}

/// One distinct fetch of a request (§10.2: identical requests are fetched once).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FetchKey {
    /// The fully defaulted reference (`docker.io/library/x:latest`).
    reference: String,
    mode: ImportMode,
    insecure: bool,
    prefer_arch: Option<String>,
    prefer_os: Option<String>,
}

/// A fetch to run, and the reference as the user spelled it.
struct Job {
    key: FetchKey,
    reference: ImageReference,
    /// The digest a target tag already records for this same source (a re-check): when a
    /// `HEAD` still resolves to it, the manifest and config are not fetched again.
    known: Option<String>,
}

/// Annotation on the metadata-less Image an unchanged re-check returns (see
/// [`is_unchanged_recheck`]); the service swaps it for the stored Image, or imports again
/// without the shortcut when that Image is missing, so it is never stored.
pub const ANNOTATION_UNCHANGED_RECHECK: &str = "tagplane.io/unchanged-recheck";

/// Whether `image` is the placeholder of an unchanged re-check (name = digest,
/// `dockerImageReference` only), not a fetched Image.
pub fn is_unchanged_recheck(image: &Image) -> bool {
    image
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ANNOTATION_UNCHANGED_RECHECK))
}

/// The placeholder Image of an unchanged re-check of `reference` resolving to `digest`.
fn unchanged_image(reference: &ImageReference, digest: &str) -> Image {
    let mut image = Image {
        docker_image_reference: pull_spec(reference, digest),
        ..Default::default()
    };
    image.metadata.name = Some(digest.to_owned());
    image.metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_UNCHANGED_RECHECK.to_owned(),
        "true".to_owned(),
    )]));
    image
}

/// The image digest the target tag of `spec` records when `spec` re-checks the source that
/// tag already follows (spec tag `from` = request `from`) and the latest event names an image.
fn recorded_digest(stream: Option<&ImageStream>, spec: &ImageImportSpec) -> Option<String> {
    let stream = stream?;
    let to = &spec.to.as_ref()?.name;
    let from = stream.spec.tag(to)?.from.as_ref()?;
    if from.kind != KIND_DOCKER_IMAGE || from.name != spec.from.name {
        return None;
    }
    let latest = stream.status.tag(to)?.items.as_ref()?.first()?;
    (!latest.image.is_empty()).then(|| latest.image.clone())
}

/// Where the result of a request goes.
enum Slot {
    /// Fetch `jobs[n]` for this reference.
    Fetch(ImageReference, usize),
    /// Failed before any network access.
    Failed(Box<Status>),
}

/// The selected tags of a repository import with their fetches, and the additional tags; or
/// the repository-level failure.
type RepositoryPlan = Result<(Vec<(ImageReference, usize)>, Vec<String>), Status>;

fn success_status() -> Status {
    Status {
        status: Some("Success".to_owned()),
        ..Default::default()
    }
}

/// The remote tag of a reference in status (`latest` when none is given; empty for digests).
fn remote_tag(reference: &ImageReference) -> String {
    if reference.id.is_empty() {
        reference.docker_client_defaults().tag
    } else {
        String::new()
    }
}

fn import_mode(policy: &TagImportPolicy) -> ImportMode {
    ImportMode::parse(&policy.import_mode).unwrap_or_default()
}

fn invalid_name(name: &str) -> Status {
    DistributionError::InvalidName {
        detail: format!("invalid repository name {name:?}"),
    }
    .to_k8s_status(name)
}

/// The status of one fetched (or failed) reference.
fn image_status(
    reference: &ImageReference,
    result: &Result<FetchedImage, DistributionError>,
) -> ImageImportStatus {
    match result {
        Ok(fetched) => {
            // A shared fetch (§10.2) names images in each request's own spelling (§10.5).
            let respell = |image: &Image| {
                let mut image = image.clone();
                if let Some(digest) = image.metadata.name.as_deref() {
                    image.docker_image_reference = pull_spec(reference, digest);
                }
                image
            };
            ImageImportStatus {
                status: success_status(),
                image: Some(respell(&fetched.image)),
                tag: remote_tag(reference),
                manifests: fetched.manifests.iter().map(respell).collect(),
            }
        }
        Err(e) => ImageImportStatus {
            status: e.to_k8s_status(&status_reference(reference)),
            tag: remote_tag(reference),
            ..Default::default()
        },
    }
}

fn non_empty(
    annotations: Option<&std::collections::BTreeMap<String, String>>,
    key: &str,
) -> Option<String> {
    annotations
        .and_then(|a| a.get(key))
        .filter(|v| !v.is_empty())
        .cloned()
}

impl RegistryImporter {
    /// An importer over `client` importing at most `bulk_limit` tags per repository (`-1` =
    /// unlimited), preferring this machine's platform for manifest lists.
    pub fn new(client: RegistryClient, bulk_limit: i64) -> Self {
        RegistryImporter {
            client,
            sources: std::sync::Arc::new(RegistrySources::new()),
            bulk_limit,
            host_arch: go_arch(std::env::consts::ARCH).to_owned(),
            host_os: go_os(std::env::consts::OS).to_owned(),
        }
    }

    /// The importer `options` describe: CA files read now (and checked to be PEM), budgets
    /// shared by all imports, mirrors and blocked/insecure registries.
    pub fn from_options(options: &ImporterOptions) -> Result<Self, ImporterConfigError> {
        let mut ca_pem = Vec::new();
        for path in &options.ca_files {
            let pem = std::fs::read(path).map_err(|source| ImporterConfigError::CaFile {
                path: path.display().to_string(),
                source,
            })?;
            ca_pem.push(pem);
        }
        let rate = options.requests_per_second.max(0.0);
        let config = tagplane_distribution::ClientConfig {
            requests_per_second: rate,
            burst: (rate * 2.0).clamp(1.0, f64::from(u32::MAX)) as u32,
            max_concurrent_requests: options.max_concurrent_requests.max(1),
            ..Default::default()
        };
        let client = RegistryClient::builder()
            .config(config)
            .default_settings(tagplane_distribution::RegistrySettings {
                insecure: false,
                ca_pem,
            })
            .build()?;
        Ok(Self::new(client, options.bulk_limit).with_sources(options.sources.clone()))
    }

    /// An importer with default client settings and the default bulk limit (50).
    pub fn with_defaults() -> Result<Self, DistributionError> {
        Ok(Self::new(RegistryClient::new()?, DEFAULT_BULK_LIMIT))
    }

    /// Pull through the mirrors and honour the blocked and insecure registries of `sources`
    /// (§11.2).
    pub fn with_sources(mut self, sources: RegistrySources) -> Self {
        self.sources = std::sync::Arc::new(sources);
        self
    }

    /// Use `arch`/`os` (Go naming) as the default platform preference of Legacy list imports.
    pub fn with_host_platform(mut self, arch: &str, os: &str) -> Self {
        self.host_arch = arch.to_owned();
        self.host_os = os.to_owned();
        self
    }

    /// Register a fetch of `reference`, reusing an identical one.
    fn plan(
        jobs: &mut Vec<Job>,
        index: &mut HashMap<FetchKey, usize>,
        reference: ImageReference,
        mode: ImportMode,
        insecure: bool,
        prefer: (Option<String>, Option<String>),
        known: Option<String>,
    ) -> usize {
        let defaulted = reference.docker_client_defaults();
        let by_digest = !defaulted.id.is_empty();
        // A digest names one manifest: platform preferences do not matter (§10.2).
        let (prefer_arch, prefer_os) = if by_digest { (None, None) } else { prefer };
        let key = FetchKey {
            reference: defaulted.most_specific().exact(),
            mode,
            insecure,
            prefer_arch,
            prefer_os,
        };
        if let Some(&n) = index.get(&key) {
            let job = &mut jobs[n];
            if job.known.is_none() {
                job.known = known;
            }
            return n;
        }
        jobs.push(Job {
            key: key.clone(),
            reference,
            known,
        });
        index.insert(key, jobs.len() - 1);
        jobs.len() - 1
    }

    async fn run(
        &self,
        request: &ImageStreamImport,
        stream: Option<&ImageStream>,
        credentials: &ImportCredentials,
    ) -> ImageStreamImportStatus {
        let keyring = Keyring::from_secrets(&credentials.secrets);
        for w in keyring.warnings() {
            tracing::debug!(secret = %w.secret, reason = %w.reason, "pull secret skipped");
        }
        let mut jobs: Vec<Job> = Vec::new();
        let mut index: HashMap<FetchKey, usize> = HashMap::new();

        // Per-image requests.
        let mut image_slots = Vec::with_capacity(request.spec.images.len());
        for spec in &request.spec.images {
            let Ok(reference) = ImageReference::parse(&spec.from.name) else {
                image_slots.push(Slot::Failed(Box::new(invalid_name(&spec.from.name))));
                continue;
            };
            let annotations = spec.to.as_ref().and_then(|to| {
                stream?
                    .spec
                    .tags
                    .iter()
                    .find(|t| t.name == to.name)?
                    .annotations
                    .as_ref()
            });
            let prefer = (
                non_empty(annotations, ANNOTATION_PREFER_ARCH),
                non_empty(annotations, ANNOTATION_PREFER_OS),
            );
            let n = Self::plan(
                &mut jobs,
                &mut index,
                reference.clone(),
                import_mode(&spec.import_policy),
                spec.import_policy.insecure,
                prefer,
                recorded_digest(stream, spec),
            );
            image_slots.push(Slot::Fetch(reference, n));
        }

        // Bulk repository import (§10.6): list the tags first.
        let mut repo_plan: Option<RepositoryPlan> = None;
        if let Some(spec) = &request.spec.repository {
            repo_plan = Some(
                self.plan_repository(&keyring, spec, &mut jobs, &mut index)
                    .await,
            );
        }

        // Fetch every distinct reference, a few at a time.
        let now = crate::objects::SystemClock.now().0;
        let fetches: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(n, job)| {
                let options = FetchOptions {
                    import_mode: job.key.mode,
                    prefer_arch: job.key.prefer_arch.clone(),
                    prefer_os: job.key.prefer_os.clone(),
                    host_arch: self.host_arch.clone(),
                    host_os: self.host_os.clone(),
                    insecure: job.key.insecure,
                    now,
                };
                let keyring = &keyring;
                async move {
                    if let Some(image) = self.unchanged(keyring, job).await {
                        let fetched = FetchedImage {
                            resolved_digest: image.metadata.name.clone().unwrap_or_default(),
                            resolved_media_type: String::new(),
                            image,
                            manifests: Vec::new(),
                        };
                        return (n, Ok(fetched));
                    }
                    let sources = self.sources.pull_sources(&job.reference, job.key.insecure);
                    let r =
                        fetch_image_from(&self.client, keyring, &job.reference, &sources, &options)
                            .await;
                    if let Err(e) = &r {
                        tracing::debug!(reference = %job.key.reference, error = %e, "import failed");
                    }
                    (n, r)
                }
            })
            .collect();
        // Unordered, so a slow fetch does not hold back the start of the next ones (`buffered`
        // counts finished-but-undelivered fetches against the limit); put back in job order.
        let mut slots: Vec<Option<Result<FetchedImage, DistributionError>>> =
            (0..fetches.len()).map(|_| None).collect();
        let mut done = futures::stream::iter(fetches).buffer_unordered(MAX_CONCURRENT_FETCHES);
        while let Some((n, result)) = done.next().await {
            slots[n] = Some(result);
        }
        drop(done);
        let results: Vec<Result<FetchedImage, DistributionError>> = slots
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(DistributionError::Config(
                        "fetch did not complete".to_owned(),
                    ))
                })
            })
            .collect();

        let images = image_slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Fetch(reference, n) => image_status(&reference, &results[n]),
                Slot::Failed(status) => ImageImportStatus {
                    status: *status,
                    ..Default::default()
                },
            })
            .collect();

        let repository = repo_plan.map(|plan| match plan {
            Err(status) => RepositoryImportStatus {
                status,
                images: vec![],
                additional_tags: vec![],
            },
            Ok((selected, additional_tags)) => {
                let images: Vec<ImageImportStatus> = selected
                    .iter()
                    .map(|(reference, n)| image_status(reference, &results[*n]))
                    .collect();
                let failures = images
                    .iter()
                    .filter(|s| s.status.status.as_deref() != Some("Success"))
                    .count();
                let status = match failures {
                    0 => success_status(),
                    n => Status {
                        status: Some("Failure".to_owned()),
                        reason: Some("ImportFailed".to_owned()),
                        message: Some(if n == 1 {
                            "one of the images from this repository failed to import".to_owned()
                        } else {
                            format!("{n} of the images from this repository failed to import")
                        }),
                        ..Default::default()
                    },
                };
                RepositoryImportStatus {
                    status,
                    images,
                    additional_tags,
                }
            }
        });

        ImageStreamImportStatus {
            import: None,
            repository,
            images,
        }
    }

    /// The placeholder Image when `job` re-checks a recorded digest and a `HEAD` of the
    /// reference still resolves to it (spec issue 5 "be kind to registries": no manifest or
    /// config `GET`). Only single manifests in Legacy mode qualify: a Legacy list records a
    /// child digest the `HEAD` cannot confirm, and PreserveOriginal results carry children.
    /// Any failure of the `HEAD` falls back to the full fetch, which reports the error.
    async fn unchanged(&self, keyring: &Keyring, job: &Job) -> Option<Image> {
        let known = job.known.as_deref()?;
        if job.key.mode != ImportMode::Legacy {
            return None;
        }
        let defaulted = job.reference.docker_client_defaults();
        let wanted = if defaulted.id.is_empty() {
            defaulted.tag
        } else {
            defaulted.id
        };
        let sources = self.sources.pull_sources(&job.reference, job.key.insecure);
        let head = first_success(&sources, |source| {
            let wanted = wanted.clone();
            async move {
                let repo = Repository::for_reference(&source.reference, keyring)?
                    .with_insecure(source.insecure);
                self.client.head_manifest(&repo, &wanted).await
            }
        })
        .await;
        let head = match head {
            Ok(Some(head)) => head,
            Ok(None) => return None,
            Err(e) => {
                tracing::debug!(reference = %job.key.reference, error = %e, "re-check HEAD failed");
                return None;
            }
        };
        if head.digest != known || is_manifest_list_type(&head.media_type) {
            return None;
        }
        tracing::debug!(reference = %job.key.reference, digest = %known, "unchanged upstream");
        Some(unchanged_image(&job.reference, known))
    }

    /// List a repository's tags and plan a fetch for each selected one; a repository-level
    /// failure is the repository's status.
    async fn plan_repository(
        &self,
        keyring: &Keyring,
        spec: &tagplane_api::image::RepositoryImportSpec,
        jobs: &mut Vec<Job>,
        index: &mut HashMap<FetchKey, usize>,
    ) -> RepositoryPlan {
        let name = &spec.from.name;
        let base = ImageReference::parse(name).map_err(|_| invalid_name(name))?;
        let insecure = spec.import_policy.insecure;
        let sources = self.sources.pull_sources(&base, insecure);
        let tags = first_success(&sources, |source| async move {
            let repo = Repository::for_reference(&source.reference, keyring)?
                .with_insecure(source.insecure);
            self.client.list_tags(&repo).await
        })
        .await
        .map_err(|e| e.to_k8s_status(&status_reference(&base)))?;
        let (selected, additional) = select_bulk_tags(&tags, self.bulk_limit);
        let mode = import_mode(&spec.import_policy);
        let planned = selected
            .into_iter()
            .map(|tag| {
                let mut reference = base.clone();
                reference.tag = tag;
                reference.id = String::new();
                let n = Self::plan(
                    jobs,
                    index,
                    reference.clone(),
                    mode,
                    insecure,
                    (None, None),
                    None,
                );
                (reference, n)
            })
            .collect();
        Ok((planned, additional))
    }
}

impl Importer for RegistryImporter {
    fn import<'a>(
        &'a self,
        request: &'a ImageStreamImport,
        stream: Option<&'a ImageStream>,
        credentials: &'a ImportCredentials,
    ) -> ImportFuture<'a> {
        Box::pin(async move { Ok(self.run(request, stream, credentials).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_requests_share_a_fetch() {
        let mut jobs = Vec::new();
        let mut index = HashMap::new();
        let r = |s: &str| ImageReference::parse(s).unwrap();
        let none = || (None, None);
        let a = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r("mysql:8"),
            ImportMode::Legacy,
            false,
            none(),
            None,
        );
        let b = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r("docker.io/library/mysql:8"),
            ImportMode::Legacy,
            false,
            none(),
            None,
        );
        assert_eq!(a, b);
        let c = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r("mysql:8"),
            ImportMode::PreserveOriginal,
            false,
            none(),
            None,
        );
        let d = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r("mysql:8"),
            ImportMode::Legacy,
            false,
            (Some("arm64".into()), None),
            None,
        );
        assert_ne!(a, c);
        assert_ne!(a, d);
        let digest = format!("quay.io/a/b@sha256:{}", "1".repeat(64));
        let e = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r(&digest),
            ImportMode::Legacy,
            false,
            (Some("arm64".into()), None),
            None,
        );
        let f = RegistryImporter::plan(
            &mut jobs,
            &mut index,
            r(&digest),
            ImportMode::Legacy,
            false,
            none(),
            None,
        );
        assert_eq!(e, f, "platform preferences do not matter for digests");
        assert_eq!(jobs.len(), 4);
    }

    /// Only a re-check of the source a tag already follows, with an image recorded, counts.
    #[test]
    fn recorded_digests_of_rechecks() {
        let d = format!("sha256:{}", "3".repeat(64));
        let stream: ImageStream = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s"},
            "spec": {"tags": [
                {"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/a/b:v1"}},
                {"name": "u", "from": {"kind": "DockerImage", "name": "quay.io/a/b:v2"}},
                {"name": "w", "from": {"kind": "ImageStreamTag", "name": "s:t"}}
            ]},
            "status": {"dockerImageRepository": "", "tags": [
                {"tag": "t", "items": [{"image": d, "dockerImageReference": "quay.io/a/b@x", "generation": 1, "created": null}]},
                {"tag": "u", "items": []},
                {"tag": "w", "items": [{"image": d, "dockerImageReference": "quay.io/a/b@x", "generation": 1, "created": null}]}
            ]}
        }))
        .unwrap();
        let spec = |from: &str, to: &str| -> ImageImportSpec {
            serde_json::from_value(serde_json::json!({
                "from": {"kind": "DockerImage", "name": from}, "to": {"name": to}
            }))
            .unwrap()
        };
        let s = Some(&stream);
        assert_eq!(
            recorded_digest(s, &spec("quay.io/a/b:v1", "t")),
            Some(d.clone())
        );
        assert_eq!(recorded_digest(s, &spec("quay.io/a/b:v9", "t")), None);
        assert_eq!(recorded_digest(s, &spec("quay.io/a/b:v2", "u")), None);
        assert_eq!(recorded_digest(s, &spec("s:t", "w")), None);
        assert_eq!(recorded_digest(s, &spec("quay.io/a/b:v1", "new")), None);
        assert_eq!(recorded_digest(None, &spec("quay.io/a/b:v1", "t")), None);
        let image = unchanged_image(&ImageReference::parse("quay.io/a/b:v1").unwrap(), &d);
        assert!(is_unchanged_recheck(&image));
        assert_eq!(image.metadata.name.as_deref(), Some(d.as_str()));
        assert_eq!(image.docker_image_reference, format!("quay.io/a/b@{d}"));
    }

    #[test]
    fn remote_tags() {
        let r = |s: &str| ImageReference::parse(s).unwrap();
        assert_eq!(remote_tag(&r("quay.io/a/b")), "latest");
        assert_eq!(remote_tag(&r("quay.io/a/b:v1")), "v1");
        let digest = format!("quay.io/a/b:v1@sha256:{}", "1".repeat(64));
        assert_eq!(remote_tag(&r(&digest)), "");
    }

    #[tokio::test]
    async fn unreachable_registry_fails_every_image_and_the_repository() {
        let importer = RegistryImporter::new(RegistryClient::new().unwrap(), DEFAULT_BULK_LIMIT);
        // Port 9 on loopback: nothing listens (connection refused).
        let isi: ImageStreamImport = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s"},
            "spec": {
                "import": true,
                "images": [
                    {"from": {"kind": "DockerImage", "name": "127.0.0.1:9/ns/app:v1"}, "importPolicy": {"insecure": true}},
                    {"from": {"kind": "DockerImage", "name": "127.0.0.1:9/ns/app:v1"}, "importPolicy": {"insecure": true}},
                    {"from": {"kind": "DockerImage", "name": "::not a ref::"}}
                ],
                "repository": {"from": {"kind": "DockerImage", "name": "127.0.0.1:9/ns/app"}, "importPolicy": {"insecure": true}}
            }
        }))
        .unwrap();
        let out = importer
            .import(&isi, None, &ImportCredentials::anonymous())
            .await
            .unwrap();
        assert_eq!(out.images.len(), 3);
        for st in &out.images {
            assert_eq!(st.status.status.as_deref(), Some("Failure"), "{st:?}");
            assert!(st.image.is_none());
        }
        assert_eq!(out.images[0], out.images[1]);
        assert_eq!(out.images[0].tag, "v1");
        assert_eq!(out.images[2].status.reason.as_deref(), Some("Invalid"));
        let repo = out.repository.unwrap();
        assert_eq!(repo.status.status.as_deref(), Some("Failure"));
        assert!(repo.images.is_empty());
    }
}

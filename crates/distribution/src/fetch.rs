//! Resolving an image reference to Image objects (spec §11.4): [`fetch_image`] for imports and
//! [`check_digest`] for cheap `HEAD`-only re-checks of a tag.
//!
//! A re-check of a tag uses `HEAD` and fetches the manifest and config only when the digest
//! changed: callers compare [`check_digest`] with [`FetchedImage::resolved_digest`] of the last
//! import and call [`fetch_image`] only on a difference.

use std::collections::HashSet;

use k8s_openapi::jiff::Timestamp;
use tagplane_api::image::{IMPORT_MODE_LEGACY, IMPORT_MODE_PRESERVE_ORIGINAL, Image};
use tagplane_api::reference::{ImageReference, parse_digest};
use tagplane_core::manifest::{
    Manifest, ManifestError, go_arch, go_os, image_from_manifest, is_manifest_list_type,
    parse_manifest, select_legacy_child,
};

use crate::client::{FetchedManifest, RegistryClient, Repository};
use crate::error::DistributionError;
use crate::keyring::Keyring;

/// How a manifest list is imported (`importPolicy.importMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ImportMode {
    /// Keep one child of a list, chosen by platform (the default; also the empty string).
    #[default]
    Legacy,
    /// Keep the list itself and every child.
    PreserveOriginal,
}

impl ImportMode {
    /// The mode named by an import policy (`""` and `Legacy` → Legacy); `None` if unknown.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | IMPORT_MODE_LEGACY => Some(ImportMode::Legacy),
            IMPORT_MODE_PRESERVE_ORIGINAL => Some(ImportMode::PreserveOriginal),
            _ => None,
        }
    }

    /// The wire name of the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Legacy => IMPORT_MODE_LEGACY,
            ImportMode::PreserveOriginal => IMPORT_MODE_PRESERVE_ORIGINAL,
        }
    }
}

/// What to fetch besides the reference itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// How to treat manifest lists.
    pub import_mode: ImportMode,
    /// Preferred architecture for Legacy list imports (`importer.image.openshift.io/prefer-arch`).
    pub prefer_arch: Option<String>,
    /// Preferred OS for Legacy list imports (`importer.image.openshift.io/prefer-os`).
    pub prefer_os: Option<String>,
    /// The server's own architecture in Go naming (`amd64`), the default preference.
    pub host_arch: String,
    /// The server's own OS in Go naming (`linux`), the default preference.
    pub host_os: String,
    /// Allow unverified TLS and plain HTTP (`importPolicy.insecure`, spec §11.2).
    pub insecure: bool,
    /// The time stamped on list Images (`dockerImageMetadata.Created`).
    pub now: Timestamp,
}

impl FetchOptions {
    /// Legacy mode, no preference, this machine's platform, secure, at `now`.
    pub fn new(now: Timestamp) -> Self {
        FetchOptions {
            import_mode: ImportMode::Legacy,
            prefer_arch: None,
            prefer_os: None,
            host_arch: go_arch(std::env::consts::ARCH).to_owned(),
            host_os: go_os(std::env::consts::OS).to_owned(),
            insecure: false,
            now,
        }
    }
}

/// The result of importing one reference.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedImage {
    /// The Image the tag or digest resolves to: the single image, the chosen child of a list
    /// (Legacy), or the list itself (PreserveOriginal). Its `dockerImageReference` is the
    /// reference as given with the image digest (`<repo>@<digest>`).
    pub image: Image,
    /// PreserveOriginal only: every child of the list, in list order, each named
    /// `<repo>@<child digest>`.
    pub manifests: Vec<Image>,
    /// The digest of the manifest the reference points at (for a list in Legacy mode, the
    /// list's digest, not the child's): what [`check_digest`] returns while nothing changed.
    pub resolved_digest: String,
    /// The media type of that manifest.
    pub resolved_media_type: String,
}

/// The tag or digest to request for a defaulted reference.
fn manifest_reference(reference: &ImageReference) -> Result<String, DistributionError> {
    let defaulted = reference.docker_client_defaults();
    if defaulted.id.is_empty() {
        return Ok(defaulted.tag);
    }
    if parse_digest(&defaulted.id).is_err() {
        return Err(DistributionError::InvalidReference {
            reference: reference.exact(),
            reason: "the image ID is not a valid digest".to_owned(),
        });
    }
    Ok(defaulted.id)
}

/// `dockerImageReference` of an imported image: the reference in the user's spelling with the
/// digest replacing tag and ID (spec §10.5: `mysql:8` → `mysql@sha256:…`).
pub fn pull_spec(reference: &ImageReference, digest: &str) -> String {
    let mut r = reference.clone();
    r.id = digest.to_owned();
    r.most_specific().exact()
}

/// Import `reference` (spec §11.4): fetch its manifest (by tag or by digest, verified), and for
/// a single image its config; for a manifest list in Legacy mode one child chosen by
/// (prefer-arch, prefer-os) → host platform → `linux/amd64` → first; in PreserveOriginal mode the
/// list Image plus every child fetched by digest. The credential is the keyring's first match.
pub async fn fetch_image(
    client: &RegistryClient,
    keyring: &Keyring,
    reference: &ImageReference,
    options: &FetchOptions,
) -> Result<FetchedImage, DistributionError> {
    let repo = Repository::for_reference(reference, keyring)?.with_insecure(options.insecure);
    let wanted = manifest_reference(reference)?;
    let by_digest = parse_digest(&wanted).is_ok();
    let top = client.get_manifest(&repo, &wanted).await?;
    let resolved_digest = top.digest.clone();
    let resolved_media_type = top.media_type.clone();

    if !is_manifest_list_type(&top.media_type) {
        let image = single_image(client, &repo, reference, &top, by_digest, options.now).await?;
        return Ok(FetchedImage {
            image,
            manifests: Vec::new(),
            resolved_digest,
            resolved_media_type,
        });
    }

    let Manifest::List(list) = parse_manifest(&top.bytes, &top.media_type)? else {
        return Err(ManifestError::UnsupportedMediaType(top.media_type.clone()).into());
    };
    match options.import_mode {
        ImportMode::Legacy => {
            let child = select_legacy_child(
                &list.manifests,
                options.prefer_arch.as_deref(),
                options.prefer_os.as_deref(),
                &options.host_arch,
                &options.host_os,
            )
            .ok_or(DistributionError::EmptyManifestList)?;
            let image = child_image(client, &repo, reference, &child.digest, options.now).await?;
            Ok(FetchedImage {
                image,
                manifests: Vec::new(),
                resolved_digest,
                resolved_media_type,
            })
        }
        ImportMode::PreserveOriginal => {
            let image = image_from_manifest(
                by_digest.then_some(top.digest.as_str()),
                &top.bytes,
                &top.media_type,
                None,
                &pull_spec(reference, &top.digest),
                options.now,
            )?;
            let mut manifests = Vec::with_capacity(list.manifests.len());
            let mut seen = HashSet::new();
            for entry in &list.manifests {
                if !seen.insert(entry.digest.as_str()) {
                    continue;
                }
                manifests
                    .push(child_image(client, &repo, reference, &entry.digest, options.now).await?);
            }
            Ok(FetchedImage {
                image,
                manifests,
                resolved_digest,
                resolved_media_type,
            })
        }
    }
}

/// A list child fetched by digest; nested lists are not supported.
async fn child_image(
    client: &RegistryClient,
    repo: &Repository,
    reference: &ImageReference,
    digest: &str,
    now: Timestamp,
) -> Result<Image, DistributionError> {
    let m = client.get_manifest(repo, digest).await?;
    if is_manifest_list_type(&m.media_type) {
        return Err(ManifestError::UnsupportedMediaType(m.media_type).into());
    }
    single_image(client, repo, reference, &m, true, now).await
}

/// The Image of a single-image manifest: config fetched for schema 2 / OCI, layer sizes from
/// blob `HEAD`s when the manifest gives none (schema 1).
async fn single_image(
    client: &RegistryClient,
    repo: &Repository,
    reference: &ImageReference,
    m: &FetchedManifest,
    verify: bool,
    now: Timestamp,
) -> Result<Image, DistributionError> {
    let manifest = parse_manifest(&m.bytes, &m.media_type)?;
    let config = match &manifest {
        Manifest::Schema2(s) => Some(client.get_blob(repo, &s.config.digest).await?),
        Manifest::Schema1(_) => None,
        Manifest::List(_) => {
            return Err(ManifestError::UnsupportedMediaType(m.media_type.clone()).into());
        }
    };
    let mut image = image_from_manifest(
        verify.then_some(m.digest.as_str()),
        &m.bytes,
        &m.media_type,
        config.as_deref(),
        &pull_spec(reference, &m.digest),
        now,
    )?;
    if image
        .docker_image_metadata
        .as_ref()
        .is_some_and(|md| md.size == 0)
    {
        fill_layer_sizes(client, repo, &mut image).await?;
    }
    Ok(image)
}

/// OpenShift's `calculateImageSize`: each distinct layer's size from a blob `HEAD`, plus the
/// config length when the config blob is not also a layer.
async fn fill_layer_sizes(
    client: &RegistryClient,
    repo: &Repository,
    image: &mut Image,
) -> Result<(), DistributionError> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut total: i64 = 0;
    for layer in &mut image.docker_image_layers {
        if !seen.insert(layer.name.clone()) {
            continue;
        }
        let size = client.blob_size(repo, &layer.name).await?.ok_or_else(|| {
            DistributionError::NotFound {
                detail: format!("blob unknown: {}", layer.name),
            }
        })?;
        layer.size = i64::try_from(size).unwrap_or(i64::MAX);
        total = total.saturating_add(layer.size);
    }
    if let Some(md) = image.docker_image_metadata.as_mut() {
        if !image.docker_image_config.is_empty() && !seen.contains(&md.id) {
            total =
                total.saturating_add(i64::try_from(image.docker_image_config.len()).unwrap_or(0));
        }
        md.size = total;
    }
    Ok(())
}

/// The digest `reference` currently resolves to, from a single `HEAD` (a `GET` only when the
/// registry sends no digest header); `None` when the tag or digest does not exist.
pub async fn check_digest(
    client: &RegistryClient,
    keyring: &Keyring,
    reference: &ImageReference,
    insecure: bool,
) -> Result<Option<String>, DistributionError> {
    let repo = Repository::for_reference(reference, keyring)?.with_insecure(insecure);
    let wanted = manifest_reference(reference)?;
    Ok(client
        .head_manifest(&repo, &wanted)
        .await?
        .map(|head| head.digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server holds these futures in `Send` boxes and the client in `Arc`s.
    #[test]
    fn futures_and_client_are_send() {
        fn is_send<T: Send>(_: &T) {}
        fn is_send_sync<T: Send + Sync + Clone>() {}
        is_send_sync::<RegistryClient>();
        is_send_sync::<Keyring>();
        let client = RegistryClient::new().unwrap();
        let keyring = Keyring::new();
        let r = ImageReference::parse("quay.io/a/b:c").unwrap();
        let options = FetchOptions::new(Timestamp::UNIX_EPOCH);
        is_send(&fetch_image(&client, &keyring, &r, &options));
        is_send(&check_digest(&client, &keyring, &r, false));
        let repo = Repository::new("quay.io", "a/b");
        is_send(&client.list_tags(&repo));
        is_send(&client.ping("quay.io", false));
    }

    #[test]
    fn import_modes() {
        assert_eq!(ImportMode::parse(""), Some(ImportMode::Legacy));
        assert_eq!(ImportMode::parse("Legacy"), Some(ImportMode::Legacy));
        assert_eq!(
            ImportMode::parse("PreserveOriginal"),
            Some(ImportMode::PreserveOriginal)
        );
        assert_eq!(ImportMode::parse("legacy"), None);
        assert_eq!(ImportMode::PreserveOriginal.as_str(), "PreserveOriginal");
    }

    /// §10.5: the image reference keeps the user's spelling, digest replacing the tag.
    #[test]
    fn s10_5_pull_spec_spelling() {
        let d = format!("sha256:{}", "1".repeat(64));
        let cases = [
            ("mysql:8", format!("mysql@{d}")),
            ("busybox", format!("busybox@{d}")),
            (
                "127.0.0.1:5000/ns/app:v1",
                format!("127.0.0.1:5000/ns/app@{d}"),
            ),
            (
                "quay.io/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                format!("quay.io/a/b@{d}"),
            ),
        ];
        for (input, want) in cases {
            let r = ImageReference::parse(input).unwrap();
            assert_eq!(pull_spec(&r, &d), want, "{input}");
        }
    }

    #[test]
    fn manifest_reference_defaults_to_latest() {
        let r = ImageReference::parse("quay.io/a/b").unwrap();
        assert_eq!(manifest_reference(&r).unwrap(), "latest");
        let d = format!("sha256:{}", "2".repeat(64));
        let r = ImageReference::parse(&format!("quay.io/a/b:v1@{d}")).unwrap();
        assert_eq!(manifest_reference(&r).unwrap(), d);
    }
}

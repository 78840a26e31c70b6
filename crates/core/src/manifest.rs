//! Container image manifests as pure functions: media types, digests, parsing, Image metadata
//! (spec §9.1), Legacy manifest-list child selection (spec §11.4) and layers-index entries (§12.1).
//!
//! Everything here works on bytes and values that the caller already holds: nothing is fetched.
//! The importer fetches a manifest (and, for schema 2 / OCI, its config blob), hands both to
//! [`image_from_manifest`], and gets back an [`Image`] whose metadata, layers and size are filled
//! the way OpenShift's API server fills them. The Image create/update paths call
//! [`image_with_metadata`] and [`strip_manifest_if_stored`] directly.

use std::collections::{BTreeMap, HashSet};

use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tagplane_api::image::{
    ANNOTATION_LAYERS_ORDER, ANNOTATION_MANIFEST_BLOB_STORED, DockerConfig, DockerImageMetadata,
    EmptyObject, Image, ImageBlobReferences, ImageLayer, ImageLayerData, ImageManifest,
};
use tagplane_api::meta::Time;

/// Docker image manifest schema 1, unsigned.
pub const MEDIA_TYPE_DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
/// Docker image manifest schema 1, signed with a JWS `signatures` block.
pub const MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// Docker image manifest schema 2.
pub const MEDIA_TYPE_DOCKER_SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-platform image).
pub const MEDIA_TYPE_DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const MEDIA_TYPE_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (treated as a manifest list, spec §11.4).
pub const MEDIA_TYPE_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Layer media type recorded for every schema 1 layer (spec §9.1).
pub const MEDIA_TYPE_DOCKER_SCHEMA1_LAYER: &str =
    "application/vnd.docker.container.image.rootfs.diff+x-gtar";
/// Docker schema 2 gzip-compressed layer.
pub const MEDIA_TYPE_DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// Docker schema 2 foreign (non-distributable) layer.
pub const MEDIA_TYPE_DOCKER_FOREIGN_LAYER: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
/// Docker schema 2 image config blob.
pub const MEDIA_TYPE_DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// OCI uncompressed layer.
pub const MEDIA_TYPE_OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI gzip-compressed layer.
pub const MEDIA_TYPE_OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// OCI zstd-compressed layer.
pub const MEDIA_TYPE_OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
/// OCI image config blob.
pub const MEDIA_TYPE_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// Every manifest media type the importer accepts, for the `Accept` header (spec §11.4).
pub const ACCEPTED_MANIFEST_MEDIA_TYPES: [&str; 6] = [
    MEDIA_TYPE_DOCKER_SCHEMA2,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_OCI_MANIFEST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
    MEDIA_TYPE_DOCKER_SCHEMA1,
];

/// Value of `image.openshift.io/dockerLayersOrder` for base-layer-first order (spec §9.1).
pub const LAYERS_ORDER_ASCENDING: &str = "ascending";
/// Value of `image.openshift.io/dockerLayersOrder` for newest-layer-first order (spec §9.1).
pub const LAYERS_ORDER_DESCENDING: &str = "descending";
/// `dockerImageMetadataVersion` written on every image (spec §2.2).
pub const DOCKER_IMAGE_METADATA_VERSION: &str = "1.0";

/// Why a manifest or config could not be turned into image metadata.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The media type names no manifest format the importer understands.
    #[error("unsupported image manifest type: {0}")]
    UnsupportedMediaType(String),
    /// The manifest bytes are not JSON of the shape its media type requires.
    #[error("unable to parse {media_type} manifest: {message}")]
    InvalidManifest {
        /// Media type the manifest was parsed as.
        media_type: String,
        /// What was wrong.
        message: String,
    },
    /// `schemaVersion` does not fit the media type.
    #[error("unexpected schemaVersion {found} for manifest type {media_type}, expected {expected}")]
    SchemaVersion {
        /// Media type the manifest was parsed as.
        media_type: String,
        /// The schema version that type requires.
        expected: i64,
        /// The schema version found in the manifest (0 when absent).
        found: i64,
    },
    /// The manifest's own `mediaType` field contradicts the media type it was parsed as.
    #[error("mediaType in manifest should be '{expected}' not '{found}'")]
    MediaTypeMismatch {
        /// Media type the manifest was parsed as.
        expected: String,
        /// The `mediaType` field of the manifest.
        found: String,
    },
    /// A schema 1 manifest without `history` entries.
    #[error("image has no v1Compatibility history and cannot be used")]
    EmptyHistory,
    /// A schema 1 manifest whose `history` and `fsLayers` lists differ in length.
    #[error("mismatched history and fslayer cardinality ({history} != {fs_layers})")]
    LayerCountMismatch {
        /// Number of `history` entries.
        history: usize,
        /// Number of `fsLayers` entries.
        fs_layers: usize,
    },
    /// The JWS `signatures` block of a schema 1 manifest cannot yield a canonical payload.
    #[error("invalid schema 1 manifest signature: {0}")]
    InvalidSignature(String),
    /// The `v1Compatibility` JSON of a schema 1 manifest cannot be parsed.
    #[error("unable to parse v1Compatibility: {0}")]
    InvalidV1Compatibility(String),
    /// A schema 2 / OCI image without its config blob (spec §9.1).
    #[error("dockerImageConfig must not be empty for manifest type \"{0}\"")]
    MissingConfig(String),
    /// The config blob is not a valid image config.
    #[error("failed to parse dockerImageConfig: {0}")]
    InvalidConfig(String),
    /// The content does not hash to the digest it was requested by (spec §11.4).
    #[error(
        "content integrity error: the manifest retrieved (media type: {media_type}) with digest \
         {expected} does not match the digest calculated from the content {actual}"
    )]
    DigestMismatch {
        /// Media type of the manifest.
        media_type: String,
        /// Digest the manifest was requested by.
        expected: String,
        /// Digest of the content.
        actual: String,
    },
}

/// `sha256:<64 lower-case hex digits>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in sum.iter() {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 0x0f)]);
    }
    out
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// Whether `media_type` is a Docker manifest list or an OCI index.
pub fn is_manifest_list_type(media_type: &str) -> bool {
    media_type == MEDIA_TYPE_DOCKER_MANIFEST_LIST || media_type == MEDIA_TYPE_OCI_INDEX
}

/// Whether `media_type` is Docker schema 1 (signed or not).
pub fn is_schema1_type(media_type: &str) -> bool {
    media_type == MEDIA_TYPE_DOCKER_SCHEMA1 || media_type == MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED
}

/// Whether `media_type` is a single-image manifest with a config blob (Docker schema 2 or OCI).
pub fn is_schema2_type(media_type: &str) -> bool {
    media_type == MEDIA_TYPE_DOCKER_SCHEMA2 || media_type == MEDIA_TYPE_OCI_MANIFEST
}

/// The bare media type of a `Content-Type` value: parameters and surrounding blanks removed.
fn bare_media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// The top-level facts of a JSON manifest that decide its format.
#[derive(Debug, Default)]
struct Probe {
    media_type: String,
    schema_version: Option<i64>,
    has_manifests: bool,
    has_layers: bool,
    has_config: bool,
    has_signatures: bool,
}

fn probe(bytes: &[u8]) -> Option<Probe> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let present = |key: &str| obj.get(key).is_some_and(|v| !v.is_null());
    Some(Probe {
        media_type: obj
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        schema_version: obj.get("schemaVersion").and_then(Value::as_i64),
        has_manifests: present("manifests"),
        has_layers: present("layers"),
        has_config: present("config"),
        has_signatures: obj
            .get("signatures")
            .and_then(Value::as_array)
            .is_some_and(|sigs| !sigs.is_empty()),
    })
}

/// The media type of a fetched manifest (spec §11.4).
///
/// A `Content-Type` header naming one of [`ACCEPTED_MANIFEST_MEDIA_TYPES`] wins (parameters are
/// ignored). Otherwise the manifest's own `mediaType` field is used; then `schemaVersion: 1`
/// means schema 1 (signed when it carries `signatures`); then a `manifests` array means an OCI
/// index and `layers`/`config` an OCI manifest. When nothing fits, the bare header value (or
/// `""`) is returned, which [`parse_manifest`] treats as legacy schema 1 or rejects.
pub fn detect_media_type(bytes: &[u8], content_type_header: Option<&str>) -> String {
    let header = content_type_header.map(bare_media_type).unwrap_or("");
    if ACCEPTED_MANIFEST_MEDIA_TYPES.contains(&header) {
        return header.to_owned();
    }
    let Some(p) = probe(bytes) else {
        return header.to_owned();
    };
    if !p.media_type.is_empty() {
        return p.media_type;
    }
    if p.schema_version == Some(1) {
        return if p.has_signatures {
            MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED.to_owned()
        } else {
            MEDIA_TYPE_DOCKER_SCHEMA1.to_owned()
        };
    }
    if p.has_manifests {
        return MEDIA_TYPE_OCI_INDEX.to_owned();
    }
    if p.has_layers || p.has_config {
        return MEDIA_TYPE_OCI_MANIFEST.to_owned();
    }
    header.to_owned()
}

/// A parsed manifest of any accepted format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// Docker schema 1 (signed or unsigned).
    Schema1(Schema1Manifest),
    /// Docker schema 2 or OCI image manifest: a config blob plus layers.
    Schema2(Schema2Manifest),
    /// Docker manifest list or OCI index: one entry per platform.
    List(ManifestList),
}

impl Manifest {
    /// The media type the manifest was parsed as.
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Schema1(m) => &m.media_type,
            Manifest::Schema2(m) => &m.media_type,
            Manifest::List(m) => &m.media_type,
        }
    }

    /// The digest naming this manifest: the canonical (signature-less) payload's for schema 1,
    /// the digest of `raw` (the bytes it was parsed from) otherwise.
    pub fn digest(&self, raw: &[u8]) -> String {
        match self {
            Manifest::Schema1(m) => m.digest(),
            _ => sha256_digest(raw),
        }
    }
}

/// A Docker schema 1 manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema1Manifest {
    /// Schema 1 media type it was parsed as (signed or unsigned).
    pub media_type: String,
    /// Repository name recorded in the manifest.
    pub name: String,
    /// Tag recorded in the manifest.
    pub tag: String,
    /// Architecture recorded in the manifest.
    pub architecture: String,
    /// `fsLayers[].blobSum`, newest layer first.
    pub fs_layers: Vec<String>,
    /// `history[].v1Compatibility` JSON strings, newest first (same order as `fs_layers`).
    pub history: Vec<String>,
    /// Whether the manifest carried a non-empty `signatures` block.
    pub signed: bool,
    /// The canonical payload: the manifest with its JWS signatures removed.
    pub canonical: Vec<u8>,
}

impl Schema1Manifest {
    /// The digest of the canonical payload, which names the image (spec §11.4).
    pub fn digest(&self) -> String {
        sha256_digest(&self.canonical)
    }
}

/// A content descriptor: media type, digest and size of a blob or manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: String,
    /// Size of the referenced content in bytes.
    pub size: i64,
}

/// A Docker schema 2 or OCI image manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema2Manifest {
    /// [`MEDIA_TYPE_DOCKER_SCHEMA2`] or [`MEDIA_TYPE_OCI_MANIFEST`].
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// Layers, base layer first.
    pub layers: Vec<Descriptor>,
}

/// A Docker manifest list or OCI index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestList {
    /// [`MEDIA_TYPE_DOCKER_MANIFEST_LIST`] or [`MEDIA_TYPE_OCI_INDEX`].
    pub media_type: String,
    /// The child manifests, in manifest order.
    pub manifests: Vec<ListEntry>,
}

/// One child manifest of a manifest list or index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListEntry {
    /// Media type of the child manifest.
    pub media_type: String,
    /// Digest of the child manifest.
    pub digest: String,
    /// Size of the child manifest in bytes.
    pub size: i64,
    /// Platform the child is built for (empty fields when the entry has no platform).
    pub platform: Platform,
}

/// The platform of a manifest-list entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Platform {
    /// Go-style CPU architecture (`amd64`, `arm64`, `arm`, ...).
    pub architecture: String,
    /// Go-style operating system (`linux`, `windows`, ...).
    pub os: String,
    /// CPU variant (`v7`, `v8`, ...).
    pub variant: String,
    /// OS version (Windows images).
    pub os_version: String,
}

impl ListEntry {
    /// This entry as an Image's `dockerImageManifests` item (spec §2.2).
    pub fn to_image_manifest(&self) -> ImageManifest {
        ImageManifest {
            digest: self.digest.clone(),
            media_type: self.media_type.clone(),
            manifest_size: self.size,
            architecture: self.platform.architecture.clone(),
            os: self.platform.os.clone(),
            variant: self.platform.variant.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawDescriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    platform: Option<RawPlatform>,
}

impl RawDescriptor {
    fn into_descriptor(self) -> Descriptor {
        Descriptor {
            media_type: self.media_type.unwrap_or_default(),
            digest: self.digest.unwrap_or_default(),
            size: self.size.unwrap_or_default(),
        }
    }

    fn into_list_entry(self) -> ListEntry {
        let platform = self.platform.unwrap_or_default();
        ListEntry {
            media_type: self.media_type.unwrap_or_default(),
            digest: self.digest.unwrap_or_default(),
            size: self.size.unwrap_or_default(),
            platform: Platform {
                architecture: platform.architecture.unwrap_or_default(),
                os: platform.os.unwrap_or_default(),
                variant: platform.variant.unwrap_or_default(),
                os_version: platform.os_version.unwrap_or_default(),
            },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RawPlatform {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(rename = "os.version", default)]
    os_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawManifest {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<i64>,
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(rename = "fsLayers", default)]
    fs_layers: Option<Vec<RawFsLayer>>,
    #[serde(default)]
    history: Option<Vec<RawHistory>>,
    #[serde(default)]
    signatures: Option<Vec<RawSignature>>,
}

#[derive(Debug, Default, Deserialize)]
struct RawFsLayer {
    #[serde(rename = "blobSum", default)]
    blob_sum: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawHistory {
    #[serde(rename = "v1Compatibility", default)]
    v1_compatibility: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawSignature {
    #[serde(default)]
    protected: Option<String>,
}

/// The libtrust "protected" header of a pretty-printed JWS: where the signatures were spliced in.
#[derive(Debug, Deserialize)]
struct ProtectedHeader {
    #[serde(rename = "formatLength")]
    format_length: i64,
    #[serde(rename = "formatTail")]
    format_tail: String,
}

/// Parse `bytes` as a manifest of `media_type` (parameters ignored; `""` and `application/json`
/// are legacy names of signed schema 1, as in Docker distribution).
///
/// Schema 1 must have a non-empty `history` of the same length as `fsLayers`; its canonical
/// payload is recovered from the JWS `signatures` block. Every other type needs
/// `schemaVersion: 2`, and a non-empty `mediaType` field in the manifest must equal the type.
pub fn parse_manifest(bytes: &[u8], media_type: &str) -> Result<Manifest, ManifestError> {
    let media_type = bare_media_type(media_type);
    let schema1 =
        is_schema1_type(media_type) || media_type.is_empty() || media_type == "application/json";
    if !schema1 && !is_schema2_type(media_type) && !is_manifest_list_type(media_type) {
        return Err(ManifestError::UnsupportedMediaType(media_type.to_owned()));
    }
    let invalid = |message: String| ManifestError::InvalidManifest {
        media_type: media_type.to_owned(),
        message,
    };
    let raw: RawManifest = serde_json::from_slice(bytes).map_err(|err| invalid(err.to_string()))?;
    let expected_version = if schema1 { 1 } else { 2 };
    let found_version = raw.schema_version.unwrap_or(0);
    if found_version != expected_version {
        return Err(ManifestError::SchemaVersion {
            media_type: media_type.to_owned(),
            expected: expected_version,
            found: found_version,
        });
    }

    if schema1 {
        return parse_schema1(bytes, media_type, raw);
    }

    let own_type = raw.media_type.clone().unwrap_or_default();
    if !own_type.is_empty() && own_type != media_type {
        return Err(ManifestError::MediaTypeMismatch {
            expected: media_type.to_owned(),
            found: own_type,
        });
    }
    if is_manifest_list_type(media_type) {
        let manifests = raw.manifests.unwrap_or_default();
        return Ok(Manifest::List(ManifestList {
            media_type: media_type.to_owned(),
            manifests: manifests
                .into_iter()
                .map(RawDescriptor::into_list_entry)
                .collect(),
        }));
    }
    let config = raw
        .config
        .ok_or_else(|| invalid("missing config descriptor".to_owned()))?;
    Ok(Manifest::Schema2(Schema2Manifest {
        media_type: media_type.to_owned(),
        config: config.into_descriptor(),
        layers: raw
            .layers
            .unwrap_or_default()
            .into_iter()
            .map(RawDescriptor::into_descriptor)
            .collect(),
    }))
}

fn parse_schema1(
    bytes: &[u8],
    media_type: &str,
    raw: RawManifest,
) -> Result<Manifest, ManifestError> {
    let history: Vec<String> = raw
        .history
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.v1_compatibility.unwrap_or_default())
        .collect();
    let fs_layers: Vec<String> = raw
        .fs_layers
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.blob_sum.unwrap_or_default())
        .collect();
    if history.is_empty() {
        return Err(ManifestError::EmptyHistory);
    }
    if history.len() != fs_layers.len() {
        return Err(ManifestError::LayerCountMismatch {
            history: history.len(),
            fs_layers: fs_layers.len(),
        });
    }
    let signatures = raw.signatures.unwrap_or_default();
    let signed = !signatures.is_empty();
    let canonical = if signed {
        canonical_payload(bytes, &signatures)?
    } else {
        bytes.to_vec()
    };
    let media_type = if is_schema1_type(media_type) {
        media_type.to_owned()
    } else if signed {
        MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED.to_owned()
    } else {
        MEDIA_TYPE_DOCKER_SCHEMA1.to_owned()
    };
    Ok(Manifest::Schema1(Schema1Manifest {
        media_type,
        name: raw.name.unwrap_or_default(),
        tag: raw.tag.unwrap_or_default(),
        architecture: raw.architecture.unwrap_or_default(),
        fs_layers,
        history,
        signed,
        canonical,
    }))
}

/// The payload a libtrust pretty JWS signed: the bytes before the spliced-in signatures
/// (`formatLength`) followed by the original tail (`formatTail`, base64url). Every signature
/// must agree on both.
fn canonical_payload(bytes: &[u8], signatures: &[RawSignature]) -> Result<Vec<u8>, ManifestError> {
    let bad = |msg: &str| ManifestError::InvalidSignature(msg.to_owned());
    let mut format: Option<(usize, Vec<u8>)> = None;
    for sig in signatures {
        let protected = sig.protected.as_deref().unwrap_or("");
        if protected.is_empty() {
            return Err(bad("missing protected header"));
        }
        let header_json =
            base64url_decode(protected).ok_or_else(|| bad("protected header is not base64url"))?;
        let header: ProtectedHeader = serde_json::from_slice(&header_json)
            .map_err(|err| ManifestError::InvalidSignature(format!("protected header: {err}")))?;
        let length = usize::try_from(header.format_length)
            .map_err(|_| bad("negative formatLength in protected header"))?;
        let tail = base64url_decode(&header.format_tail)
            .ok_or_else(|| bad("formatTail is not base64url"))?;
        match &format {
            None => format = Some((length, tail)),
            Some((l, t)) if *l == length && *t == tail => {}
            Some(_) => return Err(bad("signatures disagree on the payload format")),
        }
    }
    let (length, tail) = format.ok_or_else(|| bad("missing signatures"))?;
    if length > bytes.len() {
        return Err(bad("formatLength exceeds the manifest length"));
    }
    let mut payload = Vec::with_capacity(length + tail.len());
    payload.extend_from_slice(&bytes[..length]);
    payload.extend_from_slice(&tail);
    Ok(payload)
}

/// Decode unpadded (or `=`-padded) base64url; `None` on any invalid character or length.
fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    if trimmed.len() % 4 == 1 || input.len() - trimmed.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// Docker image config (schema 2 / OCI config blob, or a schema 1 `v1Compatibility` entry).
#[derive(Debug, Default, Deserialize)]
struct RawImageConfig {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    container: Option<String>,
    #[serde(default)]
    container_config: Option<RawDockerConfig>,
    #[serde(default)]
    docker_version: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    config: Option<RawDockerConfig>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default, alias = "Size")]
    size: Option<i64>,
}

/// A Docker container config as written in image configs: any field may be `null`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawDockerConfig {
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    domainname: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    memory: Option<i64>,
    #[serde(default)]
    memory_swap: Option<i64>,
    #[serde(default)]
    cpu_shares: Option<i64>,
    #[serde(default)]
    cpuset: Option<String>,
    #[serde(default)]
    attach_stdin: Option<bool>,
    #[serde(default)]
    attach_stdout: Option<bool>,
    #[serde(default)]
    attach_stderr: Option<bool>,
    #[serde(default)]
    port_specs: Option<Vec<String>>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    tty: Option<bool>,
    #[serde(default)]
    open_stdin: Option<bool>,
    #[serde(default)]
    stdin_once: Option<bool>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    dns: Option<Vec<String>>,
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    volumes: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    volumes_from: Option<String>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    network_disabled: Option<bool>,
    #[serde(default)]
    security_opts: Option<Vec<String>>,
    #[serde(default)]
    on_build: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, Option<String>>>,
}

impl RawDockerConfig {
    fn into_docker_config(self) -> DockerConfig {
        let set = |m: Option<BTreeMap<String, Value>>| -> BTreeMap<String, EmptyObject> {
            m.unwrap_or_default()
                .into_keys()
                .map(|k| (k, EmptyObject {}))
                .collect()
        };
        DockerConfig {
            hostname: self.hostname.unwrap_or_default(),
            domainname: self.domainname.unwrap_or_default(),
            user: self.user.unwrap_or_default(),
            memory: self.memory.unwrap_or_default(),
            memory_swap: self.memory_swap.unwrap_or_default(),
            cpu_shares: self.cpu_shares.unwrap_or_default(),
            cpuset: self.cpuset.unwrap_or_default(),
            attach_stdin: self.attach_stdin.unwrap_or_default(),
            attach_stdout: self.attach_stdout.unwrap_or_default(),
            attach_stderr: self.attach_stderr.unwrap_or_default(),
            port_specs: self.port_specs.unwrap_or_default(),
            exposed_ports: set(self.exposed_ports),
            tty: self.tty.unwrap_or_default(),
            open_stdin: self.open_stdin.unwrap_or_default(),
            stdin_once: self.stdin_once.unwrap_or_default(),
            env: self.env.unwrap_or_default(),
            cmd: self.cmd.unwrap_or_default(),
            dns: self.dns.unwrap_or_default(),
            image: self.image.unwrap_or_default(),
            volumes: set(self.volumes),
            volumes_from: self.volumes_from.unwrap_or_default(),
            working_dir: self.working_dir.unwrap_or_default(),
            entrypoint: self.entrypoint.unwrap_or_default(),
            network_disabled: self.network_disabled.unwrap_or_default(),
            security_opts: self.security_opts.unwrap_or_default(),
            on_build: self.on_build.unwrap_or_default(),
            labels: self
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
        }
    }
}

/// Go's zero `time.Time`, which the API writes as `null`.
const GO_ZERO_TIME: Timestamp = Timestamp::constant(-62_135_596_800, 0);

impl RawImageConfig {
    /// The `dockerImageMetadata` this config describes (Go `Convert_*_to_image_DockerImage`).
    fn into_metadata(self) -> Result<DockerImageMetadata, String> {
        let created = match self.created.as_deref() {
            None => None,
            Some(s) => {
                let ts: Timestamp = s
                    .parse()
                    .map_err(|err| format!("invalid created time {s:?}: {err}"))?;
                (ts != GO_ZERO_TIME).then_some(Time(ts))
            }
        };
        Ok(DockerImageMetadata {
            id: self.id.unwrap_or_default(),
            parent: self.parent.unwrap_or_default(),
            comment: self.comment.unwrap_or_default(),
            created,
            container: self.container.unwrap_or_default(),
            container_config: self
                .container_config
                .unwrap_or_default()
                .into_docker_config(),
            docker_version: self.docker_version.unwrap_or_default(),
            author: self.author.unwrap_or_default(),
            config: self.config.map(RawDockerConfig::into_docker_config),
            architecture: self.architecture.unwrap_or_default(),
            size: self.size.unwrap_or_default(),
            ..DockerImageMetadata::default()
        })
    }
}

/// The format an Image's stored manifest is treated as: the manifest's own `mediaType`, then
/// schema 1 by `schemaVersion`, then the Image's recorded media type, then an OCI index when the
/// manifest lists `manifests`, else Docker schema 2 (spec §9.1 "default docker v2").
fn stored_manifest_type(bytes: &[u8], recorded: &str) -> Result<String, ManifestError> {
    let p = probe(bytes).ok_or_else(|| ManifestError::InvalidManifest {
        media_type: recorded.to_owned(),
        message: "dockerImageManifest is not a JSON object".to_owned(),
    })?;
    Ok(if !p.media_type.is_empty() {
        p.media_type
    } else if p.schema_version == Some(1) {
        if is_schema1_type(recorded) {
            recorded.to_owned()
        } else {
            MEDIA_TYPE_DOCKER_SCHEMA1.to_owned()
        }
    } else if !recorded.is_empty() {
        recorded.to_owned()
    } else if p.has_manifests {
        MEDIA_TYPE_OCI_INDEX.to_owned()
    } else {
        MEDIA_TYPE_DOCKER_SCHEMA2.to_owned()
    })
}

/// Put stored layers base-first (spec §9.1). Without the order annotation, schema 1 images are
/// taken as already ascending and schema 2 / OCI images as descending (a historical storage
/// quirk); other media types are left alone. Afterwards the annotation says `ascending`.
fn reorder_image_layers(image: &mut Image) {
    if image.docker_image_layers.is_empty() {
        return;
    }
    let annotations = image.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let order = match annotations.get(ANNOTATION_LAYERS_ORDER) {
        Some(order) => order.clone(),
        None => {
            let media_type = image.docker_image_manifest_media_type.as_str();
            if is_schema1_type(media_type) {
                LAYERS_ORDER_ASCENDING.to_owned()
            } else if is_schema2_type(media_type) {
                LAYERS_ORDER_DESCENDING.to_owned()
            } else {
                if annotations.is_empty() {
                    image.metadata.annotations = None;
                }
                return;
            }
        }
    };
    if order == LAYERS_ORDER_DESCENDING {
        image.docker_image_layers.reverse();
    }
    annotations.insert(
        ANNOTATION_LAYERS_ORDER.to_owned(),
        LAYERS_ORDER_ASCENDING.to_owned(),
    );
}

fn set_layers_ascending(image: &mut Image) {
    image
        .metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(
            ANNOTATION_LAYERS_ORDER.to_owned(),
            LAYERS_ORDER_ASCENDING.to_owned(),
        );
}

/// Fill an Image's metadata, layers and size from its stored `dockerImageManifest` (and
/// `dockerImageConfig` for schema 2 / OCI), as the API server does on Image create (spec §9.1).
///
/// - No stored manifest: nothing happens.
/// - Stored layers are first put base-first (see the order annotation rules in §9.1).
/// - Already filled (layers present, `Size > 0`, media type recorded): nothing more happens.
/// - Manifest list / OCI index: `Id := metadata.name`, `Created := now`, `dockerImageManifests`
///   from the list entries, media type recorded if missing; no layers.
/// - Schema 1: media type forced to [`MEDIA_TYPE_DOCKER_SCHEMA1`], metadata from
///   `history[0].v1Compatibility`, layers (if not already stored) from `fsLayers` reversed with
///   [`MEDIA_TYPE_DOCKER_SCHEMA1_LAYER`], `Size` = sum of unique layer sizes.
/// - Schema 2 / OCI: media type from the manifest, metadata from the config (required),
///   `Id` = config digest, `Size` = config length + sum of unique layer sizes.
///
/// `dockerImageMetadataVersion` is set to `1.0` when empty.
pub fn image_with_metadata(image: &mut Image, now: Timestamp) -> Result<(), ManifestError> {
    if image.docker_image_manifest.is_empty() {
        return Ok(());
    }
    reorder_image_layers(image);
    let size = image.docker_image_metadata.as_ref().map_or(0, |m| m.size);
    if !image.docker_image_layers.is_empty()
        && size > 0
        && !image.docker_image_manifest_media_type.is_empty()
    {
        return Ok(());
    }

    let bytes = image.docker_image_manifest.as_bytes();
    let media_type = stored_manifest_type(bytes, &image.docker_image_manifest_media_type)?;
    let manifest = parse_manifest(bytes, &media_type)?;
    if image.docker_image_metadata_version.is_empty() {
        image.docker_image_metadata_version = DOCKER_IMAGE_METADATA_VERSION.to_owned();
    }

    match manifest {
        Manifest::List(list) => {
            let name = image.metadata.name.clone().unwrap_or_default();
            let meta = image
                .docker_image_metadata
                .get_or_insert_with(DockerImageMetadata::default);
            meta.id = name;
            meta.created = Some(Time(now));
            if image.docker_image_manifest_media_type.is_empty() {
                image.docker_image_manifest_media_type = list.media_type.clone();
            }
            image.docker_image_manifests = list
                .manifests
                .iter()
                .map(ListEntry::to_image_manifest)
                .collect();
            Ok(())
        }
        Manifest::Schema1(m) => {
            if image.docker_image_layers.is_empty() {
                image.docker_image_layers = m
                    .fs_layers
                    .iter()
                    .zip(&m.history)
                    .rev()
                    .map(|(blob_sum, v1)| ImageLayer {
                        name: blob_sum.clone(),
                        size: v1_layer_size(v1),
                        media_type: MEDIA_TYPE_DOCKER_SCHEMA1_LAYER.to_owned(),
                    })
                    .collect();
                set_layers_ascending(image);
            }
            image.docker_image_manifest_media_type = MEDIA_TYPE_DOCKER_SCHEMA1.to_owned();
            let v1: RawImageConfig = serde_json::from_str(&m.history[0])
                .map_err(|err| ManifestError::InvalidV1Compatibility(err.to_string()))?;
            let mut meta = v1
                .into_metadata()
                .map_err(ManifestError::InvalidV1Compatibility)?;
            meta.size = unique_layer_size(&image.docker_image_layers, None);
            image.docker_image_metadata = Some(meta);
            Ok(())
        }
        Manifest::Schema2(m) => {
            if image.docker_image_layers.is_empty() {
                image.docker_image_layers = m
                    .layers
                    .iter()
                    .map(|l| ImageLayer {
                        name: l.digest.clone(),
                        size: l.size,
                        media_type: l.media_type.clone(),
                    })
                    .collect();
                set_layers_ascending(image);
            }
            image.docker_image_manifest_media_type = m.media_type.clone();
            if image.docker_image_config.is_empty() {
                return Err(ManifestError::MissingConfig(m.media_type));
            }
            let config: RawImageConfig = serde_json::from_str(&image.docker_image_config)
                .map_err(|err| ManifestError::InvalidConfig(err.to_string()))?;
            let mut meta = config
                .into_metadata()
                .map_err(ManifestError::InvalidConfig)?;
            meta.id = m.config.digest.clone();
            let config_len = i64::try_from(image.docker_image_config.len()).unwrap_or(i64::MAX);
            meta.size = config_len.saturating_add(unique_layer_size(
                &image.docker_image_layers,
                Some(&m.config.digest),
            ));
            image.docker_image_metadata = Some(meta);
            Ok(())
        }
    }
}

/// The `size` of one schema 1 `v1Compatibility` entry; 0 when absent or unparsable.
fn v1_layer_size(v1_compatibility: &str) -> i64 {
    #[derive(Deserialize)]
    struct SizeOnly {
        #[serde(default, alias = "Size")]
        size: Option<i64>,
    }
    serde_json::from_str::<SizeOnly>(v1_compatibility)
        .ok()
        .and_then(|s| s.size)
        .unwrap_or(0)
}

/// Sum of the sizes of distinct layers, skipping a layer equal to `exclude` (the config digest).
fn unique_layer_size(layers: &[ImageLayer], exclude: Option<&str>) -> i64 {
    let mut seen: HashSet<&str> = exclude.into_iter().collect();
    layers
        .iter()
        .filter(|l| seen.insert(l.name.as_str()))
        .fold(0i64, |acc, l| acc.saturating_add(l.size))
}

/// Build the Image the importer records for one fetched manifest (spec §11.4).
///
/// `expected_digest` is the digest the manifest was requested by, if any; the content must hash
/// to it. The Image is named by the manifest digest (schema 1: of the canonical payload), gets
/// `dockerImageReference = pull_spec`, and is filled by [`image_with_metadata`]. Schema 2 / OCI
/// need `config_bytes`. A manifest list yields the list Image of PreserveOriginal imports:
/// `Id`/`Created` metadata and `dockerImageManifests`, but no stored manifest and no layers.
pub fn image_from_manifest(
    expected_digest: Option<&str>,
    manifest_bytes: &[u8],
    media_type: &str,
    config_bytes: Option<&[u8]>,
    pull_spec: &str,
    now: Timestamp,
) -> Result<Image, ManifestError> {
    let manifest = parse_manifest(manifest_bytes, media_type)?;
    let digest = manifest.digest(manifest_bytes);
    if let Some(expected) = expected_digest.filter(|d| !d.is_empty())
        && expected != digest
    {
        return Err(ManifestError::DigestMismatch {
            media_type: manifest.media_type().to_owned(),
            expected: expected.to_owned(),
            actual: digest,
        });
    }
    let mut image = Image::default();
    image.metadata.name = Some(digest.clone());
    image.docker_image_reference = pull_spec.to_owned();
    image.docker_image_metadata_version = DOCKER_IMAGE_METADATA_VERSION.to_owned();
    image.docker_image_manifest_media_type = manifest.media_type().to_owned();

    if let Manifest::List(list) = &manifest {
        image.docker_image_metadata = Some(DockerImageMetadata {
            id: digest,
            created: Some(Time(now)),
            ..DockerImageMetadata::default()
        });
        image.docker_image_manifests = list
            .manifests
            .iter()
            .map(ListEntry::to_image_manifest)
            .collect();
        return Ok(image);
    }

    image.docker_image_manifest =
        String::from_utf8(manifest_bytes.to_vec()).map_err(|_| ManifestError::InvalidManifest {
            media_type: manifest.media_type().to_owned(),
            message: "manifest is not valid UTF-8".to_owned(),
        })?;
    if let Manifest::Schema2(m) = &manifest {
        let config =
            config_bytes.ok_or_else(|| ManifestError::MissingConfig(m.media_type.clone()))?;
        image.docker_image_config = String::from_utf8(config.to_vec())
            .map_err(|_| ManifestError::InvalidConfig("config is not valid UTF-8".to_owned()))?;
    }
    image_with_metadata(&mut image, now)?;
    Ok(image)
}

/// Drop the manifest and config of an Image whose blobs live in registry storage: annotation
/// `image.openshift.io/manifestBlobStored: "true"` (spec §9.1).
pub fn strip_manifest_if_stored(image: &mut Image) {
    let stored = image
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_MANIFEST_BLOB_STORED))
        .is_some_and(|v| v == "true");
    if stored {
        image.docker_image_manifest.clear();
        image.docker_image_config.clear();
    }
}

/// The child a Legacy import takes from a manifest list (spec §11.4): the first entry whose
/// platform is (`prefer_arch`, `prefer_os`), each defaulting to the host's (Go names, see
/// [`go_arch`] and [`go_os`]) when absent or empty; else the first `linux/amd64` entry; else the
/// first entry. `None` only for an empty list ("no manifests in manifest list").
pub fn select_legacy_child<'a>(
    children: &'a [ListEntry],
    prefer_arch: Option<&str>,
    prefer_os: Option<&str>,
    host_arch: &str,
    host_os: &str,
) -> Option<&'a ListEntry> {
    let arch = prefer_arch.filter(|a| !a.is_empty()).unwrap_or(host_arch);
    let os = prefer_os.filter(|o| !o.is_empty()).unwrap_or(host_os);
    let matching = |a: &str, o: &str| {
        children
            .iter()
            .find(|c| c.platform.architecture == a && c.platform.os == o)
    };
    matching(arch, os)
        .or_else(|| matching("amd64", "linux"))
        .or_else(|| children.first())
}

/// The Go `GOARCH` name of a Rust `std::env::consts::ARCH` value. `powerpc64` maps to `ppc64le`
/// and `mips64` to `mips64le`, the endianness container images are published for; use
/// [`go_arch_with_endian`] when the endianness is known. Unknown names pass through unchanged.
pub fn go_arch(rust_arch: &str) -> &str {
    go_arch_with_endian(rust_arch, true)
}

/// Like [`go_arch`], with the target's endianness deciding between `ppc64`/`ppc64le`,
/// `mips`/`mipsle` and `mips64`/`mips64le`.
pub fn go_arch_with_endian(rust_arch: &str, little_endian: bool) -> &str {
    match (rust_arch, little_endian) {
        ("x86_64", _) => "amd64",
        ("x86", _) => "386",
        ("aarch64", _) => "arm64",
        ("arm", _) => "arm",
        ("powerpc64", true) => "ppc64le",
        ("powerpc64", false) => "ppc64",
        ("powerpc", _) => "ppc",
        ("s390x", _) => "s390x",
        ("riscv64", _) => "riscv64",
        ("loongarch64", _) => "loong64",
        ("mips", true) | ("mips32r6", true) => "mipsle",
        ("mips", false) | ("mips32r6", false) => "mips",
        ("mips64", true) | ("mips64r6", true) => "mips64le",
        ("mips64", false) | ("mips64r6", false) => "mips64",
        ("wasm32", _) => "wasm",
        (other, _) => other,
    }
}

/// The Go `GOOS` name of a Rust `std::env::consts::OS` value (`macos` → `darwin`); other names
/// are the same in both and pass through.
pub fn go_os(rust_os: &str) -> &str {
    match rust_os {
        "macos" => "darwin",
        other => other,
    }
}

/// One image's entry in an `imagestreams/{name}/layers` response (spec §12.1): its blob
/// references, and the blobs it contributes as `(digest, data)` pairs in first-seen order —
/// each distinct layer with size and media type, the config blob (size unknown) for schema 2 /
/// OCI images, and the manifest itself keyed by the image name with its media type only.
pub fn blob_references(image: &Image) -> (ImageBlobReferences, Vec<(String, ImageLayerData)>) {
    let media_type = if image.docker_image_manifest_media_type.is_empty() {
        MEDIA_TYPE_DOCKER_SCHEMA2
    } else {
        image.docker_image_manifest_media_type.as_str()
    };
    let mut blobs: Vec<(String, ImageLayerData)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |digest: &str, data: ImageLayerData, blobs: &mut Vec<_>| {
        if seen.insert(digest.to_owned()) {
            blobs.push((digest.to_owned(), data));
        }
    };

    for layer in &image.docker_image_layers {
        add(
            &layer.name,
            ImageLayerData {
                size: Some(layer.size),
                media_type: layer.media_type.clone(),
            },
            &mut blobs,
        );
    }
    let config_media_type = match media_type {
        MEDIA_TYPE_DOCKER_SCHEMA2 => Some(MEDIA_TYPE_DOCKER_CONFIG),
        MEDIA_TYPE_OCI_MANIFEST => Some(MEDIA_TYPE_OCI_CONFIG),
        _ => None,
    };
    let config = config_media_type.and_then(|config_type| {
        let id = image
            .docker_image_metadata
            .as_ref()
            .map(|m| m.id.as_str())
            .unwrap_or("");
        (!id.is_empty()).then(|| {
            add(
                id,
                ImageLayerData {
                    size: None,
                    media_type: config_type.to_owned(),
                },
                &mut blobs,
            );
            id.to_owned()
        })
    });
    let name = image.metadata.name.as_deref().unwrap_or("");
    if !name.is_empty() {
        add(
            name,
            ImageLayerData {
                size: None,
                media_type: media_type.to_owned(),
            },
            &mut blobs,
        );
    }

    let references = ImageBlobReferences {
        image_missing: false,
        layers: (!image.docker_image_layers.is_empty()).then(|| {
            image
                .docker_image_layers
                .iter()
                .map(|l| l.name.clone())
                .collect()
        }),
        config,
        manifests: image
            .docker_image_manifests
            .iter()
            .map(|m| m.digest.clone())
            .collect(),
    };
    (references, blobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- independent helpers (not the code under test) ----

    fn sha(bytes: &[u8]) -> String {
        let sum = Sha256::digest(bytes);
        let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    fn b64url(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    fn ts(s: &str) -> Time {
        Time(s.parse().unwrap())
    }

    fn digest_of(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    // ---- fixtures: real-shaped manifests and configs ----

    const DOCKER_CONFIG: &str = r##"{"architecture":"amd64","author":"Jane Doe <jane@example.com>","config":{"Hostname":"","Domainname":"","User":"1001","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"8080/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_ROOT=/opt/app"],"Cmd":["serve","--port=8080"],"Image":"sha256:6d1ef012b5674ad8a127ecfa9b5e6f5178d171b90ee462846974177fd9bdd39f","Volumes":{"/data":{}},"WorkingDir":"/opt/app","Entrypoint":["/usr/bin/app"],"OnBuild":null,"Labels":{"io.k8s.display-name":"app","maintainer":"Jane Doe"}},"container":"3c2f0b8e5d4a","container_config":{"Hostname":"3c2f0b8e5d4a","Domainname":"","User":"","AttachStdin":false,"Tty":false,"Env":["PATH=/usr/bin"],"Cmd":["/bin/sh","-c","#(nop) ","CMD [\"serve\"]"],"Image":"sha256:6d1ef012","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"created":"2024-03-05T10:20:30.123456789Z","docker_version":"24.0.7","history":[{"created":"2024-03-01T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD file:abc in / "},{"created":"2024-03-05T10:20:30Z","created_by":"/bin/sh -c #(nop) CMD [\"serve\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111","sha256:2222222222222222222222222222222222222222222222222222222222222222"]}}"##;

    const OCI_CONFIG: &str = r#"{"created":"2024-01-02T03:04:05Z","architecture":"arm64","variant":"v8","os":"linux","config":{"Env":["PATH=/usr/bin"],"Entrypoint":["/bin/sh"],"WorkingDir":"/","Labels":{"org.opencontainers.image.version":"1.2.3"}},"rootfs":{"type":"layers","diff_ids":["sha256:3333333333333333333333333333333333333333333333333333333333333333"]},"history":[{"created":"2024-01-02T03:04:05Z","created_by":"buildkit"}]}"#;

    /// Docker schema 2: base layer, top layer, and the base layer again (2 distinct layers).
    fn docker_manifest() -> String {
        format!(
            r#"{{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {{
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": {},
      "digest": "{}"
   }},
   "layers": [
      {{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1000, "digest": "{}"}},
      {{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 2000, "digest": "{}"}},
      {{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1000, "digest": "{}"}}
   ]
}}"#,
            DOCKER_CONFIG.len(),
            sha(DOCKER_CONFIG.as_bytes()),
            digest_of('a'),
            digest_of('b'),
            digest_of('a'),
        )
    }

    /// OCI image manifest; `with_media_type` controls the optional `mediaType` field.
    fn oci_manifest(with_media_type: bool) -> String {
        let mt = if with_media_type {
            r#""mediaType": "application/vnd.oci.image.manifest.v1+json","#
        } else {
            ""
        };
        format!(
            r#"{{"schemaVersion":2,{mt}"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":4242}}],"annotations":{{"org.opencontainers.image.created":"2024-01-02T03:04:05Z"}}}}"#,
            sha(OCI_CONFIG.as_bytes()),
            OCI_CONFIG.len(),
            digest_of('c'),
        )
    }

    fn docker_list() -> String {
        format!(
            r#"{{
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {{"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528, "digest": "{}", "platform": {{"architecture": "amd64", "os": "linux"}}}},
    {{"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 529, "digest": "{}", "platform": {{"architecture": "arm64", "os": "linux", "variant": "v8"}}}},
    {{"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 530, "digest": "{}", "platform": {{"architecture": "arm", "os": "linux", "variant": "v7"}}}}
  ]
}}"#,
            digest_of('1'),
            digest_of('2'),
            digest_of('3'),
        )
    }

    fn oci_index(with_media_type: bool) -> String {
        let mt = if with_media_type {
            r#""mediaType":"application/vnd.oci.image.index.v1+json","#
        } else {
            ""
        };
        format!(
            r#"{{"schemaVersion":2,{mt}"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":700,"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":701,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":702,"platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":566,"annotations":{{"vnd.docker.reference.type":"attestation-manifest"}},"platform":{{"architecture":"unknown","os":"unknown"}}}}]}}"#,
            digest_of('4'),
            digest_of('5'),
            digest_of('6'),
            digest_of('7'),
        )
    }

    /// A schema 1 manifest as `(signed bytes, canonical payload)`. Layers newest first: top
    /// (300 bytes), base (700), base again (700); the JWS block is spliced in the libtrust way.
    fn schema1_manifest() -> (String, String) {
        let v1_top = r##"{"id":"5f1c7c4d0a2c5b3f8e9d6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819","parent":"9a8b7c6d","created":"2016-02-03T04:05:06Z","container":"0b1c2d3e","container_config":{"Hostname":"0b1c2d3e","Cmd":["/bin/sh","-c","#(nop) CMD [\"sh\"]"],"Labels":null},"docker_version":"1.9.1","author":"ops@example.com","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/root"},"architecture":"amd64","os":"linux","Size":300}"##;
        let v1_base = r#"{"id":"9a8b7c6d","created":"2016-02-01T00:00:00Z","container_config":{"Cmd":["/bin/sh"]},"Size":700}"#;
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let payload = format!(
            "{{\n   \"schemaVersion\": 1,\n   \"name\": \"library/busybox\",\n   \"tag\": \"1.0\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [\n      {{\n         \"blobSum\": \"{}\"\n      }},\n      {{\n         \"blobSum\": \"{}\"\n      }},\n      {{\n         \"blobSum\": \"{}\"\n      }}\n   ],\n   \"history\": [\n      {{\n         \"v1Compatibility\": {}\n      }},\n      {{\n         \"v1Compatibility\": {}\n      }},\n      {{\n         \"v1Compatibility\": {}\n      }}\n   ]\n}}",
            digest_of('e'),
            digest_of('f'),
            digest_of('f'),
            q(v1_top),
            q(v1_base),
            q(v1_base),
        );
        let format_length = payload.rfind("\n}").unwrap();
        let tail = &payload[format_length..];
        let protected = b64url(
            format!(
                r#"{{"formatLength":{format_length},"formatTail":"{}","time":"2016-02-03T04:05:07Z"}}"#,
                b64url(tail.as_bytes())
            )
            .as_bytes(),
        );
        let signatures = format!(
            ",\n   \"signatures\": [\n      {{\n         \"header\": {{\n            \"jwk\": {{\n               \"crv\": \"P-256\",\n               \"kid\": \"LYRA:YAG2:QQKS:376F:QQXY:3UNK:SXH7:K6ES:Y5AU:XUN5:ZLVY:KBYL\",\n               \"kty\": \"EC\",\n               \"x\": \"Cu_UyxwLgHzE9rvlYSmvVdqYCXY42E9eNhBb0xNv0SQ\",\n               \"y\": \"zUsjWJkeKQ5tv7S-hl1Tg71cd-CqnrtiiLxSi6N_yc8\"\n            }},\n            \"alg\": \"ES256\"\n         }},\n         \"signature\": \"m3bgdBXZYRQ4ssAbrgj8Kjl7GNgrKQvmCSY-00yzQosKi-8UBrIRrn3Iu5alj82B6u_jNrkGCjEx3TxrfT1rig\",\n         \"protected\": \"{protected}\"\n      }}\n   ]"
        );
        let signed = format!("{}{}{}", &payload[..format_length], signatures, tail);
        (signed, payload)
    }

    fn stored_image(manifest: &str, media_type: &str, config: &str) -> Image {
        let mut image = Image::default();
        image.metadata.name = Some(sha(manifest.as_bytes()));
        image.docker_image_manifest = manifest.to_owned();
        image.docker_image_manifest_media_type = media_type.to_owned();
        image.docker_image_config = config.to_owned();
        image
    }

    fn annotation(image: &Image, key: &str) -> Option<String> {
        image
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key).cloned())
    }

    fn layer(name: &str, size: i64) -> ImageLayer {
        ImageLayer {
            name: name.to_owned(),
            size,
            media_type: MEDIA_TYPE_DOCKER_LAYER.to_owned(),
        }
    }

    fn names(layers: &[ImageLayer]) -> Vec<&str> {
        layers.iter().map(|l| l.name.as_str()).collect()
    }

    // ---- digests and base64url ----

    // spec §2.2: images are named `sha256:<64 hex>`.
    #[test]
    fn s2_2_sha256_digest_matches_sha2() {
        for input in [&b""[..], b"abc", docker_manifest().as_bytes()] {
            let d = sha256_digest(input);
            assert_eq!(d, sha(input));
            assert_eq!(d.len(), 7 + 64);
        }
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    // spec §11.4: the libtrust protected header is unpadded base64url.
    #[test]
    fn s11_4_base64url_decoder_round_trips_and_rejects_garbage() {
        for input in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"\n}",
            b"\xff\xfe\xfd\x00",
            b"hello world!",
        ] {
            assert_eq!(
                base64url_decode(&b64url(input)).as_deref(),
                Some(input),
                "{input:?}"
            );
        }
        assert_eq!(base64url_decode("Zm9vYg==").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base64url_decode("Cn0").as_deref(), Some(&b"\n}"[..]));
        assert_eq!(
            base64url_decode("a+b/"),
            None,
            "standard alphabet is not base64url"
        );
        assert_eq!(base64url_decode("abcde"), None, "length 1 mod 4");
        assert_eq!(base64url_decode("ab==="), None);
    }

    // ---- media type detection and parsing ----

    // spec §11.4: header first, then the manifest's mediaType, then schemaVersion/shape.
    #[test]
    fn s11_4_detect_media_type_table() {
        let docker = docker_manifest();
        let (schema1, _) = schema1_manifest();
        let unsigned = r#"{"schemaVersion":1,"fsLayers":[],"history":[]}"#;
        let (list, oci, index, index_typed) = (
            docker_list(),
            oci_manifest(false),
            oci_index(false),
            oci_index(true),
        );
        let cases: Vec<(&[u8], Option<&str>, &str)> = vec![
            (
                docker.as_bytes(),
                Some(MEDIA_TYPE_DOCKER_SCHEMA2),
                MEDIA_TYPE_DOCKER_SCHEMA2,
            ),
            (
                docker.as_bytes(),
                Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
                MEDIA_TYPE_OCI_MANIFEST,
            ),
            (
                docker.as_bytes(),
                Some("application/json"),
                MEDIA_TYPE_DOCKER_SCHEMA2,
            ),
            (
                docker.as_bytes(),
                Some("text/plain"),
                MEDIA_TYPE_DOCKER_SCHEMA2,
            ),
            (docker.as_bytes(), None, MEDIA_TYPE_DOCKER_SCHEMA2),
            (list.as_bytes(), None, MEDIA_TYPE_DOCKER_MANIFEST_LIST),
            (oci.as_bytes(), None, MEDIA_TYPE_OCI_MANIFEST),
            (
                index.as_bytes(),
                Some("application/octet-stream"),
                MEDIA_TYPE_OCI_INDEX,
            ),
            (index_typed.as_bytes(), None, MEDIA_TYPE_OCI_INDEX),
            (
                schema1.as_bytes(),
                Some("application/json"),
                MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
            ),
            (unsigned.as_bytes(), None, MEDIA_TYPE_DOCKER_SCHEMA1),
            (b"not json", Some("application/json"), "application/json"),
            (b"{}", None, ""),
        ];
        for (bytes, header, want) in cases {
            assert_eq!(detect_media_type(bytes, header), want, "header {header:?}");
        }
        // A manifest's own unknown type is reported so that parsing can reject it.
        assert_eq!(
            detect_media_type(br#"{"mediaType":"application/vnd.example+json"}"#, None),
            "application/vnd.example+json"
        );
    }

    // spec §11.4: anything else → "unsupported image manifest type".
    #[test]
    fn s11_4_unsupported_media_type_error() {
        let err = parse_manifest(b"{}", "application/vnd.example+json").unwrap_err();
        assert_eq!(
            err,
            ManifestError::UnsupportedMediaType("application/vnd.example+json".into())
        );
        assert_eq!(
            err.to_string(),
            "unsupported image manifest type: application/vnd.example+json"
        );
        let err = image_from_manifest(None, b"{}", "text/html", None, "r/x:1", now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported image manifest type: text/html"
        );
    }

    // spec §11.4: parsed shapes of every accepted type.
    #[test]
    fn s11_4_parse_manifest_shapes() {
        let docker = docker_manifest();
        let Manifest::Schema2(m) =
            parse_manifest(docker.as_bytes(), MEDIA_TYPE_DOCKER_SCHEMA2).unwrap()
        else {
            panic!("not schema2")
        };
        assert_eq!(m.config.digest, sha(DOCKER_CONFIG.as_bytes()));
        assert_eq!(m.config.media_type, MEDIA_TYPE_DOCKER_CONFIG);
        assert_eq!(m.config.size, DOCKER_CONFIG.len() as i64);
        assert_eq!(m.layers.len(), 3);
        assert_eq!(
            m.layers[1],
            Descriptor {
                media_type: MEDIA_TYPE_DOCKER_LAYER.into(),
                digest: digest_of('b'),
                size: 2000
            }
        );

        let index = oci_index(false);
        let parsed = parse_manifest(index.as_bytes(), MEDIA_TYPE_OCI_INDEX).unwrap();
        assert_eq!(parsed.media_type(), MEDIA_TYPE_OCI_INDEX);
        assert_eq!(parsed.digest(index.as_bytes()), sha(index.as_bytes()));
        let Manifest::List(list) = parsed else {
            panic!("not a list")
        };
        assert_eq!(list.manifests.len(), 4);
        assert_eq!(list.manifests[2].platform.variant, "v7");
        assert_eq!(list.manifests[3].platform.os, "unknown");
    }

    // spec §11.4: the manifest must agree with the type it is parsed as.
    #[test]
    fn s11_4_parse_rejects_mismatched_shapes() {
        let docker = docker_manifest();
        assert_eq!(
            parse_manifest(docker.as_bytes(), MEDIA_TYPE_OCI_MANIFEST).unwrap_err(),
            ManifestError::MediaTypeMismatch {
                expected: MEDIA_TYPE_OCI_MANIFEST.into(),
                found: MEDIA_TYPE_DOCKER_SCHEMA2.into()
            }
        );
        assert!(matches!(
            parse_manifest(docker.as_bytes(), MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED).unwrap_err(),
            ManifestError::SchemaVersion {
                expected: 1,
                found: 2,
                ..
            }
        ));
        assert!(matches!(
            parse_manifest(
                br#"{"schemaVersion":2,"layers":[]}"#,
                MEDIA_TYPE_DOCKER_SCHEMA2
            )
            .unwrap_err(),
            ManifestError::InvalidManifest { .. }
        ));
        assert!(matches!(
            parse_manifest(b"[1,2]", MEDIA_TYPE_OCI_INDEX).unwrap_err(),
            ManifestError::InvalidManifest { .. }
        ));
    }

    // ---- schema 2 / OCI (spec §9.1, §11.4) ----

    // spec §9.1/§11.4: Docker schema 2 → metadata from the config, Id = config digest,
    // Size = config length + unique layer sizes, layers base first.
    #[test]
    fn s9_1_docker_schema2_image() {
        let manifest = docker_manifest();
        let digest = sha(manifest.as_bytes());
        let image = image_from_manifest(
            Some(&digest),
            manifest.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA2,
            Some(DOCKER_CONFIG.as_bytes()),
            &format!("quay.io/acme/app@{digest}"),
            now(),
        )
        .unwrap();
        assert_eq!(image.metadata.name.as_deref(), Some(digest.as_str()));
        assert_eq!(
            image.docker_image_reference,
            format!("quay.io/acme/app@{digest}")
        );
        assert_eq!(image.docker_image_manifest, manifest);
        assert_eq!(image.docker_image_config, DOCKER_CONFIG);
        assert_eq!(
            image.docker_image_manifest_media_type,
            MEDIA_TYPE_DOCKER_SCHEMA2
        );
        assert_eq!(image.docker_image_metadata_version, "1.0");
        assert_eq!(
            annotation(&image, ANNOTATION_LAYERS_ORDER).as_deref(),
            Some("ascending")
        );
        assert_eq!(
            names(&image.docker_image_layers),
            [digest_of('a').as_str(), &digest_of('b'), &digest_of('a')]
        );
        assert!(
            image
                .docker_image_layers
                .iter()
                .all(|l| l.media_type == MEDIA_TYPE_DOCKER_LAYER)
        );
        assert!(image.docker_image_manifests.is_empty());

        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.id, sha(DOCKER_CONFIG.as_bytes()));
        assert_eq!(meta.size, DOCKER_CONFIG.len() as i64 + 1000 + 2000);
        assert_eq!(meta.architecture, "amd64");
        assert_eq!(meta.author, "Jane Doe <jane@example.com>");
        assert_eq!(meta.docker_version, "24.0.7");
        assert_eq!(meta.container, "3c2f0b8e5d4a");
        assert_eq!(meta.created, Some(ts("2024-03-05T10:20:30.123456789Z")));
        assert_eq!(meta.kind, "DockerImage");
        assert_eq!(meta.api_version, "image.openshift.io/1.0");
        let config = meta.config.as_ref().unwrap();
        assert_eq!(config.user, "1001");
        assert_eq!(config.env[1], "APP_ROOT=/opt/app");
        assert_eq!(config.cmd, ["serve", "--port=8080"]);
        assert_eq!(config.entrypoint, ["/usr/bin/app"]);
        assert_eq!(config.working_dir, "/opt/app");
        assert_eq!(
            config.labels.get("maintainer").map(String::as_str),
            Some("Jane Doe")
        );
        assert_eq!(
            config.exposed_ports.keys().collect::<Vec<_>>(),
            ["8080/tcp"]
        );
        assert_eq!(config.volumes.keys().collect::<Vec<_>>(), ["/data"]);
        assert!(config.on_build.is_empty());
        assert_eq!(meta.container_config.hostname, "3c2f0b8e5d4a");
        assert_eq!(meta.container_config.cmd.len(), 4);
        assert!(
            meta.container_config.entrypoint.is_empty() && meta.container_config.labels.is_empty()
        );
    }

    // spec §9.1: OCI manifest; media type from the manifest, metadata from the OCI config.
    #[test]
    fn s9_1_oci_manifest_image() {
        let manifest = oci_manifest(true);
        let media_type = detect_media_type(manifest.as_bytes(), None);
        let image = image_from_manifest(
            None,
            manifest.as_bytes(),
            &media_type,
            Some(OCI_CONFIG.as_bytes()),
            "registry.example.com/ns/tool:1.2.3",
            now(),
        )
        .unwrap();
        assert_eq!(image.metadata.name, Some(sha(manifest.as_bytes())));
        assert_eq!(
            image.docker_image_manifest_media_type,
            MEDIA_TYPE_OCI_MANIFEST
        );
        assert_eq!(
            image.docker_image_layers,
            [ImageLayer {
                name: digest_of('c'),
                size: 4242,
                media_type: MEDIA_TYPE_OCI_LAYER_GZIP.into()
            }]
        );
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.id, sha(OCI_CONFIG.as_bytes()));
        assert_eq!(meta.size, OCI_CONFIG.len() as i64 + 4242);
        assert_eq!(meta.architecture, "arm64");
        assert_eq!(meta.created, Some(ts("2024-01-02T03:04:05Z")));
        assert_eq!(meta.docker_version, "");
        assert_eq!(meta.config.as_ref().unwrap().entrypoint, ["/bin/sh"]);
        assert_eq!(meta.container_config, DockerConfig::default());
    }

    // spec §9.1: an Image created with a manifest but no config is an error for schema 2 / OCI.
    #[test]
    fn s9_1_missing_config_is_an_error() {
        let manifest = docker_manifest();
        let err = image_from_manifest(
            None,
            manifest.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA2,
            None,
            "r/x:1",
            now(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dockerImageConfig must not be empty for manifest type \
             \"application/vnd.docker.distribution.manifest.v2+json\""
        );

        let oci = oci_manifest(false);
        let mut image = stored_image(&oci, "", "");
        let err = image_with_metadata(&mut image, now()).unwrap_err();
        // No mediaType in the manifest and none recorded: Docker schema 2 is assumed (§9.1).
        assert_eq!(
            err,
            ManifestError::MissingConfig(MEDIA_TYPE_DOCKER_SCHEMA2.into())
        );
        let mut image = stored_image(&oci, MEDIA_TYPE_OCI_MANIFEST, "");
        let err = image_with_metadata(&mut image, now()).unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingConfig(MEDIA_TYPE_OCI_MANIFEST.into())
        );
    }

    // spec §9.1: a config that is not an image config is reported.
    #[test]
    fn s9_1_invalid_config_is_an_error() {
        let manifest = docker_manifest();
        for config in [
            "not json",
            r#"{"created":"yesterday"}"#,
            r#"{"config":{"Env":"PATH=/bin"}}"#,
        ] {
            let mut image = stored_image(&manifest, MEDIA_TYPE_DOCKER_SCHEMA2, config);
            let err = image_with_metadata(&mut image, now()).unwrap_err();
            assert!(
                matches!(err, ManifestError::InvalidConfig(_)),
                "{config}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("failed to parse dockerImageConfig: ")
            );
        }
    }

    // spec §9.1: Go's zero time is written as null; offsets are honoured.
    #[test]
    fn s9_1_config_created_times() {
        let manifest = docker_manifest();
        for (created, want) in [
            (r#""0001-01-01T00:00:00Z""#, None),
            ("null", None),
            (
                r#""2024-03-05T12:20:30+02:00""#,
                Some(ts("2024-03-05T10:20:30Z")),
            ),
        ] {
            let config = format!(r#"{{"architecture":"amd64","created":{created}}}"#);
            let mut image = stored_image(&manifest, MEDIA_TYPE_DOCKER_SCHEMA2, &config);
            image_with_metadata(&mut image, now()).unwrap();
            let meta = image.docker_image_metadata.unwrap();
            assert_eq!(meta.created, want, "{created}");
            assert_eq!(meta.architecture, "amd64");
        }
    }

    // spec §11.4: content integrity when fetched by digest.
    #[test]
    fn s11_4_digest_mismatch_is_an_integrity_error() {
        let manifest = docker_manifest();
        let wrong = digest_of('0');
        let err = image_from_manifest(
            Some(&wrong),
            manifest.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA2,
            Some(DOCKER_CONFIG.as_bytes()),
            "r/x:1",
            now(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ManifestError::DigestMismatch {
                media_type: MEDIA_TYPE_DOCKER_SCHEMA2.into(),
                expected: wrong,
                actual: sha(manifest.as_bytes()),
            }
        );
        assert!(err.to_string().starts_with("content integrity error: "));
    }

    // ---- schema 1 (spec §9.1, §11.4) ----

    // spec §11.4: schema 1 is named by the digest of its canonical, signature-less payload.
    #[test]
    fn s11_4_schema1_canonical_digest() {
        let (signed, payload) = schema1_manifest();
        assert_ne!(signed, payload);
        let Manifest::Schema1(m) =
            parse_manifest(signed.as_bytes(), MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED).unwrap()
        else {
            panic!("not schema1")
        };
        assert!(m.signed);
        assert_eq!(m.canonical, payload.as_bytes());
        assert_eq!(m.digest(), sha(payload.as_bytes()));
        assert_ne!(m.digest(), sha(signed.as_bytes()));
        assert_eq!(
            (m.name.as_str(), m.tag.as_str(), m.architecture.as_str()),
            ("library/busybox", "1.0", "amd64")
        );
        // Legacy `application/json` is read as signed schema 1.
        let legacy = parse_manifest(signed.as_bytes(), "application/json").unwrap();
        assert_eq!(legacy.media_type(), MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED);
        assert_eq!(legacy.digest(signed.as_bytes()), sha(payload.as_bytes()));
        // Unsigned: the bytes are the payload.
        let unsigned = parse_manifest(payload.as_bytes(), MEDIA_TYPE_DOCKER_SCHEMA1).unwrap();
        assert_eq!(unsigned.digest(payload.as_bytes()), sha(payload.as_bytes()));
    }

    // spec §9.1: schema 1 metadata from history[0], layers from fsLayers reversed, size of
    // unique layers, media type forced to v1+json.
    #[test]
    fn s9_1_schema1_image() {
        let (signed, payload) = schema1_manifest();
        let canonical = sha(payload.as_bytes());
        let image = image_from_manifest(
            Some(&canonical),
            signed.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
            None,
            "docker.io/library/busybox:1.0",
            now(),
        )
        .unwrap();
        assert_eq!(image.metadata.name.as_deref(), Some(canonical.as_str()));
        assert_eq!(
            image.docker_image_manifest, signed,
            "the signed manifest is stored"
        );
        assert_eq!(
            image.docker_image_manifest_media_type,
            MEDIA_TYPE_DOCKER_SCHEMA1
        );
        assert_eq!(image.docker_image_config, "");
        assert_eq!(
            annotation(&image, ANNOTATION_LAYERS_ORDER).as_deref(),
            Some("ascending")
        );
        assert_eq!(
            image.docker_image_layers,
            [
                ImageLayer {
                    name: digest_of('f'),
                    size: 700,
                    media_type: MEDIA_TYPE_DOCKER_SCHEMA1_LAYER.into()
                },
                ImageLayer {
                    name: digest_of('f'),
                    size: 700,
                    media_type: MEDIA_TYPE_DOCKER_SCHEMA1_LAYER.into()
                },
                ImageLayer {
                    name: digest_of('e'),
                    size: 300,
                    media_type: MEDIA_TYPE_DOCKER_SCHEMA1_LAYER.into()
                },
            ]
        );
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.size, 700 + 300, "unique layers only");
        assert_eq!(
            meta.id,
            "5f1c7c4d0a2c5b3f8e9d6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
        );
        assert_eq!(meta.parent, "9a8b7c6d");
        assert_eq!(meta.created, Some(ts("2016-02-03T04:05:06Z")));
        assert_eq!(meta.docker_version, "1.9.1");
        assert_eq!(meta.author, "ops@example.com");
        assert_eq!(meta.architecture, "amd64");
        assert_eq!(meta.config.as_ref().unwrap().working_dir, "/root");
        assert_eq!(meta.container_config.hostname, "0b1c2d3e");

        // The push digest of the signed bytes is not the image's digest.
        let err = image_from_manifest(
            Some(&sha(signed.as_bytes())),
            signed.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
            None,
            "docker.io/library/busybox:1.0",
            now(),
        )
        .unwrap_err();
        assert!(matches!(err, ManifestError::DigestMismatch { .. }));
    }

    // spec §9.1/§11.4: schema 1 needs history, and as many history entries as fsLayers.
    #[test]
    fn s9_1_schema1_history_errors() {
        let empty = br#"{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":[],"history":[]}"#;
        let err = parse_manifest(empty, MEDIA_TYPE_DOCKER_SCHEMA1).unwrap_err();
        assert_eq!(err, ManifestError::EmptyHistory);
        assert_eq!(
            err.to_string(),
            "image has no v1Compatibility history and cannot be used"
        );

        let missing = br#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:aa"}]}"#;
        assert_eq!(
            parse_manifest(missing, MEDIA_TYPE_DOCKER_SCHEMA1).unwrap_err(),
            ManifestError::EmptyHistory
        );

        let mismatch = br#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:aa"},{"blobSum":"sha256:bb"}],"history":[{"v1Compatibility":"{\"id\":\"x\"}"}]}"#;
        let err = parse_manifest(mismatch, MEDIA_TYPE_DOCKER_SCHEMA1).unwrap_err();
        assert_eq!(
            err,
            ManifestError::LayerCountMismatch {
                history: 1,
                fs_layers: 2
            }
        );
        assert_eq!(
            err.to_string(),
            "mismatched history and fslayer cardinality (1 != 2)"
        );

        // Through Image create too.
        let mut image = stored_image(
            std::str::from_utf8(mismatch).unwrap(),
            MEDIA_TYPE_DOCKER_SCHEMA1,
            "",
        );
        assert!(matches!(
            image_with_metadata(&mut image, now()).unwrap_err(),
            ManifestError::LayerCountMismatch { .. }
        ));
        assert!(image.docker_image_layers.is_empty());

        let bad_v1 = br#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:aa"}],"history":[{"v1Compatibility":"not json"}]}"#;
        let mut image = stored_image(
            std::str::from_utf8(bad_v1).unwrap(),
            MEDIA_TYPE_DOCKER_SCHEMA1,
            "",
        );
        assert!(matches!(
            image_with_metadata(&mut image, now()).unwrap_err(),
            ManifestError::InvalidV1Compatibility(_)
        ));
    }

    // spec §11.4: a broken JWS block cannot yield the canonical payload.
    #[test]
    fn s11_4_schema1_bad_signatures() {
        let (signed, _) = schema1_manifest();
        let start = signed.find("\"protected\": \"").unwrap() + "\"protected\": \"".len();
        let end = start + signed[start..].find('"').unwrap();

        let not_b64 = format!("{}!!!{}", &signed[..start], &signed[end..]);
        let too_long = format!(
            "{}{}{}",
            &signed[..start],
            b64url(br#"{"formatLength":999999,"formatTail":"Cn0"}"#),
            &signed[end..]
        );
        let no_length = format!(
            "{}{}{}",
            &signed[..start],
            b64url(br#"{"formatTail":"Cn0"}"#),
            &signed[end..]
        );
        for bad in [not_b64, too_long, no_length] {
            let err = parse_manifest(bad.as_bytes(), MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED).unwrap_err();
            assert!(matches!(err, ManifestError::InvalidSignature(_)), "{err:?}");
        }
    }

    // ---- manifest lists (spec §9.1, §11.4) ----

    // spec §11.4 PreserveOriginal: the list Image has Id/Created metadata, dockerImageManifests
    // with variants, no layers, no config and no stored manifest.
    #[test]
    fn s11_4_manifest_list_images() {
        for (list, media_type, children) in [
            (docker_list(), MEDIA_TYPE_DOCKER_MANIFEST_LIST, 3),
            (oci_index(true), MEDIA_TYPE_OCI_INDEX, 4),
        ] {
            let digest = sha(list.as_bytes());
            let image = image_from_manifest(
                Some(&digest),
                list.as_bytes(),
                media_type,
                None,
                "quay.io/acme/app:latest",
                now(),
            )
            .unwrap();
            assert_eq!(image.metadata.name.as_deref(), Some(digest.as_str()));
            assert_eq!(image.docker_image_manifest_media_type, media_type);
            assert_eq!(image.docker_image_manifest, "");
            assert_eq!(image.docker_image_config, "");
            assert!(image.docker_image_layers.is_empty());
            let meta = image.docker_image_metadata.as_ref().unwrap();
            assert_eq!(meta.id, digest);
            assert_eq!(meta.created, Some(Time(now())));
            assert_eq!(meta.size, 0);
            assert_eq!(image.docker_image_manifests.len(), children);
            assert_eq!(image.docker_image_manifests[2].variant, "v7");
            assert_eq!(image.docker_image_manifests[2].architecture, "arm");
            assert_eq!(image.docker_image_manifests[1].os, "linux");
        }
        let image = image_from_manifest(
            None,
            docker_list().as_bytes(),
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            None,
            "r/x",
            now(),
        )
        .unwrap();
        assert_eq!(
            image.docker_image_manifests[0],
            ImageManifest {
                digest: digest_of('1'),
                media_type: MEDIA_TYPE_DOCKER_SCHEMA2.into(),
                manifest_size: 528,
                architecture: "amd64".into(),
                os: "linux".into(),
                variant: String::new(),
            }
        );
    }

    // spec §9.1: Image create with a stored list manifest fills Id, Created and the children.
    #[test]
    fn s9_1_stored_manifest_list() {
        let index = oci_index(false);
        let mut image = stored_image(&index, "", "");
        image_with_metadata(&mut image, now()).unwrap();
        assert_eq!(image.docker_image_manifest_media_type, MEDIA_TYPE_OCI_INDEX);
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.id, sha(index.as_bytes()));
        assert_eq!(meta.created, Some(Time(now())));
        assert_eq!(image.docker_image_manifests.len(), 4);
        assert!(image.docker_image_layers.is_empty());
        assert_eq!(
            image.docker_image_manifest, index,
            "only stripping removes the manifest"
        );

        let list = docker_list();
        let mut image = stored_image(&list, MEDIA_TYPE_DOCKER_MANIFEST_LIST, "");
        image_with_metadata(&mut image, now()).unwrap();
        assert_eq!(
            image
                .docker_image_manifests
                .iter()
                .map(|m| m.digest.clone())
                .collect::<Vec<_>>(),
            [digest_of('1'), digest_of('2'), digest_of('3')]
        );
    }

    // ---- layer order and early return (spec §9.1) ----

    fn filled_image(order: Option<&str>, media_type: &str) -> Image {
        let mut image = stored_image(&docker_manifest(), media_type, DOCKER_CONFIG);
        image.docker_image_layers = vec![layer("top", 2), layer("mid", 3), layer("base", 5)];
        image.docker_image_metadata = Some(DockerImageMetadata {
            id: "keep-me".into(),
            size: 10,
            ..Default::default()
        });
        if let Some(order) = order {
            image.metadata.annotations = Some(BTreeMap::from([(
                ANNOTATION_LAYERS_ORDER.to_owned(),
                order.to_owned(),
            )]));
        }
        image
    }

    #[test]
    fn s9_1_layer_order_normalisation() {
        let cases = [
            (
                Some("descending"),
                MEDIA_TYPE_DOCKER_SCHEMA2,
                ["base", "mid", "top"],
            ),
            (
                Some("descending"),
                MEDIA_TYPE_DOCKER_SCHEMA1,
                ["base", "mid", "top"],
            ),
            (
                Some("ascending"),
                MEDIA_TYPE_DOCKER_SCHEMA2,
                ["top", "mid", "base"],
            ),
            // Absent: schema 2 / OCI were stored descending (historical quirk).
            (None, MEDIA_TYPE_DOCKER_SCHEMA2, ["base", "mid", "top"]),
            (None, MEDIA_TYPE_OCI_MANIFEST, ["base", "mid", "top"]),
            // Absent: schema 1 is already ascending.
            (None, MEDIA_TYPE_DOCKER_SCHEMA1, ["top", "mid", "base"]),
            (
                None,
                MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
                ["top", "mid", "base"],
            ),
        ];
        for (order, media_type, want) in cases {
            let mut image = filled_image(order, media_type);
            image_with_metadata(&mut image, now()).unwrap();
            assert_eq!(
                names(&image.docker_image_layers),
                want,
                "{order:?} {media_type}"
            );
            assert_eq!(
                annotation(&image, ANNOTATION_LAYERS_ORDER).as_deref(),
                Some("ascending"),
                "{order:?} {media_type}"
            );
            // Already filled: metadata is left alone.
            let meta = image.docker_image_metadata.as_ref().unwrap();
            assert_eq!((meta.id.as_str(), meta.size), ("keep-me", 10));
        }
    }

    // spec §9.1: unknown media types without the annotation are not reordered or annotated.
    #[test]
    fn s9_1_layer_order_unknown_media_type_untouched() {
        let mut image = filled_image(None, MEDIA_TYPE_DOCKER_SCHEMA2);
        image.docker_image_manifest_media_type = MEDIA_TYPE_DOCKER_MANIFEST_LIST.into();
        image_with_metadata(&mut image, now()).unwrap();
        assert_eq!(names(&image.docker_image_layers), ["top", "mid", "base"]);
        assert_eq!(image.metadata.annotations, None);
    }

    // spec §9.1: stored layers are kept but metadata is refilled when Size is 0.
    #[test]
    fn s9_1_refill_metadata_when_size_missing() {
        let mut image = filled_image(Some("ascending"), MEDIA_TYPE_DOCKER_SCHEMA2);
        image.docker_image_metadata = None;
        image.docker_image_layers = vec![layer("x", 5), layer("x", 5), layer("y", 7)];
        image_with_metadata(&mut image, now()).unwrap();
        assert_eq!(names(&image.docker_image_layers), ["x", "x", "y"]);
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.id, sha(DOCKER_CONFIG.as_bytes()));
        assert_eq!(meta.size, DOCKER_CONFIG.len() as i64 + 12);
        assert_eq!(image.docker_image_metadata_version, "1.0");
    }

    // spec §9.1: nothing to do without a stored manifest.
    #[test]
    fn s9_1_no_manifest_is_a_no_op() {
        let mut image = Image {
            docker_image_layers: vec![layer("a", 1), layer("b", 2)],
            ..Default::default()
        };
        let before = image.clone();
        image_with_metadata(&mut image, now()).unwrap();
        assert_eq!(image, before);
    }

    // spec §9.1: a layer equal to the config digest is not counted twice.
    #[test]
    fn s9_1_size_skips_layer_equal_to_config() {
        let manifest = docker_manifest();
        let mut image = stored_image(&manifest, "", DOCKER_CONFIG);
        image.docker_image_layers = vec![layer(&sha(DOCKER_CONFIG.as_bytes()), 99), layer("l", 1)];
        image.metadata.annotations = Some(BTreeMap::from([(
            ANNOTATION_LAYERS_ORDER.to_owned(),
            "ascending".to_owned(),
        )]));
        image_with_metadata(&mut image, now()).unwrap();
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.size, DOCKER_CONFIG.len() as i64 + 1);
    }

    // spec §9.1: manifest and config are stripped only for manifestBlobStored "true".
    #[test]
    fn s9_1_strip_manifest_if_stored() {
        for (value, stripped) in [
            (Some("true"), true),
            (Some("false"), false),
            (Some("True"), false),
            (None, false),
        ] {
            let mut image =
                stored_image(&docker_manifest(), MEDIA_TYPE_DOCKER_SCHEMA2, DOCKER_CONFIG);
            if let Some(v) = value {
                image.metadata.annotations = Some(BTreeMap::from([(
                    ANNOTATION_MANIFEST_BLOB_STORED.to_owned(),
                    v.to_owned(),
                )]));
            }
            strip_manifest_if_stored(&mut image);
            assert_eq!(
                image.docker_image_manifest.is_empty(),
                stripped,
                "{value:?}"
            );
            assert_eq!(image.docker_image_config.is_empty(), stripped, "{value:?}");
            assert_eq!(
                image.docker_image_manifest_media_type,
                MEDIA_TYPE_DOCKER_SCHEMA2
            );
        }
    }

    // ---- Legacy child selection (spec §11.4) ----

    fn entry(digest: &str, arch: &str, os: &str, variant: &str) -> ListEntry {
        ListEntry {
            media_type: MEDIA_TYPE_OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 1,
            platform: Platform {
                architecture: arch.into(),
                os: os.into(),
                variant: variant.into(),
                os_version: String::new(),
            },
        }
    }

    #[test]
    fn s11_4_select_legacy_child_table() {
        // linux/amd64 is deliberately not first, so that its fallback differs from "first".
        let children = vec![
            entry("d-win", "amd64", "windows", ""),
            entry("d-arm64", "arm64", "linux", "v8"),
            entry("d-armv7", "arm", "linux", "v7"),
            entry("d-amd64", "amd64", "linux", ""),
        ];
        let no_amd64 = vec![
            entry("first", "arm64", "linux", "v8"),
            entry("second", "arm", "linux", "v7"),
        ];
        let pick =
            |list: &[ListEntry], arch: Option<&str>, os: Option<&str>, host: (&str, &str)| {
                select_legacy_child(list, arch, os, host.0, host.1).map(|e| e.digest.clone())
            };
        let want = |d: &str| Some(d.to_owned());
        let amd64 = ("amd64", "linux");
        let arm64 = ("arm64", "linux");
        let s390x = ("s390x", "linux");

        // Prefer annotations win over the host; a missing one defaults to the host's.
        assert_eq!(
            pick(&children, Some("arm64"), Some("linux"), amd64),
            want("d-arm64")
        );
        assert_eq!(pick(&children, Some("arm"), None, amd64), want("d-armv7"));
        assert_eq!(pick(&children, None, Some("windows"), amd64), want("d-win"));
        // Empty annotations count as absent.
        assert_eq!(pick(&children, Some(""), Some(""), arm64), want("d-arm64"));
        // Host default.
        assert_eq!(pick(&children, None, None, arm64), want("d-arm64"));
        assert_eq!(pick(&children, None, None, amd64), want("d-amd64"));
        // No match: the first linux/amd64, not the first entry.
        assert_eq!(
            pick(&children, Some("ppc64le"), None, arm64),
            want("d-amd64")
        );
        assert_eq!(pick(&children, None, None, s390x), want("d-amd64"));
        assert_eq!(
            pick(&children, Some("arm64"), Some("windows"), amd64),
            want("d-amd64")
        );
        // No linux/amd64 either: the first entry.
        assert_eq!(pick(&no_amd64, None, None, s390x), want("first"));
        assert_eq!(pick(&no_amd64, Some("arm"), None, s390x), want("second"));
        // Empty list: nothing ("no manifests in manifest list").
        assert_eq!(pick(&[], None, None, amd64), None);
    }

    // spec §11.4 and §18 item 11: the default platform is the server's own, in Go names.
    #[test]
    fn s11_4_go_platform_names() {
        for (rust, go) in [
            ("x86_64", "amd64"),
            ("x86", "386"),
            ("aarch64", "arm64"),
            ("arm", "arm"),
            ("powerpc64", "ppc64le"),
            ("s390x", "s390x"),
            ("riscv64", "riscv64"),
            ("loongarch64", "loong64"),
            ("mips64", "mips64le"),
            ("sparc64", "sparc64"),
        ] {
            assert_eq!(go_arch(rust), go, "{rust}");
        }
        assert_eq!(go_arch_with_endian("powerpc64", false), "ppc64");
        assert_eq!(go_arch_with_endian("powerpc64", true), "ppc64le");
        assert_eq!(go_arch_with_endian("mips", false), "mips");
        assert_eq!(go_os("linux"), "linux");
        assert_eq!(go_os("macos"), "darwin");
        assert_eq!(go_os("windows"), "windows");
    }

    // ---- layers index (spec §12.1) ----

    fn blob(size: Option<i64>, media_type: &str) -> ImageLayerData {
        ImageLayerData {
            size,
            media_type: media_type.to_owned(),
        }
    }

    #[test]
    fn s12_1_blob_references_docker_schema2() {
        let manifest = docker_manifest();
        let image = image_from_manifest(
            None,
            manifest.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA2,
            Some(DOCKER_CONFIG.as_bytes()),
            "r/x:1",
            now(),
        )
        .unwrap();
        let (refs, blobs) = blob_references(&image);
        let config = sha(DOCKER_CONFIG.as_bytes());
        assert_eq!(
            refs,
            ImageBlobReferences {
                image_missing: false,
                layers: Some(vec![digest_of('a'), digest_of('b'), digest_of('a')]),
                config: Some(config.clone()),
                manifests: vec![],
            }
        );
        assert_eq!(
            blobs,
            vec![
                (digest_of('a'), blob(Some(1000), MEDIA_TYPE_DOCKER_LAYER)),
                (digest_of('b'), blob(Some(2000), MEDIA_TYPE_DOCKER_LAYER)),
                (config, blob(None, MEDIA_TYPE_DOCKER_CONFIG)),
                (
                    sha(manifest.as_bytes()),
                    blob(None, MEDIA_TYPE_DOCKER_SCHEMA2)
                ),
            ]
        );
    }

    #[test]
    fn s12_1_blob_references_oci_and_schema1() {
        let manifest = oci_manifest(true);
        let image = image_from_manifest(
            None,
            manifest.as_bytes(),
            MEDIA_TYPE_OCI_MANIFEST,
            Some(OCI_CONFIG.as_bytes()),
            "r/x:1",
            now(),
        )
        .unwrap();
        let (refs, blobs) = blob_references(&image);
        assert_eq!(refs.config, Some(sha(OCI_CONFIG.as_bytes())));
        assert_eq!(
            blobs[1],
            (
                sha(OCI_CONFIG.as_bytes()),
                blob(None, MEDIA_TYPE_OCI_CONFIG)
            )
        );
        assert_eq!(
            blobs[2],
            (
                sha(manifest.as_bytes()),
                blob(None, MEDIA_TYPE_OCI_MANIFEST)
            )
        );

        let (signed, payload) = schema1_manifest();
        let image = image_from_manifest(
            None,
            signed.as_bytes(),
            MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED,
            None,
            "r/x:1",
            now(),
        )
        .unwrap();
        let (refs, blobs) = blob_references(&image);
        assert_eq!(refs.config, None, "schema 1 has no config blob");
        assert_eq!(
            refs.layers,
            Some(vec![digest_of('f'), digest_of('f'), digest_of('e')])
        );
        assert_eq!(
            blobs,
            vec![
                (
                    digest_of('f'),
                    blob(Some(700), MEDIA_TYPE_DOCKER_SCHEMA1_LAYER)
                ),
                (
                    digest_of('e'),
                    blob(Some(300), MEDIA_TYPE_DOCKER_SCHEMA1_LAYER)
                ),
                (
                    sha(payload.as_bytes()),
                    blob(None, MEDIA_TYPE_DOCKER_SCHEMA1)
                ),
            ]
        );
    }

    #[test]
    fn s12_1_blob_references_manifest_list_and_defaults() {
        let list = docker_list();
        let image = image_from_manifest(
            None,
            list.as_bytes(),
            MEDIA_TYPE_DOCKER_MANIFEST_LIST,
            None,
            "r/x",
            now(),
        )
        .unwrap();
        let (refs, blobs) = blob_references(&image);
        assert_eq!(
            refs,
            ImageBlobReferences {
                image_missing: false,
                layers: None,
                config: None,
                manifests: vec![digest_of('1'), digest_of('2'), digest_of('3')],
            }
        );
        assert_eq!(
            blobs,
            vec![(
                sha(list.as_bytes()),
                blob(None, MEDIA_TYPE_DOCKER_MANIFEST_LIST)
            )]
        );

        // No media type recorded: the manifest blob is reported as Docker schema 2, and a
        // schema 2 image's config comes from the metadata Id.
        let mut image = Image::default();
        image.metadata.name = Some(digest_of('9'));
        image.docker_image_metadata = Some(DockerImageMetadata {
            id: digest_of('8'),
            ..Default::default()
        });
        let (refs, blobs) = blob_references(&image);
        assert_eq!(refs.layers, None);
        assert_eq!(refs.config, Some(digest_of('8')));
        assert_eq!(
            blobs,
            vec![
                (digest_of('8'), blob(None, MEDIA_TYPE_DOCKER_CONFIG)),
                (digest_of('9'), blob(None, MEDIA_TYPE_DOCKER_SCHEMA2)),
            ]
        );
    }
}

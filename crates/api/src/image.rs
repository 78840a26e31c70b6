//! Wire types of the `image.openshift.io/v1` group (spec §2), serialized exactly as OpenShift does.
//!
//! Go's `omitempty` and `null` rules are reproduced field by field: an `Option` without
//! `skip_serializing_if` is a Go pointer or slice that is written as `null`, a value with
//! `skip_serializing_if` is an `omitempty` scalar. `spec.tags` and `status.tags` are kept in
//! OpenShift's internal map semantics: duplicates collapse on input (last one wins) and both
//! lists are written sorted by tag name (spec §2.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::meta::{
    ByteString, IMAGE_API_VERSION, LocalObjectReference, ObjectMeta, ObjectReference, Resource,
    Status, Time, is_empty_str, is_false, is_zero, null_as_default, ser_embedded_status,
};

/// `from.kind` of a tag that points at a registry pull spec.
pub const KIND_DOCKER_IMAGE: &str = "DockerImage";
/// `from.kind` of a tag that points at another image stream tag.
pub const KIND_IMAGE_STREAM_TAG: &str = "ImageStreamTag";
/// `from.kind` of a tag that points at an image in a stream by digest.
pub const KIND_IMAGE_STREAM_IMAGE: &str = "ImageStreamImage";

/// Import mode: import a single sub-manifest of a manifest list (spec §11.4).
pub const IMPORT_MODE_LEGACY: &str = "Legacy";
/// Import mode: keep manifest lists and import every child (spec §11.4).
pub const IMPORT_MODE_PRESERVE_ORIGINAL: &str = "PreserveOriginal";
/// Reference policy: consumers pull from the image's original location.
pub const REFERENCE_POLICY_SOURCE: &str = "Source";
/// Reference policy: consumers pull through the integrated registry.
pub const REFERENCE_POLICY_LOCAL: &str = "Local";
/// The only tag event condition type.
pub const CONDITION_IMPORT_SUCCESS: &str = "ImportSuccess";

/// Stream annotation: RFC 3339 time of the last import write (spec §13).
pub const ANNOTATION_DOCKER_REPOSITORY_CHECK: &str = "openshift.io/image.dockerRepositoryCheck";
/// Stream annotation: `"true"` makes every tag insecure (spec §13).
pub const ANNOTATION_INSECURE_REPOSITORY: &str = "openshift.io/image.insecureRepository";
/// Secret annotation: `"true"` hides a pull secret from imports (spec §11.5).
pub const ANNOTATION_EXCLUDE_SECRET: &str = "openshift.io/image.excludeSecret";
/// Image annotation: `"true"` marks images pushed to the integrated registry (spec §8).
pub const ANNOTATION_IMAGE_MANAGED: &str = "openshift.io/image.managed";
/// Image annotation: layer order of `dockerImageLayers` (spec §9.1).
pub const ANNOTATION_LAYERS_ORDER: &str = "image.openshift.io/dockerLayersOrder";
/// Image annotation: manifest and config live in registry storage (spec §9.1).
pub const ANNOTATION_MANIFEST_BLOB_STORED: &str = "image.openshift.io/manifestBlobStored";
/// Spec-tag annotation: preferred architecture for Legacy manifest-list imports (spec §11.4).
pub const ANNOTATION_PREFER_ARCH: &str = "importer.image.openshift.io/prefer-arch";
/// Spec-tag annotation: preferred OS for Legacy manifest-list imports (spec §11.4).
pub const ANNOTATION_PREFER_OS: &str = "importer.image.openshift.io/prefer-os";
/// Workload annotation holding image trigger definitions (spec §14.3).
pub const ANNOTATION_TRIGGERS: &str = "image.openshift.io/triggers";

/// An image stream: tags pointing at images, with history (spec §2.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStream {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStream`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// Desired state: the tags and where they come from.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: ImageStreamSpec,
    /// Observed state: tag history and computed repository names.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: ImageStreamStatus,
}

impl Resource for ImageStream {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageStream";
    const PLURAL: &'static str = "imagestreams";
    const NAMESPACED: bool = true;
}

/// A list of image streams.
pub type ImageStreamList = crate::meta::List<ImageStream>;

/// `ImageStream.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamSpec {
    /// Whether short names in this namespace resolve to this stream (spec §15).
    #[serde(default, deserialize_with = "null_as_default")]
    pub lookup_policy: ImageLookupPolicy,
    /// Deprecated whole-repository import source (spec §14.1).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_repository: String,
    /// Spec tags, unique by name, written sorted by name.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "ser_spec_tags",
        deserialize_with = "de_spec_tags"
    )]
    pub tags: Vec<TagReference>,
}

/// `spec.lookupPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageLookupPolicy {
    /// Resolve short names like `mysql:8` against this stream.
    #[serde(default, deserialize_with = "null_as_default")]
    pub local: bool,
}

/// One spec tag: where the tag should come from and how (spec §2.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagReference {
    /// Tag name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Annotations applied to images read through this tag; written as `null` when absent.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Source of the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ObjectReference>,
    /// `true`: point at the source, never import it.
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub reference: bool,
    /// Spec generation of the tag (spec §4.3); written as `null` when unset.
    #[serde(default)]
    pub generation: Option<i64>,
    /// How the tag is imported.
    #[serde(default, deserialize_with = "null_as_default")]
    pub import_policy: TagImportPolicy,
    /// How consumers should pull the tag's images.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reference_policy: TagReferencePolicy,
}

/// `importPolicy` of a tag or import request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagImportPolicy {
    /// Allow plain HTTP and unverified TLS.
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub insecure: bool,
    /// Re-check the source periodically (spec §14.2).
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub scheduled: bool,
    /// `Legacy`, `PreserveOriginal`, or empty (server default).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub import_mode: String,
}

/// `referencePolicy` of a tag; `type` defaults to `Source` on decode (spec §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TagReferencePolicy {
    /// `Source` or `Local`.
    #[serde(rename = "type")]
    pub type_: String,
}

impl Default for TagReferencePolicy {
    fn default() -> Self {
        TagReferencePolicy {
            type_: REFERENCE_POLICY_SOURCE.to_owned(),
        }
    }
}

impl<'de> Deserialize<'de> for TagReferencePolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default, rename = "type", deserialize_with = "null_as_default")]
            type_: String,
        }
        let raw = Raw::deserialize(d)?;
        Ok(if raw.type_.is_empty() {
            TagReferencePolicy::default()
        } else {
            TagReferencePolicy { type_: raw.type_ }
        })
    }
}

/// `ImageStream.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamStatus {
    /// Computed internal pull location (spec §4.8); always written, may be empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub docker_image_repository: String,
    /// Computed public pull location (spec §4.8).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub public_docker_image_repository: String,
    /// Tag histories, unique by tag, written sorted by tag.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "ser_status_tags",
        deserialize_with = "de_status_tags"
    )]
    pub tags: Vec<NamedTagEventList>,
}

/// The history of one tag, newest first, plus its last import failure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NamedTagEventList {
    /// Tag name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tag: String,
    /// Events, newest first; Go writes `null` when there are none.
    #[serde(default)]
    pub items: Option<Vec<TagEvent>>,
    /// Import failure conditions.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub conditions: Vec<TagEventCondition>,
}

impl NamedTagEventList {
    /// The events as a slice (empty when `items` is null).
    pub fn events(&self) -> &[TagEvent] {
        self.items.as_deref().unwrap_or(&[])
    }

    /// The newest event, if any.
    pub fn newest(&self) -> Option<&TagEvent> {
        self.events().first()
    }
}

/// One entry of a tag's history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagEvent {
    /// When the event was recorded; `null` when unset.
    #[serde(default)]
    pub created: Option<Time>,
    /// Pull spec of the image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub docker_image_reference: String,
    /// Image name (digest); empty for DockerImage reference tags.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: String,
    /// Spec generation that produced this event (spec §4.3).
    #[serde(default, deserialize_with = "null_as_default")]
    pub generation: i64,
    /// `os/architecture` strings of the image's platforms.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub platforms: Vec<String>,
}

/// An import failure recorded on a tag (spec §10.5).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagEventCondition {
    /// Always `ImportSuccess`.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// When the condition last changed; `null` when unset.
    #[serde(default)]
    pub last_transition_time: Option<Time>,
    /// Machine-readable reason (`NotFound`, `Unauthorized`, ...).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub reason: String,
    /// Human-readable message.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub message: String,
    /// Generation of the failed attempt.
    #[serde(default, deserialize_with = "null_as_default")]
    pub generation: i64,
}

/// An immutable image, named by its manifest digest (spec §2.2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `Image`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Standard metadata; the name is the manifest digest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// Pull spec of the image.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_reference: String,
    /// Docker metadata in the `image.openshift.io/1.0` encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_metadata: Option<DockerImageMetadata>,
    /// Version of `dockerImageMetadata` (`1.0`).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_metadata_version: String,
    /// Raw manifest JSON.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_manifest: String,
    /// Layers, base first.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_layers: Vec<ImageLayer>,
    /// Signatures of the image (merge key `name`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub signatures: Vec<ImageSignature>,
    /// Schema 1 signatures as opaque blobs (base64 on the wire).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    #[schemars(with = "Vec<String>")]
    pub docker_image_signatures: Vec<ByteString>,
    /// Media type of the manifest.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_manifest_media_type: String,
    /// Raw config JSON.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_config: String,
    /// Children of a manifest list.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub docker_image_manifests: Vec<ImageManifest>,
}

impl Resource for Image {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "Image";
    const PLURAL: &'static str = "images";
    const NAMESPACED: bool = false;
}

/// A list of images.
pub type ImageList = crate::meta::List<Image>;

/// One layer of an image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageLayer {
    /// Layer digest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// Size in bytes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub size: i64,
    /// Media type of the layer blob.
    #[serde(default, deserialize_with = "null_as_default")]
    pub media_type: String,
}

/// A child manifest of a manifest list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Digest of the child manifest (names an Image).
    #[serde(default, deserialize_with = "null_as_default")]
    pub digest: String,
    /// Media type of the child manifest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub media_type: String,
    /// Size of the child manifest in bytes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub manifest_size: i64,
    /// CPU architecture.
    #[serde(default, deserialize_with = "null_as_default")]
    pub architecture: String,
    /// Operating system.
    #[serde(default, deserialize_with = "null_as_default")]
    pub os: String,
    /// CPU variant.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub variant: String,
}

/// The `image.openshift.io/1.0` `DockerImage` object stored in `Image.dockerImageMetadata`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DockerImageMetadata {
    /// `DockerImage`.
    #[serde(default = "docker_image_kind")]
    pub kind: String,
    /// `image.openshift.io/1.0`.
    #[serde(rename = "apiVersion", default = "docker_image_api_version")]
    pub api_version: String,
    /// Image ID (config digest for schema 2 / OCI).
    #[serde(rename = "Id", default, deserialize_with = "null_as_default")]
    pub id: String,
    /// Parent image ID.
    #[serde(rename = "Parent", default, skip_serializing_if = "is_empty_str")]
    pub parent: String,
    /// Comment.
    #[serde(rename = "Comment", default, skip_serializing_if = "is_empty_str")]
    pub comment: String,
    /// Creation time; `null` when unknown.
    #[serde(rename = "Created", default)]
    pub created: Option<Time>,
    /// Container the image was committed from.
    #[serde(rename = "Container", default, skip_serializing_if = "is_empty_str")]
    pub container: String,
    /// Config of that container (always written, `{}` when empty).
    #[serde(
        rename = "ContainerConfig",
        default,
        deserialize_with = "null_as_default"
    )]
    pub container_config: DockerConfig,
    /// Docker version that built the image.
    #[serde(
        rename = "DockerVersion",
        default,
        skip_serializing_if = "is_empty_str"
    )]
    pub docker_version: String,
    /// Author.
    #[serde(rename = "Author", default, skip_serializing_if = "is_empty_str")]
    pub author: String,
    /// Runtime config.
    #[serde(rename = "Config", default, skip_serializing_if = "Option::is_none")]
    pub config: Option<DockerConfig>,
    /// CPU architecture.
    #[serde(rename = "Architecture", default, skip_serializing_if = "is_empty_str")]
    pub architecture: String,
    /// Image size in bytes (config + unique layers).
    #[serde(rename = "Size", default, skip_serializing_if = "is_zero")]
    pub size: i64,
}

fn docker_image_kind() -> String {
    "DockerImage".to_owned()
}

fn docker_image_api_version() -> String {
    "image.openshift.io/1.0".to_owned()
}

impl Default for DockerImageMetadata {
    fn default() -> Self {
        DockerImageMetadata {
            kind: docker_image_kind(),
            api_version: docker_image_api_version(),
            id: String::new(),
            parent: String::new(),
            comment: String::new(),
            created: None,
            container: String::new(),
            container_config: DockerConfig::default(),
            docker_version: String::new(),
            author: String::new(),
            config: None,
            architecture: String::new(),
            size: 0,
        }
    }
}

/// Docker container configuration, capitalised field names as in the Docker 1.0 API.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[allow(missing_docs)]
pub struct DockerConfig {
    #[serde(rename = "Hostname", default, skip_serializing_if = "is_empty_str")]
    pub hostname: String,
    #[serde(rename = "Domainname", default, skip_serializing_if = "is_empty_str")]
    pub domainname: String,
    #[serde(rename = "User", default, skip_serializing_if = "is_empty_str")]
    pub user: String,
    #[serde(rename = "Memory", default, skip_serializing_if = "is_zero")]
    pub memory: i64,
    #[serde(rename = "MemorySwap", default, skip_serializing_if = "is_zero")]
    pub memory_swap: i64,
    #[serde(rename = "CpuShares", default, skip_serializing_if = "is_zero")]
    pub cpu_shares: i64,
    #[serde(rename = "Cpuset", default, skip_serializing_if = "is_empty_str")]
    pub cpuset: String,
    #[serde(rename = "AttachStdin", default, skip_serializing_if = "is_false")]
    pub attach_stdin: bool,
    #[serde(rename = "AttachStdout", default, skip_serializing_if = "is_false")]
    pub attach_stdout: bool,
    #[serde(rename = "AttachStderr", default, skip_serializing_if = "is_false")]
    pub attach_stderr: bool,
    #[serde(rename = "PortSpecs", default, skip_serializing_if = "Vec::is_empty")]
    pub port_specs: Vec<String>,
    #[serde(
        rename = "ExposedPorts",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exposed_ports: BTreeMap<String, EmptyObject>,
    #[serde(rename = "Tty", default, skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(rename = "OpenStdin", default, skip_serializing_if = "is_false")]
    pub open_stdin: bool,
    #[serde(rename = "StdinOnce", default, skip_serializing_if = "is_false")]
    pub stdin_once: bool,
    #[serde(rename = "Env", default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(rename = "Dns", default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(rename = "Image", default, skip_serializing_if = "is_empty_str")]
    pub image: String,
    #[serde(
        rename = "Volumes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, EmptyObject>,
    #[serde(rename = "VolumesFrom", default, skip_serializing_if = "is_empty_str")]
    pub volumes_from: String,
    #[serde(rename = "WorkingDir", default, skip_serializing_if = "is_empty_str")]
    pub working_dir: String,
    #[serde(rename = "Entrypoint", default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(rename = "NetworkDisabled", default, skip_serializing_if = "is_false")]
    pub network_disabled: bool,
    #[serde(
        rename = "SecurityOpts",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security_opts: Vec<String>,
    #[serde(rename = "OnBuild", default, skip_serializing_if = "Vec::is_empty")]
    pub on_build: Vec<String>,
    #[serde(rename = "Labels", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// The JSON value `{}` (Go's `struct{}`), used as the value type of port and volume sets.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct EmptyObject {}

/// A signature of an image (spec §2.3). Name format `<imageName>@<signatureName>`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageSignature {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageSignature`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Standard metadata.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// Signature type; only `AtomicImageV1` is defined.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    /// The opaque signature blob (base64 on the wire).
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "String")]
    pub content: ByteString,
    /// Verification state.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub conditions: Vec<SignatureCondition>,
    /// Identity the signature claims (server-parsed).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub image_identity: String,
    /// Claims of the signature (server-parsed).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub signed_claims: BTreeMap<String, String>,
    /// Signature creation time (server-parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Time>,
    /// Issuer of the signing key (server-parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<SignatureIssuer>,
    /// Subject of the signing key (server-parsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_to: Option<SignatureSubject>,
}

impl Resource for ImageSignature {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageSignature";
    const PLURAL: &'static str = "imagesignatures";
    const NAMESPACED: bool = false;
}

/// A condition of a signature (Trusted, ForImage, Expired, Revoked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureCondition {
    /// Condition type.
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    /// Last probe; `null` when unset.
    #[serde(default)]
    pub last_probe_time: Option<Time>,
    /// Last transition; `null` when unset.
    #[serde(default)]
    pub last_transition_time: Option<Time>,
    /// Reason.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub reason: String,
    /// Message.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub message: String,
}

/// Issuer of a signing certificate or key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureIssuer {
    /// Organization name.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub organization: String,
    /// Common name.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub common_name: String,
}

/// Subject of a signing certificate or key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignatureSubject {
    /// Organization name.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub organization: String,
    /// Common name.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub common_name: String,
    /// Key id of the subject's public key (always written).
    #[serde(rename = "publicKeyID", default, deserialize_with = "null_as_default")]
    pub public_key_id: String,
}

/// The image a tag currently points at (spec §2.4, §5).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamTag {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStreamTag`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Metadata; name is `stream:tag`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// The spec tag, `null` when only pushes happened.
    #[serde(default)]
    pub tag: Option<TagReference>,
    /// Generation of the newest status event.
    #[serde(default, deserialize_with = "null_as_default")]
    pub generation: i64,
    /// Copied from the stream.
    #[serde(default, deserialize_with = "null_as_default")]
    pub lookup_policy: ImageLookupPolicy,
    /// Status conditions of the tag.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub conditions: Vec<TagEventCondition>,
    /// The image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: Image,
}

impl Resource for ImageStreamTag {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageStreamTag";
    const PLURAL: &'static str = "imagestreamtags";
    const NAMESPACED: bool = true;
}

/// A list of image stream tags.
pub type ImageStreamTagList = crate::meta::List<ImageStreamTag>;

/// Spec, status and image of one tag (spec §2.5, §6).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageTag {
    /// `image.openshift.io/v1`.
    #[serde(
        rename = "apiVersion",
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageTag`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Metadata of the stream with the name replaced by `stream:tag`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// The spec tag or `null`.
    #[serde(default)]
    pub spec: Option<TagReference>,
    /// The status tag or `null`.
    #[serde(default)]
    pub status: Option<NamedTagEventList>,
    /// The newest image or `null` (never set in lists).
    #[serde(default)]
    pub image: Option<Image>,
}

impl Resource for ImageTag {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageTag";
    const PLURAL: &'static str = "imagetags";
    const NAMESPACED: bool = true;
}

/// A list of image tags, ordered by stream then tag.
pub type ImageTagList = crate::meta::List<ImageTag>;

/// An image looked up in a stream by digest (spec §2.6, §7).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamImage {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStreamImage`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Metadata; name is `stream@id` as requested.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// The image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: Image,
}

impl Resource for ImageStreamImage {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageStreamImage";
    const PLURAL: &'static str = "imagestreamimages";
    const NAMESPACED: bool = true;
}

/// "Add image X to stream S under tag T" — how pushes land in a stream (spec §2.7, §8).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamMapping {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStreamMapping`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Name and namespace of the target stream.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// The image to create and tag.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: Image,
    /// The tag to set.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tag: String,
}

impl Resource for ImageStreamMapping {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageStreamMapping";
    const PLURAL: &'static str = "imagestreammappings";
    const NAMESPACED: bool = true;
}

/// A request to import images from a remote registry, and its result (spec §2.8, §10).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamImport {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStreamImport`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Name and namespace of the target stream.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// What to import.
    #[serde(default, deserialize_with = "null_as_default")]
    pub spec: ImageStreamImportSpec,
    /// What happened.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: ImageStreamImportStatus,
}

impl Resource for ImageStreamImport {
    const API_VERSION: &'static str = IMAGE_API_VERSION;
    const KIND: &'static str = "ImageStreamImport";
    const PLURAL: &'static str = "imagestreamimports";
    const NAMESPACED: bool = true;
}

/// `ImageStreamImport.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamImportSpec {
    /// `false` = dry run (spec §10.4).
    #[serde(default, deserialize_with = "null_as_default")]
    pub import: bool,
    /// Import a whole repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepositoryImportSpec>,
    /// Import individual images.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportSpec>,
}

/// A repository import request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryImportSpec {
    /// Repository (kind DockerImage, no tag or digest).
    #[serde(default, deserialize_with = "null_as_default")]
    pub from: ObjectReference,
    /// Import policy for every imported tag.
    #[serde(default, deserialize_with = "null_as_default")]
    pub import_policy: TagImportPolicy,
    /// Reference policy for every imported tag.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reference_policy: TagReferencePolicy,
    /// Return manifests in the response (dry runs only).
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub include_manifest: bool,
}

/// One image import request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageImportSpec {
    /// Source (kind DockerImage).
    #[serde(default, deserialize_with = "null_as_default")]
    pub from: ObjectReference,
    /// Target tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<LocalObjectReference>,
    /// Import policy.
    #[serde(default, deserialize_with = "null_as_default")]
    pub import_policy: TagImportPolicy,
    /// Reference policy.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reference_policy: TagReferencePolicy,
    /// Return the manifest in the response (dry runs only).
    #[serde(
        default,
        skip_serializing_if = "is_false",
        deserialize_with = "null_as_default"
    )]
    pub include_manifest: bool,
}

/// `ImageStreamImport.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamImportStatus {
    /// The resulting stream when `spec.import` was true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImageStream>,
    /// Result of the repository import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<RepositoryImportStatus>,
    /// Results of the image imports, index-aligned with `spec.images`.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportStatus>,
}

/// Result of a repository import.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryImportStatus {
    /// Overall outcome.
    #[serde(
        default,
        serialize_with = "ser_embedded_status",
        deserialize_with = "null_as_default"
    )]
    pub status: Status,
    /// One result per imported tag.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub images: Vec<ImageImportStatus>,
    /// Tags beyond the bulk limit (spec §10.6).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub additional_tags: Vec<String>,
}

/// Result of one image import.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImageImportStatus {
    /// `Success`, or `Failure` with reason, message and code.
    #[serde(
        default,
        serialize_with = "ser_embedded_status",
        deserialize_with = "null_as_default"
    )]
    pub status: Status,
    /// The imported image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Remote tag (empty for digest imports).
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub tag: String,
    /// Children of an imported manifest list (PreserveOriginal).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub manifests: Vec<Image>,
}

/// Layers and blobs referenced by the images of a stream (spec §2.9, §12.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageStreamLayers {
    /// `image.openshift.io/v1`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub api_version: String,
    /// `ImageStreamLayers`.
    #[serde(
        default,
        skip_serializing_if = "is_empty_str",
        deserialize_with = "null_as_default"
    )]
    pub kind: String,
    /// Copied from the stream.
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: ObjectMeta,
    /// Blob digest → size and media type.
    #[serde(default, deserialize_with = "null_as_default")]
    pub blobs: BTreeMap<String, ImageLayerData>,
    /// Image digest → its blobs.
    #[serde(default, deserialize_with = "null_as_default")]
    pub images: BTreeMap<String, ImageBlobReferences>,
}

/// Size and media type of a blob; size is `null` when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageLayerData {
    /// Size in bytes, `null` when unknown.
    #[serde(default)]
    pub size: Option<i64>,
    /// Media type.
    #[serde(default, deserialize_with = "null_as_default")]
    pub media_type: String,
}

/// The blobs one image is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageBlobReferences {
    /// The Image object is referenced by the stream but no longer exists.
    #[serde(default, deserialize_with = "null_as_default")]
    pub image_missing: bool,
    /// Layer digests, base first; `null` when none.
    #[serde(default)]
    pub layers: Option<Vec<String>>,
    /// Config digest, `null` when the image has none.
    #[serde(default)]
    pub config: Option<String>,
    /// Child manifest digests of a manifest list.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub manifests: Vec<String>,
}

/// Secrets usable for pulling, as returned by `imagestreams/{name}/secrets` (spec §2.10): a core
/// `SecretList` re-typed into the image group (`apiVersion: image.openshift.io/v1`).
pub type SecretList = crate::meta::List<k8s_openapi::api::core::v1::Secret>;

/// Serialize spec tags sorted by name (OpenShift stores them in a map).
fn ser_spec_tags<S: Serializer>(tags: &[TagReference], s: S) -> Result<S::Ok, S::Error> {
    let mut sorted: Vec<&TagReference> = tags.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    s.collect_seq(sorted)
}

/// Deserialize spec tags with map semantics: the last entry of a name wins.
fn de_spec_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TagReference>, D::Error> {
    let tags: Vec<TagReference> = null_as_default(d)?;
    Ok(collapse_by_key(tags, |t| t.name.clone()))
}

/// Serialize status tags sorted by tag.
fn ser_status_tags<S: Serializer>(tags: &[NamedTagEventList], s: S) -> Result<S::Ok, S::Error> {
    let mut sorted: Vec<&NamedTagEventList> = tags.iter().collect();
    sorted.sort_by(|a, b| a.tag.cmp(&b.tag));
    s.collect_seq(sorted)
}

/// Deserialize status tags with map semantics: the last entry of a tag wins.
fn de_status_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NamedTagEventList>, D::Error> {
    let tags: Vec<NamedTagEventList> = null_as_default(d)?;
    Ok(collapse_by_key(tags, |t| t.tag.clone()))
}

/// Keep the last item per key and return them sorted by key.
fn collapse_by_key<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut map = BTreeMap::new();
    for item in items {
        map.insert(key(&item), item);
    }
    map.into_values().collect()
}

impl ImageStreamSpec {
    /// The spec tag with this name.
    pub fn tag(&self, name: &str) -> Option<&TagReference> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The spec tag with this name, mutably.
    pub fn tag_mut(&mut self, name: &str) -> Option<&mut TagReference> {
        self.tags.iter_mut().find(|t| t.name == name)
    }

    /// Insert or replace a spec tag, keeping the list sorted by name.
    pub fn set_tag(&mut self, tag: TagReference) {
        if let Some(existing) = self.tag_mut(&tag.name) {
            *existing = tag;
        } else {
            let i = self.tags.partition_point(|t| t.name < tag.name);
            self.tags.insert(i, tag);
        }
    }

    /// Remove a spec tag; returns it if it existed.
    pub fn remove_tag(&mut self, name: &str) -> Option<TagReference> {
        let i = self.tags.iter().position(|t| t.name == name)?;
        Some(self.tags.remove(i))
    }
}

impl ImageStreamStatus {
    /// The status tag with this name.
    pub fn tag(&self, name: &str) -> Option<&NamedTagEventList> {
        self.tags.iter().find(|t| t.tag == name)
    }

    /// The status tag with this name, mutably.
    pub fn tag_mut(&mut self, name: &str) -> Option<&mut NamedTagEventList> {
        self.tags.iter_mut().find(|t| t.tag == name)
    }

    /// The status tag with this name, created empty (sorted position) when missing.
    pub fn tag_entry(&mut self, name: &str) -> &mut NamedTagEventList {
        let i = match self.tags.iter().position(|t| t.tag == name) {
            Some(i) => i,
            None => {
                let i = self.tags.partition_point(|t| t.tag.as_str() < name);
                let entry = NamedTagEventList {
                    tag: name.to_owned(),
                    ..Default::default()
                };
                self.tags.insert(i, entry);
                i
            }
        };
        &mut self.tags[i]
    }

    /// Remove a status tag; returns it if it existed.
    pub fn remove_tag(&mut self, name: &str) -> Option<NamedTagEventList> {
        let i = self.tags.iter().position(|t| t.tag == name)?;
        Some(self.tags.remove(i))
    }
}

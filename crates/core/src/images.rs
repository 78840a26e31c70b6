//! Image create/update strategies (§9.1–9.2) and the signature list of an Image (§9.3) as pure
//! functions: what the server keeps, restores and rejects before writing an Image.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use tagplane_api::image::{Image, ImageSignature};
use tagplane_api::meta::Resource;

use crate::manifest::{
    Manifest, ManifestError, detect_media_type, image_with_metadata, parse_manifest, sha256_digest,
    strip_manifest_if_stored,
};

/// Deprecated signature annotation the server removes from every signature on every write.
pub const ANNOTATION_MANAGED_SIGNATURE: &str = "image.openshift.io/managed-signature";

fn image_name(image: &Image) -> &str {
    image.metadata.name.as_deref().unwrap_or("")
}

/// The media type `image`'s stored manifest is parsed as: the recorded one, else sniffed.
fn manifest_media_type(image: &Image, manifest: &[u8]) -> String {
    if image.docker_image_manifest_media_type.is_empty() {
        detect_media_type(manifest, None)
    } else {
        image.docker_image_manifest_media_type.clone()
    }
}

/// Whether `manifest` names `image`: parsed as the image's media type, its digest (of the
/// canonical, signature-less payload for schema 1) equals the image name (§9.2).
pub fn manifest_matches_image(image: &Image, manifest: &str) -> bool {
    let bytes = manifest.as_bytes();
    match parse_manifest(bytes, &manifest_media_type(image, bytes)) {
        Ok(m) => m.digest(bytes) == image_name(image),
        Err(_) => false,
    }
}

/// Whether `config` hashes to the config digest of `image`'s (schema 2 / OCI) manifest (§9.2).
/// Images without a manifest, or whose manifest has no config, accept no config.
pub fn config_matches_manifest(image: &Image, config: &str) -> bool {
    let bytes = image.docker_image_manifest.as_bytes();
    match parse_manifest(bytes, &manifest_media_type(image, bytes)) {
        Ok(Manifest::Schema2(m)) => m.config.digest == sha256_digest(config.as_bytes()),
        _ => false,
    }
}

/// Drop [`ANNOTATION_MANAGED_SIGNATURE`] from every signature (and empty annotation maps).
pub fn remove_managed_signature_annotation(image: &mut Image) {
    for sig in &mut image.signatures {
        if let Some(a) = &mut sig.metadata.annotations {
            a.remove(ANNOTATION_MANAGED_SIGNATURE);
            if a.is_empty() {
                sig.metadata.annotations = None;
            }
        }
    }
}

/// The Image create strategy (§9.1): cluster-scoped (namespace dropped), metadata filled from
/// the manifest, manifest and config stripped when stored as registry blobs, managed-signature
/// annotations removed.
///
/// The image is prepared either way; a metadata-extraction error is returned for the caller to
/// log, never to fail the request ("errors are logged, not returned").
pub fn prepare_image_for_create(image: &mut Image, now: Timestamp) -> Option<ManifestError> {
    image.metadata.namespace = None;
    let error = image_with_metadata(image, now).err();
    strip_manifest_if_stored(image);
    remove_managed_signature_annotation(image);
    error
}

/// The Image update strategy (§9.2) turning the requested `new` into what is written over `old`:
///
/// - identity is kept: name, UID and `creationTimestamp` of `old`; no namespace, no managed
///   fields;
/// - `dockerImageMetadata`, `dockerImageMetadataVersion`, `dockerImageLayers` and
///   `dockerImageSignatures` are immutable and silently restored;
/// - a changed, non-empty `dockerImageManifest` is kept only if it hashes to the image name (see
///   [`manifest_matches_image`]), else silently reverted;
/// - a changed, non-empty `dockerImageConfig` is kept only if it hashes to the config digest of
///   the (resulting) manifest (see [`config_matches_manifest`]), else silently reverted;
/// - then metadata is refreshed, stored blobs stripped and managed-signature annotations removed
///   as on create.
///
/// Like [`prepare_image_for_create`], a metadata-extraction error is only reported.
pub fn prepare_image_for_update(
    new: &mut Image,
    old: &Image,
    now: Timestamp,
) -> Option<ManifestError> {
    new.metadata.uid = old.metadata.uid.clone();
    new.metadata.creation_timestamp = old.metadata.creation_timestamp.clone();
    new.metadata.name = old.metadata.name.clone();
    new.metadata.namespace = None;
    new.metadata.managed_fields = None;
    new.docker_image_metadata = old.docker_image_metadata.clone();
    new.docker_image_metadata_version = old.docker_image_metadata_version.clone();
    new.docker_image_layers = old.docker_image_layers.clone();
    new.docker_image_signatures = old.docker_image_signatures.clone();
    if new.docker_image_manifest != old.docker_image_manifest
        && !new.docker_image_manifest.is_empty()
        && !manifest_matches_image(old, &new.docker_image_manifest)
    {
        new.docker_image_manifest = old.docker_image_manifest.clone();
    }
    if new.docker_image_config != old.docker_image_config
        && !new.docker_image_config.is_empty()
        && !config_matches_manifest(new, &new.docker_image_config)
    {
        new.docker_image_config = old.docker_image_config.clone();
    }
    let error = image_with_metadata(new, now).err();
    strip_manifest_if_stored(new);
    remove_managed_signature_annotation(new);
    error
}

// ------------------------------------------------------------------ ImageSignature (§9.3)

/// Split a signature name `<image>@<signature>`: exactly one `@`, both parts non-empty.
pub fn split_signature_name(name: &str) -> Option<(&str, &str)> {
    let mut parts = name.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(i), Some(s), None) if !i.is_empty() && !s.is_empty() => Some((i, s)),
        _ => None,
    }
}

/// The ImageSignature create strategy (§9.3): the server clears the namespace, the conditions
/// and every server-parsed field (identity, claims, created, issuer, subject).
pub fn prepare_signature_for_create(sig: &mut ImageSignature) {
    sig.metadata.namespace = None;
    sig.conditions.clear();
    sig.image_identity.clear();
    sig.signed_claims = BTreeMap::new();
    sig.created = None;
    sig.issued_by = None;
    sig.issued_to = None;
}

/// Why a signature cannot be added to or removed from an Image (§9.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A signature with the same name, or with the same type and content, exists (409).
    #[error("the signature already exists")]
    AlreadyExists,
    /// No signature of that name (404).
    #[error("the signature does not exist")]
    NotFound,
}

/// Append `sig` to `image`'s signatures (§9.3): refused when a signature with the same name, or
/// with the same type *and* content, is already there. Type metadata is not stored inside the
/// Image.
pub fn add_signature(image: &mut Image, mut sig: ImageSignature) -> Result<(), SignatureError> {
    let duplicate = image.signatures.iter().any(|s| {
        s.metadata.name == sig.metadata.name || (s.type_ == sig.type_ && s.content == sig.content)
    });
    if duplicate {
        return Err(SignatureError::AlreadyExists);
    }
    sig.api_version.clear();
    sig.kind.clear();
    image.signatures.push(sig);
    Ok(())
}

/// Remove the signature called `name` from `image` (§9.3) and return it.
pub fn remove_signature(image: &mut Image, name: &str) -> Result<ImageSignature, SignatureError> {
    let i = image
        .signatures
        .iter()
        .position(|s| s.metadata.name.as_deref() == Some(name))
        .ok_or(SignatureError::NotFound)?;
    Ok(image.signatures.remove(i))
}

/// The signature `name` as stored in `image`, with its type metadata, as create answers it
/// (§9.3).
pub fn stored_signature(image: &Image, name: &str) -> Option<ImageSignature> {
    let mut sig = image
        .signatures
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(name))?
        .clone();
    sig.api_version = ImageSignature::API_VERSION.into();
    sig.kind = ImageSignature::KIND.into();
    Some(sig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use tagplane_api::image::{
        ANNOTATION_MANIFEST_BLOB_STORED, DockerImageMetadata, ImageLayer, SignatureCondition,
    };
    use tagplane_api::meta::ObjectMeta;

    use crate::testutil::at;

    const CONFIG: &str = r#"{"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","config":{"Env":["PATH=/usr/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]}}"#;
    const LAYER: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    fn manifest_for(config: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{},"digest":"{}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1000,"digest":"{LAYER}"}}]}}"#,
            config.len(),
            sha256_digest(config.as_bytes()),
        )
    }

    /// An Image as created from `manifest` and `config`, named by the manifest digest.
    fn created(manifest: &str, config: &str) -> Image {
        let mut image = Image {
            metadata: ObjectMeta {
                name: Some(sha256_digest(manifest.as_bytes())),
                uid: Some("uid-1".into()),
                creation_timestamp: Some(at(5)),
                resource_version: Some("3".into()),
                ..Default::default()
            },
            docker_image_reference: "quay.io/org/app@sha256:x".into(),
            docker_image_manifest: manifest.into(),
            docker_image_config: config.into(),
            ..Default::default()
        };
        assert_eq!(prepare_image_for_create(&mut image, now()), None);
        image
    }

    fn sig(name: &str, type_: &str, content: &[u8]) -> ImageSignature {
        ImageSignature {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            type_: type_.into(),
            content: ByteString(content.to_vec()),
            ..Default::default()
        }
    }

    /// §9.1: create fills metadata from the manifest, drops the namespace and the deprecated
    /// managed-signature annotation, strips stored blobs; a metadata error is only reported.
    #[test]
    fn s9_1_create_strategy() {
        let manifest = manifest_for(CONFIG);
        let image = created(&manifest, CONFIG);
        let meta = image.docker_image_metadata.as_ref().unwrap();
        assert_eq!(meta.id, sha256_digest(CONFIG.as_bytes()));
        assert_eq!(image.docker_image_layers.len(), 1);
        assert_eq!(image.docker_image_metadata_version, "1.0");

        let mut stored = Image {
            metadata: ObjectMeta {
                name: Some(sha256_digest(manifest.as_bytes())),
                namespace: Some("ns".into()),
                annotations: Some([(ANNOTATION_MANIFEST_BLOB_STORED.into(), "true".into())].into()),
                ..Default::default()
            },
            docker_image_manifest: manifest.clone(),
            docker_image_config: CONFIG.into(),
            signatures: vec![ImageSignature {
                metadata: ObjectMeta {
                    annotations: Some(
                        [(ANNOTATION_MANAGED_SIGNATURE.into(), "true".into())].into(),
                    ),
                    ..Default::default()
                },
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(prepare_image_for_create(&mut stored, now()), None);
        assert!(stored.metadata.namespace.is_none());
        assert!(stored.docker_image_manifest.is_empty() && stored.docker_image_config.is_empty());
        assert!(
            stored.docker_image_metadata.is_some(),
            "filled before stripping"
        );
        assert!(stored.signatures[0].metadata.annotations.is_none());

        let mut broken = Image {
            docker_image_manifest: "{not json".into(),
            ..Default::default()
        };
        assert!(prepare_image_for_create(&mut broken, now()).is_some());
        assert_eq!(
            broken.docker_image_manifest, "{not json",
            "kept, error reported"
        );
    }

    /// §9.2: metadata, metadata version, layers and dockerImageSignatures are immutable and
    /// silently restored; identity comes from the stored image.
    #[test]
    fn s9_2_immutable_fields_restored() {
        let manifest = manifest_for(CONFIG);
        let old = created(&manifest, CONFIG);
        let mut new = old.clone();
        new.metadata.name = Some("other".into());
        new.metadata.uid = Some("uid-2".into());
        new.metadata.namespace = Some("ns".into());
        new.metadata.creation_timestamp = Some(at(99));
        new.docker_image_metadata = Some(DockerImageMetadata {
            id: "forged".into(),
            ..Default::default()
        });
        new.docker_image_metadata_version = "9.9".into();
        new.docker_image_layers = vec![ImageLayer {
            name: "sha256:forged".into(),
            size: 1,
            media_type: "x/y".into(),
        }];
        new.docker_image_signatures = vec![ByteString(b"forged".to_vec())];
        new.docker_image_reference = "quay.io/org/app:moved".into();
        assert_eq!(prepare_image_for_update(&mut new, &old, now()), None);
        assert_eq!(new.metadata.name, old.metadata.name);
        assert_eq!(new.metadata.uid.as_deref(), Some("uid-1"));
        assert_eq!(new.metadata.creation_timestamp, Some(at(5)));
        assert!(new.metadata.namespace.is_none());
        assert_eq!(new.docker_image_metadata, old.docker_image_metadata);
        assert_eq!(new.docker_image_metadata_version, "1.0");
        assert_eq!(new.docker_image_layers, old.docker_image_layers);
        assert!(new.docker_image_signatures.is_empty());
        assert_eq!(
            new.docker_image_reference, "quay.io/org/app:moved",
            "mutable fields are kept"
        );
    }

    /// §9.2: a new manifest is accepted only if its digest is the image name; otherwise the
    /// stored one comes back. Clearing it is allowed.
    #[test]
    fn s9_2_manifest_must_hash_to_the_name() {
        let manifest = manifest_for(CONFIG);
        // An image whose manifest was stripped (pushed through the registry) gets it back.
        let mut old = created(&manifest, CONFIG);
        old.docker_image_manifest.clear();
        old.docker_image_config.clear();
        let mut new = old.clone();
        new.docker_image_manifest = manifest.clone();
        prepare_image_for_update(&mut new, &old, now());
        assert_eq!(new.docker_image_manifest, manifest);
        assert!(manifest_matches_image(&old, &manifest));

        // A different manifest (same shape, other config) is silently reverted.
        let other = manifest_for(r#"{"architecture":"arm64","os":"linux"}"#);
        assert!(!manifest_matches_image(&old, &other));
        assert!(!manifest_matches_image(&old, "garbage"));
        let mut new = old.clone();
        new.docker_image_manifest = other;
        prepare_image_for_update(&mut new, &old, now());
        assert!(new.docker_image_manifest.is_empty());

        // Same bytes re-indented hash differently: reverted too.
        let full = created(&manifest, CONFIG);
        let mut new = full.clone();
        new.docker_image_manifest = format!(" {manifest}");
        prepare_image_for_update(&mut new, &full, now());
        assert_eq!(new.docker_image_manifest, manifest);

        let mut new = full.clone();
        new.docker_image_manifest.clear();
        prepare_image_for_update(&mut new, &full, now());
        assert!(new.docker_image_manifest.is_empty(), "clearing is allowed");
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

    /// A signed schema 1 manifest (libtrust JWS spliced in) and its canonical payload.
    fn schema1() -> (String, String) {
        let v1 = serde_json::to_string(
            r#"{"id":"abc","created":"2016-02-03T04:05:06Z","architecture":"amd64","os":"linux","Size":300}"#,
        )
        .unwrap();
        let payload = format!(
            "{{\n   \"schemaVersion\": 1,\n   \"name\": \"library/x\",\n   \"tag\": \"1\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [\n      {{\n         \"blobSum\": \"{LAYER}\"\n      }}\n   ],\n   \"history\": [\n      {{\n         \"v1Compatibility\": {v1}\n      }}\n   ]\n}}"
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
            ",\n   \"signatures\": [\n      {{\n         \"header\": {{\"alg\": \"ES256\"}},\n         \"signature\": \"c2ln\",\n         \"protected\": \"{protected}\"\n      }}\n   ]"
        );
        let signed = format!("{}{}{}", &payload[..format_length], signatures, tail);
        (signed, payload)
    }

    /// §9.2: for schema 1 the *canonical* (signature-less) payload must hash to the name: a
    /// re-signed manifest is accepted although its own bytes hash differently.
    #[test]
    fn s9_2_schema1_canonical_form() {
        let (signed, payload) = schema1();
        let name = sha256_digest(payload.as_bytes());
        assert_ne!(sha256_digest(signed.as_bytes()), name);
        let old = Image {
            metadata: ObjectMeta {
                name: Some(name),
                ..Default::default()
            },
            docker_image_manifest_media_type: crate::manifest::MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED
                .into(),
            ..Default::default()
        };
        assert!(manifest_matches_image(&old, &signed));
        let mut new = old.clone();
        new.docker_image_manifest = signed.clone();
        prepare_image_for_update(&mut new, &old, now());
        assert_eq!(new.docker_image_manifest, signed, "kept");
        // A signed manifest of other content is reverted.
        let other = signed.replace("library/x", "library/y");
        assert!(!manifest_matches_image(&old, &other));
    }

    /// §9.2: a new config is accepted only if it hashes to the config digest in the manifest.
    #[test]
    fn s9_2_config_must_hash_to_the_manifest_config() {
        let manifest = manifest_for(CONFIG);
        let mut old = created(&manifest, CONFIG);
        old.docker_image_config.clear();
        assert!(config_matches_manifest(&old, CONFIG));
        assert!(!config_matches_manifest(&old, "{}"));
        let mut new = old.clone();
        new.docker_image_config = CONFIG.into();
        prepare_image_for_update(&mut new, &old, now());
        assert_eq!(new.docker_image_config, CONFIG);
        let mut new = old.clone();
        new.docker_image_config = r#"{"os":"linux"}"#.into();
        prepare_image_for_update(&mut new, &old, now());
        assert!(new.docker_image_config.is_empty(), "reverted");
        // No manifest: no config digest to match.
        let bare = Image::default();
        assert!(!config_matches_manifest(&bare, CONFIG));
    }

    /// §9.3: signature names are `<image>@<signature>` with exactly one `@`.
    #[test]
    fn s9_3_signature_names() {
        assert_eq!(
            split_signature_name("sha256:a@s1"),
            Some(("sha256:a", "s1"))
        );
        for bad in ["", "x", "@s", "i@", "i@s@t"] {
            assert_eq!(split_signature_name(bad), None, "{bad}");
        }
    }

    /// §9.3: create clears conditions and every server-parsed field.
    #[test]
    fn s9_3_create_strategy() {
        let mut s = sig("i@s", "AtomicImageV1", b"blob");
        s.metadata.namespace = Some("ns".into());
        s.conditions = vec![SignatureCondition {
            type_: "Trusted".into(),
            status: "True".into(),
            ..Default::default()
        }];
        s.image_identity = "quay.io/x".into();
        s.signed_claims = [("a".into(), "b".into())].into();
        s.created = Some(at(1));
        s.issued_by = Some(Default::default());
        s.issued_to = Some(Default::default());
        prepare_signature_for_create(&mut s);
        assert_eq!(s, {
            let mut clean = sig("i@s", "AtomicImageV1", b"blob");
            clean.metadata.namespace = None;
            clean
        });
    }

    /// §9.3: 409 when a signature with the same name *or* the same type and content exists;
    /// delete removes by name, 404 when absent; create answers the stored signature.
    #[test]
    fn s9_3_signature_list() {
        let mut image = Image::default();
        let mut first = sig("i@a", "AtomicImageV1", b"one");
        first.api_version = "image.openshift.io/v1".into();
        first.kind = "ImageSignature".into();
        add_signature(&mut image, first).unwrap();
        assert!(
            image.signatures[0].kind.is_empty(),
            "no type metadata inside an Image"
        );
        assert_eq!(
            add_signature(&mut image, sig("i@a", "Other", b"two")),
            Err(SignatureError::AlreadyExists),
            "same name"
        );
        assert_eq!(
            add_signature(&mut image, sig("i@b", "AtomicImageV1", b"one")),
            Err(SignatureError::AlreadyExists),
            "same type and content"
        );
        add_signature(&mut image, sig("i@c", "Other", b"one")).unwrap();
        add_signature(&mut image, sig("i@d", "AtomicImageV1", b"two")).unwrap();
        assert_eq!(image.signatures.len(), 3);

        let shown = stored_signature(&image, "i@c").unwrap();
        assert_eq!(shown.kind, "ImageSignature");
        assert_eq!(shown.api_version, "image.openshift.io/v1");
        assert_eq!(stored_signature(&image, "i@zz"), None);

        let removed = remove_signature(&mut image, "i@c").unwrap();
        assert_eq!(removed.type_, "Other");
        assert_eq!(image.signatures.len(), 2);
        assert_eq!(
            remove_signature(&mut image, "i@c"),
            Err(SignatureError::NotFound)
        );
        // After removal, the same content may be added again under a new name.
        add_signature(&mut image, sig("i@e", "Other", b"one")).unwrap();
    }
}

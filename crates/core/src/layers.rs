//! The `imagestreams/{name}/layers` view (§12.1) and tag deletion through istag/itag (§5.6).

use std::collections::BTreeMap;

use tagplane_api::image::{Image, ImageBlobReferences, ImageStream, ImageStreamLayers};
use tagplane_api::meta::IMAGE_API_VERSION;

use crate::manifest::blob_references;

/// Build the layers view of `stream` (§12.1): every image referenced by a status event, plus the
/// children of manifest lists (recursively), with their blobs. `lookup` returns the Image object
/// for a digest; a missing one is reported with `imageMissing: true`.
pub fn image_stream_layers(
    stream: &ImageStream,
    lookup: &dyn Fn(&str) -> Option<Image>,
) -> ImageStreamLayers {
    let mut out = ImageStreamLayers {
        api_version: IMAGE_API_VERSION.to_owned(),
        kind: "ImageStreamLayers".to_owned(),
        metadata: stream.metadata.clone(),
        blobs: BTreeMap::new(),
        images: BTreeMap::new(),
    };
    let mut pending: Vec<String> = Vec::new();
    for t in &stream.status.tags {
        pending.extend(
            t.events()
                .iter()
                .filter(|e| !e.image.is_empty())
                .map(|e| e.image.clone()),
        );
    }
    while let Some(digest) = pending.pop() {
        if out.images.contains_key(&digest) {
            continue;
        }
        let Some(image) = lookup(&digest) else {
            let missing = ImageBlobReferences {
                image_missing: true,
                ..Default::default()
            };
            out.images.insert(digest, missing);
            continue;
        };
        let (refs, blobs) = blob_references(&image);
        for (blob, data) in blobs {
            out.blobs.entry(blob).or_insert(data);
        }
        pending.extend(refs.manifests.iter().cloned());
        out.images.insert(digest, refs);
    }
    out
}

/// Delete a tag through `imagestreamtags`/`imagetags` (§5.6, §6): removes both the spec tag and
/// the status tag. Returns `false` when neither existed (the caller answers 404).
pub fn delete_tag(stream: &mut ImageStream, tag: &str) -> bool {
    let spec = stream.spec.remove_tag(tag).is_some();
    let status = stream.status.remove_tag(tag).is_some();
    spec || status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generation::prepare_for_update;
    use crate::repository::RegistryHostnames;
    use crate::tag_event::add_tag_event;
    use crate::testutil::*;
    use tagplane_api::image::{DockerImageMetadata, ImageLayer, ImageManifest};
    use tagplane_api::meta::ObjectMeta;

    const LIST: &str = "sha256:aaaa000000000000000000000000000000000000000000000000000000000001";
    const CHILD: &str = "sha256:bbbb000000000000000000000000000000000000000000000000000000000002";
    const GONE: &str = "sha256:dead000000000000000000000000000000000000000000000000000000000000";
    const LAYER: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const CONFIG: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn images(d: &str) -> Option<Image> {
        let meta = ObjectMeta {
            name: Some(d.into()),
            ..Default::default()
        };
        match d {
            LIST => Some(Image {
                metadata: meta,
                docker_image_manifest_media_type: "application/vnd.oci.image.index.v1+json".into(),
                docker_image_manifests: vec![ImageManifest {
                    digest: CHILD.into(),
                    media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                    manifest_size: 10,
                    architecture: "amd64".into(),
                    os: "linux".into(),
                    variant: String::new(),
                }],
                ..Default::default()
            }),
            CHILD => Some(Image {
                metadata: meta,
                docker_image_manifest_media_type: "application/vnd.oci.image.manifest.v1+json"
                    .into(),
                docker_image_layers: vec![ImageLayer {
                    name: LAYER.into(),
                    size: 42,
                    media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                }],
                docker_image_metadata: Some(DockerImageMetadata {
                    id: CONFIG.into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            _ => None,
        }
    }

    /// §12.1: list images pull in their children; blobs include layers, config and manifests;
    /// missing images are flagged.
    #[test]
    fn s12_1_layers_view() {
        let mut s = stream("ns", "app");
        add_tag_event(
            &mut s,
            "multi",
            event_at(&format!("q/a@{LIST}"), LIST, 1, 1),
        );
        add_tag_event(&mut s, "gone", event_at(&format!("q/a@{GONE}"), GONE, 1, 1));
        add_tag_event(&mut s, "ref", event_at("q/a:1", "", 1, 1));
        let l = image_stream_layers(&s, &images);
        assert_eq!(l.images.len(), 3);
        assert_eq!(l.images[LIST].manifests, vec![CHILD.to_owned()]);
        assert_eq!(
            l.images[CHILD].layers.as_deref(),
            Some(&[LAYER.to_owned()][..])
        );
        assert_eq!(l.images[CHILD].config.as_deref(), Some(CONFIG));
        assert!(l.images[GONE].image_missing);
        assert_eq!(l.blobs[LAYER].size, Some(42));
        assert_eq!(l.blobs[CONFIG].size, None);
        assert!(
            l.blobs.contains_key(LIST) && l.blobs.contains_key(CHILD),
            "manifests are blobs too"
        );
        assert_eq!(l.metadata.name.as_deref(), Some("app"));
    }

    /// §5.6 and §18 item 6: istag/itag DELETE removes spec and status; a plain spec-tag removal
    /// keeps the status history.
    #[test]
    fn s5_6_delete_vs_spec_removal() {
        let mut s = stream("ns", "app");
        s.spec.set_tag(spec_tag("t", "DockerImage", "q/a:1"));
        add_tag_event(&mut s, "t", event_at("q/a@sha256:1", "sha256:1", 1, 1));
        let mut edited = s.clone();
        edited.spec.remove_tag("t");
        prepare_for_update(&mut edited, &s, &RegistryHostnames::default());
        assert!(edited.spec.tag("t").is_none());
        assert!(
            edited.status.tag("t").is_some(),
            "status survives a spec edit"
        );
        let mut d = s.clone();
        assert!(delete_tag(&mut d, "t"));
        assert!(d.spec.tag("t").is_none() && d.status.tag("t").is_none());
        assert!(!delete_tag(&mut d, "t"), "404 when neither exists");
    }
}

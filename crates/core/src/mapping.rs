//! ImageStreamMapping (§8): how a pushed image lands in a stream's status.

use tagplane_api::image::{
    ANNOTATION_IMAGE_MANAGED, Image, ImageStream, ImageStreamMapping, TagEvent,
};
use tagplane_api::meta::Time;

use crate::repository::RegistryHostnames;
use crate::tag_event::{add_tag_event, update_tracking_tags};

/// Strategy step of §8.1: default an empty `image.dockerImageReference` to
/// `<internal>/<ns>/<stream>@<image>` when an internal registry is configured, and drop
/// signatures.
pub fn prepare_mapping(mapping: &mut ImageStreamMapping, hosts: &RegistryHostnames) {
    if mapping.image.docker_image_reference.is_empty()
        && let Some(host) = hosts.internal()
    {
        mapping.image.docker_image_reference = format!(
            "{host}/{}/{}@{}",
            mapping.metadata.namespace.as_deref().unwrap_or(""),
            mapping.metadata.name.as_deref().unwrap_or(""),
            mapping.image.metadata.name.as_deref().unwrap_or("")
        );
    }
    mapping.image.signatures.clear();
}

fn is_managed(image: &Image) -> bool {
    image
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_IMAGE_MANAGED))
        .is_some_and(|v| v == "true")
}

/// The pull spec recorded for a mapping (§8.5): the image's own reference, except when the Image
/// already existed and the submitted image is managed — then this stream's repository (status,
/// else spec) with the digest.
pub fn mapping_pull_spec(
    stream: &ImageStream,
    mapping: &ImageStreamMapping,
    image_existed: bool,
) -> String {
    if image_existed && is_managed(&mapping.image) {
        let repo = if stream.status.docker_image_repository.is_empty() {
            &stream.spec.docker_image_repository
        } else {
            &stream.status.docker_image_repository
        };
        if !repo.is_empty() {
            return format!(
                "{repo}@{}",
                mapping.image.metadata.name.as_deref().unwrap_or("")
            );
        }
    }
    mapping.image.docker_image_reference.clone()
}

/// Apply a mapping to the stream (§8.6): add the event with `metadata.generation` and refresh
/// tracking tags. Returns whether the status changed (the caller then writes the status).
pub fn apply_mapping(
    stream: &mut ImageStream,
    mapping: &ImageStreamMapping,
    image_existed: bool,
    now: &Time,
) -> bool {
    let event = TagEvent {
        created: Some(now.clone()),
        docker_image_reference: mapping_pull_spec(stream, mapping, image_existed),
        image: mapping.image.metadata.name.clone().unwrap_or_default(),
        generation: stream.metadata.generation.unwrap_or(0),
        platforms: vec![],
    };
    let changed = add_tag_event(stream, &mapping.tag, event.clone());
    let tracked = update_tracking_tags(stream, &mapping.tag, &event);
    changed || tracked > 0
}

/// Whether a conflicting write left the tag's head as we saw it (ignoring generation and
/// created), in which case the mapping is simply retried (§8.6).
pub fn mapping_head_unchanged(seen: &ImageStream, current: &ImageStream, tag: &str) -> bool {
    let head = |s: &ImageStream| {
        s.status
            .tag(tag)
            .and_then(|t| t.newest())
            .map(|e| (e.docker_image_reference.clone(), e.image.clone()))
    };
    head(seen) == head(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use std::collections::BTreeMap;
    use tagplane_api::meta::ObjectMeta;

    const D: &str = "sha256:cccc333333333333333333333333333333333333333333333333333333333333";

    fn mapping(managed: bool) -> ImageStreamMapping {
        let mut image = Image {
            metadata: ObjectMeta {
                name: Some(D.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        if managed {
            image.metadata.annotations = Some(BTreeMap::from([(
                ANNOTATION_IMAGE_MANAGED.into(),
                "true".into(),
            )]));
        }
        ImageStreamMapping {
            metadata: ObjectMeta {
                namespace: Some("ns".into()),
                name: Some("app".into()),
                ..Default::default()
            },
            image,
            tag: "latest".into(),
            ..Default::default()
        }
    }

    /// §8.1: default pull spec and dropped signatures.
    #[test]
    fn s8_1_prepare() {
        let mut m = mapping(false);
        m.image.signatures.push(Default::default());
        prepare_mapping(&mut m, &RegistryHostnames::default());
        assert_eq!(m.image.docker_image_reference, "");
        assert!(m.image.signatures.is_empty());
        let hosts = RegistryHostnames {
            internal: Some("registry.local:5000".into()),
            public: None,
        };
        prepare_mapping(&mut m, &hosts);
        assert_eq!(
            m.image.docker_image_reference,
            format!("registry.local:5000/ns/app@{D}")
        );
    }

    /// §8.5–8.6: event with metadata.generation, managed re-push rewrites to this stream, trackers.
    #[test]
    fn s8_apply_mapping() {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(5);
        s.status.docker_image_repository = "registry.local:5000/ns/app".into();
        s.spec
            .set_tag(spec_tag("alias", "ImageStreamTag", "latest"));
        let mut m = mapping(true);
        m.image.docker_image_reference = format!("registry.local:5000/other/src@{D}");
        assert!(apply_mapping(&mut s, &m, false, &at(10)));
        let head = s.status.tag("latest").unwrap().newest().unwrap().clone();
        assert_eq!(
            head.docker_image_reference,
            format!("registry.local:5000/other/src@{D}")
        );
        assert_eq!(head.generation, 5);
        assert_eq!(head.created, Some(at(10)));
        assert_eq!(s.status.tag("alias").unwrap().newest().unwrap().image, D);
        // the image existed and is managed → this stream's repository
        let mut s2 = stream("ns", "app");
        s2.status.docker_image_repository = "registry.local:5000/ns/app".into();
        apply_mapping(&mut s2, &m, true, &at(10));
        assert_eq!(
            s2.status
                .tag("latest")
                .unwrap()
                .newest()
                .unwrap()
                .docker_image_reference,
            format!("registry.local:5000/ns/app@{D}")
        );
        // existed but not managed → image's own reference
        let mut s3 = stream("ns", "app");
        s3.status.docker_image_repository = "registry.local:5000/ns/app".into();
        let mut unmanaged = mapping(false);
        unmanaged.image.docker_image_reference = "quay.io/x@sha256:1".into();
        apply_mapping(&mut s3, &unmanaged, true, &at(10));
        assert_eq!(
            s3.status
                .tag("latest")
                .unwrap()
                .newest()
                .unwrap()
                .docker_image_reference,
            "quay.io/x@sha256:1"
        );
        // same mapping again is a no-op
        assert!(!apply_mapping(&mut s3, &unmanaged, true, &at(11)));
    }

    #[test]
    fn s8_6_conflict_retry_rule() {
        let mut a = stream("ns", "app");
        add_tag_event(&mut a, "latest", event_at("r@sha256:1", "sha256:1", 1, 1));
        let mut b = a.clone();
        b.status.tag_mut("latest").unwrap().items.as_mut().unwrap()[0].generation = 9;
        assert!(mapping_head_unchanged(&a, &b, "latest"));
        add_tag_event(&mut b, "latest", event_at("r@sha256:2", "sha256:2", 1, 1));
        assert!(!mapping_head_unchanged(&a, &b, "latest"));
    }
}

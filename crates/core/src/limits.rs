//! Per-stream limits (§4.10): LimitRange `openshift.io/ImageStream` maxima on distinct images in
//! status (`openshift.io/images`) and distinct references in spec (`openshift.io/image-tags`).

use std::collections::BTreeSet;

use tagplane_api::image::ImageStream;

/// Resource name: distinct images referenced by status events.
pub const RESOURCE_IMAGES: &str = "openshift.io/images";
/// Resource name: distinct sources referenced by spec tags.
pub const RESOURCE_IMAGE_TAGS: &str = "openshift.io/image-tags";
/// LimitRange item type the maxima come from.
pub const LIMIT_TYPE_IMAGE_STREAM: &str = "openshift.io/ImageStream";

/// The maxima configured for streams of a namespace (`None` = unlimited).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamLimits {
    /// Max of `openshift.io/images`.
    pub images: Option<u64>,
    /// Max of `openshift.io/image-tags`.
    pub image_tags: Option<u64>,
}

/// Distinct references of a stream: (spec sources, status images).
pub fn stream_references(stream: &ImageStream) -> (BTreeSet<String>, BTreeSet<String>) {
    let ns = stream.metadata.namespace.as_deref().unwrap_or("");
    let spec = stream
        .spec
        .tags
        .iter()
        .filter_map(|t| t.from.as_ref())
        .filter(|f| !f.name.is_empty())
        .map(|f| {
            let from_ns = if f.namespace.is_empty() {
                ns
            } else {
                f.namespace.as_str()
            };
            format!("{}/{from_ns}/{}", f.kind, f.name)
        })
        .collect();
    let status = stream
        .status
        .tags
        .iter()
        .flat_map(|t| t.events())
        .map(|e| {
            if e.image.is_empty() {
                e.docker_image_reference.clone()
            } else {
                e.image.clone()
            }
        })
        .collect();
    (spec, status)
}

/// Check `new` against the limits; `old` is the stored stream on update. A limit is only
/// enforced when usage exceeds it and the write adds references (§4.10), so streams already
/// over a lowered limit can still be edited and shrunk.
pub fn verify_limits(
    new: &ImageStream,
    old: Option<&ImageStream>,
    limits: &StreamLimits,
) -> Result<(), String> {
    let (new_spec, new_status) = stream_references(new);
    let (old_spec, old_status) = old.map(stream_references).unwrap_or_default();
    let check = |resource: &str,
                 max: Option<u64>,
                 new: &BTreeSet<String>,
                 old: &BTreeSet<String>| {
        let Some(max) = max else { return Ok(()) };
        let used = new.len() as u64;
        if used > max && !new.is_subset(old) {
            return Err(format!(
                "requested usage of {resource} exceeds the maximum limit per {LIMIT_TYPE_IMAGE_STREAM} ({used} > {max})"
            ));
        }
        Ok(())
    };
    check(RESOURCE_IMAGES, limits.images, &new_status, &old_status)?;
    check(RESOURCE_IMAGE_TAGS, limits.image_tags, &new_spec, &old_spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag_event::add_tag_event;
    use crate::testutil::*;

    /// §4.10: limits count distinct references and only bite when references are added.
    #[test]
    fn s4_10_limits() {
        let mut s = stream("ns", "app");
        s.spec.set_tag(spec_tag("a", "DockerImage", "q/a:1"));
        s.spec.set_tag(spec_tag("b", "DockerImage", "q/a:1"));
        s.spec.set_tag(spec_tag("c", "DockerImage", "q/a:2"));
        add_tag_event(&mut s, "a", event_at("q/a@sha256:1", "sha256:1", 1, 1));
        add_tag_event(&mut s, "a", event_at("q/a@sha256:2", "sha256:2", 1, 1));
        add_tag_event(&mut s, "b", event_at("q/a@sha256:1", "sha256:1", 1, 1));
        let (spec, status) = stream_references(&s);
        assert_eq!((spec.len(), status.len()), (2, 2));
        let tight = StreamLimits {
            images: Some(1),
            image_tags: Some(5),
        };
        assert_eq!(
            verify_limits(&s, None, &tight).unwrap_err(),
            "requested usage of openshift.io/images exceeds the maximum limit per openshift.io/ImageStream (2 > 1)"
        );
        assert!(
            verify_limits(
                &s,
                None,
                &StreamLimits {
                    images: Some(2),
                    image_tags: Some(2)
                }
            )
            .is_ok()
        );
        // already over the limit, nothing added: allowed
        assert!(verify_limits(&s, Some(&s), &tight).is_ok());
        let mut more = s.clone();
        more.spec.set_tag(spec_tag("d", "DockerImage", "q/a:3"));
        assert_eq!(
            verify_limits(
                &more,
                Some(&s),
                &StreamLimits {
                    images: None,
                    image_tags: Some(2)
                }
            )
            .unwrap_err(),
            "requested usage of openshift.io/image-tags exceeds the maximum limit per openshift.io/ImageStream (3 > 2)"
        );
        assert!(verify_limits(&more, Some(&s), &StreamLimits::default()).is_ok());
    }
}

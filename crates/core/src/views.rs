//! The virtual views of a stream: ImageStreamTag (§5), ImageTag (§6) and ImageStreamImage (§7),
//! with their name parsing, 404 rules and decoration of the returned Image.

use std::collections::BTreeMap;

use tagplane_api::image::{
    Image, ImageStream, ImageStreamImage, ImageStreamTag, ImageTag, TagEvent,
};
use tagplane_api::meta::{IMAGE_API_VERSION, ObjectMeta, Resource};

use crate::resolution::image_id_matches;
use crate::tag_event::resolve_reference_for_tag_event;

/// Why a view cannot be produced; the service layer maps these to Status errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The name is malformed (400 BadRequest with this message).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing to show (404 NotFound for the requested resource and name).
    #[error("not found")]
    NotFound,
}

/// Parse an ImageStreamTag name `stream:tag` (§5.1): exactly one `:`, no `@`, both parts
/// non-empty; otherwise 400 `ImageStreamTags must be retrieved with <name>:<tag>`.
pub fn parse_image_stream_tag_name(name: &str) -> Result<(&str, &str), ViewError> {
    split_stream_tag(name).ok_or_else(|| {
        ViewError::BadRequest("ImageStreamTags must be retrieved with <name>:<tag>".into())
    })
}

/// Parse an ImageTag name `stream:tag` (§6): same rule, its own message.
pub fn parse_image_tag_name(name: &str) -> Result<(&str, &str), ViewError> {
    split_stream_tag(name).ok_or_else(|| {
        ViewError::BadRequest("ImageTags must be retrieved with <name>:<tag>".into())
    })
}

fn split_stream_tag(name: &str) -> Option<(&str, &str)> {
    if name.contains('@') {
        return None;
    }
    let mut parts = name.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(s), Some(t), None) if !s.is_empty() && !t.is_empty() => Some((s, t)),
        _ => None,
    }
}

/// Parse an ImageStreamImage name `stream@id` (§7): exactly one `@`, both parts non-empty.
pub fn parse_image_stream_image_name(name: &str) -> Result<(&str, &str), ViewError> {
    let mut parts = name.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(s), Some(id), None) if !s.is_empty() && !id.is_empty() => Ok((s, id)),
        _ => Err(ViewError::BadRequest(
            "ImageStreamImages must be retrieved with <name>@<id>".into(),
        )),
    }
}

/// The event an ImageStreamTag GET shows: the newest event, only if it has an image (§5.2;
/// reference tags and pending imports are not gettable).
pub fn image_stream_tag_event<'a>(
    stream: &'a ImageStream,
    tag: &str,
) -> Result<&'a TagEvent, ViewError> {
    stream
        .status
        .tag(tag)
        .and_then(|t| t.newest())
        .filter(|e| !e.image.is_empty())
        .ok_or(ViewError::NotFound)
}

/// Prepare an Image for a view: metadata decoded from the manifest if needed, manifest and
/// config blanked (§5.2, §7).
pub fn decorate_view_image(mut image: Image) -> Image {
    if image
        .docker_image_metadata
        .as_ref()
        .is_none_or(|m| m.id.is_empty())
        && !image.docker_image_manifest.is_empty()
    {
        // Metadata errors are not the reader's problem; the stored image is shown as is.
        let _ = crate::manifest::image_with_metadata(
            &mut image,
            tagplane_api::meta::Timestamp::UNIX_EPOCH,
        );
    }
    image.docker_image_manifest.clear();
    image.docker_image_config.clear();
    image
}

fn merge_annotations(
    target: &mut Option<BTreeMap<String, String>>,
    extra: Option<&BTreeMap<String, String>>,
) {
    if let Some(extra) = extra.filter(|e| !e.is_empty()) {
        let map = target.get_or_insert_with(BTreeMap::new);
        for (k, v) in extra {
            map.insert(k.clone(), v.clone());
        }
    }
}

/// Build the ImageStreamTag for `tag` (§5.2). `image` is the Image object named by the newest
/// event (the caller returns 404 when it is gone).
pub fn image_stream_tag(
    stream: &ImageStream,
    tag: &str,
    image: Image,
) -> Result<ImageStreamTag, ViewError> {
    let event = image_stream_tag_event(stream, tag)?;
    let spec = stream.spec.tag(tag);
    let annotations = spec.and_then(|t| t.annotations.clone());
    let mut image = decorate_view_image(image);
    merge_annotations(&mut image.metadata.annotations, annotations.as_ref());
    image.docker_image_reference = resolve_reference_for_tag_event(stream, tag, event);
    Ok(ImageStreamTag {
        api_version: IMAGE_API_VERSION.into(),
        kind: ImageStreamTag::KIND.into(),
        metadata: ObjectMeta {
            name: Some(format!(
                "{}:{tag}",
                stream.metadata.name.as_deref().unwrap_or("")
            )),
            namespace: stream.metadata.namespace.clone(),
            labels: stream.metadata.labels.clone(),
            resource_version: stream.metadata.resource_version.clone(),
            uid: stream.metadata.uid.clone(),
            creation_timestamp: event.created.clone(),
            annotations: annotations.filter(|a| !a.is_empty()),
            ..Default::default()
        },
        tag: spec.cloned(),
        generation: event.generation,
        lookup_policy: stream.spec.lookup_policy.clone(),
        conditions: stream
            .status
            .tag(tag)
            .map(|t| t.conditions.clone())
            .unwrap_or_default(),
        image,
    })
}

/// The entries of an ImageStreamTag LIST for one stream (§5.3): one per status tag with an
/// image, whose `image` carries only its name and the resolved pull spec.
pub fn image_stream_tag_list_entries(stream: &ImageStream) -> Vec<ImageStreamTag> {
    stream
        .status
        .tags
        .iter()
        .filter_map(|t| {
            let event = image_stream_tag_event(stream, &t.tag).ok()?;
            let image = Image {
                metadata: ObjectMeta {
                    name: Some(event.image.clone()),
                    ..Default::default()
                },
                ..Default::default()
            };
            image_stream_tag(stream, &t.tag, image).ok().map(|mut ist| {
                ist.image.docker_image_metadata = None;
                ist.image.metadata.annotations = None;
                ist
            })
        })
        .collect()
}

/// The image an ImageTag GET should include: the newest event's image name, if any (§6).
pub fn image_tag_image_name<'a>(stream: &'a ImageStream, tag: &str) -> Option<&'a str> {
    stream
        .status
        .tag(tag)
        .and_then(|t| t.newest())
        .map(|e| e.image.as_str())
        .filter(|i| !i.is_empty())
}

/// Build the ImageTag for `tag` (§6): 404 unless the tag exists in spec or status. `image` is the
/// Image named by the newest event if it exists (decorated here), `None` otherwise.
pub fn image_tag(
    stream: &ImageStream,
    tag: &str,
    image: Option<Image>,
) -> Result<ImageTag, ViewError> {
    let spec = stream.spec.tag(tag).cloned();
    let status = stream.status.tag(tag).cloned();
    if spec.is_none() && status.is_none() {
        return Err(ViewError::NotFound);
    }
    let mut metadata = stream.metadata.clone();
    metadata.name = Some(format!(
        "{}:{tag}",
        stream.metadata.name.as_deref().unwrap_or("")
    ));
    metadata.managed_fields = None;
    let image = image.map(|img| {
        let mut img = decorate_view_image(img);
        if let Some(e) = status.as_ref().and_then(|s| s.newest()) {
            img.docker_image_reference = resolve_reference_for_tag_event(stream, tag, e);
        }
        img
    });
    Ok(ImageTag {
        api_version: IMAGE_API_VERSION.into(),
        kind: ImageTag::KIND.into(),
        metadata,
        spec,
        status,
        image,
    })
}

/// Every tag of a stream for an ImageTag LIST (§6): spec or status tags, alphabetical, no images.
pub fn image_tag_list_entries(stream: &ImageStream) -> Vec<ImageTag> {
    let mut names: Vec<&str> = stream.spec.tags.iter().map(|t| t.name.as_str()).collect();
    names.extend(stream.status.tags.iter().map(|t| t.tag.as_str()));
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|t| image_tag(stream, t, None).ok())
        .collect()
}

/// An Image carrying only its name (`metadata.name = digest`): what a view shows for a tag whose
/// Image object is gone, or the image of the synthetic "old" ImageStreamTag of an update (§5.5).
pub fn name_only_image(digest: &str) -> Image {
    Image {
        metadata: ObjectMeta {
            name: Some(digest.to_owned()),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The ImageStreamTag of a tag that has no image yet (upstream `newISTag` with
/// `allowEmptyEvent`): the answer of a create whose tag is pending or null (§5.4), and the
/// synthetic "old" object of an update (§5.5). Name, namespace, labels, resourceVersion, UID and
/// `creationTimestamp` come from the stream; annotations from the spec tag (none when empty);
/// `tag` is the spec tag or null; conditions are the status tag's; generation 0; empty image.
pub fn image_stream_tag_without_image(stream: &ImageStream, tag: &str) -> ImageStreamTag {
    let spec = stream.spec.tag(tag).cloned();
    let annotations = spec
        .as_ref()
        .and_then(|t| t.annotations.clone())
        .filter(|a| !a.is_empty());
    ImageStreamTag {
        api_version: IMAGE_API_VERSION.into(),
        kind: ImageStreamTag::KIND.into(),
        metadata: ObjectMeta {
            name: Some(format!(
                "{}:{tag}",
                stream.metadata.name.as_deref().unwrap_or("")
            )),
            namespace: stream.metadata.namespace.clone(),
            labels: stream.metadata.labels.clone(),
            resource_version: stream.metadata.resource_version.clone(),
            uid: stream.metadata.uid.clone(),
            creation_timestamp: stream.metadata.creation_timestamp.clone(),
            annotations,
            ..Default::default()
        },
        tag: spec,
        generation: 0,
        lookup_policy: stream.spec.lookup_policy.clone(),
        conditions: stream
            .status
            .tag(tag)
            .map(|t| t.conditions.clone())
            .unwrap_or_default(),
        image: Image::default(),
    }
}

/// The ImageStreamTag answered by create and update (§5.4, §5.5), which never 404s: when the
/// newest event names an image, the §5.2 view with `image` (or a [`name_only_image`] when the
/// caller has no Image object: it was deleted, or the caller did not read it); otherwise
/// [`image_stream_tag_without_image`].
pub fn image_stream_tag_or_empty(
    stream: &ImageStream,
    tag: &str,
    image: Option<Image>,
) -> ImageStreamTag {
    match image_tag_image_name(stream, tag) {
        Some(digest) => {
            let image = image.unwrap_or_else(|| name_only_image(digest));
            image_stream_tag(stream, tag, image)
                .unwrap_or_else(|_| image_stream_tag_without_image(stream, tag))
        }
        None => image_stream_tag_without_image(stream, tag),
    }
}

/// The ImageTag of a tag that exists neither in spec nor in status (upstream `newITag` with
/// `allowEmpty`, §6): the stream's metadata (without managed fields) under the name
/// `stream:tag`, no spec, status or image. The "old" object of an ImageTag update that creates
/// the tag.
pub fn image_tag_without_tag(stream: &ImageStream, tag: &str) -> ImageTag {
    let mut metadata = stream.metadata.clone();
    metadata.name = Some(format!(
        "{}:{tag}",
        stream.metadata.name.as_deref().unwrap_or("")
    ));
    metadata.managed_fields = None;
    ImageTag {
        api_version: IMAGE_API_VERSION.into(),
        kind: ImageTag::KIND.into(),
        metadata,
        spec: None,
        status: None,
        image: None,
    }
}

/// The ImageTag answered by create and update and used as the "old" object of an update (§6):
/// [`image_tag`] when the tag exists in spec or status, else [`image_tag_without_tag`].
pub fn image_tag_or_empty(stream: &ImageStream, tag: &str, image: Option<Image>) -> ImageTag {
    image_tag(stream, tag, image).unwrap_or_else(|_| image_tag_without_tag(stream, tag))
}

/// Digests in a stream's history (§7 candidates without the children of manifest lists, which
/// the caller adds from the Image objects).
pub fn stream_image_digests(stream: &ImageStream) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &stream.status.tags {
        for e in t.events() {
            if !e.image.is_empty() && !out.contains(&e.image) {
                out.push(e.image.clone());
            }
        }
    }
    out
}

/// Pick the image for an ImageStreamImage GET (§7): the first candidate whose digest hex or full
/// string starts with `id`. No minimum prefix and no ambiguity error (contrast §4.5).
pub fn match_stream_image<'a>(candidates: &'a [String], id: &str) -> Option<&'a str> {
    candidates
        .iter()
        .map(String::as_str)
        .find(|c| image_id_matches(c, id))
}

/// Build the ImageStreamImage view (§7): name echoes the request, annotations come from the
/// stream, `creationTimestamp` from the Image, pull spec is the Image's own (no policy rewrite).
pub fn image_stream_image(
    stream: &ImageStream,
    requested_name: &str,
    image: Image,
) -> ImageStreamImage {
    let created = image.metadata.creation_timestamp.clone();
    ImageStreamImage {
        api_version: IMAGE_API_VERSION.into(),
        kind: ImageStreamImage::KIND.into(),
        metadata: ObjectMeta {
            name: Some(requested_name.to_owned()),
            namespace: stream.metadata.namespace.clone(),
            creation_timestamp: created,
            annotations: stream.metadata.annotations.clone(),
            ..Default::default()
        },
        image: decorate_view_image(image),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag_event::add_tag_event;
    use crate::testutil::*;

    const D1: &str = "sha256:aaaa111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:bbbb222222222222222222222222222222222222222222222222222222222222";

    fn img(name: &str) -> Image {
        Image {
            metadata: ObjectMeta {
                name: Some(name.into()),
                creation_timestamp: Some(at(3)),
                ..Default::default()
            },
            docker_image_reference: format!("quay.io/org/app@{name}"),
            docker_image_manifest: "{\"not\":\"shown\"}".into(),
            docker_image_config: "{}".into(),
            ..Default::default()
        }
    }

    fn sample() -> ImageStream {
        let mut s = stream("ns", "app");
        s.metadata.resource_version = Some("17".into());
        s.status.docker_image_repository = "registry.local/ns/app".into();
        let mut t = spec_tag("latest", "DockerImage", "quay.io/org/app:1");
        t.annotations = Some(BTreeMap::from([("color".into(), "blue".into())]));
        t.reference_policy.type_ = "Local".into();
        t.generation = Some(2);
        s.spec.set_tag(t);
        let mut r = spec_tag("ref", "DockerImage", "quay.io/org/app:2");
        r.reference = true;
        s.spec.set_tag(r);
        s.spec
            .set_tag(spec_tag("pending", "DockerImage", "quay.io/org/app:3"));
        add_tag_event(
            &mut s,
            "latest",
            event_at(&format!("quay.io/org/app@{D1}"), D1, 2, 10),
        );
        add_tag_event(&mut s, "ref", event_at("quay.io/org/app:2", "", 1, 11));
        add_tag_event(
            &mut s,
            "pushed",
            event_at(&format!("registry.local/ns/app@{D2}"), D2, 1, 12),
        );
        s
    }

    /// §5.1: name parsing and its 400 message.
    #[test]
    fn s5_1_istag_names() {
        assert_eq!(parse_image_stream_tag_name("a:b").unwrap(), ("a", "b"));
        for bad in ["a", "a:", ":b", "a:b:c", "a@b", "a:b@c", ""] {
            assert_eq!(
                parse_image_stream_tag_name(bad).unwrap_err().to_string(),
                "ImageStreamTags must be retrieved with <name>:<tag>",
                "{bad}"
            );
        }
        assert_eq!(
            parse_image_tag_name("x").unwrap_err().to_string(),
            "ImageTags must be retrieved with <name>:<tag>"
        );
        assert_eq!(
            parse_image_stream_image_name("s@sha256:1").unwrap(),
            ("s", "sha256:1")
        );
        for bad in ["s", "s@", "@x", "s@a@b"] {
            assert_eq!(
                parse_image_stream_image_name(bad).unwrap_err().to_string(),
                "ImageStreamImages must be retrieved with <name>@<id>"
            );
        }
    }

    /// §5.2 / §18 item 7: reference tags, pending imports and unknown tags 404.
    #[test]
    fn s5_2_istag_404_rules() {
        let s = sample();
        assert!(image_stream_tag_event(&s, "latest").is_ok());
        assert!(image_stream_tag_event(&s, "pushed").is_ok());
        assert_eq!(image_stream_tag_event(&s, "ref"), Err(ViewError::NotFound));
        assert_eq!(
            image_stream_tag_event(&s, "pending"),
            Err(ViewError::NotFound)
        );
        assert_eq!(image_stream_tag_event(&s, "nope"), Err(ViewError::NotFound));
    }

    /// §5.2: the istag view's fields, Local policy rewrite, annotations merge, blanked manifest.
    #[test]
    fn s5_2_istag_view() {
        let s = sample();
        let ist = image_stream_tag(&s, "latest", img(D1)).unwrap();
        assert_eq!(ist.metadata.name.as_deref(), Some("app:latest"));
        assert_eq!(ist.metadata.resource_version.as_deref(), Some("17"));
        assert_eq!(ist.metadata.creation_timestamp, Some(at(10)));
        assert_eq!(ist.metadata.annotations.as_ref().unwrap()["color"], "blue");
        assert_eq!(ist.generation, 2);
        assert_eq!(ist.tag.as_ref().unwrap().name, "latest");
        assert_eq!(
            ist.image.docker_image_reference,
            format!("registry.local/ns/app@{D1}")
        );
        assert_eq!(
            ist.image.metadata.annotations.as_ref().unwrap()["color"],
            "blue"
        );
        assert!(ist.image.docker_image_manifest.is_empty());
        assert!(ist.image.docker_image_config.is_empty());
        // pushed tag: no spec tag → tag null, source pull spec
        let p = image_stream_tag(&s, "pushed", img(D2)).unwrap();
        assert!(p.tag.is_none());
        assert_eq!(
            p.image.docker_image_reference,
            format!("registry.local/ns/app@{D2}")
        );
    }

    /// §5.3: list has one entry per status tag with an image.
    #[test]
    fn s5_3_istag_list() {
        let entries = image_stream_tag_list_entries(&sample());
        let names: Vec<_> = entries
            .iter()
            .map(|e| e.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, vec!["app:latest", "app:pushed"]);
        assert_eq!(entries[0].image.metadata.name.as_deref(), Some(D1));
        assert_eq!(
            entries[0].image.docker_image_reference,
            format!("registry.local/ns/app@{D1}")
        );
    }

    /// §6: itag GET exists for spec-only and status-only tags; list is alphabetical, no images.
    #[test]
    fn s6_image_tag() {
        let s = sample();
        let pending = image_tag(&s, "pending", None).unwrap();
        assert!(pending.status.is_none() && pending.spec.is_some() && pending.image.is_none());
        let pushed = image_tag(&s, "pushed", Some(img(D2))).unwrap();
        assert!(pushed.spec.is_none());
        assert!(
            pushed
                .image
                .as_ref()
                .unwrap()
                .docker_image_manifest
                .is_empty()
        );
        let r = image_tag(&s, "ref", None).unwrap();
        assert!(r.spec.is_some() && r.status.is_some());
        assert_eq!(image_tag(&s, "nope", None), Err(ViewError::NotFound));
        let list: Vec<_> = image_tag_list_entries(&s)
            .into_iter()
            .map(|t| t.metadata.name.unwrap())
            .collect();
        assert_eq!(
            list,
            vec!["app:latest", "app:pending", "app:pushed", "app:ref"]
        );
        assert_eq!(image_tag_image_name(&s, "ref"), None);
        assert_eq!(image_tag_image_name(&s, "latest"), Some(D1));
    }

    /// §7: prefix matching on hex or full digest, any length; view shape without policy rewrite.
    #[test]
    fn s7_isimage() {
        let mut s = sample();
        s.metadata.annotations = Some(BTreeMap::from([("stream".into(), "ann".into())]));
        let c = stream_image_digests(&s);
        assert_eq!(c.len(), 2);
        assert_eq!(match_stream_image(&c, "aaaa"), Some(D1));
        assert_eq!(match_stream_image(&c, "sha256:bb"), Some(D2));
        assert_eq!(match_stream_image(&c, "a"), Some(D1));
        assert_eq!(
            match_stream_image(&c, "sha256:"),
            Some(D1),
            "no ambiguity error in §7"
        );
        assert_eq!(match_stream_image(&c, "cccc"), None);
        let v = image_stream_image(&s, "app@aaaa", img(D1));
        assert_eq!(v.metadata.name.as_deref(), Some("app@aaaa"));
        assert_eq!(v.metadata.creation_timestamp, Some(at(3)));
        assert_eq!(v.metadata.annotations.as_ref().unwrap()["stream"], "ann");
        assert_eq!(
            v.image.docker_image_reference,
            format!("quay.io/org/app@{D1}")
        );
        assert!(v.image.docker_image_manifest.is_empty());
    }

    /// §5.4: a created tag without an image (pending import, or `tag: null`) answers an istag
    /// with the stream's identity and timestamps, the spec tag's annotations, generation 0 and
    /// an empty image, instead of 404.
    #[test]
    fn s5_4_istag_without_image() {
        let mut s = sample();
        s.metadata.uid = Some("uid-1".into());
        s.metadata.creation_timestamp = Some(at(1));
        s.metadata.labels = Some(BTreeMap::from([("app".into(), "x".into())]));
        let mut pending = s.spec.tag("pending").cloned().unwrap();
        pending.annotations = Some(BTreeMap::new());
        s.spec.set_tag(pending);
        let ist = image_stream_tag_without_image(&s, "pending");
        assert_eq!(ist.metadata.name.as_deref(), Some("app:pending"));
        assert_eq!(ist.metadata.namespace.as_deref(), Some("ns"));
        assert_eq!(ist.metadata.uid.as_deref(), Some("uid-1"));
        assert_eq!(ist.metadata.resource_version.as_deref(), Some("17"));
        assert_eq!(
            ist.metadata.creation_timestamp,
            Some(at(1)),
            "stream's, not an event's"
        );
        assert_eq!(ist.metadata.labels, s.metadata.labels);
        assert_eq!(
            ist.metadata.annotations, None,
            "empty annotations are dropped"
        );
        assert_eq!(ist.tag.as_ref().unwrap().name, "pending");
        assert_eq!(ist.generation, 0);
        assert_eq!(ist.image, Image::default());
        assert_eq!(ist.kind, "ImageStreamTag");
        // `tag: null` on create: no spec tag, still an answer
        let none = image_stream_tag_without_image(&s, "absent");
        assert!(none.tag.is_none());
        assert_eq!(none.metadata.name.as_deref(), Some("app:absent"));
        // annotated spec tag: annotations shown
        let latest = image_stream_tag_without_image(&s, "latest");
        assert_eq!(latest.metadata.annotations.unwrap()["color"], "blue");
    }

    /// §5.4 / §5.5: the answer of create and update picks the §5.2 view when the newest event
    /// has an image (a name-only image when the Image object is missing), else the empty view;
    /// the synthetic "old" object of an update is built the same way without reading Images.
    #[test]
    fn s5_5_istag_or_empty() {
        let s = sample();
        let with = image_stream_tag_or_empty(&s, "latest", Some(img(D1)));
        assert_eq!(with.generation, 2);
        assert_eq!(with.metadata.creation_timestamp, Some(at(10)));
        assert!(with.image.docker_image_manifest.is_empty());
        assert_eq!(with.image.metadata.creation_timestamp, Some(at(3)));
        let gone = image_stream_tag_or_empty(&s, "latest", None);
        assert_eq!(gone.image.metadata.name.as_deref(), Some(D1));
        assert_eq!(gone.image.metadata.creation_timestamp, None);
        assert_eq!(
            gone.image.docker_image_reference,
            format!("registry.local/ns/app@{D1}"),
            "reference policy still applies"
        );
        let pending = image_stream_tag_or_empty(&s, "pending", Some(img(D1)));
        assert_eq!(pending, image_stream_tag_without_image(&s, "pending"));
        let reference = image_stream_tag_or_empty(&s, "ref", None);
        assert_eq!(reference.generation, 0, "reference tags have no image");
        assert_eq!(name_only_image(D2).metadata.name.as_deref(), Some(D2));
        assert_eq!(
            name_only_image(D2),
            Image {
                metadata: ObjectMeta {
                    name: Some(D2.into()),
                    ..Default::default()
                },
                ..Default::default()
            }
        );
    }

    /// §6: an ImageTag update that creates the tag starts from the stream's metadata under the
    /// tag's name, with no spec, status or image; existing tags use the normal view.
    #[test]
    fn s6_itag_without_tag() {
        let mut s = sample();
        s.metadata.uid = Some("uid-1".into());
        s.metadata.managed_fields = Some(vec![Default::default()]);
        let empty = image_tag_without_tag(&s, "new");
        assert_eq!(empty.metadata.name.as_deref(), Some("app:new"));
        assert_eq!(empty.metadata.uid.as_deref(), Some("uid-1"));
        assert_eq!(empty.metadata.resource_version.as_deref(), Some("17"));
        assert!(empty.metadata.managed_fields.is_none());
        assert!(empty.spec.is_none() && empty.status.is_none() && empty.image.is_none());
        assert_eq!(empty.kind, "ImageTag");
        assert_eq!(image_tag_or_empty(&s, "new", Some(img(D1))), empty);
        let latest = image_tag_or_empty(&s, "latest", None);
        assert!(latest.spec.is_some() && latest.status.is_some());
    }
}

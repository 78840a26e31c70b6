//! Tag resolution on spec change (§4.5): turning new or changed spec tags into status events
//! during create and update, plus the nesting of its errors into a 422 (§4.11).

use tagplane_api::image::{
    ImageStream, KIND_DOCKER_IMAGE, KIND_IMAGE_STREAM_IMAGE, KIND_IMAGE_STREAM_TAG, TagEvent,
    TagReference,
};
use tagplane_api::meta::Time;
use tagplane_api::reference::{ImageReference, parse_digest};
use tagplane_api::validation::{FieldError, aggregate_message, go_quote};

use crate::generation::tag_ref_changed;
use crate::repository::RegistryHostnames;
use crate::tag_event::{add_tag_event, latest_tagged_image, update_changed_tracking_tags};

/// Read access to other streams, supplied by the caller (the service layer reads the store).
pub trait StreamLookup {
    /// The stream `namespace/name`; `Ok(None)` when it does not exist, `Err` on a store failure.
    fn get_stream(&self, namespace: &str, name: &str) -> Result<Option<ImageStream>, String>;
}

/// A lookup that knows no other streams (same-stream references still resolve).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoStreams;

impl StreamLookup for NoStreams {
    fn get_stream(&self, _: &str, _: &str) -> Result<Option<ImageStream>, String> {
        Ok(None)
    }
}

/// Split an ImageStreamTag / ImageStreamImage `from.name` into (stream, tag-or-id) (§3.3):
/// `<tag>`, `<stream>:<tag>`, `<id>`, `<stream>@<id>`. `None` for any other shape.
pub fn parse_from_reference<'a>(
    stream_name: &'a str,
    kind: &str,
    from_name: &'a str,
) -> Option<(&'a str, &'a str)> {
    let sep = match kind {
        KIND_IMAGE_STREAM_TAG => ':',
        KIND_IMAGE_STREAM_IMAGE => '@',
        _ => return None,
    };
    let mut parts = from_name.split(sep);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(only), None, None) => Some((stream_name, only)),
        (Some(s), Some(t), None) => Some((s, t)),
        _ => None,
    }
}

/// Why resolving an image id in a stream failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveImageError {
    /// No image in the stream's history matches.
    #[error("imagestreamimage.image.openshift.io {} not found", go_quote(.0))]
    NotFound(String),
    /// Several distinct images match the prefix.
    #[error(
        "Operation cannot be fulfilled on imagestreamimage.image.openshift.io {}: multiple images match the prefix {}: {}",
        go_quote(.0), go_quote(.0), .1.join(", ")
    )]
    Ambiguous(String, Vec<String>),
}

/// Whether `image` (a digest) matches the requested `id`: a prefix of the hex part or of the whole
/// `algo:hex` string; non-digest names match by prefix (§7). No minimum length.
pub fn image_id_matches(image: &str, id: &str) -> bool {
    match parse_digest(image) {
        Ok(d) => d.hex().starts_with(id) || image.starts_with(id),
        Err(_) => image.starts_with(id),
    }
}

/// Find the single image in the stream's history matching `id` (`ResolveImageID`, §4.5):
/// several distinct matches are an error here (unlike isimage GET, §7).
pub fn resolve_image_id(
    stream: &ImageStream,
    id: &str,
    now: &Time,
) -> Result<TagEvent, ResolveImageError> {
    let mut found: Option<&TagEvent> = None;
    let mut distinct: Vec<String> = Vec::new();
    for t in &stream.status.tags {
        for e in t.events() {
            if image_id_matches(&e.image, id) {
                found = Some(e);
                if !distinct.contains(&e.image) {
                    distinct.push(e.image.clone());
                }
            }
        }
    }
    match (distinct.len(), found) {
        (1, Some(e)) => Ok(TagEvent {
            created: Some(now.clone()),
            docker_image_reference: e.docker_image_reference.clone(),
            image: e.image.clone(),
            generation: e.generation,
            platforms: e.platforms.clone(),
        }),
        (0, _) | (_, None) => Err(ResolveImageError::NotFound(id.to_owned())),
        _ => {
            distinct.sort();
            Err(ResolveImageError::Ambiguous(id.to_owned(), distinct))
        }
    }
}

/// Resolve every spec tag of `stream` that is new or changed relative to `old` (§4.5), adding
/// status events, then refresh tracking tags (§4.7). Errors are field errors on
/// `spec.tags[t].from.name`; the caller nests them with [`nest_tag_errors`] (§4.11).
///
/// For a same-stream ImageStreamTag source the source head's generation is bumped as upstream
/// does (see `bump_source_head`).
pub fn resolve_changed_tags(
    stream: &mut ImageStream,
    old: Option<&ImageStream>,
    lookup: &dyn StreamLookup,
    hosts: &RegistryHostnames,
    now: &Time,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ns = stream.metadata.namespace.clone().unwrap_or_default();
    let name = stream.metadata.name.clone().unwrap_or_default();
    let generation = stream.metadata.generation.unwrap_or(0);
    let tags: Vec<TagReference> = stream.spec.tags.clone();
    for tag in tags {
        let Some(from) = &tag.from else { continue };
        if let Some(o) = old.and_then(|o| o.spec.tag(&tag.name))
            && !tag_ref_changed(o, &tag, &ns)
        {
            continue;
        }
        let path = format!("spec.tags[{}].from.name", tag.name);
        match from.kind.as_str() {
            KIND_DOCKER_IMAGE if tag.reference => {
                set_tag_generation(stream, &tag.name, generation);
                let event = TagEvent {
                    created: Some(now.clone()),
                    docker_image_reference: from.name.clone(),
                    image: String::new(),
                    generation,
                    platforms: vec![],
                };
                add_tag_event(stream, &tag.name, event);
            }
            KIND_IMAGE_STREAM_TAG | KIND_IMAGE_STREAM_IMAGE => {
                let Some((src_stream, tag_or_id)) =
                    parse_from_reference(&name, &from.kind, &from.name)
                else {
                    errs.push(FieldError::invalid(
                        path,
                        &from.name,
                        "must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>",
                    ));
                    continue;
                };
                let src_ns = if from.namespace.is_empty() {
                    ns.as_str()
                } else {
                    from.namespace.as_str()
                };
                let same_stream = src_ns == ns && src_stream == name;
                let source: ImageStream = if same_stream {
                    stream.clone()
                } else {
                    match lookup.get_stream(src_ns, src_stream) {
                        Ok(Some(s)) => s,
                        Ok(None) => {
                            errs.push(FieldError::not_found(path, &from.name));
                            continue;
                        }
                        Err(e) => {
                            errs.push(FieldError::internal(path, &e));
                            continue;
                        }
                    }
                };
                let event = if from.kind == KIND_IMAGE_STREAM_TAG {
                    let event = latest_tagged_image(&source, tag_or_id).map(|e| TagEvent {
                        generation,
                        ..e.clone()
                    });
                    if same_stream && event.is_some() {
                        bump_source_head(stream, tag_or_id, generation);
                    }
                    event
                } else {
                    match resolve_image_id(&source, tag_or_id, now) {
                        Ok(e) => Some(TagEvent { generation, ..e }),
                        Err(e) => {
                            errs.push(FieldError::invalid(
                                path,
                                &from.name,
                                &format!("error generating tag event: {e}"),
                            ));
                            continue;
                        }
                    }
                };
                set_tag_generation(stream, &tag.name, generation);
                let Some(mut event) = event else { continue };
                if !tag.reference {
                    rewrite_internal_pull_spec(&mut event, &source, stream, hosts);
                }
                add_tag_event(stream, &tag.name, event);
            }
            _ => {}
        }
    }
    update_changed_tracking_tags(stream, old);
    errs
}

/// Upstream quirk, reproduced (§4.5): for a same-stream ImageStreamTag source the source tag's
/// newest event takes the new tag's generation too. Without it, trackers created with a newer
/// generation than their source's head would look permanently "pending" once §4.7 copies the
/// source head (with its generation) into them.
fn bump_source_head(stream: &mut ImageStream, source_tag: &str, generation: i64) {
    let source_tag = if source_tag.is_empty() {
        "latest"
    } else {
        source_tag
    };
    if let Some(head) = stream
        .status
        .tag_mut(source_tag)
        .and_then(|t| t.items.as_mut())
        .and_then(|i| i.first_mut())
    {
        head.generation = generation;
    }
}

fn set_tag_generation(stream: &mut ImageStream, tag: &str, generation: i64) {
    if let Some(t) = stream.spec.tag_mut(tag) {
        t.generation = Some(generation);
    }
}

/// If the event points into the integrated registry repository of `source`, point it at the
/// same digest in `target`'s repository instead, so pullers only need access to `target` (§4.5).
fn rewrite_internal_pull_spec(
    event: &mut TagEvent,
    source: &ImageStream,
    target: &ImageStream,
    hosts: &RegistryHostnames,
) {
    let Some(internal) = hosts.internal() else {
        return;
    };
    let Ok(mut r) = ImageReference::parse(&event.docker_image_reference) else {
        return;
    };
    let src_ns = source.metadata.namespace.as_deref().unwrap_or("");
    let src_name = source.metadata.name.as_deref().unwrap_or("");
    if r.registry == internal && r.namespace == src_ns && r.name == src_name {
        r.namespace = target.metadata.namespace.clone().unwrap_or_default();
        r.name = target.metadata.name.clone().unwrap_or_default();
        event.docker_image_reference = r.exact();
    }
}

/// Nest tag-resolution, tag-verifier and limit errors the way upstream does (§4.11): one
/// InternalError field error with an empty path whose text is the `imagestreams "<name>" is
/// invalid: ...` message.
pub fn nest_tag_errors(stream_name: &str, errs: &[FieldError]) -> Option<FieldError> {
    if errs.is_empty() {
        return None;
    }
    let inner = format!(
        "imagestreams {} is invalid: {}",
        go_quote(stream_name),
        aggregate_message(errs)
    );
    Some(FieldError::internal("", &inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use std::collections::HashMap;

    struct Streams(HashMap<(String, String), ImageStream>);
    impl StreamLookup for Streams {
        fn get_stream(&self, ns: &str, name: &str) -> Result<Option<ImageStream>, String> {
            Ok(self.0.get(&(ns.to_owned(), name.to_owned())).cloned())
        }
    }

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:1122222222222222222222222222222222222222222222222222222222222222";

    fn source_stream() -> ImageStream {
        let mut s = stream("other", "src");
        add_tag_event(
            &mut s,
            "latest",
            event_at(&format!("registry.local/other/src@{D1}"), D1, 1, 10),
        );
        add_tag_event(
            &mut s,
            "v2",
            event_at(&format!("quay.io/x/y@{D2}"), D2, 1, 20),
        );
        s
    }

    fn lookup() -> Streams {
        Streams(HashMap::from([(
            ("other".into(), "src".into()),
            source_stream(),
        )]))
    }

    fn hosts() -> RegistryHostnames {
        RegistryHostnames {
            internal: Some("registry.local".into()),
            public: None,
        }
    }

    fn heads(s: &ImageStream, tag: &str) -> Option<TagEvent> {
        s.status.tag(tag).and_then(|t| t.newest()).cloned()
    }

    /// §4.5: DockerImage reference tags get an event at once; importable ones do not.
    #[test]
    fn s4_5_docker_image_reference_tags() {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(4);
        let mut r = spec_tag("ref", "DockerImage", "quay.io/a/b:1");
        r.reference = true;
        s.spec.set_tag(r);
        s.spec
            .set_tag(spec_tag("imp", "DockerImage", "quay.io/a/b:2"));
        let errs = resolve_changed_tags(&mut s, None, &NoStreams, &hosts(), &at(50));
        assert!(errs.is_empty());
        let e = heads(&s, "ref").unwrap();
        assert_eq!(
            (
                e.docker_image_reference.as_str(),
                e.image.as_str(),
                e.generation
            ),
            ("quay.io/a/b:1", "", 4)
        );
        assert_eq!(e.created, Some(at(50)));
        assert!(heads(&s, "imp").is_none());
        assert_eq!(s.spec.tag("ref").unwrap().generation, Some(4));
    }

    /// §4.5: cross-stream ImageStreamTag copies the source head (created kept) with this tag's
    /// generation, and rewrites internal pull specs of the source repository.
    #[test]
    fn s4_5_cross_stream_istag_with_internal_rewrite() {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(2);
        let mut t = spec_tag("copy", "ImageStreamTag", "src:latest");
        t.from.as_mut().unwrap().namespace = "other".into();
        s.spec.set_tag(t);
        let errs = resolve_changed_tags(&mut s, None, &lookup(), &hosts(), &at(99));
        assert!(errs.is_empty(), "{errs:?}");
        let e = heads(&s, "copy").unwrap();
        assert_eq!(
            e.docker_image_reference,
            format!("registry.local/ns/app@{D1}")
        );
        assert_eq!(e.image, D1);
        assert_eq!(e.generation, 2);
        assert_eq!(
            e.created,
            Some(at(10)),
            "created copied from the source event"
        );
    }

    /// §4.5: a reference istag keeps the source pull spec (no rewrite).
    #[test]
    fn s4_5_reference_istag_not_rewritten() {
        let mut s = stream("ns", "app");
        let mut t = spec_tag("copy", "ImageStreamTag", "src:latest");
        t.from.as_mut().unwrap().namespace = "other".into();
        t.reference = true;
        s.spec.set_tag(t);
        resolve_changed_tags(&mut s, None, &lookup(), &hosts(), &at(99));
        assert_eq!(
            heads(&s, "copy").unwrap().docker_image_reference,
            format!("registry.local/other/src@{D1}")
        );
    }

    /// §4.5: errors — bad from shape, missing stream, unknown/ambiguous image prefix.
    #[test]
    fn s4_5_errors() {
        let mut s = stream("other", "app");
        s.spec.set_tag(spec_tag("bad", "ImageStreamTag", "a:b:c"));
        s.spec
            .set_tag(spec_tag("missing", "ImageStreamTag", "nope:latest"));
        s.spec
            .set_tag(spec_tag("unknown", "ImageStreamImage", "src@ffff"));
        s.spec
            .set_tag(spec_tag("ambiguous", "ImageStreamImage", "src@11"));
        let errs = resolve_changed_tags(&mut s, None, &lookup(), &hosts(), &at(1));
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(msgs.len(), 4, "{msgs:#?}");
        assert!(msgs.contains(&"spec.tags[bad].from.name: Invalid value: \"a:b:c\": must be of the form <tag>, <repo>:<tag>, <id>, or <repo>@<id>".to_owned()));
        assert!(
            msgs.contains(&"spec.tags[missing].from.name: Not found: \"nope:latest\"".to_owned())
        );
        assert!(msgs.contains(&"spec.tags[unknown].from.name: Invalid value: \"src@ffff\": error generating tag event: imagestreamimage.image.openshift.io \"ffff\" not found".to_owned()));
        let amb = msgs.iter().find(|m| m.contains("[ambiguous]")).unwrap();
        assert!(
            amb.contains("multiple images match the prefix \"11\""),
            "{amb}"
        );
        assert!(amb.contains(D1) && amb.contains(D2));
    }

    /// §4.5: ImageStreamImage resolves a unique prefix, with `created` = now.
    #[test]
    fn s4_5_isimage_source() {
        let mut s = stream("other", "app");
        s.spec
            .set_tag(spec_tag("pinned", "ImageStreamImage", "src@112"));
        let errs = resolve_changed_tags(
            &mut s,
            None,
            &lookup(),
            &RegistryHostnames::default(),
            &at(77),
        );
        assert!(errs.is_empty());
        let e = heads(&s, "pinned").unwrap();
        assert_eq!(e.image, D2);
        assert_eq!(e.created, Some(at(77)));
    }

    /// §4.5: a same-stream istag whose source has no history produces nothing and no error;
    /// a source with history has its head generation bumped (upstream quirk, reproduced).
    #[test]
    fn s4_5_same_stream_sources() {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(3);
        add_tag_event(
            &mut s,
            "latest",
            event_at("quay.io/a@sha256:aa", "sha256:aa", 1, 5),
        );
        s.spec
            .set_tag(spec_tag("alias", "ImageStreamTag", "latest"));
        s.spec
            .set_tag(spec_tag("empty", "ImageStreamTag", "nothing"));
        let errs = resolve_changed_tags(&mut s, None, &NoStreams, &hosts(), &at(9));
        assert!(errs.is_empty());
        assert_eq!(heads(&s, "alias").unwrap().generation, 3);
        assert_eq!(
            heads(&s, "latest").unwrap().generation,
            3,
            "source head bumped (quirk)"
        );
        assert!(heads(&s, "empty").is_none());
    }

    /// §4.5: unchanged tags are not resolved again on update.
    #[test]
    fn s4_5_unchanged_tags_skipped() {
        let mut old = stream("ns", "app");
        let mut r = spec_tag("ref", "DockerImage", "quay.io/a/b:1");
        r.reference = true;
        r.generation = Some(1);
        old.spec.set_tag(r);
        let mut new = old.clone();
        let errs = resolve_changed_tags(&mut new, Some(&old), &NoStreams, &hosts(), &at(1));
        assert!(errs.is_empty());
        assert!(heads(&new, "ref").is_none());
    }

    /// §4.7 with the deliberate fix: on a plain update, re-pointing a reference tag refreshes
    /// its same-stream trackers.
    #[test]
    fn s4_7_trackers_refreshed_on_update() {
        let mut old = stream("ns", "app");
        let mut r = spec_tag("src", "DockerImage", "quay.io/a/b:1");
        r.reference = true;
        old.spec.set_tag(r);
        old.spec.set_tag(spec_tag("alias", "ImageStreamTag", "src"));
        resolve_changed_tags(&mut old, None, &NoStreams, &hosts(), &at(1));
        assert_eq!(
            heads(&old, "alias").unwrap().docker_image_reference,
            "quay.io/a/b:1"
        );
        let mut new = old.clone();
        new.metadata.generation = Some(2);
        new.spec.tag_mut("src").unwrap().from.as_mut().unwrap().name = "quay.io/a/b:2".into();
        resolve_changed_tags(&mut new, Some(&old), &NoStreams, &hosts(), &at(2));
        assert_eq!(
            heads(&new, "alias").unwrap().docker_image_reference,
            "quay.io/a/b:2"
        );
    }

    /// §4.11: nested error shape.
    #[test]
    fn s4_11_nesting() {
        let e = nest_tag_errors(
            "app",
            &[FieldError::not_found("spec.tags[x].from.name", "s:t")],
        )
        .unwrap();
        assert_eq!(
            e.to_string(),
            "Internal error: imagestreams \"app\" is invalid: spec.tags[x].from.name: Not found: \"s:t\""
        );
        assert!(nest_tag_errors("app", &[]).is_none());
    }

    #[test]
    fn s3_3_from_reference_shapes() {
        assert_eq!(
            parse_from_reference("me", "ImageStreamTag", "t"),
            Some(("me", "t"))
        );
        assert_eq!(
            parse_from_reference("me", "ImageStreamTag", "s:t"),
            Some(("s", "t"))
        );
        assert_eq!(
            parse_from_reference("me", "ImageStreamImage", "s@sha256:1"),
            Some(("s", "sha256:1"))
        );
        assert_eq!(parse_from_reference("me", "ImageStreamTag", "a:b:c"), None);
        assert_eq!(parse_from_reference("me", "DockerImage", "x"), None);
    }
}

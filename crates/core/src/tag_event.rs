//! Tag history algebra: adding a tag event (§4.9), tracking tags (§4.7), and resolving the pull
//! spec consumers should use for a tag event (reference policy, §5.2).

use std::collections::HashMap;

use tagplane_api::image::{
    ImageStream, KIND_IMAGE_STREAM_TAG, REFERENCE_POLICY_LOCAL, TagEvent, TagReference,
};
use tagplane_api::reference::ImageReference;

/// Add `event` to the history of `tag`, comparing with the current head only (§4.9).
///
/// Returns `false` when nothing changed (same pull spec, image and generation as the head).
/// Any change clears the tag's conditions. History grows only when both the pull spec and the
/// image differ from the head; otherwise the head is updated in place.
pub fn add_tag_event(stream: &mut ImageStream, tag: &str, event: TagEvent) -> bool {
    let entry = stream.status.tag_entry(tag);
    let items = entry.items.get_or_insert_with(Vec::new);
    let Some(head) = items.first_mut() else {
        // No history: the list is (re)created with just this event, conditions dropped.
        *items = vec![event];
        entry.conditions.clear();
        return true;
    };
    let same_ref = head.docker_image_reference == event.docker_image_reference;
    let same_image = head.image == event.image;
    let same_gen = head.generation == event.generation;
    match (same_ref, same_image) {
        (true, true) if same_gen => return false,
        (true, true) => head.generation = event.generation,
        (true, false) => {
            head.image = event.image;
            head.generation = event.generation;
        }
        (false, true) => {
            head.docker_image_reference = event.docker_image_reference;
            head.generation = event.generation;
        }
        (false, false) => items.insert(0, event),
    }
    entry.conditions.clear();
    true
}

/// The newest event of `tag` (empty tag means `latest`), if the tag has history.
pub fn latest_tagged_image<'a>(stream: &'a ImageStream, tag: &str) -> Option<&'a TagEvent> {
    let tag = if tag.is_empty() { "latest" } else { tag };
    stream.status.tag(tag).and_then(|t| t.newest())
}

/// The tag of this stream that spec tag `tracker` follows (§4.7): kind ImageStreamTag, same
/// namespace, and `from.name` = `<tag>` or `<this stream>:<tag>`; `None` when it follows
/// nothing here.
fn tracked_source<'a>(stream: &ImageStream, tracker: &'a TagReference) -> Option<&'a str> {
    let from = tracker.from.as_ref()?;
    if from.kind != KIND_IMAGE_STREAM_TAG {
        return None;
    }
    let ns = stream.metadata.namespace.as_deref().unwrap_or("");
    if !from.namespace.is_empty() && from.namespace != ns {
        return None;
    }
    let name = stream.metadata.name.as_deref().unwrap_or("");
    let mut parts = from.name.split(':');
    let target = match (parts.next(), parts.next(), parts.next()) {
        (Some(t), None, None) => t,
        (Some(s), Some(t), None) if s == name => t,
        _ => return None,
    };
    (target != tracker.name).then_some(target)
}

/// Copy `event` into each of `trackers` (§4.7); returns how many changed.
fn copy_to_trackers(stream: &mut ImageStream, trackers: &[String], event: &TagEvent) -> usize {
    trackers
        .iter()
        .filter(|t| add_tag_event(stream, t, event.clone()))
        .count()
}

/// Copy `event` of `source_tag` into every spec tag that tracks it (§4.7). Trackers receive the
/// event with its own `created` and `generation`. Returns how many trackers changed.
pub fn update_tracking_tags(stream: &mut ImageStream, source_tag: &str, event: &TagEvent) -> usize {
    let trackers: Vec<String> = stream
        .spec
        .tags
        .iter()
        .filter(|t| tracked_source(stream, t) == Some(source_tag))
        .map(|t| t.name.clone())
        .collect();
    copy_to_trackers(stream, &trackers, event)
}

/// Refresh trackers of every status tag whose head differs from `old` (§4.7).
///
/// With `old = None` (create) every tag with history propagates. Deliberate fix of the upstream
/// shared-map quirk: because our update path works on a copy of the stored status, a plain
/// spec edit that re-points a source tag also refreshes its trackers (upstream skips them).
/// Linear in the number of tags: trackers are indexed by source once, old heads by tag.
pub fn update_changed_tracking_tags(stream: &mut ImageStream, old: Option<&ImageStream>) -> usize {
    let mut trackers: HashMap<String, Vec<String>> = HashMap::new();
    for t in &stream.spec.tags {
        if let Some(source) = tracked_source(stream, t) {
            trackers
                .entry(source.to_owned())
                .or_default()
                .push(t.name.clone());
        }
    }
    if trackers.is_empty() {
        return 0;
    }
    let old_heads: HashMap<&str, &TagEvent> = old
        .map(|o| {
            o.status
                .tags
                .iter()
                .filter_map(|t| Some((t.tag.as_str(), t.newest()?)))
                .collect()
        })
        .unwrap_or_default();
    let mut heads: Vec<(String, TagEvent)> = Vec::new();
    for t in &stream.status.tags {
        if !trackers.contains_key(&t.tag) {
            continue;
        }
        let Some(head) = t.newest() else { continue };
        if old.is_some() && old_heads.get(t.tag.as_str()) == Some(&head) {
            continue;
        }
        heads.push((t.tag.clone(), head.clone()));
    }
    heads
        .iter()
        .map(|(tag, event)| copy_to_trackers(stream, &trackers[tag], event))
        .sum()
}

/// The pull spec consumers should use for `event` of `tag` (`ResolveReferenceForTagEvent`):
/// with reference policy `Local`, `<status.dockerImageRepository>@<image>` when both are known;
/// otherwise the event's own pull spec.
pub fn resolve_reference_for_tag_event(
    stream: &ImageStream,
    tag: &str,
    event: &TagEvent,
) -> String {
    let Some(spec) = stream.spec.tag(tag) else {
        return event.docker_image_reference.clone();
    };
    if spec.reference_policy.type_ != REFERENCE_POLICY_LOCAL {
        return event.docker_image_reference.clone();
    }
    let local = &stream.status.docker_image_repository;
    if local.is_empty() || event.image.is_empty() {
        return event.docker_image_reference.clone();
    }
    match ImageReference::parse(local) {
        Ok(mut r) => {
            r.tag.clear();
            r.id = event.image.clone();
            r.exact()
        }
        Err(_) => event.docker_image_reference.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use tagplane_api::image::{ImageStreamStatus, NamedTagEventList, TagEventCondition};

    fn ev(r: &str, image: &str, generation: i64) -> TagEvent {
        event_at(r, image, generation, 100)
    }

    fn history(s: &ImageStream, tag: &str) -> Vec<(String, String, i64)> {
        s.status
            .tag(tag)
            .map(|t| {
                t.events()
                    .iter()
                    .map(|e| {
                        (
                            e.docker_image_reference.clone(),
                            e.image.clone(),
                            e.generation,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn with_condition(mut s: ImageStream, tag: &str) -> ImageStream {
        s.status.tag_entry(tag).conditions.push(TagEventCondition {
            type_: "ImportSuccess".into(),
            status: "False".into(),
            reason: "NotFound".into(),
            generation: 1,
            ..Default::default()
        });
        s
    }

    /// §4.9 table, row 1: no history creates the list.
    #[test]
    fn s4_9_no_history_creates_list() {
        let mut s = with_condition(stream("ns", "app"), "latest");
        assert!(add_tag_event(
            &mut s,
            "latest",
            ev("r/a@sha256:1", "sha256:1", 1)
        ));
        assert_eq!(
            history(&s, "latest"),
            vec![("r/a@sha256:1".into(), "sha256:1".into(), 1)]
        );
        assert!(s.status.tag("latest").unwrap().conditions.is_empty());
    }

    /// §4.9 table, row 2: identical head is a no-op and keeps conditions.
    #[test]
    fn s4_9_same_everything_is_noop() {
        let mut s = stream("ns", "app");
        add_tag_event(&mut s, "t", ev("r/a@sha256:1", "sha256:1", 2));
        let mut s = with_condition(s, "t");
        assert!(!add_tag_event(
            &mut s,
            "t",
            ev("r/a@sha256:1", "sha256:1", 2)
        ));
        assert_eq!(s.status.tag("t").unwrap().conditions.len(), 1);
    }

    /// §4.9 table, rows 3–5: head mutated in place, conditions cleared.
    #[test]
    fn s4_9_head_mutations_in_place() {
        let mut s = stream("ns", "app");
        add_tag_event(&mut s, "t", ev("r/a@sha256:1", "sha256:1", 1));
        // same ref, same image, different generation
        let mut s = with_condition(s, "t");
        assert!(add_tag_event(
            &mut s,
            "t",
            ev("r/a@sha256:1", "sha256:1", 5)
        ));
        assert_eq!(
            history(&s, "t"),
            vec![("r/a@sha256:1".into(), "sha256:1".into(), 5)]
        );
        assert!(s.status.tag("t").unwrap().conditions.is_empty());
        // same ref, different image
        let mut s = with_condition(s, "t");
        assert!(add_tag_event(
            &mut s,
            "t",
            ev("r/a@sha256:1", "sha256:2", 6)
        ));
        assert_eq!(
            history(&s, "t"),
            vec![("r/a@sha256:1".into(), "sha256:2".into(), 6)]
        );
        assert!(s.status.tag("t").unwrap().conditions.is_empty());
        // different ref, same image
        let mut s = with_condition(s, "t");
        assert!(add_tag_event(
            &mut s,
            "t",
            ev("r/b@sha256:2", "sha256:2", 7)
        ));
        assert_eq!(
            history(&s, "t"),
            vec![("r/b@sha256:2".into(), "sha256:2".into(), 7)]
        );
        assert!(s.status.tag("t").unwrap().conditions.is_empty());
    }

    /// §4.9 table, row 6 and head-only de-duplication.
    #[test]
    fn s4_9_both_differ_prepends_and_dedup_is_head_only() {
        let mut s = stream("ns", "app");
        add_tag_event(&mut s, "t", ev("r/a@sha256:1", "sha256:1", 1));
        assert!(add_tag_event(
            &mut s,
            "t",
            ev("r/a@sha256:2", "sha256:2", 2)
        ));
        // re-tagging the older image prepends again (no deep de-duplication)
        assert!(add_tag_event(
            &mut s,
            "t",
            ev("r/a@sha256:1", "sha256:1", 3)
        ));
        let h = history(&s, "t");
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].1, "sha256:1");
        assert_eq!(h[1].1, "sha256:2");
        assert_eq!(h[2].1, "sha256:1");
    }

    /// §4.9: an existing status tag with empty items is treated as "no history".
    #[test]
    fn s4_9_empty_items_list() {
        let mut s = stream("ns", "app");
        s.status = ImageStreamStatus {
            tags: vec![NamedTagEventList {
                tag: "t".into(),
                items: None,
                conditions: vec![],
            }],
            ..Default::default()
        };
        assert!(add_tag_event(&mut s, "t", ev("x", "", 1)));
        assert_eq!(history(&s, "t").len(), 1);
    }

    /// §4.7: trackers (`<tag>` and `<stream>:<tag>`) receive the source event; other streams,
    /// other namespaces and other kinds do not.
    #[test]
    fn s4_7_update_tracking_tags() {
        let mut s = stream("ns", "app");
        s.spec.set_tag(spec_tag("a", "ImageStreamTag", "latest"));
        s.spec
            .set_tag(spec_tag("b", "ImageStreamTag", "app:latest"));
        s.spec
            .set_tag(spec_tag("c", "ImageStreamTag", "other:latest"));
        s.spec.set_tag(spec_tag("d", "DockerImage", "latest"));
        let mut e = spec_tag("e", "ImageStreamTag", "latest");
        e.from.as_mut().unwrap().namespace = "elsewhere".into();
        s.spec.set_tag(e);
        let mut f = spec_tag("f", "ImageStreamTag", "latest");
        f.from.as_mut().unwrap().namespace = "ns".into();
        s.spec.set_tag(f);
        let event = ev("r/a@sha256:1", "sha256:1", 4);
        assert_eq!(update_tracking_tags(&mut s, "latest", &event), 3);
        for t in ["a", "b", "f"] {
            assert_eq!(
                history(&s, t),
                vec![("r/a@sha256:1".into(), "sha256:1".into(), 4)],
                "{t}"
            );
        }
        for t in ["c", "d", "e", "latest"] {
            assert!(history(&s, t).is_empty(), "{t}");
        }
        // idempotent
        assert_eq!(update_tracking_tags(&mut s, "latest", &event), 0);
    }

    /// §4.7: only tags whose head changed versus the old object propagate; with no old object
    /// everything propagates.
    #[test]
    fn s4_7_update_changed_tracking_tags() {
        let mut old = stream("ns", "app");
        old.spec
            .set_tag(spec_tag("alias", "ImageStreamTag", "latest"));
        old.spec
            .set_tag(spec_tag("alias2", "ImageStreamTag", "stable"));
        add_tag_event(&mut old, "latest", ev("r/a@sha256:1", "sha256:1", 1));
        add_tag_event(&mut old, "stable", ev("r/a@sha256:9", "sha256:9", 1));
        let mut new = old.clone();
        add_tag_event(&mut new, "latest", ev("r/a@sha256:2", "sha256:2", 2));
        assert_eq!(update_changed_tracking_tags(&mut new, Some(&old)), 1);
        assert_eq!(history(&new, "alias")[0].1, "sha256:2");
        assert!(history(&new, "alias2").is_empty());
        let mut created = old.clone();
        assert_eq!(update_changed_tracking_tags(&mut created, None), 2);
    }

    const D: &str = "sha256:4444444444444444444444444444444444444444444444444444444444444444";

    /// §5.2 / IU ResolveReferenceForTagEvent.
    #[test]
    fn s5_2_reference_policy_resolution() {
        let mut s = stream("ns", "app");
        s.status.docker_image_repository = "registry.local:5000/ns/app".into();
        let mut t = spec_tag("t", "DockerImage", "quay.io/org/app:1");
        t.reference_policy.type_ = "Local".into();
        s.spec.set_tag(t);
        let e = ev(&format!("quay.io/org/app@{D}"), D, 1);
        assert_eq!(
            resolve_reference_for_tag_event(&s, "t", &e),
            format!("registry.local:5000/ns/app@{D}")
        );
        // no spec tag → source
        assert_eq!(
            resolve_reference_for_tag_event(&s, "x", &e),
            e.docker_image_reference
        );
        // no image → source
        let e2 = ev("quay.io/org/app:1", "", 1);
        assert_eq!(
            resolve_reference_for_tag_event(&s, "t", &e2),
            "quay.io/org/app:1"
        );
        // no local repository → source
        s.status.docker_image_repository.clear();
        assert_eq!(
            resolve_reference_for_tag_event(&s, "t", &e),
            e.docker_image_reference
        );
        // Source policy → source
        s.status.docker_image_repository = "registry.local:5000/ns/app".into();
        s.spec.tag_mut("t").unwrap().reference_policy.type_ = "Source".into();
        assert_eq!(
            resolve_reference_for_tag_event(&s, "t", &e),
            e.docker_image_reference
        );
    }

    #[test]
    fn latest_tagged_image_defaults_to_latest() {
        let mut s = stream("ns", "app");
        add_tag_event(&mut s, "latest", ev("r@sha256:1", "sha256:1", 1));
        assert_eq!(latest_tagged_image(&s, "").unwrap().image, "sha256:1");
        assert!(latest_tagged_image(&s, "nope").is_none());
    }
}

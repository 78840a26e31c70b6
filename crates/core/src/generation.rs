//! The generation contract (§4.1–§4.4): how create, update and status writes set
//! `metadata.generation` and spec-tag generations, what counts as a tag change, and when a tag
//! needs import (§4.3, §14.1).

use tagplane_api::image::{
    ANNOTATION_DOCKER_REPOSITORY_CHECK, ImageStream, ImageStreamStatus, KIND_DOCKER_IMAGE,
    TagReference,
};

use crate::repository::RegistryHostnames;

/// Prepare a stream for create (§4.1): status rebuilt with only the computed repository fields,
/// `metadata.generation := 1`, every spec tag's generation `:= 1` whatever the user sent.
pub fn prepare_for_create(stream: &mut ImageStream, hosts: &RegistryHostnames) {
    stream.status = ImageStreamStatus::default();
    stream.metadata.generation = Some(1);
    for tag in &mut stream.spec.tags {
        tag.generation = Some(1);
    }
    crate::repository::decorate(stream, hosts);
}

/// Whether a spec tag changed in a way that asks for a new import (§4.3): `from` namespace
/// (empty = the stream's), `from.name`, `reference`, `importMode`, or a client-sent generation 0
/// over a stored non-zero one. `from.kind`, `insecure`, `scheduled`, `referencePolicy` and
/// annotations do not count.
pub fn tag_ref_changed(old: &TagReference, new: &TagReference, stream_namespace: &str) -> bool {
    match (&old.from, &new.from) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => return true,
        (Some(a), Some(b)) => {
            let ns = |n: &str| {
                if n.is_empty() {
                    stream_namespace.to_owned()
                } else {
                    n.to_owned()
                }
            };
            if ns(&a.namespace) != ns(&b.namespace) || a.name != b.name {
                return true;
            }
        }
    }
    if old.reference != new.reference
        || old.import_policy.import_mode != new.import_policy.import_mode
    {
        return true;
    }
    tag_ref_generation_changed(old, new)
}

/// A client asks for re-import by sending generation 0 over a stored non-zero value.
fn tag_ref_generation_changed(old: &TagReference, new: &TagReference) -> bool {
    new.generation == Some(0) && old.generation.unwrap_or(0) != 0
}

/// Prepare a plain update (PUT/PATCH on `imagestreams`, §4.2). `new` is the submitted object,
/// `old` the stored one. Status is replaced by the stored status, spec-tag generations are
/// restored unless the client sent 0, `metadata.generation` is bumped only on a spec change,
/// and new, changed or zeroed tags get the new generation.
pub fn prepare_for_update(new: &mut ImageStream, old: &ImageStream, hosts: &RegistryHostnames) {
    new.status = old.status.clone();
    prepare_spec_for_update(new, old);
    crate::repository::decorate(new, hosts);
}

/// The spec half of [`prepare_for_update`], also used by the internal update path of imports
/// (which carries its own status, §10.5).
pub fn prepare_spec_for_update(new: &mut ImageStream, old: &ImageStream) {
    let old_gen = old.metadata.generation.unwrap_or(0);
    new.metadata.generation = Some(old_gen);
    // Step 1: clients cannot set arbitrary generations; only 0 passes through.
    for tag in &mut new.spec.tags {
        if tag.generation == Some(0) {
            continue;
        }
        if let Some(o) = old.spec.tag(&tag.name) {
            tag.generation = o.generation;
        }
    }
    // Step 2: spec changes (not label/annotation changes) bump metadata.generation.
    if new.spec != old.spec || old_gen == 0 {
        new.metadata.generation = Some(old_gen + 1);
    }
    // Step 3: new, changed or zeroed tags take the new generation.
    let generation = new.metadata.generation;
    let ns = new.metadata.namespace.clone().unwrap_or_default();
    for tag in &mut new.spec.tags {
        let changed = match old.spec.tag(&tag.name) {
            None => true,
            Some(o) => tag_ref_changed(o, tag, &ns),
        };
        if changed || tag.generation == Some(0) || tag.generation.is_none() {
            tag.generation = generation;
        }
    }
}

/// Prepare a write to `imagestreams/{name}/status` (§4.4): spec tags and
/// `spec.dockerImageRepository` are forced back to the stored values, and newest events sent
/// with generation 0 get a generation derived from the stored stream.
pub fn prepare_for_status_update(
    new: &mut ImageStream,
    old: &ImageStream,
    hosts: &RegistryHostnames,
) {
    new.spec.tags = old.spec.tags.clone();
    new.spec.docker_image_repository = old.spec.docker_image_repository.clone();
    let meta_gen = new
        .metadata
        .generation
        .or(old.metadata.generation)
        .unwrap_or(0);
    for status_tag in &mut new.status.tags {
        let Some(head) = status_tag.items.as_mut().and_then(|i| i.first_mut()) else {
            continue;
        };
        if head.generation != 0 {
            continue;
        }
        let stored_head = old.status.tag(&status_tag.tag).and_then(|t| t.newest());
        head.generation = match stored_head {
            None => meta_gen,
            Some(s)
                if s.image == head.image
                    && s.docker_image_reference == head.docker_image_reference
                    && s.generation <= head.generation =>
            {
                meta_gen
            }
            Some(_) => old
                .spec
                .tag(&status_tag.tag)
                .and_then(|t| t.generation)
                .unwrap_or(meta_gen),
        };
    }
    crate::repository::decorate(new, hosts);
}

/// Whether a spec tag is imported by the server: `from.kind == DockerImage` and not a reference.
pub fn tag_importable(tag: &TagReference) -> bool {
    tag.from
        .as_ref()
        .is_some_and(|f| f.kind == KIND_DOCKER_IMAGE)
        && !tag.reference
}

/// The newest generation the server has observed for `tag`: the max of the newest event's
/// generation and the ImportSuccess condition's generation (§4.3).
pub fn latest_observed_tag_generation(stream: &ImageStream, tag: &str) -> i64 {
    let Some(t) = stream.status.tag(tag) else {
        return 0;
    };
    let head = t.newest().map_or(0, |e| e.generation);
    let cond = t
        .conditions
        .iter()
        .find(|c| c.type_ == tagplane_api::image::CONDITION_IMPORT_SUCCESS)
        .map_or(0, |c| c.generation);
    head.max(cond)
}

/// Whether `tag` needs import (§4.3): importable and its spec generation is newer than what was
/// observed. A nil spec generation counts as "needs import" only when `when_nil` is set (the
/// controller's partial-import rule, §14.1).
pub fn tag_needs_import(stream: &ImageStream, tag: &TagReference, when_nil: bool) -> bool {
    if !tag_importable(tag) {
        return false;
    }
    match tag.generation {
        None => when_nil,
        Some(g) => g > latest_observed_tag_generation(stream, &tag.name),
    }
}

/// What kind of import a stream needs (§14.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportNeed {
    /// Nothing to import.
    None,
    /// Import the whole `spec.dockerImageRepository` plus every importable tag.
    Full,
    /// Import only the tags that need it.
    Partial,
}

/// Decide whether the import controller should import a stream (§14.1 `needsImport`).
pub fn stream_needs_import(stream: &ImageStream) -> ImportNeed {
    let checked = stream
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_DOCKER_REPOSITORY_CHECK))
        .is_some_and(|v| !v.is_empty());
    if !checked {
        if !stream.spec.docker_image_repository.is_empty() {
            return ImportNeed::Full;
        }
        if stream.spec.tags.iter().any(tag_importable) {
            return ImportNeed::Partial;
        }
    }
    if stream
        .spec
        .tags
        .iter()
        .any(|t| tag_needs_import(stream, t, false))
    {
        return ImportNeed::Partial;
    }
    ImportNeed::None
}

/// Whether a newest event is stale, i.e. the spec asks for something newer (§4.3, LGU
/// `resolvePullSpecForTag`).
pub fn has_pending_import(stream: &ImageStream, tag: &TagReference) -> bool {
    let Some(g) = tag.generation else {
        return false;
    };
    let head = stream
        .status
        .tag(&tag.name)
        .and_then(|t| t.newest())
        .map_or(0, |e| e.generation);
    g > head
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag_event::add_tag_event;
    use crate::testutil::*;
    use std::collections::BTreeMap;
    use tagplane_api::image::TagEventCondition;

    fn hosts() -> RegistryHostnames {
        RegistryHostnames::default()
    }

    /// §4.1: create resets status and forces generations to 1.
    #[test]
    fn s4_1_create_sets_generations() {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(7);
        let mut t = spec_tag("latest", "DockerImage", "quay.io/a/b:1");
        t.generation = Some(42);
        s.spec.set_tag(t);
        s.status.docker_image_repository = "junk".into();
        add_tag_event(&mut s, "old", event_at("x", "sha256:1", 1, 1));
        prepare_for_create(&mut s, &hosts());
        assert_eq!(s.metadata.generation, Some(1));
        assert_eq!(s.spec.tag("latest").unwrap().generation, Some(1));
        assert!(s.status.tags.is_empty());
        assert_eq!(s.status.docker_image_repository, "");
    }

    /// §4.3: what counts as a tag change.
    #[test]
    fn s4_3_tag_ref_changed_table() {
        let base = {
            let mut t = spec_tag("t", "DockerImage", "quay.io/a/b:1");
            t.generation = Some(3);
            t
        };
        let same = |f: &dyn Fn(&mut TagReference)| {
            let mut n = base.clone();
            f(&mut n);
            tag_ref_changed(&base, &n, "ns")
        };
        assert!(!same(&|_| {}));
        assert!(same(
            &|t| t.from.as_mut().unwrap().name = "quay.io/a/b:2".into()
        ));
        assert!(same(
            &|t| t.from.as_mut().unwrap().namespace = "other".into()
        ));
        assert!(
            !same(&|t| t.from.as_mut().unwrap().namespace = "ns".into()),
            "empty ns = stream ns"
        );
        assert!(same(&|t| t.reference = true));
        assert!(same(
            &|t| t.import_policy.import_mode = "PreserveOriginal".into()
        ));
        assert!(same(&|t| t.generation = Some(0)));
        assert!(same(&|t| t.from = None));
        // not changes (§18 item 3)
        assert!(!same(
            &|t| t.from.as_mut().unwrap().kind = "ImageStreamTag".into()
        ));
        assert!(!same(&|t| t.import_policy.insecure = true));
        assert!(!same(&|t| t.import_policy.scheduled = true));
        assert!(!same(&|t| t.reference_policy.type_ = "Local".into()));
        assert!(!same(
            &|t| t.annotations = Some(BTreeMap::from([("a".into(), "b".into())]))
        ));
        assert!(!same(&|t| t.generation = Some(99)));
    }

    fn stored() -> ImageStream {
        let mut s = stream("ns", "app");
        s.metadata.generation = Some(2);
        let mut t = spec_tag("latest", "DockerImage", "quay.io/a/b:1");
        t.generation = Some(2);
        s.spec.set_tag(t);
        let mut u = spec_tag("other", "DockerImage", "quay.io/a/c:1");
        u.generation = Some(1);
        s.spec.set_tag(u);
        add_tag_event(
            &mut s,
            "latest",
            event_at("quay.io/a/b@sha256:1", "sha256:1", 2, 5),
        );
        s
    }

    /// §4.2 / §18 item 2: users cannot set generations except to 0; annotation changes do not
    /// bump metadata.generation.
    #[test]
    fn s4_2_update_restores_generations_and_ignores_metadata_changes() {
        let old = stored();
        let mut new = old.clone();
        new.spec.tag_mut("latest").unwrap().generation = Some(100);
        new.spec.tag_mut("other").unwrap().generation = None;
        new.metadata.annotations = Some(BTreeMap::from([("k".into(), "v".into())]));
        new.metadata.labels = Some(BTreeMap::from([("l".into(), "v".into())]));
        new.status = Default::default();
        prepare_for_update(&mut new, &old, &hosts());
        assert_eq!(new.metadata.generation, Some(2));
        assert_eq!(new.spec.tag("latest").unwrap().generation, Some(2));
        assert_eq!(new.spec.tag("other").unwrap().generation, Some(1));
        assert_eq!(
            new.status.tags, old.status.tags,
            "status comes from storage"
        );
    }

    /// §4.2 step 2–3: a changed tag bumps the stream generation and takes it; untouched tags keep
    /// theirs; a new tag gets it too; generation 0 means "re-import now".
    #[test]
    fn s4_2_update_changed_new_and_zeroed_tags() {
        let old = stored();
        let mut new = old.clone();
        new.spec
            .tag_mut("latest")
            .unwrap()
            .from
            .as_mut()
            .unwrap()
            .name = "quay.io/a/b:2".into();
        new.spec
            .set_tag(spec_tag("fresh", "DockerImage", "quay.io/x/y:1"));
        prepare_for_update(&mut new, &old, &hosts());
        assert_eq!(new.metadata.generation, Some(3));
        assert_eq!(new.spec.tag("latest").unwrap().generation, Some(3));
        assert_eq!(new.spec.tag("fresh").unwrap().generation, Some(3));
        assert_eq!(new.spec.tag("other").unwrap().generation, Some(1));

        let mut zero = old.clone();
        zero.spec.tag_mut("other").unwrap().generation = Some(0);
        prepare_for_update(&mut zero, &old, &hosts());
        assert_eq!(zero.metadata.generation, Some(3));
        assert_eq!(zero.spec.tag("other").unwrap().generation, Some(3));
        assert_eq!(zero.spec.tag("latest").unwrap().generation, Some(2));
    }

    /// §18 item 3: toggling scheduled/insecure/referencePolicy bumps metadata.generation (spec
    /// changed) but does not give the tag a new generation, so no import is triggered.
    #[test]
    fn s4_3_policy_toggles_do_not_trigger_import() {
        let mut old = stored();
        // mark the stream as imported so only the generation rule matters
        old.metadata.annotations = Some(BTreeMap::from([(
            ANNOTATION_DOCKER_REPOSITORY_CHECK.to_owned(),
            "2026-01-01T00:00:00Z".to_owned(),
        )]));
        let mut new = old.clone();
        new.spec.tag_mut("latest").unwrap().import_policy.scheduled = true;
        new.spec.tag_mut("latest").unwrap().reference_policy.type_ = "Local".into();
        prepare_for_update(&mut new, &old, &hosts());
        assert_eq!(new.metadata.generation, Some(3));
        assert_eq!(new.spec.tag("latest").unwrap().generation, Some(2));
        assert!(!tag_needs_import(
            &new,
            new.spec.tag("latest").unwrap(),
            false
        ));
    }

    /// §4.2: a stored generation of 0 (legacy object) is bumped on any update.
    #[test]
    fn s4_2_zero_stored_generation_is_bumped() {
        let mut old = stored();
        old.metadata.generation = Some(0);
        let mut new = old.clone();
        prepare_for_update(&mut new, &old, &hosts());
        assert_eq!(new.metadata.generation, Some(1));
    }

    /// §4.3: needs-import compares the spec generation with max(head, condition).
    #[test]
    fn s4_3_needs_import() {
        let mut s = stored();
        let latest = s.spec.tag("latest").unwrap().clone();
        assert_eq!(latest_observed_tag_generation(&s, "latest"), 2);
        assert!(!tag_needs_import(&s, &latest, false));
        let mut bumped = latest.clone();
        bumped.generation = Some(3);
        assert!(tag_needs_import(&s, &bumped, false));
        // a failure condition at generation 3 counts as observed
        s.status
            .tag_entry("latest")
            .conditions
            .push(TagEventCondition {
                type_: "ImportSuccess".into(),
                status: "False".into(),
                generation: 3,
                ..Default::default()
            });
        assert_eq!(latest_observed_tag_generation(&s, "latest"), 3);
        assert!(!tag_needs_import(&s, &bumped, false));
        // reference tags and non-DockerImage tags are never imported
        let mut r = bumped.clone();
        r.reference = true;
        r.generation = Some(10);
        assert!(!tag_needs_import(&s, &r, true));
        let ist = spec_tag("x", "ImageStreamTag", "latest");
        assert!(!tag_needs_import(&s, &ist, true));
        // nil generation
        let mut nil = bumped.clone();
        nil.generation = None;
        assert!(!tag_needs_import(&s, &nil, false));
        assert!(tag_needs_import(&s, &nil, true));
    }

    /// §14.1: stream-level decision.
    #[test]
    fn s14_1_stream_needs_import() {
        let mut s = stream("ns", "app");
        assert_eq!(stream_needs_import(&s), ImportNeed::None);
        s.spec.docker_image_repository = "quay.io/a/b".into();
        assert_eq!(stream_needs_import(&s), ImportNeed::Full);
        s.spec.docker_image_repository.clear();
        let mut t = spec_tag("t", "DockerImage", "quay.io/a/b:1");
        t.generation = Some(1);
        s.spec.set_tag(t);
        assert_eq!(stream_needs_import(&s), ImportNeed::Partial);
        s.metadata.annotations = Some(BTreeMap::from([(
            ANNOTATION_DOCKER_REPOSITORY_CHECK.to_owned(),
            "x".to_owned(),
        )]));
        assert_eq!(
            stream_needs_import(&s),
            ImportNeed::Partial,
            "generation 1 > observed 0"
        );
        add_tag_event(
            &mut s,
            "t",
            event_at("quay.io/a/b@sha256:1", "sha256:1", 1, 1),
        );
        assert_eq!(stream_needs_import(&s), ImportNeed::None);
    }

    /// §4.4: status writes keep spec, and derive generation-0 heads from the stored stream.
    #[test]
    fn s4_4_status_update_generations() {
        let old = stored();
        let mut new = old.clone();
        new.spec.tags.clear();
        new.spec.docker_image_repository = "evil/repo".into();
        // new head for latest with generation 0 and a different image → spec tag generation
        add_tag_event(
            &mut new,
            "latest",
            event_at("quay.io/a/b@sha256:2", "sha256:2", 0, 9),
        );
        // brand-new tag with generation 0 → metadata.generation
        add_tag_event(
            &mut new,
            "pushed",
            event_at("r/ns/app@sha256:3", "sha256:3", 0, 9),
        );
        new.metadata.generation = Some(2);
        prepare_for_status_update(&mut new, &old, &hosts());
        assert_eq!(new.spec.tags, old.spec.tags);
        assert_eq!(new.spec.docker_image_repository, "");
        assert_eq!(new.status.tag("latest").unwrap().events()[0].generation, 2);
        assert_eq!(new.status.tag("pushed").unwrap().events()[0].generation, 2);
        // non-zero generations are kept as sent
        let mut keep = old.clone();
        add_tag_event(
            &mut keep,
            "latest",
            event_at("quay.io/a/b@sha256:4", "sha256:4", 9, 9),
        );
        prepare_for_status_update(&mut keep, &old, &hosts());
        assert_eq!(keep.status.tag("latest").unwrap().events()[0].generation, 9);
    }

    #[test]
    fn s4_3_pending_import() {
        let s = stored();
        let mut t = s.spec.tag("latest").unwrap().clone();
        assert!(!has_pending_import(&s, &t));
        t.generation = Some(5);
        assert!(has_pending_import(&s, &t));
    }
}

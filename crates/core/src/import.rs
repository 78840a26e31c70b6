//! ImageStreamImport semantics that need no network (§10): request defaulting, the anonymous
//! retry merge (§10.3), dry-run trimming (§10.4), applying results to a stream (§10.5) and the
//! bulk-import tag selection (§10.6).

use std::collections::BTreeMap;

use tagplane_api::image::{
    ANNOTATION_DOCKER_REPOSITORY_CHECK, CONDITION_IMPORT_SUCCESS, Image, ImageImportStatus,
    ImageStream, ImageStreamImport, ImageStreamSpec, KIND_DOCKER_IMAGE, TagEvent,
    TagEventCondition, TagImportPolicy, TagReference, TagReferencePolicy,
};
use tagplane_api::meta::{ObjectMeta, ObjectReference, Status, Time};
use tagplane_api::reference::ImageReference;

use crate::tag_event::add_tag_event;
use crate::tags::prioritize_tags;

/// Default bulk limit of a repository import (`maxImagesBulkImportedPerRepository`).
pub const DEFAULT_BULK_LIMIT: i64 = 50;

/// Decode-time defaulting of an import request (CONV): an image without `to` whose source has a
/// tag is imported into that tag.
pub fn default_import_request(isi: &mut ImageStreamImport) {
    for spec in &mut isi.spec.images {
        if spec.to.is_none()
            && let Ok(r) = ImageReference::parse(&spec.from.name)
            && !r.tag.is_empty()
        {
            spec.to = Some(tagplane_api::meta::LocalObjectReference { name: r.tag });
        }
    }
}

/// Whether a status asks for the anonymous retry (§10.3): Unauthorized with a message that
/// mentions "username or password" (case-insensitive).
pub fn needs_anonymous_retry(isi: &ImageStreamImport) -> bool {
    isi.status.images.iter().any(|s| {
        s.status.reason.as_deref() == Some("Unauthorized")
            && s.status
                .message
                .as_deref()
                .is_some_and(|m| m.to_ascii_lowercase().contains("username or password"))
    })
}

/// After the anonymous retry, restore the first attempt's status for images still Unauthorized
/// so their messages stay meaningful (§10.3).
pub fn merge_anonymous_retry(first: &ImageStreamImport, retried: &mut ImageStreamImport) {
    for (i, s) in retried.status.images.iter_mut().enumerate() {
        if s.status.reason.as_deref() == Some("Unauthorized")
            && let Some(orig) = first.status.images.get(i)
        {
            *s = orig.clone();
        }
    }
}

/// Dry run (§10.4): remove manifest and config from returned images unless `includeManifest`.
pub fn trim_dry_run(isi: &mut ImageStreamImport) {
    let strip = |img: &mut Image| {
        img.docker_image_manifest.clear();
        img.docker_image_config.clear();
    };
    for (i, st) in isi.status.images.iter_mut().enumerate() {
        let keep = isi.spec.images.get(i).is_some_and(|s| s.include_manifest);
        if !keep {
            st.image.iter_mut().for_each(strip);
            st.manifests.iter_mut().for_each(strip);
        }
    }
    let keep_repo = isi
        .spec
        .repository
        .as_ref()
        .is_some_and(|r| r.include_manifest);
    if let Some(repo) = &mut isi.status.repository
        && !keep_repo
    {
        for st in &mut repo.images {
            st.image.iter_mut().for_each(strip);
            st.manifests.iter_mut().for_each(strip);
        }
    }
    isi.status.import = None;
}

/// Split remote tags for a bulk repository import (§10.6): an empty tag counts as `latest`;
/// tags are ordered by priority; the first `limit` are imported (`-1` = unlimited) and the rest
/// are returned as additional tags.
pub fn select_bulk_tags(remote: &[String], limit: i64) -> (Vec<String>, Vec<String>) {
    let mut tags: Vec<String> = remote
        .iter()
        .map(|t| {
            if t.is_empty() {
                "latest".to_owned()
            } else {
                t.clone()
            }
        })
        .collect();
    tags.sort();
    tags.dedup();
    prioritize_tags(&mut tags);
    if limit < 0 || tags.len() as i64 <= limit {
        return (tags, Vec::new());
    }
    let rest = tags.split_off(limit as usize);
    (tags, rest)
}

/// How the service layer must persist the stream after applying results (§10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportWrite {
    /// The stream is new: create it.
    Create,
    /// Write spec and status through the internal update path.
    Update,
    /// Nothing changed and the stream was already checked: return the stored stream.
    None,
}

/// The result of [`apply_import_results`].
#[derive(Clone, Debug)]
pub struct ImportApplication {
    /// The stream to persist (or the stored one when `write` is `None`).
    pub stream: ImageStream,
    /// What to do with it.
    pub write: ImportWrite,
    /// Images to create (each digest once; AlreadyExists is fine), with signatures, manifest and
    /// config stripped.
    pub images: Vec<Image>,
}

/// Record a failed import on `tag` (§10.5 `setFailureCondition`). Identical type, status, reason
/// and message leave everything untouched; otherwise the condition replaces the old ones and a
/// spec tag's generation is zeroed. Returns whether anything changed.
pub fn set_failure_condition(
    stream: &mut ImageStream,
    tag: &str,
    status: &Status,
    next_generation: i64,
    now: &Time,
) -> bool {
    let reason = status.reason.clone().unwrap_or_default();
    let message = status
        .message
        .clone()
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "unknown error prevented import".to_owned());
    let cond = TagEventCondition {
        type_: CONDITION_IMPORT_SUCCESS.to_owned(),
        status: "False".to_owned(),
        last_transition_time: Some(now.clone()),
        reason,
        message,
        generation: next_generation,
    };
    let entry = stream.status.tag_entry(tag);
    let same = entry.conditions.iter().any(|c| {
        c.type_ == cond.type_
            && c.status == cond.status
            && c.reason == cond.reason
            && c.message == cond.message
    });
    if same {
        return false;
    }
    entry.conditions = vec![cond];
    if let Some(spec) = stream.spec.tag_mut(tag) {
        spec.generation = Some(0);
    }
    true
}

/// Where an imported image came from and how its tag should be imported and consumed.
#[derive(Clone, Copy, Debug)]
pub struct ImportSource<'a> {
    /// Source pull spec in the user's spelling (`mysql:8`, `quay.io/org/app:1`).
    pub from: &'a str,
    /// Import policy of the request.
    pub import_policy: &'a TagImportPolicy,
    /// Reference policy of the request.
    pub reference_policy: &'a TagReferencePolicy,
}

/// Record a successful import of `image` into `tag` (§10.5 "import successful").
/// Returns whether anything changed.
pub fn import_successful(
    stream: &mut ImageStream,
    tag: &str,
    source: ImportSource<'_>,
    image: &Image,
    next_generation: i64,
    now: &Time,
) -> bool {
    let ImportSource {
        from,
        import_policy,
        reference_policy,
    } = source;
    let digest = image.metadata.name.clone().unwrap_or_default();
    let pull_spec = match ImageReference::parse(from) {
        Ok(mut r) => {
            r.id = digest.clone();
            r.most_specific().exact()
        }
        Err(_) => image.docker_image_reference.clone(),
    };
    let event = TagEvent {
        created: Some(now.clone()),
        docker_image_reference: pull_spec,
        image: digest,
        generation: next_generation,
        platforms: vec![],
    };
    let head = stream.status.tag(tag).and_then(|t| t.newest()).cloned();
    let spec = stream.spec.tag(tag).cloned();
    let reset = match (&head, &spec) {
        (None, _) | (_, None) => true,
        (Some(h), Some(s)) => match s.generation {
            None => true,
            Some(g) => {
                h.docker_image_reference != event.docker_image_reference
                    || h.image != event.image
                    || g > h.generation
            }
        },
    };
    let mut changed = false;
    if reset {
        // A new tag takes the request's reference policy; an existing one keeps its own
        // (stored tags always carry one, since decoding defaults it to `Source`).
        let is_new = spec.is_none();
        let mut t = spec.unwrap_or_else(|| TagReference {
            name: tag.to_owned(),
            ..Default::default()
        });
        t.from = Some(ObjectReference::new(KIND_DOCKER_IMAGE, from));
        t.generation = Some(0);
        t.import_policy = import_policy.clone();
        if is_new || t.reference_policy.type_.is_empty() {
            t.reference_policy = reference_policy.clone();
        }
        stream.spec.set_tag(t);
        add_tag_event(stream, tag, event);
        changed = true;
    }
    if let Some(t) = stream.spec.tag_mut(tag)
        && t.import_policy != *import_policy
    {
        t.import_policy = import_policy.clone();
        changed = true;
    }
    let entry = stream.status.tag_entry(tag);
    if !entry.conditions.is_empty() {
        entry.conditions.clear();
        changed = true;
    }
    changed
}

fn is_success(s: &ImageImportStatus) -> bool {
    s.status.status.as_deref() == Some("Success")
}

fn stripped(image: &Image) -> Image {
    let mut i = image.clone();
    i.signatures.clear();
    i.docker_image_manifest.clear();
    i.docker_image_config.clear();
    i
}

fn collect_images(st: &ImageImportStatus, out: &mut BTreeMap<String, Image>) {
    for img in st.image.iter().chain(st.manifests.iter()) {
        if let Some(name) = img.metadata.name.clone() {
            out.entry(name).or_insert_with(|| stripped(img));
        }
    }
}

/// Apply the importer's results in `isi.status` to the target stream (§10.5). `existing` is the
/// stored stream, if any; `isi` carries the namespace and name of the stream.
pub fn apply_import_results(
    existing: Option<&ImageStream>,
    isi: &ImageStreamImport,
    now: &Time,
) -> ImportApplication {
    let mut stream = existing.cloned().unwrap_or_else(|| ImageStream {
        metadata: ObjectMeta {
            name: isi.metadata.name.clone(),
            namespace: isi.metadata.namespace.clone(),
            generation: Some(0),
            ..Default::default()
        },
        // A stream created by a whole-repository import records that repository as its
        // source (the `import-image --confirm --all` row of cli spec §A2).
        spec: ImageStreamSpec {
            docker_image_repository: isi
                .spec
                .repository
                .as_ref()
                .map(|r| r.from.name.clone())
                .unwrap_or_default(),
            ..Default::default()
        },
        ..Default::default()
    });
    let next_generation = stream.metadata.generation.unwrap_or(0) + 1;
    let mut changed = false;
    let mut images: BTreeMap<String, Image> = BTreeMap::new();

    if let (Some(spec), Some(status)) = (&isi.spec.repository, &isi.status.repository) {
        for st in &status.images {
            if st.tag.is_empty() {
                continue;
            }
            if !is_success(st) {
                changed |=
                    set_failure_condition(&mut stream, &st.tag, &st.status, next_generation, now);
                continue;
            }
            let Some(image) = &st.image else { continue };
            let from = format!("{}:{}", spec.from.name, st.tag);
            let source = ImportSource {
                from: &from,
                import_policy: &spec.import_policy,
                reference_policy: &spec.reference_policy,
            };
            changed |= import_successful(&mut stream, &st.tag, source, image, next_generation, now);
            collect_images(st, &mut images);
        }
    }

    for (i, spec) in isi.spec.images.iter().enumerate() {
        let Some(to) = &spec.to else { continue };
        let Some(st) = isi.status.images.get(i) else {
            continue;
        };
        if !is_success(st) {
            changed |=
                set_failure_condition(&mut stream, &to.name, &st.status, next_generation, now);
            if stream.spec.tag(&to.name).is_none() {
                stream.spec.set_tag(TagReference {
                    name: to.name.clone(),
                    from: Some(ObjectReference::new(KIND_DOCKER_IMAGE, &spec.from.name)),
                    generation: Some(0),
                    import_policy: spec.import_policy.clone(),
                    reference_policy: spec.reference_policy.clone(),
                    ..Default::default()
                });
                changed = true;
            }
            continue;
        }
        let Some(image) = &st.image else { continue };
        let source = ImportSource {
            from: &spec.from.name,
            import_policy: &spec.import_policy,
            reference_policy: &spec.reference_policy,
        };
        changed |= import_successful(&mut stream, &to.name, source, image, next_generation, now);
        collect_images(st, &mut images);
    }
    // Successful images are created even when they were not tagged (digest imports without `to`).
    for st in isi.status.images.iter().filter(|s| is_success(s)) {
        collect_images(st, &mut images);
    }

    let checked = stream
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ANNOTATION_DOCKER_REPOSITORY_CHECK));
    let write = match existing {
        None => ImportWrite::Create,
        Some(_) if checked && !changed => ImportWrite::None,
        Some(_) => ImportWrite::Update,
    };
    if write != ImportWrite::None {
        let stamp = now.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        stream
            .metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert(ANNOTATION_DOCKER_REPOSITORY_CHECK.to_owned(), stamp);
    }
    ImportApplication {
        stream,
        write,
        images: images.into_values().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generation::{prepare_spec_for_update, tag_needs_import};
    use crate::testutil::*;
    use tagplane_api::image::{
        ImageImportSpec, ImageStreamImportSpec, RepositoryImportSpec, RepositoryImportStatus,
    };
    use tagplane_api::meta::LocalObjectReference;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn image(d: &str) -> Image {
        Image {
            metadata: ObjectMeta {
                name: Some(d.into()),
                ..Default::default()
            },
            docker_image_reference: format!("docker.io/library/mysql@{d}"),
            docker_image_manifest: "{}".into(),
            docker_image_config: "{}".into(),
            ..Default::default()
        }
    }

    fn ok(d: &str, tag: &str) -> ImageImportStatus {
        ImageImportStatus {
            status: Status {
                status: Some("Success".into()),
                ..Default::default()
            },
            image: Some(image(d)),
            tag: tag.into(),
            manifests: vec![],
        }
    }

    fn fail(reason: &str, msg: &str) -> ImageImportStatus {
        ImageImportStatus {
            status: Status {
                status: Some("Failure".into()),
                reason: Some(reason.into()),
                message: Some(msg.into()),
                code: Some(404),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn request(from: &str, to: Option<&str>) -> ImageStreamImport {
        ImageStreamImport {
            metadata: ObjectMeta {
                namespace: Some("ns".into()),
                name: Some("app".into()),
                ..Default::default()
            },
            spec: ImageStreamImportSpec {
                import: true,
                images: vec![ImageImportSpec {
                    from: ObjectReference::new("DockerImage", from),
                    to: to.map(|n| LocalObjectReference { name: n.into() }),
                    ..Default::default()
                }],
                repository: None,
            },
            ..Default::default()
        }
    }

    /// CONV defaulting: `to` from the source tag; digests stay untagged.
    #[test]
    fn s2_8_default_to() {
        let mut isi = request("mysql:8", None);
        isi.spec.images.push(ImageImportSpec {
            from: ObjectReference::new("DockerImage", &format!("mysql@{D1}")),
            ..Default::default()
        });
        default_import_request(&mut isi);
        assert_eq!(isi.spec.images[0].to.as_ref().unwrap().name, "8");
        assert!(isi.spec.images[1].to.is_none());
    }

    /// §10.5: first import into a new stream creates spec tag, event with the user's spelling
    /// made most specific, annotation, and images stripped of manifest/config.
    #[test]
    fn s10_5_success_into_new_stream() {
        let mut isi = request("mysql:8", Some("8"));
        isi.status.images = vec![ok(D1, "8")];
        let out = apply_import_results(None, &isi, &at(100));
        assert_eq!(out.write, ImportWrite::Create);
        let s = &out.stream;
        let head = s.status.tag("8").unwrap().newest().unwrap();
        assert_eq!(head.docker_image_reference, format!("mysql@{D1}"));
        assert_eq!(head.generation, 1);
        let spec = s.spec.tag("8").unwrap();
        assert_eq!(spec.from.as_ref().unwrap().name, "mysql:8");
        assert_eq!(spec.generation, Some(0));
        assert_eq!(
            s.metadata.annotations.as_ref().unwrap()[ANNOTATION_DOCKER_REPOSITORY_CHECK],
            "1970-01-01T00:01:40Z"
        );
        assert_eq!(out.images.len(), 1);
        assert!(
            out.images[0].docker_image_manifest.is_empty()
                && out.images[0].docker_image_config.is_empty()
        );
    }

    /// §10.5: a new tag takes the request's reference policy; an existing tag keeps its own.
    #[test]
    fn s10_5_reference_policy_only_for_new_tags() {
        let mut isi = request("mysql:8", Some("8"));
        isi.spec.images[0].reference_policy.type_ = "Local".into();
        isi.status.images = vec![ok(D1, "8")];
        let first = apply_import_results(None, &isi, &at(100)).stream;
        assert_eq!(first.spec.tag("8").unwrap().reference_policy.type_, "Local");

        let mut stored = first.clone();
        stored.spec.tag_mut("8").unwrap().reference_policy.type_ = "Source".into();
        isi.status.images = vec![ok(D2, "8")];
        let again = apply_import_results(Some(&stored), &isi, &at(200)).stream;
        assert_eq!(
            again.spec.tag("8").unwrap().reference_policy.type_,
            "Source"
        );
    }

    /// §10.5: re-import of the same digest on a checked stream writes nothing.
    #[test]
    fn s10_5_same_digest_no_write() {
        let mut isi = request("mysql:8", Some("8"));
        isi.status.images = vec![ok(D1, "8")];
        let first = apply_import_results(None, &isi, &at(100)).stream;
        // emulate the internal update path: generation 0 → next generation
        let mut stored = first.clone();
        stored.metadata.generation = Some(1);
        stored.spec.tag_mut("8").unwrap().generation = Some(1);
        let again = apply_import_results(Some(&stored), &isi, &at(200));
        assert_eq!(again.write, ImportWrite::None, "{:?}", again.stream);
        assert_eq!(again.stream.status, stored.status);
    }

    /// §10.5: a new digest adds history and resets the spec generation to 0.
    #[test]
    fn s10_5_new_digest_adds_history() {
        let mut isi = request("mysql:8", Some("8"));
        isi.status.images = vec![ok(D1, "8")];
        let mut stored = apply_import_results(None, &isi, &at(100)).stream;
        stored.metadata.generation = Some(1);
        stored.spec.tag_mut("8").unwrap().generation = Some(1);
        isi.status.images = vec![ok(D2, "8")];
        let out = apply_import_results(Some(&stored), &isi, &at(200));
        assert_eq!(out.write, ImportWrite::Update);
        let items = out.stream.status.tag("8").unwrap().events().to_vec();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].image, D2);
        assert_eq!(items[0].generation, 2);
        assert_eq!(out.stream.spec.tag("8").unwrap().generation, Some(0));
    }

    /// §10.5 / §18 item 5: identical failures are not re-recorded; changed messages replace the
    /// condition and zero the spec generation; the controller then does not loop.
    #[test]
    fn s10_5_failure_dedup() {
        let mut isi = request("quay.io/org/gone:1", Some("gone"));
        isi.status.images = vec![fail(
            "NotFound",
            "dockerimage.image.openshift.io \"quay.io/org/gone:1\" not found",
        )];
        let first = apply_import_results(None, &isi, &at(100));
        let mut stored = first.stream.clone();
        let cond = stored.status.tag("gone").unwrap().conditions[0].clone();
        assert_eq!(cond.reason, "NotFound");
        assert_eq!(cond.generation, 1);
        assert_eq!(cond.last_transition_time, Some(at(100)));
        assert_eq!(
            stored.spec.tag("gone").unwrap().generation,
            Some(0),
            "spec tag ensured"
        );
        // internal update path turns generation 0 into the stream generation
        let old = ImageStream {
            metadata: stored.metadata.clone(),
            ..Default::default()
        };
        prepare_spec_for_update(&mut stored, &old);
        assert_eq!(stored.spec.tag("gone").unwrap().generation, Some(1));
        assert!(
            !tag_needs_import(&stored, stored.spec.tag("gone").unwrap(), false),
            "no loop"
        );
        // the same failure again: nothing changes, no write
        let again = apply_import_results(Some(&stored), &isi, &at(200));
        assert_eq!(again.write, ImportWrite::None);
        assert_eq!(
            again.stream.status.tag("gone").unwrap().conditions[0].last_transition_time,
            Some(at(100))
        );
        // a different message replaces the condition
        isi.status.images = vec![fail("NotFound", "other text")];
        let changed = apply_import_results(Some(&stored), &isi, &at(300));
        assert_eq!(changed.write, ImportWrite::Update);
        let conds = &changed.stream.status.tag("gone").unwrap().conditions;
        assert_eq!(conds.len(), 1);
        assert_eq!(conds[0].message, "other text");
        assert_eq!(conds[0].generation, 2);
        assert_eq!(changed.stream.spec.tag("gone").unwrap().generation, Some(0));
    }

    /// §10.5: success clears conditions; a missing message gets the default text.
    #[test]
    fn s10_5_success_clears_conditions_and_default_message() {
        let mut s = stream("ns", "app");
        let st = Status {
            reason: Some("InternalError".into()),
            ..Default::default()
        };
        assert!(set_failure_condition(&mut s, "t", &st, 2, &at(1)));
        assert_eq!(
            s.status.tag("t").unwrap().conditions[0].message,
            "unknown error prevented import"
        );
        let policy = (TagImportPolicy::default(), TagReferencePolicy::default());
        let source = ImportSource {
            from: "quay.io/a/b:1",
            import_policy: &policy.0,
            reference_policy: &policy.1,
        };
        let changed = import_successful(&mut s, "t", source, &image(D1), 2, &at(2));
        assert!(changed);
        assert!(s.status.tag("t").unwrap().conditions.is_empty());
    }

    /// §10.5: repository results tag `<repo>:<tag>`; untagged digest imports still create images.
    #[test]
    fn s10_5_repository_and_untagged() {
        let mut isi = request(&format!("mysql@{D2}"), None);
        isi.status.images = vec![ok(D2, "")];
        isi.spec.repository = Some(RepositoryImportSpec {
            from: ObjectReference::new("DockerImage", "quay.io/org/app"),
            ..Default::default()
        });
        isi.status.repository = Some(RepositoryImportStatus {
            status: Status {
                status: Some("Success".into()),
                ..Default::default()
            },
            images: vec![ok(D1, "v1"), {
                let mut f = fail("NotFound", "x");
                f.tag = "v2".into();
                f
            }],
            additional_tags: vec![],
        });
        let out = apply_import_results(None, &isi, &at(5));
        assert_eq!(out.stream.spec.docker_image_repository, "quay.io/org/app");
        assert_eq!(
            out.stream
                .spec
                .tag("v1")
                .unwrap()
                .from
                .as_ref()
                .unwrap()
                .name,
            "quay.io/org/app:v1"
        );
        assert_eq!(
            out.stream
                .status
                .tag("v1")
                .unwrap()
                .newest()
                .unwrap()
                .docker_image_reference,
            format!("quay.io/org/app@{D1}")
        );
        assert_eq!(
            out.stream.status.tag("v2").unwrap().conditions[0].reason,
            "NotFound"
        );
        let names: Vec<_> = out
            .images
            .iter()
            .map(|i| i.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, vec![D1.to_owned(), D2.to_owned()]);
    }

    /// §10.3: anonymous retry decision and merge.
    #[test]
    fn s10_3_anonymous_retry() {
        let mut first = request("quay.io/a/b:1", Some("t"));
        first.status.images = vec![fail(
            "Unauthorized",
            "incorrect Username or Password for image \"x\"",
        )];
        assert!(needs_anonymous_retry(&first));
        let mut retried = first.clone();
        retried.status.images = vec![fail(
            "Unauthorized",
            "you may not have access to the container image \"x\"",
        )];
        merge_anonymous_retry(&first, &mut retried);
        assert_eq!(
            retried.status.images[0].status.message,
            first.status.images[0].status.message
        );
        let mut other = first.clone();
        other.status.images = vec![fail("NotFound", "username or password")];
        assert!(!needs_anonymous_retry(&other));
    }

    /// §10.4: dry runs drop manifests unless includeManifest, and never carry a stream.
    #[test]
    fn s10_4_dry_run() {
        let mut isi = request("mysql:8", Some("8"));
        isi.spec.images.push(ImageImportSpec {
            from: ObjectReference::new("DockerImage", "mysql:9"),
            include_manifest: true,
            ..Default::default()
        });
        isi.status.images = vec![ok(D1, "8"), ok(D2, "9")];
        isi.status.import = Some(stream("ns", "app"));
        trim_dry_run(&mut isi);
        assert!(
            isi.status.images[0]
                .image
                .as_ref()
                .unwrap()
                .docker_image_manifest
                .is_empty()
        );
        assert_eq!(
            isi.status.images[1]
                .image
                .as_ref()
                .unwrap()
                .docker_image_manifest,
            "{}"
        );
        assert!(isi.status.import.is_none());
    }

    /// §10.6: bulk selection with the default limit, unlimited, and empty → latest.
    #[test]
    fn s10_6_bulk_selection() {
        let remote: Vec<String> = (0..60)
            .map(|i| format!("1.{i}"))
            .chain(["".to_owned(), "zzz".to_owned()])
            .collect();
        let (take, rest) = select_bulk_tags(&remote, DEFAULT_BULK_LIMIT);
        assert_eq!(take.len(), 50);
        assert_eq!(take[0], "latest");
        assert_eq!(take[1], "1.59");
        assert_eq!(rest.len(), 12);
        assert_eq!(rest.last().unwrap(), "zzz");
        let (all, none) = select_bulk_tags(&remote, -1);
        assert_eq!(all.len(), 62);
        assert!(none.is_empty());
    }
}

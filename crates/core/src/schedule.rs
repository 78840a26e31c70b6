//! The pure half of the import controllers (§14.1, §14.2): the ImageStreamImport request a
//! controller sends for a stream, which streams and tags are scheduled, the scheduled re-check
//! request, the bucket scheduler with its pacing and the global per-minute limiter, and the
//! per-item exponential backoff. Time is an explicit `now` (a [`Duration`] since any fixed
//! origin the caller chooses), so every schedule is exact in tests.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::Duration;

use tagplane_api::image::{
    ANNOTATION_INSECURE_REPOSITORY, ImageImportSpec, ImageStream, ImageStreamImport,
    ImageStreamImportSpec, ImageStreamImportStatus, KIND_DOCKER_IMAGE, RepositoryImportSpec,
    TagImportPolicy, TagReference,
};
use tagplane_api::meta::{IMAGE_API_VERSION, LocalObjectReference, ObjectMeta, ObjectReference};
use tagplane_api::reference::ImageReference;

use crate::generation::{ImportNeed, stream_needs_import, tag_importable, tag_needs_import};

/// Default minimum interval between scheduled checks of a stream
/// (`scheduledImageImportMinimumIntervalSeconds`, §14.2).
pub const DEFAULT_IMPORT_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Default cap on scheduled imports per minute (`maxScheduledImageImportsPerMinute`, §14.2).
pub const DEFAULT_MAX_SCHEDULED_PER_MINUTE: i64 = 60;
/// First retry delay of a failed import (§14.1, the workqueue's default).
pub const BACKOFF_BASE: Duration = Duration::from_millis(5);
/// Longest retry delay of a failed import (§14.1).
pub const BACKOFF_MAX: Duration = Duration::from_secs(1000);

// ------------------------------------------------------------------------ requests (§14.1)

/// The ImageStreamImport the import controller sends for `stream` (§14.1): name, namespace,
/// resourceVersion and uid of the stream, `spec.import = true`; `spec.images` holds every
/// importable tag ([`ImportNeed::Full`]) or only the tags that need import
/// ([`ImportNeed::Partial`], a nil spec generation counting as "needs import"), each with
/// `from`, `to = tag` and the tag's import and reference policies; a full import also asks for
/// `spec.dockerImageRepository`, insecure when the stream is annotated
/// `openshift.io/image.insecureRepository: "true"`. `None` when there is nothing to import.
pub fn import_request(stream: &ImageStream, need: ImportNeed) -> Option<ImageStreamImport> {
    let partial = match need {
        ImportNeed::None => return None,
        ImportNeed::Full => false,
        ImportNeed::Partial => true,
    };
    let images: Vec<ImageImportSpec> = stream
        .spec
        .tags
        .iter()
        .filter(|t| tag_importable(t) && (!partial || tag_needs_import(stream, t, true)))
        .filter_map(|t| {
            let from = t.from.as_ref()?;
            Some(ImageImportSpec {
                from: ObjectReference::new(KIND_DOCKER_IMAGE, &from.name),
                to: Some(LocalObjectReference {
                    name: t.name.clone(),
                }),
                import_policy: t.import_policy.clone(),
                reference_policy: t.reference_policy.clone(),
                include_manifest: false,
            })
        })
        .collect();
    let repository = (!partial && !stream.spec.docker_image_repository.is_empty()).then(|| {
        let insecure = stream
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_INSECURE_REPOSITORY))
            .is_some_and(|v| v == "true");
        RepositoryImportSpec {
            from: ObjectReference::new(KIND_DOCKER_IMAGE, &stream.spec.docker_image_repository),
            import_policy: TagImportPolicy {
                insecure,
                ..Default::default()
            },
            ..Default::default()
        }
    });
    if images.is_empty() && repository.is_none() {
        return None;
    }
    Some(ImageStreamImport {
        api_version: IMAGE_API_VERSION.to_owned(),
        kind: "ImageStreamImport".to_owned(),
        metadata: ObjectMeta {
            name: stream.metadata.name.clone(),
            namespace: stream.metadata.namespace.clone(),
            resource_version: stream.metadata.resource_version.clone(),
            uid: stream.metadata.uid.clone(),
            ..Default::default()
        },
        spec: ImageStreamImportSpec {
            import: true,
            repository,
            images,
        },
        status: Default::default(),
    })
}

/// What the import controller sends for `stream` now, if anything (§14.1 `needsImport` then
/// the request).
pub fn controller_import_request(stream: &ImageStream) -> Option<ImageStreamImport> {
    import_request(stream, stream_needs_import(stream))
}

// ------------------------------------------------------------------- scheduling (§14.2)

/// Whether `tag` is re-checked by the scheduled import controller (§14.2): importable with
/// `importPolicy.scheduled`, except a digest-pinned tag whose newest event was already imported
/// at the tag's current spec generation (a digest cannot move, so it is scheduled only until it
/// first succeeds). A tag whose `from.name` does not parse is never scheduled.
pub fn tag_scheduled(stream: &ImageStream, tag: &TagReference) -> bool {
    if !tag_importable(tag) || !tag.import_policy.scheduled {
        return false;
    }
    let name = tag.from.as_ref().map_or("", |f| f.name.as_str());
    let Ok(reference) = ImageReference::parse(name) else {
        return false;
    };
    if reference.id.is_empty() {
        return true;
    }
    let imported = tag.generation.is_some_and(|g| {
        stream
            .status
            .tag(&tag.name)
            .and_then(|t| t.newest())
            .is_some_and(|head| head.generation >= g)
    });
    !imported
}

/// Whether the scheduled import controller keeps `stream` in its schedule (§14.2): any of its
/// tags is scheduled ([`tag_scheduled`]).
pub fn stream_scheduled(stream: &ImageStream) -> bool {
    stream.spec.tags.iter().any(|t| tag_scheduled(stream, t))
}

/// Give every scheduled tag `generation := metadata.generation + 1` (§14.2), on a copy the
/// caller owns: the request then asks for those tags again. The server re-derives generations
/// from the stored stream (§10.5), so a re-check that finds the same digest (or the identical
/// failure) writes nothing.
pub fn reset_scheduled_tags(stream: &mut ImageStream) {
    let next = stream.metadata.generation.unwrap_or(0) + 1;
    let scheduled: Vec<String> = stream
        .spec
        .tags
        .iter()
        .filter(|t| tag_scheduled(stream, t))
        .map(|t| t.name.clone())
        .collect();
    for name in scheduled {
        if let Some(t) = stream.spec.tag_mut(&name) {
            t.generation = Some(next);
        }
    }
}

/// The request of a scheduled re-check of `stream` (§14.2): on a copy, scheduled tags get the
/// next generation and the import controller's request is built from it (partial unless the
/// stream lacks its repository-check annotation). `None` when the stream is not scheduled.
pub fn scheduled_import_request(stream: &ImageStream) -> Option<ImageStreamImport> {
    if !stream_scheduled(stream) {
        return None;
    }
    let mut copy = stream.clone();
    reset_scheduled_tags(&mut copy);
    controller_import_request(&copy)
}

/// How many buckets (besides the current one) the scheduler spreads streams over for
/// `interval` (§14.2): 4, or 2 below 10 minutes, or 8 above an hour.
pub fn bucket_count(interval: Duration) -> usize {
    if interval > Duration::from_secs(3600) {
        8
    } else if interval < Duration::from_secs(600) {
        2
    } else {
        4
    }
}

/// The self-balancing bucketed queue of the scheduled import controller (§14.2): `n + 1`
/// buckets and a cursor. Items stay until removed; draining the current bucket moves each item
/// to the bucket just behind the cursor, so it comes round again after `n` advances. Keys are
/// unique; values (e.g. uid and resourceVersion) let removals target one version of an item.
#[derive(Clone, Debug)]
pub struct Scheduler<K, V> {
    buckets: Vec<BTreeMap<K, V>>,
    position: usize,
}

impl<K: Ord + Clone, V: Clone + PartialEq> Scheduler<K, V> {
    /// A scheduler with `bucket_count` buckets plus the current one (at least one of each).
    pub fn new(bucket_count: usize) -> Self {
        Scheduler {
            buckets: vec![BTreeMap::new(); bucket_count.max(1) + 1],
            position: 0,
        }
    }

    /// Total number of buckets (including the current one).
    pub fn bucket_len(&self) -> usize {
        self.buckets.len()
    }

    /// Index of the current bucket.
    pub fn position(&self) -> usize {
        self.position
    }

    fn at(&self, inc: isize) -> usize {
        let n = self.buckets.len() as isize;
        ((self.position as isize + inc).rem_euclid(n)) as usize
    }

    /// Which bucket holds `key`, if any.
    pub fn bucket_of(&self, key: &K) -> Option<usize> {
        self.buckets.iter().position(|b| b.contains_key(key))
    }

    /// Whether `key` is scheduled.
    pub fn contains(&self, key: &K) -> bool {
        self.bucket_of(key).is_some()
    }

    /// How many items are scheduled.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(BTreeMap::len).sum()
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.buckets.iter().all(BTreeMap::is_empty)
    }

    /// Schedule `key` (replacing any previous entry) in the least-populated bucket other than
    /// the current one, preferring an empty bucket furthest from the cursor.
    pub fn add(&mut self, key: K, value: V) {
        for b in &mut self.buckets {
            b.remove(&key);
        }
        let n = self.buckets.len();
        let (mut target, mut least) = (self.at(-1), usize::MAX);
        for i in (1..n).rev() {
            let pos = (self.position + i) % n;
            let size = self.buckets[pos].len();
            if size == 0 {
                target = pos;
                break;
            }
            if size < least {
                target = pos;
                least = size;
            }
        }
        self.buckets[target].insert(key, value);
    }

    /// Unschedule `key`. With `value`, a bucket whose entry has another value keeps it and the
    /// result is `false` (a newer version was scheduled meanwhile).
    pub fn remove(&mut self, key: &K, value: Option<&V>) -> bool {
        let mut matched = true;
        for b in &mut self.buckets {
            if let (Some(v), Some(old)) = (value, b.get(key))
                && old != v
            {
                matched = false;
                continue;
            }
            b.remove(key);
        }
        matched
    }

    /// Move `key`, if scheduled, to the bucket just behind the cursor: it was just imported
    /// (§14.1 tells the scheduled controller so), so its next turn is a full round away.
    pub fn delay(&mut self, key: &K) {
        let last = self.at(-1);
        for i in 0..self.buckets.len() {
            if i == last {
                continue;
            }
            if let Some(v) = self.buckets[i].remove(key) {
                self.buckets[last].insert(key.clone(), v);
            }
        }
    }

    /// Take the next item of the current bucket (moving it behind the cursor), or — when the
    /// current bucket is empty — advance the cursor and return `None`.
    pub fn take_next(&mut self) -> Option<(K, V)> {
        let last = self.at(-1);
        if let Some((k, v)) = self.buckets[self.position].pop_first() {
            self.buckets[last].insert(k.clone(), v.clone());
            return Some((k, v));
        }
        self.position = self.at(1);
        None
    }
}

/// A token bucket over explicit time (GCRA form): one token per `period`, at most `burst`
/// stored; starts full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    period: Duration,
    burst: u32,
    /// When the bucket will be full again ("theoretical arrival time").
    full_at: Duration,
}

impl TokenBucket {
    /// A full bucket at `now` with one token per `period` and room for `burst` (≥ 1).
    pub fn new(period: Duration, burst: u32, now: Duration) -> Self {
        TokenBucket {
            period,
            burst: burst.max(1),
            full_at: now,
        }
    }

    /// Time between tokens.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Maximum stored tokens.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    fn window(&self) -> Duration {
        self.period.saturating_mul(self.burst)
    }

    /// Take a token if one is available at `now`.
    pub fn try_take(&mut self, now: Duration) -> bool {
        let next = self.full_at.max(now) + self.period;
        if next.saturating_sub(now) <= self.window() {
            self.full_at = next;
            true
        } else {
            false
        }
    }

    /// Take a token, reserving a future one if none is available: returns how long after `now`
    /// the caller must wait before using it (zero if available now).
    pub fn reserve(&mut self, now: Duration) -> Duration {
        let next = self.full_at.max(now) + self.period;
        self.full_at = next;
        next.saturating_sub(self.window()).saturating_sub(now)
    }
}

/// The global limiter of scheduled imports (§14.2): `max` per minute with a burst of `2×max`;
/// `None` (unlimited) when `max ≤ 0`.
pub fn scheduled_import_limiter(max_per_minute: i64, now: Duration) -> Option<TokenBucket> {
    if max_per_minute <= 0 {
        return None;
    }
    let max = u32::try_from(max_per_minute).unwrap_or(u32::MAX / 2);
    let period = Duration::from_secs(60) / max;
    Some(TokenBucket::new(period, max.saturating_mul(2), now))
}

/// What the scheduled controller's runner does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<K, V> {
    /// Check this item now.
    Process(K, V),
    /// The current bucket was empty and the cursor advanced: wait this long (maybe zero)
    /// before polling again.
    Wait(Duration),
}

/// The scheduler plus its pacing (§14.2): the cursor advances at most `n` times per interval
/// (a token bucket of `n/interval` per second, burst 1).
#[derive(Clone, Debug)]
pub struct ScheduleRunner<K, V> {
    /// The buckets.
    pub scheduler: Scheduler<K, V>,
    pacing: TokenBucket,
}

impl<K: Ord + Clone, V: Clone + PartialEq> ScheduleRunner<K, V> {
    /// A runner for `interval`, starting at `now`.
    pub fn new(interval: Duration, now: Duration) -> Self {
        let n = bucket_count(interval);
        let period = interval / u32::try_from(n).unwrap_or(1);
        ScheduleRunner {
            scheduler: Scheduler::new(n),
            pacing: TokenBucket::new(period, 1, now),
        }
    }

    /// Time between two advances of the cursor (`interval / n`).
    pub fn advance_period(&self) -> Duration {
        self.pacing.period()
    }

    /// The next step at `now`: an item of the current bucket, or — when it is drained — advance
    /// and wait for the pacing token.
    pub fn poll(&mut self, now: Duration) -> Step<K, V> {
        match self.scheduler.take_next() {
            Some((k, v)) => Step::Process(k, v),
            None => Step::Wait(self.pacing.reserve(now)),
        }
    }
}

// -------------------------------------------------------------------- backoff (§14.1)

/// Per-item exponential backoff of failed imports (§14.1): `base × 2^failures`, capped at
/// `max` (5 ms … 1000 s by default), until the item succeeds and is forgotten.
#[derive(Clone, Debug)]
pub struct ItemBackoff<K> {
    base: Duration,
    max: Duration,
    failures: HashMap<K, u32>,
}

impl<K: Eq + Hash> Default for ItemBackoff<K> {
    fn default() -> Self {
        Self::new(BACKOFF_BASE, BACKOFF_MAX)
    }
}

impl<K: Eq + Hash> ItemBackoff<K> {
    /// Backoff from `base` doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        ItemBackoff {
            base,
            max,
            failures: HashMap::new(),
        }
    }

    /// Record a failure of `key`; returns how long to wait before retrying it.
    pub fn failed(&mut self, key: K) -> Duration {
        let n = self.failures.entry(key).or_insert(0);
        let delay = 1u32
            .checked_shl(*n)
            .and_then(|f| self.base.checked_mul(f))
            .map_or(self.max, |d| d.min(self.max));
        *n = n.saturating_add(1);
        delay
    }

    /// Failures recorded for `key` since it was last forgotten.
    pub fn failures(&self, key: &K) -> u32 {
        self.failures.get(key).copied().unwrap_or(0)
    }

    /// `key` succeeded (or is gone): start from `base` again next time.
    pub fn forget(&mut self, key: &K) {
        self.failures.remove(key);
    }
}

// ------------------------------------------------------------- rate limits (issue 5)

/// `Status.reason` of an import the registry refused with `429 Too Many Requests`.
pub const REASON_TOO_MANY_REQUESTS: &str = "TooManyRequests";

/// How long an import result asks the controllers to leave its stream alone: the longest
/// `details.retryAfterSeconds` among the `TooManyRequests` failures of its images, their
/// repository and the repository's images; `None` when no registry asked to wait.
pub fn rate_limit_backoff(status: &ImageStreamImportStatus) -> Option<Duration> {
    let repository = status
        .repository
        .iter()
        .flat_map(|r| std::iter::once(&r.status).chain(r.images.iter().map(|i| &i.status)));
    status
        .images
        .iter()
        .map(|i| &i.status)
        .chain(repository)
        .filter(|s| s.reason.as_deref() == Some(REASON_TOO_MANY_REQUESTS))
        .filter_map(|s| s.details.as_ref()?.retry_after_seconds)
        .filter_map(|secs| u64::try_from(secs).ok())
        .map(Duration::from_secs)
        .max()
}

/// Streams the scheduled controller must not re-check before a time, because a registry
/// answered `429` with a retry time (issue 5: back off as the registry asks).
#[derive(Clone, Debug)]
pub struct RetryGate<K> {
    until: HashMap<K, Duration>,
}

impl<K: Eq + Hash> Default for RetryGate<K> {
    fn default() -> Self {
        RetryGate {
            until: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash> RetryGate<K> {
    /// Hold `key` back until `until` (a later hold is never shortened).
    pub fn defer(&mut self, key: K, until: Duration) {
        let e = self.until.entry(key).or_insert(until);
        *e = (*e).max(until);
    }

    /// Whether `key` may be checked at `now`; a hold that has passed is dropped.
    pub fn allows(&mut self, key: &K, now: Duration) -> bool {
        match self.until.get(key) {
            Some(until) if *until > now => false,
            Some(_) => {
                self.until.remove(key);
                true
            }
            None => true,
        }
    }

    /// `key` is gone.
    pub fn forget(&mut self, key: &K) {
        self.until.remove(key);
    }

    /// Keys held back at the moment (including expired holds not yet dropped).
    pub fn len(&self) -> usize {
        self.until.len()
    }

    /// Whether nothing is held back.
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::apply_import_results;
    use crate::tag_event::add_tag_event;
    use crate::testutil::*;
    use tagplane_api::image::{
        ANNOTATION_DOCKER_REPOSITORY_CHECK, ImageImportStatus, ImageStreamImportStatus,
        RepositoryImportStatus,
    };
    use tagplane_api::meta::Status;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn checked(mut s: ImageStream) -> ImageStream {
        s.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(
                ANNOTATION_DOCKER_REPOSITORY_CHECK.to_owned(),
                "2026-01-01T00:00:00Z".to_owned(),
            );
        s
    }

    fn tag(name: &str, kind: &str, from: &str, generation: Option<i64>) -> TagReference {
        let mut t = spec_tag(name, kind, from);
        t.generation = generation;
        t
    }

    fn scheduled(mut t: TagReference) -> TagReference {
        t.import_policy.scheduled = true;
        t
    }

    fn failure() -> Status {
        Status {
            status: Some("Failure".into()),
            reason: Some("InternalError".into()),
            message: Some("importer not configured".into()),
            code: Some(500),
            ..Default::default()
        }
    }

    /// Answer every image and the repository of `isi` with `status` (what an importer does).
    fn answer(isi: &mut ImageStreamImport, status: &Status) {
        isi.status = ImageStreamImportStatus {
            import: None,
            repository: isi
                .spec
                .repository
                .as_ref()
                .map(|_| RepositoryImportStatus {
                    status: status.clone(),
                    ..Default::default()
                }),
            images: isi
                .spec
                .images
                .iter()
                .map(|_| ImageImportStatus {
                    status: status.clone(),
                    ..Default::default()
                })
                .collect(),
        };
    }

    /// What the server stores after applying `isi` (§10.5 plus the generation bump of the
    /// internal update path, §4.2).
    fn write(stream: &ImageStream, isi: &ImageStreamImport, secs: i64) -> Option<ImageStream> {
        let app = apply_import_results(Some(stream), isi, &at(secs));
        match app.write {
            crate::import::ImportWrite::None => None,
            _ => {
                let mut new = app.stream;
                crate::generation::prepare_spec_for_update(&mut new, stream);
                Some(new)
            }
        }
    }

    /// §14.1: a partial request carries only the tags that need import, with from/to and both
    /// policies, plus the stream's identity and `import: true`.
    #[test]
    fn s14_1_partial_request() {
        let mut s = checked(stream("ns", "app"));
        s.metadata.resource_version = Some("42".into());
        s.metadata.uid = Some("uid-1".into());
        s.metadata.generation = Some(3);
        let mut pending = tag("pending", "DockerImage", "quay.io/a/b:1", Some(3));
        pending.import_policy.insecure = true;
        pending.import_policy.import_mode = "PreserveOriginal".into();
        pending.reference_policy.type_ = "Local".into();
        pending.from.as_mut().unwrap().namespace = "ignored".into();
        s.spec.set_tag(pending);
        s.spec
            .set_tag(tag("done", "DockerImage", "quay.io/a/c:1", Some(2)));
        add_tag_event(&mut s, "done", event_at("quay.io/a/c@x", "x", 2, 1));
        s.spec
            .set_tag(tag("nil", "DockerImage", "quay.io/a/d:1", None));
        let mut reference = tag("ref", "DockerImage", "quay.io/a/e:1", Some(3));
        reference.reference = true;
        s.spec.set_tag(reference);
        s.spec
            .set_tag(tag("ist", "ImageStreamTag", "other:latest", Some(3)));
        assert_eq!(stream_needs_import(&s), ImportNeed::Partial);
        let isi = controller_import_request(&s).unwrap();
        assert_eq!(isi.metadata.name.as_deref(), Some("app"));
        assert_eq!(isi.metadata.namespace.as_deref(), Some("ns"));
        assert_eq!(isi.metadata.resource_version.as_deref(), Some("42"));
        assert_eq!(isi.metadata.uid.as_deref(), Some("uid-1"));
        assert!(isi.spec.import);
        assert!(isi.spec.repository.is_none());
        let names: Vec<&str> = isi
            .spec
            .images
            .iter()
            .map(|i| i.to.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(
            names,
            ["nil", "pending"],
            "nil generation counts as pending"
        );
        let p = &isi.spec.images[1];
        assert_eq!(p.from, ObjectReference::new("DockerImage", "quay.io/a/b:1"));
        assert!(p.import_policy.insecure);
        assert_eq!(p.import_policy.import_mode, "PreserveOriginal");
        assert_eq!(p.reference_policy.type_, "Local");
    }

    /// §14.1: a full import (no repository-check annotation, `spec.dockerImageRepository` set)
    /// asks for every importable tag and the repository, insecure from the annotation.
    #[test]
    fn s14_1_full_request() {
        let mut s = stream("ns", "app");
        s.spec.docker_image_repository = "registry.local:5000/a/b".into();
        s.metadata.annotations = Some(
            [(ANNOTATION_INSECURE_REPOSITORY.to_owned(), "true".to_owned())]
                .into_iter()
                .collect(),
        );
        s.spec
            .set_tag(tag("done", "DockerImage", "quay.io/a/c:1", Some(1)));
        add_tag_event(&mut s, "done", event_at("quay.io/a/c@x", "x", 1, 1));
        let mut reference = tag("ref", "DockerImage", "quay.io/a/e:1", Some(1));
        reference.reference = true;
        s.spec.set_tag(reference);
        assert_eq!(stream_needs_import(&s), ImportNeed::Full);
        let isi = controller_import_request(&s).unwrap();
        assert_eq!(
            isi.spec.images.len(),
            1,
            "every importable tag, even imported"
        );
        assert_eq!(isi.spec.images[0].to.as_ref().unwrap().name, "done");
        let repo = isi.spec.repository.unwrap();
        assert_eq!(
            repo.from,
            ObjectReference::new("DockerImage", "registry.local:5000/a/b")
        );
        assert!(repo.import_policy.insecure);
        // any other annotation value is not insecure
        s.metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(ANNOTATION_INSECURE_REPOSITORY.to_owned(), "yes".to_owned());
        let isi = controller_import_request(&s).unwrap();
        assert!(!isi.spec.repository.unwrap().import_policy.insecure);
    }

    /// §14.1: nothing to import → no request, whatever the stream holds.
    #[test]
    fn s14_1_no_request_without_need() {
        let mut s = checked(stream("ns", "app"));
        assert!(controller_import_request(&s).is_none());
        let mut reference = tag("ref", "DockerImage", "quay.io/a/e:1", Some(5));
        reference.reference = true;
        s.spec.set_tag(reference);
        s.spec
            .set_tag(tag("ist", "ImageStreamTag", "other:latest", Some(5)));
        assert!(controller_import_request(&s).is_none());
        assert!(import_request(&s, ImportNeed::Partial).is_none());
        assert!(import_request(&s, ImportNeed::None).is_none());
    }

    /// §14.1 + §10.5 + §4.3: a failed import records a condition at the generation the spec tag
    /// then carries, so the controller finds nothing to do afterwards — no loop; the same
    /// failure again writes nothing.
    #[test]
    fn s14_1_failed_import_does_not_loop() {
        let mut s = stream("ns", "app");
        s.spec
            .set_tag(tag("t", "DockerImage", "quay.io/a/b:1", Some(1)));
        let mut isi = controller_import_request(&s).unwrap();
        answer(&mut isi, &failure());
        let stored = write(&s, &isi, 10).expect("first failure is written");
        let cond = &stored.status.tag("t").unwrap().conditions[0];
        assert_eq!(cond.generation, 2);
        assert_eq!(stored.spec.tag("t").unwrap().generation, Some(2));
        assert_eq!(stored.metadata.generation, Some(2));
        assert_eq!(stream_needs_import(&stored), ImportNeed::None);
        assert!(controller_import_request(&stored).is_none());
        // a forced re-import (generation 0 → next) failing identically writes nothing
        let mut forced = stored.clone();
        forced.spec.tag_mut("t").unwrap().generation = Some(3);
        forced.metadata.generation = Some(3);
        let mut isi = controller_import_request(&forced).unwrap();
        answer(&mut isi, &failure());
        assert!(write(&forced, &isi, 20).is_none());
    }

    /// §14.2: scheduled = importable + `importPolicy.scheduled`; reference, non-DockerImage and
    /// unparseable tags are not; a digest-pinned tag only until imported at its generation.
    #[test]
    fn s14_2_which_streams_are_scheduled() {
        let mut s = checked(stream("ns", "app"));
        s.spec
            .set_tag(tag("plain", "DockerImage", "quay.io/a/b:1", Some(1)));
        assert!(!stream_scheduled(&s));
        let mut reference = scheduled(tag("ref", "DockerImage", "quay.io/a/e:1", Some(1)));
        reference.reference = true;
        s.spec.set_tag(reference);
        s.spec.set_tag(scheduled(tag(
            "ist",
            "ImageStreamTag",
            "other:latest",
            Some(1),
        )));
        s.spec
            .set_tag(scheduled(tag("bad", "DockerImage", "Not A Ref", Some(1))));
        assert!(!stream_scheduled(&s));
        s.spec.set_tag(scheduled(tag(
            "pinned",
            "DockerImage",
            &format!("quay.io/a/b@{D1}"),
            Some(2),
        )));
        assert!(stream_scheduled(&s), "pinned, never imported");
        add_tag_event(
            &mut s,
            "pinned",
            event_at(&format!("quay.io/a/b@{D1}"), D1, 1, 1),
        );
        assert!(stream_scheduled(&s), "imported at an older generation");
        add_tag_event(
            &mut s,
            "pinned",
            event_at(&format!("quay.io/a/b@{D1}"), D1, 2, 2),
        );
        assert!(!stream_scheduled(&s), "imported at the current generation");
        s.spec.set_tag(scheduled(tag(
            "moving",
            "DockerImage",
            "quay.io/a/b:1",
            None,
        )));
        add_tag_event(&mut s, "moving", event_at("quay.io/a/b@x", "x", 9, 3));
        assert!(stream_scheduled(&s), "a tag can move: always scheduled");
    }

    /// §14.2: the re-check bumps scheduled tags to `metadata.generation + 1` on a copy; other
    /// up-to-date tags are left out; a stream that is not scheduled gets no request.
    #[test]
    fn s14_2_scheduled_request() {
        let mut s = checked(stream("ns", "app"));
        s.metadata.generation = Some(4);
        s.spec.set_tag(scheduled(tag(
            "sched",
            "DockerImage",
            "quay.io/a/b:1",
            Some(3),
        )));
        add_tag_event(&mut s, "sched", event_at("quay.io/a/b@x", "x", 4, 1));
        s.spec
            .set_tag(tag("plain", "DockerImage", "quay.io/a/c:1", Some(2)));
        add_tag_event(&mut s, "plain", event_at("quay.io/a/c@y", "y", 2, 1));
        s.spec.set_tag(scheduled(tag(
            "pinned",
            "DockerImage",
            &format!("quay.io/a/b@{D1}"),
            Some(2),
        )));
        add_tag_event(
            &mut s,
            "pinned",
            event_at(&format!("quay.io/a/b@{D1}"), D1, 2, 1),
        );
        assert!(
            controller_import_request(&s).is_none(),
            "nothing pending for §14.1"
        );
        let mut copy = s.clone();
        reset_scheduled_tags(&mut copy);
        assert_eq!(copy.spec.tag("sched").unwrap().generation, Some(5));
        assert_eq!(copy.spec.tag("plain").unwrap().generation, Some(2));
        assert_eq!(copy.spec.tag("pinned").unwrap().generation, Some(2));
        let isi = scheduled_import_request(&s).unwrap();
        let names: Vec<&str> = isi
            .spec
            .images
            .iter()
            .map(|i| i.to.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(names, ["sched"]);
        assert_eq!(s.spec.tag("sched").unwrap().generation, Some(3), "a copy");
        s.spec.tag_mut("sched").unwrap().import_policy.scheduled = false;
        assert!(scheduled_import_request(&s).is_none());
    }

    /// §14.2: a scheduled re-check that fails identically writes nothing, and one that finds
    /// the same digest writes nothing either — the server re-derives generations (§10.5).
    #[test]
    fn s14_2_recheck_without_change_writes_nothing() {
        let mut s = stream("ns", "app");
        s.spec
            .set_tag(scheduled(tag("t", "DockerImage", "quay.io/a/b:1", Some(1))));
        let mut isi = controller_import_request(&s).unwrap();
        answer(&mut isi, &failure());
        let failed = write(&s, &isi, 10).unwrap();
        let mut recheck = scheduled_import_request(&failed).unwrap();
        assert_eq!(recheck.spec.images.len(), 1);
        answer(&mut recheck, &failure());
        assert!(write(&failed, &recheck, 20).is_none(), "identical failure");

        // success with the same digest
        let image = tagplane_api::image::Image {
            metadata: ObjectMeta {
                name: Some(D1.into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let ok = ImageImportStatus {
            status: Status {
                status: Some("Success".into()),
                ..Default::default()
            },
            image: Some(image),
            ..Default::default()
        };
        let mut recheck = scheduled_import_request(&failed).unwrap();
        recheck.status.images = vec![ok.clone()];
        let imported = write(&failed, &recheck, 30).expect("first success is written");
        assert_eq!(stream_needs_import(&imported), ImportNeed::None);
        let mut again = scheduled_import_request(&imported).unwrap();
        again.status.images = vec![ok];
        assert!(write(&imported, &again, 40).is_none(), "same digest");
    }

    /// §14.2: N = 4, 2 below 10 minutes, 8 above an hour; N + 1 buckets.
    #[test]
    fn s14_2_bucket_count() {
        assert_eq!(bucket_count(Duration::from_secs(900)), 4);
        assert_eq!(bucket_count(Duration::from_secs(600)), 4);
        assert_eq!(bucket_count(Duration::from_secs(599)), 2);
        assert_eq!(bucket_count(Duration::from_secs(1)), 2);
        assert_eq!(bucket_count(Duration::from_secs(3600)), 4);
        assert_eq!(bucket_count(Duration::from_secs(3601)), 8);
        assert_eq!(Scheduler::<u32, ()>::new(4).bucket_len(), 5);
    }

    /// §14.2: additions go to the least-populated bucket other than the current one, an empty
    /// one furthest from the cursor first; re-adding replaces; removal can be conditional.
    #[test]
    fn s14_2_add_balances_buckets() {
        let mut s: Scheduler<&str, u32> = Scheduler::new(4);
        s.add("a", 1);
        assert_eq!(s.bucket_of(&"a"), Some(4), "furthest empty bucket");
        s.add("b", 1);
        assert_eq!(s.bucket_of(&"b"), Some(3));
        s.add("c", 1);
        s.add("d", 1);
        assert_eq!(s.bucket_of(&"d"), Some(1));
        s.add("e", 1);
        assert_eq!(s.bucket_of(&"e"), Some(4), "all equal: the furthest");
        s.add("a", 2);
        assert_eq!(s.len(), 5, "re-adding replaces");
        assert_ne!(s.bucket_of(&"a"), Some(0), "never the current bucket");
        assert!(!s.remove(&"a", Some(&1)), "another version is scheduled");
        assert!(s.contains(&"a"));
        assert!(s.remove(&"a", Some(&2)));
        assert!(!s.contains(&"a"));
        assert!(s.remove(&"b", None));
        assert_eq!(s.len(), 3);
    }

    /// §14.2: draining moves items behind the cursor; an empty bucket advances it; `delay`
    /// pushes an item to the back (§14.1 tells the scheduler about imports).
    #[test]
    fn s14_2_next_and_delay() {
        let mut s: Scheduler<&str, ()> = Scheduler::new(2);
        s.add("a", ());
        assert_eq!(s.bucket_of(&"a"), Some(2));
        assert_eq!(s.take_next(), None);
        assert_eq!(s.position(), 1);
        assert_eq!(s.take_next(), None);
        assert_eq!(s.position(), 2);
        assert_eq!(s.take_next(), Some(("a", ())));
        assert_eq!(s.bucket_of(&"a"), Some(1), "just behind the cursor");
        assert_eq!(s.take_next(), None);
        assert_eq!(s.position(), 0);
        s.add("b", ());
        assert_eq!(s.bucket_of(&"b"), Some(2));
        s.delay(&"b");
        assert_eq!(s.bucket_of(&"b"), Some(2), "position 0: behind is 2");
        assert_eq!(s.take_next(), None);
        s.delay(&"b");
        assert_eq!(s.bucket_of(&"b"), Some(0), "position 1: behind is 0");
        s.delay(&"missing");
        assert_eq!(s.len(), 2);
    }

    /// Token buckets over explicit time: burst, refill, and reservations of future tokens.
    #[test]
    fn s14_2_token_bucket() {
        let s = Duration::from_secs;
        let mut b = TokenBucket::new(s(10), 2, s(0));
        assert!(b.try_take(s(0)));
        assert!(b.try_take(s(0)));
        assert!(!b.try_take(s(0)));
        assert!(!b.try_take(s(9)));
        assert!(b.try_take(s(10)));
        assert!(!b.try_take(s(10)));
        assert!(b.try_take(s(100)));
        assert!(b.try_take(s(100)), "refilled to the burst, not beyond");
        assert!(!b.try_take(s(100)));
        let mut p = TokenBucket::new(s(5), 1, s(0));
        assert_eq!(p.reserve(s(0)), s(0));
        assert_eq!(p.reserve(s(0)), s(5));
        assert_eq!(p.reserve(s(1)), s(9), "queued behind the reservation");
        assert_eq!(p.reserve(s(100)), s(0));
    }

    /// §14.2: the global limiter allows `max` per minute with a burst of 2×max; ≤ 0 is
    /// unlimited.
    #[test]
    fn s14_2_global_limiter() {
        assert!(scheduled_import_limiter(0, Duration::ZERO).is_none());
        assert!(scheduled_import_limiter(-1, Duration::ZERO).is_none());
        let mut l = scheduled_import_limiter(60, Duration::ZERO).unwrap();
        assert_eq!(l.period(), Duration::from_secs(1));
        assert_eq!(l.burst(), 120);
        let taken = (0..200).filter(|_| l.try_take(Duration::ZERO)).count();
        assert_eq!(taken, 120);
        let later = (0..200)
            .filter(|_| l.try_take(Duration::from_secs(30)))
            .count();
        assert_eq!(later, 30, "one per second");
        let mut one = scheduled_import_limiter(1, Duration::ZERO).unwrap();
        assert!(one.try_take(Duration::ZERO) && one.try_take(Duration::ZERO));
        assert!(!one.try_take(Duration::from_secs(59)));
        assert!(one.try_take(Duration::from_secs(60)));
    }

    /// §14.2: driven by explicit time, every stream is checked once per `interval` in steady
    /// state (the cursor advances every `interval / N`, and a checked stream waits N advances),
    /// and the first check of a new stream comes within one interval.
    #[test]
    fn s14_2_runner_paces_checks() {
        let interval = Duration::from_secs(300);
        let mut r: ScheduleRunner<&str, ()> = ScheduleRunner::new(interval, Duration::ZERO);
        assert_eq!(r.advance_period(), Duration::from_secs(150), "N = 2");
        for k in ["a", "b", "c", "d", "e"] {
            r.scheduler.add(k, ());
        }
        let mut now = Duration::ZERO;
        let mut seen: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        while now < Duration::from_secs(3000) {
            match r.poll(now) {
                Step::Process(k, ()) => seen.entry(k).or_default().push(now),
                Step::Wait(d) => now += d,
            }
        }
        assert_eq!(seen.len(), 5);
        for (k, times) in &seen {
            assert!(times[0] <= interval, "{k} first checked at {:?}", times[0]);
            for w in times.windows(2) {
                assert_eq!(w[1] - w[0], interval, "{k}: {times:?}");
            }
        }
        // a delayed item (just imported by §14.1) waits a full round from now
        let before = r.scheduler.bucket_of(&"a");
        r.scheduler.delay(&"a");
        let behind =
            (r.scheduler.position() + r.scheduler.bucket_len() - 1) % r.scheduler.bucket_len();
        assert_eq!(r.scheduler.bucket_of(&"a"), Some(behind), "from {before:?}");
    }

    /// §14.1: per-item backoff doubles from 5 ms to at most 1000 s and restarts once forgotten.
    #[test]
    fn s14_1_item_backoff() {
        let mut b: ItemBackoff<&str> = ItemBackoff::default();
        let ms = Duration::from_millis;
        assert_eq!(b.failed("a"), ms(5));
        assert_eq!(b.failed("a"), ms(10));
        assert_eq!(b.failed("a"), ms(20));
        assert_eq!(b.failed("b"), ms(5), "per item");
        assert_eq!(b.failures(&"a"), 3);
        for _ in 0..100 {
            b.failed("a");
        }
        assert_eq!(b.failed("a"), Duration::from_secs(1000));
        b.forget(&"a");
        assert_eq!(b.failures(&"a"), 0);
        assert_eq!(b.failed("a"), ms(5));
    }

    /// Issue 5: the controllers back off as long as the longest `Retry-After` of a
    /// TooManyRequests failure says; other failures do not hold a stream back.
    #[test]
    fn s14_2_rate_limited_imports_hold_the_stream_back() {
        let failed = |reason: &str, secs: Option<i32>| ImageImportStatus {
            status: tagplane_api::meta::Status {
                status: Some("Failure".into()),
                reason: Some(reason.into()),
                details: secs.map(|s| tagplane_api::meta::StatusDetails {
                    retry_after_seconds: Some(s),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut st = ImageStreamImportStatus::default();
        assert_eq!(rate_limit_backoff(&st), None);
        st.images = vec![
            failed("InternalError", Some(99)),
            failed(REASON_TOO_MANY_REQUESTS, Some(30)),
            failed(REASON_TOO_MANY_REQUESTS, None),
        ];
        assert_eq!(rate_limit_backoff(&st), Some(Duration::from_secs(30)));
        st.repository = Some(tagplane_api::image::RepositoryImportStatus {
            status: failed(REASON_TOO_MANY_REQUESTS, Some(45)).status,
            images: vec![failed(REASON_TOO_MANY_REQUESTS, Some(60))],
            additional_tags: vec![],
        });
        assert_eq!(rate_limit_backoff(&st), Some(Duration::from_secs(60)));

        let s = Duration::from_secs;
        let mut gate = RetryGate::default();
        assert!(gate.allows(&"a", s(0)));
        gate.defer("a", s(60));
        gate.defer("a", s(30));
        assert!(!gate.allows(&"a", s(59)), "a later hold is not shortened");
        assert!(gate.allows(&"b", s(1)));
        assert!(gate.allows(&"a", s(60)));
        assert!(gate.is_empty(), "passed holds are dropped");
        gate.defer("c", s(10));
        gate.forget(&"c");
        assert!(gate.allows(&"c", s(0)));
    }
}

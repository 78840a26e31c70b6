//! The image import controllers (§14.1, §14.2), run on the leader only: an informer over image
//! streams (list, then watch from the list's revision, relisting when history is compacted),
//! the import controller's de-duplicating work queue with a bounded pool of workers and
//! per-item backoff, and the scheduled import controller's bucket runner with its global
//! per-minute limit. Both import through [`Service::import_images`], exactly as
//! `POST imagestreamimports` does; the rules (what to import, when, how often) come from
//! `tagplane_core::schedule`.
//!
//! Leadership is the store lease [`LEASE_NAME`]: a replica that holds it runs the controllers
//! and renews it every third of its TTL; one that loses it stops working at once and goes back
//! to trying to take it. Everything stops when the service starts shutting down
//! (`Service::shutdown`), and the lease is then released so another replica can take over.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;
use tagplane_api::image::{ImageStream, ImageStreamImport};
use tagplane_core::schedule::{
    DEFAULT_IMPORT_INTERVAL, DEFAULT_MAX_SCHEDULED_PER_MINUTE, ItemBackoff, RetryGate,
    ScheduleRunner, Step, TokenBucket, controller_import_request, rate_limit_backoff,
    scheduled_import_limiter, scheduled_import_request, stream_scheduled,
};
use tagplane_store::{Backend, EventKind, ListOptions, Revision, StoreError};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::error::ApiError;
use crate::objects::Objects;
use crate::service::{Service, WriteOptions};

/// Name of the store lease the controllers' leader holds.
pub const LEASE_NAME: &str = "controllers";
/// Default TTL of the leader lease.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15);
/// Default number of import workers.
pub const DEFAULT_WORKERS: usize = 4;
/// How long a stopping term may take before its tasks are aborted.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Longest a controller's import may take (the controller's request timeout, §14.1).
const IMPORT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Pause before re-watching or relisting after a store error.
const STORE_RETRY: Duration = Duration::from_millis(500);

/// Settings of the controllers (`tagplane serve` flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerConfig {
    /// Run the controllers in this process at all (the `controllers` role).
    pub enabled: bool,
    /// Minimum interval between scheduled checks of a stream
    /// (`--scheduled-import-interval`, default 15 min, §14.2).
    pub import_interval: Duration,
    /// Cap on scheduled imports per minute; ≤ 0 = unlimited
    /// (`--max-scheduled-imports-per-minute`, default 60, §14.2).
    pub max_scheduled_per_minute: i64,
    /// Do not run the scheduled import controller (`--disable-scheduled-import`, §14.2).
    pub disable_scheduled_import: bool,
    /// Import workers of the import controller (§14.1).
    pub workers: usize,
    /// TTL of the leader lease; renewed every third of it.
    pub lease_ttl: Duration,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            enabled: true,
            import_interval: DEFAULT_IMPORT_INTERVAL,
            max_scheduled_per_minute: DEFAULT_MAX_SCHEDULED_PER_MINUTE,
            disable_scheduled_import: false,
            workers: DEFAULT_WORKERS,
            lease_ttl: DEFAULT_LEASE_TTL,
        }
    }
}

/// Parse a duration such as `15m`, `30s`, `1h30m`, `500ms` or `2d` (units `ms`, `s`, `m`,
/// `h`, `d`; at least one number–unit pair; the total must be positive).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?}: expected e.g. 15m, 30s, 1h30m, 500ms");
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Some(Duration::from_millis(n)),
            "s" => Some(Duration::from_secs(n)),
            "m" => n.checked_mul(60).map(Duration::from_secs),
            "h" => n.checked_mul(3600).map(Duration::from_secs),
            "d" => n.checked_mul(86_400).map(Duration::from_secs),
            _ => return Err(bad()),
        }
        .ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    if total.is_zero() {
        return Err(format!(
            "invalid duration {text:?}: must be greater than zero"
        ));
    }
    Ok(total)
}

/// Counters of what the controllers of this process did (since start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControllerStats {
    /// Times this replica became the leader.
    pub terms: u64,
    /// Imports started by the import controller (§14.1).
    pub imports: u64,
    /// Of those, the ones that failed as a whole and were requeued with backoff.
    pub import_errors: u64,
    /// Scheduled re-checks sent by the scheduled import controller (§14.2).
    pub scheduled_checks: u64,
    /// Scheduled turns skipped because the global per-minute limit had no token (§14.2).
    pub scheduled_rate_limited: u64,
    /// Scheduled turns skipped because a registry had answered `429` with a retry time that
    /// had not passed yet.
    pub scheduled_backed_off: u64,
}

#[derive(Debug, Default)]
struct Counters {
    terms: AtomicU64,
    imports: AtomicU64,
    import_errors: AtomicU64,
    scheduled_checks: AtomicU64,
    scheduled_rate_limited: AtomicU64,
    scheduled_backed_off: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ControllerStats {
        ControllerStats {
            terms: self.terms.load(Ordering::Relaxed),
            imports: self.imports.load(Ordering::Relaxed),
            import_errors: self.import_errors.load(Ordering::Relaxed),
            scheduled_checks: self.scheduled_checks.load(Ordering::Relaxed),
            scheduled_rate_limited: self.scheduled_rate_limited.load(Ordering::Relaxed),
            scheduled_backed_off: self.scheduled_backed_off.load(Ordering::Relaxed),
        }
    }
}

/// The running controllers of one replica.
#[derive(Debug)]
pub struct Controllers {
    holder: String,
    leader: watch::Receiver<bool>,
    counters: Arc<Counters>,
    task: JoinHandle<()>,
}

impl Controllers {
    /// This replica's identity as lease holder.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether this replica leads (holds the lease and runs the controllers) right now.
    pub fn is_leader(&self) -> bool {
        *self.leader.borrow()
    }

    /// What the controllers did so far.
    pub fn stats(&self) -> ControllerStats {
        self.counters.snapshot()
    }

    /// Whether everything has stopped.
    pub fn is_stopped(&self) -> bool {
        self.task.is_finished()
    }

    /// Wait until the controllers have stopped, which they do once the service shuts down
    /// (`Service::begin_shutdown`); the lease is released by then.
    pub async fn stopped(self) {
        if let Err(e) = self.task.await
            && e.is_panic()
        {
            tracing::error!("controllers panicked: {e}");
        }
    }
}

/// Start the controllers of this replica over `service`: they run whenever this replica holds
/// the [`LEASE_NAME`] lease, until the service shuts down.
pub fn start(service: Arc<Service>, config: ControllerConfig) -> Controllers {
    let holder = format!("tagplane-{}", crate::objects::new_uid());
    let (leader_tx, leader) = watch::channel(false);
    let counters = Arc::new(Counters::default());
    let task = tokio::spawn(run(
        service,
        config,
        holder.clone(),
        leader_tx,
        counters.clone(),
    ));
    Controllers {
        holder,
        leader,
        counters,
        task,
    }
}

/// Wait until `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|v| *v).await;
}

/// Sleep for `d` unless `stop` comes first; `true` when stopping.
async fn sleep_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => *stop.borrow(),
        () = stopped(stop) => true,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Leader election around [`lead`]: acquire, renew, stop the term on loss or shutdown.
async fn run(
    service: Arc<Service>,
    config: ControllerConfig,
    holder: String,
    leader: watch::Sender<bool>,
    counters: Arc<Counters>,
) {
    let mut shutdown = service.shutdown.subscribe();
    let ttl = config.lease_ttl.max(Duration::from_millis(30));
    let renew_every = ttl / 3;
    loop {
        // Follower: try to take the lease.
        loop {
            if *shutdown.borrow() {
                return;
            }
            match service
                .objects
                .store
                .lease_acquire(LEASE_NAME, &holder, ttl)
                .await
            {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "controllers: cannot take the lease"),
            }
            if sleep_or_stop(&mut shutdown, renew_every).await {
                return;
            }
        }
        tracing::info!(%holder, "controllers: leading");
        Counters::bump(&counters.terms);
        leader.send_replace(true);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut term = tokio::spawn(lead(
            service.clone(),
            config.clone(),
            counters.clone(),
            stop_rx,
        ));
        let mut renewed = Instant::now();
        let shutting_down = loop {
            tokio::select! {
                () = tokio::time::sleep(renew_every) => {}
                () = stopped(&mut shutdown) => break true,
                r = &mut term => {
                    tracing::error!(result = ?r.err(), "controllers: the term ended unexpectedly");
                    break false;
                }
            }
            match service
                .objects
                .store
                .lease_renew(LEASE_NAME, &holder, ttl)
                .await
            {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => {
                    tracing::warn!(%holder, "controllers: lost the lease; stopping");
                    break false;
                }
                Err(e) if renewed.elapsed() >= ttl => {
                    tracing::warn!(error = %e, "controllers: cannot renew the lease; stopping");
                    break false;
                }
                Err(e) => tracing::warn!(error = %e, "controllers: lease renewal failed"),
            }
        };
        stop_tx.send_replace(true);
        if !term.is_finished() && tokio::time::timeout(STOP_GRACE, &mut term).await.is_err() {
            term.abort();
            let _ = term.await;
        }
        leader.send_replace(false);
        if shutting_down {
            if let Err(e) = service
                .objects
                .store
                .lease_release(LEASE_NAME, &holder)
                .await
            {
                tracing::warn!(error = %e, "controllers: cannot release the lease");
            }
            tracing::info!("controllers: stopped");
            return;
        }
    }
}

/// A stream's key: namespace and name.
type StreamKey = (String, String);
/// The version of a stream the scheduler holds: uid and resourceVersion.
type StreamVersion = (String, String);
type Runner = Arc<Mutex<ScheduleRunner<StreamKey, StreamVersion>>>;

fn key_of(s: &ImageStream) -> StreamKey {
    (
        s.metadata.namespace.clone().unwrap_or_default(),
        s.metadata.name.clone().unwrap_or_default(),
    )
}

fn version_of(s: &ImageStream) -> StreamVersion {
    (
        s.metadata.uid.clone().unwrap_or_default(),
        s.metadata.resource_version.clone().unwrap_or_default(),
    )
}

/// Monotonic time since the term started: the `now` of the pure schedulers.
#[derive(Clone, Copy, Debug)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> Duration {
        self.0.elapsed()
    }
}

/// What every task of a term shares.
#[derive(Debug)]
struct Term {
    service: Arc<Service>,
    counters: Arc<Counters>,
    queue: WorkQueue,
    backoff: Mutex<ItemBackoff<StreamKey>>,
    /// Streams held back after a registry answered `429` (until its retry time).
    rate_limited: Mutex<RetryGate<StreamKey>>,
    /// The scheduled controller's runner; `None` when scheduled import is disabled.
    runner: Option<Runner>,
    clock: Clock,
}

/// One term of leadership: the informer, the import workers and the scheduled runner, until
/// `stop`.
async fn lead(
    service: Arc<Service>,
    config: ControllerConfig,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    let clock = Clock(Instant::now());
    let interval = if config.import_interval.is_zero() {
        DEFAULT_IMPORT_INTERVAL
    } else {
        config.import_interval
    };
    let runner = (!config.disable_scheduled_import)
        .then(|| Arc::new(Mutex::new(ScheduleRunner::new(interval, clock.now()))));
    let term = Arc::new(Term {
        service,
        counters,
        queue: WorkQueue::new(),
        backoff: Mutex::new(ItemBackoff::default()),
        rate_limited: Mutex::new(RetryGate::default()),
        runner,
        clock,
    });
    let mut tasks = JoinSet::new();
    tasks.spawn(informer(term.clone(), stop.clone()));
    for _ in 0..config.workers.max(1) {
        tasks.spawn(worker(term.clone(), stop.clone()));
    }
    if term.runner.is_some() {
        let limiter = scheduled_import_limiter(config.max_scheduled_per_minute, clock.now());
        tasks.spawn(scheduled(term.clone(), limiter, stop.clone()));
    }
    stopped(&mut stop).await;
    while tasks.join_next().await.is_some() {}
}

// ----------------------------------------------------------------------------- informer

/// List every stream, then follow changes from the list's revision; relist when the watch
/// falls behind compaction. Streams whose resourceVersion changed go to the import queue and
/// (re)enter the schedule when scheduled (§14.1, §14.2).
async fn informer(term: Arc<Term>, mut stop: watch::Receiver<bool>) {
    let prefix = match Objects::prefix::<ImageStream>(None) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "controllers: no image stream prefix");
            return;
        }
    };
    let store = &term.service.objects.store;
    let mut known: HashMap<StreamKey, String> = HashMap::new();
    'relist: loop {
        let (items, mut revision) = match list_streams(&term.service).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "controllers: cannot list image streams");
                if sleep_or_stop(&mut stop, STORE_RETRY).await {
                    return;
                }
                continue;
            }
        };
        let present: HashSet<StreamKey> = items.iter().map(key_of).collect();
        let gone: Vec<StreamKey> = known
            .keys()
            .filter(|k| !present.contains(*k))
            .cloned()
            .collect();
        for k in gone {
            known.remove(&k);
            term.forget(&k);
        }
        for s in items {
            term.observe(&mut known, &s);
        }
        loop {
            let mut events = match store.watch(&prefix, revision).await {
                Ok(w) => w,
                Err(StoreError::TooOld { .. }) => continue 'relist,
                Err(e) => {
                    tracing::warn!(error = %e, "controllers: cannot watch image streams");
                    if sleep_or_stop(&mut stop, STORE_RETRY).await {
                        return;
                    }
                    continue;
                }
            };
            loop {
                let next = tokio::select! {
                    () = stopped(&mut stop) => return,
                    next = events.next() => next,
                };
                match next {
                    Some(Ok(event)) => {
                        revision = event.object.mod_revision;
                        let stream = match Objects::decode::<ImageStream>(&event.object) {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::warn!(key = %event.object.key, error = %e, "controllers: undecodable image stream");
                                continue;
                            }
                        };
                        if event.kind == EventKind::Deleted {
                            let k = key_of(&stream);
                            known.remove(&k);
                            term.forget(&k);
                        } else {
                            term.observe(&mut known, &stream);
                        }
                    }
                    Some(Err(StoreError::TooOld { .. })) => continue 'relist,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "controllers: image stream watch failed");
                        break;
                    }
                    None => break,
                }
            }
            if sleep_or_stop(&mut stop, STORE_RETRY).await {
                return;
            }
        }
    }
}

/// Every image stream and the revision of the snapshot they were read at.
async fn list_streams(service: &Service) -> Result<(Vec<ImageStream>, Revision), ApiError> {
    let mut opts = ListOptions::default();
    let mut out = Vec::new();
    loop {
        let page = service.objects.list::<ImageStream>(None, &opts).await?;
        out.extend(page.items);
        let revision = Objects::parse_rv(page.meta.resource_version.as_deref())?;
        match page.meta.continue_ {
            Some(c) if !c.is_empty() => {
                opts = ListOptions {
                    continue_token: Some(c),
                    ..Default::default()
                };
            }
            _ => return Ok((out, revision.unwrap_or(Revision::ZERO))),
        }
    }
}

impl Term {
    /// A stream was seen (listed, created or updated): act only when its resourceVersion
    /// changed (§14.1).
    fn observe(&self, known: &mut HashMap<StreamKey, String>, stream: &ImageStream) {
        let key = key_of(stream);
        let rv = stream.metadata.resource_version.clone().unwrap_or_default();
        if known.get(&key) == Some(&rv) {
            return;
        }
        known.insert(key.clone(), rv);
        if let Some(runner) = &self.runner {
            let mut r = lock(runner);
            if stream_scheduled(stream) {
                r.scheduler.add(key.clone(), version_of(stream));
            } else {
                r.scheduler.remove(&key, None);
            }
        }
        self.queue.add(key);
    }

    /// A stream is gone.
    fn forget(&self, key: &StreamKey) {
        if let Some(runner) = &self.runner {
            lock(runner).scheduler.remove(key, None);
        }
        lock(&self.backoff).forget(key);
        lock(&self.rate_limited).forget(key);
    }

    /// Hold `key` back from scheduled checks when `isi`'s registries asked to wait (`429`).
    fn note_rate_limits(&self, key: &StreamKey, isi: &ImageStreamImport) {
        if let Some(wait) = rate_limit_backoff(&isi.status) {
            tracing::info!(namespace = %key.0, name = %key.1, retry_in = ?wait, "registry rate limiting; backing off");
            lock(&self.rate_limited).defer(key.clone(), self.clock.now() + wait);
        }
    }
}

// ---------------------------------------------------------------------- import controller

/// A de-duplicating work queue (the semantics of Kubernetes' workqueue): a key is queued at
/// most once, and a key added while a worker holds it is processed again after `done`.
#[derive(Debug)]
struct WorkQueue {
    state: Mutex<QueueState>,
    tx: mpsc::UnboundedSender<StreamKey>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<StreamKey>>,
}

#[derive(Debug, Default)]
struct QueueState {
    /// Keys waiting to be processed (queued, or re-added while processing).
    dirty: HashSet<StreamKey>,
    /// Keys a worker holds.
    processing: HashSet<StreamKey>,
}

impl WorkQueue {
    fn new() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        WorkQueue {
            state: Mutex::new(QueueState::default()),
            tx,
            rx: tokio::sync::Mutex::new(rx),
        }
    }

    fn add(&self, key: StreamKey) {
        let mut st = lock(&self.state);
        if !st.dirty.insert(key.clone()) || st.processing.contains(&key) {
            return;
        }
        let _ = self.tx.send(key);
    }

    async fn get(&self) -> Option<StreamKey> {
        let key = self.rx.lock().await.recv().await?;
        let mut st = lock(&self.state);
        st.dirty.remove(&key);
        st.processing.insert(key.clone());
        Some(key)
    }

    fn done(&self, key: &StreamKey) {
        let mut st = lock(&self.state);
        st.processing.remove(key);
        if st.dirty.contains(key) {
            let _ = self.tx.send(key.clone());
        }
    }
}

/// An import worker (§14.1): take a stream, import what it needs, requeue failures with the
/// per-item backoff.
async fn worker(term: Arc<Term>, mut stop: watch::Receiver<bool>) {
    loop {
        let key = tokio::select! {
            () = stopped(&mut stop) => return,
            key = term.queue.get() => match key {
                Some(k) => k,
                None => return,
            },
        };
        let result = tokio::select! {
            () = stopped(&mut stop) => return,
            r = sync_stream(&term, &key) => r,
        };
        match result {
            Ok(()) => lock(&term.backoff).forget(&key),
            Err(e) => {
                Counters::bump(&term.counters.import_errors);
                let delay = lock(&term.backoff).failed(key.clone());
                tracing::warn!(namespace = %key.0, name = %key.1, error = %e, retry_in = ?delay, "import failed");
                let again = term.clone();
                let mut stop = stop.clone();
                let k = key.clone();
                tokio::spawn(async move {
                    if !sleep_or_stop(&mut stop, delay).await {
                        again.queue.add(k);
                    }
                });
            }
        }
        term.queue.done(&key);
    }
}

/// Import what `key` needs (§14.1 `needsImport`), through the same service call as
/// `POST imagestreamimports`. A stream that is gone is done with.
async fn sync_stream(term: &Term, key: &StreamKey) -> Result<(), ApiError> {
    let (ns, name) = key;
    let Some(stream) = term
        .service
        .objects
        .try_get::<ImageStream>(Some(ns), name)
        .await?
    else {
        return Ok(());
    };
    let Some(isi) = controller_import_request(&stream) else {
        return Ok(());
    };
    // §14.1: tell the scheduled controller, so this stream's next check is a round away.
    if let Some(runner) = &term.runner {
        lock(runner).scheduler.delay(key);
    }
    Counters::bump(&term.counters.imports);
    tracing::debug!(namespace = %ns, name = %name, images = isi.spec.images.len(), repository = isi.spec.repository.is_some(), "importing");
    match import(term, ns, isi).await {
        Ok(done) => {
            term.note_rate_limits(key, &done);
            Ok(())
        }
        Err(e) if e.reason() == "NotFound" => Ok(()),
        Err(e) => Err(e),
    }
}

/// `POST imagestreamimports` in-process, bounded by [`IMPORT_TIMEOUT`].
async fn import(
    term: &Term,
    ns: &str,
    isi: ImageStreamImport,
) -> Result<ImageStreamImport, ApiError> {
    let call = term.service.import_images(ns, isi, WriteOptions::default());
    match tokio::time::timeout(IMPORT_TIMEOUT, call).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::server_timeout("create", "imagestreamimports")),
    }
}

// ---------------------------------------------------------------- scheduled controller

/// The scheduled import controller's runner (§14.2): drain the current bucket, check each
/// stream if the global limiter allows, advance at the paced rate.
async fn scheduled(
    term: Arc<Term>,
    mut limiter: Option<TokenBucket>,
    mut stop: watch::Receiver<bool>,
) {
    let Some(runner) = term.runner.clone() else {
        return;
    };
    loop {
        if *stop.borrow() {
            return;
        }
        let step = lock(&runner).poll(term.clock.now());
        match step {
            Step::Wait(d) if d.is_zero() => tokio::task::yield_now().await,
            Step::Wait(d) => {
                if sleep_or_stop(&mut stop, d).await {
                    return;
                }
            }
            Step::Process(key, version) => {
                if !lock(&term.rate_limited).allows(&key, term.clock.now()) {
                    Counters::bump(&term.counters.scheduled_backed_off);
                    tracing::debug!(namespace = %key.0, name = %key.1, "scheduled import held back after 429; next turn");
                    continue;
                }
                if let Some(l) = &mut limiter
                    && !l.try_take(term.clock.now())
                {
                    Counters::bump(&term.counters.scheduled_rate_limited);
                    tracing::debug!(namespace = %key.0, name = %key.1, "scheduled import rate limited; next turn");
                    continue;
                }
                tokio::select! {
                    () = stopped(&mut stop) => return,
                    () = check_scheduled(&term, &runner, &key, &version) => {}
                }
            }
        }
    }
}

/// One scheduled re-check (§14.2): on a copy of the stream every scheduled tag asks for the
/// next generation; the server writes nothing when nothing changed. Streams that are gone or
/// no longer scheduled leave the schedule.
async fn check_scheduled(term: &Term, runner: &Runner, key: &StreamKey, version: &StreamVersion) {
    let (ns, name) = key;
    let stream = match term
        .service
        .objects
        .try_get::<ImageStream>(Some(ns), name)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(namespace = %ns, name = %name, error = %e, "scheduled import: cannot read the stream");
            return;
        }
    };
    let Some(isi) = stream.as_ref().and_then(scheduled_import_request) else {
        lock(runner).scheduler.remove(key, Some(version));
        return;
    };
    Counters::bump(&term.counters.scheduled_checks);
    tracing::debug!(namespace = %ns, name = %name, "scheduled import");
    match import(term, ns, isi).await {
        Ok(done) => term.note_rate_limits(key, &done),
        Err(e) if e.reason() == "NotFound" => {
            lock(runner).scheduler.remove(key, Some(version));
        }
        Err(e) => {
            tracing::info!(namespace = %ns, name = %name, error = %e, "scheduled import failed; next turn");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_interval_units() {
        let s = Duration::from_secs;
        assert_eq!(parse_interval("15m"), Ok(s(900)));
        assert_eq!(parse_interval("30s"), Ok(s(30)));
        assert_eq!(parse_interval("1h30m"), Ok(s(5400)));
        assert_eq!(parse_interval("2d"), Ok(s(172_800)));
        assert_eq!(parse_interval("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_interval(" 1m30s "), Ok(s(90)));
        for bad in [
            "",
            "15",
            "m",
            "1x",
            "-1s",
            "1.5m",
            "0s",
            "1 m",
            "s1",
            "99999999999999999999s",
        ] {
            assert!(parse_interval(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn work_queue_deduplicates() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let q = WorkQueue::new();
            let a = ("ns".to_owned(), "a".to_owned());
            let b = ("ns".to_owned(), "b".to_owned());
            q.add(a.clone());
            q.add(b.clone());
            q.add(a.clone());
            assert_eq!(q.get().await, Some(a.clone()));
            // re-added while processing: not handed out twice, but again after done
            q.add(a.clone());
            assert_eq!(q.get().await, Some(b.clone()));
            q.done(&b);
            q.done(&a);
            assert_eq!(q.get().await, Some(a.clone()));
            q.done(&a);
            assert!(lock(&q.state).dirty.is_empty());
            assert!(lock(&q.state).processing.is_empty());
        });
    }
}

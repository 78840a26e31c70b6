//! The embedded backend: one redb file with multi-version objects, a revision-keyed event log for
//! watch replay, and a single writer thread that groups concurrent writes into one durable commit.
//!
//! Layout: `objects[(key, revision)] = [live?][create revision][bytes]` keeps every version of a
//! key until compaction (so lists can page through one snapshot, as etcd does); `log[revision] =
//! key` orders changes for watches; `meta` holds the current and compacted revisions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::{
    Backend, ContinueToken, Deleted, EventKind, Key, ListOptions, ListPage, Object, Prefix, Result,
    Revision, StoreError, WatchEvent, WatchStream,
};

const OBJECTS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("objects");
const LOG: TableDefinition<u64, &str> = TableDefinition::new("log");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

const META_FORMAT: &str = "format";
const META_REVISION: &str = "revision";
const META_COMPACTED: &str = "compacted";
const FORMAT_VERSION: u64 = 1;

/// Most write requests folded into one commit.
const MAX_BATCH: usize = 1024;

/// Options of the embedded store.
#[derive(Clone, Debug)]
pub struct RedbOptions {
    /// Revisions of history kept for watch replay and paged lists; older history is compacted
    /// automatically (0 = never compact automatically).
    pub retention: u64,
    /// Capacity of the in-memory event fan-out; a watcher that falls further behind catches up
    /// from the log on disk.
    pub fanout_capacity: usize,
}

impl Default for RedbOptions {
    fn default() -> Self {
        RedbOptions {
            retention: 100_000,
            fanout_capacity: 4096,
        }
    }
}

enum Op {
    Create {
        key: Key,
        value: Vec<u8>,
    },
    Update {
        key: Key,
        value: Vec<u8>,
        expected: Option<Revision>,
    },
    Delete {
        key: Key,
        expected: Option<Revision>,
    },
    Compact {
        revision: u64,
    },
}

enum Done {
    Rev(Revision),
    Deleted(Deleted),
    Unit,
}

struct Request {
    op: Op,
    reply: oneshot::Sender<Result<Done>>,
}

struct Shared {
    db: Database,
    path: PathBuf,
    revision: AtomicU64,
    compacted: AtomicU64,
    events: broadcast::Sender<Arc<Vec<WatchEvent>>>,
    leases: Mutex<HashMap<String, (String, tokio::time::Instant)>>,
}

/// The embedded redb store. Cheap to clone; every clone talks to the same writer thread.
#[derive(Clone)]
pub struct RedbStore {
    shared: Arc<Shared>,
    writer: mpsc::UnboundedSender<Request>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.shared.path)
            .finish()
    }
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

fn encode_value(live: bool, create: u64, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(9 + value.len());
    v.push(u8::from(live));
    v.extend_from_slice(&create.to_le_bytes());
    v.extend_from_slice(value);
    v
}

/// A decoded version: (live, create revision, bytes).
fn decode_value(raw: &[u8]) -> Result<(bool, u64, Vec<u8>)> {
    if raw.len() < 9 || raw[0] > 1 {
        return Err(StoreError::Internal("corrupt object record".into()));
    }
    let create = u64::from_le_bytes(raw[1..9].try_into().map_err(internal)?);
    Ok((raw[0] == 1, create, raw[9..].to_vec()))
}

/// One stored version of a key.
struct Version {
    /// Revision that wrote it.
    rev: u64,
    /// False for a deletion marker.
    live: bool,
    /// Revision that created the object.
    create: u64,
    /// The bytes (empty for deletion markers).
    value: Vec<u8>,
}

/// Newest version of `key` with revision ≤ `at`.
fn version_at(
    table: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    key: &str,
    at: u64,
) -> Result<Option<Version>> {
    let mut range = table.range((key, 0u64)..=(key, at)).map_err(internal)?;
    match range.next_back() {
        None => Ok(None),
        Some(entry) => {
            let (k, v) = entry.map_err(internal)?;
            let (live, create, value) = decode_value(v.value())?;
            Ok(Some(Version {
                rev: k.value().1,
                live,
                create,
                value,
            }))
        }
    }
}

impl RedbStore {
    /// Open (or create) the store file at `path`. A file that is not a tagplane store, or is
    /// damaged, is refused with a message naming it.
    pub fn open(path: &Path, options: RedbOptions) -> Result<RedbStore> {
        let corrupt = |detail: String| StoreError::Corrupt {
            path: path.display().to_string(),
            detail,
        };
        let db = Database::create(path).map_err(|e| corrupt(e.to_string()))?;
        let (revision, compacted) = {
            let txn = db.begin_write().map_err(|e| corrupt(e.to_string()))?;
            let foreign: Vec<String> = txn
                .list_tables()
                .map_err(|e| corrupt(e.to_string()))?
                .map(|t| t.name().to_owned())
                .filter(|n| !matches!(n.as_str(), "objects" | "log" | "meta"))
                .collect();
            if !foreign.is_empty() {
                return Err(corrupt(format!(
                    "not a tagplane store (unknown tables {foreign:?})"
                )));
            }
            let (revision, compacted) = {
                let mut meta = txn.open_table(META).map_err(|e| corrupt(e.to_string()))?;
                let format = meta
                    .get(META_FORMAT)
                    .map_err(|e| corrupt(e.to_string()))?
                    .map(|v| v.value());
                match format {
                    Some(FORMAT_VERSION) => {}
                    Some(other) => {
                        return Err(corrupt(format!("unsupported store format {other}")));
                    }
                    None => {
                        meta.insert(META_FORMAT, FORMAT_VERSION)
                            .map_err(|e| corrupt(e.to_string()))?;
                    }
                }
                let get = |k| meta.get(k).map(|v| v.map(|v| v.value()).unwrap_or(0));
                (
                    get(META_REVISION).map_err(|e| corrupt(e.to_string()))?,
                    get(META_COMPACTED).map_err(|e| corrupt(e.to_string()))?,
                )
            };
            txn.open_table(OBJECTS)
                .map_err(|e| corrupt(e.to_string()))?;
            txn.open_table(LOG).map_err(|e| corrupt(e.to_string()))?;
            txn.commit().map_err(|e| corrupt(e.to_string()))?;
            (revision, compacted)
        };
        let (events, _) = broadcast::channel(options.fanout_capacity.max(16));
        let shared = Arc::new(Shared {
            db,
            path: path.to_owned(),
            revision: AtomicU64::new(revision),
            compacted: AtomicU64::new(compacted),
            events,
            leases: Mutex::new(HashMap::new()),
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let writer_shared = shared.clone();
        let retention = options.retention;
        let thread = std::thread::Builder::new()
            .name("tagplane-store-writer".into())
            .spawn(move || writer_loop(&writer_shared, rx, retention))
            .map_err(internal)?;
        Ok(RedbStore {
            shared,
            writer: tx,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Stop accepting writes, wait for the writer to finish its last commit.
    pub fn close(self) {
        let RedbStore { writer, thread, .. } = self;
        drop(writer);
        if let Ok(mut t) = thread.lock()
            && let Some(handle) = t.take()
        {
            let _ = handle.join();
        }
    }

    async fn submit(&self, op: Op) -> Result<Done> {
        let (reply, rx) = oneshot::channel();
        self.writer
            .send(Request { op, reply })
            .map_err(|_| StoreError::Unavailable("store is closed".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("store writer stopped".into()))?
    }

    fn read_txn(&self) -> Result<redb::ReadTransaction> {
        self.shared.db.begin_read().map_err(internal)
    }

    fn list_sync(&self, prefix: &Prefix, opts: &ListOptions) -> Result<ListPage> {
        let txn = self.read_txn()?;
        let objects = txn.open_table(OBJECTS).map_err(internal)?;
        let meta = txn.open_table(META).map_err(internal)?;
        let latest = meta
            .get(META_REVISION)
            .map_err(internal)?
            .map(|v| v.value())
            .unwrap_or(0);
        let compacted = meta
            .get(META_COMPACTED)
            .map_err(internal)?
            .map(|v| v.value())
            .unwrap_or(0);
        let (rv, start) = match &opts.continue_token {
            Some(token) => {
                let (rv, last) = ContinueToken::decode(prefix, token)?;
                if rv.get() < compacted || rv.get() > latest {
                    return Err(StoreError::ContinueExpired);
                }
                (rv.get(), format!("{last}\0"))
            }
            None => {
                let rv = opts.revision.map(Revision::get).unwrap_or(latest);
                if rv < compacted {
                    return Err(StoreError::TooOld {
                        requested: Revision::new(rv),
                        compacted: Revision::new(compacted),
                    });
                }
                if rv > latest {
                    return Err(StoreError::TooOld {
                        requested: Revision::new(rv),
                        compacted: Revision::new(latest),
                    });
                }
                (rv, prefix.as_str().to_owned())
            }
        };
        let limit = opts.limit.filter(|l| *l > 0).map(|l| l as usize);
        let end = prefix.range_end();
        let mut items: Vec<Object> = Vec::new();
        let mut more = false;
        let mut current: Option<(String, Option<Version>)> = None;
        let flush =
            |entry: Option<(String, Option<Version>)>, items: &mut Vec<Object>| -> Result<bool> {
                let Some((key, Some(v))) = entry else {
                    return Ok(false);
                };
                if !v.live {
                    return Ok(false);
                }
                if limit.is_some_and(|l| items.len() >= l) {
                    return Ok(true);
                }
                items.push(Object {
                    key: Key::decode(&key)?,
                    value: v.value,
                    mod_revision: Revision::new(v.rev),
                    create_revision: Revision::new(v.create),
                });
                Ok(false)
            };
        for entry in objects
            .range((start.as_str(), 0u64)..(end.as_str(), 0u64))
            .map_err(internal)?
        {
            let (k, v) = entry.map_err(internal)?;
            let (key, rev) = k.value();
            if rev > rv {
                continue;
            }
            if current.as_ref().is_none_or(|(c, _)| c != key) {
                if flush(current.take(), &mut items)? {
                    more = true;
                    break;
                }
                current = Some((key.to_owned(), None));
            }
            let (live, create, value) = decode_value(v.value())?;
            if let Some((_, slot)) = current.as_mut() {
                *slot = Some(Version {
                    rev,
                    live,
                    create,
                    value,
                });
            }
        }
        if !more && flush(current.take(), &mut items)? {
            more = true;
        }
        let continue_token = match (more, items.last()) {
            (true, Some(last)) => Some(ContinueToken::encode(
                prefix,
                Revision::new(rv),
                last.key.as_str(),
            )),
            _ => None,
        };
        Ok(ListPage {
            items,
            revision: Revision::new(rv),
            continue_token,
            remaining: None,
        })
    }
}

/// Events with revision > `after` under `prefix`, read from the log.
fn replay(db: &Database, prefix: &Prefix, after: u64) -> Result<Vec<WatchEvent>> {
    let txn = db.begin_read().map_err(internal)?;
    let log = txn.open_table(LOG).map_err(internal)?;
    let objects = txn.open_table(OBJECTS).map_err(internal)?;
    let meta = txn.open_table(META).map_err(internal)?;
    let compacted = meta
        .get(META_COMPACTED)
        .map_err(internal)?
        .map(|v| v.value())
        .unwrap_or(0);
    if after.saturating_add(1) < compacted {
        return Err(StoreError::TooOld {
            requested: Revision::new(after),
            compacted: Revision::new(compacted),
        });
    }
    let mut out = Vec::new();
    for entry in log.range(after.saturating_add(1)..).map_err(internal)? {
        let (rev, key) = entry.map_err(internal)?;
        let (rev, key) = (rev.value(), key.value());
        if !prefix.contains(key) {
            continue;
        }
        let Some(Version {
            live,
            create,
            value,
            ..
        }) = version_at(&objects, key, rev)?
        else {
            continue;
        };
        let prev = if rev > 0 {
            version_at(&objects, key, rev - 1)?
        } else {
            None
        };
        let prev_value = prev.and_then(|v| v.live.then_some(v.value));
        let object = |value| -> Result<Object> {
            Ok(Object {
                key: Key::decode(key)?,
                value,
                mod_revision: Revision::new(rev),
                create_revision: Revision::new(create),
            })
        };
        out.push(if live {
            let kind = if prev_value.is_some() {
                EventKind::Updated
            } else {
                EventKind::Created
            };
            WatchEvent {
                kind,
                object: object(value)?,
                prev_value,
            }
        } else {
            WatchEvent {
                kind: EventKind::Deleted,
                object: object(prev_value.clone().unwrap_or_default())?,
                prev_value,
            }
        });
    }
    Ok(out)
}

fn writer_loop(shared: &Shared, mut rx: mpsc::UnboundedReceiver<Request>, retention: u64) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let (results, events, revision) = commit_batch(shared, &mut batch);
        // Publish the revision before anyone hears of their write, so that a client never sees
        // a current revision older than its own acknowledged write.
        shared.revision.store(revision, Ordering::Release);
        for (req, result) in batch.into_iter().zip(results) {
            let _ = req.reply.send(result);
        }
        if !events.is_empty() {
            let _ = shared.events.send(Arc::new(events));
        }
        let compacted = shared.compacted.load(Ordering::Acquire);
        if retention > 0 && revision > compacted + retention + retention / 4 {
            let target = revision - retention;
            if let Err(e) = compact_to(shared, target) {
                tracing::warn!(error = %e, "automatic compaction failed");
            }
        }
    }
}

type BatchResult = (Vec<Result<Done>>, Vec<WatchEvent>, u64);

fn commit_batch(shared: &Shared, batch: &mut [Request]) -> BatchResult {
    let fail_all = |e: StoreError, n: usize| (0..n).map(|_| Err(e.clone())).collect::<Vec<_>>();
    let mut revision = shared.revision.load(Ordering::Acquire);
    let mut txn = match shared.db.begin_write() {
        Ok(t) => t,
        Err(e) => return (fail_all(internal(e), batch.len()), vec![], revision),
    };
    if let Err(e) = txn.set_durability(Durability::Immediate) {
        return (fail_all(internal(e), batch.len()), vec![], revision);
    }
    let mut results = Vec::with_capacity(batch.len());
    let mut events = Vec::new();
    let mut compactions = Vec::new();
    let applied: Result<()> = (|| {
        let mut objects = txn.open_table(OBJECTS).map_err(internal)?;
        let mut log = txn.open_table(LOG).map_err(internal)?;
        for req in batch.iter_mut() {
            let op = std::mem::replace(&mut req.op, Op::Compact { revision: 0 });
            if let Op::Compact { revision } = op {
                compactions.push(revision);
                results.push(Ok(Done::Unit));
                continue;
            }
            match apply(&mut objects, &mut log, &mut revision, op, &mut events) {
                // A storage failure poisons the whole batch: nothing of it is committed.
                Err(e @ StoreError::Internal(_)) => return Err(e),
                result => results.push(result),
            }
        }
        let mut meta = txn.open_table(META).map_err(internal)?;
        meta.insert(META_REVISION, revision).map_err(internal)?;
        Ok(())
    })();
    if let Err(e) = applied {
        let _ = txn.abort();
        return (
            fail_all(e, batch.len()),
            vec![],
            shared.revision.load(Ordering::Acquire),
        );
    }
    if let Err(e) = txn.commit() {
        return (
            fail_all(internal(e), batch.len()),
            vec![],
            shared.revision.load(Ordering::Acquire),
        );
    }
    for target in compactions {
        if let Err(e) = compact_to(shared, target.min(revision)) {
            tracing::warn!(error = %e, "compaction failed");
        }
    }
    (results, events, revision)
}

fn apply(
    objects: &mut redb::Table<(&'static str, u64), &'static [u8]>,
    log: &mut redb::Table<u64, &'static str>,
    revision: &mut u64,
    op: Op,
    events: &mut Vec<WatchEvent>,
) -> Result<Done> {
    let (key, value, expected, create_only, delete) = match op {
        Op::Create { key, value } => (key, Some(value), None, true, false),
        Op::Update {
            key,
            value,
            expected,
        } => (key, Some(value), expected, false, false),
        Op::Delete { key, expected } => (key, None, expected, false, true),
        Op::Compact { .. } => return Ok(Done::Unit),
    };
    let current = version_at(&*objects, key.as_str(), u64::MAX)?.filter(|v| v.live);
    match (&current, create_only) {
        (Some(_), true) => return Err(StoreError::AlreadyExists),
        (None, false) => return Err(StoreError::NotFound),
        _ => {}
    }
    if let (Some(exp), Some(cur)) = (expected, &current)
        && exp.get() != cur.rev
    {
        return Err(StoreError::Conflict {
            current: Some(Revision::new(cur.rev)),
        });
    }
    let rev = *revision + 1;
    let create = current.as_ref().map_or(rev, |v| v.create);
    let prev_value = current.map(|v| v.value);
    let record = if delete {
        encode_value(false, create, &[])
    } else {
        encode_value(true, create, value.as_deref().unwrap_or(&[]))
    };
    objects
        .insert((key.as_str(), rev), record.as_slice())
        .map_err(internal)?;
    log.insert(rev, key.as_str()).map_err(internal)?;
    *revision = rev;
    let object = |value: Vec<u8>| Object {
        key: key.clone(),
        value,
        mod_revision: Revision::new(rev),
        create_revision: Revision::new(create),
    };
    if delete {
        let obj = object(prev_value.clone().unwrap_or_default());
        events.push(WatchEvent {
            kind: EventKind::Deleted,
            object: obj.clone(),
            prev_value,
        });
        Ok(Done::Deleted(Deleted {
            object: Object {
                mod_revision: Revision::new(rev),
                ..obj
            },
            revision: Revision::new(rev),
        }))
    } else {
        let kind = if create_only {
            EventKind::Created
        } else {
            EventKind::Updated
        };
        events.push(WatchEvent {
            kind,
            object: object(value.unwrap_or_default()),
            prev_value,
        });
        Ok(Done::Rev(Revision::new(rev)))
    }
}

/// Discard history below `target`: versions superseded before it, tombstones older than it, and
/// log entries below it.
fn compact_to(shared: &Shared, target: u64) -> Result<()> {
    let already = shared.compacted.load(Ordering::Acquire);
    if target <= already {
        return Ok(());
    }
    let txn = shared.db.begin_write().map_err(internal)?;
    {
        let mut objects = txn.open_table(OBJECTS).map_err(internal)?;
        let mut log = txn.open_table(LOG).map_err(internal)?;
        let window: Vec<(u64, String)> = log
            .range(..target)
            .map_err(internal)?
            .map(|e| e.map(|(r, k)| (r.value(), k.value().to_owned())))
            .collect::<std::result::Result<_, _>>()
            .map_err(internal)?;
        let mut keys: Vec<&str> = window.iter().map(|(_, k)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let versions: Vec<(u64, bool)> = objects
                .range((key, 0u64)..(key, target))
                .map_err(internal)?
                .map(|e| {
                    e.map_err(internal)
                        .and_then(|(k, v)| Ok((k.value().1, decode_value(v.value())?.0)))
                })
                .collect::<Result<_>>()?;
            let Some(&(newest, newest_live)) = versions.last() else {
                continue;
            };
            for (rev, _) in &versions {
                if *rev != newest || !newest_live {
                    objects.remove((key, *rev)).map_err(internal)?;
                }
            }
        }
        for (rev, _) in &window {
            log.remove(*rev).map_err(internal)?;
        }
        let mut meta = txn.open_table(META).map_err(internal)?;
        meta.insert(META_COMPACTED, target).map_err(internal)?;
    }
    txn.commit().map_err(internal)?;
    shared.compacted.store(target, Ordering::Release);
    Ok(())
}

impl Backend for RedbStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>> {
        let txn = self.read_txn()?;
        let objects = txn.open_table(OBJECTS).map_err(internal)?;
        Ok(version_at(&objects, key.as_str(), u64::MAX)?
            .filter(|v| v.live)
            .map(|v| Object {
                key: key.clone(),
                value: v.value,
                mod_revision: Revision::new(v.rev),
                create_revision: Revision::new(v.create),
            }))
    }

    async fn list(&self, prefix: &Prefix, opts: &ListOptions) -> Result<ListPage> {
        self.list_sync(prefix, opts)
    }

    async fn create(&self, key: &Key, value: Vec<u8>) -> Result<Revision> {
        match self
            .submit(Op::Create {
                key: key.clone(),
                value,
            })
            .await?
        {
            Done::Rev(r) => Ok(r),
            _ => Err(internal("unexpected writer answer")),
        }
    }

    async fn update(
        &self,
        key: &Key,
        value: Vec<u8>,
        expected: Option<Revision>,
    ) -> Result<Revision> {
        match self
            .submit(Op::Update {
                key: key.clone(),
                value,
                expected,
            })
            .await?
        {
            Done::Rev(r) => Ok(r),
            _ => Err(internal("unexpected writer answer")),
        }
    }

    async fn delete(&self, key: &Key, expected: Option<Revision>) -> Result<Deleted> {
        match self
            .submit(Op::Delete {
                key: key.clone(),
                expected,
            })
            .await?
        {
            Done::Deleted(d) => Ok(d),
            _ => Err(internal("unexpected writer answer")),
        }
    }

    async fn watch(&self, prefix: &Prefix, after: Revision) -> Result<WatchStream> {
        let mut live = self.shared.events.subscribe();
        let backlog = replay(&self.shared.db, prefix, after.get())?;
        let (tx, rx) = mpsc::channel::<Result<WatchEvent>>(1024);
        let shared = self.shared.clone();
        let prefix = prefix.clone();
        let mut last = backlog
            .last()
            .map_or(after.get(), |e| e.object.mod_revision.get());
        tokio::spawn(async move {
            for e in backlog {
                if tx.send(Ok(e)).await.is_err() {
                    return;
                }
            }
            loop {
                let batch: Vec<WatchEvent> = match live.recv().await {
                    Ok(batch) => batch
                        .iter()
                        .filter(|e| prefix.contains(e.object.key.as_str()))
                        .cloned()
                        .collect(),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        match replay(&shared.db, &prefix, last) {
                            Ok(events) => events,
                            Err(e) => {
                                let _ = tx.send(Err(e)).await;
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => {
                        let _ = tx
                            .send(Err(StoreError::Unavailable("store closed".into())))
                            .await;
                        return;
                    }
                };
                for e in batch {
                    let rev = e.object.mod_revision.get();
                    if rev <= last {
                        continue;
                    }
                    last = rev;
                    if tx.send(Ok(e)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|e| (e, rx))
        })))
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(Revision::new(self.shared.revision.load(Ordering::Acquire)))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        self.submit(Op::Compact {
            revision: revision.get(),
        })
        .await
        .map(|_| ())
    }

    async fn lease_acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let now = tokio::time::Instant::now();
        let mut leases = self.shared.leases.lock().map_err(internal)?;
        match leases.get(name) {
            Some((h, until)) if h != holder && *until > now => Ok(false),
            _ => {
                leases.insert(name.to_owned(), (holder.to_owned(), now + ttl));
                Ok(true)
            }
        }
    }

    async fn lease_renew(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let now = tokio::time::Instant::now();
        let mut leases = self.shared.leases.lock().map_err(internal)?;
        match leases.get_mut(name) {
            Some((h, until)) if h == holder && *until > now => {
                *until = now + ttl;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn lease_release(&self, name: &str, holder: &str) -> Result<()> {
        let mut leases = self.shared.leases.lock().map_err(internal)?;
        if leases.get(name).is_some_and(|(h, _)| h == holder) {
            leases.remove(name);
        }
        Ok(())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        let now = tokio::time::Instant::now();
        let leases = self.shared.leases.lock().map_err(internal)?;
        Ok(leases
            .get(name)
            .filter(|(_, until)| *until > now)
            .map(|(h, _)| h.clone()))
    }
}

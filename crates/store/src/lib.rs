//! The store contract: Kubernetes-style objects keyed by resource/namespace/name, one global
//! revision, compare-and-swap writes, consistent paged lists, watch from a revision, compaction
//! and leases; with an embedded redb backend and (feature `etcd`) an etcd backend.
//!
//! Values are opaque bytes (the server stores JSON). A [`Revision`] is what the server shows as
//! `metadata.resourceVersion`; outside this crate it is only formatted and parsed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use futures::Stream;

mod any;
mod continue_token;
#[cfg(feature = "etcd")]
pub mod etcd;
mod key;
pub mod redb;
mod util;

pub use any::AnyStore;
pub use continue_token::ContinueToken;
pub use key::{Key, Prefix};
pub use util::{delete_with_uid, guaranteed_update};

/// The global, monotonically increasing revision of the store (`resourceVersion`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Revision(u64);

impl Revision {
    /// The revision before any write.
    pub const ZERO: Revision = Revision(0);

    pub(crate) fn new(n: u64) -> Self {
        Revision(n)
    }

    pub(crate) fn get(self) -> u64 {
        self.0
    }

    /// The revision right after this one.
    pub fn next(self) -> Revision {
        Revision(self.0 + 1)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Revision {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<u64>()
            .map(Revision)
            .map_err(|_| StoreError::InvalidRevision(s.to_owned()))
    }
}

/// Everything that can go wrong in the store. `Unavailable` is the retryable one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The key does not exist (or did not at the requested revision).
    #[error("not found")]
    NotFound,
    /// `create` found the key already present.
    #[error("already exists")]
    AlreadyExists,
    /// A compare-and-swap precondition failed; `current` is the key's revision now (None = gone).
    #[error("the object has been modified (current revision {current:?})")]
    Conflict {
        /// The key's current revision, if it still exists.
        current: Option<Revision>,
    },
    /// The UID precondition of a delete did not match.
    #[error("the UID precondition was not met")]
    UidMismatch,
    /// A watch or read asked for history that compaction removed (HTTP 410).
    #[error("too old resource version: {requested} ({compacted})")]
    TooOld {
        /// The revision asked for.
        requested: Revision,
        /// The oldest revision still available.
        compacted: Revision,
    },
    /// A continue token refers to a snapshot that compaction removed (HTTP 410).
    #[error("continue token expired")]
    ContinueExpired,
    /// A continue token could not be decoded or belongs to another prefix.
    #[error("invalid continue token: {0}")]
    InvalidContinue(String),
    /// A resourceVersion string is not a revision.
    #[error("invalid resource version {0:?}")]
    InvalidRevision(String),
    /// A key component is not acceptable (empty, separator, control character, ...).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The backend is temporarily unreachable; retry with backoff.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The data file is not a tagplane store or is damaged.
    #[error("cannot open store {path}: {detail}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// Anything else (a bug or an I/O error).
    #[error("store error: {0}")]
    Internal(String),
}

impl StoreError {
    /// Whether retrying later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stored object: its key, bytes, and the revisions that created and last modified it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Where it lives.
    pub key: Key,
    /// The stored bytes.
    pub value: Vec<u8>,
    /// Revision of the last modification (its resourceVersion).
    pub mod_revision: Revision,
    /// Revision of its creation.
    pub create_revision: Revision,
}

/// Options of a list call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Maximum number of items in this page (`None` or 0 = all).
    pub limit: Option<u64>,
    /// Continue token of the previous page.
    pub continue_token: Option<String>,
    /// Read at this revision instead of the latest (must not be compacted).
    pub revision: Option<Revision>,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, ordered by key.
    pub items: Vec<Object>,
    /// The snapshot revision every page of this list is read at.
    pub revision: Revision,
    /// Token for the next page, if there is one.
    pub continue_token: Option<String>,
    /// How many items remain after this page, when known.
    pub remaining: Option<u64>,
}

/// What happened to a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The key was created.
    Created,
    /// The key was updated.
    Updated,
    /// The key was deleted; the event's object carries the last value.
    Deleted,
}

/// One change, in revision order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// Created, updated or deleted.
    pub kind: EventKind,
    /// The object after the change (for deletes: the value before, with `mod_revision` = the
    /// delete's revision).
    pub object: Object,
    /// The value before the change (None for creates).
    pub prev_value: Option<Vec<u8>>,
}

/// A stream of watch events; ends with an error (`TooOld` after falling behind compaction,
/// `Unavailable` when the backend is gone).
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<WatchEvent>> + Send>>;

/// A deleted object and the revision of its deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    /// The object as it was.
    pub object: Object,
    /// The revision of the delete.
    pub revision: Revision,
}

/// The contract every backend implements; see the crate docs. All writes are durable when
/// they return.
pub trait Backend: Send + Sync + 'static {
    /// The object at `key` as of now.
    fn get(&self, key: &Key) -> impl Future<Output = Result<Option<Object>>> + Send;
    /// Objects under `prefix`, paged from one snapshot revision.
    fn list(
        &self,
        prefix: &Prefix,
        opts: &ListOptions,
    ) -> impl Future<Output = Result<ListPage>> + Send;
    /// Create `key`; `AlreadyExists` if present. Returns the new revision.
    fn create(&self, key: &Key, value: Vec<u8>) -> impl Future<Output = Result<Revision>> + Send;
    /// Replace the value of an existing `key`. With `expected`, only if its mod revision is that
    /// (`Conflict` otherwise); without, unconditionally. `NotFound` if absent.
    fn update(
        &self,
        key: &Key,
        value: Vec<u8>,
        expected: Option<Revision>,
    ) -> impl Future<Output = Result<Revision>> + Send;
    /// Delete `key`, optionally only at mod revision `expected`.
    fn delete(
        &self,
        key: &Key,
        expected: Option<Revision>,
    ) -> impl Future<Output = Result<Deleted>> + Send;
    /// Every change under `prefix` with a revision greater than `after`, then live changes.
    fn watch(
        &self,
        prefix: &Prefix,
        after: Revision,
    ) -> impl Future<Output = Result<WatchStream>> + Send;
    /// The latest revision of the store.
    fn current_revision(&self) -> impl Future<Output = Result<Revision>> + Send;
    /// Discard history older than `revision` (reads at and watches from it stay possible).
    fn compact(&self, revision: Revision) -> impl Future<Output = Result<()>> + Send;
    /// Take lease `name` for `holder` for `ttl` if it is free or expired (or already ours).
    fn lease_acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Extend our lease; `false` if we lost it.
    fn lease_renew(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Give the lease up if we hold it.
    fn lease_release(&self, name: &str, holder: &str) -> impl Future<Output = Result<()>> + Send;
    /// Who holds lease `name` now, if anyone.
    fn lease_holder(&self, name: &str) -> impl Future<Output = Result<Option<String>>> + Send;
}

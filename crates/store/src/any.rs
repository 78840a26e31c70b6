//! `AnyStore`: the backend chosen at start-up (`--store redb|etcd`), dispatching statically.

use std::time::Duration;

use crate::redb::RedbStore;
use crate::{
    Backend, Deleted, Key, ListOptions, ListPage, Object, Prefix, Result, Revision, WatchStream,
};

/// One of the backends, selected at run time.
#[derive(Clone, Debug)]
pub enum AnyStore {
    /// The embedded redb file.
    Redb(RedbStore),
    /// An etcd cluster.
    #[cfg(feature = "etcd")]
    Etcd(crate::etcd::EtcdStore),
}

impl AnyStore {
    /// Finish outstanding writes and release the store (for redb: the file lock). Call it when
    /// no other clone is in use any more.
    pub fn close(self) {
        match self {
            AnyStore::Redb(s) => s.close(),
            #[cfg(feature = "etcd")]
            AnyStore::Etcd(_) => {}
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::Redb($s) => $call.await,
            #[cfg(feature = "etcd")]
            AnyStore::Etcd($s) => $call.await,
        }
    };
}

impl Backend for AnyStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>> {
        dispatch!(self, s => s.get(key))
    }
    async fn list(&self, prefix: &Prefix, opts: &ListOptions) -> Result<ListPage> {
        dispatch!(self, s => s.list(prefix, opts))
    }
    async fn create(&self, key: &Key, value: Vec<u8>) -> Result<Revision> {
        dispatch!(self, s => s.create(key, value))
    }
    async fn update(
        &self,
        key: &Key,
        value: Vec<u8>,
        expected: Option<Revision>,
    ) -> Result<Revision> {
        dispatch!(self, s => s.update(key, value, expected))
    }
    async fn delete(&self, key: &Key, expected: Option<Revision>) -> Result<Deleted> {
        dispatch!(self, s => s.delete(key, expected))
    }
    async fn watch(&self, prefix: &Prefix, after: Revision) -> Result<WatchStream> {
        dispatch!(self, s => s.watch(prefix, after))
    }
    async fn current_revision(&self) -> Result<Revision> {
        dispatch!(self, s => s.current_revision())
    }
    async fn compact(&self, revision: Revision) -> Result<()> {
        dispatch!(self, s => s.compact(revision))
    }
    async fn lease_acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        dispatch!(self, s => s.lease_acquire(name, holder, ttl))
    }
    async fn lease_renew(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        dispatch!(self, s => s.lease_renew(name, holder, ttl))
    }
    async fn lease_release(&self, name: &str, holder: &str) -> Result<()> {
        dispatch!(self, s => s.lease_release(name, holder))
    }
    async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        dispatch!(self, s => s.lease_holder(name))
    }
}

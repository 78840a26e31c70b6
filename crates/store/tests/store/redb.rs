//! The conformance suite against the embedded redb backend, plus its own fault cases.

use std::sync::Arc;

use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{Backend, Key, StoreError};

use crate::conformance;

fn open() -> (tempfile::TempDir, RedbStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("store.redb"), RedbOptions::default()).unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud() {
    let (_d, s) = open();
    conformance::crud(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cas() {
    let (_d, s) = open();
    conformance::concurrent_cas(Arc::new(s)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_snapshot() {
    let (_d, s) = open();
    conformance::list_snapshot(Arc::new(s)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_order_and_resume() {
    let (_d, s) = open();
    conformance::watch_order_and_resume(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_fanout() {
    let (_d, s) = open();
    conformance::watch_fanout(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction() {
    let (_d, s) = open();
    conformance::compaction(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases() {
    let (_d, s) = open();
    conformance::leases(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uid_precondition() {
    let (_d, s) = open();
    conformance::uid_precondition(&s).await;
}

/// Data survives close and reopen; revisions continue where they stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_keeps_data_and_revision() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let k = Key::namespaced("things", "re", "a").unwrap();
    let s = RedbStore::open(&path, RedbOptions::default()).unwrap();
    let r = s.create(&k, b"v".to_vec()).await.unwrap();
    s.close();
    let s = RedbStore::open(&path, RedbOptions::default()).unwrap();
    assert_eq!(s.current_revision().await.unwrap(), r);
    assert_eq!(s.get(&k).await.unwrap().unwrap().value, b"v");
    assert!(
        s.create(&Key::namespaced("things", "re", "b").unwrap(), vec![])
            .await
            .unwrap()
            > r
    );
}

/// Automatic retention compacts old history without touching live data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_compacts() {
    let dir = tempfile::tempdir().unwrap();
    let s = RedbStore::open(
        &dir.path().join("s.redb"),
        RedbOptions {
            retention: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let k = Key::namespaced("things", "ret", "a").unwrap();
    s.create(&k, b"0".to_vec()).await.unwrap();
    for i in 1..40 {
        s.update(&k, i.to_string().into_bytes(), None)
            .await
            .unwrap();
    }
    let p = tagplane_store::Prefix::namespace("things", "ret").unwrap();
    let err = s
        .watch(&p, tagplane_store::Revision::ZERO)
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(matches!(err, StoreError::TooOld { .. }), "{err:?}");
    assert_eq!(s.get(&k).await.unwrap().unwrap().value, b"39");
}

/// A file that is not a store fails with a message naming it, never a panic.
#[test]
fn foreign_and_corrupt_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.redb");
    std::fs::write(&junk, b"this is not a database at all, just text").unwrap();
    let err = RedbStore::open(&junk, RedbOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{msg}");
    assert!(msg.contains("junk.redb"), "{msg}");

    let other = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&other).unwrap();
        let txn = db.begin_write().unwrap();
        let t: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("somebody-elses");
        txn.open_table(t).unwrap().insert("a", "b").unwrap();
        txn.commit().unwrap();
    }
    let msg = RedbStore::open(&other, RedbOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("other.redb") && msg.contains("not a tagplane store"),
        "{msg}"
    );
}

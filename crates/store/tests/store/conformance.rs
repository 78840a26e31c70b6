//! The store contract as executable checks, generic over the backend. Each backend's module
//! calls every function here against a fresh store.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tagplane_store::{
    Backend, EventKind, Key, ListOptions, Prefix, StoreError, WatchEvent, WatchStream,
    delete_with_uid, guaranteed_update,
};

fn key(ns: &str, name: &str) -> Key {
    Key::namespaced("things", ns, name).unwrap()
}

fn prefix(ns: &str) -> Prefix {
    Prefix::namespace("things", ns).unwrap()
}

/// Next event of a watch, failing the test after 20 s.
async fn next(w: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(20), w.next())
        .await
        .expect("watch event within 20 s")
        .expect("watch stream open")
        .expect("watch event, not error")
}

/// create / get / update (CAS and unconditional) / delete and their errors.
pub async fn crud<B: Backend>(s: &B) {
    let k = key("crud", "a");
    assert_eq!(s.get(&k).await.unwrap(), None);
    let r1 = s.create(&k, b"one".to_vec()).await.unwrap();
    assert_eq!(
        s.create(&k, b"dup".to_vec()).await,
        Err(StoreError::AlreadyExists)
    );
    let got = s.get(&k).await.unwrap().unwrap();
    assert_eq!(
        (got.value.as_slice(), got.mod_revision, got.create_revision),
        (&b"one"[..], r1, r1)
    );
    let r2 = s.update(&k, b"two".to_vec(), Some(r1)).await.unwrap();
    assert!(r2 > r1);
    assert_eq!(
        s.update(&k, b"stale".to_vec(), Some(r1)).await,
        Err(StoreError::Conflict { current: Some(r2) })
    );
    let r3 = s.update(&k, b"three".to_vec(), None).await.unwrap();
    let got = s.get(&k).await.unwrap().unwrap();
    assert_eq!(
        (got.value.as_slice(), got.mod_revision, got.create_revision),
        (&b"three"[..], r3, r1)
    );
    assert!(matches!(
        s.delete(&k, Some(r2)).await,
        Err(StoreError::Conflict { .. })
    ));
    let d = s.delete(&k, Some(r3)).await.unwrap();
    assert_eq!(d.object.value, b"three");
    assert!(d.revision > r3);
    assert_eq!(s.get(&k).await.unwrap(), None);
    assert_eq!(s.delete(&k, None).await.unwrap_err(), StoreError::NotFound);
    assert_eq!(
        s.update(&k, b"x".to_vec(), None).await.unwrap_err(),
        StoreError::NotFound
    );
    // re-create after delete starts a new life
    let r4 = s.create(&k, b"again".to_vec()).await.unwrap();
    assert_eq!(s.get(&k).await.unwrap().unwrap().create_revision, r4);
    assert!(s.current_revision().await.unwrap() >= r4);
}

/// Concurrent read-modify-write: no lost update, and exactly one winner per starting revision.
pub async fn concurrent_cas<B: Backend>(s: Arc<B>) {
    let k = key("cas", "counter");
    s.create(&k, b"0".to_vec()).await.unwrap();
    let (writers, per) = (16, 25);
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let s = s.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for _ in 0..per {
                loop {
                    let cur = s.get(&k).await.unwrap().unwrap();
                    let n: u64 = std::str::from_utf8(&cur.value).unwrap().parse().unwrap();
                    match s
                        .update(&k, (n + 1).to_string().into_bytes(), Some(cur.mod_revision))
                        .await
                    {
                        Ok(r) => {
                            revs.push(r);
                            break;
                        }
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            revs
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        for r in t.await.unwrap() {
            assert!(all.insert(r), "two writers got revision {r}");
        }
    }
    let v = s.get(&k).await.unwrap().unwrap().value;
    assert_eq!(String::from_utf8(v).unwrap(), (writers * per).to_string());

    // one winner per revision
    let start = s.get(&k).await.unwrap().unwrap().mod_revision;
    let mut racers = Vec::new();
    for i in 0..12 {
        let s = s.clone();
        let k = k.clone();
        racers.push(tokio::spawn(async move {
            s.update(&k, format!("racer{i}").into_bytes(), Some(start))
                .await
        }));
    }
    let mut winners = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => winners += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(winners, 1);

    // guaranteed_update helper converges under contention
    let mut helpers = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        let k = k.clone();
        helpers.push(tokio::spawn(async move {
            guaranteed_update(&*s, &k, |o| Ok(Some([o.value.as_slice(), b"+"].concat()))).await
        }));
    }
    for h in helpers {
        h.await.unwrap().unwrap();
    }
    let v = s.get(&k).await.unwrap().unwrap().value;
    assert!(v.ends_with(b"++++++++"), "{}", String::from_utf8_lossy(&v));
}

/// Paged lists read one snapshot even while writers change the keys; limits and tokens behave.
pub async fn list_snapshot<B: Backend>(s: Arc<B>) {
    let p = prefix("list");
    for i in 0..60 {
        s.create(
            &key("list", &format!("k{i:03}")),
            format!("v{i}").into_bytes(),
        )
        .await
        .unwrap();
    }
    // a neighbouring namespace must not leak in
    s.create(&key("list2", "k000"), b"other".to_vec())
        .await
        .unwrap();
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..60 {
                let k = key("list", &format!("k{i:03}"));
                match i % 3 {
                    0 => drop(s.delete(&k, None).await),
                    1 => drop(s.update(&k, b"changed".to_vec(), None).await),
                    _ => drop(
                        s.create(&key("list", &format!("new{i:03}")), b"n".to_vec())
                            .await,
                    ),
                }
            }
        })
    };
    let first = s
        .list(
            &p,
            &ListOptions {
                limit: Some(7),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rv = first.revision;
    let mut pages = vec![first.clone()];
    let mut token = first.continue_token.clone();
    while let Some(t) = token {
        let page = s
            .list(
                &p,
                &ListOptions {
                    limit: Some(7),
                    continue_token: Some(t),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.revision, rv, "every page from the same snapshot");
        assert!(page.items.len() <= 7);
        token = page.continue_token.clone();
        pages.push(page);
    }
    writer.await.unwrap();
    let paged: Vec<_> = pages.iter().flat_map(|p| p.items.clone()).collect();
    assert!(paged.iter().all(|o| o.mod_revision <= rv));
    assert!(paged.iter().all(|o| o.key.namespace() == Some("list")));
    let whole = s
        .list(
            &p,
            &ListOptions {
                revision: Some(rv),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        whole.items, paged,
        "paged list equals the full list at the snapshot revision"
    );
    assert!(whole.continue_token.is_none());
    let keys: Vec<_> = paged.iter().map(|o| o.key.as_str().to_owned()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by key");
    // exact multiple of the limit: no dangling token
    let all_now = s.list(&p, &ListOptions::default()).await.unwrap();
    let n = all_now.items.len() as u64;
    let exact = s
        .list(
            &p,
            &ListOptions {
                limit: Some(n),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(exact.items.len() as u64, n);
    assert!(exact.continue_token.is_none());
    // garbage token
    let bad = s
        .list(
            &p,
            &ListOptions {
                continue_token: Some("garbage!".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::InvalidContinue(_))));
    // whole-resource prefix spans namespaces
    let every = s
        .list(
            &Prefix::resource("things").unwrap(),
            &ListOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        every
            .items
            .iter()
            .any(|o| o.key.namespace() == Some("list2"))
    );
}

/// Watches deliver every change after a revision, in order, then live changes; resuming from
/// any revision yields exactly the rest.
pub async fn watch_order_and_resume<B: Backend>(s: &B) {
    let p = prefix("watch");
    let start = s.current_revision().await.unwrap();
    let mut revs = Vec::new();
    for i in 0..20 {
        let k = key("watch", &format!("k{}", i % 5));
        let r = match s.get(&k).await.unwrap() {
            None => s.create(&k, format!("{i}").into_bytes()).await.unwrap(),
            Some(_) if i % 7 == 0 => s.delete(&k, None).await.unwrap().revision,
            Some(o) => s
                .update(&k, format!("{i}").into_bytes(), Some(o.mod_revision))
                .await
                .unwrap(),
        };
        revs.push(r);
    }
    s.create(&key("elsewhere", "x"), b"noise".to_vec())
        .await
        .unwrap();
    let mut w = s.watch(&p, start).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..revs.len() {
        seen.push(next(&mut w).await);
    }
    assert_eq!(
        seen.iter()
            .map(|e| e.object.mod_revision)
            .collect::<Vec<_>>(),
        revs
    );
    assert_eq!(seen[0].kind, EventKind::Created);
    assert!(
        seen.iter()
            .any(|e| e.kind == EventKind::Updated && e.prev_value.is_some())
    );
    let deleted = seen
        .iter()
        .find(|e| e.kind == EventKind::Deleted)
        .expect("a delete");
    assert!(
        !deleted.object.value.is_empty(),
        "deletes carry the last value"
    );
    // live event
    let live = s
        .create(&key("watch", "live"), b"L".to_vec())
        .await
        .unwrap();
    let e = next(&mut w).await;
    assert_eq!(
        (
            e.kind.clone(),
            e.object.mod_revision,
            e.object.value.clone()
        ),
        (EventKind::Created, live, b"L".to_vec())
    );
    // resume from every revision in the middle
    for (i, r) in revs.iter().enumerate().step_by(4) {
        let mut w2 = s.watch(&p, *r).await.unwrap();
        let e = next(&mut w2).await;
        let expect = revs.get(i + 1).copied().unwrap_or(live);
        assert_eq!(e.object.mod_revision, expect, "resume after {r}");
    }
}

/// Many watchers all see a write.
pub async fn watch_fanout<B: Backend>(s: &B) {
    let p = prefix("fan");
    let now = s.current_revision().await.unwrap();
    let mut watchers = Vec::new();
    for _ in 0..50 {
        watchers.push(s.watch(&p, now).await.unwrap());
    }
    let r = s.create(&key("fan", "x"), b"x".to_vec()).await.unwrap();
    for w in &mut watchers {
        assert_eq!(next(w).await.object.mod_revision, r);
    }
}

/// Compaction: old history is gone with the right errors; recent history stays readable.
pub async fn compaction<B: Backend>(s: &B) {
    let p = prefix("compact");
    let k = key("compact", "a");
    let r1 = s.create(&k, b"1".to_vec()).await.unwrap();
    for _ in 0..2 {
        s.create(
            &key(
                "compact",
                &format!("x{}", s.current_revision().await.unwrap()),
            ),
            b"x".to_vec(),
        )
        .await
        .unwrap();
    }
    let page = s
        .list(
            &p,
            &ListOptions {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let token = page.continue_token.clone().expect("more pages");
    let r2 = s.update(&k, b"2".to_vec(), None).await.unwrap();
    let r3 = s.update(&k, b"3".to_vec(), None).await.unwrap();
    s.compact(r3).await.unwrap();
    assert!(matches!(
        s.watch(&p, r1).await.map(|_| ()),
        Err(StoreError::TooOld { .. })
    ));
    assert!(matches!(
        s.list(
            &p,
            &ListOptions {
                revision: Some(r2),
                ..Default::default()
            }
        )
        .await,
        Err(StoreError::TooOld { .. })
    ));
    assert_eq!(
        s.list(
            &p,
            &ListOptions {
                continue_token: Some(token),
                ..Default::default()
            }
        )
        .await
        .unwrap_err(),
        StoreError::ContinueExpired
    );
    // reads at and after the compaction point still work, and the value is the latest
    let at = s
        .list(
            &p,
            &ListOptions {
                revision: Some(r3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(at.items.iter().any(|o| o.key == k && o.value == b"3"));
    let mut w = s.watch(&p, r3).await.unwrap();
    let r4 = s.update(&k, b"4".to_vec(), None).await.unwrap();
    assert_eq!(next(&mut w).await.object.mod_revision, r4);
    assert_eq!(s.get(&k).await.unwrap().unwrap().value, b"4");
}

/// Leases: exclusive while held, renewable by the holder, taken over after expiry or release.
pub async fn leases<B: Backend>(s: &B) {
    let ttl = Duration::from_secs(2);
    assert!(s.lease_acquire("leader", "a", ttl).await.unwrap());
    assert!(!s.lease_acquire("leader", "b", ttl).await.unwrap());
    assert_eq!(
        s.lease_holder("leader").await.unwrap().as_deref(),
        Some("a")
    );
    assert!(s.lease_renew("leader", "a", ttl).await.unwrap());
    assert!(!s.lease_renew("leader", "b", ttl).await.unwrap());
    s.lease_release("leader", "b").await.unwrap();
    assert_eq!(
        s.lease_holder("leader").await.unwrap().as_deref(),
        Some("a"),
        "only the holder releases"
    );
    s.lease_release("leader", "a").await.unwrap();
    assert!(
        s.lease_acquire("leader", "b", Duration::from_secs(1))
            .await
            .unwrap()
    );
    // expiry: a stops renewing b's lease... b stops renewing; a takes over once it expires
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if s.lease_acquire("leader", "a", ttl).await.unwrap() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "lease never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        s.lease_holder("leader").await.unwrap().as_deref(),
        Some("a")
    );
    assert!(
        !s.lease_renew("leader", "b", ttl).await.unwrap(),
        "the old holder lost it"
    );
}

/// UID-guarded deletes.
pub async fn uid_precondition<B: Backend>(s: &B) {
    let k = key("uid", "a");
    s.create(&k, br#"{"metadata":{"uid":"u1"}}"#.to_vec())
        .await
        .unwrap();
    assert_eq!(
        delete_with_uid(s, &k, "u2", None).await.unwrap_err(),
        StoreError::UidMismatch
    );
    let d = delete_with_uid(s, &k, "u1", None).await.unwrap();
    assert_eq!(d.object.key, k);
    assert_eq!(
        delete_with_uid(s, &k, "u1", None).await.unwrap_err(),
        StoreError::NotFound
    );
}

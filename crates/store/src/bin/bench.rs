//! `tagplane-store-bench`: measures the store contract on each backend side by side — durable
//! writes/s at concurrency 1, 16 and 64, reads/s, and watch fan-out latency at 1,000 watchers —
//! and prints one table. Run through `cargo xtask bench store`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{Backend, Key, Prefix};

/// Wall time of each throughput phase.
const PHASE: Duration = Duration::from_secs(3);
/// Watchers in the fan-out phase.
const WATCHERS: usize = 1000;
/// Writes observed by every watcher in the fan-out phase.
const FANOUT_WRITES: usize = 100;

struct Row {
    name: &'static str,
    unit: &'static str,
    values: Vec<f64>,
}

async fn writes<B: Backend>(store: Arc<B>, concurrency: usize, tag: &str) -> f64 {
    let deadline = Instant::now() + PHASE;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let store = store.clone();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let value = vec![b'x'; 512];
            while Instant::now() < deadline {
                let key = Key::namespaced("bench", &tag, &format!("w{t}-{n}")).expect("key");
                store.create(&key, value.clone()).await.expect("write");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("writer task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn reads<B: Backend>(store: Arc<B>, concurrency: usize) -> f64 {
    let keys: Arc<Vec<Key>> = Arc::new(
        (0..1000)
            .map(|i| Key::namespaced("bench", "reads", &format!("r{i}")).expect("key"))
            .collect(),
    );
    for k in keys.iter() {
        let _ = store.create(k, vec![b'r'; 512]).await;
    }
    let deadline = Instant::now() + PHASE;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let store = store.clone();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < deadline {
                for _ in 0..64 {
                    let k = &keys[(n * 7919 + t) % keys.len()];
                    store.get(k).await.expect("read").expect("present");
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("reader task");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// (p50, p99) in milliseconds from just before a write is issued to its delivery to a watcher.
async fn fanout<B: Backend>(store: Arc<B>) -> (f64, f64) {
    let prefix = Prefix::namespace("bench", "fanout").expect("prefix");
    let now = store.current_revision().await.expect("revision");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let mut handles = Vec::new();
    for _ in 0..WATCHERS {
        let mut w = store.watch(&prefix, now).await.expect("watch");
        let tx = tx.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..FANOUT_WRITES {
                match w.next().await {
                    Some(Ok(e)) => {
                        let n: u64 = String::from_utf8_lossy(&e.object.value)
                            .parse()
                            .unwrap_or(0);
                        let _ = tx.send((n, Instant::now()));
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(tx);
    let mut issued = Vec::with_capacity(FANOUT_WRITES);
    for i in 0..FANOUT_WRITES {
        let key = Key::namespaced("bench", "fanout", &format!("f{i}")).expect("key");
        issued.push(Instant::now());
        store
            .create(&key, i.to_string().into_bytes())
            .await
            .expect("write");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut lat = Vec::with_capacity(WATCHERS * FANOUT_WRITES);
    while let Some((n, at)) = rx.recv().await {
        lat.push(at.duration_since(issued[n as usize]).as_secs_f64() * 1000.0);
    }
    for h in handles {
        let _ = h.await;
    }
    assert_eq!(
        lat.len(),
        WATCHERS * FANOUT_WRITES,
        "every watcher saw every write"
    );
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    (pct(0.50), pct(0.99))
}

async fn suite<B: Backend>(store: Arc<B>, label: &str) -> Vec<f64> {
    eprintln!("bench: {label}: writes c=1");
    let w1 = writes(store.clone(), 1, "c1").await;
    eprintln!("bench: {label}: writes c=16");
    let w16 = writes(store.clone(), 16, "c16").await;
    eprintln!("bench: {label}: writes c=64");
    let w64 = writes(store.clone(), 64, "c64").await;
    eprintln!("bench: {label}: reads c=16");
    let r = reads(store.clone(), 16).await;
    eprintln!("bench: {label}: fan-out to {WATCHERS} watchers");
    let (p50, p99) = fanout(store).await;
    vec![w1, w16, w64, r, p50, p99]
}

fn print(labels: &[&str], rows: &[Row]) {
    print!("| metric | unit |");
    for l in labels {
        print!(" {l} |");
    }
    if labels.len() == 2 {
        print!(" {} / {} |", labels[1], labels[0]);
    }
    println!();
    print!("|---|---|");
    for _ in 0..labels.len() + usize::from(labels.len() == 2) {
        print!("---:|");
    }
    println!();
    for row in rows {
        print!("| {} | {} |", row.name, row.unit);
        for v in &row.values {
            if *v >= 100.0 {
                print!(" {v:.0} |")
            } else {
                print!(" {v:.2} |")
            }
        }
        if row.values.len() == 2 && row.values[0] > 0.0 {
            print!(" {:.2} |", row.values[1] / row.values[0]);
        }
        println!();
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let etcd_endpoints: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--etcd")
        .and_then(|i| args.get(i + 1))
        .map(|e| e.split(',').map(str::to_owned).collect());
    let dir = std::env::temp_dir().join(format!("tagplane-store-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut labels: Vec<&str> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let redb = Arc::new(
        RedbStore::open(&dir.join("bench.redb"), RedbOptions::default()).expect("open redb"),
    );
    labels.push("redb");
    columns.push(suite(redb, "redb").await);
    #[cfg(feature = "etcd")]
    if let Some(endpoints) = etcd_endpoints {
        let opts = tagplane_store::etcd::EtcdOptions {
            endpoints,
            ..Default::default()
        };
        let etcd = Arc::new(
            tagplane_store::etcd::EtcdStore::connect(opts)
                .await
                .expect("connect etcd"),
        );
        labels.push("etcd");
        columns.push(suite(etcd, "etcd").await);
    }
    #[cfg(not(feature = "etcd"))]
    if etcd_endpoints.is_some() {
        eprintln!("bench: built without the `etcd` feature; etcd column skipped");
    }
    let names = [
        ("durable writes, concurrency 1", "writes/s"),
        ("durable writes, concurrency 16", "writes/s"),
        ("durable writes, concurrency 64", "writes/s"),
        ("reads, concurrency 16", "reads/s"),
        ("watch fan-out p50 (1,000 watchers)", "ms"),
        ("watch fan-out p99 (1,000 watchers)", "ms"),
    ];
    let rows: Vec<Row> = names
        .iter()
        .enumerate()
        .map(|(i, (name, unit))| Row {
            name,
            unit,
            values: columns.iter().map(|c| c[i]).collect(),
        })
        .collect();
    print(&labels, &rows);
    let _ = std::fs::remove_dir_all(&dir);
}

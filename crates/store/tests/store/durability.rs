//! Crash durability: a child process writes and acknowledges; we SIGKILL it at an arbitrary
//! moment, reopen the file, and require every acknowledged write to be there.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{Backend, Key, ListOptions, Prefix};

/// A small deterministic generator for kill points (no test depends on wall-clock randomness).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let exe = env!("CARGO_BIN_EXE_tagplane-store-writer");
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let rounds = 12;
    for round in 0..rounds {
        let path = dir.path().join(format!("crash-{round}.redb"));
        let kill_after = 1 + xorshift(&mut seed) % 400;
        let mut child = Command::new(exe)
            .args([path.to_str().unwrap(), "100000", "16"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut acked = Vec::new();
        let started = Instant::now();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let n: usize = line
                .strip_prefix("ack ")
                .expect("ack line")
                .parse()
                .unwrap();
            acked.push(n);
            if acked.len() as u64 >= kill_after || started.elapsed() > Duration::from_secs(30) {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer was killed, not finished");
        // lines the child printed after our last read were acknowledged too, but we only
        // require what we saw.
        let store =
            RedbStore::open(&path, RedbOptions::default()).expect("reopens cleanly after SIGKILL");
        for n in &acked {
            let key = Key::namespaced("items", "crash", &format!("k{n:06}")).unwrap();
            let got = store.get(&key).await.unwrap();
            assert_eq!(
                got.map(|o| o.value),
                Some(format!("value-{n}").into_bytes()),
                "round {round}: ack {n} lost"
            );
        }
        // the store is consistent: a full list reads, and the revision covers every object
        let all = store
            .list(
                &Prefix::namespace("items", "crash").unwrap(),
                &ListOptions::default(),
            )
            .await
            .unwrap();
        assert!(all.items.len() >= acked.len());
        assert!(all.items.iter().all(|o| o.mod_revision <= all.revision));
        store.close();
    }
}

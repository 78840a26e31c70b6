//! `tagplane-store-writer PATH COUNT CONCURRENCY`: performs acknowledged writes against an
//! embedded store and prints `ack <n>` after each one returns; used by the crash-durability test
//! (which kills it with SIGKILL) and handy for poking at a store file by hand.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{Backend, Key};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: tagplane-store-writer PATH COUNT CONCURRENCY";
    let (Some(path), Some(count), Some(conc)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let (Ok(count), Ok(conc)) = (count.parse::<usize>(), conc.parse::<usize>()) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let code = runtime.block_on(async move {
        let store = match RedbStore::open(&PathBuf::from(path), RedbOptions::default()) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        };
        let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let mut tasks = Vec::new();
        for t in 0..conc.max(1) {
            let store = store.clone();
            let stdout = stdout.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = t;
                while n < count {
                    let key = Key::namespaced("items", "crash", &format!("k{n:06}")).expect("key");
                    if let Err(e) = store.create(&key, format!("value-{n}").into_bytes()).await {
                        eprintln!("error: write {n}: {e}");
                        return false;
                    }
                    let mut out = stdout.lock().expect("stdout");
                    let _ = writeln!(out, "ack {n}");
                    let _ = out.flush();
                    n += conc.max(1);
                }
                true
            }));
        }
        let mut ok = true;
        for t in tasks {
            ok &= t.await.unwrap_or(false);
        }
        i32::from(!ok)
    });
    std::process::exit(code);
}

//! `tagplane-api-bench URL`: a bounded load against a running tagplane on loopback — istag GETs,
//! LISTs of 1,000 image streams and durable tag updates at concurrency 64, and watch fan-out to
//! 1,000 watchers — printed as a table with throughput, p50 and p99.

mod token;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const NS: &str = "default";
const STREAMS: usize = 1000;
const CONCURRENCY: usize = 64;
const PHASE: Duration = Duration::from_secs(5);
const WATCHERS: usize = 1000;

struct Stats {
    name: &'static str,
    ops: usize,
    secs: f64,
    lat_ms: Vec<f64>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.lat_ms.is_empty() {
            return 0.0;
        }
        self.lat_ms[((self.lat_ms.len() as f64 * p) as usize).min(self.lat_ms.len() - 1)]
    }
}

fn base(url: &str) -> String {
    format!("{url}/apis/image.openshift.io/v1/namespaces/{NS}")
}

async fn expect(resp: reqwest::Result<reqwest::Response>, what: &str) -> Value {
    let resp = resp.unwrap_or_else(|e| panic!("{what}: {e}"));
    let code = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert!(code.is_success(), "{what}: {code}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn setup(c: &Client, url: &str) {
    for i in 0..STREAMS {
        let body = json!({"metadata": {"name": format!("s{i}")}, "spec": {"tags": [
            {"name": "ref", "from": {"kind": "DockerImage", "name": format!("quay.io/bench/app:{i}")}, "reference": true}
        ]}});
        let r = c
            .post(format!("{}/imagestreams", base(url)))
            .json(&body)
            .send()
            .await
            .expect("create stream");
        assert!(
            r.status().is_success() || r.status().as_u16() == 409,
            "create stream: {}",
            r.status()
        );
    }
    // one pushed image behind bench:latest, through an ImageStreamMapping (spec §8)
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let hex: String = Sha256::digest(manifest)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let digest = format!("sha256:{hex}");
    let create = json!({"metadata": {"name": "bench"}});
    let _ = c
        .post(format!("{}/imagestreams", base(url)))
        .json(&create)
        .send()
        .await;
    let ism = json!({
        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping",
        "metadata": {"name": "bench", "namespace": NS},
        "tag": "latest",
        "image": {"metadata": {"name": digest}, "dockerImageReference": format!("registry.bench/{NS}/bench@{digest}")}
    });
    expect(
        c.post(format!("{}/imagestreammappings", base(url)))
            .json(&ism)
            .send()
            .await,
        "image stream mapping",
    )
    .await;
}

async fn load<F, Fut>(name: &'static str, op: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let deadline = Instant::now() + PHASE;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                op(w, n).await;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                n += 1;
            }
            lat
        }));
    }
    let mut lat_ms = Vec::new();
    for t in tasks {
        lat_ms.extend(t.await.expect("worker"));
    }
    let secs = start.elapsed().as_secs_f64();
    lat_ms.sort_by(|a, b| a.total_cmp(b));
    Stats {
        name,
        ops: lat_ms.len(),
        secs,
        lat_ms,
    }
}

/// p50/p99 (ms) from one tag update to its delivery to each of 1,000 watchers, and to the last.
async fn fanout(c: &Client, url: &str) -> (f64, f64, f64) {
    let list = expect(
        c.get(format!("{}/imagestreams?limit=1", base(url)))
            .send()
            .await,
        "list",
    )
    .await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_owned();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let mut ready = Vec::new();
    for _ in 0..WATCHERS {
        let resp = c
            .get(format!(
                "{}/imagestreams?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dfan",
                base(url)
            ))
            .send()
            .await
            .expect("watch");
        let tx = tx.clone();
        ready.push(tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                if chunk.contains(&b'\n') {
                    let _ = tx.send(Instant::now());
                    return;
                }
            }
        }));
    }
    drop(tx);
    let start = Instant::now();
    expect(
        c.post(format!("{}/imagestreams", base(url)))
            .json(&json!({"metadata": {"name": "fan"}}))
            .send()
            .await,
        "fan-out write",
    )
    .await;
    let mut lat: Vec<f64> = Vec::new();
    while let Some(at) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .ok()
        .flatten()
    {
        lat.push(at.duration_since(start).as_secs_f64() * 1000.0);
        if lat.len() == WATCHERS {
            break;
        }
    }
    assert_eq!(lat.len(), WATCHERS, "every watcher saw the write");
    lat.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    (p(0.5), p(0.99), lat[lat.len() - 1])
}

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .expect("usage: tagplane-api-bench http://127.0.0.1:PORT");
    let client = Client::builder()
        .default_headers(token::auth_headers())
        .pool_max_idle_per_host(CONCURRENCY * 2)
        .build()
        .expect("client");
    eprintln!("bench: creating {STREAMS} image streams and one pushed image");
    setup(&client, &url).await;
    let mut rows = Vec::new();
    {
        let (c, u) = (client.clone(), url.clone());
        eprintln!("bench: GET imagestreamtag at concurrency {CONCURRENCY}");
        rows.push(
            load("GET imagestreamtag", move |_, _| {
                let (c, u) = (c.clone(), u.clone());
                async move {
                    let r = c
                        .get(format!("{}/imagestreamtags/bench:latest", base(&u)))
                        .send()
                        .await
                        .expect("get");
                    assert!(r.status().is_success(), "istag GET {}", r.status());
                    let _ = r.bytes().await;
                }
            })
            .await,
        );
    }
    {
        let (c, u) = (client.clone(), url.clone());
        eprintln!("bench: LIST {STREAMS} image streams at concurrency {CONCURRENCY}");
        rows.push(
            load("LIST 1,000 imagestreams", move |_, _| {
                let (c, u) = (c.clone(), u.clone());
                async move {
                    let r = c
                        .get(format!("{}/imagestreams", base(&u)))
                        .send()
                        .await
                        .expect("list");
                    assert!(r.status().is_success(), "LIST {}", r.status());
                    let _ = r.bytes().await;
                }
            })
            .await,
        );
    }
    {
        let (c, u) = (client.clone(), url.clone());
        eprintln!("bench: PUT imagestreamtag (durable tag updates) at concurrency {CONCURRENCY}");
        rows.push(
            load("PUT imagestreamtag (tag update)", move |w, n| {
                let (c, u) = (c.clone(), u.clone());
                async move {
                    let stream = format!("s{}", (w * 15 + n) % STREAMS);
                    let body = json!({
                        "apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag",
                        "metadata": {"name": format!("{stream}:ref"), "namespace": NS},
                        "tag": {"name": "ref", "reference": true,
                                "from": {"kind": "DockerImage", "name": format!("quay.io/bench/app:{w}-{n}")}}
                    });
                    let r = c.put(format!("{}/imagestreamtags/{stream}:ref", base(&u))).json(&body).send().await.expect("put");
                    assert!(r.status().is_success(), "istag PUT {}", r.status());
                    let _ = r.bytes().await;
                }
            })
            .await,
        );
    }
    eprintln!("bench: watch fan-out to {WATCHERS} watchers");
    let (f50, f99, fmax) = fanout(&client, &url).await;
    println!("| operation (concurrency {CONCURRENCY}) | requests | req/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} |",
            r.name,
            r.ops,
            r.ops as f64 / r.secs,
            r.pct(0.5),
            r.pct(0.99)
        );
    }
    println!();
    println!("| watch fan-out ({WATCHERS} watchers, one write) | p50 ms | p99 ms | last ms |");
    println!("|---|---:|---:|---:|");
    println!("| delivery after the write was issued | {f50:.2} | {f99:.2} | {fmax:.2} |");
}

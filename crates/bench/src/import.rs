//! `tagplane-import-bench`: the import benchmark of `cargo xtask bench import` (issue 5 §6).
//!
//! Given a running loopback `docker-registry`, a running `tagplane serve` and an OCI layout
//! built by `umoci`, it runs [`ROUNDS`] interleaved rounds; each pushes 1,000 tags with distinct
//! digests to its own repository `ns/many<r>` (the layout's blobs once, then 1,000 manifests
//! that differ only by an annotation), warms the registry with one unmeasured pass of the
//! floor's GETs (so the import, measured first, does not pay for cold registry caches the floor
//! then finds warm), and measures the 1,000-tag ImageStreamImport through the API and the floor
//! (the same manifest and config GETs from a bare reqwest loop at the importer's concurrency).
//! The ratio reported is the median over the rounds. Then `skopeo inspect` per tag, and a
//! re-check of round 0's unchanged tags (registry requests by method from its access log, the
//! stream's resourceVersion, and the server's CPU time and RSS from /proc).

mod token;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::Client;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const NS: &str = "default";
/// Interleaved rounds of (warm-up, import, floor), each on its own repository and stream with
/// fresh digests; the ratio reported is the median of the rounds' ratios, which keeps one
/// noisy moment on a shared machine from deciding the result.
const ROUNDS: usize = 3;
const TAGS: usize = 1000;
/// The registry client's default in-flight limit (`MAX_CONCURRENT_FETCHES`).
const FLOOR_CONCURRENCY: usize = 8;
const PUSH_CONCURRENCY: usize = 16;
const SKOPEO_SAMPLE: usize = 50;
/// The repository of round `r`.
fn repo(r: usize) -> String {
    format!("ns/many{r}")
}

/// The image stream of round `r`.
fn stream_name(r: usize) -> String {
    format!("many{r}")
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json";

struct Args {
    registry: String,
    server: String,
    server_pid: u32,
    layout: PathBuf,
    registry_log: PathBuf,
}

fn parse_args() -> Args {
    let usage = "usage: tagplane-import-bench --registry 127.0.0.1:PORT --server http://127.0.0.1:PORT \
--server-pid PID --layout OCI_LAYOUT_DIR --registry-log FILE";
    let mut it = std::env::args().skip(1);
    let (mut registry, mut server, mut pid, mut layout, mut log) = (None, None, None, None, None);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{usage}"));
        match flag.as_str() {
            "--registry" => registry = Some(value),
            "--server" => server = Some(value),
            "--server-pid" => pid = Some(value.parse().expect("pid")),
            "--layout" => layout = Some(PathBuf::from(value)),
            "--registry-log" => log = Some(PathBuf::from(value)),
            _ => panic!("unknown flag {flag}\n{usage}"),
        }
    }
    Args {
        registry: registry.expect(usage),
        server: server.expect(usage),
        server_pid: pid.expect(usage),
        layout: layout.expect(usage),
        registry_log: log.expect(usage),
    }
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// The first manifest of the layout and the blobs (config and layers) it references.
fn read_layout(layout: &Path) -> (Value, Vec<(String, Vec<u8>)>) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json"))
            .expect("index.json is JSON");
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("a manifest in the layout");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(blob_path(layout, digest)).expect("manifest blob"))
            .expect("manifest is JSON");
    let mut blobs = Vec::new();
    let config = manifest["config"]["digest"]
        .as_str()
        .expect("config digest");
    let layers = manifest["layers"].as_array().expect("layers");
    for d in std::iter::once(config).chain(layers.iter().filter_map(|l| l["digest"].as_str())) {
        let bytes = std::fs::read(blob_path(layout, d)).expect("blob");
        assert_eq!(sha256(&bytes), d, "layout blob digest");
        blobs.push((d.to_owned(), bytes));
    }
    (manifest, blobs)
}

/// Monolithic blob upload: `POST /v2/<name>/blobs/uploads/`, then `PUT <location>&digest=`.
async fn upload_blob(c: &Client, registry: &str, repo: &str, digest: &str, bytes: Vec<u8>) {
    let r = c
        .post(format!("http://{registry}/v2/{repo}/blobs/uploads/"))
        .send()
        .await
        .expect("start upload");
    assert_eq!(r.status().as_u16(), 202, "start upload: {}", r.status());
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("upload Location")
        .to_owned();
    let mut url = if location.starts_with("http") {
        location
    } else {
        format!("http://{registry}{location}")
    };
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&format!("digest={digest}"));
    let r = c
        .put(url)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("finish upload");
    assert_eq!(r.status().as_u16(), 201, "finish upload: {}", r.status());
}

/// Push the layout's blobs once and `TAGS` manifests that differ only by an annotation (which
/// names the round, so every round imports new digests) to the repository of round `round`.
async fn populate(c: &Client, registry: &str, layout: &Path, round: usize) -> f64 {
    let start = Instant::now();
    let (mut manifest, blobs) = read_layout(layout);
    let repo = &repo(round);
    for (digest, bytes) in blobs {
        upload_blob(c, registry, repo, &digest, bytes).await;
    }
    manifest["mediaType"] = json!(OCI_MANIFEST);
    let digests: Vec<String> = futures::stream::iter(0..TAGS)
        .map(|i| {
            let mut m = manifest.clone();
            m["annotations"] = json!({"org.example.tagplane.bench": format!("r{round}-t{i}")});
            let body = serde_json::to_vec(&m).expect("manifest");
            let want = sha256(&body);
            let c = c.clone();
            async move {
                let r = c
                    .put(format!("http://{registry}/v2/{repo}/manifests/t{i}"))
                    .header("content-type", OCI_MANIFEST)
                    .body(body)
                    .send()
                    .await
                    .expect("manifest PUT");
                assert_eq!(
                    r.status().as_u16(),
                    201,
                    "manifest PUT t{i}: {}",
                    r.status()
                );
                let got = r
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert_eq!(got, want, "t{i} digest");
                got
            }
        })
        .buffer_unordered(PUSH_CONCURRENCY)
        .collect()
        .await;
    let distinct: HashSet<&String> = digests.iter().collect();
    assert_eq!(distinct.len(), TAGS, "distinct digests");
    start.elapsed().as_secs_f64()
}

fn isi(registry: &str, round: usize) -> Value {
    let repo = repo(round);
    let images: Vec<Value> = (0..TAGS)
        .map(|i| {
            json!({"from": {"kind": "DockerImage", "name": format!("{registry}/{repo}:t{i}")},
                   "to": {"name": format!("t{i}")}, "importPolicy": {"insecure": true}})
        })
        .collect();
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
           "metadata": {"name": stream_name(round), "namespace": NS},
           "spec": {"import": true, "images": images}})
}

/// POST the ImageStreamImport; returns (seconds, succeeded images, response).
async fn import(c: &Client, server: &str, body: &Value) -> (f64, usize, Value) {
    let start = Instant::now();
    let r = c
        .post(format!(
            "{server}/apis/image.openshift.io/v1/namespaces/{NS}/imagestreamimports"
        ))
        .json(body)
        .send()
        .await
        .expect("import POST");
    let code = r.status();
    let text = r.text().await.expect("import response");
    let secs = start.elapsed().as_secs_f64();
    assert!(code.is_success(), "import: {code}: {text}");
    let out: Value = serde_json::from_str(&text).expect("import response JSON");
    let ok = out["status"]["images"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|i| i["status"]["status"] == "Success")
                .count()
        })
        .unwrap_or(0);
    if ok != TAGS
        && let Some(bad) = out["status"]["images"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["status"]["status"] != "Success"))
    {
        eprintln!("bench: a failed image: {bad}");
    }
    (secs, ok, out)
}

async fn get_stream(c: &Client, server: &str, round: usize) -> Value {
    let r = c
        .get(format!(
            "{server}/apis/image.openshift.io/v1/namespaces/{NS}/imagestreams/{}",
            stream_name(round)
        ))
        .send()
        .await
        .expect("stream GET");
    assert!(r.status().is_success(), "stream GET: {}", r.status());
    r.json().await.expect("stream JSON")
}

fn status_tags(stream: &Value) -> usize {
    stream["status"]["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter(|t| t["items"][0]["image"].is_string())
                .count()
        })
        .unwrap_or(0)
}

/// The floor: manifest GET + config GET per tag from a bare reqwest loop.
async fn floor(c: &Client, registry: &str, round: usize) -> f64 {
    let repo = &repo(round);
    let start = Instant::now();
    let n: usize = futures::stream::iter(0..TAGS)
        .map(|i| {
            let c = c.clone();
            async move {
                let r = c
                    .get(format!("http://{registry}/v2/{repo}/manifests/t{i}"))
                    .header("accept", ACCEPT)
                    .send()
                    .await
                    .expect("manifest GET");
                assert!(r.status().is_success(), "manifest GET {}", r.status());
                let m: Value = r.json().await.expect("manifest JSON");
                let config = m["config"]["digest"].as_str().expect("config digest");
                let r = c
                    .get(format!("http://{registry}/v2/{repo}/blobs/{config}"))
                    .send()
                    .await
                    .expect("config GET");
                assert!(r.status().is_success(), "config GET {}", r.status());
                let _: Value = r.json().await.expect("config JSON");
                1
            }
        })
        .buffer_unordered(FLOOR_CONCURRENCY)
        .fold(0, |a, b| async move { a + b })
        .await;
    assert_eq!(n, TAGS);
    start.elapsed().as_secs_f64()
}

/// `skopeo inspect` of the first `SKOPEO_SAMPLE` tags, one after another.
async fn skopeo(registry: &str) -> f64 {
    let start = Instant::now();
    for i in 0..SKOPEO_SAMPLE {
        let status = tokio::process::Command::new("skopeo")
            .args(["inspect", "--tls-verify=false"])
            .arg(format!("docker://{registry}/{}:t{i}", repo(0)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .await
            .expect("running skopeo");
        assert!(status.success(), "skopeo inspect t{i}: {status}");
    }
    start.elapsed().as_secs_f64()
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Registry requests by method in `path[from..to]`: from the combined access-log lines
/// (`"GET /v2/… HTTP/1.1"`), or the `response completed` lines when there are none.
fn requests_by_method(path: &Path, from: u64, to: u64) -> BTreeMap<String, usize> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let seg = String::from_utf8_lossy(&bytes[from as usize..(to as usize).min(bytes.len())]);
    let (mut access, mut completed) = (BTreeMap::new(), BTreeMap::new());
    for line in seg.lines() {
        if let Some((_, rest)) = line.split_once(" \"")
            && let Some((method, rest)) = rest.split_once(' ')
            && rest.contains(" HTTP/")
            && method.chars().all(|c| c.is_ascii_uppercase())
            && !method.is_empty()
        {
            *access.entry(method.to_owned()).or_insert(0) += 1;
        } else if line.contains("response completed")
            && let Some((_, rest)) = line.split_once("http.request.method=")
        {
            let method = rest.split_whitespace().next().unwrap_or("?");
            *completed.entry(method.to_owned()).or_insert(0) += 1;
        }
    }
    if access.is_empty() { completed } else { access }
}

fn fmt_counts(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Wait for the registry's log to stop growing, then return its length.
async fn settled_log_len(path: &Path) -> u64 {
    let mut last = log_len(path);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = log_len(path);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// (utime + stime in clock ticks, VmRSS KiB, VmHWM KiB) of a process.
fn proc_usage(pid: u32) -> (u64, u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After "pid (comm)": state is field 3, utime 14 and stime 15 (proc(5)).
    let cpu = ticks(11) + ticks(12);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (cpu, kib("VmRSS:"), kib("VmHWM:"))
}

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// One round's measurements.
struct Round {
    push_secs: f64,
    warmup_secs: f64,
    import_secs: f64,
    import_ok: usize,
    imported_tags: usize,
    import_reqs: BTreeMap<String, usize>,
    /// Server CPU time (utime + stime) during the import, ms.
    import_cpu_ms: f64,
    floor_secs: f64,
    floor_reqs: BTreeMap<String, usize>,
}

/// Push round `r`'s tags, warm the registry with one unmeasured pass of the floor's GETs (so
/// the import, measured first, does not pay for cold registry caches the floor then finds
/// warm), then measure the import and the floor.
/// `c` talks to the registry, `server` (which carries the token) to tagplane.
async fn round(c: &Client, server: &Client, a: &Args, r: usize) -> Round {
    let log = &a.registry_log;
    eprintln!(
        "bench: round {r}: pushing {TAGS} tags with distinct digests to {}/{}",
        a.registry,
        repo(r)
    );
    let push_secs = populate(c, &a.registry, &a.layout, r).await;
    let warmup_secs = floor(c, &a.registry, r).await;

    eprintln!("bench: round {r}: (1) ImageStreamImport of {TAGS} tags through the API");
    let l0 = settled_log_len(log).await;
    let (cpu0, _, _) = proc_usage(a.server_pid);
    let (import_secs, import_ok, _) = import(server, &a.server, &isi(&a.registry, r)).await;
    let (cpu1, _, _) = proc_usage(a.server_pid);
    let import_cpu_ms = (cpu1 - cpu0) as f64 * 1000.0 / clock_ticks() as f64;
    let l1 = settled_log_len(log).await;
    let import_reqs = requests_by_method(log, l0, l1);
    assert_eq!(import_ok, TAGS, "every image imported");
    let imported_tags = status_tags(&get_stream(server, &a.server, r).await);
    assert_eq!(imported_tags, TAGS, "status tags after the import");

    eprintln!(
        "bench: round {r}: (2) floor: manifest + config GETs at concurrency {FLOOR_CONCURRENCY}"
    );
    let l0 = settled_log_len(log).await;
    let floor_secs = floor(c, &a.registry, r).await;
    let l1 = settled_log_len(log).await;
    Round {
        push_secs,
        warmup_secs,
        import_secs,
        import_ok,
        imported_tags,
        import_reqs,
        import_cpu_ms,
        floor_secs,
        floor_reqs: requests_by_method(log, l0, l1),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let a = parse_args();
    let client = Client::builder()
        .pool_max_idle_per_host(PUSH_CONCURRENCY * 2)
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    // Only the tagplane requests carry its token; the registry never sees it.
    let server_client = Client::builder()
        .default_headers(token::auth_headers())
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let log = &a.registry_log;

    let mut rounds = Vec::with_capacity(ROUNDS);
    for r in 0..ROUNDS {
        rounds.push(round(&client, &server_client, &a, r).await);
    }

    eprintln!("bench: (3) skopeo inspect of {SKOPEO_SAMPLE} tags, one after another");
    let skopeo_sample = skopeo(&a.registry).await;
    let skopeo_secs = skopeo_sample * TAGS as f64 / SKOPEO_SAMPLE as f64;

    eprintln!(
        "bench: (4) re-check of the {TAGS} unchanged tags of round 0 (the same import again)"
    );
    let body = isi(&a.registry, 0);
    let rv_before =
        get_stream(&server_client, &a.server, 0).await["metadata"]["resourceVersion"].clone();
    let tck = clock_ticks();
    let l0 = settled_log_len(log).await;
    let (cpu0, rss0, _) = proc_usage(a.server_pid);
    let (recheck_secs, recheck_ok, out) = import(&server_client, &a.server, &body).await;
    let (cpu1, rss1, hwm) = proc_usage(a.server_pid);
    let l1 = settled_log_len(log).await;
    let recheck_reqs = requests_by_method(log, l0, l1);
    let rv_after =
        get_stream(&server_client, &a.server, 0).await["metadata"]["resourceVersion"].clone();
    let rv_import = out["status"]["import"]["metadata"]["resourceVersion"].clone();
    let cpu_ms = (cpu1 - cpu0) as f64 * 1000.0 / tck as f64;

    let per = |s: f64| s * 1000.0 / TAGS as f64;
    println!(
        "\n### `cargo xtask bench import`: {TAGS} tags (distinct digests) × {ROUNDS} rounds, loopback docker-registry\n"
    );
    println!("| measurement | total s | ms / tag | registry requests (by method) |");
    println!("|---|---:|---:|---|");
    for (r, m) in rounds.iter().enumerate() {
        println!(
            "| round {r} setup: push {TAGS} manifests (blobs once) at concurrency {PUSH_CONCURRENCY} | {:.2} | {:.2} | |",
            m.push_secs,
            per(m.push_secs)
        );
        println!(
            "| round {r} warm-up: the floor's GETs once (not in the ratio) | {:.2} | {:.2} | |",
            m.warmup_secs,
            per(m.warmup_secs)
        );
        println!(
            "| round {r} (1) ImageStreamImport, {TAGS} `spec.images` in one request, end to end ({} Success, {} status tags; server CPU {:.0} ms) | {:.2} | {:.2} | {} |",
            m.import_ok,
            m.imported_tags,
            m.import_cpu_ms,
            m.import_secs,
            per(m.import_secs),
            fmt_counts(&m.import_reqs)
        );
        println!(
            "| round {r} (2) floor: bare reqwest manifest + config GETs, concurrency {FLOOR_CONCURRENCY} | {:.2} | {:.2} | {} |",
            m.floor_secs,
            per(m.floor_secs),
            fmt_counts(&m.floor_reqs)
        );
    }
    println!(
        "| (3) `skopeo inspect` per tag, sequential: {SKOPEO_SAMPLE} tags took {skopeo_sample:.2} s, extrapolated to {TAGS} | {skopeo_secs:.1} | {:.2} | |",
        per(skopeo_secs)
    );
    println!(
        "| (4) re-check of {TAGS} unchanged tags (round 0's ImageStreamImport again, {recheck_ok} Success) | {recheck_secs:.2} | {:.2} | {} |",
        per(recheck_secs),
        fmt_counts(&recheck_reqs)
    );
    let ratios: Vec<f64> = rounds
        .iter()
        .map(|m| m.import_secs / m.floor_secs)
        .collect();
    let import_median = median(rounds.iter().map(|m| m.import_secs).collect());
    println!();
    println!("| ratio | value | target |");
    println!("|---|---:|---|");
    println!(
        "| import / floor, median of {ROUNDS} rounds (each: {}) | {:.2}× | ≤ 1.5× |",
        ratios
            .iter()
            .map(|r| format!("{r:.2}×"))
            .collect::<Vec<_>>()
            .join(", "),
        median(ratios.clone())
    );
    println!(
        "| skopeo loop / import (median import {import_median:.2} s) | {:.1}× | ≥ 20× |",
        skopeo_secs / import_median
    );
    println!();
    println!("| re-check (4) | value |");
    println!("|---|---|");
    println!(
        "| registry requests by method | {} (target: HEAD only) |",
        fmt_counts(&recheck_reqs)
    );
    println!(
        "| stream resourceVersion before → after | {rv_before} → {rv_after} ({}; import status rv {rv_import}) |",
        if rv_before == rv_after {
            "unchanged"
        } else {
            "CHANGED"
        }
    );
    println!("| server CPU time (utime+stime) during the re-check | {cpu_ms:.0} ms |");
    println!(
        "| server RSS before → after (peak since start) | {} → {} MiB ({} MiB) |",
        rss0 / 1024,
        rss1 / 1024,
        hwm / 1024
    );
}

//! Robustness of the HTTP edge against a real server: a corpus of broken requests (malformed and
//! mistyped JSON and YAML, huge numbers, deep nesting, invalid UTF-8, hostile names, wrong
//! content types, every method on every path, patches that are not patches, oversized bodies)
//! sent to every route family over raw TCP. Each answer must be a Kubernetes `Status` with a 4xx
//! code (or, where the request may be valid, a well-formed object), never a 5xx and never a
//! dropped connection; afterwards the server still serves. Also: graceful shutdown with a watch
//! in flight, and a restart on the same data directory.

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Server;
use crate::tags::{NS, client, create_stream, image_json, oci_image, push, send};

const G: &str = "/apis/image.openshift.io/v1";
const CORE_NS: &str = "/api/v1/namespaces/default";
/// Kubernetes' request body limit (3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;
/// Longest wait for one answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a graceful shutdown (and for the watch it ends).
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);
/// Requests in flight at once.
const PARALLEL: usize = 16;

// ------------------------------------------------------------------- raw HTTP/1.1 client

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    code: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// What a request may be answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// The request is broken: a 4xx `Status`.
    Rejected,
    /// The request may be valid: a 4xx `Status` or a 2xx object.
    RejectedOrObject,
    /// Broken below HTTP (request line, headers): any 4xx, body unchecked, no dropped
    /// connection. hyper answers these before any handler runs, as Go's net/http does.
    HttpError,
}

/// A request of the corpus.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    target: Vec<u8>,
    headers: Vec<(String, String)>,
    /// Raw bytes appended to the head after the headers (malformed header lines).
    raw_head: Vec<u8>,
    body: Vec<u8>,
    want: Want,
    what: String,
}

impl Req {
    fn new(method: &str, target: impl AsRef<[u8]>, want: Want, what: impl Into<String>) -> Req {
        Req {
            method: method.to_owned(),
            target: target.as_ref().to_vec(),
            headers: Vec::new(),
            raw_head: Vec::new(),
            body: Vec::new(),
            want,
            what: what.into(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn body(mut self, content_type: &str, body: impl AsRef<[u8]>) -> Req {
        if !content_type.is_empty() {
            self.headers
                .push(("Content-Type".to_owned(), content_type.to_owned()));
        }
        self.body = body.as_ref().to_vec();
        self
    }

    fn describe(&self) -> String {
        let target = String::from_utf8_lossy(&self.target);
        let target: String = if target.len() > 120 {
            format!("{}…({} bytes)", &target[..120], target.len())
        } else {
            target.into_owned()
        };
        format!("{} {target} [{}]", self.method, self.what)
    }
}

/// Send `req` on a fresh connection (`Connection: close`) and read the whole answer. The body is
/// written while the answer is read, so an early answer to a large body is still seen.
async fn exchange(addr: &str, req: &Req) -> Result<Answer, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut rd, mut wr) = stream.into_split();
    let mut head = Vec::new();
    head.extend_from_slice(req.method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(&req.target);
    head.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes(),
    );
    let explicit_length = req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    if !explicit_length {
        head.extend_from_slice(format!("Content-Length: {}\r\n", req.body.len()).as_bytes());
    }
    // The corpus is about malformed requests, not authentication: send the admin token
    // unless the request brings its own Authorization header.
    if !req
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    {
        head.extend_from_slice(
            format!("Authorization: Bearer {}\r\n", crate::harness::ADMIN_TOKEN).as_bytes(),
        );
    }
    for (n, v) in &req.headers {
        head.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    head.extend_from_slice(&req.raw_head);
    head.extend_from_slice(b"\r\n");
    let body = req.body.clone();
    let writer = tokio::spawn(async move {
        // The server may answer (and close) before reading everything: ignore write errors.
        if wr.write_all(&head).await.is_ok() && wr.write_all(&body).await.is_ok() {
            let _ = wr.flush().await;
        }
        wr
    });
    let mut raw = Vec::new();
    let read = tokio::time::timeout(ANSWER_TIMEOUT, rd.read_to_end(&mut raw)).await;
    let _wr = writer.await;
    match read {
        Err(_) => return Err("no answer within the timeout".into()),
        // A reset after a complete answer is how an early answer to an unread body may end;
        // the answer is then judged on what arrived.
        Ok(_) if raw.is_empty() => return Err("connection dropped without an answer".into()),
        Ok(_) => {}
    }
    parse_answer(&raw, req.method == "HEAD")
}

fn parse_answer(raw: &[u8], head_only: bool) -> Result<Answer, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("incomplete answer head: {:?}", String::from_utf8_lossy(raw)))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "answer head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let code: u16 = status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line {status:?}"))?;
    let mut content_type = None;
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        let (n, v) = l
            .split_once(':')
            .ok_or_else(|| format!("bad header {l:?}"))?;
        let v = v.trim();
        match n.to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(v.to_owned()),
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let rest = &raw[end + 4..];
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        if rest.len() < n {
            return Err(format!(
                "answer body cut short: {} of {n} bytes",
                rest.len()
            ));
        }
        rest[..n].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Answer {
        code,
        content_type,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunked answer cut short")?;
        let size = std::str::from_utf8(&data[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .ok_or("bad chunk size")?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("chunked answer cut short".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Why `answer` is not acceptable for `req`, if it is not.
fn judge(req: &Req, answer: &Answer) -> Option<String> {
    let code = answer.code;
    if code >= 500 {
        return Some(format!(
            "answered {code}: {}",
            String::from_utf8_lossy(&answer.body)
        ));
    }
    if req.want == Want::HttpError {
        return (!(400..500).contains(&code)).then(|| format!("answered {code}, want 4xx"));
    }
    let success = (200..300).contains(&code);
    if success && req.want == Want::Rejected {
        return Some(format!(
            "answered {code}, want 4xx: {}",
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
        ));
    }
    if !success && !(400..500).contains(&code) {
        return Some(format!("answered {code}"));
    }
    if req.method == "HEAD" {
        return None;
    }
    let watch = String::from_utf8_lossy(&req.target).contains("watch=");
    let object = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .filter(|v| v["kind"].as_str().is_some_and(|k| !k.is_empty()));
    if success && watch && object.is_none() {
        // A watch: one `{"type", "object"}` JSON line per event.
        return answer
            .body
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .find_map(|l| match serde_json::from_slice::<Value>(l) {
                Ok(e) if e["type"].is_string() && e["object"].is_object() => None,
                _ => Some(format!(
                    "watch line {:?} is not an event",
                    String::from_utf8_lossy(l)
                )),
            });
    }
    let json = answer
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json"));
    let body: Value = match serde_json::from_slice(&answer.body) {
        Ok(v) if json => v,
        _ => {
            return Some(format!(
                "answered {code} with {:?} body {:?}, want JSON",
                answer.content_type,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
            ));
        }
    };
    if success {
        // API objects carry a kind; `/version` and `/openapi/v3` documents are plain objects.
        let api = req.target.starts_with(b"/api");
        let ok = body.is_object() && (!api || body["kind"].as_str().is_some_and(|k| !k.is_empty()));
        return (!ok).then(|| format!("answered {code} with {body}, want an API object"));
    }
    let status_ok = body["kind"] == "Status"
        && body["apiVersion"] == "v1"
        && body["status"] == "Failure"
        && body["code"] == code
        && body["reason"].as_str().is_some_and(|r| !r.is_empty())
        && body["message"].is_string();
    (!status_ok).then(|| format!("answered {code} without a well-formed Status: {body}"))
}

/// Send every request, `PARALLEL` at a time; the failures, described.
async fn run(addr: &str, reqs: Vec<Req>) -> Vec<String> {
    futures::stream::iter(reqs)
        .map(|req| async move {
            match exchange(addr, &req).await {
                Err(e) => Some(format!("{}: {e}", req.describe())),
                Ok(answer) => judge(&req, &answer).map(|why| format!("{}: {why}", req.describe())),
            }
        })
        .buffer_unordered(PARALLEL)
        .filter_map(|f| async move { f })
        .collect()
        .await
}

fn assert_no_failures(phase: &str, failures: &[String]) {
    if failures.is_empty() {
        return;
    }
    let mut sorted = failures.to_vec();
    sorted.sort();
    let shown: Vec<&str> = sorted.iter().take(400).map(String::as_str).collect();
    panic!(
        "{phase}: {} answers were not acceptable:\n{}",
        failures.len(),
        shown.join("\n")
    );
}

// ------------------------------------------------------------------------------ corpus

/// The fixtures every family's paths point at.
struct Fixtures {
    image: String,
}

/// Start a server with a stream (a spec tag and a pushed image), a signature and a pull secret.
async fn server_with_fixtures() -> (Server, String, Fixtures) {
    let s = tokio::task::spawn_blocking(Server::start).await.unwrap();
    let url = s.url.clone();
    let c = client();
    create_stream(
        &c,
        &url,
        "app",
        json!([{"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}]),
    )
    .await;
    let img = oci_image("robustness");
    let (code, st) = push(
        &c,
        &url,
        "app",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let (code, st) = send(c.post(format!("{url}{G}/imagesignatures")).json(&json!({
        "metadata": {"name": format!("{}@sig1", img.digest)},
        "type": "AtomicImageV1",
        "content": "YmxvYg=="
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let (code, st) = send(c.post(format!("{url}{CORE_NS}/secrets")).json(&json!({
        "metadata": {"name": "pull"},
        "type": "kubernetes.io/dockerconfigjson",
        "stringData": {".dockerconfigjson": "{\"auths\":{}}"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let addr = url.trim_start_matches("http://").to_owned();
    (s, addr, Fixtures { image: img.digest })
}

/// After a corpus: `/readyz` answers and a create/get round trip works.
async fn assert_still_serves(url: &str, name: &str) {
    let c = client();
    let (code, _) = send(c.get(format!("{url}/readyz"))).await;
    assert_eq!(code, StatusCode::OK);
    let (code, created) = send(
        c.post(format!("{url}{NS}/imagestreams"))
            .json(&json!({"metadata": {"name": name}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let (code, got) = send(c.get(format!("{url}{NS}/imagestreams/{name}"))).await;
    assert_eq!(code, StatusCode::OK, "{got}");
    assert_eq!(got["metadata"]["uid"], created["metadata"]["uid"]);
}

/// Every path of every route family (collections, items, subresources, discovery), pointing at
/// existing objects and at missing ones.
fn all_paths(f: &Fixtures) -> Vec<String> {
    let d = &f.image;
    vec![
        // imagestreams
        format!("{G}/imagestreams"),
        format!("{NS}/imagestreams"),
        format!("{NS}/imagestreams/app"),
        format!("{NS}/imagestreams/app/status"),
        format!("{NS}/imagestreams/missing"),
        format!("{NS}/imagestreams/missing/status"),
        // imagestreamtags, imagetags
        format!("{G}/imagestreamtags"),
        format!("{NS}/imagestreamtags"),
        format!("{NS}/imagestreamtags/app:pushed"),
        format!("{NS}/imagestreamtags/app:missing"),
        format!("{G}/imagetags"),
        format!("{NS}/imagetags"),
        format!("{NS}/imagetags/app:latest"),
        format!("{NS}/imagetags/missing:latest"),
        // imagestreamimages
        format!("{NS}/imagestreamimages/app@{d}"),
        format!("{NS}/imagestreamimages/app@sha256:0000"),
        // mappings and imports
        format!("{NS}/imagestreammappings"),
        format!("{NS}/imagestreamimports"),
        // images and signatures
        format!("{G}/images"),
        format!("{G}/images/{d}"),
        format!("{G}/images/sha256:missing"),
        format!("{G}/imagesignatures"),
        format!("{G}/imagesignatures/{d}@sig1"),
        format!("{G}/imagesignatures/{d}@missing"),
        // layers and secrets subresources
        format!("{NS}/imagestreams/app/layers"),
        format!("{NS}/imagestreams/missing/layers"),
        format!("{NS}/imagestreams/app/secrets"),
        // namespaces and secrets
        "/api/v1/namespaces".to_owned(),
        CORE_NS.to_owned(),
        "/api/v1/namespaces/missing".to_owned(),
        "/api/v1/secrets".to_owned(),
        format!("{CORE_NS}/secrets"),
        format!("{CORE_NS}/secrets/pull"),
        format!("{CORE_NS}/secrets/missing"),
        // discovery, health, OpenAPI
        "/api".to_owned(),
        "/apis".to_owned(),
        "/api/v1".to_owned(),
        "/apis/image.openshift.io".to_owned(),
        G.to_owned(),
        "/version".to_owned(),
        "/openapi/v3".to_owned(),
        "/openapi/v3/apis/image.openshift.io/v1".to_owned(),
        "/openapi/v3/api/v1".to_owned(),
        // nothing there
        "/apis/image.openshift.io/v2".to_owned(),
        format!("{NS}/imagestreams/app/unknown"),
        "/".to_owned(),
    ]
}

/// Collections accepting POST, each with a body whose fields have the wrong JSON type for that
/// kind.
fn collections() -> Vec<(String, Value)> {
    vec![
        (
            format!("{NS}/imagestreams"),
            json!({"metadata": {"name": "x"}, "spec": {"tags": {"a": 1}}}),
        ),
        (
            format!("{NS}/imagestreamtags"),
            json!({"metadata": {"name": "app:x"}, "tag": []}),
        ),
        (
            format!("{NS}/imagetags"),
            json!({"metadata": {"name": "app:x"}, "spec": "x"}),
        ),
        (
            format!("{NS}/imagestreammappings"),
            json!({"metadata": {"name": "app"}, "tag": "x", "image": []}),
        ),
        (
            format!("{NS}/imagestreamimports"),
            json!({"metadata": {"name": "app"}, "spec": {"images": {"a": 1}}}),
        ),
        (
            format!("{G}/images"),
            json!({"metadata": {"name": "sha256:x"}, "dockerImageLayers": {"a": 1}}),
        ),
        (
            format!("{G}/imagesignatures"),
            json!({"metadata": {"name": "a@b"}, "type": "t", "content": 5}),
        ),
        (
            "/api/v1/namespaces".to_owned(),
            json!({"metadata": {"name": "x"}, "spec": {"finalizers": "x"}}),
        ),
        (
            format!("{CORE_NS}/secrets"),
            json!({"metadata": {"name": "x"}, "data": "x"}),
        ),
    ]
}

/// Existing objects accepting PUT and PATCH, each with a body whose field has the wrong JSON
/// type for that kind.
fn items(f: &Fixtures) -> Vec<(String, Value)> {
    vec![
        (
            format!("{NS}/imagestreams/app"),
            json!({"spec": {"tags": {"a": 1}}}),
        ),
        (
            format!("{NS}/imagestreams/app/status"),
            json!({"status": {"tags": "x"}}),
        ),
        (
            format!("{NS}/imagestreamtags/app:pushed"),
            json!({"tag": []}),
        ),
        (format!("{NS}/imagetags/app:latest"), json!({"spec": "x"})),
        (
            format!("{G}/images/{}", f.image),
            json!({"dockerImageLayers": {"a": 1}}),
        ),
        (format!("{CORE_NS}/secrets/pull"), json!({"data": "x"})),
    ]
}

/// Objects accepting DELETE, all missing (a body that happens to be valid must not delete a
/// fixture).
fn deletable() -> Vec<String> {
    vec![
        format!("{NS}/imagestreams/missing"),
        format!("{NS}/imagestreamtags/app:missing"),
        format!("{NS}/imagetags/app:missing"),
        format!("{G}/images/sha256:missing"),
        format!("{G}/imagesignatures/sha256:missing@sig"),
        "/api/v1/namespaces/missing".to_owned(),
        format!("{CORE_NS}/secrets/missing"),
    ]
}

fn nested_arrays(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

fn nested_objects(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// A protobuf varint.
fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = u8::try_from(n & 0x7f).unwrap();
        n >>= 7;
        if n == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

const JSON: &str = "application/json";
const YAML: &str = "application/yaml";

/// Bodies that are not valid objects of any kind, as (what, content type, bytes).
fn broken_bodies() -> Vec<(String, &'static str, Vec<u8>)> {
    let mut out: Vec<(String, &'static str, Vec<u8>)> = Vec::new();
    let mut add = |what: &str, ct: &'static str, body: &[u8]| {
        out.push((what.to_owned(), ct, body.to_vec()));
    };
    // malformed JSON
    for (what, b) in [
        ("empty body", &b""[..]),
        ("open brace", b"{"),
        ("truncated", b"{\"metadata\": {\"name\": \"x\""),
        ("two objects", b"{}{}"),
        ("trailing comma", b"{\"metadata\":{\"name\":\"x\",}}"),
        ("not json", b"hello world"),
        ("single quotes", b"{'metadata': {}}"),
        ("comment", b"/* */ {}"),
        ("lone surrogate", b"{\"metadata\":{\"name\":\"\\ud800\"}}"),
        (
            "control char in string",
            b"{\"metadata\":{\"name\":\"a\x01b\"}}",
        ),
        ("NUL byte", b"{\"metadata\":\x00{}}"),
        ("BOM", b"\xef\xbb\xbf{}"),
    ] {
        add(what, JSON, b);
    }
    // JSON of the wrong type (fields every kind has)
    for (what, b) in [
        ("array", &b"[]"[..]),
        ("array of objects", b"[{\"metadata\":{\"name\":\"x\"}}]"),
        ("number", b"42"),
        ("negative float", b"-1.5"),
        ("string", b"\"imagestream\""),
        ("null", b"null"),
        ("true", b"true"),
        ("metadata array", b"{\"metadata\": []}"),
        ("metadata string", b"{\"metadata\": \"x\"}"),
        ("name number", b"{\"metadata\": {\"name\": 5}}"),
        (
            "labels array",
            b"{\"metadata\": {\"name\": \"x\", \"labels\": [1]}}",
        ),
        (
            "annotation values numbers",
            b"{\"metadata\": {\"name\": \"x\", \"annotations\": {\"a\": 1}}}",
        ),
        (
            "resourceVersion number",
            b"{\"metadata\": {\"name\": \"x\", \"resourceVersion\": 12}}",
        ),
        (
            "creationTimestamp garbage",
            b"{\"metadata\": {\"name\": \"x\", \"creationTimestamp\": \"yesterday\"}}",
        ),
        (
            "apiVersion number",
            b"{\"apiVersion\": 1, \"metadata\": {\"name\": \"x\"}}",
        ),
    ] {
        add(what, JSON, b);
    }
    // huge numbers
    let long_int = format!(
        "{{\"metadata\":{{\"name\":\"x\",\"generation\":{}}}}}",
        "9".repeat(5000)
    );
    for (what, b) in [
        (
            "generation beyond i64",
            &b"{\"metadata\":{\"name\":\"x\",\"generation\":18446744073709551616}}"[..],
        ),
        (
            "generation 1e999",
            b"{\"metadata\":{\"name\":\"x\",\"generation\":1e999}}",
        ),
        (
            "generation float",
            b"{\"metadata\":{\"name\":\"x\",\"generation\":1.5e300}}",
        ),
        ("5000-digit integer", long_int.as_bytes()),
        (
            "grace period below i64",
            b"{\"metadata\":{\"name\":\"x\",\"deletionGracePeriodSeconds\":-9223372036854775809}}",
        ),
    ] {
        add(what, JSON, b);
    }
    // deep nesting (serde_json stops at 128 levels, YAML at its budget)
    add(
        "10000 nested arrays",
        JSON,
        nested_arrays(10_000).as_bytes(),
    );
    add(
        "10000 nested objects",
        JSON,
        nested_objects(10_000).as_bytes(),
    );
    let deep_annotation = format!(
        "{{\"metadata\":{{\"name\":\"x\",\"annotations\":{{\"a\":{}}}}}}}",
        nested_arrays(10_000)
    );
    add("deep value in a field", JSON, deep_annotation.as_bytes());
    add(
        "100000 nested arrays",
        JSON,
        nested_arrays(100_000).as_bytes(),
    );
    add("YAML flow nesting", YAML, nested_arrays(10_000).as_bytes());
    let block: String = (0..10_000).map(|_| "- ").collect::<String>() + "x\n";
    add("YAML block nesting", YAML, block.as_bytes());
    let indented: String = (0..2_000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    add("YAML indented maps", YAML, indented.as_bytes());
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs: Vec<String> = (0..10).map(|_| format!("*a{}", i - 1)).collect();
        laughs.push_str(&format!("a{i}: &a{i} [{}]\n", refs.join(", ")));
    }
    add("YAML billion laughs", YAML, laughs.as_bytes());
    // other broken YAML
    for (what, b) in [
        ("YAML syntax", &b"metadata: {name: x\nspec: ]"[..]),
        ("YAML tab indent", b"metadata:\n\tname: x\n"),
        ("YAML list", b"- a\n- b\n"),
        ("YAML scalar", b"just a string"),
        ("YAML wrong type", b"metadata:\n  name: [1, 2]\n"),
        ("YAML invalid UTF-8", b"metadata:\n  name: \xff\xfe\n"),
        (
            "YAML many documents",
            b"metadata: {name: a}\n---\nmetadata: {name: b}\n",
        ),
        ("YAML unknown tag", b"!!python/object:os.system {}\n"),
        ("YAML undefined alias", b"metadata: *nope\n"),
        (
            "YAML huge int",
            b"metadata:\n  name: x\n  generation: 99999999999999999999999999\n",
        ),
    ] {
        add(what, YAML, b);
    }
    // Kubernetes protobuf (accepted for core Secret and Namespace only)
    let pb = "application/vnd.kubernetes.protobuf";
    let envelope = |api_version: &str, kind: &str, raw: &[u8]| {
        let mut type_meta = vec![0x0a, u8::try_from(api_version.len()).unwrap()];
        type_meta.extend_from_slice(api_version.as_bytes());
        type_meta.push(0x12);
        type_meta.push(u8::try_from(kind.len()).unwrap());
        type_meta.extend_from_slice(kind.as_bytes());
        let mut out = b"k8s\0\x0a".to_vec();
        out.push(u8::try_from(type_meta.len()).unwrap());
        out.extend_from_slice(&type_meta);
        out.push(0x12);
        out.extend_from_slice(&varint(raw.len()));
        out.extend_from_slice(raw);
        out
    };
    // metadata { name: <invalid UTF-8> }
    let bad_name = [0x0a, 0x04, 0x0a, 0x02, 0xff, 0xfe];
    // unknown field 99 holding 10000 levels of length-delimited nesting
    let mut nested: Vec<u8> = Vec::new();
    for _ in 0..10_000 {
        let mut outer = vec![0x9a, 0x06];
        outer.extend_from_slice(&varint(nested.len()));
        outer.extend_from_slice(&nested);
        nested = outer;
    }
    for (what, b) in [
        ("protobuf: empty", Vec::new()),
        ("protobuf: no envelope", b"\x0a\x02v1".to_vec()),
        ("protobuf: envelope only", b"k8s\0".to_vec()),
        (
            "protobuf: length beyond the body",
            b"k8s\0\x12\xff\xff\xff\xff\x0f".to_vec(),
        ),
        (
            "protobuf: overlong varint",
            [&b"k8s\0\x12"[..], &[0xff; 12]].concat(),
        ),
        ("protobuf: wire type 7", envelope("v1", "Secret", &[0x0f])),
        (
            "protobuf: wrong wire type",
            envelope("v1", "Secret", &[0x08, 0x01]),
        ),
        (
            "protobuf: truncated message",
            envelope("v1", "Secret", &[0x0a, 0x10, 0x0a]),
        ),
        (
            "protobuf: invalid UTF-8 name",
            envelope("v1", "Secret", &bad_name),
        ),
        (
            "protobuf: deep unknown field",
            envelope("v1", "Namespace", &nested),
        ),
        (
            "protobuf: image kind",
            envelope("image.openshift.io/v1", "ImageStream", b""),
        ),
        (
            "protobuf: content encoding",
            [&envelope("v1", "Secret", b"")[..], b"\x1a\x04gzip"].concat(),
        ),
        (
            "protobuf: JSON inside",
            br#"{"metadata":{"name":"x"}}"#.to_vec(),
        ),
    ] {
        add(what, pb, &b);
    }
    // invalid UTF-8 in JSON
    add(
        "invalid UTF-8 in a string",
        JSON,
        b"{\"metadata\":{\"name\":\"\xff\xfe\"}}",
    );
    add("invalid UTF-8 outside strings", JSON, b"\xff{}");
    add(
        "overlong UTF-8",
        JSON,
        b"{\"metadata\":{\"name\":\"\xc0\xaf\"}}",
    );
    out
}

/// PATCH bodies that are not patches (or cannot apply), as (what, content type, body, want).
/// Syntactically valid strategic merge patches with odd directives may be applied leniently.
fn broken_patches() -> Vec<(String, String, Vec<u8>, Want)> {
    let jp = "application/json-patch+json";
    let mp = "application/merge-patch+json";
    let smp = "application/strategic-merge-patch+json";
    let mut out: Vec<(String, String, Vec<u8>, Want)> = Vec::new();
    let mut add = |what: &str, ct: &str, body: &str, want: Want| {
        out.push((
            what.to_owned(),
            ct.to_owned(),
            body.as_bytes().to_vec(),
            want,
        ));
    };
    let deep_value = format!(
        r#"[{{"op":"add","path":"/metadata/x","value":{}}}]"#,
        nested_arrays(10_000)
    );
    for (what, b) in [
        ("object, not a list", "{}"),
        ("unknown op", r#"[{"op":"explode","path":"/"}]"#),
        ("op missing", r#"[{"path":"/metadata"}]"#),
        (
            "relative path",
            r#"[{"op":"add","path":"metadata/x","value":1}]"#,
        ),
        (
            "remove missing",
            r#"[{"op":"remove","path":"/does/not/exist"}]"#,
        ),
        (
            "failing test",
            r#"[{"op":"test","path":"/metadata/name","value":"other"}]"#,
        ),
        (
            "move into itself",
            r#"[{"op":"move","from":"/metadata","path":"/metadata/x"}]"#,
        ),
        (
            "replace root with null",
            r#"[{"op":"replace","path":"","value":null}]"#,
        ),
        (
            "replace root with array",
            r#"[{"op":"replace","path":"","value":[]}]"#,
        ),
        (
            "replace root with number",
            r#"[{"op":"replace","path":"","value":5}]"#,
        ),
        (
            "remove name",
            r#"[{"op":"remove","path":"/metadata/name"}]"#,
        ),
        (
            "name to number",
            r#"[{"op":"replace","path":"/metadata/name","value":5}]"#,
        ),
        (
            "rename",
            r#"[{"op":"replace","path":"/metadata/name","value":"other"}]"#,
        ),
        (
            "index out of range",
            r#"[{"op":"add","path":"/metadata/finalizers/99","value":"x"}]"#,
        ),
        (
            "huge number",
            r#"[{"op":"add","path":"/metadata/generation","value":1e400}]"#,
        ),
        ("deep value", &deep_value),
        ("not JSON", "op: add"),
        ("empty", ""),
    ] {
        add(what, jp, b, Want::Rejected);
    }
    let deep = nested_objects(10_000);
    for (what, b) in [
        ("array", "[]"),
        ("array of objects", r#"[{"metadata":{}}]"#),
        ("number", "1"),
        ("string", "\"x\""),
        ("null", "null"),
        ("remove name", r#"{"metadata":{"name":null}}"#),
        ("rename", r#"{"metadata":{"name":"other"}}"#),
        (
            "bad resourceVersion",
            r#"{"metadata":{"resourceVersion":"abc"}}"#,
        ),
        (
            "stale resourceVersion",
            r#"{"metadata":{"resourceVersion":"1"}}"#,
        ),
        ("uid number", r#"{"metadata":{"uid":7}}"#),
        ("labels array", r#"{"metadata":{"labels":[1]}}"#),
        ("deep", &deep),
        ("not JSON", "{"),
        ("empty", ""),
    ] {
        add(what, mp, b, Want::Rejected);
    }
    // Cluster-scoped images drop a namespace (as Kubernetes does); namespaced kinds refuse it.
    add(
        "other namespace",
        mp,
        r#"{"metadata":{"namespace":"elsewhere"}}"#,
        Want::RejectedOrObject,
    );
    for (what, b) in [
        ("array", "[]"),
        ("number", "7"),
        ("null", "null"),
        ("delete everything", r#"{"$patch":"delete"}"#),
        ("replace with nothing", r#"{"$patch":"replace"}"#),
        ("remove name", r#"{"metadata":{"name":null}}"#),
        ("rename", r#"{"metadata":{"name":"other"}}"#),
        ("labels array", r#"{"metadata":{"labels":[1]}}"#),
        ("deep", &deep),
        ("not JSON", "{{"),
        ("empty", ""),
    ] {
        add(what, smp, b, Want::Rejected);
    }
    for (what, b) in [
        ("unknown directive", r#"{"$patch":"explode"}"#),
        (
            "element without merge key",
            r#"{"spec":{"tags":[{"$patch":"delete"}]}}"#,
        ),
        (
            "bad setElementOrder",
            r#"{"spec":{"$setElementOrder/tags":[{"name":1}],"tags":[]}}"#,
        ),
        (
            "setElementOrder not a list",
            r#"{"spec":{"$setElementOrder/tags":5}}"#,
        ),
        (
            "merge key of wrong type",
            r#"{"spec":{"tags":[{"name":{"x":1}}]}}"#,
        ),
        (
            "deleteFromPrimitiveList not a list",
            r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":"x"}}"#,
        ),
        ("retainKeys not a list", r#"{"$retainKeys":5}"#),
        (
            "retainKeys with garbage",
            r#"{"metadata":{"$retainKeys":["nope",1]}}"#,
        ),
    ] {
        add(what, smp, b, Want::RejectedOrObject);
    }
    for ct in [
        "application/apply-patch+yaml",
        "application/json",
        "text/plain",
        "application/yaml",
        "",
        ";;;",
    ] {
        add(
            &format!("content type {ct:?}"),
            ct,
            r#"{"metadata":{"labels":{"a":"b"}}}"#,
            Want::Rejected,
        );
    }
    out
}

/// Names that cannot address anything, already escaped for a request target.
fn hostile_names() -> Vec<(&'static str, String)> {
    let long = "x".repeat(10 * 1024);
    vec![
        ("encoded slash", "a%2Fb".to_owned()),
        ("encoded backslash", "a%5Cb".to_owned()),
        ("dot dot", "..".to_owned()),
        ("dot", ".".to_owned()),
        ("encoded dot dot", "%2E%2E".to_owned()),
        ("NUL", "%00".to_owned()),
        ("embedded NUL", "a%00b".to_owned()),
        ("invalid UTF-8", "%FF%FE".to_owned()),
        ("overlong UTF-8", "%C0%AF".to_owned()),
        ("bare percent", "%".to_owned()),
        ("bad escape", "%zz".to_owned()),
        ("space", "a%20b".to_owned()),
        ("newline", "a%0Ab".to_owned()),
        ("right-to-left override", "a%E2%80%AEb".to_owned()),
        ("colon", "%3A".to_owned()),
        ("many colons", "a:b:c".to_owned()),
        ("at", "@".to_owned()),
        ("many ats", "a@b@c".to_owned()),
        ("10 KB", long.clone()),
        ("10 KB tag", format!("app:{long}")),
        ("10 KB image id", format!("app@{long}")),
        ("upper case", "UPPER".to_owned()),
    ]
}

/// Item paths with `{}` standing for a hostile name, and what they may answer.
fn name_templates() -> Vec<(&'static str, String, Want)> {
    let r = Want::Rejected;
    vec![
        ("GET", format!("{NS}/imagestreams/{{}}"), r),
        ("PUT", format!("{NS}/imagestreams/{{}}"), r),
        ("PATCH", format!("{NS}/imagestreams/{{}}"), r),
        ("DELETE", format!("{NS}/imagestreams/{{}}"), r),
        ("GET", format!("{NS}/imagestreams/{{}}/status"), r),
        ("PUT", format!("{NS}/imagestreams/{{}}/status"), r),
        ("GET", format!("{NS}/imagestreams/{{}}/layers"), r),
        // §11.5: the stream name of the secrets subresource is not consulted.
        (
            "GET",
            format!("{NS}/imagestreams/{{}}/secrets"),
            Want::RejectedOrObject,
        ),
        ("GET", format!("{NS}/imagestreamtags/{{}}"), r),
        ("PUT", format!("{NS}/imagestreamtags/{{}}"), r),
        ("PATCH", format!("{NS}/imagestreamtags/{{}}"), r),
        ("DELETE", format!("{NS}/imagestreamtags/{{}}"), r),
        ("GET", format!("{NS}/imagetags/{{}}"), r),
        ("PUT", format!("{NS}/imagetags/{{}}"), r),
        ("DELETE", format!("{NS}/imagetags/{{}}"), r),
        ("GET", format!("{NS}/imagestreamimages/{{}}"), r),
        ("GET", format!("{G}/images/{{}}"), r),
        ("PUT", format!("{G}/images/{{}}"), r),
        ("DELETE", format!("{G}/images/{{}}"), r),
        ("DELETE", format!("{G}/imagesignatures/{{}}"), r),
        ("GET", "/api/v1/namespaces/{}".to_owned(), r),
        ("DELETE", "/api/v1/namespaces/{}".to_owned(), r),
        ("GET", format!("{CORE_NS}/secrets/{{}}"), r),
        ("PUT", format!("{CORE_NS}/secrets/{{}}"), r),
        ("DELETE", format!("{CORE_NS}/secrets/{{}}"), r),
        // the namespace segment too
        ("GET", format!("{G}/namespaces/{{}}/imagestreams"), r),
        ("POST", format!("{G}/namespaces/{{}}/imagestreams"), r),
        (
            "GET",
            format!("{G}/namespaces/{{}}/imagestreamtags/app:latest"),
            r,
        ),
        ("POST", "/api/v1/namespaces/{}/secrets".to_owned(), r),
    ]
}

/// Odd query strings for lists and watches (watches bounded by `timeoutSeconds`). Some are
/// ignored by Kubernetes too, so a list may come back; what matters is a well-formed answer.
fn odd_queries() -> Vec<&'static str> {
    vec![
        "limit=abc",
        "limit=-1",
        "limit=99999999999999999999999",
        "continue=garbage",
        "continue=%FF%FE",
        "limit=1&continue=eyJydiI6LTF9",
        "labelSelector=((((",
        "labelSelector=a%20in%20(",
        "fieldSelector=spec.tags%3Dx",
        "fieldSelector=%FF",
        "fieldSelector===",
        "resourceVersion=abc&resourceVersionMatch=Exact",
        "resourceVersion=99999999999999999999999&resourceVersionMatch=Exact",
        "resourceVersionMatch=Bogus&resourceVersion=1",
        "watch=true&timeoutSeconds=1&resourceVersion=abc",
        "watch=true&timeoutSeconds=1&resourceVersion=-1",
        "watch=true&timeoutSeconds=1&resourceVersion=99999999999999999999999",
        "watch=true&timeoutSeconds=abc",
        "watch=true&timeoutSeconds=-5",
        "watch=true&timeoutSeconds=1&allowWatchBookmarks=maybe",
        "watch=true&timeoutSeconds=1&labelSelector=((",
        "watch=maybe",
        "dryRun=Nope",
        "fieldValidation=Bogus",
        "%%%",
        "a=%",
        "limit=1&limit=2&limit=x",
        "timeoutSeconds=99999999999999999999",
    ]
}

fn list_paths() -> Vec<String> {
    vec![
        format!("{G}/imagestreams"),
        format!("{NS}/imagestreams"),
        format!("{G}/imagestreamtags"),
        format!("{NS}/imagestreamtags"),
        format!("{G}/imagetags"),
        format!("{NS}/imagetags"),
        format!("{G}/images"),
        "/api/v1/namespaces".to_owned(),
        "/api/v1/secrets".to_owned(),
        format!("{CORE_NS}/secrets"),
        format!("{NS}/imagestreams/app/secrets"),
    ]
}

/// Requests broken below HTTP's message layer.
fn http_level() -> Vec<Req> {
    let raw = |what: &str, target: &[u8]| Req::new("GET", target, Want::HttpError, what);
    let mut no_colon = Req::new("GET", "/api", Want::HttpError, "header without colon");
    no_colon.raw_head = b"Broken-header-without-colon\r\n".to_vec();
    let mut folded = Req::new("GET", "/api", Want::HttpError, "obsolete line folding");
    folded.raw_head = b"X-A: b\r\n c\r\n".to_vec();
    vec![
        raw(
            "raw space in target",
            format!("{NS}/imagestreams/a b").as_bytes(),
        ),
        raw(
            "raw 0xFF in target",
            &[NS.as_bytes(), b"/imagestreams/\xff"].concat(),
        ),
        raw(
            "raw NUL in target",
            &[NS.as_bytes(), b"/imagestreams/\x00"].concat(),
        ),
        raw("asterisk target", b"*"),
        raw("empty target", b""),
        Req::new("GET", "/api", Want::HttpError, "conflicting lengths")
            .header("Content-Length", "5")
            .header("Content-Length", "6"),
        Req::new(
            "POST",
            format!("{NS}/imagestreams"),
            Want::HttpError,
            "negative length",
        )
        .header("Content-Length", "-1"),
        no_colon,
        folded,
    ]
}

// ------------------------------------------------------------------------------- tests

/// Malformed, mistyped, huge-numbered, deeply nested and invalid-UTF-8 bodies (JSON and YAML)
/// on every create, replace and delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_bodies_get_4xx_statuses() {
    let (s, addr, f) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for (what, ct, body) in &broken_bodies() {
        for (path, _) in collections() {
            reqs.push(Req::new("POST", &path, Want::Rejected, what.as_str()).body(ct, body));
        }
        for (path, _) in items(&f) {
            reqs.push(Req::new("PUT", &path, Want::Rejected, what.as_str()).body(ct, body));
        }
        for path in deletable() {
            // An empty body is a valid DELETE (of a missing object: 404).
            reqs.push(Req::new("DELETE", &path, Want::Rejected, what.as_str()).body(ct, body));
        }
    }
    for (path, body) in collections() {
        reqs.push(
            Req::new("POST", &path, Want::Rejected, "wrong field type")
                .body(JSON, body.to_string()),
        );
        // Another name, so that a wrongly accepted JSON body does not turn this into a 409.
        let mut body = body;
        let name = format!("{}-yaml", body["metadata"]["name"].as_str().unwrap());
        body["metadata"]["name"] = Value::String(name);
        let yaml = serde_saphyr::to_string(&body).unwrap();
        reqs.push(
            Req::new("POST", &path, Want::Rejected, "wrong field type (YAML)").body(YAML, yaml),
        );
    }
    for (path, body) in items(&f) {
        reqs.push(
            Req::new("PUT", &path, Want::Rejected, "wrong field type").body(JSON, body.to_string()),
        );
    }
    // An object of another API group: "the API version in the data does not match".
    for (i, (path, _)) in collections().into_iter().enumerate() {
        let foreign = if path.starts_with("/api/v1") {
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": format!("foreign-{i}")}})
        } else {
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("foreign-{i}")}})
        };
        reqs.push(
            Req::new("POST", &path, Want::Rejected, "apiVersion of another group")
                .body(JSON, foreign.to_string()),
        );
    }
    let failures = run(&addr, reqs).await;
    assert_no_failures("broken bodies", &failures);
    assert_still_serves(&s.url, "after-bodies").await;
}

/// Valid objects in a format the server does not speak: 415 (Kubernetes'
/// `UnsupportedMediaType`), not a guess.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_types_get_4xx_statuses() {
    let (s, addr, _) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for (i, ct) in [
        "text/plain",
        "application/xml",
        "application/vnd.kubernetes.protobuf",
        "application/cbor",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "garbage",
        "application/json-patch+json",
    ]
    .into_iter()
    .enumerate()
    {
        let stream = json!({"metadata": {"name": format!("typed-{i}")}}).to_string();
        let secret = json!({"metadata": {"name": format!("typed-{i}")}}).to_string();
        let what = format!("content type {ct:?}");
        reqs.push(
            Req::new("POST", format!("{NS}/imagestreams"), Want::Rejected, &what).body(ct, &stream),
        );
        reqs.push(
            Req::new("POST", format!("{CORE_NS}/secrets"), Want::Rejected, &what).body(ct, &secret),
        );
    }
    let failures = run(&addr, reqs).await;
    assert_no_failures("wrong content types", &failures);
    assert_still_serves(&s.url, "after-content-types").await;
}

/// Bodies over 3 MiB, as JSON and YAML, on create, replace, patch and delete: 413 Status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_statuses() {
    let (s, addr, _) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for size in [MAX_BODY + 1, MAX_BODY + 4096, 8 * 1024 * 1024] {
        let mut body = b"{\"metadata\":{\"name\":\"big\",\"annotations\":{\"a\":\"".to_vec();
        body.resize(size - 4, b'x');
        body.extend_from_slice(b"\"}}}");
        let what = format!("{size}-byte body");
        for ct in [JSON, YAML] {
            reqs.push(
                Req::new("POST", format!("{NS}/imagestreams"), Want::Rejected, &what)
                    .body(ct, &body),
            );
            reqs.push(
                Req::new("POST", format!("{CORE_NS}/secrets"), Want::Rejected, &what)
                    .body(ct, &body),
            );
            reqs.push(
                Req::new(
                    "PUT",
                    format!("{NS}/imagestreams/app"),
                    Want::Rejected,
                    &what,
                )
                .body(ct, &body),
            );
        }
        reqs.push(
            Req::new(
                "PATCH",
                format!("{NS}/imagestreams/app"),
                Want::Rejected,
                &what,
            )
            .body("application/merge-patch+json", &body),
        );
        reqs.push(
            Req::new(
                "DELETE",
                format!("{NS}/imagestreams/missing"),
                Want::Rejected,
                &what,
            )
            .body(JSON, &body),
        );
    }
    let failures = run(&addr, reqs.clone()).await;
    assert_no_failures("oversized bodies", &failures);
    // and the code is 413
    for req in reqs.iter().take(3) {
        let answer = exchange(&addr, req).await.unwrap();
        assert_eq!(answer.code, 413, "{}", req.describe());
    }
    assert_still_serves(&s.url, "after-oversized").await;
}

/// Patches that are not patches, do not apply, or come in a format the server does not take.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broken_patches_get_4xx_statuses() {
    let (s, addr, f) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for (what, ct, body, want) in broken_patches() {
        for (path, _) in items(&f) {
            reqs.push(Req::new("PATCH", &path, want, what.as_str()).body(&ct, &body));
        }
    }
    for (path, body) in items(&f) {
        for ct in [
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        ] {
            reqs.push(
                Req::new(
                    "PATCH",
                    &path,
                    Want::Rejected,
                    format!("wrong field type ({ct})"),
                )
                .body(ct, body.to_string()),
            );
        }
    }
    let failures = run(&addr, reqs).await;
    assert_no_failures("broken patches", &failures);
    // The fixtures survived every broken patch.
    let c = client();
    for (path, _) in items(&f) {
        let (code, v) = send(c.get(format!("{}{path}", s.url))).await;
        assert_eq!(code, StatusCode::OK, "{path}: {v}");
    }
    let (_, itag) = send(c.get(format!("{}{NS}/imagetags/app:latest", s.url))).await;
    assert_eq!(
        itag["spec"]["name"], "latest",
        "the spec tag is still there: {itag}"
    );
    assert_still_serves(&s.url, "after-patches").await;
}

/// Hostile names (`/`, `%2F`, `..`, NUL, invalid UTF-8, 10 KB, ...) in every item path and in
/// the namespace segment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_names_get_4xx_statuses() {
    let (s, addr, _) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for (method, template, want) in name_templates() {
        let with_body = |r: Req| match method {
            "PUT" | "POST" => r.body(JSON, json!({"metadata": {"name": "x"}}).to_string()),
            "PATCH" => r.body("application/merge-patch+json", "{}"),
            _ => r,
        };
        for (what, name) in hostile_names() {
            let target = template.replace("{}", &name);
            reqs.push(with_body(Req::new(
                method,
                &target,
                want,
                format!("name: {what}"),
            )));
        }
        let target = template.replace("{}", "a/b");
        reqs.push(with_body(Req::new(
            method,
            &target,
            want,
            "name: raw slash",
        )));
    }
    let failures = run(&addr, reqs).await;
    assert_no_failures("hostile names", &failures);
    assert_still_serves(&s.url, "after-names").await;
}

/// Odd query strings on every list and watch: a well-formed answer, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn odd_queries_get_well_formed_answers() {
    let (s, addr, _) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    for path in list_paths() {
        for q in odd_queries() {
            reqs.push(Req::new(
                "GET",
                format!("{path}?{q}"),
                Want::RejectedOrObject,
                format!("query {q}"),
            ));
        }
    }
    let failures = run(&addr, reqs).await;
    assert_no_failures("odd queries", &failures);
    assert_still_serves(&s.url, "after-queries").await;
}

/// Requests broken below the message layer get a 4xx from the HTTP server itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_http_gets_4xx() {
    let (s, addr, _) = server_with_fixtures().await;
    let failures = run(&addr, http_level()).await;
    assert_no_failures("malformed HTTP", &failures);
    assert_still_serves(&s.url, "after-http").await;
}

/// Every method (including unknown ones) on every path, with an empty body: a 4xx Status
/// (405 `MethodNotAllowed` where the path exists) or a valid object.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_method_on_every_path() {
    let (s, addr, f) = server_with_fixtures().await;
    let mut reqs = Vec::new();
    // DELETE last: it removes the fixtures the other methods address.
    for method in [
        "GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "TRACE", "BREW", "DELETE",
    ] {
        let mut batch = Vec::new();
        for path in all_paths(&f) {
            let mut r = Req::new(method, &path, Want::RejectedOrObject, "method matrix");
            if method == "PATCH" {
                r = r.header("Content-Type", "application/merge-patch+json");
            }
            batch.push(r);
        }
        reqs.push(batch);
    }
    let mut failures = Vec::new();
    for batch in reqs {
        failures.extend(run(&addr, batch).await);
    }
    assert_no_failures("method matrix", &failures);
    assert_still_serves(&s.url, "after-methods").await;
}

/// Each request of the corpus is judged on its own: the judge is not fooled by a Status-shaped
/// body with the wrong code, a 5xx, plain text, or a cut-off answer.
#[test]
fn judge_rejects_bad_answers() {
    let req = Req::new("GET", "/x", Want::Rejected, "t");
    let status = |code: u16| {
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": "BadRequest", "message": "m"})
            .to_string()
            .into_bytes()
    };
    let answer = |code: u16, ct: &str, body: Vec<u8>| Answer {
        code,
        content_type: Some(ct.to_owned()),
        body,
    };
    assert_eq!(judge(&req, &answer(400, JSON, status(400))), None);
    assert!(
        judge(&req, &answer(400, JSON, status(404))).is_some(),
        "code mismatch"
    );
    assert!(
        judge(&req, &answer(500, JSON, status(500))).is_some(),
        "5xx"
    );
    assert!(
        judge(&req, &answer(405, "text/plain", Vec::new())).is_some(),
        "empty 405"
    );
    assert!(
        judge(&req, &answer(400, "text/html", status(400))).is_some(),
        "not JSON"
    );
    let object = b"{\"kind\":\"ImageStream\"}".to_vec();
    assert!(
        judge(&req, &answer(201, JSON, object.clone())).is_some(),
        "want 4xx"
    );
    let maybe = Req::new("GET", "/apis/x", Want::RejectedOrObject, "t");
    assert_eq!(judge(&maybe, &answer(200, JSON, object)), None);
    assert!(judge(&maybe, &answer(200, JSON, b"[]".to_vec())).is_some());
    assert!(
        judge(&maybe, &answer(200, JSON, b"{}".to_vec())).is_some(),
        "no kind"
    );
    let version = Req::new("GET", "/version", Want::RejectedOrObject, "t");
    assert_eq!(
        judge(&version, &answer(200, JSON, b"{\"major\":\"1\"}".to_vec())),
        None
    );
    let watch = Req::new("GET", "/x?watch=true", Want::RejectedOrObject, "t");
    let events = b"{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"DELETED\",\"object\":{}}\n";
    assert_eq!(judge(&watch, &answer(200, JSON, events.to_vec())), None);
    assert!(
        judge(
            &watch,
            &answer(200, JSON, b"{\"type\":\"ADDED\"}\n".to_vec())
        )
        .is_some()
    );
    let http = Req::new("GET", "/x", Want::HttpError, "t");
    assert_eq!(judge(&http, &answer(400, "", Vec::new())), None);
    assert!(judge(&http, &answer(200, JSON, Vec::new())).is_some());
    assert!(
        parse_answer(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 10\r\n\r\nabc",
            false
        )
        .is_err(),
        "cut short"
    );
    let chunked = parse_answer(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        false,
    )
    .unwrap();
    assert_eq!(chunked.body, b"abcde");
}

/// Graceful shutdown: dropping the server with a streaming watch in flight ends the watch
/// cleanly and lets `serve` return (closing the store); a new server on the same data directory
/// has every object and the same admin token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_and_restart_keep_everything() {
    let s = tokio::task::spawn_blocking(Server::start).await.unwrap();
    let c = client();
    let url = s.url.clone();
    create_stream(
        &c,
        &url,
        "kept",
        json!([{"name": "v1", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}]),
    )
    .await;
    let img = oci_image("shutdown");
    let (code, st) = push(
        &c,
        &url,
        "kept",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let (code, st) = send(c.post(format!("{url}{CORE_NS}/secrets")).json(&json!({
        "metadata": {"name": "kept"},
        "stringData": {"k": "v"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let (code, ns) = send(
        c.post(format!("{url}/api/v1/namespaces"))
            .json(&json!({"metadata": {"name": "other"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{ns}");
    let token = |dir: &std::path::Path| {
        std::fs::read_to_string(dir.join("admin.kubeconfig"))
            .unwrap()
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: ").map(str::to_owned))
            .unwrap()
    };
    let token_before = token(s.dir.path());
    let (_, before) = send(c.get(format!("{url}{NS}/imagestreams/kept"))).await;

    // A watch that would run for 30 minutes, with its initial event read.
    let resp = c
        .get(format!("{url}{NS}/imagestreams?watch=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.bytes_stream();
    let mut seen = Vec::new();
    while !seen.ends_with(b"\n") {
        let chunk = tokio::time::timeout(SHUTDOWN_TIMEOUT, body.next())
            .await
            .expect("the watch sends its initial state")
            .expect("the watch is open")
            .unwrap();
        seen.extend_from_slice(&chunk);
    }
    let first: Value = serde_json::from_slice(&seen).unwrap();
    assert_eq!(first["type"], "ADDED");

    // Stop the server from another thread: it must return although the watch is in flight.
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(s.into_dir());
    });
    // The watch ends within the timeout, after whole events only.
    let ended = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
        let mut rest = Vec::new();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(b) => rest.extend_from_slice(&b),
                Err(_) => break,
            }
        }
        rest
    })
    .await
    .expect("the in-flight watch ends when the server shuts down");
    assert!(
        ended.is_empty() || ended.ends_with(b"\n"),
        "the watch ended mid-event: {:?}",
        String::from_utf8_lossy(&ended)
    );
    let dir = tokio::time::timeout(SHUTDOWN_TIMEOUT, done_rx)
        .await
        .expect("graceful shutdown finishes with a watch in flight")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(url.trim_start_matches("http://"))
            .await
            .is_err(),
        "the listener is closed"
    );

    // Same data directory: same objects, same admin token.
    let s = tokio::task::spawn_blocking(move || Server::start_in(dir))
        .await
        .unwrap();
    assert_eq!(token(s.dir.path()), token_before, "the admin token is kept");
    let kubeconfig = std::fs::read_to_string(s.kubeconfig()).unwrap();
    assert!(
        kubeconfig.contains(&s.url),
        "the kubeconfig names the new address"
    );
    let (code, after) = send(c.get(format!("{}{NS}/imagestreams/kept", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{after}");
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(after["status"]["tags"], before["status"]["tags"]);
    let (code, image) = send(c.get(format!("{}{G}/images/{}", s.url, img.digest))).await;
    assert_eq!(code, StatusCode::OK, "{image}");
    let (code, ist) = send(c.get(format!("{}{NS}/imagestreamtags/kept:pushed", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    let (code, secret) = send(c.get(format!("{}{CORE_NS}/secrets/kept", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{secret}");
    assert_eq!(secret["data"]["k"], "dg==");
    let (code, ns) = send(c.get(format!("{}/api/v1/namespaces/other", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{ns}");
    // and it keeps working, with revisions continuing where they were
    let (code, created) = send(
        c.post(format!("{}{NS}/imagestreams", s.url))
            .json(&json!({"metadata": {"name": "new"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let rv = |v: &Value| {
        v["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        rv(&created) > rv(&after),
        "revisions continue after the restart"
    );
    drop(tokio::task::spawn_blocking(move || drop(s)).await);
}

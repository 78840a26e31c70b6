//! ImageStreamImport against a real registry (§10, §11): a Debian `docker-registry` on loopback,
//! an image built offline with `umoci` and pushed with `skopeo`, imported by `tagplane serve`'s
//! registry importer over HTTP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Server, peer};
use crate::tags::{NS, client, get_stream, send, spec_tag, status_tag};

const SECRETS: &str = "/api/v1/namespaces/default/secrets";

/// A `docker-registry` process on a free loopback port; killed by PID on drop.
struct Registry {
    /// `127.0.0.1:PORT`.
    host: String,
    child: Child,
    dir: tempfile::TempDir,
}

const CONFIG: &str = "version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: @DIR@/storage}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: @ADDR@
  headers: {X-Content-Type-Options: [nosniff]}
";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Registry {
    /// Start a plain-HTTP registry; with `user`, Basic auth from an htpasswd file. `None` when
    /// a peer program is missing (see [`peer`]).
    fn start(user: Option<(&str, &str)>) -> Option<Registry> {
        for p in ["docker-registry", "skopeo", "umoci"] {
            peer(p)?;
        }
        if user.is_some() {
            peer("htpasswd")?;
        }
        let dir = tempfile::tempdir().unwrap();
        let host = format!("127.0.0.1:{}", free_port());
        let mut config = CONFIG
            .replace("@DIR@", &dir.path().display().to_string())
            .replace("@ADDR@", &host);
        if let Some((u, p)) = user {
            let out = Command::new("htpasswd")
                .args(["-Bbn", u, p])
                .output()
                .unwrap();
            assert!(out.status.success());
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, out.stdout).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd: {{realm: basic-realm, path: {}}}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Self::spawn(dir.path());
        let mut r = Registry { host, child, dir };
        r.wait_ready();
        Some(r)
    }

    /// Run `docker-registry` on the config in `dir`, appending its output (including the
    /// access log: one `"METHOD /path HTTP/1.1"` line per request) to `registry.log`.
    fn spawn(dir: &std::path::Path) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("registry.log"))
            .unwrap();
        Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    /// Poll `/v2/` until the registry answers.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(resp) = get_status(&format!("http://{}/v2/", self.host))
                && (resp == 200 || resp == 401)
            {
                break;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "registry not ready: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the registry process (by its PID); its port and storage stay.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start the registry again on the same port and storage.
    fn restart(&mut self) {
        self.child = Self::spawn(self.dir.path());
        self.wait_ready();
    }

    /// How many `method` requests for manifests of `repo` the access log shows so far.
    fn manifest_requests(&self, method: &str, repo: &str) -> usize {
        let needle = format!("\"{method} /v2/{repo}/manifests/");
        self.log().lines().filter(|l| l.contains(&needle)).count()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Build a one-layer image with `umoci` and push it to `<host>/<repo>:<tag>`; returns its
    /// manifest digest.
    fn push(&self, repo: &str, tag: &str, content: &str, creds: Option<&str>) -> String {
        static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = self.dir.path().join(format!("build-{tag}-{n}"));
        let layout = t.join("oci");
        let image = format!("{}:{tag}", layout.display());
        let rootfs = t.join("rootfs/etc");
        std::fs::create_dir_all(&rootfs).unwrap();
        std::fs::write(rootfs.join("hello.txt"), content).unwrap();
        run(Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(&layout));
        run(Command::new("umoci").args(["new", "--image", &image]));
        run(Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(rootfs.join("hello.txt"))
            .arg("/etc/hello.txt"));
        run(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--config.cmd",
            "/bin/hello",
            "--config.label",
            "app=demo",
        ]));
        let dest = format!("docker://{}/{repo}:{tag}", self.host);
        let mut copy = Command::new("skopeo");
        copy.args(["copy", "-q", "--dest-tls-verify=false"]);
        if let Some(c) = creds {
            copy.args(["--dest-creds", c]);
        }
        run(copy.arg(format!("oci:{image}")).arg(&dest));
        let mut inspect = Command::new("skopeo");
        inspect.args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"]);
        if let Some(c) = creds {
            inspect.args(["--creds", c]);
        }
        let out = inspect.arg(&dest).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The HTTP status of a blocking GET (the readiness poll needs no runtime).
fn get_status(url: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    buf.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad answer: {buf:?}")))
}

/// Standard base64 (for dockerconfigjson, as kubectl writes it).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn isi(name: &str, import: bool, images: Value) -> Value {
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport",
           "metadata": {"name": name}, "spec": {"import": import, "images": images}})
}

fn insecure(from: &str, to: &str) -> Value {
    json!({"from": {"kind": "DockerImage", "name": from}, "to": {"name": to},
           "importPolicy": {"insecure": true}})
}

async fn import(c: &reqwest::Client, s: &Server, body: &Value) -> Value {
    let url = format!("{}{NS}/imagestreamimports", s.url);
    let (code, out) = send(c.post(&url).json(body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    out
}

/// §10.5, §11.4: a tag imported from a real registry lands in the stream, creates the Image
/// with layers and metadata, and a second identical import writes nothing; a missing tag is a
/// NotFound condition (§11.6); a dry run writes nothing and returns no manifest (§10.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_import_from_a_real_registry() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let digest = reg.push("ns/app", "v1", "hello v1\n", None);
    assert!(digest.starts_with("sha256:"), "{digest}");
    let s = Server::start_with_registry_importer();
    let c = client();
    let from = format!("{}/ns/app:v1", reg.host);

    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["tag"], "v1");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    assert!(
        st["image"].get("dockerImageManifest").is_none(),
        "import: true never returns manifests: {st}"
    );
    let want_ref = format!("{}/ns/app@{digest}", reg.host);
    let stream = get_stream(&c, &s.url, "app").await;
    let item = &status_tag(&stream, "v1").expect("status tag v1")["items"][0];
    assert_eq!(item["dockerImageReference"], want_ref.as_str(), "{stream}");
    assert_eq!(item["image"], digest.as_str());
    let spec = spec_tag(&stream, "v1").expect("spec tag v1");
    assert_eq!(spec["from"]["name"], from.as_str());
    assert_eq!(spec["importPolicy"]["insecure"], true);

    let (code, image) = send(c.get(format!(
        "{}/apis/image.openshift.io/v1/images/{digest}",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{image}");
    assert_eq!(image["dockerImageReference"], want_ref.as_str());
    let layers = image["dockerImageLayers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1, "{image}");
    assert!(layers[0]["size"].as_i64().unwrap() > 0);
    let md = &image["dockerImageMetadata"];
    assert_eq!(md["Config"]["Cmd"], json!(["/bin/hello"]), "{image}");
    assert_eq!(md["Config"]["Labels"]["app"], "demo");
    assert!(md["Size"].as_i64().unwrap() > 0, "{image}");

    // The same import again: nothing changes, nothing is written.
    let rv = stream["metadata"]["resourceVersion"].clone();
    let again = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    assert_eq!(again["status"]["images"][0]["status"]["status"], "Success");
    assert_eq!(again["status"]["import"]["metadata"]["resourceVersion"], rv);
    assert_eq!(
        get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"],
        rv
    );

    // A missing tag: NotFound with the §11.6 message, recorded on the tag.
    let missing = format!("{}/ns/app:nope", reg.host);
    let out = import(
        &c,
        &s,
        &isi("app", true, json!([insecure(&missing, "nope")])),
    )
    .await;
    let st = &out["status"]["images"][0]["status"];
    let msg = format!("dockerimage.image.openshift.io \"{missing}\" not found");
    assert_eq!(st["status"], "Failure", "{out}");
    assert_eq!(st["reason"], "NotFound");
    assert_eq!(st["code"], 404);
    assert_eq!(st["message"], msg.as_str());
    let stream = get_stream(&c, &s.url, "app").await;
    let cond = &status_tag(&stream, "nope").expect("status tag nope")["conditions"][0];
    assert_eq!(cond["type"], "ImportSuccess");
    assert_eq!(cond["status"], "False");
    assert_eq!(cond["reason"], "NotFound");
    assert_eq!(cond["message"], msg.as_str());

    // A dry run: the image comes back without its manifest; nothing is written.
    let rv = stream["metadata"]["resourceVersion"].clone();
    let out = import(&c, &s, &isi("app", false, json!([insecure(&from, "dry")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    assert!(st["image"].get("dockerImageManifest").is_none(), "{st}");
    assert!(out["status"].get("import").is_none(), "{out}");
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(stream["metadata"]["resourceVersion"], rv);
    assert!(spec_tag(&stream, "dry").is_none());
    let (code, _) = send(c.get(format!("{}{NS}/imagestreams/fresh", s.url))).await;
    let out = import(&c, &s, &isi("fresh", false, json!([insecure(&from, "v1")]))).await;
    assert_eq!(out["status"]["images"][0]["status"]["status"], "Success");
    let (code2, _) = send(c.get(format!("{}{NS}/imagestreams/fresh", s.url))).await;
    assert_eq!(
        (code, code2),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
}

/// §10.6: a bulk repository import lists the tags and imports each one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_6_repository_import_from_a_real_registry() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let d1 = reg.push("ns/many", "v1", "one\n", None);
    let d2 = reg.push("ns/many", "latest", "two\n", None);
    let s = Server::start_with_registry_importer();
    let c = client();
    let mut body = isi("many", true, json!([]));
    body["spec"]["repository"] = json!({"from": {"kind": "DockerImage", "name": format!("{}/ns/many", reg.host)}, "importPolicy": {"insecure": true}});
    let out = import(&c, &s, &body).await;
    let repo = &out["status"]["repository"];
    assert_eq!(repo["status"]["status"], "Success", "{out}");
    let images = repo["images"].as_array().unwrap();
    let tags: Vec<&str> = images.iter().map(|i| i["tag"].as_str().unwrap()).collect();
    assert_eq!(tags, ["latest", "v1"], "latest first (§10.6)");
    assert_eq!(images[0]["image"]["metadata"]["name"], d2.as_str());
    assert_eq!(images[1]["image"]["metadata"]["name"], d1.as_str());
    let stream = get_stream(&c, &s.url, "many").await;
    assert_eq!(
        status_tag(&stream, "v1").unwrap()["items"][0]["image"],
        d1.as_str()
    );

    // A repository that does not exist fails as a whole, with no images.
    let mut body = isi("none", true, json!([]));
    body["spec"]["repository"] = json!({"from": {"kind": "DockerImage", "name": format!("{}/ns/absent", reg.host)}, "importPolicy": {"insecure": true}});
    let out = import(&c, &s, &body).await;
    let repo = &out["status"]["repository"];
    assert_eq!(repo["status"]["status"], "Failure", "{out}");
    assert!(repo.get("images").is_none(), "{out}");
}

async fn put_pull_secret(c: &reqwest::Client, s: &Server, host: &str, user: &str, pass: &str) {
    let _ = c.delete(format!("{}{SECRETS}/pull", s.url)).send().await;
    let cfg = json!({"auths": {host: {"username": user, "password": pass,
                     "auth": base64(format!("{user}:{pass}").as_bytes())}}});
    let body = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pull"},
                      "type": "kubernetes.io/dockerconfigjson",
                      "data": {".dockerconfigjson": base64(cfg.to_string().as_bytes())}});
    let (code, out) = send(c.post(format!("{}{SECRETS}", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
}

/// §11.5: an htpasswd registry is imported with the namespace's dockerconfigjson secret; a
/// wrong password is Unauthorized "incorrect username or password" (kept after the anonymous
/// retry, §10.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_5_pull_secret_credentials() {
    let Some(reg) = Registry::start(Some(("alice", "s3cret"))) else {
        return;
    };
    let digest = reg.push("ns/app", "v1", "secret v1\n", Some("alice:s3cret"));
    let s = Server::start_with_registry_importer();
    let c = client();
    let from = format!("{}/ns/app:v1", reg.host);

    // No secret yet: the registry refuses.
    let out = import(&c, &s, &isi("app", false, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "Unauthorized", "{out}");

    put_pull_secret(&c, &s, &reg.host, "alice", "s3cret").await;
    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());

    put_pull_secret(&c, &s, &reg.host, "alice", "wrong").await;
    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "Unauthorized", "{out}");
    assert_eq!(
        st["message"],
        format!("incorrect username or password for image \"{from}\"").as_str()
    );
}

/// Generous bound for anything the controllers do "within a few intervals".
const DEADLINE: Duration = Duration::from_secs(30);

/// Poll `probe` until it yields a value or [`DEADLINE`] passes.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The image digests of `tag`'s history, newest first.
fn history(stream: &Value, tag: &str) -> Vec<String> {
    status_tag(stream, tag)
        .and_then(|t| t["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|i| i["image"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The ImportSuccess condition of `tag`, if any.
fn import_condition(stream: &Value, tag: &str) -> Option<Value> {
    status_tag(stream, tag)?["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "ImportSuccess")
        .cloned()
}

/// Wait until the registry has answered `n` more manifest HEADs for `repo` than `from`.
async fn wait_heads(reg: &Registry, repo: &str, from: usize, n: usize) -> usize {
    eventually(&format!("{n} scheduled HEADs of {repo}"), || async {
        let heads = reg.manifest_requests("HEAD", repo);
        (heads >= from + n).then_some(heads)
    })
    .await
}

/// Issue 5 "be kind to registries", §14.2 and §10.5 against a real registry, with the import
/// controllers on and a scheduled tag re-checked every second: (a) an unchanged upstream is
/// re-checked with HEAD only and the stream is never rewritten; (b) a re-pushed tag adds
/// exactly one history entry, newest first, and then stays at two; (c) a stopped registry
/// leaves a failure condition, and the first check after it returns clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_scheduled_recheck_against_a_real_registry() {
    let Some(mut reg) = Registry::start(None) else {
        return;
    };
    const REPO: &str = "ns/sched";
    let d1 = reg.push(REPO, "v1", "scheduled v1\n", None);
    let s = Server::start_with_controllers_and_registry_importer(crate::harness::test_controllers(
        true,
    ));
    let c = client();
    let from = format!("{}/{REPO}:v1", reg.host);
    let body = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "sched"},
        "spec": {"tags": [{"name": "t", "from": {"kind": "DockerImage", "name": from},
                           "importPolicy": {"scheduled": true, "insecure": true}}]}});
    let (code, out) = send(c.post(format!("{}{NS}/imagestreams", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");

    // The first import (§14.1) records d1.
    eventually("the first import", || async {
        let st = get_stream(&c, &s.url, "sched").await;
        (history(&st, "t") == [d1.clone()]).then_some(())
    })
    .await;
    let image = send(c.get(format!("{}/apis/image.openshift.io/v1/images/{d1}", s.url))).await;
    assert_eq!(image.0, StatusCode::OK, "{}", image.1);
    assert!(
        image.1["dockerImageMetadata"]["Config"].is_object(),
        "{}",
        image.1
    );

    // (a) One scheduled check after the import settles the baseline; then several more see the
    // same digest by HEAD alone and write nothing.
    let heads = wait_heads(&reg, REPO, reg.manifest_requests("HEAD", REPO), 1).await;
    let gets = reg.manifest_requests("GET", REPO);
    let settled = get_stream(&c, &s.url, "sched").await;
    let rv = settled["metadata"]["resourceVersion"].clone();
    wait_heads(&reg, REPO, heads, 3).await;
    assert_eq!(
        reg.manifest_requests("GET", REPO),
        gets,
        "an unchanged re-check sends no manifest GET:\n{}",
        reg.log()
    );
    let now = get_stream(&c, &s.url, "sched").await;
    assert_eq!(now["metadata"]["resourceVersion"], rv, "{now}");
    assert_eq!(history(&now, "t"), std::slice::from_ref(&d1));
    assert!(import_condition(&now, "t").is_none(), "{now}");

    // (b) A new image under the same tag: exactly one new history entry, newest first.
    let d2 = reg.push(REPO, "v1", "scheduled v2\n", None);
    assert_ne!(d1, d2);
    let moved = eventually("the re-pushed image", || async {
        let st = get_stream(&c, &s.url, "sched").await;
        (history(&st, "t").first() == Some(&d2)).then_some(st)
    })
    .await;
    assert_eq!(history(&moved, "t"), [d2.clone(), d1.clone()], "{moved}");
    let heads = wait_heads(&reg, REPO, reg.manifest_requests("HEAD", REPO), 1).await;
    let settled = get_stream(&c, &s.url, "sched").await;
    let gets = reg.manifest_requests("GET", REPO);
    wait_heads(&reg, REPO, heads, 3).await;
    let now = get_stream(&c, &s.url, "sched").await;
    assert_eq!(history(&now, "t"), [d2.clone(), d1.clone()], "{now}");
    assert_eq!(
        now["metadata"]["resourceVersion"], settled["metadata"]["resourceVersion"],
        "{now}"
    );
    assert_eq!(reg.manifest_requests("GET", REPO), gets);

    // (c) Registry down: a failure condition; back on the same port and storage: cleared.
    reg.stop();
    let failed = eventually("a failure condition", || async {
        let st = get_stream(&c, &s.url, "sched").await;
        import_condition(&st, "t")
            .filter(|cond| cond["status"] == "False")
            .map(|cond| (st, cond))
    })
    .await;
    let (down, cond) = failed;
    assert_eq!(cond["reason"], "InternalError", "{down}");
    assert!(
        cond["message"].as_str().unwrap().contains(&reg.host),
        "{cond}"
    );
    assert_eq!(
        history(&down, "t"),
        [d2.clone(), d1.clone()],
        "history kept"
    );
    let heads = reg.manifest_requests("HEAD", REPO);
    reg.restart();
    let back = eventually("recovery after the registry returns", || async {
        let st = get_stream(&c, &s.url, "sched").await;
        import_condition(&st, "t").is_none().then_some(st)
    })
    .await;
    assert_eq!(history(&back, "t"), [d2.clone(), d1.clone()], "{back}");
    let after = reg.manifest_requests("HEAD", REPO);
    assert!(after > heads, "the recovering check was a HEAD");
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Re-tag the manifest of `<repo>:<src>` under every name in `tags` through the registry API
/// (GET by tag, PUT under each new name), four PUTs at a time.
async fn retag(host: &str, repo: &str, src: &str, tags: &[String]) {
    let c = client();
    let resp = c
        .get(format!("http://{host}/v2/{repo}/manifests/{src}"))
        .header(
            "Accept",
            format!("{OCI_MANIFEST}, {DOCKER_MANIFEST}, {OCI_INDEX}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let media_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let body = resp.bytes().await.unwrap();
    let tasks: Vec<_> = tags
        .chunks(tags.len().div_ceil(4).max(1))
        .map(|chunk| {
            let (c, body, media_type) = (c.clone(), body.clone(), media_type.clone());
            let urls: Vec<String> = chunk
                .iter()
                .map(|t| format!("http://{host}/v2/{repo}/manifests/{t}"))
                .collect();
            tokio::spawn(async move {
                for url in urls {
                    let resp = c
                        .put(&url)
                        .header("Content-Type", &media_type)
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), StatusCode::CREATED, "PUT {url}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// §10.6: 120 tags of one image, imported as a repository with the default limit (50): the
/// first 50 in priority order (`latest`, minor versions newest first, full semver newest
/// first, the rest lexicographically) are imported, the other 70 are additional tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_6_bulk_repository_import_limit() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    const REPO: &str = "ns/bulk";
    let digest = reg.push(REPO, "latest", "bulk\n", None);
    // 25 minor versions, 20 full semver versions, 74 others (plus `latest`): 120 tags.
    let minors: Vec<String> = (0..5)
        .rev()
        .map(|m| format!("v3.{m}"))
        .chain(
            (1..=2)
                .rev()
                .flat_map(|x| (0..10).rev().map(move |m| format!("{x}.{m}"))),
        )
        .collect();
    let semver: Vec<String> = (1..=20).rev().map(|p| format!("2.0.{p}")).collect();
    let others: Vec<String> = (0..74).map(|i| format!("build-{i:03}")).collect();
    let new_tags: Vec<String> = minors
        .iter()
        .chain(&semver)
        .chain(&others)
        .cloned()
        .collect();
    assert_eq!(new_tags.len(), 119);
    retag(&reg.host, REPO, "latest", &new_tags).await;

    let s = Server::start_with_registry_importer();
    let c = client();
    let mut body = isi("bulk", true, json!([]));
    body["spec"]["repository"] = json!({"from": {"kind": "DockerImage", "name": format!("{}/{REPO}", reg.host)}, "importPolicy": {"insecure": true}});
    let out = import(&c, &s, &body).await;
    let repo = &out["status"]["repository"];
    assert_eq!(repo["status"]["status"], "Success", "{out}");
    let images = repo["images"].as_array().unwrap();
    let tags: Vec<&str> = images.iter().map(|i| i["tag"].as_str().unwrap()).collect();
    let want: Vec<&str> = std::iter::once("latest")
        .chain(minors.iter().map(String::as_str))
        .chain(semver.iter().map(String::as_str))
        .chain(others[..4].iter().map(String::as_str))
        .collect();
    assert_eq!(tags.len(), 50, "{tags:?}");
    assert_eq!(tags, want, "the §10.6 priority order");
    for i in images {
        assert_eq!(i["status"]["status"], "Success", "{i}");
        assert_eq!(i["image"]["metadata"]["name"], digest.as_str());
    }
    let mut additional: Vec<&str> = repo["additionalTags"]
        .as_array()
        .expect("additionalTags")
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(additional.len(), 70, "{additional:?}");
    additional.sort_unstable();
    let rest: Vec<&str> = others[4..].iter().map(String::as_str).collect();
    assert_eq!(additional, rest);

    let stream = get_stream(&c, &s.url, "bulk").await;
    for t in &want {
        assert_eq!(history(&stream, t), std::slice::from_ref(&digest), "{t}");
    }
    assert!(status_tag(&stream, "build-004").is_none(), "{stream}");
}

/// Build an amd64 and an arm64 image with `umoci`, add an OCI index over both to the layout
/// (test-peers §3 `mkindex.py`), and push all three with `skopeo copy --all` (with `format`,
/// e.g. `v2s2`, converted). Returns (list digest, amd64 digest, arm64 digest) as pushed.
fn push_multi(reg: &Registry, repo: &str, tag: &str, format: Option<&str>) -> [String; 3] {
    let t = reg.dir.path().join(format!("multi-{tag}"));
    let layout = t.join("oci");
    let rootfs = t.join("rootfs/etc");
    std::fs::create_dir_all(&rootfs).unwrap();
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(&layout));
    for a in ["amd64", "arm64"] {
        let image = format!("{}:{a}", layout.display());
        std::fs::write(rootfs.join("hello.txt"), format!("arch {a}\n")).unwrap();
        run(Command::new("umoci").args(["new", "--image", &image]));
        run(Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(rootfs.join("hello.txt"))
            .arg("/etc/hello.txt"));
        run(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--architecture",
            a,
            "--os",
            "linux",
        ]));
    }
    // mkindex: an OCI index with each image's platform, tagged "multi" in the layout.
    let read = |p: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"))).unwrap()
    };
    let blob = |d: &str| layout.join("blobs/sha256").join(&d["sha256:".len()..]);
    let mut idx = read(layout.join("index.json"));
    let ref_name = |m: &Value| m["annotations"]["org.opencontainers.image.ref.name"].clone();
    let mut children = Vec::new();
    let mut manifests = Vec::new();
    for a in ["amd64", "arm64"] {
        let d = idx["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| ref_name(m) == a)
            .unwrap_or_else(|| panic!("{a} in {idx}"))
            .clone();
        let digest = d["digest"].as_str().unwrap().to_owned();
        let cfg = read(blob(
            read(blob(&digest))["config"]["digest"].as_str().unwrap(),
        ));
        assert_eq!(cfg["architecture"], a, "{cfg}");
        manifests.push(
            json!({"mediaType": d["mediaType"], "digest": digest, "size": d["size"],
            "platform": {"architecture": cfg["architecture"], "os": cfg["os"]}}),
        );
        children.push(digest);
    }
    let body = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
    )
    .unwrap();
    let list = format!("sha256:{}", sha256_hex(&body));
    std::fs::write(blob(&list), &body).unwrap();
    idx["manifests"]
        .as_array_mut()
        .unwrap()
        .push(json!({"mediaType": OCI_INDEX,
        "digest": list, "size": body.len(),
        "annotations": {"org.opencontainers.image.ref.name": "multi"}}));
    std::fs::write(layout.join("index.json"), idx.to_string()).unwrap();

    let dest = format!("docker://{}/{repo}:{tag}", reg.host);
    let mut copy = Command::new("skopeo");
    copy.args(["copy", "-q", "--all", "--dest-tls-verify=false"]);
    if let Some(f) = format {
        copy.args(["-f", f]);
    }
    run(copy
        .arg(format!("oci:{}:multi", layout.display()))
        .arg(&dest));
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pushed: Vec<String> = raw["manifests"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {raw}"))
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_owned())
        .collect();
    if format.is_none() {
        assert_eq!(pushed, children, "skopeo --all keeps the OCI children");
    }
    let list = format!("sha256:{}", sha256_hex(&out.stdout));
    [list, pushed[0].clone(), pushed[1].clone()]
}

/// §11.4: a multi-arch OCI index imported in Legacy mode with the target tag's
/// `prefer-arch: arm64` records the arm64 child; in PreserveOriginal mode the list becomes an
/// Image with both child descriptors and each child is imported as its own Image.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_4_manifest_lists_in_both_modes() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let [list, amd, arm] = push_multi(&reg, "ns/multi", "latest", None);
    assert!(list != amd && amd != arm, "{list} {amd} {arm}");
    let s = Server::start_with_registry_importer();
    let c = client();
    let from = format!("{}/ns/multi:latest", reg.host);

    // Legacy, prefer-arch arm64 on the spec tag.
    let stream = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "multi"},
        "spec": {"tags": [{"name": "arm", "from": {"kind": "DockerImage", "name": from},
            "annotations": {"importer.image.openshift.io/prefer-arch": "arm64"},
            "importPolicy": {"insecure": true, "importMode": "Legacy"}}]}});
    let (code, out) = send(c.post(format!("{}{NS}/imagestreams", s.url)).json(&stream)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let mut legacy = insecure(&from, "arm");
    legacy["importPolicy"]["importMode"] = json!("Legacy");
    let out = import(&c, &s, &isi("multi", true, json!([legacy]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], arm.as_str(), "{out}");
    let stream = get_stream(&c, &s.url, "multi").await;
    assert_eq!(
        history(&stream, "arm"),
        std::slice::from_ref(&arm),
        "{stream}"
    );
    let item = &status_tag(&stream, "arm").unwrap()["items"][0];
    assert_eq!(
        item["dockerImageReference"],
        format!("{}/ns/multi@{arm}", reg.host).as_str()
    );
    let image_url = |d: &str| format!("{}/apis/image.openshift.io/v1/images/{d}", s.url);
    let (code, _) = send(c.get(image_url(&list))).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "Legacy discards the list");

    // PreserveOriginal: the list itself, with both children.
    let mut preserve = insecure(&from, "all");
    preserve["importPolicy"]["importMode"] = json!("PreserveOriginal");
    let out = import(&c, &s, &isi("multi", true, json!([preserve]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], list.as_str(), "{out}");
    let stream = get_stream(&c, &s.url, "multi").await;
    assert_eq!(
        history(&stream, "all"),
        std::slice::from_ref(&list),
        "{stream}"
    );
    let (code, image) = send(c.get(image_url(&list))).await;
    assert_eq!(code, StatusCode::OK, "{image}");
    let descs = image["dockerImageManifests"].as_array().expect("manifests");
    assert_eq!(descs.len(), 2, "{image}");
    let by_arch = |a: &str| {
        descs
            .iter()
            .find(|d| d["architecture"] == a)
            .unwrap_or_else(|| panic!("{a} in {image}"))["digest"]
            .clone()
    };
    assert_eq!(by_arch("amd64"), amd.as_str());
    assert_eq!(by_arch("arm64"), arm.as_str());
    assert!(
        image["dockerImageLayers"]
            .as_array()
            .is_none_or(|l| l.is_empty()),
        "{image}"
    );
    for (d, a) in [(&amd, "amd64"), (&arm, "arm64")] {
        let (code, child) = send(c.get(image_url(d))).await;
        assert_eq!(code, StatusCode::OK, "{child}");
        assert_eq!(child["dockerImageMetadata"]["Architecture"], a, "{child}");
        assert_eq!(
            child["dockerImageReference"],
            format!("{}/ns/multi@{d}", reg.host).as_str()
        );
    }

    // The same images as a Docker manifest list (`skopeo copy --all -f v2s2`).
    let [dlist, damd, darm] = push_multi(&reg, "ns/multi", "docker", Some("v2s2"));
    let dfrom = format!("{}/ns/multi:docker", reg.host);
    let mut preserve = insecure(&dfrom, "docker");
    preserve["importPolicy"]["importMode"] = json!("PreserveOriginal");
    let out = import(&c, &s, &isi("multi", true, json!([preserve]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], dlist.as_str(), "{out}");
    let (code, image) = send(c.get(image_url(&dlist))).await;
    assert_eq!(code, StatusCode::OK, "{image}");
    assert_eq!(
        image["dockerImageManifestMediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "{image}"
    );
    let digests: Vec<&str> = image["dockerImageManifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .map(|d| d["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [damd.as_str(), darm.as_str()], "{image}");
    for d in [&damd, &darm] {
        let (code, child) = send(c.get(image_url(d))).await;
        assert_eq!(code, StatusCode::OK, "{child}");
    }
}

/// §11.5 with a real client: the pull secret for an htpasswd registry is created by
/// `kubectl create secret docker-registry` against the server, and the import then succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_5_kubectl_created_secret() {
    let Some(kubectl) = crate::kubectl::kubectl_binary() else {
        return;
    };
    let Some(reg) = Registry::start(Some(("bob", "pa55word"))) else {
        return;
    };
    let digest = reg.push("ns/app", "v1", "kubectl v1\n", Some("bob:pa55word"));
    // kubectl sends its token over HTTPS only.
    let s = Server::start_custom(tempfile::tempdir().unwrap(), |c| {
        c.importer = None;
        c.tls.enabled = true;
    });
    let c = s.client();
    let from = format!("{}/ns/app:v1", reg.host);

    let out = import(&c, &s, &isi("app", false, json!([insecure(&from, "v1")]))).await;
    assert_eq!(
        out["status"]["images"][0]["status"]["reason"], "Unauthorized",
        "{out}"
    );

    let home = tempfile::tempdir().unwrap();
    let out = Command::new(&kubectl)
        .arg("--kubeconfig")
        .arg(s.kubeconfig())
        .arg("--cache-dir")
        .arg(home.path().join("cache"))
        .arg("--request-timeout=30s")
        .args([
            "create",
            "secret",
            "docker-registry",
            "pull",
            &format!("--docker-server={}", reg.host),
            "--docker-username=bob",
            "--docker-password=pa55word",
        ])
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "secret/pull created"
    );
    let (code, secret) = send(c.get(format!("{}{SECRETS}/pull", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{secret}");
    assert_eq!(secret["type"], "kubernetes.io/dockerconfigjson");

    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(history(&stream, "v1"), [digest]);
}

/// A server whose ImageStreamImports go through `importer` (no controllers).
fn server_with_importer(
    importer: tagplane_server::service::registry_importer::RegistryImporter,
) -> Server {
    Server::start_with_importer(
        tempfile::tempdir().unwrap(),
        tagplane_server::service::ServiceConfig::default(),
        crate::harness::test_controllers(false),
        Some(std::sync::Arc::new(importer)),
    )
}

/// How many requests of any kind the registry's access log shows.
fn all_requests(reg: &Registry) -> usize {
    reg.log()
        .lines()
        .filter(|l| l.contains("HTTP/1.1\""))
        .count()
}

/// §11.2 with two real registries and a third one blocked, configured as `tagplane serve
/// --registry-mirror SRC=MIRROR --insecure-registry … --blocked-registry …` would:
/// (a) with the source stopped, the import succeeds through the mirror and the stream and the
/// Image name the *source* (§10.5: the reference in the user's spelling), without the request
/// asking for insecure access (the registries are listed as insecure); (b) a tag neither has
/// fails with the aggregate of both failures as an InternalError; (c) a blocked registry
/// yields Forbidden "forbidden: registry <host> blocked" on the tag and receives no request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_2_mirrors_and_blocked_registries() {
    use tagplane_server::service::registry_importer::{RegistryImporter, RegistrySources};
    let Some(mut source) = Registry::start(None) else {
        return;
    };
    let Some(mirror) = Registry::start(None) else {
        return;
    };
    let Some(blocked) = Registry::start(None) else {
        return;
    };
    let digest = mirror.push("ns/app", "v1", "from the mirror\n", None);
    blocked.push("ns/app", "v1", "blocked\n", None);
    source.stop();

    let mut sources = RegistrySources::new();
    let (src, mir) =
        RegistrySources::parse_mirror_flag(&format!("{}={}", source.host, mirror.host)).unwrap();
    sources.add_mirror(&src, &mir).unwrap();
    sources.add_insecure(&source.host).unwrap();
    sources.add_insecure(&mirror.host).unwrap();
    sources.block(&blocked.host).unwrap();
    let importer = RegistryImporter::new(tagplane_distribution::RegistryClient::new().unwrap(), 50)
        .with_sources(sources);
    let s = server_with_importer(importer);
    let c = client();
    let spec = |from: &str, to: &str| json!({"from": {"kind": "DockerImage", "name": from}, "to": {"name": to}});

    // (a) Through the mirror; no `importPolicy.insecure` in the request.
    let from = format!("{}/ns/app:v1", source.host);
    let gets = mirror.manifest_requests("GET", "ns/app");
    let out = import(&c, &s, &isi("app", true, json!([spec(&from, "v1")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    let want_ref = format!("{}/ns/app@{digest}", source.host);
    assert_eq!(st["image"]["dockerImageReference"], want_ref.as_str());
    assert!(
        mirror.manifest_requests("GET", "ns/app") > gets,
        "the mirror served it"
    );
    let stream = get_stream(&c, &s.url, "app").await;
    let item = &status_tag(&stream, "v1").expect("status tag v1")["items"][0];
    assert_eq!(item["dockerImageReference"], want_ref.as_str(), "{stream}");
    assert_eq!(item["image"], digest.as_str());
    assert_eq!(
        spec_tag(&stream, "v1").unwrap()["from"]["name"],
        from.as_str()
    );
    let (code, image) = send(c.get(format!(
        "{}/apis/image.openshift.io/v1/images/{digest}",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{image}");
    assert_eq!(image["dockerImageReference"], want_ref.as_str());

    // (b) Missing on the mirror, source down: the aggregate of both, as an InternalError.
    let missing = format!("{}/ns/app:nope", source.host);
    let out = import(&c, &s, &isi("app", true, json!([spec(&missing, "nope")]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "InternalError", "{out}");
    let msg = st["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "Internal error occurred: {missing}: [{}/ns/app:nope: not found",
            mirror.host
        )),
        "{msg}"
    );
    assert!(msg.contains(&format!(", {missing}: ")), "{msg}");
    let stream = get_stream(&c, &s.url, "app").await;
    let cond = import_condition(&stream, "nope").expect("condition");
    assert_eq!(cond["reason"], "InternalError");
    assert_eq!(cond["message"], msg);

    // (c) Blocked: Forbidden, and not a single request reaches the registry.
    assert!(all_requests(&mirror) > 0, "the access log counts requests");
    let before = all_requests(&blocked);
    let from = format!("{}/ns/app:v1", blocked.host);
    let mut req = spec(&from, "blocked");
    req["importPolicy"] = json!({"insecure": true});
    let out = import(&c, &s, &isi("app", true, json!([req]))).await;
    let st = &out["status"]["images"][0]["status"];
    let msg = format!("forbidden: registry {} blocked", blocked.host);
    assert_eq!(st["reason"], "Forbidden", "{out}");
    assert_eq!(st["code"], 403);
    assert_eq!(st["message"], msg.as_str());
    let stream = get_stream(&c, &s.url, "app").await;
    let cond = import_condition(&stream, "blocked").expect("condition");
    assert_eq!(cond["status"], "False");
    assert_eq!(cond["reason"], "Forbidden");
    assert_eq!(cond["message"], msg.as_str());
    // A repository import from it is refused the same way.
    let mut body = isi("app", true, json!([]));
    body["spec"]["repository"] = json!({"from": {"kind": "DockerImage", "name": format!("{}/ns/app", blocked.host)}, "importPolicy": {"insecure": true}});
    let out = import(&c, &s, &body).await;
    assert_eq!(
        out["status"]["repository"]["status"]["reason"], "Forbidden",
        "{out}"
    );
    assert_eq!(
        all_requests(&blocked),
        before,
        "a blocked registry gets no request:\n{}",
        blocked.log()
    );
}

/// A rate-limiting HTTP proxy in front of a real registry (test fixture): while `limited` is
/// set it answers every request `429` with `Retry-After` and `RateLimit-*` headers; otherwise
/// it forwards the request to the registry and its answer back. Every request is logged with
/// the time it arrived and the status it got.
struct RateLimitProxy {
    /// `127.0.0.1:PORT`.
    host: String,
    state: std::sync::Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    limited: std::sync::atomic::AtomicBool,
    retry_after_secs: u64,
    log: std::sync::Mutex<Vec<(Instant, String, u16)>>,
}

async fn proxy_handler(
    axum::extract::State(st): axum::extract::State<std::sync::Arc<ProxyState>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let line = format!("{} {}", req.method(), req.uri());
    let arrived = Instant::now();
    if st.limited.load(std::sync::atomic::Ordering::SeqCst) {
        st.log.lock().unwrap().push((arrived, line, 429));
        let secs = st.retry_after_secs.to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("Retry-After", secs.as_str()),
                ("RateLimit-Limit", "10;w=60"),
                ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", secs.as_str()),
            ],
            "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}",
        )
            .into_response();
    }
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut out = st.client.request(
        req.method().clone(),
        format!("http://{}{path}", st.upstream),
    );
    for name in ["accept", "authorization"] {
        for v in req.headers().get_all(name) {
            out = out.header(name, v.as_bytes());
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => {
            st.log.lock().unwrap().push((arrived, line, 502));
            return (StatusCode::BAD_GATEWAY, e.to_string()).into_response();
        }
    };
    let status = resp.status();
    st.log
        .lock()
        .unwrap()
        .push((arrived, line, status.as_u16()));
    let mut builder = axum::http::Response::builder().status(status.as_u16());
    for (name, value) in resp.headers() {
        if name != "transfer-encoding" && name != "connection" {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
    }
    let body = resp.bytes().await.unwrap_or_default();
    builder.body(axum::body::Body::from(body)).unwrap()
}

impl RateLimitProxy {
    async fn start(upstream: &str, retry_after_secs: u64) -> RateLimitProxy {
        let state = std::sync::Arc::new(ProxyState {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            limited: std::sync::atomic::AtomicBool::new(false),
            retry_after_secs,
            log: std::sync::Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(proxy_handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RateLimitProxy { host, state, task }
    }

    fn limit(&self, on: bool) {
        self.state
            .limited
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// (arrival, status) of every request so far.
    fn requests(&self) -> Vec<(Instant, u16)> {
        self.state
            .log
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _, s)| (*t, *s))
            .collect()
    }

    fn count(&self, status: u16) -> usize {
        self.requests().iter().filter(|(_, s)| *s == status).count()
    }
}

impl Drop for RateLimitProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Issue 5 "429 honoured and surfaced": a scheduled tag whose registry (a real one behind a
/// rate-limiting proxy) answers `429 Retry-After: 3` with `RateLimit-*` headers gets an
/// ImportSuccess=False condition with reason TooManyRequests naming the registry, the limit
/// and the retry time; nothing reaches the registry again before the retry time; the scheduled
/// controller holds the stream back until then, so repeated 429s leave the stream unwritten;
/// once the registry lets requests through again the next check imports the image and clears
/// the condition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_rate_limited_registry_surfaces_and_backs_off() {
    use tagplane_server::service::registry_importer::RegistryImporter;
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let digest = reg.push("ns/app", "v1", "rate limited\n", None);
    const RETRY: u64 = 3;
    let proxy = RateLimitProxy::start(&reg.host, RETRY).await;
    proxy.limit(true);
    // Fail fast on a 429 rather than sleeping through a Retry-After of more than 1 s.
    let registry_client = tagplane_distribution::RegistryClient::builder()
        .config(tagplane_distribution::ClientConfig {
            max_retry_wait: Duration::from_secs(1),
            ..Default::default()
        })
        .build()
        .unwrap();
    let s = Server::start_with_importer(
        tempfile::tempdir().unwrap(),
        tagplane_server::service::ServiceConfig::default(),
        crate::harness::test_controllers(true),
        Some(std::sync::Arc::new(RegistryImporter::new(
            registry_client,
            50,
        ))),
    );
    let c = client();
    let from = format!("{}/ns/app:v1", proxy.host);
    let body = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
        "metadata": {"name": "limited"},
        "spec": {"tags": [{"name": "t", "from": {"kind": "DockerImage", "name": from},
                           "importPolicy": {"scheduled": true, "insecure": true}}]}});
    let (code, out) = send(c.post(format!("{}{NS}/imagestreams", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");

    let (stream, cond) = eventually("a TooManyRequests condition", || async {
        let st = get_stream(&c, &s.url, "limited").await;
        import_condition(&st, "t").map(|cond| (st, cond))
    })
    .await;
    assert_eq!(cond["status"], "False", "{stream}");
    assert_eq!(cond["reason"], "TooManyRequests", "{stream}");
    assert_eq!(
        cond["message"],
        format!(
            "too many requests: registry {} is rate limiting requests for \"{from}\" (limit 10 \
             per 60s, 0 remaining); retry after {RETRY}s",
            proxy.host
        )
        .as_str()
    );
    assert!(history(&stream, "t").is_empty(), "{stream}");
    let rv = stream["metadata"]["resourceVersion"].clone();

    // Two more rate-limited checks: each comes only after the retry time, and an identical
    // failure is not rewritten.
    let first = proxy.count(429);
    eventually("two more rate-limited checks", || async {
        (proxy.count(429) >= first + 2).then_some(())
    })
    .await;
    let requests = proxy.requests();
    for pair in requests.windows(2) {
        if pair[0].1 == 429 {
            let gap = pair[1].0 - pair[0].0;
            assert!(
                gap >= Duration::from_secs(RETRY),
                "a request {gap:?} after a 429 asking for {RETRY}s"
            );
        }
    }
    let now = get_stream(&c, &s.url, "limited").await;
    assert_eq!(now["metadata"]["resourceVersion"], rv, "{now}");

    // The registry lets requests through again: the next check imports and clears it.
    proxy.limit(false);
    let done = eventually("the import after the rate limit", || async {
        let st = get_stream(&c, &s.url, "limited").await;
        (history(&st, "t") == [digest.clone()]).then_some(st)
    })
    .await;
    assert!(import_condition(&done, "t").is_none(), "{done}");
    assert!(
        reg.manifest_requests("GET", "ns/app") > 0,
        "the registry served it"
    );
}

/// The peers the shared registry fixture needs in `mode`, checked with the skip-or-fail rule.
fn fixture_peers(test: &str, mode: tagplane_testsupport::registry::Mode) -> bool {
    use tagplane_testsupport::registry::Mode;
    let mut peers = vec!["docker-registry", "skopeo", "umoci"];
    if mode == Mode::Tls {
        peers.push("openssl");
    }
    tagplane_testsupport::peers::available(test, &peers)
}

/// A shared-fixture registry in `mode` holding one umoci-built image at `repo:v1`; returns
/// it with the image's manifest digest.
fn fixture_registry(
    mode: tagplane_testsupport::registry::Mode,
    repo: &str,
    content: &str,
) -> (tagplane_testsupport::registry::Registry, String) {
    let reg = tagplane_testsupport::registry::Registry::start(mode);
    let layout = tagplane_testsupport::images::Layout::new();
    let digest = layout.image("v1", content, "amd64", "linux");
    reg.push(&layout, "v1", &format!("{repo}:v1"));
    (reg, digest)
}

/// §11.3 trust at the server level: a docker-registry serving TLS with a certificate from a
/// self-signed test CA is imported *securely* once the CA is given as `--registry-ca` (the
/// same `ImporterOptions` `tagplane serve` builds from its flags); without the CA the
/// certificate is refused (InternalError naming the certificate problem) unless the import
/// asks for `insecure`; an unreadable CA file is refused at start-up, naming the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_3_tls_registry_with_registry_ca() {
    use tagplane_server::service::registry_importer::{ImporterOptions, RegistryImporter};
    use tagplane_testsupport::registry::Mode;
    if !fixture_peers("s11_3_tls_registry_with_registry_ca", Mode::Tls) {
        return;
    }
    let (reg, digest) = fixture_registry(Mode::Tls, "ns/app", "tls v1\n");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("registry-ca.pem");
    std::fs::write(&ca_file, reg.ca_pem.as_ref().expect("TLS mode has a CA")).unwrap();
    let importer = RegistryImporter::from_options(&ImporterOptions {
        ca_files: vec![ca_file],
        ..Default::default()
    })
    .unwrap();
    let s = server_with_importer(importer);
    let c = client();
    let from = format!("{}/ns/app:v1", reg.host);
    let secure = json!({"from": {"kind": "DockerImage", "name": from}, "to": {"name": "v1"}});

    let out = import(&c, &s, &isi("app", true, json!([secure.clone()]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(history(&stream, "v1"), std::slice::from_ref(&digest));
    assert_eq!(
        status_tag(&stream, "v1").unwrap()["items"][0]["dockerImageReference"],
        format!("{}/ns/app@{digest}", reg.host).as_str()
    );
    assert!(
        spec_tag(&stream, "v1").unwrap()["importPolicy"]
            .get("insecure")
            .is_none_or(|v| v == false),
        "{stream}"
    );

    // Without the CA: refused, unless the import is insecure.
    let plain = Server::start_with_registry_importer();
    let out = import(&c, &plain, &isi("app", false, json!([secure]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "InternalError", "{out}");
    let msg = st["message"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!("Internal error occurred: {from}: "))
            && msg.to_ascii_lowercase().contains("certificate"),
        "{msg}"
    );
    let out = import(
        &c,
        &plain,
        &isi("app", false, json!([insecure(&from, "v1")])),
    )
    .await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());

    let missing = dir.path().join("absent.pem");
    let err = RegistryImporter::from_options(&ImporterOptions {
        ca_files: vec![missing.clone()],
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("--registry-ca {}: ", missing.display())),
        "{err}"
    );
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    assert!(
        RegistryImporter::from_options(&ImporterOptions {
            ca_files: vec![not_pem],
            ..Default::default()
        })
        .is_err()
    );
}

/// §11.5 with Bearer tokens at the server level: a docker-registry in `auth.token` mode whose
/// token server (the shared Rust fixture) gives anonymous callers nothing on `private/…`.
/// Without a secret the import is Unauthorized; with a dockerconfigjson pull secret the
/// server obtains an authenticated token and imports; with a wrong password the answer is
/// "incorrect username or password" (the §10.3 anonymous retry is refused too, so the
/// first-attempt status is kept) and the earlier history is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_5_bearer_token_registry_with_pull_secret() {
    use tagplane_testsupport::registry::{Mode, PASSWORD, USER};
    if !fixture_peers("s11_5_bearer_token_registry_with_pull_secret", Mode::Token) {
        return;
    }
    let (reg, digest) = fixture_registry(Mode::Token, "private/app", "bearer v1\n");
    let token = reg.token.as_ref().expect("token mode has a token server");
    let s = Server::start_with_registry_importer();
    let c = client();
    let from = format!("{}/private/app:v1", reg.host);

    let out = import(&c, &s, &isi("app", false, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "Unauthorized", "{out}");
    assert_eq!(
        st["message"],
        format!("you may not have access to the container image \"{from}\"").as_str()
    );

    put_pull_secret(&c, &s, &reg.host, USER, PASSWORD).await;
    let before = token.authenticated_requests();
    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "v1")]))).await;
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success", "{out}");
    assert_eq!(st["image"]["metadata"]["name"], digest.as_str());
    assert!(
        token.authenticated_requests() > before,
        "the token came from the pull secret's credentials"
    );
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(history(&stream, "v1"), std::slice::from_ref(&digest));

    put_pull_secret(&c, &s, &reg.host, USER, "wrong").await;
    let out = import(&c, &s, &isi("app", true, json!([insecure(&from, "again")]))).await;
    let st = &out["status"]["images"][0]["status"];
    assert_eq!(st["reason"], "Unauthorized", "{out}");
    assert_eq!(
        st["message"],
        format!("incorrect username or password for image \"{from}\"").as_str()
    );
    assert!(
        !out.to_string().contains("wrong"),
        "no secret in the answer"
    );
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(history(&stream, "v1"), [digest]);
    let cond = import_condition(&stream, "again").expect("condition");
    assert_eq!(cond["reason"], "Unauthorized");
}

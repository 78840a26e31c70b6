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

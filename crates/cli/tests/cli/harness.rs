//! Test harness for the CLI: a real `tagplane serve` process on a free loopback port with a
//! temporary data directory, a runner for `tagplane` client commands against it, and a Debian
//! `docker-registry` with images built by `umoci` and pushed by `skopeo`.

// Helpers are shared by all test files; not every file uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `tagplane` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tagplane");

/// The path of a peer program, or `None` (with a printed reason) when it is not installed;
/// panics instead when `TAGPLANE_REQUIRE_PEERS=1`.
pub fn peer(binary: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(binary))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("TAGPLANE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("test peer `{binary}` is required (TAGPLANE_REQUIRE_PEERS=1) but not on PATH");
        }
        eprintln!("skipping: test peer `{binary}` not installed");
    }
    found
}

/// The binary that runs `serve`: `TAGPLANE_TEST_SERVE_BIN` when set (to try the client
/// against another build of the server), else the binary under test.
pub fn serve_bin() -> String {
    std::env::var("TAGPLANE_TEST_SERVE_BIN").unwrap_or_else(|_| BIN.to_owned())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// What one command printed and its exit code.
#[derive(Debug, Clone)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
}

impl Output {
    /// Assert exit 0 and return stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        &self.stdout
    }

    /// Assert exit 1, empty stdout, and return stderr.
    #[track_caller]
    pub fn fails(&self) -> &str {
        assert_eq!(self.code, 1, "command should fail with 1: {self:?}");
        &self.stderr
    }
}

/// A `tagplane serve` process; killed by PID on drop.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The data directory.
    pub dir: tempfile::TempDir,
    /// Files the tests create (kubeconfigs, manifests).
    pub work: tempfile::TempDir,
    child: Child,
}

impl Server {
    /// Start a server and wait for `/readyz`.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Start a server with extra `serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
        // `serve` speaks HTTPS by default; most tests use plain HTTP on loopback.
        let tls = extra.contains(&"--tls");
        let plain: &[&str] = if tls { &[] } else { &["--plain-http"] };
        let child = Command::new(serve_bin())
            .arg("serve")
            .args(plain)
            .arg("--listen")
            .arg(&addr)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--disable-scheduled-import")
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut s = Server {
            url: format!("{}://{addr}", if tls { "https" } else { "http" }),
            dir,
            work,
            child,
        };
        s.wait_ready();
        s
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = if self.url.starts_with("https://") {
                self.kubeconfig().exists() && self.run(&["get", "ns", "-o", "name"]).code == 0
            } else {
                get_status(&format!("{}/readyz", self.url)).ok() == Some(200)
                    && self.kubeconfig().exists()
            };
            if ready {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("tagplane serve exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "server not ready: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server has the authentication endpoints (a SelfSubjectReview is not 404).
    pub fn serves_auth(&self) -> bool {
        self.http(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            Some("{}"),
        )
        .0 != 404
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// The admin kubeconfig written by the server.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("admin.kubeconfig")
    }

    /// `host:port` of the server.
    pub fn host(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    }

    /// Run `tagplane ARGS` with `KUBECONFIG` set to the admin kubeconfig.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[], None)
    }

    /// Run `tagplane ARGS` with extra environment and optional stdin.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
        let kubeconfig = self.kubeconfig();
        let mut env_all: Vec<(&str, &str)> = vec![("KUBECONFIG", kubeconfig.to_str().unwrap())];
        env_all.extend_from_slice(env);
        run_tagplane(args, &env_all, stdin)
    }

    /// Write `text` to a file in the work directory and return its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let p = self.work.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// Copy the admin kubeconfig into the work directory (for tests that change it).
    pub fn kubeconfig_copy(&self, name: &str) -> PathBuf {
        let p = self.work.path().join(name);
        std::fs::copy(self.kubeconfig(), &p).unwrap();
        p
    }

    /// The admin token (read from the kubeconfig).
    pub fn admin_token(&self) -> String {
        let text = std::fs::read_to_string(self.kubeconfig()).unwrap();
        text.lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// A blocking HTTP request with the admin token; returns (status, body).
    pub fn http(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        http(&self.url, method, path, body, Some(&self.admin_token()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `tagplane ARGS` with `env` (nothing inherited from a user's kubeconfig: `HOME` points
/// to an empty directory unless given).
pub fn run_tagplane(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The HTTP status of a blocking GET.
pub fn get_status(url: &str) -> std::io::Result<u16> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Ok(raw_http(addr, "GET", path, None, None)?.0)
}

/// A blocking HTTP/1.0 request to `base` (`http://host:port`).
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, String) {
    assert!(base.starts_with("http://"), "plain HTTP only: {base}");
    let addr = base.trim_start_matches("http://");
    raw_http(addr, method, path, body, token).unwrap()
}

fn raw_http(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req =
        format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: application/json\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((code, body))
}

/// Poll `probe` until it returns `Some`, failing after 30 s.
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `docker-registry` process on a free loopback port (plain HTTP); killed by PID on drop.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    child: Child,
    dir: tempfile::TempDir,
}

const REGISTRY_CONFIG: &str = "version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: @DIR@/storage}
  delete: {enabled: true}
http:
  addr: @ADDR@
";

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Registry {
    /// Start a registry; `None` (with a printed reason) when `docker-registry`, `skopeo` or
    /// `umoci` is missing.
    pub fn start() -> Option<Registry> {
        for p in ["docker-registry", "skopeo", "umoci"] {
            peer(p)?;
        }
        let dir = tempfile::tempdir().unwrap();
        let host = format!("127.0.0.1:{}", free_port());
        let config = REGISTRY_CONFIG
            .replace("@DIR@", &dir.path().display().to_string())
            .replace("@ADDR@", &host);
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut r = Registry { host, child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get_status(&format!("http://{}/v2/", r.host)).ok() != Some(200) {
            if let Ok(Some(status)) = r.child.try_wait() {
                panic!("docker-registry exited with {status}");
            }
            assert!(Instant::now() < deadline, "registry not ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(r)
    }

    /// Build a one-layer image with `umoci` holding `/etc/hello.txt` = `content` and push it
    /// to `<host>/<repo>:<tag>` with `skopeo`; returns the manifest digest.
    pub fn push(&self, repo: &str, tag: &str, content: &str) -> String {
        static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = self.dir.path().join(format!("build-{n}"));
        let layout = t.join("oci");
        let image = format!("{}:{tag}", layout.display());
        let rootfs = t.join("rootfs");
        std::fs::create_dir_all(&rootfs).unwrap();
        std::fs::write(rootfs.join("hello.txt"), content).unwrap();
        run_ok(
            Command::new("umoci")
                .arg("init")
                .arg("--layout")
                .arg(&layout),
        );
        run_ok(Command::new("umoci").args(["new", "--image", &image]));
        run_ok(
            Command::new("umoci")
                .args(["insert", "--image", &image])
                .arg(rootfs.join("hello.txt"))
                .arg("/etc/hello.txt"),
        );
        run_ok(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--config.cmd",
            "/bin/hello",
        ]));
        let dest = format!("docker://{}/{repo}:{tag}", self.host);
        run_ok(
            Command::new("skopeo")
                .args(["copy", "-q", "--dest-tls-verify=false"])
                .arg(format!("oci:{image}"))
                .arg(&dest),
        );
        let out = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(&dest)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// The registry's data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A real Debian `docker-registry` (CNCF Distribution 2.8.2) on a free loopback port, in one of
//! four modes: plain HTTP, htpasswd Basic auth, TLS with a test CA, and Bearer tokens from
//! [`TokenServer`]. Config written from a template into a temp dir; readiness by polling
//! `/v2/`; stopped by PID on drop. Images are pushed with `skopeo`.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use tagplane_api::meta::ObjectMeta;
use tagplane_api::reference::ImageReference;
use tagplane_distribution::{Keyring, RegistryClient, RegistrySettings};
use tempfile::TempDir;

use crate::images::{Layout, run};
use crate::token_server::{ISSUER, SERVICE, TokenServer};

/// The user the authenticated modes accept.
pub const USER: &str = "alice";
/// Its password.
pub const PASSWORD: &str = "s3cret";

/// How the registry is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Plain HTTP, anonymous read/write.
    Plain,
    /// Plain HTTP with htpasswd Basic auth.
    Htpasswd,
    /// HTTPS with a certificate from a test CA; anonymous.
    Tls,
    /// Plain HTTP with Bearer tokens from a token server.
    Token,
}

/// A running registry.
pub struct Registry {
    /// The mode it runs in.
    pub mode: Mode,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// PEM of the CA that signed the TLS certificate ([`Mode::Tls`]).
    pub ca_pem: Option<Vec<u8>>,
    /// The token server ([`Mode::Token`]).
    pub token: Option<TokenServer>,
    _dir: TempDir,
    log: PathBuf,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Whether something on `addr` answers an HTTP request (a TLS listener answers plain HTTP
/// with a 400, which counts: it is serving).
fn answers_http(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 5];
    s.read_exact(&mut buf).is_ok() && &buf == b"HTTP/"
}

fn write_tls_files(dir: &Path) -> Vec<u8> {
    let p = |name: &str| dir.join(name);
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=tagplane test CA",
        ])
        .arg("-keyout")
        .arg(p("ca-key.pem"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(p("key.pem"))
        .arg("-out")
        .arg(p("server.csr")));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca-key.pem"))
        .arg("-extfile")
        .arg(p("ext.cnf"))
        .arg("-out")
        .arg(p("cert.pem")));
    std::fs::read(p("ca.pem")).unwrap()
}

impl Registry {
    /// Start a registry in `mode`; panics (with the registry's log) if it does not come up.
    pub fn start(mode: Mode) -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path().display().to_string();
        let mut extra = String::new();
        let mut tls = String::new();
        let mut ca_pem = None;
        let mut token = None;
        match mode {
            Mode::Plain => {}
            Mode::Htpasswd => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", USER, PASSWORD])
                    .output()
                    .expect("run htpasswd");
                assert!(out.status.success(), "htpasswd failed");
                std::fs::write(dir.path().join("htpasswd"), out.stdout).unwrap();
                extra = format!("auth:\n  htpasswd: {{realm: basic-realm, path: {d}/htpasswd}}\n");
            }
            Mode::Tls => {
                ca_pem = Some(write_tls_files(dir.path()));
                tls = format!("  tls: {{certificate: {d}/cert.pem, key: {d}/key.pem}}\n");
            }
            Mode::Token => {
                let server = TokenServer::start(USER, PASSWORD);
                std::fs::write(dir.path().join("tok-cert.pem"), &server.cert_pem).unwrap();
                extra = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: \
                     {ISSUER}\n    rootcertbundle: {d}/tok-cert.pem\n",
                    server.realm
                );
                token = Some(server);
            }
        }
        let log = dir.path().join("registry.log");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let config = format!(
                "version: 0.1\nlog: {{level: info}}\nstorage:\n  filesystem: {{rootdirectory: \
                 {d}/storage}}\n  delete: {{enabled: true}}\n  cache: {{blobdescriptor: \
                 inmemory}}\nhttp:\n  addr: {host}\n  headers: {{X-Content-Type-Options: \
                 [nosniff]}}\n{tls}{extra}"
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log_file = std::fs::File::create(&log).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .expect("start docker-registry");
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if answers_http(&host) {
                    return Registry {
                        mode,
                        host,
                        ca_pem,
                        token,
                        _dir: dir,
                        log,
                        child: Some(child),
                    };
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "docker-registry exited with {status}: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = format!(
                        "docker-registry not ready after 20 s: {}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("could not start docker-registry in {mode:?} mode: {last_error}");
    }

    /// Stop the registry (SIGKILL to its PID) and wait for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the registry is reached over plain HTTP (so imports need the insecure flag).
    pub fn insecure(&self) -> bool {
        self.mode != Mode::Tls
    }

    /// Settings that make the client trust this registry's CA.
    pub fn settings(&self) -> RegistrySettings {
        RegistrySettings {
            insecure: false,
            ca_pem: self.ca_pem.iter().cloned().collect(),
        }
    }

    /// A client configured for this registry (its CA trusted).
    pub fn client(&self) -> RegistryClient {
        RegistryClient::builder()
            .registry(&self.host, self.settings())
            .build()
            .expect("client")
    }

    /// `127.0.0.1:PORT/<rest>` parsed.
    pub fn reference(&self, rest: &str) -> ImageReference {
        ImageReference::parse(&format!("{}/{rest}", self.host)).expect("reference")
    }

    /// A `kubernetes.io/dockerconfigjson` pull secret for this registry.
    pub fn secret(&self, name: &str, user: &str, password: &str) -> Secret {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let body = serde_json::json!({"auths": {self.host.clone(): {"auth": auth}}}).to_string();
        Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some("test".to_owned()),
                ..Default::default()
            },
            type_: Some("kubernetes.io/dockerconfigjson".to_owned()),
            data: Some(BTreeMap::from([(
                ".dockerconfigjson".to_owned(),
                ByteString(body.into_bytes()),
            )])),
            ..Default::default()
        }
    }

    /// A keyring holding the right credentials for this registry.
    pub fn keyring(&self) -> Keyring {
        Keyring::from_secrets(&[self.secret("pull", USER, PASSWORD)])
    }

    fn skopeo_dest_args(&self, cmd: &mut Command) {
        cmd.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        if matches!(self.mode, Mode::Htpasswd | Mode::Token) {
            cmd.arg(format!("--dest-creds={USER}:{PASSWORD}"));
        }
    }

    /// Push `layout:tag` to `<host>/<dest>` with skopeo (single image, kept as is).
    pub fn push(&self, layout: &Layout, tag: &str, dest: &str) {
        let mut cmd = Command::new("skopeo");
        self.skopeo_dest_args(&mut cmd);
        cmd.arg("--preserve-digests")
            .arg(format!("oci:{}:{tag}", layout.path.display()))
            .arg(format!("docker://{}/{dest}", self.host));
        run(&mut cmd);
    }

    /// Push `layout:tag` with every image of an index (`--all`), optionally converting the
    /// format (`v2s2` turns an OCI index into a Docker manifest list).
    pub fn push_all(&self, layout: &Layout, tag: &str, dest: &str, format: Option<&str>) {
        let mut cmd = Command::new("skopeo");
        self.skopeo_dest_args(&mut cmd);
        cmd.arg("--all");
        if let Some(f) = format {
            cmd.args(["-f", f]);
        } else {
            cmd.arg("--preserve-digests");
        }
        cmd.arg(format!("oci:{}:{tag}", layout.path.display()))
            .arg(format!("docker://{}/{dest}", self.host));
        run(&mut cmd);
    }

    /// The raw manifest skopeo reads for `<host>/<reference>` (an independent client).
    pub fn inspect_raw(&self, reference: &str) -> Vec<u8> {
        let mut cmd = Command::new("skopeo");
        cmd.args([
            "--insecure-policy",
            "inspect",
            "--raw",
            "--tls-verify=false",
        ]);
        if matches!(self.mode, Mode::Htpasswd | Mode::Token) {
            cmd.arg(format!("--creds={USER}:{PASSWORD}"));
        }
        cmd.arg(format!("docker://{}/{reference}", self.host));
        run(&mut cmd)
    }

    /// How many requests the registry's access log shows whose request line starts with
    /// `<method> <path_prefix>`.
    pub fn logged_requests(&self, method: &str, path_prefix: &str) -> usize {
        let needle = format!("\"{method} {path_prefix}");
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&needle))
            .count()
    }

    /// Wait (polling the access log, at most 10 s) until it shows at least `n` such requests.
    pub fn wait_for_logged(&self, method: &str, path_prefix: &str, n: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = self.logged_requests(method, path_prefix);
            if seen >= n || Instant::now() > deadline {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

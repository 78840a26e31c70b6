//! Start a real tagplane server on a free loopback port with a temporary data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tagplane_server::auth::authn::AccessConfig;
use tagplane_server::controllers::ControllerConfig;
use tagplane_server::serve::{ServeConfig, StoreConfig};
use tagplane_server::service::ServiceConfig;
use tagplane_server::service::imports::{Importer, UnconfiguredImporter};

/// The admin token of every test server (`system:admin`, cluster-admin): the bootstrap token
/// the harness asks for when the data directory is new.
pub const ADMIN_TOKEN: &str = "sha256~tagplane-test-admin-token-0123456789abcdef";

/// A reqwest client that sends [`ADMIN_TOKEN`] with every request.
pub fn admin_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {ADMIN_TOKEN}")).unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A running server; stopped (gracefully) on drop.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The data directory (kubeconfig lives here).
    pub dir: tempfile::TempDir,
    /// The generated CA (PEM) of a TLS server.
    pub ca_pem: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Start a server with default settings.
    pub fn start() -> Server {
        Self::start_with(ServiceConfig::default())
    }

    /// Start a server with `service` settings.
    pub fn start_with(service: ServiceConfig) -> Server {
        Self::start_in_with(tempfile::tempdir().unwrap(), service)
    }

    /// Start a server with default settings on an existing data directory (for example the one
    /// [`Server::into_dir`] handed back), so the store and the admin credential are reused.
    pub fn start_in(dir: tempfile::TempDir) -> Server {
        Self::start_in_with(dir, ServiceConfig::default())
    }

    /// Start a server with `service` settings on the data directory `dir`.
    pub fn start_in_with(dir: tempfile::TempDir, service: ServiceConfig) -> Server {
        Self::start_full(dir, service, test_controllers(false))
    }

    /// Start a server that runs the import controllers (§14) with `controllers` settings
    /// (see [`test_controllers`]).
    pub fn start_with_controllers(controllers: ControllerConfig) -> Server {
        Self::start_full(
            tempfile::tempdir().unwrap(),
            ServiceConfig::default(),
            controllers,
        )
    }

    /// Start a server with every setting given, on the data directory `dir`, with the
    /// "importer not configured" importer that existing tests rely on.
    pub fn start_full(
        dir: tempfile::TempDir,
        service: ServiceConfig,
        controllers: ControllerConfig,
    ) -> Server {
        Self::start_with_importer(
            dir,
            service,
            controllers,
            Some(Arc::new(UnconfiguredImporter)),
        )
    }

    /// Start a server whose ImageStreamImports talk to real registries (the default importer
    /// of `tagplane serve`).
    pub fn start_with_registry_importer() -> Server {
        Self::start_with_importer(
            tempfile::tempdir().unwrap(),
            ServiceConfig::default(),
            test_controllers(false),
            None,
        )
    }

    /// Start a server whose import controllers (§14) run with `controllers` settings and whose
    /// ImageStreamImports talk to real registries.
    pub fn start_with_controllers_and_registry_importer(controllers: ControllerConfig) -> Server {
        Self::start_with_importer(
            tempfile::tempdir().unwrap(),
            ServiceConfig::default(),
            controllers,
            None,
        )
    }

    /// Start a server with every setting given; `importer: None` is the registry importer.
    pub fn start_with_importer(
        dir: tempfile::TempDir,
        service: ServiceConfig,
        controllers: ControllerConfig,
        importer: Option<Arc<dyn Importer>>,
    ) -> Server {
        Self::start_custom(dir, |c| {
            c.service = service;
            c.controllers = controllers;
            c.importer = importer;
        })
    }

    /// Start a server serving HTTPS on loopback (`--tls`) with a generated CA; kubectl sends
    /// bearer tokens over HTTPS only.
    pub fn start_tls() -> Server {
        Self::start_custom(tempfile::tempdir().unwrap(), |c| c.tls.enabled = true)
    }

    /// Start a server with test defaults changed by `f` (settings, TLS, identity file).
    pub fn start_custom(dir: tempfile::TempDir, f: impl FnOnce(&mut ServeConfig)) -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        drop(listener);
        let mut config = ServeConfig {
            listen: addr,
            data_dir: dir.path().to_owned(),
            store: StoreConfig::Redb,
            service: ServiceConfig::default(),
            history_retention: 100_000,
            controllers: test_controllers(false),
            importer: Some(Arc::new(UnconfiguredImporter)),
            access: AccessConfig {
                bootstrap_admin_token: Some(ADMIN_TOKEN.to_owned()),
                ..Default::default()
            },
            tls: Default::default(),
        };
        f(&mut config);
        let tls = config.tls.wanted(&addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let shutdown = async move {
                    let _ = stopped.await;
                };
                if let Err(e) = tagplane_server::serve::serve(config, shutdown).await {
                    panic!("serve failed: {e}");
                }
            });
        });
        let url = if tls {
            format!("https://{addr}")
        } else {
            format!("http://{addr}")
        };
        let ca_path = dir.path().join("tls").join("ca.crt");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if ready(addr, tls.then_some(ca_path.as_path())) {
                break;
            }
            if handle.is_finished() {
                match handle.join() {
                    Err(panic) => std::panic::resume_unwind(panic),
                    Ok(()) => panic!("the server stopped before it became ready"),
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server did not become ready"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let ca_pem = tls.then(|| std::fs::read_to_string(&ca_path).unwrap());
        Server {
            url,
            ca_pem,
            dir,
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    /// A client that sends the admin token and trusts this server's CA.
    pub fn client(&self) -> reqwest::Client {
        self.client_with_token(Some(ADMIN_TOKEN))
    }

    /// A client that trusts this server's CA and sends `token` (if any).
    pub fn client_with_token(&self, token: Option<&str>) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(t) = token {
            headers.insert(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
            );
        }
        let mut b = reqwest::Client::builder().default_headers(headers);
        if let Some(pem) = &self.ca_pem {
            b = b.tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()]);
        }
        b.build().unwrap()
    }

    /// Path of the admin kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("admin.kubeconfig")
    }
}

/// Whether the server on `addr` answers `GET /readyz` with 200 (over TLS trusting the CA in
/// `ca`, once the server has written it).
fn ready(addr: SocketAddr, ca: Option<&std::path::Path>) -> bool {
    let Some(ca) = ca else {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return false;
        };
        let _ = s.write_all(b"GET /readyz HTTP/1.0\r\n\r\n");
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        return buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200");
    };
    let Ok(pem) = std::fs::read(ca) else {
        return false;
    };
    let Ok(cert) = reqwest::Certificate::from_pem(&pem) else {
        return false;
    };
    let url = format!("https://{addr}/readyz");
    // A thread of its own: the caller may be inside a runtime already.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let Ok(c) = reqwest::Client::builder()
                    .tls_certs_only([cert])
                    .timeout(Duration::from_secs(5))
                    .build()
                else {
                    return false;
                };
                c.get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            })
    })
    .join()
    .unwrap_or(false)
}

/// Controller settings for tests: a 1 s scheduled-import interval, no per-minute cap, a 2 s
/// leader lease. `enabled` says whether the controllers run at all; the servers of tests that
/// are not about controllers run without them, so no background import races their writes.
pub fn test_controllers(enabled: bool) -> ControllerConfig {
    ControllerConfig {
        enabled,
        import_interval: Duration::from_secs(1),
        max_scheduled_per_minute: 0,
        disable_scheduled_import: false,
        workers: 4,
        lease_ttl: Duration::from_secs(2),
    }
}

impl Server {
    /// Stop the server gracefully (as dropping it does) and wait until `serve` has returned,
    /// which closes the store.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(h) = self.handle.take()
            && let Err(panic) = h.join()
            && !std::thread::panicking()
        {
            std::panic::resume_unwind(panic);
        }
    }

    /// Stop the server gracefully and hand back its data directory, kept on disk.
    pub fn into_dir(mut self) -> tempfile::TempDir {
        self.stop();
        // `Server` implements Drop, so the directory is swapped out rather than moved.
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a required peer binary is present; fails under `TAGPLANE_REQUIRE_PEERS=1`.
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

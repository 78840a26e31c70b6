//! `tagplane serve`: open the store, bootstrap, write the admin kubeconfig, and serve HTTP until
//! SIGTERM/SIGINT, letting in-flight requests finish and closing the store cleanly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tagplane_store::AnyStore;
use tagplane_store::redb::{RedbOptions, RedbStore};

use crate::controllers::ControllerConfig;
use crate::objects::{Objects, SystemClock};
use crate::service::registry_importer::RegistryImporter;
use crate::service::{Service, ServiceConfig};

/// Which store to use.
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// `<data-dir>/store.redb`.
    Redb,
    /// An etcd cluster.
    #[cfg(feature = "etcd")]
    Etcd(tagplane_store::etcd::EtcdOptions),
}

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Listen address (loopback only until TLS lands).
    pub listen: SocketAddr,
    /// Data directory (store file, admin kubeconfig).
    pub data_dir: PathBuf,
    /// The store.
    pub store: StoreConfig,
    /// Service settings.
    pub service: ServiceConfig,
    /// Revisions of history the embedded store keeps for watches and paged lists.
    pub history_retention: u64,
    /// The import controllers (§14.1, §14.2).
    pub controllers: ControllerConfig,
    /// The ImageStreamImport importer; `None` = a [`RegistryImporter`] with default client
    /// settings and the default bulk limit (50).
    pub importer: Option<Arc<dyn crate::service::imports::Importer>>,
}

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listen address is not allowed.
    #[error("{0}")]
    Listen(String),
    /// The data directory or a file in it could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] tagplane_store::StoreError),
    /// Bootstrap failed.
    #[error("bootstrap: {0}")]
    Bootstrap(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServeError + '_ {
    move |source| ServeError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A random 32-byte token, hex-encoded.
fn new_token() -> String {
    let mut b = [0u8; 32];
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Create the admin credential on first start: the token goes only into the kubeconfig (mode
/// 0600); the data directory keeps its SHA-256.
fn bootstrap_admin(data_dir: &Path, server_url: &str) -> Result<PathBuf, ServeError> {
    let kubeconfig = data_dir.join("admin.kubeconfig");
    let hash_file = data_dir.join("admin.token.sha256");
    if kubeconfig.exists() && hash_file.exists() {
        // Keep the token; refresh the server URL in case --listen changed.
        let text = std::fs::read_to_string(&kubeconfig).map_err(io(&kubeconfig))?;
        let token = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap_or("")
            .to_owned();
        write_kubeconfig(&kubeconfig, server_url, &token)?;
        return Ok(kubeconfig);
    }
    let token = new_token();
    let hash: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    std::fs::write(&hash_file, format!("{hash}\n")).map_err(io(&hash_file))?;
    write_kubeconfig(&kubeconfig, server_url, &token)?;
    Ok(kubeconfig)
}

fn write_kubeconfig(path: &Path, server_url: &str, token: &str) -> Result<(), ServeError> {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: tagplane\n  cluster:\n    server: {server_url}\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: admin@tagplane\n  context:\n    cluster: tagplane\n    user: admin\n    namespace: default\ncurrent-context: admin@tagplane\n"
    );
    std::fs::write(path, text).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
    }
    Ok(())
}

/// etcd options for endpoints and a key prefix (no TLS, no auth).
#[cfg(feature = "etcd")]
pub fn etcd_options(endpoints: &[String], prefix: &str) -> tagplane_store::etcd::EtcdOptions {
    tagplane_store::etcd::EtcdOptions {
        endpoints: endpoints.to_vec(),
        prefix: prefix.to_owned(),
        ..Default::default()
    }
}

/// Open the configured store.
pub async fn open_store(config: &ServeConfig) -> Result<AnyStore, ServeError> {
    match &config.store {
        StoreConfig::Redb => {
            let path = config.data_dir.join("store.redb");
            Ok(AnyStore::Redb(RedbStore::open(
                &path,
                RedbOptions::default(),
            )?))
        }
        #[cfg(feature = "etcd")]
        StoreConfig::Etcd(opts) => Ok(AnyStore::Etcd(
            tagplane_store::etcd::EtcdStore::connect(opts.clone()).await?,
        )),
    }
}

/// Build the service over an open store and bootstrap the `default` namespace.
pub async fn build_service(
    store: AnyStore,
    config: ServiceConfig,
) -> Result<Arc<Service>, ServeError> {
    build_service_with_importer(
        store,
        config,
        Arc::new(crate::service::imports::UnconfiguredImporter),
    )
    .await
}

/// [`build_service`] with `importer` answering ImageStreamImport (§10).
pub async fn build_service_with_importer(
    store: AnyStore,
    config: ServiceConfig,
    importer: Arc<dyn crate::service::imports::Importer>,
) -> Result<Arc<Service>, ServeError> {
    let objects = Objects {
        store,
        clock: Arc::new(SystemClock),
    };
    let service = Arc::new(Service::new(objects, config).with_importer(importer));
    service
        .reconcile_bootstrap_rbac()
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    service
        .ensure_namespace("default")
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    Ok(service)
}

/// The importer `config` asks for (a registry importer unless one is given).
fn importer_of(
    config: &ServeConfig,
) -> Result<Arc<dyn crate::service::imports::Importer>, ServeError> {
    match &config.importer {
        Some(importer) => Ok(importer.clone()),
        None => RegistryImporter::with_defaults()
            .map(|i| Arc::new(i) as Arc<dyn crate::service::imports::Importer>)
            .map_err(|e| ServeError::Bootstrap(format!("registry client: {e}"))),
    }
}

/// Run the server until `shutdown` resolves.
pub async fn serve(
    config: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if !config.listen.ip().is_loopback() {
        return Err(ServeError::Listen(format!(
            "--listen {}: only loopback addresses are served until TLS and authentication land; use 127.0.0.1 or [::1]",
            config.listen
        )));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(io(&config.data_dir))?;
    let store = open_store(&config).await?;
    let importer = importer_of(&config)?;
    let service =
        build_service_with_importer(store.clone(), config.service.clone(), importer).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Listen(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(e.to_string()))?;
    let url = format!("http://{addr}");
    let kubeconfig = bootstrap_admin(&config.data_dir, &url)?;
    tracing::info!(%url, kubeconfig = %kubeconfig.display(), "tagplane is serving");
    let controllers = config
        .controllers
        .enabled
        .then(|| crate::controllers::start(service.clone(), config.controllers.clone()));
    let app = crate::http::router(service.clone());
    let stopping = service.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutdown requested: finishing in-flight requests");
        stopping.begin_shutdown();
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    // The controllers hold the store too: stop them before closing it.
    service.begin_shutdown();
    if let Some(c) = controllers {
        c.stopped().await;
    }
    served.map_err(|e| ServeError::Listen(e.to_string()))?;
    tracing::info!("shutting down: closing the store");
    drop(service);
    tokio::task::spawn_blocking(move || store.close())
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    Ok(())
}

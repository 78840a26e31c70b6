//! `tagplane serve`: open the store, bootstrap, write the admin kubeconfig, and serve HTTP until
//! SIGTERM/SIGINT, letting in-flight requests finish and closing the store cleanly.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tagplane_store::AnyStore;
use tagplane_store::redb::{RedbOptions, RedbStore};

use crate::auth::UserInfo;
use crate::auth::authn::{Access, AccessConfig};
use crate::auth::tls::{self, TlsConfig};
use crate::auth::tokens::{new_token, token_hash};
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
    /// Listen address (HTTPS only unless it is loopback).
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
    /// Authentication: identity file, token lifetime, bootstrap admin token.
    pub access: AccessConfig,
    /// HTTPS settings (always HTTPS off loopback).
    pub tls: TlsConfig,
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
    /// The authentication settings are unusable (identity file, TLS files).
    #[error("{0}")]
    Access(String),
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

/// The bootstrap administrator: cluster-admin through `system:masters`.
pub fn admin_user() -> UserInfo {
    UserInfo {
        name: "system:admin".into(),
        uid: String::new(),
        groups: vec!["system:masters".into(), "system:authenticated".into()],
    }
}

/// Create the admin credential on first start: the token goes only into the kubeconfig (mode
/// 0600) and the store keeps its SHA-256 (as every token), as does `admin.token.sha256`. Later
/// starts keep the token while it is valid; a token that was revoked (or whose record is gone,
/// e.g. swept after revocation, or a new store) is replaced by a new one, so revoking a leaked
/// admin token is never undone by a restart.
async fn bootstrap_admin(
    service: &Service,
    data_dir: &Path,
    server_url: &str,
    ca_pem: Option<&str>,
    fixed_token: Option<&str>,
) -> Result<PathBuf, ServeError> {
    let kubeconfig = data_dir.join("admin.kubeconfig");
    let hash_file = data_dir.join("admin.token.sha256");
    let mut token = String::new();
    if kubeconfig.exists() && hash_file.exists() {
        let text = std::fs::read_to_string(&kubeconfig).map_err(io(&kubeconfig))?;
        token = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap_or("")
            .to_owned();
    }
    let valid = !token.is_empty()
        && service
            .authenticate_token(&token)
            .await
            .map_err(|e| ServeError::Bootstrap(e.to_string()))?
            .is_some();
    if !valid {
        token = if token.is_empty() {
            fixed_token.map_or_else(new_token, str::to_owned)
        } else {
            tracing::warn!(
                kubeconfig = %kubeconfig.display(),
                "the admin token was revoked or is unknown to the store: issuing a new one"
            );
            new_token()
        };
        service
            .store_token(&token, &admin_user(), None, None)
            .await
            .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    }
    let hash = token_hash(&token);
    std::fs::write(&hash_file, format!("{hash}\n")).map_err(io(&hash_file))?;
    // Refresh the server URL in case --listen changed.
    write_kubeconfig(&kubeconfig, server_url, ca_pem, &token)?;
    Ok(kubeconfig)
}

fn write_kubeconfig(
    path: &Path,
    server_url: &str,
    ca_pem: Option<&str>,
    token: &str,
) -> Result<(), ServeError> {
    use base64::Engine;
    let ca = ca_pem.map_or_else(String::new, |pem| {
        format!(
            "    certificate-authority-data: {}\n",
            base64::engine::general_purpose::STANDARD.encode(pem)
        )
    });
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: tagplane\n  cluster:\n{ca}    server: {server_url}\nusers:\n- name: admin\n  user:\n    token: {token}\ncontexts:\n- name: admin@tagplane\n  context:\n    cluster: tagplane\n    user: admin\n    namespace: default\ncurrent-context: admin@tagplane\n"
    );
    crate::private_fs::write_private(path, text.as_bytes()).map_err(io(path))?;
    Ok(())
}

/// How often expired and revoked token records are deleted.
const TOKEN_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Delete dead token records at start and every [`TOKEN_SWEEP_INTERVAL`] until shutdown.
async fn sweep_tokens(service: Arc<Service>) {
    let mut stopping = service.shutdown.subscribe();
    loop {
        match service.sweep_tokens().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "expired and revoked tokens removed"),
            Err(e) => {
                tracing::warn!(error = %e.status.message.unwrap_or_default(), "token sweep failed")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TOKEN_SWEEP_INTERVAL) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
    }
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
            let store = RedbStore::open(&path, RedbOptions::default())?;
            // The store holds Secret data (registry passwords): owner-only.
            crate::private_fs::restrict(&path).map_err(io(&path))?;
            Ok(AnyStore::Redb(store))
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
    build_service_with_access(store, config, importer, Access::default()).await
}

/// [`build_service_with_importer`] with authentication settings `access`.
pub async fn build_service_with_access(
    store: AnyStore,
    config: ServiceConfig,
    importer: Arc<dyn crate::service::imports::Importer>,
    access: Access,
) -> Result<Arc<Service>, ServeError> {
    let objects = Objects {
        store,
        clock: Arc::new(SystemClock),
    };
    let service = Arc::new(
        Service::new(objects, config)
            .with_importer(importer)
            .with_access(access),
    );
    service
        .reconcile_bootstrap_rbac()
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    service
        .ensure_namespace("default")
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    // Data directories from before service accounts existed get them too.
    service
        .ensure_default_service_accounts("default")
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
    crate::private_fs::create_private_dir(&config.data_dir).map_err(io(&config.data_dir))?;
    let store = open_store(&config).await?;
    let importer = importer_of(&config)?;
    let access = config.access.build().map_err(ServeError::Access)?;
    let service =
        build_service_with_access(store.clone(), config.service.clone(), importer, access).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Listen(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(e.to_string()))?;
    let tls = if config.tls.wanted(&addr) {
        Some(tls::material(&config.tls, &config.data_dir, &addr).map_err(ServeError::Access)?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}:{}", tls::url_host(addr.ip()), addr.port());
    let ca_pem = tls.as_ref().and_then(|t| t.ca_pem.clone());
    let kubeconfig = bootstrap_admin(
        &service,
        &config.data_dir,
        &url,
        ca_pem.as_deref(),
        config.access.bootstrap_admin_token.as_deref(),
    )
    .await?;
    tracing::info!(%url, kubeconfig = %kubeconfig.display(), "tagplane is serving");
    let sweeper = tokio::spawn(sweep_tokens(service.clone()));
    let controllers = config
        .controllers
        .enabled
        .then(|| crate::controllers::start(service.clone(), config.controllers.clone()));
    let app = crate::http::router(service.clone());
    let app = match &config.access.audit_log {
        Some(path) => {
            let log =
                Arc::new(crate::auth::audit::AuditLog::open(path).map_err(ServeError::Access)?);
            // Outermost, so it sees every answer, including authentication failures.
            app.layer(axum::middleware::from_fn_with_state(
                log,
                crate::auth::audit::audit,
            ))
        }
        None => app,
    };
    let stopping = service.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutdown requested: finishing in-flight requests");
        stopping.begin_shutdown();
    };
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        Some(tls) => {
            use axum::serve::ListenerExt;
            let listener = tls::TlsListener::new(listener, tls.server_config)
                .map_err(|e| ServeError::Listen(e.to_string()))?
                .tap_io(|_| {});
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    // The controllers hold the store too: stop them before closing it.
    service.begin_shutdown();
    if let Some(c) = controllers {
        c.stopped().await;
    }
    let _ = sweeper.await;
    served.map_err(|e| ServeError::Listen(e.to_string()))?;
    tracing::info!("shutting down: closing the store");
    drop(service);
    tokio::task::spawn_blocking(move || store.close())
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    Ok(())
}

//! `tagplane serve`: the server's command-line flags and how they become a [`ServeConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use tagplane_server::controllers::{ControllerConfig, parse_interval};
use tagplane_server::serve::{ServeConfig, StoreConfig};
use tagplane_server::service::ServiceConfig;
use tagplane_server::service::registry_importer::{
    ImporterOptions, RegistryImporter, RegistrySources,
};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StoreKind {
    /// Embedded redb file in the data directory.
    Redb,
    /// An etcd cluster (needs a build with the `etcd` feature).
    Etcd,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback is served over HTTPS only.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: SocketAddr,
    /// Directory for the store and the admin kubeconfig.
    #[arg(long, default_value = "tagplane-data")]
    pub data_dir: PathBuf,
    /// Store backend.
    #[arg(long, value_enum, default_value = "redb")]
    pub store: StoreKind,
    /// etcd endpoints, comma-separated (with --store etcd).
    #[arg(long, value_delimiter = ',')]
    pub etcd_endpoints: Vec<String>,
    /// Key prefix in etcd.
    #[arg(long, default_value = "/tagplane")]
    pub etcd_prefix: String,
    /// Internal hostname of the integrated registry (feeds status.dockerImageRepository).
    #[arg(long)]
    pub registry_hostname: Option<String>,
    /// Public hostname of the integrated registry (feeds status.publicDockerImageRepository).
    #[arg(long)]
    pub public_registry_hostname: Option<String>,
    /// Most tags one repository import brings in (`maxImagesBulkImportedPerRepository`, spec
    /// §10.6); -1 means unlimited.
    #[arg(long, default_value_t = 50, allow_negative_numbers = true)]
    pub max_images_bulk_imported_per_repository: i64,
    /// Registries images may be imported from (glob, optional `:port`), repeatable; when none is
    /// given, every registry is allowed (spec §3.6).
    #[arg(long = "allowed-registry", value_name = "DOMAIN")]
    pub allowed_registries: Vec<String>,
    /// Like --allowed-registry, for registries reached over plain HTTP or unverified TLS.
    #[arg(long = "allowed-insecure-registry", value_name = "DOMAIN")]
    pub allowed_insecure_registries: Vec<String>,
    /// Request budget per remote registry, shared by every import (token bucket, burst 2×);
    /// 0 = unlimited. Be kind to public registries.
    #[arg(long, default_value_t = 20.0)]
    pub registry_requests_per_second: f64,
    /// Requests in flight per remote registry.
    #[arg(long, default_value_t = 8)]
    pub registry_max_concurrent_requests: usize,
    /// Extra CA certificate (PEM file) trusted when importing from registries, repeatable.
    #[arg(long = "registry-ca", value_name = "FILE")]
    pub registry_cas: Vec<PathBuf>,
    /// Pull-through mirror for imports, `SOURCE=MIRROR`, repeatable (spec §11.2). SOURCE is a
    /// registry (`docker.io`) or a registry/repository prefix (`quay.io/team`); the longest
    /// matching prefix applies, its mirrors are tried in the order given, then the source.
    #[arg(long = "registry-mirror", value_name = "SOURCE=MIRROR", value_parser = parse_mirror)]
    pub registry_mirrors: Vec<(String, String)>,
    /// Registry images must not be imported from (`host[:port]` or `*.domain`), repeatable;
    /// its images are still imported through a mirror when one is configured (spec §11.2).
    #[arg(long = "blocked-registry", value_name = "HOST")]
    pub blocked_registries: Vec<String>,
    /// Registry reached over plain HTTP or unverified TLS for every import, as if each import
    /// asked for `importPolicy.insecure` (`host[:port]` or `*.domain`), repeatable (spec §11.2).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registries: Vec<String>,
    /// Revisions of change history the embedded store keeps for watch resumption and paged
    /// lists; older history is compacted (watches from before it get 410 Gone).
    #[arg(long, default_value_t = 100_000)]
    pub history_retention: u64,
    /// Minimum interval between scheduled re-imports of a stream's scheduled tags, e.g. `15m`,
    /// `30s`, `1h`.
    #[arg(long, default_value = "15m", value_parser = parse_interval)]
    pub scheduled_import_interval: Duration,
    /// Most scheduled re-imports per minute across all streams; 0 or less means unlimited.
    #[arg(long, default_value_t = 60, allow_negative_numbers = true)]
    pub max_scheduled_imports_per_minute: i64,
    /// Do not re-import scheduled tags periodically (tags are still imported when they change).
    #[arg(long)]
    pub disable_scheduled_import: bool,
    /// Users who may `tagplane login`: lines `name:bcrypt-hash[:group1,group2]` (what
    /// `htpasswd -B` writes, plus optional groups); re-read when the file changes.
    #[arg(long, value_name = "FILE")]
    pub identity_file: Option<PathBuf>,
    /// Lifetime of the tokens `POST /auth/login` issues, e.g. `24h`, `30m`.
    #[arg(long, default_value = "24h", value_parser = parse_interval)]
    pub token_ttl: Duration,
    /// Serve HTTPS (the default; accepted for scripts that pass it).
    #[arg(long, conflicts_with = "plain_http")]
    pub tls: bool,
    /// Serve plain HTTP instead of HTTPS; loopback listeners only. kubectl sends no bearer
    /// token over plain HTTP, so this suits `tagplane`, curl and scripts, not kubectl.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub plain_http: bool,
    /// PEM certificate (chain) to serve; without it a CA and a serving certificate are
    /// generated into `<data-dir>/tls/` on first start.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Write one JSON line per request (time, user, verb, resource, namespace, name, code) to
    /// FILE, or to stderr for `-`. Tokens, passwords and bodies are never written.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Extra DNS name or IP address of the generated serving certificate, repeatable.
    #[arg(long = "tls-san", value_name = "NAME")]
    pub tls_sans: Vec<String>,
}

fn parse_mirror(flag: &str) -> Result<(String, String), String> {
    RegistrySources::parse_mirror_flag(flag).map_err(|e| e.to_string())
}

/// The §11.2 registry configuration the flags describe.
fn registry_sources(args: &ServeArgs) -> anyhow::Result<RegistrySources> {
    let mut sources = RegistrySources::new();
    for (source, mirror) in &args.registry_mirrors {
        sources
            .add_mirror(source, mirror)
            .map_err(|e| anyhow::anyhow!("--registry-mirror: {e}"))?;
    }
    for host in &args.blocked_registries {
        sources
            .block(host)
            .map_err(|e| anyhow::anyhow!("--blocked-registry: {e}"))?;
    }
    for host in &args.insecure_registries {
        sources
            .add_insecure(host)
            .map_err(|e| anyhow::anyhow!("--insecure-registry: {e}"))?;
    }
    Ok(sources)
}

fn store_config(args: &ServeArgs) -> anyhow::Result<StoreConfig> {
    match args.store {
        StoreKind::Redb => Ok(StoreConfig::Redb),
        #[cfg(feature = "etcd")]
        StoreKind::Etcd => {
            if args.etcd_endpoints.is_empty() {
                anyhow::bail!("--store etcd needs --etcd-endpoints http://HOST:PORT[,...]");
            }
            Ok(StoreConfig::Etcd(tagplane_server::serve::etcd_options(
                &args.etcd_endpoints,
                &args.etcd_prefix,
            )))
        }
        #[cfg(not(feature = "etcd"))]
        StoreKind::Etcd => {
            let _ = (&args.etcd_endpoints, &args.etcd_prefix);
            anyhow::bail!(
                "this tagplane was built without etcd support; rebuild with `--features etcd`"
            )
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    if args.plain_http && !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "--plain-http is only allowed on a loopback --listen address (got {}); drop it to serve HTTPS",
            args.listen
        );
    }
    let hosts = tagplane_server::service::registry_hostnames(
        args.registry_hostname.clone(),
        args.public_registry_hostname.clone(),
    );
    let mut service = ServiceConfig {
        hosts: hosts.clone(),
        ..Default::default()
    };
    // The integrated registry is always an allowed import source (spec §3.6).
    service.allow.internal_hostname = hosts.internal;
    if !args.allowed_registries.is_empty() || !args.allowed_insecure_registries.is_empty() {
        let entry = |insecure: bool| {
            move |d: &String| tagplane_api::validation::AllowedRegistry {
                domain_name: d.clone(),
                insecure,
            }
        };
        let mut entries: Vec<_> = args.allowed_registries.iter().map(entry(false)).collect();
        entries.extend(args.allowed_insecure_registries.iter().map(entry(true)));
        service.allow.entries = Some(entries);
    }
    let importer = RegistryImporter::from_options(&ImporterOptions {
        ca_files: args.registry_cas.clone(),
        requests_per_second: args.registry_requests_per_second,
        max_concurrent_requests: args.registry_max_concurrent_requests,
        bulk_limit: args.max_images_bulk_imported_per_repository,
        sources: registry_sources(&args)?,
    })?;
    let config = ServeConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        store: store_config(&args)?,
        service,
        history_retention: args.history_retention,
        controllers: ControllerConfig {
            import_interval: args.scheduled_import_interval,
            max_scheduled_per_minute: args.max_scheduled_imports_per_minute,
            disable_scheduled_import: args.disable_scheduled_import,
            ..Default::default()
        },
        importer: Some(std::sync::Arc::new(importer)),
        access: tagplane_server::auth::authn::AccessConfig {
            identity_file: args.identity_file.clone(),
            token_ttl: args.token_ttl,
            bootstrap_admin_token: None,
            audit_log: args.audit_log.clone(),
        },
        tls: tagplane_server::auth::tls::TlsConfig {
            enabled: args.tls || !args.plain_http,
            cert: args.tls_cert.clone(),
            key: args.tls_key.clone(),
            sans: args.tls_sans.clone(),
        },
    };
    tagplane_server::serve::serve(config, shutdown_signal()).await?;
    Ok(())
}

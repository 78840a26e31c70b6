//! [`RegistryClient`]: the HTTP side of talking to Distribution v2 registries (spec §11.3–11.4).
//!
//! One client is shared by every import. Per registry host it keeps the TLS settings, the result
//! of the last ping (which URL answered and which auth challenge it sent), a concurrency limit and
//! a request budget that all callers draw from, and the last `RateLimit-*` headers seen. Bearer
//! tokens are cached per registry, scope and credential until they expire.
//!
//! Every request has a timeout (the ping 15 s), redirects are bounded, `429` is retried after a
//! bounded `Retry-After`, and bodies are read with size caps. Credentials are sent only in
//! `Authorization` headers and never appear in errors or logs.

use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LINK, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use sha2::Digest as _;
use tagplane_api::reference::{ImageReference, is_tag, parse_digest};
use tagplane_core::manifest::{
    ACCEPTED_MANIFEST_MEDIA_TYPES, ManifestError, detect_media_type, is_schema1_type,
    parse_manifest, sha256_digest,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::auth::{AuthKind, Challenge, TokenKey, TokenResponse, pull_scope, select_challenge};
use crate::budget::{Budget, RateLimitInfo, parse_rate_limit, parse_retry_after, retry_after_429};
use crate::error::DistributionError;
use crate::keyring::{Credential, Keyring};

/// Timeout of the `GET /v2/` ping (spec §11.3).
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;
/// Largest image config blob accepted, in bytes.
pub const MAX_CONFIG_SIZE: u64 = 16 * 1024 * 1024;
/// Largest error, token or tag-list body read.
const MAX_SMALL_BODY: u64 = 1024 * 1024;
/// Largest tag-list page read.
const MAX_TAG_PAGE: u64 = 16 * 1024 * 1024;
/// Entries in the layer-size cache shared by all registries (spec §11.4).
const LAYER_SIZE_CACHE_ENTRIES: usize = 2048;

type Result<T, E = DistributionError> = std::result::Result<T, E>;

/// Tunables of a [`RegistryClient`]; the defaults suit production use.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Timeout of the `GET /v2/` ping.
    pub ping_timeout: Duration,
    /// Timeout of every other request, body included.
    pub request_timeout: Duration,
    /// Timeout for establishing a connection.
    pub connect_timeout: Duration,
    /// Requests in flight to one registry at a time, across all callers.
    pub max_concurrent_requests: usize,
    /// Sustained requests per second to one registry (0 = unlimited).
    pub requests_per_second: f64,
    /// Requests that may be sent at once before the rate applies.
    pub burst: u32,
    /// Retries after `429` or `502`/`503`/`504`.
    pub max_retries: u32,
    /// Longest `Retry-After` (or registry-wide pause) waited for; longer ones fail at once.
    pub max_retry_wait: Duration,
    /// Redirects followed per request.
    pub max_redirects: usize,
    /// Pages followed when listing tags.
    pub max_tag_pages: usize,
    /// How long a successful ping is reused.
    pub ping_cache_ttl: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ping_timeout: PING_TIMEOUT,
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_concurrent_requests: 8,
            requests_per_second: 20.0,
            burst: 40,
            max_retries: 2,
            max_retry_wait: Duration::from_secs(10),
            max_redirects: 10,
            max_tag_pages: 1000,
            ping_cache_ttl: Duration::from_secs(300),
            user_agent: concat!("tagplane/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Per-registry connection settings.
#[derive(Clone, Default)]
pub struct RegistrySettings {
    /// Allow unverified TLS and plain HTTP for this registry (spec §11.2).
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM, one or more per entry) besides the system roots.
    pub ca_pem: Vec<Vec<u8>>,
}

impl fmt::Debug for RegistrySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySettings")
            .field("insecure", &self.insecure)
            .field("ca_bundles", &self.ca_pem.len())
            .finish()
    }
}

/// The registry host a reference is fetched from: `docker.io` and its aliases become
/// `registry-1.docker.io`; hosts are lower-cased.
pub fn registry_host(registry: &str) -> String {
    let host = registry.to_ascii_lowercase();
    match host.as_str() {
        "" | "docker.io" | "index.docker.io" => "registry-1.docker.io".to_owned(),
        _ => host,
    }
}

/// Builds a [`RegistryClient`].
#[derive(Debug, Default)]
pub struct RegistryClientBuilder {
    config: ClientConfig,
    default_settings: RegistrySettings,
    registries: HashMap<String, RegistrySettings>,
}

impl RegistryClientBuilder {
    /// Replace the tunables.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Settings for registries without their own entry.
    pub fn default_settings(mut self, settings: RegistrySettings) -> Self {
        self.default_settings = settings;
        self
    }

    /// Settings for one registry host (`host[:port]`; `docker.io` means Docker Hub).
    pub fn registry(mut self, host: &str, settings: RegistrySettings) -> Self {
        self.registries.insert(registry_host(host), settings);
        self
    }

    /// Build the client; fails when a CA bundle is not valid PEM.
    pub fn build(self) -> Result<RegistryClient> {
        let verified = build_http_client(&self.config, Vec::new(), false)?;
        let unverified = build_http_client(&self.config, Vec::new(), true)?;
        // Validate every CA bundle now rather than at first use.
        for (host, settings) in std::iter::once((&"<default>".to_owned(), &self.default_settings))
            .chain(self.registries.iter())
        {
            parse_cas(host, settings)?;
        }
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                config: self.config,
                default_settings: self.default_settings,
                settings: self.registries,
                verified,
                unverified,
                registries: Mutex::new(HashMap::new()),
                tokens: Mutex::new(HashMap::new()),
                layer_sizes: Mutex::new(SizeCache::default()),
            }),
        })
    }
}

fn parse_cas(host: &str, settings: &RegistrySettings) -> Result<Vec<reqwest::Certificate>> {
    let mut out = Vec::new();
    for pem in &settings.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            DistributionError::Config(format!("CA bundle for registry {host}: {}", chain(&e)))
        })?;
        if certs.is_empty() {
            return Err(DistributionError::Config(format!(
                "CA bundle for registry {host} holds no certificate"
            )));
        }
        out.extend(certs);
    }
    Ok(out)
}

fn build_http_client(
    config: &ClientConfig,
    roots: Vec<reqwest::Certificate>,
    accept_invalid: bool,
) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .connect_timeout(config.connect_timeout)
        .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
        .tls_danger_accept_invalid_certs(accept_invalid);
    if !roots.is_empty() {
        b = b.tls_certs_merge(roots);
    }
    b.build()
        .map_err(|e| DistributionError::Config(format!("HTTP client: {}", chain(&e))))
}

/// A remote repository to talk to, with the access it should use.
#[derive(Clone)]
pub struct Repository {
    /// Registry host to contact (`host[:port]`, see [`registry_host`]).
    pub registry: String,
    /// Repository path inside the registry (`library/busybox`).
    pub name: String,
    /// Allow unverified TLS and plain HTTP (ORed with the registry's settings).
    pub insecure: bool,
    /// The credential to authenticate with, if any.
    pub credential: Option<Credential>,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("registry", &self.registry)
            .field("name", &self.name)
            .field("insecure", &self.insecure)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Repository {
    /// An anonymous, secure repository.
    pub fn new(registry: &str, name: impl Into<String>) -> Self {
        Repository {
            registry: registry_host(registry),
            name: name.into(),
            insecure: false,
            credential: None,
        }
    }

    /// The repository of `reference` after Docker defaults (spec §11.1), with the keyring's
    /// first matching credential (spec §11.5).
    pub fn for_reference(reference: &ImageReference, keyring: &Keyring) -> Result<Self> {
        let defaulted = reference.docker_client_defaults();
        let name = defaulted.repository_name();
        if name.is_empty() {
            return Err(DistributionError::InvalidReference {
                reference: reference.exact(),
                reason: "no repository name".to_owned(),
            });
        }
        Ok(Repository {
            registry: registry_host(&defaulted.registry),
            name,
            insecure: false,
            credential: keyring.lookup_reference(reference).cloned(),
        })
    }

    /// Set the insecure flag.
    pub fn with_insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self
    }

    /// Set the credential.
    pub fn with_credential(mut self, credential: Option<Credential>) -> Self {
        self.credential = credential;
        self
    }
}

/// What a successful ping found out about a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// Registry host.
    pub registry: String,
    /// The base URL that answered (`https://host/` or, insecure only, `http://host/`).
    pub base_url: String,
    /// Whether the TLS certificate was verified (false for plain HTTP and insecure TLS).
    pub verified_tls: bool,
    /// Which authentication the registry asked for.
    pub auth: AuthKind,
    /// Whether the `Docker-Distribution-API-Version: registry/2.0` header was present.
    pub api_version_header: bool,
}

/// A manifest's identity as a `HEAD` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestHead {
    /// Content digest.
    pub digest: String,
    /// Media type (`Content-Type` without parameters).
    pub media_type: String,
    /// Size in bytes (0 when the registry did not say).
    pub size: u64,
}

/// A fetched manifest: its exact bytes, media type and digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedManifest {
    /// The bytes as served (what an importer stores and hashes).
    pub bytes: Vec<u8>,
    /// Media type (from `Content-Type`, else detected from the content).
    pub media_type: String,
    /// Digest naming the manifest (schema 1: of the canonical payload).
    pub digest: String,
}

/// Client for remote registries; cheap to clone, shared by all imports.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = lock(&self.inner.registries).keys().cloned().collect();
        f.debug_struct("RegistryClient")
            .field("config", &self.inner.config)
            .field("registries", &hosts)
            .finish()
    }
}

struct Inner {
    config: ClientConfig,
    default_settings: RegistrySettings,
    settings: HashMap<String, RegistrySettings>,
    /// System roots only.
    verified: reqwest::Client,
    /// No certificate checks; also used for plain HTTP.
    unverified: reqwest::Client,
    registries: Mutex<HashMap<String, Arc<RegistryState>>>,
    tokens: Mutex<HashMap<TokenKey, CachedToken>>,
    layer_sizes: Mutex<SizeCache>,
}

struct CachedToken {
    token: String,
    valid_until: Instant,
}

/// Everything kept per registry host.
struct RegistryState {
    host: String,
    settings: RegistrySettings,
    /// System roots plus the registry's extra CAs.
    verified: reqwest::Client,
    permits: Arc<Semaphore>,
    budget: Budget,
    /// The last successful ping per effective insecure flag.
    endpoints: Mutex<HashMap<bool, (Arc<Endpoint>, Instant)>>,
    /// Held while pinging, so that concurrent first requests send one ping, not one each.
    ping_lock: tokio::sync::Mutex<()>,
    /// The last failed ping (when it ended, with which insecure flag): callers that waited for
    /// it share its error instead of pinging again one after another.
    ping_failure: Mutex<Option<(Instant, bool, DistributionError)>>,
    rate_limit: Mutex<Option<RateLimitInfo>>,
}

/// Where and how a registry answered its ping.
struct Endpoint {
    base: Url,
    verified_tls: bool,
    client: reqwest::Client,
    challenge: Mutex<Option<Challenge>>,
    api_version_header: bool,
}

/// A bounded least-recently-used map from blob digest to size.
#[derive(Default)]
struct SizeCache {
    entries: HashMap<String, (u64, u64)>,
    tick: u64,
}

impl SizeCache {
    fn get(&mut self, digest: &str) -> Option<u64> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(digest).map(|(size, used)| {
            *used = tick;
            *size
        })
    }

    fn insert(&mut self, digest: String, size: u64) {
        self.tick += 1;
        if self.entries.len() >= LAYER_SIZE_CACHE_ENTRIES
            && !self.entries.contains_key(&digest)
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(digest, (size, self.tick));
    }
}

/// A response together with the concurrency permit held until its body is read.
struct Sent {
    resp: reqwest::Response,
    method: Method,
    url: Url,
    _permit: OwnedSemaphorePermit,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `Accept` header for manifests: every type the importer understands (spec §11.4).
fn manifest_accept() -> String {
    ACCEPTED_MANIFEST_MEDIA_TYPES.join(", ")
}

/// Go-style method name for messages (`Get`, `Head`).
fn method_name(m: &Method) -> String {
    let s = m.as_str();
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        out.push(if i == 0 { c } else { c.to_ascii_lowercase() });
    }
    out
}

/// A URL for messages: no query string (token requests carry the account name), no userinfo.
fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// An error and its sources, joined with `: `, skipping repeats.
fn chain(err: &dyn StdError) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn StdError> = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

fn transport_error(
    method: &Method,
    url: &Url,
    err: reqwest::Error,
    timeout: Duration,
    max_redirects: usize,
) -> DistributionError {
    if err.is_timeout() {
        return DistributionError::Timeout {
            method: method_name(method),
            url: display_url(url),
            timeout,
        };
    }
    if err.is_redirect() {
        return DistributionError::TooManyRedirects {
            method: method_name(method),
            url: display_url(url),
            max: max_redirects,
        };
    }
    DistributionError::Transport {
        method: method_name(method),
        url: display_url(url),
        detail: chain(&err.without_url()),
    }
}

/// Whether a request failed on an already-open connection that the server had closed (not a
/// refused connection, timeout or redirect loop): such a GET or HEAD is safe to send again.
fn is_stale_connection(err: &reqwest::Error) -> bool {
    err.is_request() && !err.is_connect() && !err.is_timeout() && !err.is_redirect()
}

/// The error for a `429` from `state`'s registry, with its rate-limit headers described.
fn rate_limited(
    state: &RegistryState,
    headers: &HeaderMap,
    retry_after: Option<Duration>,
) -> DistributionError {
    let limit = parse_rate_limit(headers, SystemTime::now())
        .or_else(|| lock(&state.rate_limit).clone())
        .as_ref()
        .and_then(RateLimitInfo::describe);
    DistributionError::RateLimited {
        registry: state.host.clone(),
        retry_after,
        limit,
    }
}

/// Whether `name` is a plausible repository path (lower-case components of `[a-z0-9._-]`).
fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        });
    if ok {
        Ok(())
    } else {
        Err(DistributionError::InvalidName {
            detail: format!("invalid repository name {name:?}"),
        })
    }
}

/// Whether `reference` is a tag or a digest.
fn validate_reference(reference: &str) -> Result<()> {
    if is_tag(reference) || parse_digest(reference).is_ok() {
        Ok(())
    } else {
        Err(DistributionError::InvalidReference {
            reference: reference.to_owned(),
            reason: "not a tag or digest".to_owned(),
        })
    }
}

/// The digest of `bytes` with the algorithm of `like` (`sha256`, `sha384`, `sha512`).
fn digest_like(like: &str, bytes: &[u8]) -> Option<String> {
    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write as _;
        bytes.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
    match parse_digest(like).ok()?.algorithm() {
        "sha256" => Some(sha256_digest(bytes)),
        "sha384" => Some(format!("sha384:{}", hex(&sha2::Sha384::digest(bytes)))),
        "sha512" => Some(format!("sha512:{}", hex(&sha2::Sha512::digest(bytes)))),
        _ => None,
    }
}

/// The digest naming a manifest fetched by tag: of the canonical payload for schema 1, of the
/// bytes otherwise.
fn manifest_digest(bytes: &[u8], media_type: &str) -> String {
    let schema1 =
        is_schema1_type(media_type) || media_type.is_empty() || media_type == "application/json";
    if schema1 && let Ok(m) = parse_manifest(bytes, media_type) {
        return m.digest(bytes);
    }
    sha256_digest(bytes)
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
    /// Docker Hub's token server uses `details`.
    #[serde(default)]
    details: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Error codes and a Docker-style message (`manifest unknown: manifest unknown`) from a body.
fn parse_error_body(bytes: &[u8], status: StatusCode) -> (Vec<String>, String) {
    if let Ok(body) = serde_json::from_slice::<ErrorBody>(bytes) {
        if !body.errors.is_empty() {
            let codes = body.errors.iter().map(|e| e.code.clone()).collect();
            let text = body
                .errors
                .iter()
                .map(|e| {
                    let code = e.code.to_ascii_lowercase().replace('_', " ");
                    if e.message.is_empty() {
                        code
                    } else {
                        format!("{code}: {}", e.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            return (codes, text);
        }
        if let Some(d) = body.details.filter(|d| !d.is_empty()) {
            return (Vec::new(), d);
        }
    }
    (
        Vec::new(),
        format!("unexpected status from registry: {status}"),
    )
}

/// Parse `Link: <url>; rel="next"` (several links may be comma-separated).
fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else { continue };
        for link in value.split(',') {
            let mut parts = link.split(';');
            let target = parts.next()?.trim();
            let Some(target) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
                continue;
            };
            let is_next = parts.any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next {
                return Some(target.to_owned());
            }
        }
    }
    None
}

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn bare_content_type(headers: &HeaderMap) -> Option<String> {
    header_value(headers, CONTENT_TYPE.as_str())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
}

fn basic_header(c: &Credential) -> String {
    let raw = format!("{}:{}", c.username(), c.password());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Whether a ping answer shows a v2 registry (spec §11.3): the API version header, or 2xx,
/// 401 or 403.
fn looks_v2(status: StatusCode, headers: &HeaderMap) -> bool {
    let header = headers
        .get_all("docker-distribution-api-version")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split_whitespace().any(|p| p == "registry/2.0"));
    header
        || status.is_success()
        || status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN
}

impl RegistryClient {
    /// A builder with default settings.
    pub fn builder() -> RegistryClientBuilder {
        RegistryClientBuilder::default()
    }

    /// A client with default settings.
    pub fn new() -> Result<Self> {
        Self::builder().build()
    }

    /// The tunables in effect.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The rate-limit headers last seen from `registry`, if any.
    pub fn rate_limit(&self, registry: &str) -> Option<RateLimitInfo> {
        let host = registry_host(registry);
        let state = lock(&self.inner.registries).get(&host).cloned()?;
        lock(&state.rate_limit).clone()
    }

    fn state(&self, registry: &str) -> Result<Arc<RegistryState>> {
        let host = registry_host(registry);
        if let Some(s) = lock(&self.inner.registries).get(&host) {
            return Ok(s.clone());
        }
        let settings = self
            .inner
            .settings
            .get(&host)
            .cloned()
            .unwrap_or_else(|| self.inner.default_settings.clone());
        let roots = parse_cas(&host, &settings)?;
        let verified = if roots.is_empty() {
            self.inner.verified.clone()
        } else {
            build_http_client(&self.inner.config, roots, false)?
        };
        let c = &self.inner.config;
        let state = Arc::new(RegistryState {
            host: host.clone(),
            settings,
            verified,
            permits: Arc::new(Semaphore::new(c.max_concurrent_requests.max(1))),
            budget: Budget::new(c.requests_per_second, c.burst),
            endpoints: Mutex::new(HashMap::new()),
            ping_lock: tokio::sync::Mutex::new(()),
            ping_failure: Mutex::new(None),
            rate_limit: Mutex::new(None),
        });
        Ok(lock(&self.inner.registries)
            .entry(host)
            .or_insert(state)
            .clone())
    }

    /// Wait for the registry's budget and a concurrency permit.
    async fn admit(&self, state: &RegistryState) -> Result<OwnedSemaphorePermit> {
        if let Err(paused) = state.budget.acquire(self.inner.config.max_retry_wait).await {
            return Err(DistributionError::RateLimited {
                registry: state.host.clone(),
                retry_after: Some(paused.0),
                limit: lock(&state.rate_limit)
                    .as_ref()
                    .and_then(RateLimitInfo::describe),
            });
        }
        state
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| DistributionError::Config("registry client shut down".to_owned()))
    }

    fn record_rate_limit(&self, state: &RegistryState, headers: &HeaderMap) {
        if let Some(info) = parse_rate_limit(headers, SystemTime::now()) {
            *lock(&state.rate_limit) = Some(info);
        }
    }

    /// Ping `registry` now (bypassing the cache) and remember the result: `GET /v2/` over
    /// HTTPS, and with `insecure` unverified TLS then plain HTTP on transport errors (spec §11.3).
    pub async fn ping(&self, registry: &str, insecure: bool) -> Result<Ping> {
        let state = self.state(registry)?;
        let insecure = insecure || state.settings.insecure;
        let ep = Arc::new(self.do_ping(&state, insecure).await?);
        lock(&state.endpoints).insert(insecure, (ep.clone(), Instant::now()));
        let auth = lock(&ep.challenge)
            .as_ref()
            .map_or(AuthKind::None, Challenge::kind);
        Ok(Ping {
            registry: state.host.clone(),
            base_url: ep.base.to_string(),
            verified_tls: ep.verified_tls,
            auth,
            api_version_header: ep.api_version_header,
        })
    }

    fn cached_endpoint(&self, state: &RegistryState, insecure: bool) -> Option<Arc<Endpoint>> {
        lock(&state.endpoints)
            .get(&insecure)
            .filter(|(_, at)| at.elapsed() < self.inner.config.ping_cache_ttl)
            .map(|(ep, _)| ep.clone())
    }

    /// The registry's endpoint from a recent ping, or a new ping. Concurrent callers share one
    /// ping: the others wait for it and take its endpoint, or its error when it failed.
    async fn endpoint(&self, state: &Arc<RegistryState>, insecure: bool) -> Result<Arc<Endpoint>> {
        let insecure = insecure || state.settings.insecure;
        if let Some(ep) = self.cached_endpoint(state, insecure) {
            return Ok(ep);
        }
        let waited_from = Instant::now();
        let _ping = state.ping_lock.lock().await;
        if let Some(ep) = self.cached_endpoint(state, insecure) {
            return Ok(ep);
        }
        if let Some((at, was_insecure, e)) = lock(&state.ping_failure).as_ref()
            && *at >= waited_from
            && *was_insecure == insecure
        {
            return Err(e.clone());
        }
        match self.do_ping(state, insecure).await {
            Ok(ep) => {
                let ep = Arc::new(ep);
                lock(&state.endpoints).insert(insecure, (ep.clone(), Instant::now()));
                Ok(ep)
            }
            Err(e) => {
                *lock(&state.ping_failure) = Some((Instant::now(), insecure, e.clone()));
                Err(e)
            }
        }
    }

    fn forget_endpoint(&self, state: &RegistryState) {
        lock(&state.endpoints).clear();
    }

    async fn do_ping(&self, state: &RegistryState, insecure: bool) -> Result<Endpoint> {
        let https = Url::parse(&format!("https://{}/v2/", state.host)).map_err(|_| {
            DistributionError::InvalidReference {
                reference: state.host.clone(),
                reason: "not a valid registry host".to_owned(),
            }
        })?;
        let tls_client = if insecure {
            self.inner.unverified.clone()
        } else {
            state.verified.clone()
        };
        let https_err = match self.ping_once(state, &tls_client, &https).await {
            Ok((status, headers)) => {
                return self
                    .endpoint_from_ping(state, tls_client, https, !insecure, status, &headers);
            }
            Err(e @ DistributionError::Transport { .. })
            | Err(e @ DistributionError::Timeout { .. }) => e,
            Err(e) => return Err(e),
        };
        let mut http = https.clone();
        let _ = http.set_scheme("http");
        let plain = self.inner.unverified.clone();
        if insecure {
            return match self.ping_once(state, &plain, &http).await {
                Ok((status, headers)) => {
                    self.endpoint_from_ping(state, plain, http, false, status, &headers)
                }
                Err(second @ DistributionError::Transport { .. })
                | Err(second @ DistributionError::Timeout { .. }) => Err(match https_err {
                    DistributionError::Transport {
                        method,
                        url,
                        detail,
                    } => DistributionError::Transport {
                        method,
                        url,
                        detail: format!("{detail}; retrying over plain HTTP: {second}"),
                    },
                    other => other,
                }),
                Err(e) => Err(e),
            };
        }
        // Not insecure: find out whether the registry speaks plain HTTP only, to say so.
        match self.ping_once(state, &plain, &http).await {
            Ok((status, headers)) if looks_v2(status, &headers) => {
                Err(DistributionError::HttpOnly {
                    registry: state.host.clone(),
                })
            }
            _ => Err(https_err),
        }
    }

    /// One `GET /v2/`: the status and headers, or a transport/timeout/429 error.
    async fn ping_once(
        &self,
        state: &RegistryState,
        client: &reqwest::Client,
        url: &Url,
    ) -> Result<(StatusCode, HeaderMap)> {
        let timeout = self.inner.config.ping_timeout;
        let mut retried_stale = false;
        let (resp, _permit) = loop {
            let permit = self.admit(state).await?;
            match client.get(url.clone()).timeout(timeout).send().await {
                Ok(resp) => break (resp, permit),
                Err(e) if is_stale_connection(&e) && !retried_stale => retried_stale = true,
                Err(e) => {
                    return Err(transport_error(
                        &Method::GET,
                        url,
                        e,
                        timeout,
                        self.inner.config.max_redirects,
                    ));
                }
            }
        };
        tracing::debug!(url = %display_url(url), status = %resp.status(), "registry ping");
        self.record_rate_limit(state, resp.headers());
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = retry_after_429(&headers, SystemTime::now());
            if let Some(wait) = retry_after {
                state.budget.pause_until(Instant::now() + wait);
            }
            return Err(rate_limited(state, &headers, retry_after));
        }
        Ok((status, headers))
    }

    fn endpoint_from_ping(
        &self,
        state: &RegistryState,
        client: reqwest::Client,
        url: Url,
        verified_tls: bool,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<Endpoint> {
        if !looks_v2(status, headers) {
            return Err(DistributionError::NotV2Registry {
                registry: state.host.clone(),
                status: status.as_u16(),
            });
        }
        let api_version_header = headers.contains_key("docker-distribution-api-version");
        let challenge = if status == StatusCode::UNAUTHORIZED {
            select_challenge(
                headers
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            )
        } else {
            None
        };
        let mut base = url;
        base.set_path("/");
        Ok(Endpoint {
            base,
            verified_tls,
            client,
            challenge: Mutex::new(challenge),
            api_version_header,
        })
    }

    /// A Bearer token for `scope`, from the cache or the token server.
    async fn bearer_token(
        &self,
        state: &RegistryState,
        ep: &Endpoint,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credential: Option<&Credential>,
    ) -> Result<String> {
        let key = TokenKey {
            registry: state.host.clone(),
            realm: realm.to_owned(),
            service: service.unwrap_or("").to_owned(),
            scope: scope.to_owned(),
            identity: credential.map_or_else(|| "anonymous".to_owned(), Credential::fingerprint),
        };
        if let Some(t) = lock(&self.inner.tokens).get(&key)
            && t.valid_until > Instant::now()
        {
            return Ok(t.token.clone());
        }
        let mut url = Url::parse(realm).map_err(|_| DistributionError::InvalidResponse {
            url: ep.base.to_string(),
            detail: "the token realm is not a valid URL".to_owned(),
        })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", scope);
            if let Some(c) = credential {
                q.append_pair("account", c.username());
            }
        }
        let timeout = self.inner.config.request_timeout;
        let permit = self.admit(state).await?;
        let mut req = ep.client.get(url.clone()).timeout(timeout);
        if let Some(c) = credential {
            req = req.header(AUTHORIZATION, basic_header(c));
        }
        let resp = req.send().await.map_err(|e| {
            transport_error(
                &Method::GET,
                &url,
                e,
                timeout,
                self.inner.config.max_redirects,
            )
        })?;
        tracing::debug!(url = %display_url(&url), status = %resp.status(), "token request");
        let status = resp.status();
        let sent = Sent {
            resp,
            method: Method::GET,
            url: url.clone(),
            _permit: permit,
        };
        match status {
            s if s.is_success() => {
                let body = self
                    .read_capped(sent, MAX_SMALL_BODY, "token response")
                    .await?;
                let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
                    DistributionError::InvalidResponse {
                        url: display_url(&url),
                        detail: "the token response is not valid JSON".to_owned(),
                    }
                })?;
                let (token, lifetime) =
                    parsed
                        .into_token()
                        .ok_or_else(|| DistributionError::InvalidResponse {
                            url: display_url(&url),
                            detail: "the token response holds no token".to_owned(),
                        })?;
                let margin = (lifetime / 10).min(Duration::from_secs(10));
                let mut tokens = lock(&self.inner.tokens);
                let now = Instant::now();
                tokens.retain(|_, t| t.valid_until > now);
                tokens.insert(
                    key,
                    CachedToken {
                        token: token.clone(),
                        valid_until: now + lifetime - margin,
                    },
                );
                Ok(token)
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                if credential.is_some() {
                    Err(DistributionError::IncorrectCredentials {
                        registry: state.host.clone(),
                    })
                } else {
                    let body = self
                        .read_capped(sent, MAX_SMALL_BODY, "error body")
                        .await
                        .unwrap_or_default();
                    Err(DistributionError::Unauthorized {
                        detail: parse_error_body(&body, status).1,
                    })
                }
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let headers = sent.resp.headers();
                let retry_after = retry_after_429(headers, SystemTime::now());
                if let Some(wait) = retry_after {
                    state.budget.pause_until(Instant::now() + wait);
                }
                Err(rate_limited(state, headers, retry_after))
            }
            _ => {
                let body = self
                    .read_capped(sent, MAX_SMALL_BODY, "error body")
                    .await
                    .unwrap_or_default();
                Err(DistributionError::Registry {
                    status: status.as_u16(),
                    detail: format!(
                        "token server {}: {}",
                        display_url(&url),
                        parse_error_body(&body, status).1
                    ),
                })
            }
        }
    }

    fn forget_token(&self, host: &str, scope: &str) {
        lock(&self.inner.tokens).retain(|k, _| !(k.registry == host && k.scope == scope));
    }

    /// Send one repository request with authentication, budget, retries after `429` and
    /// `502`/`503`/`504`, and one re-authentication after `401`. Other statuses are returned.
    async fn send(
        &self,
        repo: &Repository,
        method: Method,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Sent> {
        let state = self.state(&repo.registry)?;
        let ep = self.endpoint(&state, repo.insecure).await?;
        let url = ep
            .base
            .join(path)
            .map_err(|_| DistributionError::InvalidName {
                detail: format!("invalid repository path {path:?}"),
            })?;
        self.send_url(repo, &state, &ep, method, url, accept).await
    }

    async fn send_url(
        &self,
        repo: &Repository,
        state: &RegistryState,
        ep: &Endpoint,
        method: Method,
        url: Url,
        accept: Option<&str>,
    ) -> Result<Sent> {
        let c = &self.inner.config;
        let scope = pull_scope(&repo.name);
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        let mut retried_stale = false;
        loop {
            let challenge = lock(&ep.challenge).clone();
            let (authorization, sent_basic) = match &challenge {
                None => (None, false),
                Some(Challenge::Basic { .. }) => match &repo.credential {
                    Some(cred) => (Some(basic_header(cred)), true),
                    None => {
                        return Err(DistributionError::NoCredentials {
                            registry: state.host.clone(),
                        });
                    }
                },
                Some(Challenge::Bearer { realm, service }) => {
                    let token = self
                        .bearer_token(
                            state,
                            ep,
                            realm,
                            service.as_deref(),
                            &scope,
                            repo.credential.as_ref(),
                        )
                        .await?;
                    (Some(format!("Bearer {token}")), false)
                }
            };
            let permit = self.admit(state).await?;
            let mut req = ep
                .client
                .request(method.clone(), url.clone())
                .timeout(c.request_timeout);
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            if let Some(a) = &authorization {
                req = req.header(AUTHORIZATION, a);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if is_stale_connection(&e) && !retried_stale => {
                    // A pooled connection the registry had already closed: once more, afresh.
                    retried_stale = true;
                    drop(permit);
                    continue;
                }
                Err(e) => {
                    // The registry may have moved (restarted elsewhere, TLS changed): ping again
                    // next time.
                    self.forget_endpoint(state);
                    return Err(transport_error(
                        &method,
                        &url,
                        e,
                        c.request_timeout,
                        c.max_redirects,
                    ));
                }
            };
            let status = resp.status();
            tracing::debug!(%method, url = %display_url(&url), %status, attempt, "registry request");
            self.record_rate_limit(state, resp.headers());
            match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    let retry_after = retry_after_429(resp.headers(), SystemTime::now());
                    let wait = retry_after
                        .unwrap_or_else(|| Duration::from_millis(500u64 << attempt.min(6)));
                    state.budget.pause_until(Instant::now() + wait);
                    drop(permit);
                    if attempt < c.max_retries && wait <= c.max_retry_wait {
                        attempt += 1;
                        continue;
                    }
                    return Err(rate_limited(state, resp.headers(), retry_after));
                }
                StatusCode::UNAUTHORIZED => {
                    let fresh = select_challenge(
                        resp.headers()
                            .get_all(WWW_AUTHENTICATE)
                            .iter()
                            .filter_map(|v| v.to_str().ok()),
                    );
                    let retry = !reauthenticated
                        && match (&fresh, &challenge) {
                            (None, _) => false,
                            // Same Basic challenge again: the credential was wrong.
                            (Some(Challenge::Basic { .. }), Some(Challenge::Basic { .. })) => false,
                            _ => true,
                        };
                    if retry {
                        if matches!(challenge, Some(Challenge::Bearer { .. })) {
                            self.forget_token(&state.host, &scope);
                        }
                        *lock(&ep.challenge) = fresh;
                        reauthenticated = true;
                        drop(permit);
                        continue;
                    }
                    if sent_basic {
                        return Err(DistributionError::IncorrectCredentials {
                            registry: state.host.clone(),
                        });
                    }
                    let sent = Sent {
                        resp,
                        method,
                        url,
                        _permit: permit,
                    };
                    let body = self
                        .read_capped(sent, MAX_SMALL_BODY, "error body")
                        .await
                        .unwrap_or_default();
                    return Err(DistributionError::Unauthorized {
                        detail: parse_error_body(&body, status).1,
                    });
                }
                StatusCode::BAD_GATEWAY
                | StatusCode::SERVICE_UNAVAILABLE
                | StatusCode::GATEWAY_TIMEOUT
                    if attempt < c.max_retries =>
                {
                    drop(permit);
                    let wait = parse_retry_after(resp.headers(), SystemTime::now())
                        .filter(|w| *w <= c.max_retry_wait)
                        .unwrap_or_else(|| Duration::from_millis(200u64 << attempt.min(6)));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                _ => {
                    return Ok(Sent {
                        resp,
                        method,
                        url,
                        _permit: permit,
                    });
                }
            }
        }
    }

    /// Read a body of at most `limit` bytes.
    async fn read_capped(&self, sent: Sent, limit: u64, what: &str) -> Result<Vec<u8>> {
        let Sent {
            mut resp,
            method,
            url,
            _permit,
        } = sent;
        if resp.content_length().is_some_and(|l| l > limit) {
            return Err(DistributionError::TooLarge {
                what: what.to_owned(),
                limit,
            });
        }
        let mut buf = Vec::new();
        loop {
            let chunk = resp.chunk().await.map_err(|e| {
                transport_error(
                    &method,
                    &url,
                    e,
                    self.inner.config.request_timeout,
                    self.inner.config.max_redirects,
                )
            })?;
            let Some(chunk) = chunk else { break };
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(DistributionError::TooLarge {
                    what: what.to_owned(),
                    limit,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf)
    }

    /// The error for a non-success response to a repository request.
    async fn error_for(&self, sent: Sent) -> DistributionError {
        let status = sent.resp.status();
        let body = self
            .read_capped(sent, MAX_SMALL_BODY, "error body")
            .await
            .unwrap_or_default();
        let (codes, detail) = parse_error_body(&body, status);
        let has = |c: &str| codes.iter().any(|x| x == c);
        if status == StatusCode::NOT_FOUND
            || has("MANIFEST_UNKNOWN")
            || has("NAME_UNKNOWN")
            || has("BLOB_UNKNOWN")
        {
            DistributionError::NotFound { detail }
        } else if has("NAME_INVALID") {
            DistributionError::InvalidName { detail }
        } else if has("UNAUTHORIZED") {
            DistributionError::Unauthorized { detail }
        } else {
            DistributionError::Registry {
                status: status.as_u16(),
                detail,
            }
        }
    }

    /// `HEAD` a manifest by tag or digest with the full `Accept` list; `None` when it does not
    /// exist. Falls back to `GET` when the registry sends no `Docker-Content-Digest`.
    pub async fn head_manifest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<ManifestHead>> {
        validate_name(&repo.name)?;
        validate_reference(reference)?;
        let path = format!("v2/{}/manifests/{reference}", repo.name);
        let sent = self
            .send(repo, Method::HEAD, &path, Some(&manifest_accept()))
            .await?;
        let status = sent.resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.error_for(sent).await);
        }
        let headers = sent.resp.headers();
        let digest = header_value(headers, "docker-content-digest")
            .filter(|d| parse_digest(d).is_ok())
            .map(str::to_owned);
        if let Some(digest) = digest {
            let size = header_value(headers, CONTENT_LENGTH.as_str())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            return Ok(Some(ManifestHead {
                digest,
                media_type: bare_content_type(headers).unwrap_or_default(),
                size,
            }));
        }
        drop(sent);
        match self.get_manifest(repo, reference).await {
            Ok(m) => Ok(Some(ManifestHead {
                digest: m.digest,
                media_type: m.media_type,
                size: m.bytes.len() as u64,
            })),
            Err(DistributionError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET` a manifest by tag or digest (at most [`MAX_MANIFEST_SIZE`] bytes). Fetched by
    /// digest, the content must hash to it ("content integrity error", spec §11.4).
    pub async fn get_manifest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<FetchedManifest> {
        validate_name(&repo.name)?;
        validate_reference(reference)?;
        let path = format!("v2/{}/manifests/{reference}", repo.name);
        let sent = self
            .send(repo, Method::GET, &path, Some(&manifest_accept()))
            .await?;
        if !sent.resp.status().is_success() {
            return Err(self.error_for(sent).await);
        }
        let content_type = bare_content_type(sent.resp.headers());
        let bytes = self
            .read_capped(sent, MAX_MANIFEST_SIZE, "manifest")
            .await?;
        let media_type = detect_media_type(&bytes, content_type.as_deref());
        let digest = if parse_digest(reference).is_ok() {
            let raw = digest_like(reference, &bytes).unwrap_or_default();
            let canonical = manifest_digest(&bytes, &media_type);
            if raw != reference && canonical != reference {
                return Err(DistributionError::Integrity(
                    ManifestError::DigestMismatch {
                        media_type,
                        expected: reference.to_owned(),
                        actual: raw,
                    }
                    .to_string(),
                ));
            }
            reference.to_owned()
        } else {
            manifest_digest(&bytes, &media_type)
        };
        Ok(FetchedManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// `GET` a config blob (at most [`MAX_CONFIG_SIZE`] bytes); its digest is verified.
    pub async fn get_blob(&self, repo: &Repository, digest: &str) -> Result<Vec<u8>> {
        validate_name(&repo.name)?;
        if parse_digest(digest).is_err() {
            return Err(DistributionError::InvalidReference {
                reference: digest.to_owned(),
                reason: "not a digest".to_owned(),
            });
        }
        let path = format!("v2/{}/blobs/{digest}", repo.name);
        let sent = self.send(repo, Method::GET, &path, None).await?;
        if !sent.resp.status().is_success() {
            return Err(self.error_for(sent).await);
        }
        let bytes = self
            .read_capped(sent, MAX_CONFIG_SIZE, "config blob")
            .await?;
        let actual = digest_like(digest, &bytes).unwrap_or_default();
        if actual != digest {
            return Err(DistributionError::Integrity(format!(
                "content integrity error: the blob retrieved with digest {digest} does not match \
                 the digest calculated from the content {actual}"
            )));
        }
        Ok(bytes)
    }

    /// The size of a blob from a `HEAD` (cached by digest, 2048 entries, spec §11.4); `None`
    /// when it does not exist.
    pub async fn blob_size(&self, repo: &Repository, digest: &str) -> Result<Option<u64>> {
        if let Some(size) = lock(&self.inner.layer_sizes).get(digest) {
            return Ok(Some(size));
        }
        validate_name(&repo.name)?;
        validate_reference(digest)?;
        let path = format!("v2/{}/blobs/{digest}", repo.name);
        let sent = self.send(repo, Method::HEAD, &path, None).await?;
        let status = sent.resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.error_for(sent).await);
        }
        let size = header_value(sent.resp.headers(), CONTENT_LENGTH.as_str())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(size) = size {
            lock(&self.inner.layer_sizes).insert(digest.to_owned(), size);
        }
        Ok(Some(size.unwrap_or(0)))
    }

    /// Every tag of a repository, following `Link: <…>; rel="next"` pages (same host only,
    /// loops and more than `max_tag_pages` pages stopped).
    pub async fn list_tags(&self, repo: &Repository) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        validate_name(&repo.name)?;
        let state = self.state(&repo.registry)?;
        let ep = self.endpoint(&state, repo.insecure).await?;
        let mut url = ep
            .base
            .join(&format!("v2/{}/tags/list", repo.name))
            .map_err(|_| DistributionError::InvalidName {
                detail: format!("invalid repository name {:?}", repo.name),
            })?;
        let mut seen = HashSet::new();
        let mut tags = Vec::new();
        for _ in 0..self.inner.config.max_tag_pages.max(1) {
            if !seen.insert(url.to_string()) {
                return Ok(tags);
            }
            let sent = self
                .send_url(
                    repo,
                    &state,
                    &ep,
                    Method::GET,
                    url.clone(),
                    Some("application/json"),
                )
                .await?;
            if !sent.resp.status().is_success() {
                return Err(self.error_for(sent).await);
            }
            let next = next_link(sent.resp.headers());
            let body = self.read_capped(sent, MAX_TAG_PAGE, "tag list").await?;
            let page: TagList =
                serde_json::from_slice(&body).map_err(|e| DistributionError::InvalidResponse {
                    url: display_url(&url),
                    detail: format!("tag list is not valid JSON: {e}"),
                })?;
            tags.extend(page.tags.unwrap_or_default());
            let Some(next) = next else {
                return Ok(tags);
            };
            let next_url = url
                .join(&next)
                .map_err(|_| DistributionError::InvalidResponse {
                    url: display_url(&url),
                    detail: "invalid Link header".to_owned(),
                })?;
            if next_url.origin() != ep.base.origin() {
                return Err(DistributionError::InvalidResponse {
                    url: display_url(&url),
                    detail: "the next page of tags is on another host".to_owned(),
                });
            }
            url = next_url;
        }
        Err(DistributionError::InvalidResponse {
            url: display_url(&url),
            detail: format!(
                "tag listing exceeded {} pages",
                self.inner.config.max_tag_pages
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn link_header_next() {
        let mut h = HeaderMap::new();
        h.append(
            LINK,
            HeaderValue::from_static(
                r#"</v2/ns/app/tags/list?last=t2&n=2>; rel="next", <https://x/>; rel="prev""#,
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("/v2/ns/app/tags/list?last=t2&n=2")
        );
        let mut h = HeaderMap::new();
        h.append(
            LINK,
            HeaderValue::from_static(r#"<https://x/>; rel="prev""#),
        );
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn error_bodies() {
        let (codes, text) = parse_error_body(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#,
            StatusCode::NOT_FOUND,
        );
        assert_eq!(codes, ["MANIFEST_UNKNOWN"]);
        assert_eq!(text, "manifest unknown: manifest unknown");
        let (_, text) = parse_error_body(
            br#"{"details":"incorrect username or password"}"#,
            StatusCode::UNAUTHORIZED,
        );
        assert_eq!(text, "incorrect username or password");
        let (_, text) = parse_error_body(b"<html>", StatusCode::BAD_GATEWAY);
        assert_eq!(text, "unexpected status from registry: 502 Bad Gateway");
    }

    #[test]
    fn names_and_references() {
        assert!(validate_name("library/busybox").is_ok());
        assert!(validate_name("a/b.c/d_e-f").is_ok());
        for bad in ["", "A/b", "a//b", "a/../b", "a/b/", "a b", "a?b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_reference("v1.0").is_ok());
        assert!(validate_reference(&format!("sha256:{}", "a".repeat(64))).is_ok());
        for bad in ["", "../x", "a/b", "sha256:abc"] {
            assert!(validate_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registry_hosts() {
        assert_eq!(registry_host("docker.io"), "registry-1.docker.io");
        assert_eq!(registry_host("index.docker.io"), "registry-1.docker.io");
        assert_eq!(registry_host("Quay.IO"), "quay.io");
        assert_eq!(registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn digests_of_each_algorithm() {
        let sha256 = digest_like(&format!("sha256:{}", "0".repeat(64)), b"abc").unwrap();
        assert_eq!(
            sha256,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let sha512 = digest_like(&format!("sha512:{}", "0".repeat(128)), b"abc").unwrap();
        assert!(sha512.starts_with("sha512:ddaf35a193617aba"));
    }

    #[test]
    fn urls_in_messages_have_no_query() {
        let u = Url::parse("https://auth.example.com/token?account=alice&scope=x").unwrap();
        assert_eq!(display_url(&u), "https://auth.example.com/token");
    }

    #[test]
    fn lru_size_cache_evicts_least_recent() {
        let mut c = SizeCache::default();
        for i in 0..LAYER_SIZE_CACHE_ENTRIES {
            c.insert(format!("d{i}"), i as u64);
        }
        assert_eq!(c.get("d0"), Some(0));
        c.insert("new".into(), 1);
        assert_eq!(c.entries.len(), LAYER_SIZE_CACHE_ENTRIES);
        assert_eq!(c.get("d0"), Some(0));
        assert_eq!(c.get("d1"), None);
    }

    #[test]
    fn debug_redacts_credentials() {
        let repo = Repository::new("quay.io", "a/b")
            .with_credential(Some(Credential::new("alice", "hunter2")));
        let s = format!("{repo:?}");
        assert!(!s.contains("alice") && !s.contains("hunter2"), "{s}");
    }
}

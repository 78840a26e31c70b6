//! The etcd backend: every object is one etcd key under a configurable prefix, and the store
//! revision is etcd's revision, so compare-and-swap, paged snapshot lists, watches and compaction
//! map one to one onto etcd's own (works with etcd 3.4 and newer).
//!
//! Layout: object `/<resource>/[<namespace>/]<name>` lives at `<prefix>/<resource>/...`; lease
//! `name` lives at `<prefix>/_leases/<name>` (a `_` can never start a resource, so no object key
//! can collide with it), holding the holder's name and attached to an etcd lease of the TTL.
//!
//! Members: the store keeps one connection per endpoint and sends its requests to one member at
//! a time. A member that cannot be reached, has no leader, or lets a request time out is left
//! for the next one. A request that never left (connection refused) is retried on the next
//! member at once; any other failure is returned, so that the caller decides whether to retry a
//! write.
//!
//! Errors: connection failures, timeouts and etcd's "no leader"/"leader changed"/"too many
//! requests" answers are [`StoreError::Unavailable`] (retry with backoff); a write that timed out
//! may still have been applied. Other gRPC errors are [`StoreError::Internal`]. Compaction is
//! global in etcd: [`Backend::compact`] compacts the whole cluster's history.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use etcd_client::{
    Certificate, Client, CompactionOptions, Compare, CompareOp, ConnectOptions, DeleteOptions,
    Error as EtcdError, Event, GetOptions, GetResponse, Identity, KeyValue, PutOptions,
    ResponseHeader, TlsOptions, Txn, TxnOp, TxnOpResponse, TxnResponse, WatchOptions,
    WatchResponse,
};

use crate::{
    Backend, ContinueToken, Deleted, EventKind, Key, ListOptions, ListPage, Object, Prefix, Result,
    Revision, StoreError, WatchEvent, WatchStream,
};

/// etcd's largest lease TTL (seconds).
const MAX_LEASE_TTL: i64 = 9_000_000_000;
/// Attempts of a lease acquisition that races with expiry or another acquirer.
const LEASE_ATTEMPTS: usize = 3;
/// How long to wait for etcd to tell the compaction revision after a "compacted" answer.
const COMPACTION_HINT_WAIT: Duration = Duration::from_secs(2);
/// HTTP/2 keep-alive pings, so that a vanished member is noticed (etcd refuses pings more often
/// than every 5 s by default).
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest response accepted (etcd's own limit, and the Go client's default): tonic's default
/// of 4 MiB would fail unpaged lists of a few thousand objects.
const MAX_MESSAGE: usize = 2_147_483_647;

/// gRPC status codes (numeric, as on the wire).
const CODE_CANCELLED: i32 = 1;
const CODE_UNKNOWN: i32 = 2;
const CODE_DEADLINE_EXCEEDED: i32 = 4;
const CODE_RESOURCE_EXHAUSTED: i32 = 8;
const CODE_ABORTED: i32 = 10;
const CODE_UNAVAILABLE: i32 = 14;

/// How to reach etcd and where in its key space the store lives.
#[derive(Clone)]
pub struct EtcdOptions {
    /// Client URLs (`http://host:2379`, `https://host:2379`, or `host:2379`, which means https
    /// when TLS options are given and http otherwise).
    pub endpoints: Vec<String>,
    /// Key prefix of everything the store writes (default `/tagplane`; a trailing `/` is
    /// ignored). Give every independent store its own prefix.
    pub prefix: String,
    /// User name, when etcd has authentication enabled (needs `password` too).
    pub username: Option<String>,
    /// Password of `username`.
    pub password: Option<String>,
    /// PEM of the CA that signed the etcd servers' certificates; turns TLS on (https endpoints
    /// need it: no system roots are loaded).
    pub ca_cert_pem: Option<String>,
    /// PEM client certificate, for etcd's `--client-cert-auth` (needs `client_key_pem` too).
    pub client_cert_pem: Option<String>,
    /// PEM private key of `client_cert_pem`.
    pub client_key_pem: Option<String>,
    /// Longest wait to establish a connection to one member.
    pub connect_timeout: Duration,
    /// Longest wait for any single request, failovers included (then `Unavailable`).
    pub request_timeout: Duration,
}

impl Default for EtcdOptions {
    fn default() -> Self {
        EtcdOptions {
            endpoints: vec!["http://127.0.0.1:2379".into()],
            prefix: "/tagplane".into(),
            username: None,
            password: None,
            ca_cert_pem: None,
            client_cert_pem: None,
            client_key_pem: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for EtcdOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        let pem = |o: &Option<String>| o.as_ref().map(|_| "<pem>");
        f.debug_struct("EtcdOptions")
            .field("endpoints", &self.endpoints)
            .field("prefix", &self.prefix)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("ca_cert_pem", &pem(&self.ca_cert_pem))
            .field("client_cert_pem", &pem(&self.client_cert_pem))
            .field("client_key_pem", &redacted(&self.client_key_pem))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// One etcd member: its endpoint and, once connected, its client.
struct Member {
    endpoint: String,
    client: Mutex<Option<Client>>,
}

/// The members, and which one requests go to.
struct Pool {
    members: Vec<Member>,
    current: AtomicUsize,
    options: ConnectOptions,
}

impl Pool {
    /// The client of member `i`, connecting it first if needed (with authentication enabled,
    /// connecting talks to the member, so a member that was down at start is connected later).
    async fn client(&self, i: usize) -> std::result::Result<Client, EtcdError> {
        let member = self
            .members
            .get(i)
            .ok_or_else(|| EtcdError::Internal(format!("no member {i}")))?;
        let cached = member
            .client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(client) = cached {
            return Ok(client);
        }
        let client =
            Client::connect([member.endpoint.as_str()], Some(self.options.clone())).await?;
        *member.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(client.clone());
        Ok(client)
    }

    /// Member `i` failed us: send requests to the next one (unless someone already moved on).
    fn failed(&self, i: usize) {
        let n = self.members.len().max(1);
        if self
            .current
            .compare_exchange(i, (i + 1) % n, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let endpoint = self.members.get(i).map_or("", |m| m.endpoint.as_str());
            tracing::debug!(endpoint, "etcd member failed; moving to the next one");
        }
    }
}

/// The etcd store. Cheap to clone; clones share the member connections.
#[derive(Clone)]
pub struct EtcdStore {
    pool: Arc<Pool>,
    prefix: String,
    request_timeout: Duration,
}

impl fmt::Debug for EtcdStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoints: Vec<&str> = self
            .pool
            .members
            .iter()
            .map(|m| m.endpoint.as_str())
            .collect();
        f.debug_struct("EtcdStore")
            .field("endpoints", &endpoints)
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn invalid_options(why: impl fmt::Display) -> StoreError {
    StoreError::Internal(format!("invalid etcd options: {why}"))
}

/// Whether an error means the member is (temporarily) unreachable, leaderless or busy.
fn is_unavailable(e: &EtcdError) -> bool {
    match e {
        EtcdError::TransportError(_) | EtcdError::IoError(_) | EtcdError::WatchError(_) => true,
        // The client's keep-alive stream broke (a lease that is gone is not an outage).
        EtcdError::LeaseKeepAliveError(m) => !m.contains("not found"),
        EtcdError::GRpcStatus(s) => match i32::from(s.code()) {
            CODE_CANCELLED
            | CODE_DEADLINE_EXCEEDED
            | CODE_RESOURCE_EXHAUSTED
            | CODE_ABORTED
            | CODE_UNAVAILABLE => true,
            // tonic reports broken HTTP/2 connections as Unknown.
            CODE_UNKNOWN => {
                let m = s.message().to_ascii_lowercase();
                ["transport", "connection", "broken pipe", "reset", "closed"]
                    .iter()
                    .any(|w| m.contains(w))
            }
            _ => {
                let m = s.message();
                m.contains("no leader") || m.contains("leader changed") || m.contains("timed out")
            }
        },
        _ => false,
    }
}

/// Whether a failed request certainly never reached a member (so it is safe to send again).
fn never_sent(e: &EtcdError) -> bool {
    match e {
        EtcdError::TransportError(_) => true,
        EtcdError::GRpcStatus(s) => {
            i32::from(s.code()) == CODE_UNAVAILABLE
                && (s.message().contains("connect error") || s.message().contains("dns error"))
        }
        _ => false,
    }
}

/// Map a client error onto the store's errors.
fn map_err(e: EtcdError) -> StoreError {
    if is_unavailable(&e) {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Internal(format!("etcd: {e}"))
    }
}

fn status_message(e: &EtcdError) -> &str {
    match e {
        EtcdError::GRpcStatus(s) => s.message(),
        _ => "",
    }
}

/// etcd's `ErrCompacted`.
fn is_compacted(e: &EtcdError) -> bool {
    status_message(e).contains("required revision has been compacted")
}

/// etcd's `ErrFutureRev`.
fn is_future(e: &EtcdError) -> bool {
    status_message(e).contains("required revision is a future revision")
}

fn revision(n: i64) -> Result<Revision> {
    u64::try_from(n)
        .map(Revision::new)
        .map_err(|_| StoreError::Internal(format!("etcd returned revision {n}")))
}

fn header_revision(header: Option<&ResponseHeader>) -> Result<Revision> {
    let header =
        header.ok_or_else(|| StoreError::Internal("etcd response without header".into()))?;
    revision(header.revision())
}

/// A store revision as etcd's signed revision; values etcd can never reach saturate.
fn to_etcd(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// A TTL in whole seconds, rounded up, at least 1, at most etcd's maximum.
fn ttl_seconds(ttl: Duration) -> i64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0));
    i64::try_from(secs.max(1))
        .unwrap_or(MAX_LEASE_TTL)
        .min(MAX_LEASE_TTL)
}

/// Outcome of reading at a historical revision.
enum Probe {
    Ok,
    Compacted,
    Future,
}

/// State of one watch stream.
struct WatchState {
    stream: etcd_client::WatchStream,
    pool: Arc<Pool>,
    member: usize,
    prefix: String,
    pending: VecDeque<Result<WatchEvent>>,
    last: Revision,
    done: bool,
}

impl WatchState {
    /// Turn one etcd watch response into queued events (and a final error when it ends).
    fn absorb(&mut self, resp: &WatchResponse) {
        for ev in resp.events() {
            match watch_event(&self.prefix, ev) {
                Some(Ok(e)) => {
                    self.last = e.object.mod_revision;
                    self.pending.push_back(Ok(e));
                }
                Some(Err(e)) => {
                    self.pending.push_back(Err(e));
                    self.done = true;
                    return;
                }
                None => {}
            }
        }
        if resp.compact_revision() != 0 {
            let compacted = revision(resp.compact_revision()).unwrap_or(self.last.next());
            self.pending.push_back(Err(StoreError::TooOld {
                requested: self.last,
                compacted,
            }));
            self.done = true;
        } else if resp.canceled() {
            self.pool.failed(self.member);
            self.pending.push_back(Err(StoreError::Unavailable(format!(
                "etcd canceled the watch: {}",
                resp.cancel_reason()
            ))));
            self.done = true;
        }
    }
}

/// Decode an etcd key into a store key; `None` (with a warning) for foreign keys that are not
/// store keys, which are skipped.
fn decode_key(prefix: &str, raw: &[u8]) -> Option<Key> {
    let decoded = std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.strip_prefix(prefix))
        .and_then(|s| Key::decode(s).ok());
    if decoded.is_none() {
        tracing::warn!(key = %String::from_utf8_lossy(raw), "skipping a foreign key in etcd");
    }
    decoded
}

fn object(key: Key, kv: &KeyValue) -> Result<Object> {
    Ok(Object {
        key,
        value: kv.value().to_vec(),
        mod_revision: revision(kv.mod_revision())?,
        create_revision: revision(kv.create_revision())?,
    })
}

/// Map one etcd event. etcd marks deletes by a tombstone with create revision 0 (exactly how
/// etcd itself classifies them); a put whose create and mod revisions agree is a creation.
fn watch_event(prefix: &str, ev: &Event) -> Option<Result<WatchEvent>> {
    let kv = ev.kv()?;
    let key = decode_key(prefix, kv.key())?;
    let prev = ev.prev_kv();
    let prev_value = prev.map(|p| p.value().to_vec());
    let event = (|| {
        if kv.create_revision() == 0 {
            Ok(WatchEvent {
                kind: EventKind::Deleted,
                object: Object {
                    key,
                    value: prev_value.clone().unwrap_or_default(),
                    mod_revision: revision(kv.mod_revision())?,
                    create_revision: prev
                        .map(|p| revision(p.create_revision()))
                        .transpose()?
                        .unwrap_or(Revision::ZERO),
                },
                prev_value,
            })
        } else if kv.create_revision() == kv.mod_revision() {
            Ok(WatchEvent {
                kind: EventKind::Created,
                object: object(key, kv)?,
                prev_value: None,
            })
        } else {
            Ok(WatchEvent {
                kind: EventKind::Updated,
                object: object(key, kv)?,
                prev_value,
            })
        }
    })();
    Some(event)
}

/// Why a guarded write failed, from the `get` of its failure branch.
fn failed_precondition(ops: &[TxnOpResponse]) -> Result<StoreError> {
    let current = ops.iter().find_map(|op| match op {
        TxnOpResponse::Get(g) => Some(g.kvs().first().map(KeyValue::mod_revision)),
        _ => None,
    });
    match current {
        Some(None) => Ok(StoreError::NotFound),
        Some(Some(rev)) => Ok(StoreError::Conflict {
            current: Some(revision(rev)?),
        }),
        None => Err(StoreError::Internal(
            "etcd transaction failed without its read".into(),
        )),
    }
}

/// Guards of a write to an existing key: it exists and, with `expected`, is at that revision.
fn existing(key: &[u8], expected: Option<Revision>) -> Vec<Compare> {
    let mut when = vec![Compare::create_revision(key, CompareOp::Greater, 0)];
    if let Some(expected) = expected {
        // A revision etcd cannot have never matches (-1).
        let expected = i64::try_from(expected.get()).unwrap_or(-1);
        when.push(Compare::mod_revision(key, CompareOp::Equal, expected));
    }
    when
}

impl EtcdStore {
    /// Connect to etcd and check that a member answers. Fails with `Unavailable` when none
    /// answers within the timeouts, and with `Internal` for inconsistent options.
    pub async fn connect(options: EtcdOptions) -> Result<EtcdStore> {
        if options.endpoints.is_empty() {
            return Err(invalid_options("no endpoints"));
        }
        let mut connect = ConnectOptions::new()
            .with_connect_timeout(options.connect_timeout)
            .with_keep_alive(KEEP_ALIVE_INTERVAL, KEEP_ALIVE_TIMEOUT)
            // A member without a leader refuses requests (and ends watches) at once, instead of
            // letting them hang; the store then moves to another member.
            .with_require_leader(true);
        match (&options.username, &options.password) {
            (Some(user), Some(password)) => {
                connect = connect
                    .with_user(user.clone(), password.clone())
                    .with_auto_token_refresh(true);
            }
            (None, None) => {}
            _ => return Err(invalid_options("username and password go together")),
        }
        let identity = match (&options.client_cert_pem, &options.client_key_pem) {
            (Some(cert), Some(key)) => Some(Identity::from_pem(cert, key)),
            (None, None) => None,
            _ => return Err(invalid_options("client certificate and key go together")),
        };
        if options.ca_cert_pem.is_some() || identity.is_some() {
            if let Some(e) = options.endpoints.iter().find(|e| e.starts_with("http://")) {
                return Err(invalid_options(format!(
                    "TLS is configured but endpoint {e} is plain http"
                )));
            }
            let mut config = TlsOptions::new();
            if let Some(ca) = &options.ca_cert_pem {
                config = config.ca_certificate(Certificate::from_pem(ca));
            }
            if let Some(identity) = identity {
                config = config.identity(identity);
            }
            connect = connect.with_tls(config);
        }
        let mut members = Vec::with_capacity(options.endpoints.len());
        for endpoint in &options.endpoints {
            // Without authentication this only checks the URL; with it, it also logs in (a
            // member that is down now is connected on first use).
            let client = match tokio::time::timeout(
                options.connect_timeout,
                Client::connect([endpoint.as_str()], Some(connect.clone())),
            )
            .await
            {
                Ok(Ok(client)) => Some(client),
                Ok(Err(e @ (EtcdError::InvalidArgs(_) | EtcdError::InvalidUri(_)))) => {
                    return Err(invalid_options(format!("endpoint {endpoint}: {e}")));
                }
                Ok(Err(e)) if !is_unavailable(&e) => return Err(map_err(e)),
                Ok(Err(_)) | Err(_) => None,
            };
            members.push(Member {
                endpoint: endpoint.clone(),
                client: Mutex::new(client),
            });
        }
        // Spread the processes of a deployment over the members.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as usize)
            % members.len();
        let store = EtcdStore {
            pool: Arc::new(Pool {
                members,
                current: AtomicUsize::new(start),
                options: connect,
            }),
            prefix: options.prefix.trim_end_matches('/').to_owned(),
            request_timeout: options.request_timeout,
        };
        store.current_revision().await?;
        Ok(store)
    }

    /// The etcd key prefix of this store (without a trailing `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Send one request (made by `op` for a member's client) under the request timeout, moving
    /// on from failing members. Returns the member that answered and etcd's own answer.
    async fn send<T, F, Fut>(&self, mut op: F) -> Result<(usize, std::result::Result<T, EtcdError>)>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, EtcdError>>,
    {
        let pool = &self.pool;
        let n = pool.members.len();
        let used = AtomicUsize::new(pool.current.load(Ordering::Acquire));
        let attempts = async {
            let mut attempt = 0;
            loop {
                let i = pool.current.load(Ordering::Acquire) % n;
                used.store(i, Ordering::Release);
                let result = match pool.client(i).await {
                    Ok(client) => op(client).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = &result
                    && is_unavailable(e)
                {
                    pool.failed(i);
                    attempt += 1;
                    if never_sent(e) && attempt < 2 * n {
                        continue;
                    }
                }
                return (i, result);
            }
        };
        match tokio::time::timeout(self.request_timeout, attempts).await {
            Ok(answer) => Ok(answer),
            Err(_) => {
                pool.failed(used.load(Ordering::Acquire));
                Err(StoreError::Unavailable(format!(
                    "etcd request timed out after {:?}",
                    self.request_timeout
                )))
            }
        }
    }

    /// [`send`](Self::send), keeping etcd's answer unmapped.
    async fn timed<T, F, Fut>(&self, op: F) -> Result<std::result::Result<T, EtcdError>>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, EtcdError>>,
    {
        Ok(self.send(op).await?.1)
    }

    /// [`send`](Self::send), mapping etcd's errors.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = std::result::Result<T, EtcdError>>,
    {
        self.timed(op).await?.map_err(map_err)
    }

    /// A linearizable range read, etcd's answer unmapped.
    async fn range(
        &self,
        key: &[u8],
        opts: Option<GetOptions>,
    ) -> Result<std::result::Result<GetResponse, EtcdError>> {
        self.timed(|c| {
            let (key, opts) = (key.to_vec(), opts.clone());
            async move {
                let mut kv = c.kv_client().max_decoding_message_size(MAX_MESSAGE);
                kv.get(key, opts).await
            }
        })
        .await
    }

    async fn txn(&self, txn: Txn) -> Result<TxnResponse> {
        self.call(|c| {
            let txn = txn.clone();
            async move {
                let mut kv = c.kv_client().max_decoding_message_size(MAX_MESSAGE);
                kv.txn(txn).await
            }
        })
        .await
    }

    fn etcd_key(&self, key: &Key) -> Vec<u8> {
        format!("{}{}", self.prefix, key.as_str()).into_bytes()
    }

    fn etcd_range(&self, prefix: &Prefix) -> (Vec<u8>, Vec<u8>) {
        (
            format!("{}{}", self.prefix, prefix.as_str()).into_bytes(),
            format!("{}{}", self.prefix, prefix.range_end()).into_bytes(),
        )
    }

    fn lease_key(&self, name: &str) -> Vec<u8> {
        format!("{}/_leases/{name}", self.prefix).into_bytes()
    }

    /// A key no object uses, for reads that only want a header or an error.
    fn probe_key(&self) -> Vec<u8> {
        format!("{}/", self.prefix).into_bytes()
    }

    /// Whether etcd can still read at revision `at` (a single-key read: cheap whatever the
    /// history).
    async fn probe(&self, at: i64) -> Result<Probe> {
        let opts = GetOptions::new()
            .with_revision(at)
            .with_keys_only()
            .with_limit(1);
        match self.range(&self.probe_key(), Some(opts)).await? {
            Ok(_) => Ok(Probe::Ok),
            Err(e) if is_compacted(&e) => Ok(Probe::Compacted),
            Err(e) if is_future(&e) => Ok(Probe::Future),
            Err(e) => Err(map_err(e)),
        }
    }

    /// The oldest revision still readable, learned from a watch etcd cancels for compaction;
    /// only called after etcd said "compacted", so the answer comes quickly.
    async fn compacted_revision(&self) -> Option<Revision> {
        let key = self.probe_key();
        let mut stream = self
            .call(|c| {
                let key = key.clone();
                let opts = WatchOptions::new().with_start_revision(1);
                async move { c.watch_client().watch(key, Some(opts)).await }
            })
            .await
            .ok()?;
        let wait = async {
            loop {
                match stream.message().await {
                    Ok(Some(r)) if r.compact_revision() > 0 => {
                        return revision(r.compact_revision()).ok();
                    }
                    Ok(Some(r)) if r.canceled() => return None,
                    Ok(Some(_)) => {}
                    _ => return None,
                }
            }
        };
        tokio::time::timeout(COMPACTION_HINT_WAIT, wait)
            .await
            .ok()
            .flatten()
    }

    /// `TooOld` for a read at `requested`, which etcd said is compacted.
    async fn too_old(&self, requested: u64) -> StoreError {
        let compacted = self
            .compacted_revision()
            .await
            .unwrap_or(Revision::new(requested.saturating_add(1)));
        StoreError::TooOld {
            requested: Revision::new(requested),
            compacted,
        }
    }

    /// The record of lease `name` (holder, etcd lease id, mod revision), if anyone holds it.
    async fn lease_record(&self, name: &str) -> Result<Option<KeyValue>> {
        let resp = self
            .range(&self.lease_key(name), None)
            .await?
            .map_err(map_err)?;
        Ok(resp.kvs().first().cloned())
    }

    /// Grant an etcd lease of `ttl` seconds.
    async fn grant(&self, ttl: i64) -> Result<i64> {
        self.call(|c| async move { c.lease_client().grant(ttl, None).await })
            .await
            .map(|g| g.id())
    }

    /// Refresh etcd lease `id`: its granted TTL, or `None` if it is gone.
    async fn keep_alive(&self, id: i64) -> Result<Option<i64>> {
        if id == 0 {
            return Ok(None);
        }
        let refreshed = self
            .timed(|c| async move { c.lease_client().keep_alive(id).await.map(drop) })
            .await?;
        match refreshed {
            Ok(()) => {}
            Err(EtcdError::LeaseKeepAliveError(m)) if m.contains("not found") => return Ok(None),
            Err(e) => return Err(map_err(e)),
        }
        // The client consumed etcd's answer to learn the lease is alive; the granted TTL is not
        // exposed there, so ask for it.
        let ttl = self
            .call(|c| async move { c.lease_client().time_to_live(id, None).await })
            .await?;
        Ok((ttl.ttl() > 0).then_some(ttl.granted_ttl()))
    }

    /// Revoke etcd lease `id` (deleting the keys on it), best effort: a lease that cannot be
    /// revoked now expires by itself.
    async fn revoke(&self, id: i64) {
        if id == 0 {
            return;
        }
        match self
            .timed(|c| async move { c.lease_client().revoke(id).await })
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if status_message(&e).contains("lease not found") => {}
            Ok(Err(e)) => tracing::debug!(error = %e, lease = id, "etcd lease revoke failed"),
            Err(e) => tracing::debug!(error = %e, lease = id, "etcd lease revoke failed"),
        }
    }

    /// Keep our lease `record` alive for at least `ttl`; `false` if it is no longer ours.
    async fn renew_record(
        &self,
        name: &str,
        holder: &str,
        record: &KeyValue,
        ttl: Duration,
    ) -> Result<bool> {
        let want = ttl_seconds(ttl);
        let Some(granted) = self.keep_alive(record.lease()).await? else {
            return Ok(false);
        };
        if granted < want {
            // etcd cannot lengthen a lease: attach the key to a new, longer one.
            return self.reattach(name, holder, record, want).await;
        }
        // The key must still be ours and still on that lease.
        Ok(self
            .lease_record(name)
            .await?
            .is_some_and(|r| r.value() == holder.as_bytes() && r.lease() == record.lease()))
    }

    /// Move our lease key onto a new etcd lease of `ttl` seconds.
    async fn reattach(
        &self,
        name: &str,
        holder: &str,
        record: &KeyValue,
        ttl: i64,
    ) -> Result<bool> {
        let lease = self.grant(ttl).await?;
        let key = self.lease_key(name);
        let txn = Txn::new()
            .when([
                Compare::mod_revision(key.clone(), CompareOp::Equal, record.mod_revision()),
                Compare::value(key.clone(), CompareOp::Equal, holder.as_bytes()),
            ])
            .and_then([TxnOp::put(
                key,
                holder.as_bytes(),
                Some(PutOptions::new().with_lease(lease)),
            )]);
        match self.txn(txn).await.map(|r| r.succeeded()) {
            Ok(true) => {
                self.revoke(record.lease()).await;
                Ok(true)
            }
            other => {
                self.revoke(lease).await;
                other
            }
        }
    }
}

impl Backend for EtcdStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>> {
        let resp = self
            .range(&self.etcd_key(key), None)
            .await?
            .map_err(map_err)?;
        resp.kvs()
            .first()
            .map(|found| object(key.clone(), found))
            .transpose()
    }

    async fn list(&self, prefix: &Prefix, opts: &ListOptions) -> Result<ListPage> {
        let (start, end) = self.etcd_range(prefix);
        let (start, at, from_token) = match &opts.continue_token {
            Some(token) => {
                let (rv, last) = ContinueToken::decode(prefix, token)?;
                let mut start = format!("{}{last}", self.prefix).into_bytes();
                start.push(0);
                (start, rv.get(), true)
            }
            None => (start, opts.revision.map_or(0, Revision::get), false),
        };
        if !from_token && opts.revision == Some(Revision::ZERO) {
            // Nothing exists at revision 0 (etcd would read 0 as "latest"), unless history is
            // compacted, as for any revision.
            return match self.probe(1).await? {
                Probe::Compacted => Err(self.too_old(0).await),
                _ => Ok(ListPage {
                    items: Vec::new(),
                    revision: Revision::ZERO,
                    continue_token: None,
                    remaining: None,
                }),
            };
        }
        let mut get = GetOptions::new().with_range(end).with_revision(to_etcd(at));
        if let Some(limit) = opts.limit.filter(|l| *l > 0) {
            get = get.with_limit(to_etcd(limit));
        }
        let resp = match self.range(&start, Some(get)).await? {
            Ok(resp) => resp,
            Err(e) if from_token && (is_compacted(&e) || is_future(&e)) => {
                return Err(StoreError::ContinueExpired);
            }
            Err(e) if is_compacted(&e) => return Err(self.too_old(at).await),
            Err(e) if is_future(&e) => {
                let latest = self.current_revision().await.unwrap_or(Revision::new(at));
                return Err(StoreError::TooOld {
                    requested: Revision::new(at),
                    compacted: latest,
                });
            }
            Err(e) => return Err(map_err(e)),
        };
        let rv = if at > 0 {
            Revision::new(at)
        } else {
            header_revision(resp.header())?
        };
        let mut items = Vec::with_capacity(resp.kvs().len());
        for found in resp.kvs() {
            if let Some(key) = decode_key(&self.prefix, found.key()) {
                items.push(object(key, found)?);
            }
        }
        // Resume after the last key etcd returned, even if it was a skipped foreign key.
        let last = resp
            .kvs()
            .last()
            .and_then(|l| std::str::from_utf8(l.key()).ok())
            .and_then(|l| l.strip_prefix(self.prefix.as_str()));
        let (continue_token, remaining) = match (resp.more(), last) {
            (true, Some(last)) => (
                Some(ContinueToken::encode(prefix, rv, last)),
                u64::try_from(resp.count())
                    .ok()
                    .map(|c| c.saturating_sub(resp.kvs().len() as u64)),
            ),
            _ => (None, None),
        };
        Ok(ListPage {
            items,
            revision: rv,
            continue_token,
            remaining,
        })
    }

    async fn create(&self, key: &Key, value: Vec<u8>) -> Result<Revision> {
        let k = self.etcd_key(key);
        let txn = Txn::new()
            .when([Compare::create_revision(k.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(k, value, None)]);
        let resp = self.txn(txn).await?;
        if !resp.succeeded() {
            return Err(StoreError::AlreadyExists);
        }
        header_revision(resp.header())
    }

    async fn update(
        &self,
        key: &Key,
        value: Vec<u8>,
        expected: Option<Revision>,
    ) -> Result<Revision> {
        let k = self.etcd_key(key);
        let txn = Txn::new()
            .when(existing(&k, expected))
            .and_then([TxnOp::put(k.clone(), value, None)])
            .or_else([TxnOp::get(k, None)]);
        let resp = self.txn(txn).await?;
        if resp.succeeded() {
            return header_revision(resp.header());
        }
        Err(failed_precondition(&resp.op_responses())?)
    }

    async fn delete(&self, key: &Key, expected: Option<Revision>) -> Result<Deleted> {
        let k = self.etcd_key(key);
        let txn = Txn::new()
            .when(existing(&k, expected))
            .and_then([TxnOp::delete(
                k.clone(),
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(k, None)]);
        let resp = self.txn(txn).await?;
        let ops = resp.op_responses();
        if !resp.succeeded() {
            return Err(failed_precondition(&ops)?);
        }
        let rev = header_revision(resp.header())?;
        let prev = ops
            .iter()
            .find_map(|op| match op {
                TxnOpResponse::Delete(d) => d.prev_kvs().first().cloned(),
                _ => None,
            })
            .ok_or_else(|| StoreError::Internal("etcd delete without previous value".into()))?;
        Ok(Deleted {
            object: Object {
                key: key.clone(),
                value: prev.value().to_vec(),
                mod_revision: rev,
                create_revision: revision(prev.create_revision())?,
            },
            revision: rev,
        })
    }

    async fn watch(&self, prefix: &Prefix, after: Revision) -> Result<WatchStream> {
        let start = to_etcd(after.get().saturating_add(1));
        // etcd reports a compacted start only later, on the stream; the contract wants the call
        // itself to fail, so check first with a read at the start revision (a future revision is
        // fine: the watch waits for it).
        if let Probe::Compacted = self.probe(start).await? {
            return Err(self.too_old(after.get()).await);
        }
        let (key, end) = self.etcd_range(prefix);
        let opts = WatchOptions::new()
            .with_range(end)
            .with_start_revision(start)
            .with_prev_key();
        let (member, stream) = self
            .send(|c| {
                let (key, opts) = (key.clone(), opts.clone());
                async move {
                    let mut wc = c.watch_client().max_decoding_message_size(MAX_MESSAGE);
                    wc.watch(key, Some(opts)).await
                }
            })
            .await?;
        let mut stream = stream.map_err(map_err)?;
        // Wait for etcd to confirm the watch, so that a refused watch fails here.
        let first = match tokio::time::timeout(self.request_timeout, stream.message()).await {
            Ok(Ok(Some(first))) => first,
            Ok(Ok(None)) => {
                self.pool.failed(member);
                return Err(StoreError::Unavailable(
                    "etcd closed the watch stream".into(),
                ));
            }
            Ok(Err(e)) => {
                self.pool.failed(member);
                return Err(map_err(e));
            }
            Err(_) => {
                self.pool.failed(member);
                return Err(StoreError::Unavailable(
                    "etcd did not confirm the watch".into(),
                ));
            }
        };
        if first.compact_revision() != 0 {
            return Err(self.too_old(after.get()).await);
        }
        if first.canceled() {
            return Err(StoreError::Internal(format!(
                "etcd refused the watch: {}",
                first.cancel_reason()
            )));
        }
        let mut state = WatchState {
            stream,
            pool: self.pool.clone(),
            member,
            prefix: self.prefix.clone(),
            pending: VecDeque::new(),
            last: after,
            done: false,
        };
        state.absorb(&first);
        Ok(into_stream(state))
    }

    async fn current_revision(&self) -> Result<Revision> {
        let opts = GetOptions::new().with_keys_only().with_limit(1);
        let resp = self
            .range(&self.probe_key(), Some(opts))
            .await?
            .map_err(map_err)?;
        header_revision(resp.header())
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let mut target = revision.get();
        for _ in 0..2 {
            if target == 0 {
                return Ok(());
            }
            let at = to_etcd(target);
            let compacted = self
                .timed(|c| async move {
                    let opts = CompactionOptions::new().with_physical();
                    c.kv_client().compact(at, Some(opts)).await
                })
                .await?;
            match compacted {
                Ok(_) => return Ok(()),
                // Already compacted at or past it: nothing to do.
                Err(e) if is_compacted(&e) => return Ok(()),
                // Past the latest revision: compact everything there is.
                Err(e) if is_future(&e) => {
                    target = target.min(self.current_revision().await?.get());
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        Ok(())
    }

    async fn lease_acquire(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let key = self.lease_key(name);
        for _ in 0..LEASE_ATTEMPTS {
            match self.lease_record(name).await? {
                Some(record) if record.value() == holder.as_bytes() => {
                    if self.renew_record(name, holder, &record, ttl).await? {
                        return Ok(true);
                    }
                    // It expired under us: try to take it afresh.
                }
                Some(_) => return Ok(false),
                None => {
                    let lease = self.grant(ttl_seconds(ttl)).await?;
                    let txn = Txn::new()
                        .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
                        .and_then([TxnOp::put(
                            key.clone(),
                            holder.as_bytes(),
                            Some(PutOptions::new().with_lease(lease)),
                        )]);
                    match self.txn(txn).await {
                        Ok(resp) if resp.succeeded() => return Ok(true),
                        Ok(_) => self.revoke(lease).await,
                        Err(e) => {
                            self.revoke(lease).await;
                            return Err(e);
                        }
                    }
                }
            }
        }
        Ok(false)
    }

    async fn lease_renew(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        match self.lease_record(name).await? {
            Some(record) if record.value() == holder.as_bytes() => {
                self.renew_record(name, holder, &record, ttl).await
            }
            _ => Ok(false),
        }
    }

    async fn lease_release(&self, name: &str, holder: &str) -> Result<()> {
        let Some(record) = self.lease_record(name).await? else {
            return Ok(());
        };
        if record.value() != holder.as_bytes() {
            return Ok(());
        }
        let key = self.lease_key(name);
        let txn = Txn::new()
            .when([
                Compare::mod_revision(key.clone(), CompareOp::Equal, record.mod_revision()),
                Compare::value(key.clone(), CompareOp::Equal, holder.as_bytes()),
            ])
            .and_then([TxnOp::delete(key, None)]);
        if self.txn(txn).await?.succeeded() {
            self.revoke(record.lease()).await;
        }
        Ok(())
    }

    async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        self.lease_record(name)
            .await?
            .map(|r| {
                String::from_utf8(r.value().to_vec())
                    .map_err(|_| StoreError::Internal("lease holder is not UTF-8".into()))
            })
            .transpose()
    }
}

fn into_stream(state: WatchState) -> WatchStream {
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.pending.pop_front() {
                return Some((item, st));
            }
            if st.done {
                return None;
            }
            match st.stream.message().await {
                Ok(Some(resp)) => st.absorb(&resp),
                Ok(None) => {
                    st.done = true;
                    st.pool.failed(st.member);
                    st.pending.push_back(Err(StoreError::Unavailable(
                        "etcd closed the watch stream".into(),
                    )));
                }
                Err(e) => {
                    st.done = true;
                    st.pool.failed(st.member);
                    st.pending
                        .push_back(Err(StoreError::Unavailable(format!("etcd watch: {e}"))));
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_and_clamps() {
        assert_eq!(ttl_seconds(Duration::ZERO), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1)), 1);
        assert_eq!(ttl_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(ttl_seconds(Duration::from_secs(15)), 15);
        assert_eq!(ttl_seconds(Duration::MAX), MAX_LEASE_TTL);
    }

    #[test]
    fn options_debug_hides_secrets() {
        let o = EtcdOptions {
            username: Some("root".into()),
            password: Some("hunter2".into()),
            client_key_pem: Some("-----BEGIN PRIVATE KEY-----".into()),
            ..Default::default()
        };
        let s = format!("{o:?}");
        assert!(s.contains("root") && !s.contains("hunter2") && !s.contains("PRIVATE"));
    }

    #[test]
    fn revisions_convert_without_panics() {
        assert!(revision(-1).is_err());
        assert_eq!(revision(7).unwrap(), Revision::new(7));
        assert_eq!(to_etcd(u64::MAX), i64::MAX);
    }

    #[test]
    fn lease_gone_is_not_an_outage() {
        assert!(!is_unavailable(&EtcdError::LeaseKeepAliveError(
            "lease not found".into()
        )));
        assert!(is_unavailable(&EtcdError::WatchError("closed".into())));
        assert!(!never_sent(&EtcdError::InvalidArgs("x".into())));
    }
}

//! The conformance suite against real etcd processes (a fresh single-node etcd on free loopback
//! ports for every test), etcd-specific cases, and a 3-member cluster that loses its leader.
//!
//! Without an `etcd` binary on PATH the tests print a skip reason and pass, unless
//! `TAGPLANE_REQUIRE_PEERS=1`, which turns a missing binary into a failure.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tagplane_store::etcd::{EtcdOptions, EtcdStore};
use tagplane_store::{Backend, Key, ListOptions, Prefix, Revision, StoreError};

use crate::conformance;

/// The `etcd` binary, or `None` (after printing why) when the tests should be skipped.
fn etcd_binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("etcd"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("TAGPLANE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!(
                "TAGPLANE_REQUIRE_PEERS=1 but no `etcd` binary is on PATH \
                 (install it: apt-get install etcd-server)"
            );
        }
        eprintln!(
            "SKIPPED: no `etcd` binary on PATH (apt-get install etcd-server; \
             set TAGPLANE_REQUIRE_PEERS=1 to fail instead of skipping)"
        );
    }
    found
}

/// A free loopback port (bound then released; a clash with another process is retried).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// One etcd member process.
struct Member {
    client_port: u16,
    /// Plain-HTTP port of `/health` (and metrics), also when clients use TLS.
    metrics_port: u16,
    tls: bool,
    child: Option<Child>,
    log: PathBuf,
}

impl Member {
    fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Child::kill sends SIGKILL to this member's own PID.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running etcd cluster of one or more members, killed and removed on drop.
struct Etcd {
    members: Vec<Member>,
    dir: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        for m in &mut self.members {
            m.kill();
        }
    }
}

/// `GET /health` on a member's metrics port: true once it has a leader and serves requests.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body.contains("\"health\":\"true\"")
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Etcd {
    /// A single-node etcd, or `None` when the tests are skipped.
    fn single() -> Option<Etcd> {
        etcd_binary().map(|bin| Etcd::start(&bin, 1, None))
    }

    /// Start `n` members on fresh ports and wait until every one reports healthy. With `tls`
    /// (a directory holding `ca.crt`, `server.crt` and `server.key`), clients must use TLS with a
    /// client certificate.
    fn start(bin: &Path, n: usize, tls: Option<&Path>) -> Etcd {
        let mut last_failure = String::new();
        for attempt in 0..3 {
            // The last attempt avoids /dev/shm, in case it is too small for etcd's WAL files.
            match Etcd::try_start(bin, n, tls, attempt < 2) {
                Ok(etcd) => return etcd,
                Err(why) => last_failure = why,
            }
        }
        panic!("etcd did not start: {last_failure}");
    }

    fn try_start(
        bin: &Path,
        n: usize,
        tls: Option<&Path>,
        in_memory: bool,
    ) -> Result<Etcd, String> {
        // A memory-backed directory when there is one: etcd fsyncs every commit.
        let shm = Path::new("/dev/shm");
        let dir = if in_memory && shm.is_dir() {
            tempfile::Builder::new()
                .prefix("tagplane-etcd")
                .tempdir_in(shm)
        } else {
            tempfile::Builder::new().prefix("tagplane-etcd").tempdir()
        }
        .map_err(|e| e.to_string())?;
        let ports: Vec<(u16, u16, u16)> = (0..n)
            .map(|_| (free_port(), free_port(), free_port()))
            .collect();
        let cluster = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer, _))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("tagplane-{}-{}", std::process::id(), ports[0].0);
        let mut etcd = Etcd {
            members: Vec::new(),
            dir,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        for (i, (client, peer, metrics)) in ports.iter().enumerate() {
            let log = etcd.dir.path().join(format!("m{i}.log"));
            let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let err = out.try_clone().map_err(|e| e.to_string())?;
            let mut command = Command::new(bin);
            if let Some(certs) = tls {
                command
                    .arg(format!(
                        "--cert-file={}",
                        certs.join("server.crt").display()
                    ))
                    .arg(format!("--key-file={}", certs.join("server.key").display()))
                    .arg(format!(
                        "--trusted-ca-file={}",
                        certs.join("ca.crt").display()
                    ))
                    .arg("--client-cert-auth");
            }
            let child = command
                .arg(format!("--name=m{i}"))
                .arg(format!(
                    "--data-dir={}",
                    etcd.dir.path().join(format!("m{i}")).display()
                ))
                .arg(format!(
                    "--listen-client-urls={scheme}://127.0.0.1:{client}"
                ))
                .arg(format!(
                    "--advertise-client-urls={scheme}://127.0.0.1:{client}"
                ))
                .arg(format!("--listen-metrics-urls=http://127.0.0.1:{metrics}"))
                .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer}"))
                .arg(format!(
                    "--initial-advertise-peer-urls=http://127.0.0.1:{peer}"
                ))
                .arg(format!("--initial-cluster={cluster}"))
                .arg(format!("--initial-cluster-token={token}"))
                .arg("--initial-cluster-state=new")
                .arg("--heartbeat-interval=50")
                .arg("--election-timeout=300")
                .arg("--logger=zap")
                .arg("--log-level=warn")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
            etcd.members.push(Member {
                client_port: *client,
                metrics_port: *metrics,
                tls: tls.is_some(),
                child: Some(child),
                log,
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut ready = vec![false; n];
        loop {
            for (i, m) in etcd.members.iter_mut().enumerate() {
                if let Some(child) = m.child.as_mut()
                    && let Ok(Some(status)) = child.try_wait()
                {
                    return Err(format!(
                        "member m{i} exited ({status}); log:\n{}",
                        log_tail(&m.log)
                    ));
                }
                ready[i] = ready[i] || healthy(m.metrics_port);
            }
            if ready.iter().all(|r| *r) {
                return Ok(etcd);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not healthy within 20 s; log of m0:\n{}",
                    log_tail(&etcd.members[0].log)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(Member::endpoint).collect()
    }

    fn options(&self, prefix: &str) -> EtcdOptions {
        EtcdOptions {
            endpoints: self.endpoints(),
            prefix: prefix.into(),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            ..Default::default()
        }
    }

    async fn store(&self) -> EtcdStore {
        EtcdStore::connect(self.options("/conformance"))
            .await
            .expect("connect to etcd")
    }

    /// A raw etcd client on the live members, to look behind the store.
    async fn raw(&self) -> etcd_client::Client {
        let live: Vec<String> = self
            .members
            .iter()
            .filter(|m| m.child.is_some())
            .map(Member::endpoint)
            .collect();
        etcd_client::Client::connect(live, None)
            .await
            .expect("raw etcd client")
    }

    /// Index of the current leader among the live members (asked of each member itself).
    async fn leader(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut ids = Vec::new();
            let mut leader = None;
            for (i, m) in self.members.iter().enumerate() {
                if m.child.is_none() {
                    continue;
                }
                let status = tokio::time::timeout(Duration::from_secs(2), async {
                    let mut c = etcd_client::Client::connect([m.endpoint()], None).await?;
                    c.status().await
                })
                .await;
                if let Ok(Ok(status)) = status {
                    if let Some(h) = status.header() {
                        ids.push((i, h.member_id()));
                    }
                    if status.leader() != 0 {
                        leader = Some(status.leader());
                    }
                }
            }
            if let Some(l) = leader
                && let Some((i, _)) = ids.iter().find(|(_, id)| *id == l)
            {
                return *i;
            }
            assert!(Instant::now() < deadline, "no etcd leader within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

macro_rules! conformance_tests {
    ($($name:ident: $how:ident,)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(etcd) = Etcd::single() else { return };
            let s = etcd.store().await;
            conformance_tests!(@call $how $name s);
        }
    )*};
    (@call arc $name:ident $s:ident) => { conformance::$name(Arc::new($s)).await };
    (@call ref $name:ident $s:ident) => { conformance::$name(&$s).await };
}

conformance_tests! {
    crud: ref,
    concurrent_cas: arc,
    list_snapshot: arc,
    watch_order_and_resume: ref,
    watch_fanout: ref,
    compaction: ref,
    leases: ref,
    uid_precondition: ref,
}

fn key(ns: &str, name: &str) -> Key {
    Key::namespaced("things", ns, name).unwrap()
}

/// Keys under the store prefix that are not store keys are skipped by lists and watches, and
/// two stores with different prefixes do not see each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_isolate_and_foreign_keys_are_skipped() {
    let Some(etcd) = Etcd::single() else { return };
    let a = etcd.store().await;
    let b = EtcdStore::connect(etcd.options("/other/")).await.unwrap();
    assert_eq!(b.prefix(), "/other");
    let p = Prefix::namespace("things", "iso").unwrap();
    let start = a.current_revision().await.unwrap();
    let mut w = a.watch(&p, start).await.unwrap();
    let mut raw = etcd.raw().await;
    raw.put("/conformance/things/iso/a/b/c", "junk", None)
        .await
        .unwrap();
    raw.put("/conformance/things/iso/\u{1}", "junk", None)
        .await
        .unwrap();
    b.create(&key("iso", "in-b"), b"b".to_vec()).await.unwrap();
    let r = a.create(&key("iso", "in-a"), b"a".to_vec()).await.unwrap();
    let listed = a.list(&p, &ListOptions::default()).await.unwrap();
    let names: Vec<&str> = listed.items.iter().map(|o| o.key.name()).collect();
    assert_eq!(names, ["in-a"]);
    let e = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(&mut w))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((e.object.key.name(), e.object.mod_revision), ("in-a", r));
    assert_eq!(
        b.list(&p, &ListOptions::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // paging past a foreign key still terminates
    let mut token = None;
    let mut seen = 0;
    loop {
        let page = a
            .list(
                &p,
                &ListOptions {
                    limit: Some(1),
                    continue_token: token,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen += page.items.len();
        token = page.continue_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, 1);
}

/// A renewal with a longer TTL than the lease was granted moves the key to a longer lease, and a
/// released lease is revoked in etcd.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_renewal_lengthens_the_etcd_lease() {
    let Some(etcd) = Etcd::single() else { return };
    let s = etcd.store().await;
    let mut raw = etcd.raw().await;
    let granted = |mut raw: etcd_client::Client| async move {
        let resp = raw.get("/conformance/_leases/ctl", None).await.unwrap();
        let id = resp.kvs().first().map(|kv| kv.lease()).unwrap_or(0);
        let ttl = raw.lease_time_to_live(id, None).await.unwrap();
        (id, ttl.granted_ttl())
    };
    assert!(
        s.lease_acquire("ctl", "me", Duration::from_secs(3))
            .await
            .unwrap()
    );
    let (first, ttl) = granted(raw.clone()).await;
    assert_eq!(ttl, 3);
    assert!(
        s.lease_renew("ctl", "me", Duration::from_millis(29_500))
            .await
            .unwrap()
    );
    let (second, ttl) = granted(raw.clone()).await;
    assert_eq!(ttl, 30);
    assert_ne!(first, second);
    // renewing with a shorter TTL keeps the lease
    assert!(
        s.lease_renew("ctl", "me", Duration::from_secs(1))
            .await
            .unwrap()
    );
    assert_eq!(granted(raw.clone()).await.0, second);
    assert!(
        s.lease_acquire("ctl", "me", Duration::from_secs(5))
            .await
            .unwrap(),
        "re-acquiring our own lease renews it"
    );
    s.lease_release("ctl", "me").await.unwrap();
    assert_eq!(s.lease_holder("ctl").await.unwrap(), None);
    let leases = raw.leases().await.unwrap();
    assert!(
        leases.leases().iter().all(|l| l.id() != second),
        "released lease revoked"
    );
}

/// A list at revision 0, and lists and watches at revisions etcd has not reached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revision_edges() {
    let Some(etcd) = Etcd::single() else { return };
    let s = etcd.store().await;
    let p = Prefix::namespace("things", "edge").unwrap();
    s.create(&key("edge", "a"), b"a".to_vec()).await.unwrap();
    let zero = s
        .list(
            &p,
            &ListOptions {
                revision: Some(Revision::ZERO),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(zero.items.is_empty() && zero.revision == Revision::ZERO);
    let now = s.current_revision().await.unwrap();
    let future: Revision = (now.to_string().parse::<u64>().unwrap() + 100)
        .to_string()
        .parse()
        .unwrap();
    assert!(matches!(
        s.list(
            &p,
            &ListOptions {
                revision: Some(future),
                ..Default::default()
            }
        )
        .await,
        Err(StoreError::TooOld { .. })
    ));
    let huge: Revision = u64::MAX.to_string().parse().unwrap();
    assert!(matches!(
        s.list(
            &p,
            &ListOptions {
                revision: Some(huge),
                ..Default::default()
            }
        )
        .await,
        Err(StoreError::TooOld { .. })
    ));
    assert!(matches!(
        s.update(&key("edge", "a"), b"x".to_vec(), Some(huge)).await,
        Err(StoreError::Conflict { .. })
    ));
    // watching from the future is allowed and delivers once etcd gets there
    let mut w = s.watch(&p, now).await.unwrap();
    let r = s
        .update(&key("edge", "a"), b"b".to_vec(), None)
        .await
        .unwrap();
    let e = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(&mut w))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(e.object.mod_revision, r);
    s.compact(huge).await.unwrap();
    s.compact(Revision::ZERO).await.unwrap();
    assert!(matches!(
        s.watch(&p, Revision::ZERO).await.map(|_| ()),
        Err(StoreError::TooOld { .. })
    ));
}

/// With etcd gone, calls fail fast with the retryable `Unavailable`, and open watches end with
/// it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_when_etcd_is_gone() {
    let Some(mut etcd) = Etcd::single() else {
        return;
    };
    let s = etcd.store().await;
    let p = Prefix::namespace("things", "gone").unwrap();
    let mut w = s
        .watch(&p, s.current_revision().await.unwrap())
        .await
        .unwrap();
    etcd.members[0].kill();
    let started = Instant::now();
    let err = s.get(&key("gone", "a")).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "fails within the timeout"
    );
    let end = tokio::time::timeout(Duration::from_secs(20), futures::StreamExt::next(&mut w))
        .await
        .expect("watch ends")
        .expect("with an error item");
    assert!(matches!(end, Err(StoreError::Unavailable(_))), "{end:?}");
    let err = EtcdStore::connect(EtcdOptions {
        endpoints: vec![format!("http://127.0.0.1:{}", free_port())],
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(
        EtcdStore::connect(EtcdOptions {
            endpoints: vec![],
            ..Default::default()
        })
        .await,
        Err(StoreError::Internal(_))
    ));
}

/// Retry `op` on `Unavailable` with a bounded backoff until `deadline`.
async fn retrying<T, F, Fut>(deadline: Instant, what: &str, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut backoff = Duration::from_millis(20);
    loop {
        match op().await {
            Err(e) if e.is_retryable() => {
                assert!(
                    Instant::now() < deadline,
                    "{what}: still unavailable at the deadline: {e}"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(400));
            }
            other => return other,
        }
    }
}

/// Create `k` = `v`; an attempt that failed as unavailable may still have landed, which a
/// later `AlreadyExists` with our value reveals.
async fn create_acknowledged(s: &EtcdStore, k: &Key, v: &[u8], deadline: Instant) -> Revision {
    let mut uncertain = false;
    let mut backoff = Duration::from_millis(20);
    loop {
        match s.create(k, v.to_vec()).await {
            Ok(r) => return r,
            Err(StoreError::AlreadyExists) if uncertain => {
                let o = retrying(deadline, "get", || s.get(k))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(o.value, v);
                return o.mod_revision;
            }
            Err(e) if e.is_retryable() => {
                uncertain = true;
                assert!(
                    Instant::now() < deadline,
                    "create {k}: still unavailable at the deadline: {e}"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_millis(400));
            }
            Err(e) => panic!("create {k}: {e}"),
        }
    }
}

/// A 3-member cluster keeps taking writes after its leader is SIGKILLed, and every
/// acknowledged write is readable afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_survives_leader_kill() {
    let Some(bin) = etcd_binary() else { return };
    let mut etcd = Etcd::start(&bin, 3, None);
    // A write in flight when the leader dies hangs until the request timeout: keep it short.
    let s = EtcdStore::connect(EtcdOptions {
        request_timeout: Duration::from_secs(2),
        ..etcd.options("/conformance")
    })
    .await
    .unwrap();
    let mut acked: Vec<(Key, Vec<u8>, Revision)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for i in 0..20 {
        let (k, v) = (key("ha", &format!("k{i:03}")), format!("v{i}").into_bytes());
        let r = create_acknowledged(&s, &k, &v, deadline).await;
        acked.push((k, v, r));
    }
    let leader = etcd.leader().await;
    etcd.members[leader].kill();
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(20);
    let mut first_after_kill = None;
    for i in 20..60 {
        let (k, v) = (key("ha", &format!("k{i:03}")), format!("v{i}").into_bytes());
        let r = create_acknowledged(&s, &k, &v, deadline).await;
        first_after_kill.get_or_insert_with(|| killed.elapsed());
        acked.push((k, v, r));
    }
    eprintln!(
        "leader m{leader} killed; first write acknowledged {:?} later, 40 writes in {:?}",
        first_after_kill.unwrap_or_default(),
        killed.elapsed()
    );
    assert!(
        acked.windows(2).all(|w| w[0].2 < w[1].2),
        "acknowledged revisions increase"
    );
    for (k, v, r) in &acked {
        let o = retrying(deadline, "get", || s.get(k))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{k} lost"));
        assert_eq!((&o.value, o.mod_revision), (v, *r), "{k}");
    }
    let p = Prefix::namespace("things", "ha").unwrap();
    let everything = ListOptions::default();
    let all = retrying(deadline, "list", || s.list(&p, &everything))
        .await
        .unwrap();
    assert_eq!(all.items.len(), acked.len());
}

/// Run `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`.
fn make_certificates(dir: &Path) {
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let ca = [
        &["req", "-x509"][..],
        &key,
        &["-keyout", "ca.key", "-out", "ca.crt"],
    ];
    openssl(
        dir,
        &[
            ca.concat(),
            vec!["-days", "2", "-subj", "/CN=tagplane test CA"],
        ]
        .concat(),
    );
    for (name, usage, san) in [
        (
            "server",
            "serverAuth,clientAuth",
            "subjectAltName=IP:127.0.0.1\n",
        ),
        ("client", "clientAuth", ""),
    ] {
        let ext = format!("{san}extendedKeyUsage={usage}\n");
        std::fs::write(dir.join(format!("{name}.ext")), ext).unwrap();
        let (k, csr, crt, extfile) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
        );
        let subj = format!("/CN={name}");
        openssl(
            dir,
            &[
                &["req"][..],
                &key,
                &["-keyout", &k, "-out", &csr, "-subj", &subj],
            ]
            .concat(),
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &crt,
                "-extfile",
                &extfile,
            ],
        );
    }
}

/// TLS with a private CA and client certificates (aws-lc-rs, no ring); refused without the
/// client certificate; an http endpoint with TLS options is a configuration error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_client_certificates() {
    let Some(bin) = etcd_binary() else { return };
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var("TAGPLANE_REQUIRE_PEERS").as_deref() != Ok("1"),
            "TAGPLANE_REQUIRE_PEERS=1 but `openssl` is missing"
        );
        eprintln!("SKIPPED: no `openssl` to make test certificates");
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let read = |f: &str| std::fs::read_to_string(certs.path().join(f)).unwrap();
    let etcd = Etcd::start(&bin, 1, Some(certs.path()));
    let options = EtcdOptions {
        ca_cert_pem: Some(read("ca.crt")),
        client_cert_pem: Some(read("client.crt")),
        client_key_pem: Some(read("client.key")),
        ..etcd.options("/tls")
    };
    assert!(options.endpoints[0].starts_with("https://"));
    let s = EtcdStore::connect(options.clone())
        .await
        .expect("TLS connect");
    let k = key("tls", "a");
    let r = s.create(&k, b"secret".to_vec()).await.unwrap();
    assert_eq!(s.get(&k).await.unwrap().unwrap().mod_revision, r);

    let anonymous = EtcdStore::connect(EtcdOptions {
        client_cert_pem: None,
        client_key_pem: None,
        request_timeout: Duration::from_secs(2),
        ..options.clone()
    })
    .await;
    assert!(anonymous.is_err(), "no client certificate, no service");
    let plain = EtcdStore::connect(EtcdOptions {
        endpoints: vec![format!("http://127.0.0.1:{}", etcd.members[0].client_port)],
        ..options
    })
    .await
    .unwrap_err();
    assert!(matches!(plain, StoreError::Internal(_)), "{plain:?}");
}

/// An unpaged list larger than gRPC's usual 4 MiB message limit comes back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_unpaged_list() {
    let Some(etcd) = Etcd::single() else { return };
    let s = etcd.store().await;
    let value = vec![b'x'; 1 << 20];
    for i in 0..6 {
        s.create(&key("big", &format!("o{i}")), value.clone())
            .await
            .unwrap();
    }
    let p = Prefix::namespace("things", "big").unwrap();
    let all = s.list(&p, &ListOptions::default()).await.unwrap();
    assert_eq!(all.items.len(), 6);
    assert!(all.items.iter().all(|o| o.value.len() == value.len()));
}

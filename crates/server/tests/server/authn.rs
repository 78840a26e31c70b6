//! Authentication against a real server: anonymous access, bad/expired/revoked tokens, login
//! with an identity file written by the real `htpasswd -B`, the failed-login lockout (per
//! source, also for parallel bursts), service
//! account tokens, kubectl over HTTPS with the generated CA, and secrets kept out of the audit
//! log and the server's logs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ADMIN_TOKEN, Server, peer};
use crate::tags::send;

const IS: &str = "/apis/image.openshift.io/v1/namespaces/default/imagestreams";
const WHOAMI: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

fn assert_unauthorized(code: StatusCode, body: &Value) {
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["reason"], "Unauthorized", "{body}");
    assert_eq!(body["code"], 401, "{body}");
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The `status.userInfo` the server reports for `token`.
async fn whoami(c: &Client, url: &str, token: &str) -> (StatusCode, Value) {
    let (code, body) = send(
        c.post(format!("{url}{WHOAMI}"))
            .bearer_auth(token)
            .json(&json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
    )
    .await;
    (code, body["status"]["userInfo"].clone())
}

/// Write an identity file with the real `htpasswd -B`: alice (groups `devs,ops`) and bob.
fn htpasswd_file(dir: &Path) -> Option<std::path::PathBuf> {
    let bin = peer("htpasswd")?;
    let file = dir.join("users.htpasswd");
    for (create, user, pass) in [(true, "alice", "wonder land"), (false, "bob", "b0b")] {
        let mut c = Command::new(&bin);
        c.arg("-B").arg("-b");
        if create {
            c.arg("-c");
        }
        let out = c.arg(&file).arg(user).arg(pass).output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    // The optional third field: groups.
    let text = std::fs::read_to_string(&file).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("alice:") {
                format!("{l}:devs,ops\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert!(
        text.contains("alice:$2y$"),
        "htpasswd -B writes $2y$ hashes"
    );
    std::fs::write(&file, text).unwrap();
    Some(file)
}

#[tokio::test]
async fn anonymous_callers_reach_only_health_and_version() {
    let s = Server::start();
    let anon = Client::new();
    for path in ["/version", "/healthz", "/readyz", "/livez"] {
        let (code, body) = send(anon.get(format!("{}{path}", s.url))).await;
        assert_eq!(code, StatusCode::OK, "{path}: {body}");
    }
    for path in [
        "/api",
        "/apis",
        "/api/v1/namespaces",
        IS,
        "/openapi/v3",
        "/no/such/path",
    ] {
        let (code, body) = send(anon.get(format!("{}{path}", s.url))).await;
        assert_unauthorized(code, &body);
    }
    let (code, body) = send(anon.post(format!("{}{IS}", s.url)).json(&json!({
        "metadata": {"name": "x"}
    })))
    .await;
    assert_unauthorized(code, &body);
    // Bad tokens are 401 everywhere except where anonymous callers may go.
    for token in ["nope", "sha256~AAAA", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1]] {
        let (code, body) = send(anon.get(format!("{}{IS}", s.url)).bearer_auth(token)).await;
        assert_unauthorized(code, &body);
    }
    let (code, body) = send(anon.get(format!("{}{IS}", s.url)).bearer_auth(ADMIN_TOKEN)).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, who) = whoami(&anon, &s.url, ADMIN_TOKEN).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(who["username"], "system:admin");
    assert_eq!(
        who["groups"],
        json!(["system:masters", "system:authenticated"])
    );
}

#[tokio::test]
async fn login_logout_and_lockout_with_an_htpasswd_identity_file() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = htpasswd_file(dir.path()) else {
        return;
    };
    let s = Server::start_custom(tempfile::tempdir().unwrap(), |c| {
        c.access.identity_file = Some(file.clone());
    });
    let c = Client::new();
    let login = |user: &str, pass: &str| {
        c.post(format!("{}/auth/login", s.url))
            .header("Authorization", basic(user, pass))
    };

    let (code, body) = send(login("alice", "wonder land")).await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "LoginResult");
    assert_eq!(body["apiVersion"], "tagplane.dev/v1");
    assert_eq!(body["username"], "alice");
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sha256~") && token.len() >= 40, "{token}");
    let expires = body["expirationTimestamp"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");

    let (code, who) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::CREATED, "{who}");
    assert_eq!(who["username"], "alice");
    assert_eq!(
        who["groups"],
        json!(["devs", "ops", "system:authenticated"])
    );
    // Only the hash is stored: the token is nowhere in the data directory.
    for entry in walk(s.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !contains(&bytes, token.as_bytes()),
            "{} holds the token",
            entry.display()
        );
    }

    // A second login of bob; logout revokes only the presented token.
    let (code, body) = send(login("bob", "b0b")).await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let bob = body["token"].as_str().unwrap().to_owned();
    let (code, body) = send(c.post(format!("{}/auth/logout", s.url)).bearer_auth(&token)).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "Success");
    let (code, _) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "a revoked token is refused");
    let (code, who) = whoami(&c, &s.url, &bob).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(who["username"], "bob");

    // The identity file is re-read when it changes: a user added by htpasswd can log in.
    let out = Command::new(peer("htpasswd").unwrap())
        .args(["-B", "-b"])
        .arg(&file)
        .args(["carol", "c4rol"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, body) = send(login("carol", "c4rol")).await;
    assert_eq!(code, StatusCode::CREATED, "{body}");

    // Wrong passwords and unknown users: 401 with the same message; the sixth failure in a
    // row is refused without checking, with Retry-After.
    for (user, pass) in [
        ("alice", "wonderland"),
        ("alice", ""),
        ("nobody", "x"),
        ("alice", "WONDER LAND"),
        ("bob", "bob"),
    ] {
        let (code, body) = send(login(user, pass)).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "{user}: {body}");
        assert_eq!(body["message"], "Login failed (401 Unauthorized)");
    }
    let resp = login("alice", "wonder land").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["reason"], "TooManyRequests", "{body}");

    // The lockout is per source: alice logging in from another address still gets in.
    let from = |ip: &str| {
        Client::builder()
            .local_address(ip.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    };
    let login_from = |c: &Client, user: &str, pass: &str| {
        c.post(format!("{}/auth/login", s.url))
            .header("Authorization", basic(user, pass))
            .send()
    };
    let elsewhere = from("127.0.0.2");
    let resp = login_from(&elsewhere, "alice", "wonder land")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    // A burst of 20 parallel wrong passwords gets no more password checks than a sequence:
    // five 401s, the rest 429; meanwhile bob logs in from another address.
    let attacker = from("127.0.0.3");
    let burst = futures::future::join_all(
        (0..20).map(|i| login_from(&attacker, "bob", if i % 2 == 0 { "b0B" } else { "x" })),
    );
    let bob_elsewhere = from("127.0.0.4");
    let (burst, bob) = tokio::join!(burst, login_from(&bob_elsewhere, "bob", "b0b"));
    let codes: Vec<StatusCode> = burst.into_iter().map(|r| r.unwrap().status()).collect();
    let failed = codes
        .iter()
        .filter(|c| **c == StatusCode::UNAUTHORIZED)
        .count();
    let refused = codes
        .iter()
        .filter(|c| **c == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((failed, refused), (5, 15), "{codes:?}");
    assert_eq!(bob.unwrap().status(), StatusCode::CREATED);
    // The right password from the attacking address is refused too, until the lockout ends.
    let resp = login_from(&attacker, "bob", "b0b").await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));

    // Login needs Basic credentials.
    let (code, body) = send(c.post(format!("{}/auth/login", s.url))).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn expired_login_tokens_stop_working() {
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = htpasswd_file(dir.path()) else {
        return;
    };
    let s = Server::start_custom(tempfile::tempdir().unwrap(), |c| {
        c.access.identity_file = Some(file.clone());
        c.access.token_ttl = Duration::from_secs(1);
    });
    let c = Client::new();
    let (code, body) = send(
        c.post(format!("{}/auth/login", s.url))
            .header("Authorization", basic("bob", "b0b")),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    // Poll until the token has expired (1 s lifetime); it must not outlive a generous deadline.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, _) = whoami(&c, &s.url, &token).await;
        if code == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(code, StatusCode::CREATED);
        assert!(Instant::now() < deadline, "the token never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The dead record is swept from the store; the admin token (no expiry) stays.
    let dir = tokio::task::spawn_blocking(move || s.into_dir())
        .await
        .unwrap();
    let store = tagplane_store::AnyStore::Redb(
        tagplane_store::redb::RedbStore::open(
            &dir.path().join("store.redb"),
            tagplane_store::redb::RedbOptions::default(),
        )
        .unwrap(),
    );
    let service = tagplane_server::serve::build_service(store, Default::default())
        .await
        .unwrap();
    assert_eq!(service.sweep_tokens().await.unwrap(), 1);
    assert_eq!(service.sweep_tokens().await.unwrap(), 0);
    assert!(
        service
            .authenticate_token(ADMIN_TOKEN)
            .await
            .unwrap()
            .is_some()
    );
    assert!(service.authenticate_token(&token).await.unwrap().is_none());
}

/// Revoking the admin token sticks across restarts (also after the sweep removed its record):
/// the server writes a new admin token into the kubeconfig instead of reviving the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_admin_token_stays_revoked_across_restarts() {
    let s = Server::start();
    let anon = s.client_with_token(None);
    let (code, _) = send(
        anon.post(format!("{}/auth/logout", s.url))
            .bearer_auth(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let kubeconfig_token = |dir: &std::path::Path| {
        std::fs::read_to_string(dir.join("admin.kubeconfig"))
            .unwrap()
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: ").map(str::to_owned))
            .unwrap()
    };
    let mut dir = tokio::task::spawn_blocking(move || s.into_dir())
        .await
        .unwrap();
    // Two restarts: the first sweeps the revoked record, the second finds it gone.
    for _ in 0..2 {
        let s = tokio::task::spawn_blocking(move || Server::start_in(dir))
            .await
            .unwrap();
        let anon = s.client_with_token(None);
        let (code, _) = whoami(&anon, &s.url, ADMIN_TOKEN).await;
        assert_eq!(
            code,
            StatusCode::UNAUTHORIZED,
            "the revoked token came back"
        );
        let fresh = kubeconfig_token(s.dir.path());
        assert_ne!(fresh, ADMIN_TOKEN);
        let (code, who) = whoami(&anon, &s.url, &fresh).await;
        assert_eq!(code, StatusCode::CREATED, "{who}");
        assert_eq!(who["username"], "system:admin");
        dir = tokio::task::spawn_blocking(move || s.into_dir())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn service_account_tokens_work_and_die_with_the_account() {
    let s = Server::start();
    let c = s.client();
    let sa = |ns: &str| format!("{}/api/v1/namespaces/{ns}/serviceaccounts", s.url);

    // Every namespace has default, builder and deployer.
    let (code, body) = send(c.post(format!("{}/api/v1/namespaces", s.url)).json(&json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    for ns in ["default", "team"] {
        let (code, list) = send(c.get(sa(ns))).await;
        assert_eq!(code, StatusCode::OK, "{list}");
        assert_eq!(list["kind"], "ServiceAccountList");
        let mut names: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["builder", "default", "deployer"], "{ns}");
    }

    let (code, body) = send(c.post(sa("team")).json(&json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (code, body) = send(c.post(sa("team")).json(&json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}
    })))
    .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");

    let (code, tr) = send(c.post(format!("{}/robot/token", sa("team"))).json(
        &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"expirationSeconds": 7200}}),
    ))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{tr}");
    assert_eq!(tr["kind"], "TokenRequest");
    assert_eq!(tr["spec"]["expirationSeconds"], 7200);
    assert!(tr["status"]["expirationTimestamp"].is_string(), "{tr}");
    let token = tr["status"]["token"].as_str().unwrap().to_owned();
    let (code, who) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::CREATED, "{who}");
    assert_eq!(who["username"], "system:serviceaccount:team:robot");
    assert_eq!(
        who["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:team",
            "system:authenticated"
        ])
    );
    // Without a body the default lifetime applies; too short a lifetime is refused.
    let (code, tr2) = send(c.post(format!("{}/default/token", sa("team")))).await;
    assert_eq!(code, StatusCode::CREATED, "{tr2}");
    assert_eq!(tr2["spec"]["expirationSeconds"], 3600);
    let (code, body) = send(
        c.post(format!("{}/robot/token", sa("team")))
            .json(&json!({"spec": {"expirationSeconds": 5}})),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, body) = send(c.post(format!("{}/ghost/token", sa("team")))).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");

    // Deleting the namespace kills its accounts' tokens at once.
    let (code, body) = send(c.post(format!("{}/api/v1/namespaces", s.url)).json(&json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gone"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (code, tr3) = send(c.post(format!("{}/builder/token", sa("gone")))).await;
    assert_eq!(code, StatusCode::CREATED, "{tr3}");
    let doomed = tr3["status"]["token"].as_str().unwrap();
    let (code, _) = whoami(&c, &s.url, doomed).await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, body) = send(c.delete(format!("{}/api/v1/namespaces/gone", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, _) = whoami(&c, &s.url, doomed).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);

    // Delete the account: its token is dead at once, and stays dead for a new account of
    // the same name (tokens are bound to the uid).
    let (code, body) = send(c.delete(format!("{}/robot", sa("team")))).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, _) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, body) = send(c.post(sa("team")).json(&json!({
        "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (code, _) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    // The other account's token still works.
    let other = tr2["status"]["token"].as_str().unwrap();
    let (code, who) = whoami(&c, &s.url, other).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(who["username"], "system:serviceaccount:team:default");
}

#[test]
fn kubectl_with_tokens_against_a_tls_listener() {
    let Some(kubectl) = crate::kubectl::kubectl_binary() else {
        return;
    };
    let s = Server::start_tls();
    assert!(s.url.starts_with("https://"), "{}", s.url);
    let kubeconfig = std::fs::read_to_string(s.kubeconfig()).unwrap();
    assert!(
        kubeconfig.contains("certificate-authority-data: "),
        "{kubeconfig}"
    );
    assert!(
        kubeconfig.contains(&format!("server: {}", s.url)),
        "{kubeconfig}"
    );
    let ca = s.dir.path().join("tls").join("ca.crt");
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(&kubectl)
            .args(args)
            .arg("--request-timeout=30s")
            .env("HOME", home.path())
            .env("KUBECONFIG", home.path().join("none"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // A service-account token from `kubectl create token` (admin kubeconfig, CA inside).
    let kc = s.kubeconfig();
    let out = run(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "create",
        "token",
        "builder",
    ]);
    assert!(out.status.success(), "{out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("sha256~"), "{token}");

    let ca = ca.to_str().unwrap();
    let who = |token: &str| {
        run(&[
            "--server",
            &s.url,
            "--certificate-authority",
            ca,
            "--token",
            token,
            "auth",
            "whoami",
            "-o",
            "json",
        ])
    };
    let out = who(&token);
    assert!(out.status.success(), "{out:?}");
    let review: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        review["status"]["userInfo"]["username"],
        "system:serviceaccount:default:builder"
    );
    let out = who(ADMIN_TOKEN);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("system:admin"));
    let out = who("sha256~not-a-token");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unauthorized"),
        "{out:?}"
    );
    // kubectl with the token lists image streams.
    let out = run(&[
        "--server",
        &s.url,
        "--certificate-authority",
        ca,
        "--token",
        ADMIN_TOKEN,
        "get",
        "imagestreams",
        "-n",
        "default",
    ]);
    assert!(out.status.success(), "{out:?}");

    // HTTPS only: plain HTTP to the TLS port is answered 400 without being served.
    let plain = s.url.replace("https://", "http://");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap();
        let r = c.get(format!("{plain}/version")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            r.text().await.unwrap(),
            "Client sent an HTTP request to an HTTPS server.\n"
        );
        // And the TLS listener serves the CA-verified client.
        let (code, _) = send(s.client().get(format!("{}/version", s.url))).await;
        assert_eq!(code, StatusCode::OK);
    });
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.file_name().is_some_and(|n| n != "admin.kubeconfig") {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn tokens_and_passwords_stay_out_of_the_audit_log_and_server_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init()
        .ok();
    let dir = tempfile::tempdir().unwrap();
    let Some(file) = htpasswd_file(dir.path()) else {
        return;
    };
    let audit = dir.path().join("audit.log");
    let s = Server::start_custom(tempfile::tempdir().unwrap(), |c| {
        c.access.identity_file = Some(file.clone());
        c.access.audit_log = Some(audit.clone());
    });
    let c = Client::new();
    let (code, body) = send(
        c.post(format!("{}/auth/login", s.url))
            .header("Authorization", basic("alice", "wonder land")),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (code, _) = send(
        c.post(format!("{}/auth/login", s.url))
            .header("Authorization", basic("alice", "wrong password")),
    )
    .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let admin = s.client();
    let (code, body) = send(
        admin
            .post(format!("{}/api/v1/namespaces/default/secrets", s.url))
            .json(&json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "pull"}, "stringData": {"password": "secret-data-xyz"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (code, tr) = send(admin.post(format!(
        "{}/api/v1/namespaces/default/serviceaccounts/default/token",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{tr}");
    let sa_token = tr["status"]["token"].as_str().unwrap().to_owned();
    let (code, _) = whoami(&c, &s.url, &token).await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, _) = whoami(&c, &s.url, &sa_token).await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, _) = send(
        c.get(format!("{}{IS}?watch=false", s.url))
            .bearer_auth("sha256~bogus-token"),
    )
    .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, _) = send(c.post(format!("{}/auth/logout", s.url)).bearer_auth(&token)).await;
    assert_eq!(code, StatusCode::OK);
    drop(s);

    let audit = std::fs::read_to_string(&audit).unwrap();
    let lines: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["user"] == "alice" && l["path"] == WHOAMI && l["code"] == 201),
        "{audit}"
    );
    assert!(
        lines.iter().any(|l| l["user"] == "system:admin"
            && l["verb"] == "create"
            && l["resource"] == "secrets"
            && l["namespace"] == "default"
            && l["code"] == 201),
        "{audit}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["user"] == "system:anonymous" && l["code"] == 401),
        "{audit}"
    );
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("login failed"), "the server logged: {logs}");
    for (what, text) in [("audit log", &audit), ("server log", &logs)] {
        for secret in [
            token.as_str(),
            sa_token.as_str(),
            ADMIN_TOKEN,
            "sha256~bogus-token",
            "wonder land",
            "wrong password",
            "secret-data-xyz",
        ] {
            assert!(
                !text.contains(secret),
                "the {what} holds {secret:?}: {text}"
            );
        }
    }
}

/// Run openssl with `args` in `dir`, requiring success.
fn openssl(bin: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

#[tokio::test]
async fn serves_a_certificate_given_with_tls_cert_and_tls_key() {
    let Some(bin) = peer("openssl") else {
        return;
    };
    let pki = tempfile::tempdir().unwrap();
    let p = pki.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509", "-days", "2", "-subj", "/CN=openssl-test-ca"];
    args.extend(ec);
    args.extend(["-keyout", "ca.key", "-out", "ca.crt"]);
    openssl(&bin, p, &args);
    let mut args = vec!["req", "-subj", "/CN=localhost"];
    args.extend(ec);
    args.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(&bin, p, &args);
    std::fs::write(
        p.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        &bin,
        p,
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
    // The harness trusts `<data-dir>/tls/ca.crt`: put the openssl CA there. The server must
    // serve the given certificate and generate nothing.
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("tls")).unwrap();
    std::fs::copy(p.join("ca.crt"), data.path().join("tls/ca.crt")).unwrap();
    let (cert, key) = (p.join("server.crt"), p.join("server.key"));
    let s = Server::start_custom(data, |c| {
        c.tls.cert = Some(cert.clone());
        c.tls.key = Some(key.clone());
    });
    assert!(s.url.starts_with("https://"));
    assert!(!s.dir.path().join("tls/serving.crt").exists());
    let (code, body) = send(s.client().get(format!("{}{IS}", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let kubeconfig = std::fs::read_to_string(s.kubeconfig()).unwrap();
    assert!(kubeconfig.contains("server: https://"), "{kubeconfig}");
    // A client that does not trust the openssl CA is refused by its own TLS check.
    let err = Client::new()
        .get(format!("{}/version", s.url))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

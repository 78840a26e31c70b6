//! The import controllers (§14.1, §14.2) against real servers with the default importer, which
//! cannot reach registries and records the honest failure "importer not configured…": failures
//! are recorded once at the spec generation and never loop, reference and ImageStreamTag tags
//! are never imported, scheduled tags are re-checked every interval without rewriting an
//! identical failure, generation 0 forces a re-import, and the controllers run only on the
//! lease holder and stop on shutdown. Every wait polls with a deadline; windows in which
//! nothing may happen are watched (the server ends the watch), never slept through.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tagplane_api::image::ImageStream;
use tagplane_server::controllers::{self, ControllerConfig, Controllers, LEASE_NAME};
use tagplane_server::service::imports::UNCONFIGURED_MESSAGE;
use tagplane_server::service::{Service, ServiceConfig, WriteOptions};
use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{AnyStore, Backend};

use crate::harness::{Server, test_controllers};
use crate::tags::{
    NS, client, create_stream, get_stream, image_json, oci_image, push, send, spec_tag, status_tag,
};

const CHECK_ANNOTATION: &str = "openshift.io/image.dockerRepositoryCheck";
/// Generous bound for anything the controllers do "within a few seconds".
const DEADLINE: Duration = Duration::from_secs(20);
/// The scheduled interval of [`test_controllers`].
const INTERVAL: Duration = Duration::from_secs(1);
/// Windows in which nothing may be written: several scheduled intervals.
const QUIET_SECS: u64 = 4;

fn docker(tag: &str, from: &str) -> Value {
    json!({"name": tag, "from": {"kind": "DockerImage", "name": from}})
}

fn scheduled(tag: &str, from: &str) -> Value {
    let mut t = docker(tag, from);
    t["importPolicy"] = json!({"scheduled": true});
    t
}

/// The ImportSuccess condition of `tag`, if any.
fn condition<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    status_tag(stream, tag)?["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "ImportSuccess")
}

fn rv(stream: &Value) -> String {
    stream["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Poll `probe` until it yields a value or `DEADLINE` passes.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until stream `name`'s tag `tag` carries an ImportSuccess condition; the stream.
async fn wait_condition(c: &Client, url: &str, name: &str, tag: &str) -> Value {
    eventually(&format!("a condition on {name}:{tag}"), || async {
        let s = get_stream(c, url, name).await;
        condition(&s, tag).is_some().then_some(s)
    })
    .await
}

/// The failure the default importer leaves, recorded at the tag's spec generation (§10.5).
fn assert_unconfigured_failure(stream: &Value, tag: &str) {
    let cond = condition(stream, tag).unwrap();
    assert_eq!(cond["status"], "False", "{stream}");
    assert_eq!(cond["reason"], "InternalError");
    assert_eq!(cond["message"], UNCONFIGURED_MESSAGE);
    assert_eq!(
        cond["generation"],
        spec_tag(stream, tag).unwrap()["generation"],
        "condition generation == spec generation: {stream}"
    );
}

/// Watch the namespace's streams from `from_rv` for `QUIET_SECS` (the server ends the watch)
/// and return the events about the streams in `names`.
async fn writes_during_window(c: &Client, url: &str, from_rv: &str, names: &[&str]) -> Vec<Value> {
    let (code, body) = send(c.get(format!(
        "{url}{NS}/imagestreams?watch=true&resourceVersion={from_rv}&timeoutSeconds={QUIET_SECS}"
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let text = match body {
        Value::String(s) => s,
        other => format!("{other}\n"),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| names.iter().any(|n| e["object"]["metadata"]["name"] == *n))
        .collect()
}

/// Assert that nothing writes `name` for several intervals after resourceVersion `from_rv`.
async fn assert_quiet(c: &Client, url: &str, name: &str, from_rv: &str) {
    let events = writes_during_window(c, url, from_rv, &[name]).await;
    assert!(events.is_empty(), "{name} was rewritten: {events:?}");
    assert_eq!(rv(&get_stream(c, url, name).await), from_rv);
}

/// Push a fresh image to `name:tag` through an ImageStreamMapping (§8): the tag's history moves
/// on at the stream's generation and its conditions are cleared, with no import pending.
async fn push_image(c: &Client, url: &str, name: &str, tag: &str, seed: &str) -> Value {
    let img = oci_image(seed);
    let (code, out) = push(c, url, name, tag, image_json(&img, "quay.io/org/app")).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    get_stream(c, url, name).await
}

/// §14.1 + §4.3: an importable tag is imported as soon as the stream exists; the failure is
/// recorded at the spec generation, the stream is marked checked, and nothing is written again
/// over several scheduled intervals — the failed import does not loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_1_importable_tag_fails_once_and_does_not_loop() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    let created = create_stream(
        &c,
        &s.url,
        "app",
        json!([docker("latest", "quay.io/org/app:1")]),
    )
    .await;
    assert!(condition(&created, "latest").is_none());
    let stream = wait_condition(&c, &s.url, "app", "latest").await;
    assert_unconfigured_failure(&stream, "latest");
    assert_eq!(
        spec_tag(&stream, "latest").unwrap()["generation"],
        stream["metadata"]["generation"]
    );
    assert!(stream["metadata"]["annotations"][CHECK_ANNOTATION].is_string());
    assert_quiet(&c, &s.url, "app", &rv(&stream)).await;
}

/// §14.1: a full import (no check annotation, `spec.dockerImageRepository` set) asks for the
/// repository and every importable tag; the failed repository records nothing but the
/// annotation, so it is not retried on its own (§10.5 note).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_1_repository_import_is_attempted_once() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    for (name, tags) in [
        ("repo-only", json!([])),
        ("repo-tags", json!([docker("x", "quay.io/org/x:1")])),
    ] {
        let (code, out) = send(c.post(format!("{}{NS}/imagestreams", s.url)).json(&json!({
            "metadata": {"name": name},
            "spec": {"dockerImageRepository": "quay.io/org/app", "tags": tags}
        })))
        .await;
        assert_eq!(code, StatusCode::CREATED, "{out}");
    }
    let only = eventually("the repository check annotation", || async {
        let st = get_stream(&c, &s.url, "repo-only").await;
        st["metadata"]["annotations"][CHECK_ANNOTATION]
            .is_string()
            .then_some(st)
    })
    .await;
    assert!(
        only["status"]["tags"]
            .as_array()
            .is_none_or(|t| t.is_empty()),
        "{only}"
    );
    let tagged = wait_condition(&c, &s.url, "repo-tags", "x").await;
    assert_unconfigured_failure(&tagged, "x");
    let num = |v: &Value| rv(v).parse::<u64>().unwrap();
    let from = num(&only).min(num(&tagged)).to_string();
    let settled = num(&only).max(num(&tagged));
    let events = writes_during_window(&c, &s.url, &from, &["repo-only", "repo-tags"]).await;
    let later: Vec<&Value> = events
        .iter()
        .filter(|e| num(&e["object"]) > settled)
        .collect();
    assert!(later.is_empty(), "rewritten: {later:?}");
}

/// §14.1, §4.3: reference tags and ImageStreamTag tags are never imported — not even when the
/// reference tag is scheduled — while an importable tag created after them is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_1_reference_and_imagestreamtag_tags_are_never_imported() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    let mut reference = scheduled("ref", "quay.io/org/ref:1");
    reference["reference"] = json!(true);
    let refs = create_stream(
        &c,
        &s.url,
        "refs",
        json!([
            reference,
            {"name": "ist", "from": {"kind": "ImageStreamTag", "name": "refs:ref"}}
        ]),
    )
    .await;
    create_stream(
        &c,
        &s.url,
        "control",
        json!([docker("t", "quay.io/org/app:1")]),
    )
    .await;
    wait_condition(&c, &s.url, "control", "t").await;
    assert_quiet(&c, &s.url, "refs", &rv(&refs)).await;
    let now = get_stream(&c, &s.url, "refs").await;
    for tag in ["ref", "ist"] {
        assert!(condition(&now, tag).is_none(), "{tag}: {now}");
        assert_eq!(
            status_tag(&now, tag).unwrap()["items"][0]["dockerImageReference"],
            "quay.io/org/ref:1",
            "resolved on create (§4.5), not imported"
        );
    }
    assert!(now["metadata"]["annotations"][CHECK_ANNOTATION].is_null());
    assert_eq!(
        now["metadata"]["generation"],
        refs["metadata"]["generation"]
    );
}

/// §14.2: a scheduled tag is re-checked every interval, and the identical failure is not
/// re-written; the re-check is visible once something changes what it would record (a push
/// cleared the condition): the scheduled tag gets its failure back, an unscheduled tag does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_scheduled_tag_rechecked_without_rewrites() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    create_stream(
        &c,
        &s.url,
        "sched",
        json!([scheduled("t", "quay.io/org/app:1")]),
    )
    .await;
    create_stream(
        &c,
        &s.url,
        "plain",
        json!([docker("t", "quay.io/org/app:1")]),
    )
    .await;
    let sched = wait_condition(&c, &s.url, "sched", "t").await;
    assert_unconfigured_failure(&sched, "t");
    wait_condition(&c, &s.url, "plain", "t").await;
    assert_quiet(&c, &s.url, "sched", &rv(&sched)).await;

    for round in 0..2 {
        let plain = push_image(&c, &s.url, "plain", "t", &format!("plain-{round}")).await;
        assert!(condition(&plain, "t").is_none(), "a push clears: {plain}");
        let pushed = push_image(&c, &s.url, "sched", "t", &format!("sched-{round}")).await;
        if condition(&pushed, "t").is_none() {
            // (unless the scheduled re-check already ran)
            let head_gen = &status_tag(&pushed, "t").unwrap()["items"][0]["generation"];
            assert_eq!(
                head_gen, &pushed["metadata"]["generation"],
                "nothing pending for §14.1"
            );
        }
        let rechecked = eventually("the scheduled re-check", || async {
            let st = get_stream(&c, &s.url, "sched").await;
            condition(&st, "t").is_some().then_some(st)
        })
        .await;
        assert_unconfigured_failure(&rechecked, "t");
        assert_eq!(
            condition(&rechecked, "t").unwrap()["generation"],
            rechecked["metadata"]["generation"]
        );
        let events = writes_during_window(&c, &s.url, &rv(&plain), &["plain", "sched"]).await;
        let plain_writes: Vec<&Value> = events
            .iter()
            .filter(|e| e["object"]["metadata"]["name"] == "plain")
            .collect();
        assert!(plain_writes.is_empty(), "unscheduled: {plain_writes:?}");
        let last = get_stream(&c, &s.url, "sched").await;
        assert_eq!(
            rv(&last),
            rv(&rechecked),
            "identical failure not re-written"
        );
    }
}

/// §4.3: a client writing generation 0 on a tag forces a re-import even when nothing is
/// pending; the new failure is recorded at the new generation, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_3_generation_zero_forces_reimport() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    create_stream(&c, &s.url, "app", json!([docker("t", "quay.io/org/app:1")])).await;
    wait_condition(&c, &s.url, "app", "t").await;
    let pushed = push_image(&c, &s.url, "app", "t", "gen0").await;
    assert!(condition(&pushed, "t").is_none());
    assert_quiet(&c, &s.url, "app", &rv(&pushed)).await;

    let mut body = pushed.clone();
    let tags = body["spec"]["tags"].as_array_mut().unwrap();
    let t = tags.iter_mut().find(|t| t["name"] == "t").unwrap();
    t["generation"] = json!(0);
    let (code, updated) = send(c.put(format!("{}{NS}/imagestreams/app", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    let forced = spec_tag(&updated, "t").unwrap()["generation"]
        .as_i64()
        .unwrap();
    assert_eq!(Some(forced), updated["metadata"]["generation"].as_i64());
    let reimported = wait_condition(&c, &s.url, "app", "t").await;
    assert_unconfigured_failure(&reimported, "t");
    assert!(
        condition(&reimported, "t").unwrap()["generation"]
            .as_i64()
            .unwrap()
            > forced
    );
    assert_quiet(&c, &s.url, "app", &rv(&reimported)).await;
}

/// Shutdown stops the controllers (serve returns, the store is closed); after a restart on the
/// same data the controllers find nothing to do — the recorded failure is not re-imported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controllers_stop_on_shutdown_and_resume_without_reimport() {
    let s = Server::start_with_controllers(test_controllers(true));
    let c = client();
    create_stream(&c, &s.url, "app", json!([docker("t", "quay.io/org/app:1")])).await;
    let before = wait_condition(&c, &s.url, "app", "t").await;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(s.into_dir());
    });
    let dir = tokio::task::spawn_blocking(move || rx.recv_timeout(DEADLINE))
        .await
        .unwrap()
        .expect("the server (and its controllers) stopped");
    let s = Server::start_full(dir, ServiceConfig::default(), test_controllers(true));
    let after = get_stream(&c, &s.url, "app").await;
    assert_eq!(rv(&after), rv(&before));
    assert_quiet(&c, &s.url, "app", &rv(&after)).await;
}

// ------------------------------------------------------- in-process: leases and counters

fn config(f: impl FnOnce(&mut ControllerConfig)) -> ControllerConfig {
    let mut c = test_controllers(true);
    c.lease_ttl = Duration::from_secs(3);
    f(&mut c);
    c
}

fn open_store(dir: &tempfile::TempDir) -> AnyStore {
    AnyStore::Redb(RedbStore::open(&dir.path().join("store.redb"), RedbOptions::default()).unwrap())
}

async fn service(store: &AnyStore) -> Arc<Service> {
    tagplane_server::serve::build_service(store.clone(), ServiceConfig::default())
        .await
        .unwrap()
}

async fn create(service: &Service, name: &str, tags: Value) -> ImageStream {
    let stream: ImageStream =
        serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"tags": tags}}))
            .unwrap();
    service
        .create_stream("default", stream, WriteOptions::default())
        .await
        .unwrap()
}

async fn has_condition(service: &Service, name: &str, tag: &str) -> Option<ImageStream> {
    let s = service.get_stream("default", name).await.unwrap();
    let found = s.status.tag(tag).is_some_and(|t| !t.conditions.is_empty());
    found.then_some(s)
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    eventually(what, || std::future::ready(f().then_some(()))).await;
}

async fn shut_down(service: &Service, controllers: Controllers) {
    service.begin_shutdown();
    tokio::time::timeout(DEADLINE, controllers.stopped())
        .await
        .expect("controllers stop on shutdown");
}

/// Only the lease holder imports; when it shuts down it releases the lease and another
/// replica over the same store takes over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_lease_hands_over_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let a = service(&store).await;
    let b = service(&store).await;
    let ca = controllers::start(a.clone(), config(|_| {}));
    until("a leads", || ca.is_leader()).await;
    let cb = controllers::start(b.clone(), config(|_| {}));
    create(&a, "one", json!([docker("t", "quay.io/org/app:1")])).await;
    eventually("one imported", || has_condition(&a, "one", "t")).await;
    assert!(ca.stats().imports >= 1, "{:?}", ca.stats());
    assert_eq!(cb.stats(), Default::default(), "b never led");
    assert!(!cb.is_leader());
    assert_eq!(
        store.lease_holder(LEASE_NAME).await.unwrap().as_deref(),
        Some(ca.holder())
    );

    shut_down(&a, ca).await;
    until("b leads", || cb.is_leader()).await;
    create(&b, "two", json!([docker("t", "quay.io/org/app:1")])).await;
    eventually("two imported by b", || has_condition(&b, "two", "t")).await;
    let stats = cb.stats();
    assert_eq!(stats.terms, 1);
    assert!(stats.imports >= 1, "{stats:?}");
    let holder = cb.holder().to_owned();
    assert_eq!(store.lease_holder(LEASE_NAME).await.unwrap(), Some(holder));
    shut_down(&b, cb).await;
    assert_eq!(store.lease_holder(LEASE_NAME).await.unwrap(), None);
}

/// A leader that loses its lease stops working at once; it leads again when the lease is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_lease_stops_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let a = service(&store).await;
    let ca = controllers::start(a.clone(), config(|_| {}));
    until("a leads", || ca.is_leader()).await;
    store.lease_release(LEASE_NAME, ca.holder()).await.unwrap();
    assert!(
        store
            .lease_acquire(LEASE_NAME, "intruder", Duration::from_secs(600))
            .await
            .unwrap()
    );
    until("a notices", || !ca.is_leader()).await;
    let before = ca.stats();
    create(&a, "app", json!([docker("t", "quay.io/org/app:1")])).await;
    // Over several renewal periods and scheduled intervals, nothing is imported.
    let window = Instant::now() + Duration::from_secs(3);
    while Instant::now() < window {
        assert!(has_condition(&a, "app", "t").await.is_none());
        assert!(!ca.is_leader());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ca.stats(), before);
    store.lease_release(LEASE_NAME, "intruder").await.unwrap();
    until("a leads again", || ca.is_leader()).await;
    eventually("app imported", || has_condition(&a, "app", "t")).await;
    assert_eq!(ca.stats().terms, 2);
    shut_down(&a, ca).await;
}

/// §14.2: the scheduled controller checks a scheduled stream once per interval (never faster),
/// and the identical failure leaves the stream untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_scheduled_checks_each_interval_without_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let a = service(&store).await;
    let ca = controllers::start(a.clone(), config(|_| {}));
    create(&a, "app", json!([scheduled("t", "quay.io/org/app:1")])).await;
    let failed = eventually("app imported", || has_condition(&a, "app", "t")).await;
    let first = ca.stats().scheduled_checks;
    let start = Instant::now();
    until("three more scheduled checks", || {
        ca.stats().scheduled_checks >= first + 3
    })
    .await;
    assert!(
        start.elapsed() >= INTERVAL * 3 / 2,
        "paced by the interval: {:?}",
        start.elapsed()
    );
    let now = a.get_stream("default", "app").await.unwrap();
    assert_eq!(
        now.metadata.resource_version,
        failed.metadata.resource_version
    );
    shut_down(&a, ca).await;
}

/// §14.2: with scheduled import disabled only the import controller runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_disable_scheduled_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let a = service(&store).await;
    let ca = controllers::start(a.clone(), config(|c| c.disable_scheduled_import = true));
    create(&a, "app", json!([scheduled("t", "quay.io/org/app:1")])).await;
    eventually("app imported", || has_condition(&a, "app", "t")).await;
    let window = Instant::now() + INTERVAL * 3;
    while Instant::now() < window {
        assert_eq!(ca.stats().scheduled_checks, 0);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ca.stats().imports >= 1);
    shut_down(&a, ca).await;
}

/// §14.2: the global limiter (max per minute, burst 2×max) skips turns it has no token for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_2_global_per_minute_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir);
    let a = service(&store).await;
    let ca = controllers::start(a.clone(), config(|c| c.max_scheduled_per_minute = 1));
    for i in 0..4 {
        create(
            &a,
            &format!("app{i}"),
            json!([scheduled("t", "quay.io/org/app:1")]),
        )
        .await;
    }
    for i in 0..4 {
        let name = format!("app{i}");
        eventually("imported", || has_condition(&a, &name, "t")).await;
    }
    until("turns skipped by the limiter", || {
        ca.stats().scheduled_rate_limited >= 6
    })
    .await;
    assert_eq!(ca.stats().scheduled_checks, 2, "burst of 2×1, then 1/min");
    shut_down(&a, ca).await;
}

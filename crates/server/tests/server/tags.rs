//! ImageStreamTag (§5) and ImageTag (§6) over HTTP against a real server, plus the helpers the
//! other area tests share: requests, real image manifests, and a server whose clock makes a
//! concurrent write between a read and its compare-and-swap (to exercise the retry rules).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tagplane_api::meta::Time;
use tagplane_core::manifest::sha256_digest;
use tagplane_server::objects::{Clock, Objects, SystemClock};
use tagplane_server::service::imports::Importer;
use tagplane_server::service::{Service, ServiceConfig, registry_hostnames};
use tagplane_store::redb::{RedbOptions, RedbStore};
use tagplane_store::{AnyStore, Backend, Key};

use crate::harness::Server;

// ------------------------------------------------------------------------ shared helpers

/// `/apis/image.openshift.io/v1/namespaces/default`.
pub(crate) const NS: &str = "/apis/image.openshift.io/v1/namespaces/default";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Send a request; the status and the JSON body (or the text as a string).
pub(crate) async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let code = resp.status();
    let text = resp.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A client that authenticates as the admin.
pub(crate) fn client() -> Client {
    crate::harness::admin_client()
}

/// A merge-patch request.
pub(crate) fn merge_patch(c: &Client, url: String, body: Value) -> reqwest::RequestBuilder {
    c.patch(url)
        .header("Content-Type", "application/merge-patch+json")
        .body(body.to_string())
}

/// Service settings with an integrated registry hostname.
pub(crate) fn with_registry() -> ServiceConfig {
    ServiceConfig {
        hosts: registry_hostnames(Some("registry.local:5000".into()), None),
        ..Default::default()
    }
}

/// An OCI image built from real manifest and config JSON; `digest` is the manifest's sha256.
#[derive(Clone, Debug)]
pub(crate) struct TestImage {
    /// Manifest digest (the Image name).
    pub digest: String,
    /// Manifest JSON.
    pub manifest: String,
    /// Config JSON.
    pub config: String,
    /// Config digest (`dockerImageMetadata.Id`).
    pub config_digest: String,
    /// The single layer's digest.
    pub layer: String,
}

/// An OCI image whose content depends on `seed`.
pub(crate) fn oci_image(seed: &str) -> TestImage {
    let layer = sha256_digest(format!("layer {seed}").as_bytes());
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {"Env": [format!("SEED={seed}")], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(seed.as_bytes())]}
    })
    .to_string();
    let config_digest = sha256_digest(config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 1234}]
    })
    .to_string();
    TestImage {
        digest: sha256_digest(manifest.as_bytes()),
        manifest,
        config,
        config_digest,
        layer,
    }
}

/// An OCI index over `children` (amd64, then arm64); returns (manifest, digest).
pub(crate) fn oci_index(children: &[&TestImage]) -> (String, String) {
    let arches = ["amd64", "arm64", "ppc64le"];
    let manifests: Vec<Value> = children
        .iter()
        .zip(arches)
        .map(|(c, arch)| {
            json!({"mediaType": OCI_MANIFEST, "digest": c.digest, "size": c.manifest.len(), "platform": {"architecture": arch, "os": "linux"}})
        })
        .collect();
    let manifest =
        json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).to_string();
    let digest = sha256_digest(manifest.as_bytes());
    (manifest, digest)
}

/// The Image JSON of `img` pulled from `repo`.
pub(crate) fn image_json(img: &TestImage, repo: &str) -> Value {
    json!({
        "metadata": {"name": img.digest},
        "dockerImageReference": format!("{repo}@{}", img.digest),
        "dockerImageManifestMediaType": OCI_MANIFEST,
        "dockerImageManifest": img.manifest,
        "dockerImageConfig": img.config
    })
}

/// Create the stream `name` in `default` (optionally with spec tags).
pub(crate) async fn create_stream(c: &Client, url: &str, name: &str, tags: Value) -> Value {
    let (code, s) = send(
        c.post(format!("{url}{NS}/imagestreams"))
            .json(&json!({"metadata": {"name": name}, "spec": {"tags": tags}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{s}");
    s
}

/// POST an ImageStreamMapping of `image` to `stream:tag`.
pub(crate) async fn push(
    c: &Client,
    url: &str,
    stream: &str,
    tag: &str,
    image: Value,
) -> (StatusCode, Value) {
    let body = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamMapping", "metadata": {"name": stream}, "image": image, "tag": tag});
    send(c.post(format!("{url}{NS}/imagestreammappings")).json(&body)).await
}

/// GET a stream.
pub(crate) async fn get_stream(c: &Client, url: &str, name: &str) -> Value {
    let (code, s) = send(c.get(format!("{url}{NS}/imagestreams/{name}"))).await;
    assert_eq!(code, StatusCode::OK, "{s}");
    s
}

/// The status tag `tag` of a stream's JSON.
pub(crate) fn status_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream["status"]["tags"]
        .as_array()
        .and_then(|t| t.iter().find(|x| x["tag"] == tag))
}

/// The spec tag `tag` of a stream's JSON.
pub(crate) fn spec_tag<'a>(stream: &'a Value, tag: &str) -> Option<&'a Value> {
    stream["spec"]["tags"]
        .as_array()
        .and_then(|t| t.iter().find(|x| x["name"] == tag))
}

type Mutation = Box<dyn Fn(&mut Value) + Send + Sync>;

/// A clock that, while armed, rewrites one stored object every time the time is read: the
/// service reads the time between loading a stream and writing it back, so each armed read
/// makes that write conflict.
pub(crate) struct ConflictClock {
    skip: AtomicUsize,
    fires: AtomicUsize,
    fired: AtomicUsize,
    target: std::sync::Mutex<Option<(AnyStore, Key, Arc<Mutation>)>>,
}

impl std::fmt::Debug for ConflictClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConflictClock")
            .field("fires", &self.fires)
            .finish()
    }
}

impl ConflictClock {
    pub(crate) fn new() -> Arc<ConflictClock> {
        Arc::new(ConflictClock {
            skip: AtomicUsize::new(0),
            fires: AtomicUsize::new(0),
            fired: AtomicUsize::new(0),
            target: std::sync::Mutex::new(None),
        })
    }

    /// Rewrite stream `default/name` with `mutate` on the next `times` reads of the clock.
    pub(crate) fn arm(
        &self,
        store: &AnyStore,
        name: &str,
        times: usize,
        mutate: impl Fn(&mut Value) + Send + Sync + 'static,
    ) {
        self.arm_after(store, name, 0, times, mutate);
    }

    /// As [`ConflictClock::arm`], but let the first `skip` reads pass (an Image create reads
    /// the clock twice before a mapping touches its stream).
    pub(crate) fn arm_after(
        &self,
        store: &AnyStore,
        name: &str,
        skip: usize,
        times: usize,
        mutate: impl Fn(&mut Value) + Send + Sync + 'static,
    ) {
        let key = Key::namespaced("imagestreams", "default", name).unwrap();
        *self.target.lock().unwrap() = Some((store.clone(), key, Arc::new(Box::new(mutate))));
        self.fired.store(0, Ordering::SeqCst);
        self.skip.store(skip, Ordering::SeqCst);
        self.fires.store(times, Ordering::SeqCst);
    }

    /// How many rewrites happened since arming.
    pub(crate) fn fired(&self) -> usize {
        self.fired.load(Ordering::SeqCst)
    }

    fn touch(&self) {
        let Some((store, key, mutate)) = self.target.lock().unwrap().clone() else {
            return;
        };
        std::thread::scope(|s| {
            s.spawn(|| {
                futures::executor::block_on(async {
                    if let Some(obj) = store.get(&key).await.unwrap() {
                        let mut v: Value = serde_json::from_slice(&obj.value).unwrap();
                        mutate(&mut v);
                        store
                            .update(&key, serde_json::to_vec(&v).unwrap(), None)
                            .await
                            .unwrap();
                    }
                })
            })
            .join()
            .unwrap();
        });
    }
}

impl Clock for ConflictClock {
    fn now(&self) -> Time {
        if self
            .skip
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return SystemClock.now();
        }
        let armed = self
            .fires
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if armed {
            self.touch();
            self.fired.fetch_add(1, Ordering::SeqCst);
        }
        SystemClock.now()
    }
}

/// Add or change label `bump` of a stored object (a concurrent writer that touches no tag).
pub(crate) fn bump_label(v: &mut Value) {
    let n = v["metadata"]["labels"]["bump"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    v["metadata"]["labels"]["bump"] = json!((n + 1).to_string());
}

/// A server built in-process from a [`Service`] with a custom clock and importer.
pub(crate) struct CustomServer {
    pub url: String,
    pub store: AnyStore,
    pub clock: Arc<ConflictClock>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Drop for CustomServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a server on loopback over a fresh store with a [`ConflictClock`] and `importer`.
pub(crate) async fn custom_server(
    config: ServiceConfig,
    importer: Option<Arc<dyn Importer>>,
) -> CustomServer {
    let dir = tempfile::tempdir().unwrap();
    let store = AnyStore::Redb(
        RedbStore::open(&dir.path().join("store.redb"), RedbOptions::default()).unwrap(),
    );
    let clock = ConflictClock::new();
    let objects = Objects {
        store: store.clone(),
        clock: clock.clone(),
    };
    let mut service = Service::new(objects, config);
    if let Some(i) = importer {
        service = service.with_importer(i);
    }
    let service = Arc::new(service);
    service.ensure_namespace("default").await.unwrap();
    let admin = tagplane_server::serve::admin_user();
    service
        .store_token(crate::harness::ADMIN_TOKEN, &admin, None, None)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = tagplane_server::http::router(service);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    CustomServer {
        url,
        store,
        clock,
        task,
        _dir: dir,
    }
}

// ------------------------------------------------------------------------------- §5 istag

fn istag(name: &str, tag: Value) -> Value {
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "metadata": {"name": name}, "tag": tag})
}

fn docker_tag(from: &str) -> Value {
    json!({"from": {"kind": "DockerImage", "name": from}})
}

/// §5.1 and §6: malformed names are 400 with the exact message on every verb.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_1_names_are_parsed() {
    let s = Server::start();
    let c = client();
    create_stream(&c, &s.url, "app", json!([])).await;
    for bad in ["app", "app:a:b", "app@sha256:1", ":t", "app:"] {
        let url = format!("{}{NS}/imagestreamtags/{bad}", s.url);
        for req in [
            c.get(&url),
            c.delete(&url),
            c.put(&url).json(&istag(bad, docker_tag("a/b:1"))),
        ] {
            let (code, e) = send(req).await;
            assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}: {e}");
            assert_eq!(
                e["message"], "ImageStreamTags must be retrieved with <name>:<tag>",
                "{bad}"
            );
        }
        let (code, e) = send(c.get(format!("{}{NS}/imagetags/{bad}", s.url))).await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert_eq!(
            e["message"],
            "ImageTags must be retrieved with <name>:<tag>"
        );
    }
    let (code, e) = send(
        c.post(format!("{}{NS}/imagestreamtags", s.url))
            .json(&istag("nocolon", docker_tag("a/b:1"))),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(
        e["message"],
        "ImageStreamTags must be retrieved with <name>:<tag>"
    );
}

/// §5.2: the 404 rules — missing stream (details name the stream and the requested resource),
/// reference tags, pending imports, unknown tags and deleted Images.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_get_404_rules() {
    let s = Server::start();
    let c = client();
    let (code, e) = send(c.get(format!("{}{NS}/imagestreamtags/nostream:latest", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreamtags.image.openshift.io \"nostream\" not found"
    );
    assert_eq!(e["details"]["kind"], "imagestreamtags");
    assert_eq!(e["details"]["group"], "image.openshift.io");
    assert_eq!(e["details"]["name"], "nostream");

    create_stream(
        &c,
        &s.url,
        "app",
        json!([
            {"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true},
            {"name": "pending", "from": {"kind": "DockerImage", "name": "quay.io/org/app:2"}}
        ]),
    )
    .await;
    let img = oci_image("s5-2");
    let (code, m) = push(
        &c,
        &s.url,
        "app",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{m}");
    for tag in ["ref", "pending", "unknown"] {
        let (code, e) = send(c.get(format!("{}{NS}/imagestreamtags/app:{tag}", s.url))).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{tag}");
        assert_eq!(
            e["message"],
            format!("imagestreamtags.image.openshift.io \"app:{tag}\" not found")
        );
        assert_eq!(e["details"]["kind"], "imagestreamtags");
    }
    let (code, _) = send(c.get(format!("{}{NS}/imagestreamtags/app:pushed", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    let (code, _) = send(c.delete(format!(
        "{}/apis/image.openshift.io/v1/images/{}",
        s.url, img.digest
    )))
    .await;
    assert_eq!(code, StatusCode::OK);
    let (code, e) = send(c.get(format!("{}{NS}/imagestreamtags/app:pushed", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "a deleted Image hides the tag");
    assert_eq!(
        e["message"],
        "imagestreamtags.image.openshift.io \"app:pushed\" not found"
    );
}

/// §5.2: the view — identity of the stream, time of the event, spec-tag annotations on the
/// istag and its image, decoded metadata with manifest and config blanked, and the Local
/// reference policy applied to the pull spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_2_get_view() {
    let s = Server::start_with(with_registry());
    let c = client();
    let stream = create_stream(&c, &s.url, "app", json!([])).await;
    let (code, _) = send(merge_patch(
        &c,
        format!("{}{NS}/imagestreams/app", s.url),
        json!({"metadata": {"labels": {"team": "a"}}, "spec": {"lookupPolicy": {"local": true}}}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK);
    let img = oci_image("s5-2-view");
    push(
        &c,
        &s.url,
        "app",
        "src",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    let ann = json!({"color": "blue"});
    let body = json!({
        "metadata": {"name": "app:latest", "annotations": ann},
        "tag": {"from": {"kind": "ImageStreamTag", "name": "src"}, "annotations": ann, "referencePolicy": {"type": "Local"}}
    });
    let (code, created) = send(c.post(format!("{}{NS}/imagestreamtags", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");

    let stored = get_stream(&c, &s.url, "app").await;
    let (code, ist) = send(c.get(format!("{}{NS}/imagestreamtags/app:latest", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    assert_eq!(ist["kind"], "ImageStreamTag");
    assert_eq!(ist["metadata"]["name"], "app:latest");
    assert_eq!(ist["metadata"]["namespace"], "default");
    assert_eq!(ist["metadata"]["uid"], stream["metadata"]["uid"]);
    assert_eq!(
        ist["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );
    assert_eq!(ist["metadata"]["labels"]["team"], "a");
    let event = &status_tag(&stored, "latest").unwrap()["items"][0];
    assert_eq!(ist["metadata"]["creationTimestamp"], event["created"]);
    assert_eq!(ist["generation"], event["generation"]);
    assert_eq!(ist["metadata"]["annotations"]["color"], "blue");
    assert_eq!(ist["tag"]["name"], "latest");
    assert_eq!(ist["tag"]["from"]["name"], "src");
    assert_eq!(ist["lookupPolicy"]["local"], true);
    let image = &ist["image"];
    assert_eq!(image["metadata"]["name"], img.digest.as_str());
    assert_eq!(
        image["metadata"]["annotations"]["color"], "blue",
        "spec-tag annotations merged into the image"
    );
    assert_eq!(
        image["dockerImageMetadata"]["Id"],
        img.config_digest.as_str()
    );
    assert_eq!(image["dockerImageLayers"][0]["name"], img.layer.as_str());
    assert!(
        image.get("dockerImageManifest").is_none() && image.get("dockerImageConfig").is_none(),
        "{image}"
    );
    assert_eq!(
        image["dockerImageReference"],
        format!("registry.local:5000/default/app@{}", img.digest),
        "Local policy: the stream's repository with the digest"
    );
    // the source tag has no spec tag: its own pull spec, no annotations
    let (_, src) = send(c.get(format!("{}{NS}/imagestreamtags/app:src", s.url))).await;
    assert!(src["tag"].is_null());
    assert_eq!(
        src["image"]["dockerImageReference"],
        format!("quay.io/org/app@{}", img.digest)
    );
}

/// §5.3: one entry per status tag with an image; the image carries only its name and pull spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_3_list() {
    let s = Server::start();
    let c = client();
    create_stream(&c, &s.url, "app", json!([{"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}])).await;
    create_stream(&c, &s.url, "other", json!([])).await;
    let (a, b) = (oci_image("list-a"), oci_image("list-b"));
    push(&c, &s.url, "app", "a", image_json(&a, "quay.io/org/app")).await;
    push(
        &c,
        &s.url,
        "other",
        "b",
        image_json(&b, "quay.io/org/other"),
    )
    .await;
    let (code, list) = send(c.get(format!("{}{NS}/imagestreamtags", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    assert_eq!(list["kind"], "ImageStreamTagList");
    let mut names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec!["app:a", "other:b"],
        "reference tags have no image and are not listed"
    );
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "app:a")
        .unwrap();
    assert_eq!(item["image"]["metadata"]["name"], a.digest.as_str());
    assert_eq!(
        item["image"]["dockerImageReference"],
        format!("quay.io/org/app@{}", a.digest)
    );
    assert!(
        item["image"].get("dockerImageMetadata").is_none()
            && item["image"].get("dockerImageLayers").is_none()
    );
    let (code, all) = send(c.get(format!(
        "{}/apis/image.openshift.io/v1/imagestreamtags",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    // selectors pick streams first: a name selector can never match `stream:tag`
    let count = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
    for sel in [
        "fieldSelector=metadata.name%3Dapp%3Aa",
        "fieldSelector=metadata.name%3Dapp",
    ] {
        let (code, none) = send(c.get(format!("{}{NS}/imagestreamtags?{sel}", s.url))).await;
        assert_eq!(code, StatusCode::OK, "{none}");
        assert_eq!(count(&none), 0, "{sel}: {none}");
    }
    send(merge_patch(
        &c,
        format!("{}{NS}/imagestreams/other", s.url),
        json!({"metadata": {"labels": {"team": "b"}}}),
    ))
    .await;
    let (code, labelled) = send(c.get(format!(
        "{}{NS}/imagestreamtags?labelSelector=team%3Db",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(count(&labelled), 1);
    assert_eq!(labelled["items"][0]["metadata"]["name"], "other:b");
    let (code, itags) =
        send(c.get(format!("{}{NS}/imagetags?labelSelector=team%21%3Db", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    let names: Vec<&str> = itags["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app:a", "app:ref"]);
    let (code, e) = send(c.get(format!(
        "{}{NS}/imagestreamtags?fieldSelector=spec.bogus%3Dx",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{e}");
}

/// §5.4: create adds the spec tag (creating the stream), ignores metadata.annotations, 409 on
/// an existing spec tag (status-only tags do not count), and accepts a null tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_4_create() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{NS}/imagestreamtags", s.url);
    // the stream is created with just this tag; the spec tag name comes from the object name
    let mut body = istag(
        "fresh:one",
        json!({"name": "ignored", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}),
    );
    body["metadata"]["annotations"] = json!({"only": "meta"});
    body["tag"]["annotations"] = Value::Null;
    let (code, ist) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    assert_eq!(ist["tag"]["name"], "one");
    assert_eq!(
        ist["image"]["dockerImageReference"],
        Value::Null,
        "a reference tag has no image: the image is empty"
    );
    let stream = get_stream(&c, &s.url, "fresh").await;
    let spec = spec_tag(&stream, "one").unwrap();
    assert_eq!(spec["from"]["name"], "quay.io/org/app:1");
    assert!(
        spec["annotations"].is_null(),
        "metadata.annotations are ignored on create: {spec}"
    );
    assert_eq!(stream["metadata"]["generation"], 1);
    // 409 when the spec tag exists (upstream names the singular resource)
    let (code, e) = send(
        c.post(&url)
            .json(&istag("fresh:one", docker_tag("quay.io/org/app:2"))),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(e["reason"], "AlreadyExists");
    assert_eq!(
        e["message"],
        "imagestreamtag.image.openshift.io \"fresh:one\" already exists"
    );
    // a status-only (pushed) tag does not count
    let img = oci_image("s5-4");
    push(
        &c,
        &s.url,
        "fresh",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    let (code, ist) = send(
        c.post(&url)
            .json(&istag("fresh:pushed", docker_tag("quay.io/org/app:3"))),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    assert_eq!(
        ist["image"]["metadata"]["name"],
        img.digest.as_str(),
        "the pushed image is shown"
    );
    // conditions and image in the request are discarded
    let mut body = istag("fresh:disc", docker_tag("quay.io/org/app:4"));
    body["conditions"] =
        json!([{"type": "ImportSuccess", "status": "False", "reason": "Forged", "generation": 1}]);
    body["image"] = json!({"metadata": {"name": "sha256:forged"}, "dockerImageReference": "forged/x@sha256:forged"});
    let (code, ist) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    assert!(
        ist.get("conditions").is_none() && ist["image"]["metadata"]["name"].is_null(),
        "{ist}"
    );
    assert!(status_tag(&get_stream(&c, &s.url, "fresh").await, "disc").is_none());
    // a null tag still succeeds: the stream is written without a spec tag
    let (code, ist) = send(c.post(&url).json(&istag("empty:t", Value::Null))).await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    assert!(ist["tag"].is_null());
    let empty = get_stream(&c, &s.url, "empty").await;
    assert!(empty["spec"].get("tags").is_none(), "{empty}");
    // tag annotations must equal metadata annotations (§3.8)
    let mut body = istag(
        "fresh:ann",
        json!({"from": {"kind": "DockerImage", "name": "a/b:1"}, "annotations": {"x": "1"}}),
    );
    body["metadata"]["annotations"] = json!({"x": "2"});
    let (code, e) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "ImageStreamTag.image.openshift.io \"fresh:ann\" is invalid: tag.annotations: Invalid value: tag annotations must not be provided or must be equal to the object meta annotations"
    );
}

/// §5.5: blind PUT, resourceVersion rules, label defaulting, not-a-spec-tag, 201 vs 200,
/// annotations from metadata, and patches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_5_update() {
    let s = Server::start();
    let c = client();
    let stream = create_stream(&c, &s.url, "app", json!([{"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}])).await;
    send(merge_patch(
        &c,
        format!("{}{NS}/imagestreams/app", s.url),
        json!({"metadata": {"labels": {"team": "a"}}}),
    ))
    .await;
    let put = |name: &str, body: &Value| {
        c.put(format!("{}{NS}/imagestreamtags/{name}", s.url))
            .json(body)
    };

    // blind PUT (no resourceVersion, no labels) of an existing spec tag: 200
    let (code, ist) = send(put("app:t", &istag("app:t", json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:2"}, "reference": true})))).await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    assert_eq!(ist["tag"]["from"]["name"], "quay.io/org/app:2");
    assert_eq!(
        ist["metadata"]["labels"]["team"], "a",
        "labels defaulted from the stream"
    );
    // a new spec tag through PUT: 201
    let (code, ist) = send(put(
        "app:new",
        &istag("app:new", docker_tag("quay.io/org/app:9")),
    ))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    // stale resourceVersion: 409 with the stream's version
    let current = get_stream(&c, &s.url, "app").await;
    let rv = current["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = istag("app:t", docker_tag("quay.io/org/app:3"));
    body["metadata"]["resourceVersion"] = json!(stream["metadata"]["resourceVersion"]);
    let (code, e) = send(put("app:t", &body)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(e["reason"], "Conflict");
    assert_eq!(
        e["message"],
        format!(
            "Operation cannot be fulfilled on imagestreamtags.image.openshift.io \"app:t\": another caller has updated the resource version to {rv}"
        )
    );
    // the current resourceVersion works; annotations come from metadata
    body["metadata"]["resourceVersion"] = json!(rv);
    body["metadata"]["labels"] = json!({"team": "a"});
    body["metadata"]["annotations"] = json!({"note": "x"});
    let (code, ist) = send(put("app:t", &body)).await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    let after = get_stream(&c, &s.url, "app").await;
    assert_eq!(spec_tag(&after, "t").unwrap()["annotations"]["note"], "x");
    // a resourceVersion for a missing stream: 404
    let mut body = istag("ghost:t", docker_tag("a/b:1"));
    body["metadata"]["resourceVersion"] = json!("5");
    let (code, e) = send(put("ghost:t", &body)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreamtags.image.openshift.io \"ghost:t\" not found"
    );
    // without one the stream is created: 201
    let (code, _) = send(put("ghost:t", &istag("ghost:t", docker_tag("a/b:1")))).await;
    assert_eq!(code, StatusCode::CREATED);
    assert!(spec_tag(&get_stream(&c, &s.url, "ghost").await, "t").is_some());
    // neither a spec tag nor a tag in the request: 400
    let img = oci_image("s5-5");
    push(
        &c,
        &s.url,
        "app",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    let (code, e) = send(put("app:pushed", &istag("app:pushed", Value::Null))).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["message"],
        "imagestreamtag pushed is not a spec tag in imagestream default/app, cannot be updated"
    );
    // other fields may not change
    let mut body = istag("app:t", docker_tag("quay.io/org/app:4"));
    body["metadata"]["labels"] = json!({"team": "b"});
    let (code, e) = send(put("app:t", &body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("metadata: Forbidden: may not update fields other than metadata.annotations"),
        "{e}"
    );
    // the body must name the URL's object
    let (code, e) = send(put("app:t", &istag("app:other", docker_tag("a/b:1")))).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["message"],
        "the name of the object (app:other) does not match the name on the URL (app:t)"
    );
    // PATCH (merge and JSON patch) on the synthetic istag
    let (code, ist) = send(merge_patch(
        &c,
        format!("{}{NS}/imagestreamtags/app:t", s.url),
        json!({"tag": {"from": {"name": "quay.io/org/app:5"}}}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    assert_eq!(ist["tag"]["from"]["name"], "quay.io/org/app:5");
    let (code, ist) = send(
        c.patch(format!("{}{NS}/imagestreamtags/app:pushed", s.url))
            .header("Content-Type", "application/json-patch+json")
            .body(r#"[{"op":"add","path":"/tag","value":{"from":{"kind":"DockerImage","name":"quay.io/org/app:6"}}}]"#),
    )
    .await;
    assert_eq!(
        code,
        StatusCode::CREATED,
        "patch that adds the spec tag: {ist}"
    );
    assert_eq!(ist["image"]["metadata"]["name"], img.digest.as_str());
}

/// §5.6: delete removes spec and status, honours the UID precondition, 404 when neither exists;
/// Images are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_6_delete() {
    let s = Server::start();
    let c = client();
    let stream = create_stream(
        &c,
        &s.url,
        "app",
        json!([{"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}]),
    )
    .await;
    let img = oci_image("s5-6");
    push(&c, &s.url, "app", "t", image_json(&img, "quay.io/org/app")).await;
    let url = format!("{}{NS}/imagestreamtags/app:t", s.url);
    let (code, e) = send(
        c.delete(&url)
            .json(&json!({"preconditions": {"uid": "not-the-uid"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        "Operation cannot be fulfilled on imagestreamtags.image.openshift.io \"app:t\": the UID precondition was not met"
    );
    // a resourceVersion precondition is ignored
    let (code, ok) = send(c.delete(&url).json(
        &json!({"preconditions": {"uid": stream["metadata"]["uid"], "resourceVersion": "1"}}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{ok}");
    assert_eq!(ok["kind"], "Status");
    assert_eq!(ok["status"], "Success");
    let after = get_stream(&c, &s.url, "app").await;
    assert!(
        spec_tag(&after, "t").is_none() && status_tag(&after, "t").is_none(),
        "{after}"
    );
    let (code, _) = send(c.get(&url)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = send(c.get(format!(
        "{}/apis/image.openshift.io/v1/images/{}",
        s.url, img.digest
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "images are not deleted");
    let (code, e) = send(c.delete(&url)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreamtags.image.openshift.io \"app:t\" not found"
    );
    let (code, e) = send(c.delete(format!("{}{NS}/imagestreamtags/ghost:t", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreamtags.image.openshift.io \"ghost\" not found"
    );
    // a plain spec edit keeps the status history (contrast, §4.2)
    push(
        &c,
        &s.url,
        "app",
        "kept",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    let (code, _) = send(
        c.post(format!("{}{NS}/imagestreamtags", s.url))
            .json(&istag("app:kept", docker_tag("quay.io/org/app:1"))),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    send(
        c.patch(format!("{}{NS}/imagestreams/app", s.url))
            .header("Content-Type", "application/json-patch+json")
            .body(r#"[{"op":"remove","path":"/spec/tags/0"}]"#),
    )
    .await;
    let edited = get_stream(&c, &s.url, "app").await;
    assert!(
        spec_tag(&edited, "kept").is_none() && status_tag(&edited, "kept").is_some(),
        "{edited}"
    );
}

/// §5.4–5.6: conflicts are retried; create and delete give up with 500 ServerTimeout after 10
/// attempts, a blind PUT with the last 409 after client-go's backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_retries() {
    let s = custom_server(ServiceConfig::default(), None).await;
    let c = client();
    create_stream(&c, &s.url, "app", json!([{"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}])).await;
    let url = format!("{}{NS}/imagestreamtags", s.url);

    // one concurrent write: retried, then fine
    s.clock.arm(&s.store, "app", 1, bump_label);
    let (code, ist) = send(
        c.post(&url)
            .json(&istag("app:a", docker_tag("quay.io/org/app:2"))),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{ist}");
    assert_eq!(s.clock.fired(), 1);

    // every attempt conflicts: 500 ServerTimeout
    s.clock.arm(&s.store, "app", usize::MAX, bump_label);
    let (code, e) = send(
        c.post(&url)
            .json(&istag("app:b", docker_tag("quay.io/org/app:2"))),
    )
    .await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    assert_eq!(e["reason"], "ServerTimeout");
    assert_eq!(
        e["message"],
        "The create operation against imagestreamtags could not be completed at this time, please try again."
    );
    assert!(s.clock.fired() >= 10);
    let (code, e) = send(c.delete(format!("{url}/app:t"))).await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        e["message"],
        "The delete operation against imagestreamtags could not be completed at this time, please try again."
    );
    // blind PUT: retried with backoff, then the conflict
    s.clock.arm(&s.store, "app", usize::MAX, bump_label);
    let (code, e) = send(c.put(format!("{url}/app:t")).json(&istag(
        "app:t",
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:7"}, "reference": true}),
    )))
    .await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["reason"], "Conflict");
    assert_eq!(s.clock.fired(), 4, "client-go DefaultBackoff: 4 attempts");
    // a blind PUT that meets one conflict succeeds
    s.clock.arm(&s.store, "app", 1, bump_label);
    let (code, ist) = send(c.put(format!("{url}/app:t")).json(&istag(
        "app:t",
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:8"}, "reference": true}),
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{ist}");
    // ImageTag: a blind PUT is not retried (§6)
    let (code, mut body) = send(c.get(format!("{}{NS}/imagetags/app:t", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    body["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    body["spec"]["from"]["name"] = json!("quay.io/org/app:9");
    s.clock.arm(&s.store, "app", 1, bump_label);
    let (code, e) = send(c.put(format!("{}{NS}/imagetags/app:t", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    s.clock.arm(&s.store, "app", usize::MAX, bump_label);
    let body = json!({"metadata": {"name": "app:c"}, "spec": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}});
    let (code, e) = send(c.post(format!("{}{NS}/imagetags", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        e["message"],
        "The create operation against imagetags could not be completed at this time, please try again."
    );
    let (code, e) = send(c.delete(format!("{}{NS}/imagetags/app:a", s.url))).await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        e["message"],
        "The delete operation against imagetags could not be completed at this time, please try again."
    );
}

// ----------------------------------------------------------------------------- §6 itag

fn itag(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageTag", "metadata": {"name": name}, "spec": spec})
}

/// §6: GET for spec-only, status-only and reference tags; image only when it exists; 404s;
/// LIST alphabetical without images.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_get_and_list() {
    let s = Server::start();
    let c = client();
    create_stream(
        &c,
        &s.url,
        "app",
        json!([
            {"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true},
            {"name": "pending", "from": {"kind": "DockerImage", "name": "quay.io/org/app:2"}}
        ]),
    )
    .await;
    let img = oci_image("s6");
    push(
        &c,
        &s.url,
        "app",
        "pushed",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    let get = |t: &str| c.get(format!("{}{NS}/imagetags/app:{t}", s.url));
    let (code, pending) = send(get("pending")).await;
    assert_eq!(
        code,
        StatusCode::OK,
        "spec-only tags exist for itag: {pending}"
    );
    assert!(pending["status"].is_null() && pending["image"].is_null());
    assert_eq!(pending["spec"]["name"], "pending");
    let (code, r) = send(get("ref")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        r["status"]["items"][0]["dockerImageReference"],
        "quay.io/org/app:1"
    );
    assert!(r["image"].is_null());
    let (code, pushed) = send(get("pushed")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(pushed["spec"].is_null());
    assert_eq!(pushed["image"]["metadata"]["name"], img.digest.as_str());
    assert!(pushed["image"].get("dockerImageManifest").is_none());
    assert_eq!(
        pushed["metadata"]["uid"],
        get_stream(&c, &s.url, "app").await["metadata"]["uid"]
    );
    let (code, e) = send(get("nope")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagetags.image.openshift.io \"app:nope\" not found"
    );
    let (code, e) = send(c.get(format!("{}{NS}/imagetags/ghost:t", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["details"]["kind"], "imagetags");
    assert_eq!(e["details"]["name"], "ghost");
    // a deleted Image leaves the tag gettable without an image
    send(c.delete(format!(
        "{}/apis/image.openshift.io/v1/images/{}",
        s.url, img.digest
    )))
    .await;
    let (code, pushed) = send(get("pushed")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(pushed["image"].is_null());
    let (code, list) = send(c.get(format!("{}{NS}/imagetags", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["kind"], "ImageTagList");
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app:pending", "app:pushed", "app:ref"]);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["image"].is_null())
    );
}

/// §6: create requires spec and creates the stream; 409 on an existing spec tag; update allows
/// blind PUT, 409 on a stale version, `spec: null` removes the spec tag but keeps status; 201
/// when the spec tag is new; delete removes both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_writes() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{NS}/imagetags", s.url);
    let (code, e) = send(c.post(&url).json(&itag("app:t", Value::Null))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "ImageTag.image.openshift.io \"app:t\" is invalid: spec: Required value: spec is a required field during creation"
    );
    let (code, e) = send(c.post(&url).json(&itag(
        "app:t",
        json!({"name": "other", "from": {"kind": "DockerImage", "name": "a/b:1"}}),
    )))
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .ends_with("spec.name: Invalid value: \"other\": must match image tag name"),
        "{e}"
    );
    let (code, created) = send(c.post(&url).json(&itag(
        "app:t",
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}),
    )))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["spec"]["name"], "t");
    let mut body = itag(
        "app:disc",
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}),
    );
    body["status"] = json!({"tag": "disc", "items": [{"dockerImageReference": "forged/x:1", "image": "", "generation": 1}]});
    body["image"] = json!({"metadata": {"name": "sha256:forged"}});
    let (code, disc) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{disc}");
    assert!(
        disc["status"].is_null() && disc["image"].is_null(),
        "status and image are discarded: {disc}"
    );
    assert_eq!(
        created["status"]["items"][0]["dockerImageReference"],
        "quay.io/org/app:1"
    );
    let (code, e) = send(c.post(&url).json(&itag(
        "app:t",
        json!({"from": {"kind": "DockerImage", "name": "a/b:1"}}),
    )))
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        "imagetags.image.openshift.io \"app:t\" already exists"
    );

    // blind PUT replacing the spec tag: 200; a stale version: 409
    let (code, _) = send(c.get(format!("{url}/app:t"))).await;
    assert_eq!(code, StatusCode::OK);
    let (code, got) = send(c.get(format!("{url}/app:t"))).await;
    assert_eq!(code, StatusCode::OK);
    let mut body = got.clone();
    body["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    body["spec"]["from"]["name"] = json!("quay.io/org/app:2");
    let (code, updated) = send(c.put(format!("{url}/app:t")).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert_eq!(updated["spec"]["from"]["name"], "quay.io/org/app:2");
    let rv = get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, e) = send(c.put(format!("{url}/app:t")).json(&got)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        format!(
            "Operation cannot be fulfilled on imagetags.image.openshift.io \"app:t\": another caller has updated the resource version to {rv}"
        )
    );
    // spec: null removes the spec tag, the history stays
    let (_, got) = send(c.get(format!("{url}/app:t"))).await;
    let mut body = got.clone();
    body["spec"] = Value::Null;
    let (code, updated) = send(c.put(format!("{url}/app:t")).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert!(updated["spec"].is_null());
    let stream = get_stream(&c, &s.url, "app").await;
    assert!(
        spec_tag(&stream, "t").is_none() && status_tag(&stream, "t").is_some(),
        "{stream}"
    );
    // putting a spec back is a new spec tag: 201
    let (_, got) = send(c.get(format!("{url}/app:t"))).await;
    let mut body = got.clone();
    body["spec"] = json!({"name": "t", "from": {"kind": "DockerImage", "name": "quay.io/org/app:3"}, "reference": true});
    let (code, _) = send(c.put(format!("{url}/app:t")).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED);
    // metadata may not change
    let (_, got) = send(c.get(format!("{url}/app:t"))).await;
    let mut body = got.clone();
    body["metadata"]["labels"] = json!({"x": "y"});
    let (code, e) = send(c.put(format!("{url}/app:t")).json(&body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("may not update fields other than spec"),
        "{e}"
    );
    // PUT into a missing stream creates it; with a resourceVersion it is 404
    let (code, _) = send(c.put(format!("{url}/other:x")).json(&itag(
        "other:x",
        json!({"from": {"kind": "DockerImage", "name": "a/b:1"}}),
    )))
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let mut body = itag(
        "ghost:x",
        json!({"from": {"kind": "DockerImage", "name": "a/b:1"}}),
    );
    body["metadata"]["resourceVersion"] = json!("3");
    let (code, e) = send(c.put(format!("{url}/ghost:x")).json(&body)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagetags.image.openshift.io \"ghost:x\" not found"
    );
    // a merge patch of the spec
    let (code, patched) = send(merge_patch(
        &c,
        format!("{url}/app:t"),
        json!({"spec": {"from": {"name": "quay.io/org/app:4"}}}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{patched}");
    assert_eq!(patched["spec"]["from"]["name"], "quay.io/org/app:4");
    let (code, patched) = send(
        c.patch(format!("{url}/app:t"))
            .header("Content-Type", "application/strategic-merge-patch+json")
            .body(json!({"spec": {"from": {"name": "quay.io/org/app:5"}}}).to_string()),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{patched}");
    assert_eq!(patched["spec"]["from"]["name"], "quay.io/org/app:5");
    assert_eq!(patched["spec"]["from"]["kind"], "DockerImage");
    // delete: spec and status gone; then 404
    let (code, ok) = send(c.delete(format!("{url}/app:t"))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(ok["status"], "Success");
    let stream = get_stream(&c, &s.url, "app").await;
    assert!(spec_tag(&stream, "t").is_none() && status_tag(&stream, "t").is_none());
    let (code, e) = send(c.delete(format!("{url}/app:t"))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagetags.image.openshift.io \"app:t\" not found"
    );
    let (code, e) = send(
        c.delete(format!("{url}/app:x"))
            .json(&json!({"preconditions": {"uid": "nope"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        "Operation cannot be fulfilled on imagetags.image.openshift.io \"app:x\": the UID precondition was not met"
    );
}

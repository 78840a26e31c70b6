//! ImageStreamImport (§10) over HTTP: the default importer reports honest failures; with an
//! importer that serves images built from real manifests the results are applied to the
//! stream (§10.5), dry runs write nothing (§10.4) and rejected credentials are retried
//! anonymously (§10.3).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tagplane_api::image::{
    Image, ImageImportStatus, ImageStream, ImageStreamImport, ImageStreamImportStatus,
    RepositoryImportStatus,
};
use tagplane_api::meta::{Status, Timestamp};
use tagplane_api::validation::{AllowedRegistry, RegistryAllowList};
use tagplane_core::manifest::image_from_manifest;
use tagplane_server::service::ServiceConfig;
use tagplane_server::service::imports::{ImportCredentials, ImportFuture, Importer};

use crate::harness::Server;
use crate::tags::{
    NS, TestImage, client, create_stream, custom_server, get_stream, oci_image, send, spec_tag,
    status_tag,
};

const IMAGES: &str = "/apis/image.openshift.io/v1/images";
const UNCONFIGURED: &str = "importer not configured: this server cannot contact registries yet";

fn isi(name: &str, images: Value) -> Value {
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport", "metadata": {"name": name}, "spec": {"import": true, "images": images}})
}

fn from(name: &str) -> Value {
    json!({"from": {"kind": "DockerImage", "name": name}})
}

fn to(mut spec: Value, tag: &str) -> Value {
    spec["to"] = json!({"name": tag});
    spec
}

/// §10: without a registry client every image and the repository fail with InternalError —
/// the request still answers 201 and the failure is recorded once on the tag (§10.5).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_unconfigured_importer_reports_failures() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{NS}/imagestreamimports", s.url);
    let digest = oci_image("s10").digest;
    let mut body = isi(
        "app",
        json!([
            from("quay.io/org/app:1"),
            from(&format!("quay.io/org/app@{digest}"))
        ]),
    );
    body["spec"]["repository"] =
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/other"}});
    body["status"] = json!({"images": [{"status": {"status": "Success"}}]});
    let (code, out) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    assert_eq!(out["kind"], "ImageStreamImport");
    assert_eq!(
        out["spec"]["images"][0]["to"]["name"], "1",
        "`to` defaults to the source tag"
    );
    assert!(
        out["spec"]["images"][1].get("to").is_none(),
        "digests are not tagged"
    );
    let images = out["status"]["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "the client's status is discarded: {out}");
    for st in images {
        assert_eq!(st["status"]["status"], "Failure");
        assert_eq!(st["status"]["reason"], "InternalError");
        assert_eq!(st["status"]["message"], UNCONFIGURED);
        assert_eq!(st["status"]["code"], 500);
        assert!(st.get("image").is_none());
    }
    assert_eq!(out["status"]["repository"]["status"]["status"], "Failure");
    assert_eq!(
        out["status"]["repository"]["status"]["message"],
        UNCONFIGURED
    );
    // the stream is created with a spec tag and a failure condition
    let imported = &out["status"]["import"];
    assert_eq!(imported["metadata"]["name"], "app");
    let spec = spec_tag(imported, "1").unwrap();
    assert_eq!(
        spec["from"],
        json!({"kind": "DockerImage", "name": "quay.io/org/app:1"})
    );
    assert_eq!(spec["generation"], 1);
    let cond = &status_tag(imported, "1").unwrap()["conditions"][0];
    assert_eq!(cond["type"], "ImportSuccess");
    assert_eq!(cond["status"], "False");
    assert_eq!(cond["reason"], "InternalError");
    assert_eq!(cond["message"], UNCONFIGURED);
    assert_eq!(cond["generation"], 1);
    assert!(
        imported["metadata"]["annotations"]["openshift.io/image.dockerRepositoryCheck"].is_string()
    );
    let stored = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        stored["metadata"]["resourceVersion"],
        imported["metadata"]["resourceVersion"]
    );

    // the same failure again is not re-recorded: no write, the original transition time stays
    let (code, again) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        again["status"]["import"]["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );
    assert_eq!(
        get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );
    assert_eq!(
        status_tag(&again["status"]["import"], "1").unwrap()["conditions"][0]["lastTransitionTime"],
        cond["lastTransitionTime"]
    );

    // a dry run returns the failures and writes nothing
    let mut dry = isi("dry", json!([from("quay.io/org/app:1")]));
    dry["spec"]["import"] = json!(false);
    let (code, out) = send(c.post(&url).json(&dry)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    assert!(out["status"].get("import").is_none());
    assert_eq!(
        out["status"]["images"][0]["status"]["reason"],
        "InternalError"
    );
    let (code, _) = send(c.get(format!("{}{NS}/imagestreams/dry", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

/// §10.1 and §3.7: validation, namespace, and the resourceVersion/UID preconditions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_1_validation_and_preconditions() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{NS}/imagestreamimports", s.url);
    let invalid = |body: Value, message: &'static str| {
        let c = c.clone();
        let url = url.clone();
        async move {
            let (code, e) = send(c.post(&url).json(&body)).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
            assert!(e["message"].as_str().unwrap().contains(message), "{e}");
            assert_eq!(e["details"]["kind"], "ImageStreamImport");
        }
    };
    invalid(isi("app", json!([])), "spec.images: Invalid value: []: you must specify at least one image or a repository import").await;
    invalid(isi("app", json!([{"from": {"kind": "ImageStreamTag", "name": "a:b"}}])), "spec.images[0].from.kind: Invalid value: \"ImageStreamTag\": only DockerImage is supported").await;
    invalid(
        isi(
            "app",
            json!([{"from": {"kind": "DockerImage", "name": "a/b:1"}, "to": {"name": ""}}]),
        ),
        "spec.images[0].to.name: Required value: the name of the target tag must be specified",
    )
    .await;
    let mut repo = isi("app", json!([]));
    repo["spec"]["repository"] =
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}});
    invalid(repo, "spec.repository.from.name: Invalid value: \"quay.io/org/app:1\": you must specify an image repository, not a tag or ID").await;
    invalid(
        isi("Bad_Name", json!([from("a/b:1")])),
        "metadata.name: Invalid value: \"Bad_Name\"",
    )
    .await;

    let (code, e) = send(
        c.post(format!(
            "{}/apis/image.openshift.io/v1/namespaces/missing/imagestreamimports",
            s.url
        ))
        .json(&isi("app", json!([from("a/b:1")]))),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["message"], "namespaces \"missing\" not found");

    // a resourceVersion or uid for a stream that does not exist: 404
    let mut body = isi("ghost", json!([from("quay.io/org/app:1")]));
    body["metadata"]["resourceVersion"] = json!("1");
    let (code, e) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreamimports.image.openshift.io \"ghost\" not found"
    );
    let mut body = isi("ghost", json!([from("quay.io/org/app:1")]));
    body["metadata"]["uid"] = json!("0b6b0a55-0000-4000-8000-000000000000");
    let (code, _) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    let stream = create_stream(&c, &s.url, "app", json!([])).await;
    let rv = stream["metadata"]["resourceVersion"].as_str().unwrap();
    let mut body = isi("app", json!([from("quay.io/org/app:1")]));
    body["metadata"]["resourceVersion"] = json!("1");
    let (code, e) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        format!(
            "Operation cannot be fulfilled on imagestream.image.openshift.io \"app\": the image stream was updated from \"1\" to \"{rv}\""
        )
    );
    let mut body = isi("app", json!([from("quay.io/org/app:1")]));
    body["metadata"]["uid"] = json!("0b6b0a55-0000-4000-8000-000000000000");
    let (code, e) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestream.image.openshift.io \"app\" not found"
    );
    // matching preconditions pass
    let mut body = isi("app", json!([from("quay.io/org/app:1")]));
    body["metadata"]["resourceVersion"] = json!(rv);
    body["metadata"]["uid"] = stream["metadata"]["uid"].clone();
    let (code, out) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
}

/// §3.6: registries outside the allow-list are refused with Forbidden field errors, except for
/// callers who may create images cluster-wide (§10.1: the admin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_6_allowed_registries() {
    let allow = RegistryAllowList {
        entries: Some(vec![AllowedRegistry {
            domain_name: "quay.io".into(),
            insecure: false,
        }]),
        internal_hostname: None,
    };
    let s = Server::start_with(ServiceConfig {
        allow,
        ..Default::default()
    });
    let admin = client();
    let url = format!("{}{NS}/imagestreamimports", s.url);
    // An editor of the namespace (the `default` service account with `edit`).
    let (code, out) = send(
        admin
            .post(format!(
                "{}/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                s.url
            ))
            .json(&crate::rbac::binding(
                "RoleBinding",
                "editors",
                Some("default"),
                "edit",
                json!([{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]),
            )),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let c = s.client_with_token(Some(
        &crate::rbac::sa_token(&s, &admin, "default", "default").await,
    ));
    let two = isi(
        "app",
        json!([from("quay.io/org/app:1"), from("ghcr.io/x/y:1")]),
    );
    let (code, e) = send(c.post(&url).json(&two)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["message"],
        "ImageStreamImport.image.openshift.io \"app\" is invalid: spec.images[1].from.name: Forbidden: importing images from registry \"ghcr.io:443\" is forbidden: registry \"ghcr.io:443\" not allowed by whitelist: \"quay.io:443\""
    );
    let (code, out) = send(
        c.post(&url)
            .json(&isi("app", json!([from("quay.io/org/app:1")]))),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let (code, out) = send(admin.post(&url).json(&two)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
}

/// A registry stand-in: serves Images built from real manifests, keyed by pull spec; records
/// which secrets each call received; optionally rejects any credentials the way a registry
/// rejects a wrong password.
#[derive(Debug, Default)]
struct FakeRegistry {
    images: Mutex<BTreeMap<String, Image>>,
    calls: Mutex<Vec<Vec<String>>>,
    reject_credentials: bool,
}

impl FakeRegistry {
    fn serve(&self, pull_spec: &str, img: &TestImage) -> Image {
        let (repo, _) = split_pull_spec(pull_spec);
        let image = image_from_manifest(
            None,
            img.manifest.as_bytes(),
            "application/vnd.oci.image.manifest.v1+json",
            Some(img.config.as_bytes()),
            &format!("{repo}@{}", img.digest),
            Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        self.images
            .lock()
            .unwrap()
            .insert(pull_spec.to_owned(), image.clone());
        image
    }

    fn status(&self, name: &str, with_credentials: bool) -> ImageImportStatus {
        let found = self.images.lock().unwrap().get(name).cloned();
        let failure = |reason: &str, message: String, code: i32| ImageImportStatus {
            status: Status {
                status: Some("Failure".into()),
                reason: Some(reason.into()),
                message: Some(message),
                code: Some(code),
                ..Default::default()
            },
            ..Default::default()
        };
        if with_credentials && self.reject_credentials {
            return failure(
                "Unauthorized",
                format!("incorrect username or password for image \"{name}\""),
                401,
            );
        }
        match found {
            Some(image) => ImageImportStatus {
                status: Status {
                    status: Some("Success".into()),
                    ..Default::default()
                },
                tag: split_pull_spec(name).1.to_owned(),
                image: Some(image),
                manifests: vec![],
            },
            None if self.reject_credentials => failure(
                "Unauthorized",
                format!("you may not have access to the container image \"{name}\""),
                401,
            ),
            None => failure(
                "NotFound",
                format!("dockerimage.image.openshift.io \"{name}\" not found"),
                404,
            ),
        }
    }
}

/// (repository, tag) of `registry/path:tag` (the tag is empty for digests).
fn split_pull_spec(spec: &str) -> (&str, &str) {
    let last = spec.rfind('/').map_or(0, |i| i + 1);
    if let Some(at) = spec[last..].find('@') {
        return (&spec[..last + at], "");
    }
    match spec[last..].find(':') {
        Some(colon) => (&spec[..last + colon], &spec[last + colon + 1..]),
        None => (spec, ""),
    }
}

#[derive(Debug)]
struct Shared(Arc<FakeRegistry>);

impl Importer for Shared {
    fn import<'a>(
        &'a self,
        request: &'a ImageStreamImport,
        _stream: Option<&'a ImageStream>,
        credentials: &'a ImportCredentials,
    ) -> ImportFuture<'a> {
        let reg = &self.0;
        let names = credentials
            .secrets
            .iter()
            .map(|s| s.metadata.name.clone().unwrap_or_default())
            .collect();
        reg.calls.lock().unwrap().push(names);
        let with = !credentials.secrets.is_empty();
        let images = request
            .spec
            .images
            .iter()
            .map(|spec| reg.status(&spec.from.name, with))
            .collect();
        let repository = request.spec.repository.as_ref().map(|repo| {
            let prefix = format!("{}:", repo.from.name);
            let tags: Vec<String> = reg
                .images
                .lock()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            RepositoryImportStatus {
                status: Status {
                    status: Some("Success".into()),
                    ..Default::default()
                },
                images: tags.iter().map(|t| reg.status(t, with)).collect(),
                additional_tags: vec![],
            }
        });
        Box::pin(async move {
            Ok(ImageStreamImportStatus {
                import: None,
                repository,
                images,
            })
        })
    }
}

/// §10.5: results become spec tags, history and Images; a second identical import writes
/// nothing; a new digest adds history; repository imports tag `<repo>:<tag>`; manifests are
/// never returned by a real import.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_5_results_are_applied() {
    let registry = Arc::new(FakeRegistry::default());
    let s = custom_server(
        ServiceConfig::default(),
        Some(Arc::new(Shared(registry.clone()))),
    )
    .await;
    let c = client();
    let url = format!("{}{NS}/imagestreamimports", s.url);
    let v1 = oci_image("s10-5-v1");
    registry.serve("quay.io/org/app:1", &v1);
    let mut body = isi("app", json!([from("quay.io/org/app:1")]));
    body["spec"]["images"][0]["includeManifest"] = json!(true);
    let (code, out) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let st = &out["status"]["images"][0];
    assert_eq!(st["status"]["status"], "Success");
    assert_eq!(st["image"]["metadata"]["name"], v1.digest.as_str());
    assert!(
        st["image"].get("dockerImageManifest").is_none(),
        "includeManifest only works in dry runs: {st}"
    );
    let imported = &out["status"]["import"];
    let spec = spec_tag(imported, "1").unwrap();
    assert_eq!(spec["from"]["name"], "quay.io/org/app:1");
    assert_eq!(spec["generation"], 1);
    let head = &status_tag(imported, "1").unwrap()["items"][0];
    assert_eq!(
        head["dockerImageReference"],
        format!("quay.io/org/app@{}", v1.digest),
        "the most specific form of the user's spelling"
    );
    assert_eq!(head["image"], v1.digest.as_str());
    assert_eq!(head["generation"], 1);
    let (code, image) = send(c.get(format!("{}{IMAGES}/{}", s.url, v1.digest))).await;
    assert_eq!(code, StatusCode::OK, "the Image is created");
    assert_eq!(
        image["dockerImageMetadata"]["Id"],
        v1.config_digest.as_str()
    );
    assert!(
        image.get("dockerImageManifest").is_none(),
        "stored without manifest: {image}"
    );
    // the istag is now gettable
    let (code, ist) = send(c.get(format!("{}{NS}/imagestreamtags/app:1", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{ist}");

    // same digest again: no write
    let rv = get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"].clone();
    let (code, again) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{again}");
    assert_eq!(
        get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"],
        rv
    );

    // a new digest behind the same tag: history grows, generation moves on
    let v2 = oci_image("s10-5-v2");
    registry.serve("quay.io/org/app:1", &v2);
    let (code, out) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let stream = get_stream(&c, &s.url, "app").await;
    let items = status_tag(&stream, "1").unwrap()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["image"], v2.digest.as_str());
    assert_eq!(items[0]["generation"], 2);
    assert_eq!(stream["metadata"]["generation"], 2);

    // a failed image next to a successful one: its tag gets a spec tag and a condition
    let (code, out) = send(c.post(&url).json(&isi(
        "app",
        json!([from("quay.io/org/app:1"), from("quay.io/org/missing:2")]),
    )))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        status_tag(&stream, "2").unwrap()["conditions"][0]["reason"],
        "NotFound"
    );
    assert_eq!(
        spec_tag(&stream, "2").unwrap()["from"]["name"],
        "quay.io/org/missing:2"
    );

    // a repository import tags `<repo>:<tag>`
    let r1 = oci_image("s10-5-repo");
    registry.serve("quay.io/org/repo:v1", &r1);
    let mut body = isi("repo", json!([]));
    body["spec"]["repository"] =
        json!({"from": {"kind": "DockerImage", "name": "quay.io/org/repo"}});
    let (code, out) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    assert_eq!(
        out["status"]["repository"]["images"][0]["image"]["metadata"]["name"],
        r1.digest.as_str()
    );
    let repo = get_stream(&c, &s.url, "repo").await;
    assert_eq!(
        spec_tag(&repo, "v1").unwrap()["from"]["name"],
        "quay.io/org/repo:v1"
    );
    assert_eq!(
        status_tag(&repo, "v1").unwrap()["items"][0]["dockerImageReference"],
        format!("quay.io/org/repo@{}", r1.digest)
    );
}

/// §10.4: a dry run returns manifests only where `includeManifest` asks, creates no Image and
/// no stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_4_dry_run() {
    let registry = Arc::new(FakeRegistry::default());
    let s = custom_server(
        ServiceConfig::default(),
        Some(Arc::new(Shared(registry.clone()))),
    )
    .await;
    let c = client();
    let (a, b) = (oci_image("s10-4-a"), oci_image("s10-4-b"));
    registry.serve("quay.io/org/app:a", &a);
    registry.serve("quay.io/org/app:b", &b);
    let mut body = isi(
        "dry",
        json!([from("quay.io/org/app:a"), from("quay.io/org/app:b")]),
    );
    body["spec"]["import"] = json!(false);
    body["spec"]["images"][0]["includeManifest"] = json!(true);
    let (code, out) = send(
        c.post(format!("{}{NS}/imagestreamimports", s.url))
            .json(&body),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    assert_eq!(
        out["status"]["images"][0]["image"]["dockerImageManifest"],
        a.manifest.as_str()
    );
    assert_eq!(
        out["status"]["images"][0]["image"]["dockerImageConfig"],
        a.config.as_str()
    );
    assert!(
        out["status"]["images"][1]["image"]
            .get("dockerImageManifest")
            .is_none()
    );
    assert!(out["status"].get("import").is_none());
    let (code, _) = send(c.get(format!("{}{NS}/imagestreams/dry", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = send(c.get(format!("{}{IMAGES}/{}", s.url, a.digest))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

/// §10.3 and §11.5: the import gets the namespace's pull secrets (not excluded ones, not other
/// types); "username or password" failures re-run the import anonymously, and images still
/// unauthorized keep their first message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_3_anonymous_retry() {
    let registry = Arc::new(FakeRegistry {
        reject_credentials: true,
        ..Default::default()
    });
    let s = custom_server(
        ServiceConfig::default(),
        Some(Arc::new(Shared(registry.clone()))),
    )
    .await;
    let c = client();
    let secrets = format!("{}/api/v1/namespaces/default/secrets", s.url);
    let cfg = json!({"auths": {"quay.io": {"auth": "dTpw"}}}).to_string();
    for (name, type_, ann) in [
        ("pull", "kubernetes.io/dockerconfigjson", json!({})),
        (
            "hidden",
            "kubernetes.io/dockerconfigjson",
            json!({"openshift.io/image.excludeSecret": "true"}),
        ),
        ("opaque", "Opaque", json!({})),
    ] {
        let body = json!({"metadata": {"name": name, "annotations": ann}, "type": type_, "stringData": {".dockerconfigjson": cfg}});
        let (code, e) = send(c.post(&secrets).json(&body)).await;
        assert_eq!(code, StatusCode::CREATED, "{e}");
    }
    let public = oci_image("s10-3");
    registry.serve("quay.io/org/public:1", &public);
    let (code, out) = send(
        c.post(format!("{}{NS}/imagestreamimports", s.url))
            .json(&isi(
                "app",
                json!([
                    to(from("quay.io/org/public:1"), "public"),
                    to(from("quay.io/org/private:1"), "private")
                ]),
            )),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{out}");
    assert_eq!(
        *registry.calls.lock().unwrap(),
        vec![vec!["pull".to_owned()], vec![]],
        "with the pull secret, then anonymously"
    );
    assert_eq!(
        out["status"]["images"][0]["status"]["status"], "Success",
        "{out}"
    );
    let private = &out["status"]["images"][1]["status"];
    assert_eq!(private["reason"], "Unauthorized");
    assert_eq!(
        private["message"], "incorrect username or password for image \"quay.io/org/private:1\"",
        "first message kept"
    );
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        status_tag(&stream, "public").unwrap()["items"][0]["image"],
        public.digest.as_str()
    );
    assert_eq!(
        status_tag(&stream, "private").unwrap()["conditions"][0]["reason"],
        "Unauthorized"
    );
}

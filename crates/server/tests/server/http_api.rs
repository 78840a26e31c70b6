//! The REST API over HTTP against a real server: Kubernetes conventions and the image-stream
//! rules of spec §4 as clients see them.

use futures::StreamExt;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::harness::Server;

const IS: &str = "/apis/image.openshift.io/v1/namespaces/default/imagestreams";

fn client() -> Client {
    crate::harness::admin_client()
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let code = resp.status();
    let text = resp.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn stream(name: &str) -> Value {
    json!({
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStream",
        "metadata": {"name": name},
        "spec": {"tags": [
            {"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true},
            {"name": "alias", "from": {"kind": "ImageStreamTag", "name": "ref"}}
        ]}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_and_status_rules() {
    let s = Server::start();
    let c = client();
    let (code, created) = send(c.post(format!("{}{IS}", s.url)).json(&stream("app"))).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    // §4.1: generation 1, reference tag resolved at once, tracking tag follows (§4.7)
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["spec"]["tags"][1]["generation"], 1);
    assert_eq!(
        created["spec"]["tags"][1]["importPolicy"]["importMode"],
        "Legacy"
    );
    let tags = created["status"]["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 2, "{created}");
    assert_eq!(tags[1]["tag"], "ref");
    assert_eq!(
        tags[1]["items"][0]["dockerImageReference"],
        "quay.io/org/app:1"
    );
    assert_eq!(
        tags[0]["items"][0]["dockerImageReference"],
        "quay.io/org/app:1"
    );
    assert!(created["metadata"]["uid"].as_str().unwrap().len() == 36);
    let (code, got) = send(c.get(format!("{}{IS}/app", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        got["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    // 404 shape clients match on
    let (code, nf) = send(c.get(format!("{}{IS}/nope", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(nf["kind"], "Status");
    assert_eq!(nf["reason"], "NotFound");
    assert_eq!(
        nf["message"],
        "imagestreams.image.openshift.io \"nope\" not found"
    );
    assert_eq!(nf["details"]["kind"], "imagestreams");
    // duplicate create → 409 AlreadyExists
    let (code, dup) = send(c.post(format!("{}{IS}", s.url)).json(&stream("app"))).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(dup["reason"], "AlreadyExists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_need_resource_version_and_conflict() {
    let s = Server::start();
    let c = client();
    let (_, created) = send(c.post(format!("{}{IS}", s.url)).json(&stream("app"))).await;
    let mut body = created.clone();
    body["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (code, e) = send(c.put(format!("{}{IS}/app", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "ImageStream.image.openshift.io \"app\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
    );
    // a label change does not bump the generation (§4.2)
    let mut body = created.clone();
    body["metadata"]["labels"] = json!({"team": "a"});
    let (code, updated) = send(c.put(format!("{}{IS}/app", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert_eq!(updated["metadata"]["generation"], 1);
    // the stale version now conflicts
    let (code, e) = send(c.put(format!("{}{IS}/app", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(e["reason"], "Conflict");
    // a spec change bumps it and the changed tag takes it
    let mut body = updated.clone();
    body["spec"]["tags"][1]["from"]["name"] = json!("quay.io/org/app:2");
    body["spec"]["tags"][1]["reference"] = json!(true);
    body["spec"]["tags"][1]["from"]["kind"] = json!("DockerImage");
    let (code, bumped) = send(c.put(format!("{}{IS}/app", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{bumped}");
    assert_eq!(bumped["metadata"]["generation"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_and_delete() {
    let s = Server::start();
    let c = client();
    send(c.post(format!("{}{IS}", s.url)).json(&stream("app"))).await;
    let (code, p) = send(
        c.patch(format!("{}{IS}/app", s.url))
            .header("Content-Type", "application/merge-patch+json")
            .body(r#"{"spec":{"lookupPolicy":{"local":true}}}"#),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{p}");
    assert_eq!(p["spec"]["lookupPolicy"]["local"], true);
    let (code, p) = send(
        c.patch(format!("{}{IS}/app", s.url))
            .header("Content-Type", "application/json-patch+json")
            .body(r#"[{"op":"test","path":"/spec/lookupPolicy/local","value":true},{"op":"replace","path":"/spec/lookupPolicy/local","value":false}]"#),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{p}");
    assert_eq!(p["spec"]["lookupPolicy"]["local"], false);
    let (code, e) = send(
        c.patch(format!("{}{IS}/app", s.url))
            .header("Content-Type", "application/apply-patch+yaml")
            .body("{}"),
    )
    .await;
    assert_eq!(code, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(e["message"].as_str().unwrap().contains("server-side apply"));
    let (code, d) = send(c.delete(format!("{}{IS}/app", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(d["metadata"]["name"], "app");
    let (code, _) = send(c.get(format!("{}{IS}/app", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_cleanly() {
    let s = Server::start();
    let c = client();
    let post = |body: &'static str, ct: &'static str| {
        c.post(format!("{}{IS}", s.url))
            .header("Content-Type", ct)
            .body(body)
    };
    let (code, e) = send(post("{not json", "application/json")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{e}");
    let (code, e) = send(post("metadata: [unclosed", "application/yaml")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{e}");
    let (code, e) = send(post(
        r#"{"metadata":{"name":"Bad_Name"}}"#,
        "application/json",
    ))
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["details"]["causes"][0]["field"], "metadata.name");
    let (code, e) = send(
        c.post(format!("{}{IS}?fieldValidation=Strict", s.url))
            .json(&json!({"metadata": {"name": "x"}, "spec": {"bogus": 1}})),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["message"],
        "strict decoding error: unknown field \"spec.bogus\""
    );
    let big = "x".repeat(3 * 1024 * 1024 + 10);
    let (code, _) = send(
        c.post(format!("{}{IS}", s.url))
            .header("Content-Type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE);
    // a missing namespace is 404 for writes
    let (code, e) = send(
        c.post(format!(
            "{}/apis/image.openshift.io/v1/namespaces/missing/imagestreams",
            s.url
        ))
        .json(&stream("x")),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["message"], "namespaces \"missing\" not found");
    // path traversal never reaches the store
    let (code, _) = send(c.get(format!("{}{IS}/..%2F..%2Fsecrets", s.url))).await;
    assert!(
        code == StatusCode::BAD_REQUEST || code == StatusCode::NOT_FOUND,
        "{code}"
    );
    // unknown resource
    let (code, e) = send(c.get(format!(
        "{}/apis/image.openshift.io/v1/namespaces/default/widgets",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["kind"], "Status");
    // §4.11: a tag from a missing stream nests the resolution error in a 422
    let body = json!({"metadata": {"name": "n"}, "spec": {"tags": [{"name": "t", "from": {"kind": "ImageStreamTag", "name": "ghost:latest"}}]}});
    let (code, e) = send(c.post(format!("{}{IS}", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "ImageStream.image.openshift.io \"n\" is invalid: Internal error: imagestreams \"n\" is invalid: spec.tags[t].from.name: Not found: \"ghost:latest\""
    );
    // dry run persists nothing
    let (code, _) = send(
        c.post(format!("{}{IS}?dryRun=All", s.url))
            .json(&stream("dry")),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let (code, _) = send(c.get(format!("{}{IS}/dry", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paging_and_watch() {
    let s = Server::start();
    let c = client();
    for i in 0..5 {
        send(
            c.post(format!("{}{IS}", s.url))
                .json(&stream(&format!("s{i}"))),
        )
        .await;
    }
    let (code, page) = send(c.get(format!("{}{IS}?limit=2", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(page["kind"], "ImageStreamList");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let token = page["metadata"]["continue"].as_str().unwrap().to_owned();
    let rv = page["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, page2) = send(c.get(format!("{}{IS}?limit=2&continue={token}", s.url))).await;
    assert_eq!(page2["items"][0]["metadata"]["name"], "s2");
    assert_eq!(page2["metadata"]["resourceVersion"], rv.as_str());
    let (code, all) =
        send(c.get(format!("{}/apis/image.openshift.io/v1/imagestreams", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(all["items"].as_array().unwrap().len(), 5);

    // watch from the list's revision: later changes only, in order
    let resp = c
        .get(format!("{}{IS}?watch=true&resourceVersion={rv}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.bytes_stream();
    send(c.post(format!("{}{IS}", s.url)).json(&stream("w"))).await;
    send(
        c.patch(format!("{}{IS}/w", s.url))
            .header("Content-Type", "application/merge-patch+json")
            .body(r#"{"metadata":{"labels":{"a":"b"}}}"#),
    )
    .await;
    send(c.delete(format!("{}{IS}/w", s.url))).await;
    let mut buf = Vec::new();
    let mut events = Vec::new();
    while events.len() < 3 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        buf.extend_from_slice(&chunk);
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let v: Value = serde_json::from_slice(&line).unwrap();
            events.push((
                v["type"].as_str().unwrap().to_owned(),
                v["object"]["metadata"]["name"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert_eq!(
        events,
        vec![
            ("ADDED".into(), "w".into()),
            ("MODIFIED".into(), "w".into()),
            ("DELETED".into(), "w".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_health() {
    let s = Server::start();
    let c = client();
    let (code, v) = send(c.get(format!("{}/version", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert!(v["minor"].as_str().unwrap().parse::<u32>().unwrap() >= 32);
    let (code, _) = send(c.get(format!("{}/healthz", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    let kubeconfig = std::fs::read_to_string(s.kubeconfig()).unwrap();
    assert!(kubeconfig.contains(&s.url) && kubeconfig.contains("token: "));
    let hash = std::fs::read_to_string(s.dir.path().join("admin.token.sha256")).unwrap();
    assert!(
        !kubeconfig.contains(hash.trim()),
        "only the hash is kept beside the kubeconfig"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_field_selectors() {
    let s = Server::start();
    let c = client();
    for (name, team) in [("a", "red"), ("b", "blue"), ("c", "red")] {
        let mut body = stream(name);
        body["metadata"]["labels"] = json!({"team": team});
        send(c.post(format!("{}{IS}", s.url)).json(&body)).await;
    }
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = send(c.get(format!("{}{IS}?labelSelector=team%3Dred", s.url))).await;
    assert_eq!(names(&v), ["a", "c"]);
    let (_, v) = send(c.get(format!("{}{IS}?labelSelector=team+notin+(red)", s.url))).await;
    assert_eq!(names(&v), ["b"]);
    let (_, v) = send(c.get(format!("{}{IS}?fieldSelector=metadata.name%3Db", s.url))).await;
    assert_eq!(names(&v), ["b"]);
    let (_, v) = send(c.get(format!(
        "{}{IS}?fieldSelector=status.dockerImageRepository%3D",
        s.url
    )))
    .await;
    assert_eq!(
        names(&v).len(),
        3,
        "no registry configured: empty repository"
    );
    let (code, e) = send(c.get(format!("{}{IS}?fieldSelector=spec.tags%3Dx", s.url))).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(e["message"], "field label not supported: spec.tags");
    let (code, _) = send(c.get(format!("{}{IS}?labelSelector=%3D%3D%3D", s.url))).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

/// An update that changes nothing is not written (Kubernetes' generic store behaviour): same
/// resourceVersion, no watch event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_op_updates_are_not_written() {
    let s = Server::start();
    let c = client();
    let (_, created) = send(c.post(format!("{}{IS}", s.url)).json(&stream("app"))).await;
    let rv = created["metadata"]["resourceVersion"].clone();
    let (code, same) = send(
        c.patch(format!("{}{IS}/app", s.url))
            .header("Content-Type", "application/merge-patch+json")
            .body(r#"{"spec":{"lookupPolicy":{"local":false}}}"#),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(same["metadata"]["resourceVersion"], rv);
    let (code, put) = send(c.put(format!("{}{IS}/app", s.url)).json(&created)).await;
    assert_eq!(code, StatusCode::OK, "{put}");
    assert_eq!(put["metadata"]["resourceVersion"], rv);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_update_and_patch() {
    let s = Server::start();
    let c = client();
    let ns = format!("{}/api/v1/namespaces/default", s.url);
    let (code, p) = send(
        c.patch(&ns)
            .header("Content-Type", "application/merge-patch+json")
            .body(r#"{"metadata":{"labels":{"team":"a"}}}"#),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{p}");
    assert_eq!(p["metadata"]["labels"]["team"], "a");
    let mut body = p.clone();
    body["metadata"]["labels"] = json!({"team": "b"});
    let (code, u) = send(c.put(&ns).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{u}");
    assert_eq!(u["metadata"]["labels"]["team"], "b");
    assert_eq!(u["metadata"]["uid"], p["metadata"]["uid"]);
    let (code, _) = send(c.put(&ns).json(&body)).await;
    assert_eq!(code, StatusCode::CONFLICT, "stale resourceVersion");
    let mut renamed = u.clone();
    renamed["metadata"]["name"] = json!("other");
    let (code, _) = send(c.put(&ns).json(&renamed)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

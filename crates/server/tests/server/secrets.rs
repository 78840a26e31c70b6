//! core/v1 Secrets and `imagestreams/{name}/secrets` (§11.5, §12.2) over HTTP against a real
//! server: docker config secrets are validated, and only pull secrets reach imports.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::Server;
use crate::tags::{NS, client, merge_patch, send};

const SECRETS: &str = "/api/v1/namespaces/default/secrets";

/// CRUD with Kubernetes conventions: stringData folds into data, PUT needs a resourceVersion,
/// the type is immutable, delete answers a Status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_crud() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{SECRETS}", s.url);
    let cfg = json!({"auths": {"quay.io": {"auth": "dTpw"}}}).to_string();
    let body = json!({"metadata": {"name": "pull"}, "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": cfg}});
    let (code, created) = send(c.post(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "Secret");
    assert!(created.get("stringData").is_none(), "{created}");
    let encoded = created["data"][".dockerconfigjson"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, got) = send(c.get(format!("{url}/pull"))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(got["data"][".dockerconfigjson"], encoded.as_str());
    let (code, plain) = send(
        c.post(&url)
            .json(&json!({"metadata": {"name": "plain"}, "stringData": {"k": "v"}})),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{plain}");
    assert_eq!(plain["type"], "Opaque");
    let (code, list) = send(c.get(&url)).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["kind"], "SecretList");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (code, all) = send(c.get(format!("{}/api/v1/secrets", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    // PUT: resourceVersion required and must match; the type may not change
    let mut put = got.clone();
    put["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (code, e) = send(c.put(format!("{url}/pull")).json(&put)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "Secret \"pull\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
    );
    let mut put = got.clone();
    put["type"] = json!("Opaque");
    let (code, e) = send(c.put(format!("{url}/pull")).json(&put)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "Secret \"pull\" is invalid: type: Invalid value: \"Opaque\": field is immutable"
    );
    let mut put = got.clone();
    put["metadata"]["labels"] = json!({"a": "b"});
    let (code, updated) = send(c.put(format!("{url}/pull")).json(&put)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    let (code, e) = send(c.put(format!("{url}/pull")).json(&put)).await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    let (code, patched) = send(merge_patch(
        &c,
        format!("{url}/plain"),
        json!({"stringData": {"k2": "v2"}}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{patched}");
    assert_eq!(patched["data"]["k2"], "djI=");
    assert_eq!(patched["data"]["k"], "dg==");
    // kubectl's default patch type
    let (code, patched) = send(
        c.patch(format!("{url}/plain"))
            .header("Content-Type", "application/strategic-merge-patch+json")
            .body(json!({"metadata": {"labels": {"via": "smp"}}}).to_string()),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{patched}");
    assert_eq!(patched["metadata"]["labels"]["via"], "smp");
    assert_eq!(patched["data"]["k2"], "djI=");

    let (code, d) = send(c.delete(format!("{url}/plain"))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(d["status"], "Success");
    assert_eq!(d["details"]["kind"], "secrets");
    let (code, e) = send(c.get(format!("{url}/plain"))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["message"], "secrets \"plain\" not found");
    let (code, e) = send(
        c.post(format!("{}/api/v1/namespaces/missing/secrets", s.url))
            .json(&json!({"metadata": {"name": "x"}})),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["message"], "namespaces \"missing\" not found");
}

/// Docker config secrets need their key, holding a JSON object; errors never echo the data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_validation() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{SECRETS}", s.url);
    let (code, e) = send(c.post(&url).json(&json!({"metadata": {"name": "a"}, "type": "kubernetes.io/dockerconfigjson", "stringData": {"other": "x"}}))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "Secret \"a\" is invalid: data[.dockerconfigjson]: Required value"
    );
    assert_eq!(
        e["details"]["causes"][0]["field"],
        "data[.dockerconfigjson]"
    );
    let (code, e) = send(c.post(&url).json(&json!({"metadata": {"name": "b"}, "type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": "hunter2-not-json"}}))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let message = e["message"].as_str().unwrap();
    assert!(message.starts_with("Secret \"b\" is invalid: data[.dockercfg]: Invalid value: \"<secret contents redacted>\": "), "{message}");
    assert!(
        !message.contains("hunter2") && !e.to_string().contains("hunter2"),
        "secret data leaked: {e}"
    );
    let (code, e) = send(c.post(&url).json(&json!({"metadata": {"name": "c"}, "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "[1,2]"}}))).await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a JSON array is not a docker config: {e}"
    );
    let (code, ok) = send(c.post(&url).json(&json!({"metadata": {"name": "d"}, "type": "kubernetes.io/dockercfg", "stringData": {".dockercfg": "{\"quay.io\":{\"auth\":\"dTpw\"}}"}}))).await;
    assert_eq!(code, StatusCode::CREATED, "{ok}");
    let (code, e) = send(
        c.post(&url)
            .json(&json!({"metadata": {"name": "e"}, "stringData": {"bad/key": "x"}})),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["message"].as_str().unwrap().contains("data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters"), "{e}");
    let (code, e) = send(c.post(&url).json(&json!({"metadata": {"name": "Upper"}}))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("metadata.name: Invalid value: \"Upper\": a lowercase RFC 1123 subdomain"),
        "{e}"
    );
    // updates are validated the same way
    let (code, e) = send(merge_patch(
        &c,
        format!("{url}/d"),
        json!({"data": {".dockercfg": null}}),
    ))
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "Secret \"d\" is invalid: data[.dockercfg]: Required value"
    );
}

/// §11.5 / §12.2: only dockercfg and dockerconfigjson secrets, minus excluded ones, as an
/// image-group SecretList; the stream name is not consulted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_stream_secrets() {
    let s = Server::start();
    let c = client();
    let url = format!("{}{SECRETS}", s.url);
    let cfg = json!({"auths": {}}).to_string();
    for (name, type_, key, ann) in [
        (
            "json",
            "kubernetes.io/dockerconfigjson",
            ".dockerconfigjson",
            json!({}),
        ),
        ("cfg", "kubernetes.io/dockercfg", ".dockercfg", json!({})),
        (
            "excluded",
            "kubernetes.io/dockerconfigjson",
            ".dockerconfigjson",
            json!({"openshift.io/image.excludeSecret": "true"}),
        ),
        (
            "not-excluded",
            "kubernetes.io/dockerconfigjson",
            ".dockerconfigjson",
            json!({"openshift.io/image.excludeSecret": "false"}),
        ),
        ("opaque", "Opaque", "x", json!({})),
        ("basic", "kubernetes.io/basic-auth", "username", json!({})),
    ] {
        let body = json!({"metadata": {"name": name, "annotations": ann}, "type": type_, "stringData": {key: cfg}});
        let (code, e) = send(c.post(&url).json(&body)).await;
        assert_eq!(code, StatusCode::CREATED, "{name}: {e}");
    }
    let (code, list) = send(c.get(format!("{}{NS}/imagestreams/anything/secrets", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{list}");
    assert_eq!(list["apiVersion"], "image.openshift.io/v1");
    assert_eq!(list["kind"], "SecretList");
    let mut names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, vec!["cfg", "json", "not-excluded"]);
    assert!(
        list["items"][0]["data"].is_object(),
        "the data is returned to importers"
    );
    // list options are passed through
    let (code, one) = send(c.get(format!(
        "{}{NS}/imagestreams/x/secrets?fieldSelector=type%3Dkubernetes.io%2Fdockercfg",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{one}");
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["items"][0]["metadata"]["name"], "cfg");
    let (code, plain) = send(c.get(format!("{url}?fieldSelector=type%3DOpaque"))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(plain["items"][0]["metadata"]["name"], "opaque");
    assert_eq!(plain["items"].as_array().unwrap().len(), 1);
}

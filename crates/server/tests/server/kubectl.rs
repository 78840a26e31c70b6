//! kubectl as a real client (test-peers §6): discovery, server-side tables, get/apply/patch/
//! delete, watch and explain against a real server, plus the wire surface kubectl relies on.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Server, peer};

/// kubectl 1.32 from the Google Cloud SDK (skips the dispatcher), else `kubectl` on PATH.
fn kubectl_binary() -> Option<PathBuf> {
    let pinned = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if pinned.is_file() {
        Some(pinned.to_owned())
    } else {
        peer("kubectl")
    }
}

/// kubectl bound to one server, with its own cache directory and manifests directory.
struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Kubectl {
    fn new(server: &Server) -> Option<Kubectl> {
        let bin = kubectl_binary()?;
        Some(Kubectl {
            bin,
            kubeconfig: server.kubeconfig(),
            dir: tempfile::tempdir().unwrap(),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .arg("--request-timeout=30s")
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run, require exit 0, return stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Run, require a failure, return stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Write a manifest into the scratch directory and return its path.
    fn manifest(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }
}

fn stream_yaml(tag: &str) -> String {
    format!(
        r#"apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: python
spec:
  tags:
  - name: "{tag}"
    from:
      kind: DockerImage
      name: quay.io/org/python:{tag}
    reference: true
  - name: latest
    from:
      kind: ImageStreamTag
      name: "{tag}"
"#
    )
}

/// The whitespace-separated words of each output line.
fn words(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

fn spec_tag_names(stream: &Value) -> Vec<String> {
    stream["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn get_apply_patch_delete() {
    let server = Server::start();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };

    // empty namespace: nothing on stdout, kubectl's note on stderr
    let out = k.run(&["get", "imagestreams"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "No resources found in default namespace."
    );

    // apply (create), with validation on: kubectl must leave it to the server
    let v1 = k.manifest("is.yaml", &stream_yaml("3.12"));
    assert_eq!(
        k.ok(&["apply", "-f", &v1]).trim(),
        "imagestream.image.openshift.io/python created"
    );

    // the server's Table columns
    let table = k.ok(&["get", "imagestreams"]);
    let rows = words(&table);
    assert_eq!(
        rows[0],
        ["NAME", "IMAGE", "REPOSITORY", "TAGS", "UPDATED"],
        "{table}"
    );
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(rows[1][0], "python");
    assert_eq!(rows[1][1], "3.12,latest", "{table}");
    assert_eq!(rows[1].last(), Some(&"ago"), "{table}");
    // a named get is a one-row Table too; the short name works
    let one = words(&k.ok(&["get", "is", "python"])).concat().join(" ");
    assert!(
        one.starts_with("NAME IMAGE REPOSITORY TAGS UPDATED python 3.12,latest"),
        "{one}"
    );

    // -o yaml and -o json carry the whole object
    let yaml = k.ok(&["get", "is", "python", "-o", "yaml"]);
    let from_yaml: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(from_yaml["kind"], "ImageStream");
    assert_eq!(from_yaml["metadata"]["name"], "python");
    assert_eq!(spec_tag_names(&from_yaml), ["3.12", "latest"]);
    assert!(
        from_yaml["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
    let json: Value = serde_json::from_str(&k.ok(&["get", "is", "python", "-o", "json"])).unwrap();
    assert_eq!(json["apiVersion"], "image.openshift.io/v1");
    assert_eq!(
        json["status"]["tags"][0]["items"][0]["dockerImageReference"],
        "quay.io/org/python:3.12"
    );

    // apply (update): a client-side apply patch, validated strictly by the server
    let v2 = k.manifest("is2.yaml", &stream_yaml("3.13"));
    assert_eq!(
        k.ok(&["apply", "-f", &v2]).trim(),
        "imagestream.image.openshift.io/python configured"
    );
    let json: Value = serde_json::from_str(&k.ok(&["get", "is", "python", "-o", "json"])).unwrap();
    assert_eq!(spec_tag_names(&json), ["3.13", "latest"]);
    assert_eq!(json["spec"]["tags"][1]["from"]["name"], "3.13");
    // unknown fields are refused (fieldValidation=Strict reached the server)
    let bad = k.manifest(
        "bad.yaml",
        "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: bad\nspec:\n  bogus: 1\n",
    );
    let err = k.fails(&["apply", "-f", &bad]);
    assert!(
        err.contains("strict decoding error") && err.contains("unknown field \"spec.bogus\""),
        "{err}"
    );

    // patches
    assert_eq!(
        k.ok(&[
            "patch",
            "is",
            "python",
            "--type",
            "merge",
            "-p",
            r#"{"metadata":{"labels":{"team":"a"}}}"#
        ])
        .trim(),
        "imagestream.image.openshift.io/python patched"
    );
    assert_eq!(
        k.ok(&[
            "patch",
            "is",
            "python",
            "--type",
            "strategic",
            "-p",
            r#"{"metadata":{"labels":{"tier":"b"}}}"#
        ])
        .trim(),
        "imagestream.image.openshift.io/python patched"
    );
    let labels = k.ok(&["get", "is", "python", "-o", "jsonpath={.metadata.labels}"]);
    let labels: Value = serde_json::from_str(&labels).unwrap();
    assert_eq!(labels, serde_json::json!({"team": "a", "tier": "b"}));

    // all namespaces
    let all = words(&k.ok(&["get", "is", "-A"]))
        .into_iter()
        .map(|r| r.join(" "))
        .collect::<Vec<_>>();
    assert_eq!(all[0], "NAMESPACE NAME IMAGE REPOSITORY TAGS UPDATED");
    let row: Vec<&str> = all[1].split(' ').collect();
    assert_eq!(row[..2], ["default", "python"], "{all:?}");
    // newest first, ties (same second) by name: the order depends on timing, the set does not
    let mut tags: Vec<&str> = row[2].split(',').collect();
    tags.sort_unstable();
    assert_eq!(tags, ["3.12", "3.13", "latest"], "{all:?}");

    // delete, then the Status of a missing object
    assert_eq!(
        k.ok(&["delete", "is", "python"]).trim(),
        "imagestream.image.openshift.io \"python\" deleted"
    );
    let err = k.fails(&["get", "is", "python"]);
    assert_eq!(
        err.trim(),
        "Error from server (NotFound): imagestreams.image.openshift.io \"python\" not found"
    );
}

/// Read lines of `child`'s stdout on a thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The next line that starts with `event`, failing after 30 s.
fn wait_for(rx: &mpsc::Receiver<String>, event: &str, seen: &mut Vec<String>) -> Vec<String> {
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("no {event} event ({e}); saw {seen:?}"));
        seen.push(line.clone());
        let w: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        if w.first().map(String::as_str) == Some(event) {
            return w;
        }
    }
}

#[test]
fn watch_prints_table_rows_per_event() {
    let server = Server::start();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    let v1 = k.manifest("is.yaml", &stream_yaml("3.12"));
    k.ok(&["apply", "-f", &v1]);

    let mut child = k
        .command(&["get", "is", "-w", "--output-watch-events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    // the initial list: the watch then starts from its resourceVersion, so nothing after this
    // point can be missed
    let header = wait_for(&rx, "EVENT", &mut seen);
    assert_eq!(
        header,
        ["EVENT", "NAME", "IMAGE", "REPOSITORY", "TAGS", "UPDATED"]
    );
    let added = wait_for(&rx, "ADDED", &mut seen);
    assert_eq!(added[1..3], ["python", "3.12,latest"]);

    k.ok(&[
        "patch",
        "is",
        "python",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"x":"y"}}}"#,
    ]);
    let modified = wait_for(&rx, "MODIFIED", &mut seen);
    assert_eq!(modified[1], "python");
    k.ok(&["delete", "is", "python"]);
    let deleted = wait_for(&rx, "DELETED", &mut seen);
    assert_eq!(deleted[1], "python");

    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn explain_reads_the_openapi_schemas() {
    let server = Server::start();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    let out = k.ok(&["explain", "imagestream.spec.tags"]);
    assert!(out.contains("GROUP:      image.openshift.io"), "{out}");
    assert!(out.contains("KIND:       ImageStream"), "{out}");
    assert!(out.contains("FIELD: tags <[]TagReference>"), "{out}");
    assert!(out.contains("DESCRIPTION:\n    Spec tags"), "{out}");
    for field in [
        "from\t<ObjectReference>",
        "importPolicy\t<TagImportPolicy>",
        "referencePolicy\t<TagReferencePolicy>",
    ] {
        assert!(out.contains(field), "{field} missing:\n{out}");
    }
    let out = k.ok(&["explain", "is.spec.tags.from.kind"]);
    assert!(out.contains("FIELD: kind <string>"), "{out}");
    let out = k.ok(&["explain", "namespaces"]);
    assert!(out.contains("KIND:       Namespace"), "{out}");
    let err = k.fails(&["explain", "imagestream.spec.nope"]);
    assert!(err.contains("field \"nope\" does not exist"), "{err}");
}

#[test]
fn discovery_openapi_and_tables_on_the_wire() {
    let server = Server::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let get = |path: &str, accept: &str| {
            c.get(format!("{}{path}", server.url)).header("Accept", accept.to_owned()).send()
        };
        let agg = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        let resp = get("/apis", agg).await.unwrap();
        assert_eq!(resp.headers()["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["items"][0]["metadata"]["name"], "image.openshift.io");
        // kubectl 1.28 asks for v2beta1 only
        let resp = get("/api", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json").await.unwrap();
        assert_eq!(resp.headers()["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["apiVersion"], "apidiscovery.k8s.io/v2beta1");
        // legacy documents for plain JSON
        let body: Value = get("/api", "application/json").await.unwrap().json().await.unwrap();
        assert_eq!(body["kind"], "APIVersions");
        let body: Value = get("/apis", "application/json").await.unwrap().json().await.unwrap();
        assert_eq!(body["kind"], "APIGroupList");
        let body: Value = get("/apis/image.openshift.io/v1", "application/json").await.unwrap().json().await.unwrap();
        assert_eq!(body["kind"], "APIResourceList");
        let body: Value = get("/api/v1", "application/json").await.unwrap().json().await.unwrap();
        assert_eq!(body["groupVersion"], "v1");
        // openapi: the index's URL serves the document; v2 is a 404 Status
        let index: Value = get("/openapi/v3", "application/json").await.unwrap().json().await.unwrap();
        let url = index["paths"]["apis/image.openshift.io/v1"]["serverRelativeURL"].as_str().unwrap().to_owned();
        let resp = get(&url, "application/json").await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["cache-control"], "public, immutable");
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["openapi"], "3.0.0");
        let resp = get("/openapi/v2", "application/json").await.unwrap();
        assert_eq!(resp.status(), 404);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["kind"], "Status");
        // tables
        let is = "/apis/image.openshift.io/v1/namespaces/default/imagestreams";
        let created = c
            .post(format!("{}{is}", server.url))
            .json(&serde_json::json!({"metadata": {"name": "app"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        let resp = get(is, table_accept).await.unwrap();
        assert_eq!(resp.headers()["content-type"], "application/json;as=Table;v=v1;g=meta.k8s.io");
        let t: Value = resp.json().await.unwrap();
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["rows"][0]["cells"][0], "app");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert!(t["metadata"]["resourceVersion"].is_string());
        let t: Value = get(&format!("{is}/app"), table_accept).await.unwrap().json().await.unwrap();
        assert_eq!(t["rows"].as_array().unwrap().len(), 1);
        let plain: Value = get(&format!("{is}/app"), "application/json").await.unwrap().json().await.unwrap();
        assert_eq!(plain["kind"], "ImageStream");
    });
}

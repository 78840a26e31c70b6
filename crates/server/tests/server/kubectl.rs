//! kubectl as a real client (test-peers §6): discovery, server-side tables, get/apply/patch/
//! delete, watch and explain against a real server, plus the wire surface kubectl relies on.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Server, peer};
use crate::tags::{TestImage, create_stream, image_json, oci_image, push};

/// kubectl 1.32 from the Google Cloud SDK (skips the dispatcher), else `kubectl` on PATH.
pub(crate) fn kubectl_binary() -> Option<PathBuf> {
    let pinned = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.32");
    if pinned.is_file() {
        Some(pinned.to_owned())
    } else {
        peer("kubectl")
    }
}

/// kubectl bound to one server, with its own cache directory and manifests directory.
pub(crate) struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Kubectl {
    /// kubectl for `server`, or `None` (skip) when kubectl is missing.
    pub(crate) fn new(server: &Server) -> Option<Kubectl> {
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

    /// Run with `args`, whatever the outcome.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run, require exit 0, return stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
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
    pub(crate) fn manifest(&self, name: &str, text: &str) -> String {
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
    let server = Server::start_tls();
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
    let server = Server::start_tls();
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
    let server = Server::start_tls();
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
    let server = Server::start_tls();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = server.client();
        let get = |path: &str, accept: &str| {
            c.get(format!("{}{path}", server.url)).header("Accept", accept.to_owned()).send()
        };
        let agg = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        let resp = get("/apis", agg).await.unwrap();
        assert_eq!(resp.headers()["content-type"], "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        let body: Value = resp.json().await.unwrap();
        let names: Vec<&str> = body["items"].as_array().unwrap().iter().filter_map(|i| i["metadata"]["name"].as_str()).collect();
        assert!(names.contains(&"image.openshift.io"), "{names:?}");
        assert!(names.contains(&"authentication.k8s.io"), "{names:?}");
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

/// Run `f` on a fresh single-threaded runtime (raw HTTP set-up steps of the kubectl tests).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Push `image` to `default/stream:tag` with an ImageStreamMapping POST (what the integrated
/// registry does after a manifest PUT).
fn push_image(server: &Server, stream: &str, tag: &str, image: &TestImage) {
    block_on(async {
        let (code, status) = push(
            &server.client(),
            &server.url,
            stream,
            tag,
            image_json(image, "quay.io/org/app"),
        )
        .await;
        assert_eq!(code, reqwest::StatusCode::CREATED, "{status}");
    });
}

/// The whitespace-separated words of each output line, owned.
fn cells(text: &str) -> Vec<Vec<String>> {
    words(text)
        .into_iter()
        .map(|r| r.into_iter().map(str::to_owned).collect())
        .collect()
}

/// The rows of a table printed by kubectl, each joined with single spaces.
fn joined_rows(text: &str) -> Vec<String> {
    words(text).into_iter().map(|r| r.join(" ")).collect()
}

#[test]
fn istags_images_and_imagetags() {
    let server = Server::start_tls();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    block_on(async {
        create_stream(&server.client(), &server.url, "app", serde_json::json!([])).await;
    });
    let (one, two) = (oci_image("kubectl-1"), oci_image("kubectl-2"));
    push_image(&server, "app", "latest", &one);
    push_image(&server, "app", "v2", &two);
    let reference = |img: &TestImage| format!("quay.io/org/app@{}", img.digest);

    // imagestreamtags: NAME IMAGE REFERENCE UPDATED (A5), one row per status tag
    let rows = cells(&k.ok(&["get", "imagestreamtags"]));
    assert_eq!(
        rows[0],
        ["NAME", "IMAGE", "REFERENCE", "UPDATED"],
        "{rows:?}"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[1][..2], ["app:latest".to_owned(), reference(&one)]);
    assert_eq!(rows[2][..2], ["app:v2".to_owned(), reference(&two)]);
    assert_eq!(rows[1].last().map(String::as_str), Some("ago"), "{rows:?}");
    // by name (short name), and the wide column with the image name
    let got = joined_rows(&k.ok(&["get", "istag", "app:latest"]));
    assert_eq!(got[0], "NAME IMAGE REFERENCE UPDATED");
    assert!(
        got[1].starts_with(&format!("app:latest {} ", reference(&one))),
        "{got:?}"
    );
    assert_eq!(got.len(), 2);
    let wide = joined_rows(&k.ok(&["get", "istag", "app:latest", "-o", "wide"]));
    assert_eq!(wide[0], "NAME IMAGE REFERENCE UPDATED IMAGE NAME");
    assert!(
        wide[1].ends_with(&format!(" ago {}", one.digest)),
        "{wide:?}"
    );

    // -o yaml: the whole ImageStreamTag with its image
    let yaml: Value =
        serde_saphyr::from_str(&k.ok(&["get", "istag", "app:latest", "-o", "yaml"])).unwrap();
    assert_eq!(yaml["kind"], "ImageStreamTag");
    assert_eq!(yaml["apiVersion"], "image.openshift.io/v1");
    assert_eq!(yaml["metadata"]["name"], "app:latest");
    assert_eq!(yaml["metadata"]["namespace"], "default");
    assert_eq!(yaml["image"]["metadata"]["name"], one.digest.as_str());
    assert_eq!(
        yaml["image"]["dockerImageReference"],
        reference(&one).as_str()
    );
    assert_eq!(
        yaml["image"]["dockerImageMetadata"]["Id"],
        one.config_digest.as_str()
    );

    // all namespaces: the NAMESPACE column comes from the rows' metadata
    let all = joined_rows(&k.ok(&["get", "istag", "-A"]));
    assert_eq!(all[0], "NAMESPACE NAME IMAGE REFERENCE UPDATED");
    assert!(
        all[1].starts_with(&format!("default app:latest {} ", reference(&one))),
        "{all:?}"
    );
    assert_eq!(all.len(), 3, "{all:?}");

    // images (cluster scoped): NAME IMAGE REFERENCE
    let images = joined_rows(&k.ok(&["get", "images"]));
    assert_eq!(images[0], "NAME IMAGE REFERENCE");
    let mut expected = vec![
        format!("{} {}", one.digest, reference(&one)),
        format!("{} {}", two.digest, reference(&two)),
    ];
    expected.sort();
    assert_eq!(images[1..], expected, "{images:?}");
    let image = joined_rows(&k.ok(&["get", "image", &one.digest]));
    assert_eq!(
        image,
        [
            "NAME IMAGE REFERENCE".to_owned(),
            format!("{} {}", one.digest, reference(&one))
        ]
    );
    let json: Value =
        serde_json::from_str(&k.ok(&["get", "image", &one.digest, "-o", "json"])).unwrap();
    assert_eq!(json["kind"], "Image");
    assert_eq!(
        json["dockerImageManifestMediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );

    // imagestreamimages: NAME UPDATED by stream@digest
    let isimage = format!("app@{}", one.digest);
    let got = joined_rows(&k.ok(&["get", "isimage", &isimage]));
    assert_eq!(got[0], "NAME UPDATED");
    assert!(got[1].starts_with(&format!("{isimage} ")), "{got:?}");
    assert!(got[1].ends_with(" ago"), "{got:?}");

    // imagetags: NAME SPEC STATUS HISTORY UPDATED; a pushed tag has no spec tag
    let itags = cells(&k.ok(&["get", "imagetags"]));
    assert_eq!(itags[0], ["NAME", "SPEC", "STATUS", "HISTORY", "UPDATED"]);
    assert_eq!(itags.len(), 3, "{itags:?}");
    let status = format!("image/{}", one.digest);
    assert_eq!(itags[1][..4], ["app:latest", "Push", status.as_str(), "1"]);
    assert_eq!(
        itags[1].last().map(String::as_str),
        Some("ago"),
        "{itags:?}"
    );
    let itag: Value =
        serde_json::from_str(&k.ok(&["get", "itag", "app:v2", "-o", "json"])).unwrap();
    assert_eq!(itag["kind"], "ImageTag");
    assert_eq!(itag["image"]["metadata"]["name"], two.digest.as_str());

    // delete one tag: the other stays, the Image stays (A6)
    assert_eq!(
        k.ok(&["delete", "istag", "app:v2"]).trim(),
        "imagestreamtag.image.openshift.io \"app:v2\" deleted"
    );
    let err = k.fails(&["get", "istag", "app:v2"]);
    assert_eq!(
        err.trim(),
        "Error from server (NotFound): imagestreamtags.image.openshift.io \"app:v2\" not found"
    );
    let rows = joined_rows(&k.ok(&["get", "istag"]));
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].starts_with("app:latest "), "{rows:?}");
    assert_eq!(joined_rows(&k.ok(&["get", "images"])).len(), 3);
    let err = k.fails(&["get", "image", &two.digest.replace("sha256:", "sha256:0")]);
    assert!(err.contains("(NotFound)"), "{err}");
}

#[test]
fn docker_registry_secrets_and_namespaces() {
    let server = Server::start_tls();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    assert_eq!(
        k.ok(&[
            "create",
            "secret",
            "docker-registry",
            "pull",
            "--docker-server=quay.io",
            "--docker-username=robot",
            "--docker-password=s3cret",
        ])
        .trim(),
        "secret/pull created"
    );
    // NAME TYPE DATA AGE
    let rows = cells(&k.ok(&["get", "secrets"]));
    assert_eq!(rows[0], ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[1][..3],
        ["pull", "kubernetes.io/dockerconfigjson", "1"]
    );
    let one = cells(&k.ok(&["get", "secret", "pull"]));
    assert_eq!(one[1][..3], ["pull", "kubernetes.io/dockerconfigjson", "1"]);
    let all = cells(&k.ok(&["get", "secrets", "-A"]));
    assert_eq!(all[0], ["NAMESPACE", "NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(
        all[1][..3],
        ["default", "pull", "kubernetes.io/dockerconfigjson"]
    );

    // -o yaml: the dockerconfigjson kubectl built (A10)
    let yaml: Value =
        serde_saphyr::from_str(&k.ok(&["get", "secret", "pull", "-o", "yaml"])).unwrap();
    assert_eq!(yaml["kind"], "Secret");
    assert_eq!(yaml["apiVersion"], "v1");
    assert_eq!(yaml["type"], "kubernetes.io/dockerconfigjson");
    // k8s-openapi's ByteString decodes the base64 of `data`
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(yaml).unwrap();
    let data = secret.data.unwrap();
    let config: Value = serde_json::from_slice(&data[".dockerconfigjson"].0).unwrap();
    let auth = &config["auths"]["quay.io"];
    assert_eq!(auth["username"], "robot");
    assert_eq!(auth["password"], "s3cret");
    assert_eq!(auth["auth"], "cm9ib3Q6czNjcmV0", "base64 of robot:s3cret");

    // namespaces: NAME STATUS AGE
    let rows = cells(&k.ok(&["get", "namespaces"]));
    assert_eq!(rows[0], ["NAME", "STATUS", "AGE"]);
    assert!(
        rows[1..].iter().any(|r| r[..2] == ["default", "Active"]),
        "{rows:?}"
    );
    let one = cells(&k.ok(&["get", "ns", "default"]));
    assert_eq!(one.len(), 2);
    assert_eq!(one[1][..2], ["default", "Active"]);
    // kubectl's typed client sends the Namespace as protobuf, like the Secret above
    assert_eq!(
        k.ok(&["create", "namespace", "team"]).trim(),
        "namespace/team created"
    );
    let one = cells(&k.ok(&["get", "ns", "team"]));
    assert_eq!(one[1][..2], ["team", "Active"]);
    assert_eq!(
        k.ok(&["delete", "ns", "team"]).trim(),
        "namespace \"team\" deleted"
    );
    k.fails(&["get", "ns", "team"]);

    // a watch prints one-row Tables per event: the list's row, then the deletion
    let mut child = k
        .command(&["get", "secrets", "-w", "--output-watch-events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    let mut seen = Vec::new();
    let header = wait_for(&rx, "EVENT", &mut seen);
    assert_eq!(header, ["EVENT", "NAME", "TYPE", "DATA", "AGE"]);
    let added = wait_for(&rx, "ADDED", &mut seen);
    assert_eq!(added[1..3], ["pull", "kubernetes.io/dockerconfigjson"]);
    assert_eq!(
        k.ok(&["delete", "secret", "pull"]).trim(),
        "secret \"pull\" deleted"
    );
    let deleted = wait_for(&rx, "DELETED", &mut seen);
    assert_eq!(deleted[1..3], ["pull", "kubernetes.io/dockerconfigjson"]);
    let _ = child.kill();
    let _ = child.wait();
    let out = k.run(&["get", "secrets"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "No resources found in default namespace."
    );
}

fn stream_and_secret_yaml(password_base64: &str) -> String {
    format!(
        r#"apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  labels:
    app: web
spec:
  lookupPolicy:
    local: true
---
apiVersion: v1
kind: Secret
metadata:
  name: quay
type: Opaque
data:
  password: {password_base64}
"#
    )
}

#[test]
fn apply_several_objects() {
    let server = Server::start_tls();
    let Some(k) = Kubectl::new(&server) else {
        return;
    };
    let v1 = k.manifest("both.yaml", &stream_and_secret_yaml("b25l"));
    assert_eq!(
        k.ok(&["apply", "-f", &v1]).trim(),
        "imagestream.image.openshift.io/web created\nsecret/quay created"
    );
    assert_eq!(
        k.ok(&["apply", "-f", &v1]).trim(),
        "imagestream.image.openshift.io/web unchanged\nsecret/quay unchanged"
    );
    let v2 = k.manifest("both2.yaml", &stream_and_secret_yaml("dHdv"));
    assert_eq!(
        k.ok(&["apply", "-f", &v2]).trim(),
        "imagestream.image.openshift.io/web unchanged\nsecret/quay configured"
    );
    let secret: Value =
        serde_json::from_str(&k.ok(&["get", "secret", "quay", "-o", "json"])).unwrap();
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["data"]["password"], "dHdv", "base64 of \"two\"");
    assert!(
        secret["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .is_string()
    );
    // both kinds in one get, each with its own columns
    let out = joined_rows(&k.ok(&["get", "-f", &v2]));
    assert_eq!(out[0], "NAME IMAGE REPOSITORY TAGS UPDATED");
    // no image repository, no status tags, never updated: the other cells are empty
    assert_eq!(out[1], "imagestream.image.openshift.io/web", "{out:?}");
    assert_eq!(out[2], "");
    assert_eq!(out[3], "NAME TYPE DATA AGE");
    assert!(out[4].starts_with("secret/quay Opaque 1 "), "{out:?}");
    assert_eq!(
        k.ok(&["delete", "-f", &v2]).trim(),
        "imagestream.image.openshift.io \"web\" deleted\nsecret \"quay\" deleted"
    );
    let err = k.fails(&["get", "secret", "quay"]);
    assert_eq!(
        err.trim(),
        "Error from server (NotFound): secrets \"quay\" not found"
    );
}

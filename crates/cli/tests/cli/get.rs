//! `tagplane get` (spec cli §A5, §1): Tables with kubectl's tabwriter layout, object formats,
//! `-A`, `-l`, `-w`, name forms and the NotFound / empty / usage paths, against a real server.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::{Value, json};

use crate::harness::{BIN, Registry, Server, eventually};

const IS: &str = "/apis/image.openshift.io/v1/namespaces/default/imagestreams";

/// Create a stream through the HTTP API (admin token).
pub fn create_stream(s: &Server, ns: &str, body: Value) {
    let (code, out) = s.http(
        "POST",
        &format!("/apis/image.openshift.io/v1/namespaces/{ns}/imagestreams"),
        Some(&body.to_string()),
    );
    assert_eq!(code, 201, "{out}");
}

/// Create a namespace through the HTTP API.
pub fn create_namespace(s: &Server, ns: &str) {
    let (code, out) = s.http(
        "POST",
        "/api/v1/namespaces",
        Some(&json!({"metadata": {"name": ns}}).to_string()),
    );
    assert_eq!(code, 201, "{out}");
}

/// Assert `text` matches the anchored regex `pattern`.
#[track_caller]
pub fn assert_matches(text: &str, pattern: &str) {
    let re = Regex::new(&format!("^(?s:{pattern})$")).unwrap();
    assert!(
        re.is_match(text),
        "output:\n{text}\ndoes not match:\n{pattern}"
    );
}

#[test]
fn empty_list_and_not_found() {
    let s = Server::start();
    let out = s.run(&["get", "is"]);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        ("", "No resources found in default namespace.\n", 0)
    );
    let out = s.run(&["get", "images"]);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        ("", "No resources found\n", 0)
    );
    let out = s.run(&["get", "is", "-n", "other"]);
    assert_eq!(out.stderr, "No resources found in other namespace.\n");
    let out = s.run(&["get", "is", "foo"]);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        (
            "",
            "Error from server (NotFound): imagestreams.image.openshift.io \"foo\" not found\n",
            1
        )
    );
    let out = s.run(&["get", "istag/foo:bar", "-o", "yaml"]);
    assert_eq!(
        out.fails(),
        "Error from server (NotFound): imagestreamtags.image.openshift.io \"foo\" not found\n"
    );
    let out = s.run(&["get", "pods"]);
    assert_eq!(
        out.fails(),
        "error: the server doesn't have a resource type \"pods\"\n"
    );
    let out = s.run(&["get"]);
    assert_eq!(
        out.fails(),
        "error: Required resource not specified.\nSee 'tagplane get -h' for help and examples\n"
    );
    let out = s.run(&["get", "is", "-o", "bogus"]);
    assert!(
        out.fails().starts_with(
            "error: unable to match a printer suitable for the output format \"bogus\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml\n"
        ),
        "{out:?}"
    );
}

#[test]
fn tables_names_and_object_formats() {
    let s = Server::start();
    create_stream(
        &s,
        "default",
        json!({"metadata": {"name": "web", "labels": {"app": "web"}}}),
    );
    create_stream(&s, "default", json!({"metadata": {"name": "db"}}));
    create_namespace(&s, "other");
    create_stream(&s, "other", json!({"metadata": {"name": "cache"}}));

    let out = s.run(&["get", "is"]);
    let sp = |n: usize| " ".repeat(n);
    assert_eq!(
        out.ok(),
        format!(
            "NAME   IMAGE REPOSITORY   TAGS   UPDATED\ndb{}\nweb{}\n",
            sp(31),
            sp(30)
        )
    );
    assert_eq!(out.stderr, "");
    let out = s.run(&["get", "imagestreams", "web", "db"]);
    assert_eq!(
        out.ok(),
        format!(
            "NAME   IMAGE REPOSITORY   TAGS   UPDATED\nweb{}\ndb{}\n",
            sp(30),
            sp(31)
        )
    );
    let out = s.run(&["get", "is", "web", "nope"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        format!("NAME   IMAGE REPOSITORY   TAGS   UPDATED\nweb{}\n", sp(30))
    );
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): imagestreams.image.openshift.io \"nope\" not found\n"
    );
    let out = s.run(&["get", "is", "-A"]);
    assert_eq!(
        out.ok(),
        format!(
            "NAMESPACE   NAME    IMAGE REPOSITORY   TAGS   UPDATED\n\
             default     db{0}\n\
             default     web{1}\n\
             other       cache{2}\n",
            sp(32),
            sp(31),
            sp(29)
        )
    );
    let out = s.run(&["get", "is", "-l", "app=web", "--no-headers"]);
    assert_eq!(out.ok(), format!("web{}\n", sp(15)));
    let out = s.run(&["get", "is", "-l", "app=none"]);
    assert_eq!(out.stderr, "No resources found in default namespace.\n");

    let out = s.run(&["get", "is", "--show-labels"]);
    assert_eq!(
        out.ok(),
        format!(
            "NAME   IMAGE REPOSITORY   TAGS   UPDATED   LABELS\ndb{}<none>\nweb{}app=web\n",
            sp(41),
            sp(40)
        )
    );
    let out = s.run(&[
        "get",
        "is",
        "-A",
        "-o",
        "custom-columns=NS:.metadata.namespace,NAME:.metadata.name,APP:.metadata.labels.app",
    ]);
    assert_eq!(
        out.ok(),
        "NS        NAME    APP\ndefault   db      <none>\ndefault   web     web\nother     cache   <none>\n"
    );
    let out = s.run(&["get", "is", "-o", "name"]);
    assert_eq!(
        out.ok(),
        "imagestream.image.openshift.io/db\nimagestream.image.openshift.io/web\n"
    );
    // --sort-by: values missing first, tables sorted through the full objects.
    let out = s.run(&[
        "get",
        "is",
        "-A",
        "--sort-by=.metadata.labels.app",
        "--no-headers",
        "-o",
        "custom-columns=N:.metadata.name",
    ]);
    assert_eq!(out.ok(), "db\ncache\nweb\n");
    let out = s.run(&["get", "is", "--sort-by={.metadata.name}", "-o", "name"]);
    assert_eq!(
        out.ok(),
        "imagestream.image.openshift.io/db\nimagestream.image.openshift.io/web\n"
    );
    let out = s.run(&["get", "is", "-A", "--sort-by=.metadata.namespace"]);
    let names: Vec<&str> = out
        .ok()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["NAMESPACE", "default", "default", "other"]);
    let out = s.run(&["get", "is/web", "ns/other", "-o", "name"]);
    assert_eq!(
        out.ok(),
        "imagestream.image.openshift.io/web\nnamespace/other\n"
    );
    let out = s.run(&["get", "is/web", "ns/other"]);
    let text = out.ok();
    assert_matches(
        text,
        "NAME                                 IMAGE REPOSITORY   TAGS   UPDATED\n\
         imagestream.image.openshift.io/web {29}\n\
         \n\
         NAME              STATUS   AGE\n\
         namespace/other   Active   \\d+s\n",
    );

    let out = s.run(&["get", "is", "web", "-o", "json"]);
    let obj: Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(obj["kind"], "ImageStream");
    assert_eq!(obj["metadata"]["name"], "web");
    assert!(
        out.stdout
            .starts_with("{\n    \"apiVersion\": \"image.openshift.io/v1\",\n")
    );
    let out = s.run(&["get", "is", "-o", "json"]);
    let list: Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][1]["kind"], "ImageStream");
    assert_eq!(list["items"][1]["metadata"]["name"], "web");
    let out = s.run(&["get", "is", "web", "-o", "yaml"]);
    let obj: Value = serde_saphyr::from_str(out.ok()).unwrap();
    assert_eq!(obj["metadata"]["labels"]["app"], "web");
    assert!(
        out.stdout
            .starts_with("apiVersion: image.openshift.io/v1\nkind: ImageStream\n")
    );

    let out = s.run(&["get", "is", "-o", "jsonpath={.items[*].metadata.name}"]);
    assert_eq!(out.ok(), "db web");
    let out = s.run(&[
        "get",
        "is",
        "-A",
        "-o",
        r#"jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}"#,
    ]);
    assert_eq!(out.ok(), "default/db\ndefault/web\nother/cache\n");
    let out = s.run(&["get", "is", "web", "-o", "jsonpath={.metadata.labels.app}"]);
    assert_eq!(out.ok(), "web");

    let out = s.run(&["get", "ns"]);
    assert_matches(
        out.ok(),
        "NAME      STATUS   AGE\ndefault   Active   \\d+s\nother     Active   \\d+s\n",
    );
}

#[test]
fn secrets_table() {
    let s = Server::start();
    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "pull",
        "--docker-server=quay.io",
        "--docker-username=u",
        "--docker-password=p",
    ]);
    assert_eq!(out.ok(), "secret/pull created\n");
    let out = s.run(&["get", "secrets"]);
    assert_matches(
        out.ok(),
        "NAME   TYPE                             DATA   AGE\n\
         pull   kubernetes.io/dockerconfigjson   1      \\d+s\n",
    );
}

/// Images imported from a real registry: istag, isimage, images and imagetags tables.
#[test]
fn image_tables_from_a_real_import() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let digest = reg.push("org/app", "v1", "app v1");
    let from = format!("{}/org/app:v1", reg.host);
    create_stream(
        &s,
        "default",
        json!({"metadata": {"name": "app"}, "spec": {"tags": [{"name": "v1", "from": {"kind": "DockerImage", "name": from}, "importPolicy": {"insecure": true}}]}}),
    );
    eventually("the import of app:v1", || {
        let (_, body) = s.http("GET", &format!("{IS}/app"), None);
        let v: Value = serde_json::from_str(&body).ok()?;
        v["status"]["tags"][0]["items"][0]["image"]
            .as_str()
            .map(str::to_owned)
    });
    let ago = r"(Less than a second|\d+ seconds?|About a minute) ago";
    let out = s.run(&["get", "is"]);
    assert_matches(
        out.ok(),
        &format!(
            "NAME   IMAGE REPOSITORY   TAGS   UPDATED\napp                       v1     {ago}\n"
        ),
    );
    let out = s.run(&["get", "istag"]);
    let r = regex::escape(&format!("{from}@{digest}").replace(":v1@", "@"));
    let pad = " ".repeat(3);
    assert_matches(
        out.ok(),
        &format!("NAME     IMAGE REFERENCE\\s+UPDATED\napp:v1   {r}{pad}{ago}\n"),
    );
    let out = s.run(&["get", "istag", "-o", "wide"]);
    assert_matches(
        out.ok(),
        &format!(
            "NAME     IMAGE REFERENCE\\s+UPDATED\\s+IMAGE NAME\napp:v1   {r}{pad}{ago}\\s+{}\n",
            regex::escape(&digest)
        ),
    );
    let out = s.run(&["get", "images", "-o", "name"]);
    assert_eq!(out.ok(), format!("image.image.openshift.io/{digest}\n"));
    let out = s.run(&["get", "images"]);
    assert_matches(
        out.ok(),
        &format!(
            "NAME\\s+IMAGE REFERENCE\n{}\\s+{r}\n",
            regex::escape(&digest)
        ),
    );
    let isimage = format!("app@{digest}");
    let out = s.run(&[
        "get",
        "isimage",
        &isimage,
        "-o",
        "jsonpath={.image.metadata.name}",
    ]);
    assert_eq!(out.ok(), digest);
    let out = s.run(&["get", "itag", "-o", "name"]);
    assert_eq!(out.ok(), "imagetag.image.openshift.io/app:v1\n");
}

/// `get -w` prints the current rows, then one row per change.
#[test]
fn watch_prints_changes() {
    let s = Server::start();
    create_stream(&s, "default", json!({"metadata": {"name": "first"}}));
    let mut child = Command::new(BIN)
        .args(["get", "is", "-w"])
        .env("KUBECONFIG", s.kubeconfig())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let wait_for = |needle: &str, seen: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !seen.iter().any(|l: &String| l.starts_with(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no line {needle:?} in {seen:?}");
            if let Ok(l) = rx.recv_timeout(left) {
                seen.push(l);
            }
        }
    };
    wait_for("first", &mut seen);
    create_stream(&s, "default", json!({"metadata": {"name": "second"}}));
    wait_for("second", &mut seen);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(seen[0], "NAME    IMAGE REPOSITORY   TAGS   UPDATED");
    assert_eq!(seen[1], format!("first{}", " ".repeat(29)));
    assert!(seen.iter().any(|l| l.trim_end() == "second"), "{seen:?}");
}

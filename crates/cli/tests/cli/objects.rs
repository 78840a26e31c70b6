//! `create -f`, `apply -f`, `replace -f`, `delete`, `patch` against a real server: success
//! lines, the last-applied annotation and three-way patches, kubectl's error wording, and the
//! same kubeconfig and objects used by the real `kubectl`.

use serde_json::Value;

use crate::get::create_stream;
use crate::harness::{Server, peer};

const WEB: &str = "apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: web
  labels:
    app: web
    tier: front
spec:
  tags:
  - name: v1
    from:
      kind: DockerImage
      name: quay.io/org/web:1
    reference: true
  - name: v2
    from:
      kind: DockerImage
      name: quay.io/org/web:2
    reference: true
";

const MORE: &str = "---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: team
- apiVersion: v1
  kind: Secret
  metadata:
    name: creds
    namespace: team
  type: Opaque
  data:
    a: Yg==
";

fn get_json(s: &Server, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(s.run(&all).ok()).unwrap()
}

#[test]
fn create_from_files_and_stdin() {
    let s = Server::start();
    let web = s.file("web.yaml", WEB);
    let more = s.file("more.yaml", MORE);
    let out = s.run(&["create", "-f", &web, "-f", &more]);
    assert_eq!(
        out.ok(),
        "imagestream.image.openshift.io/web created\nnamespace/team created\nsecret/creds created\n"
    );
    assert_eq!(out.stderr, "");
    let secret = get_json(&s, &["secret", "creds", "-n", "team"]);
    assert_eq!(secret["data"]["a"], "Yg==");

    let out = s.run(&["create", "-f", &web]);
    assert_eq!(
        out.fails(),
        format!(
            "Error from server (AlreadyExists): error when creating \"{web}\": imagestreams.image.openshift.io \"web\" already exists\n"
        )
    );
    assert_eq!(out.stdout, "");

    let out = s.run(&["create", "-f", &more, "-n", "elsewhere"]);
    assert_eq!(
        out.fails(),
        "error: the namespace from the provided object \"team\" does not match the namespace \"elsewhere\". You must pass '--namespace=team' to perform this operation.\n"
    );

    let json =
        r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"db"}}"#;
    let out = s.run_with(&["create", "-f", "-", "-o", "name"], &[], Some(json));
    assert_eq!(out.ok(), "imagestream.image.openshift.io/db\n");

    let out = s.run(&["create", "-f", "/nonexistent/x.yaml"]);
    assert_eq!(
        out.fails(),
        "error: the path \"/nonexistent/x.yaml\" does not exist\n"
    );
    let bad = s.file("bad.yaml", "metadata:\n  name: x\n");
    let out = s.run(&["create", "-f", &bad]);
    assert_eq!(
        out.fails(),
        format!(
            "error: error validating \"{bad}\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false\n"
        )
    );
    let out = s.run(&["create"]);
    assert_eq!(
        out.fails(),
        "error: must specify one of -f and -k\nSee 'tagplane create -h' for help and examples\n"
    );
}

#[test]
fn invalid_objects_use_the_422_layout() {
    let s = Server::start();
    let one = r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"Bad_Name"}}"#;
    let out = s.run_with(&["create", "-f", "-"], &[], Some(one));
    assert_eq!(
        out.fails(),
        "The ImageStream \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": must match \"[a-z0-9]+(?:[._-][a-z0-9]+)*\"\n"
    );
    let two = r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"bad"},"spec":{"tags":[{"name":"x","from":{"kind":"Bogus","name":"a"}},{"name":"z","from":{"kind":"Bogus","name":"a"}}]}}"#;
    let out = s.run_with(&["apply", "-f", "-"], &[], Some(two));
    assert_eq!(
        out.fails(),
        "The ImageStream \"bad\" is invalid: \n\
         * spec.tags[x].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'\n\
         * spec.tags[z].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'\n"
    );
}

#[test]
fn apply_creates_configures_and_prunes() {
    let s = Server::start();
    let web = s.file("web.yaml", WEB);
    let out = s.run(&["apply", "-f", &web]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web created\n");
    let obj = get_json(&s, &["is", "web"]);
    let last: Value = serde_json::from_str(
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(last["metadata"]["name"], "web");
    assert_eq!(last["metadata"]["namespace"], "default");
    assert_eq!(last["spec"]["tags"][1]["name"], "v2");

    let out = s.run(&["apply", "-f", &web]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web unchanged\n");

    // Drop a label and a tag, change another tag: the three-way patch removes exactly what the
    // last apply had set, and keeps what others added.
    let out = s.run(&[
        "patch",
        "is",
        "web",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"labels":{"owner":"ops"}}}"#,
    ]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web patched\n");
    let changed = WEB
        .replace("    tier: front\n", "")
        .replace("quay.io/org/web:1", "quay.io/org/web:1.1")
        .replace(
            "  - name: v2\n    from:\n      kind: DockerImage\n      name: quay.io/org/web:2\n    reference: true\n",
            "",
        );
    let web2 = s.file("web2.yaml", &changed);
    let out = s.run(&["apply", "-f", &web2]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web configured\n");
    let obj = get_json(&s, &["is", "web"]);
    assert_eq!(
        obj["metadata"]["labels"],
        serde_json::json!({"app": "web", "owner": "ops"})
    );
    let tags: Vec<&str> = obj["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v1"]);
    assert_eq!(
        obj["spec"]["tags"][0]["from"]["name"],
        "quay.io/org/web:1.1"
    );
    let out = s.run(&["apply", "-f", &web2, "-o", "name"]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web\n");

    let more = s.file("more.yaml", MORE);
    let out = s.run(&["apply", "-f", &more]);
    assert_eq!(out.ok(), "namespace/team created\nsecret/creds created\n");
    let out = s.run(&["apply", "-f", &more]);
    assert_eq!(
        out.ok(),
        "namespace/team unchanged\nsecret/creds unchanged\n"
    );
}

#[test]
fn apply_after_create_warns_unless_saved() {
    let s = Server::start();
    let more = s.file("more.yaml", MORE);
    s.run(&["create", "-f", &more]).ok();
    let out = s.run(&["apply", "-f", &more]);
    assert_eq!(
        out.ok(),
        "namespace/team configured\nsecret/creds configured\n"
    );
    let warn = |r: &str, n: &str| {
        format!(
            "Warning: resource {r}/{n} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by tagplane apply. tagplane apply should only be used on resources created declaratively by either tagplane create --save-config or tagplane apply. The missing annotation will be patched automatically.\n"
        )
    };
    assert_eq!(
        out.stderr,
        warn("namespaces", "team") + &warn("secrets", "creds")
    );
    let web = s.file("web.yaml", WEB);
    s.run(&["create", "-f", &web, "--save-config"]).ok();
    let out = s.run(&["apply", "-f", &web]);
    assert_eq!(
        (out.ok(), out.stderr.as_str()),
        ("imagestream.image.openshift.io/web unchanged\n", "")
    );
    let out = s.run(&[
        "delete",
        "-f",
        &web,
        "secret/creds",
        "-n",
        "team",
        "-o",
        "name",
    ]);
    assert_eq!(
        out.fails(),
        "error: specifying a resource and a filename together is not supported\nSee 'tagplane delete -h' for help and examples\n"
    );
    let out = s.run(&["delete", "-f", &web, "-o", "name"]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web\n");
    let out = s.run(&["delete", "secret/creds", "-n", "team", "-o", "name"]);
    assert_eq!(out.ok(), "secret/creds\n");
    let out = s.run(&["delete", "is", "x", "-o", "yaml"]);
    assert_eq!(
        out.fails(),
        "error: unexpected -o output mode: yaml. We only support '-o name'\n"
    );
}

#[test]
fn replace_patch_and_delete() {
    let s = Server::start();
    let web = s.file("web.yaml", WEB);
    s.run(&["create", "-f", &web]).ok();

    let out = s.run(&[
        "replace",
        "-f",
        &s.file("r.yaml", &WEB.replace("tier: front", "tier: back")),
    ]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web replaced\n");
    let out = s.run(&["get", "is", "web", "-o", "jsonpath={.metadata.labels.tier}"]);
    assert_eq!(out.ok(), "back");
    let missing = s.file("m.yaml", &WEB.replace("name: web\n", "name: gone\n"));
    let out = s.run(&["replace", "-f", &missing]);
    assert_eq!(
        out.fails(),
        format!(
            "Error from server (NotFound): error when replacing \"{missing}\": imagestreams.image.openshift.io \"gone\" not found\n"
        )
    );

    // patch: the three types, no-op detection, errors.
    let out = s.run(&[
        "patch",
        "is",
        "web",
        "-p",
        r#"{"spec":{"lookupPolicy":{"local":true}}}"#,
    ]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web patched\n");
    let out = s.run(&[
        "patch",
        "is/web",
        "-p",
        r#"{"spec":{"lookupPolicy":{"local":true}}}"#,
    ]);
    assert_eq!(
        out.ok(),
        "imagestream.image.openshift.io/web patched (no change)\n"
    );
    let out = s.run(&[
        "patch",
        "is",
        "web",
        "--type",
        "json",
        "-p",
        r#"[{"op":"replace","path":"/metadata/labels/tier","value":"mid"}]"#,
    ]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web patched\n");
    let out = s.run(&[
        "patch",
        "is",
        "web",
        "--type",
        "strategic",
        "-p",
        "spec:\n  tags:\n  - name: v3\n    from: {kind: DockerImage, name: quay.io/org/web:3}\n    reference: true\n",
    ]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io/web patched\n");
    let out = s.run(&["get", "is", "web", "-o", "jsonpath={.spec.tags[*].name}"]);
    assert_eq!(out.ok(), "v1 v2 v3");
    let out = s.run(&["patch", "is", "web"]);
    assert_eq!(
        out.fails(),
        "error: must specify --patch or --patch-file containing the contents of the patch\n"
    );
    let out = s.run(&["patch", "is", "web", "--type", "xml", "-p", "{}"]);
    assert_eq!(
        out.fails(),
        "error: --type must be one of [json merge strategic], not \"xml\"\n"
    );
    let out = s.run(&["patch", "is", "nope", "-p", "{}"]);
    assert_eq!(
        out.fails(),
        "Error from server (NotFound): imagestreams.image.openshift.io \"nope\" not found\n"
    );

    // delete: istag, names, kind/name, files, not found.
    let out = s.run(&["delete", "istag/web:v3"]);
    assert_eq!(
        out.ok(),
        "imagestreamtag.image.openshift.io \"web:v3\" deleted\n"
    );
    let out = s.run(&["delete", "istag", "web:v3"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with("Error from server (NotFound): "),
        "{out:?}"
    );
    create_stream(
        &s,
        "default",
        serde_json::json!({"metadata": {"name": "a"}}),
    );
    create_stream(
        &s,
        "default",
        serde_json::json!({"metadata": {"name": "b"}}),
    );
    let out = s.run(&["delete", "is", "a", "b", "c"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "imagestream.image.openshift.io \"a\" deleted\nimagestream.image.openshift.io \"b\" deleted\n"
    );
    assert_eq!(
        out.stderr,
        "Error from server (NotFound): imagestreams.image.openshift.io \"c\" not found\n"
    );
    let out = s.run(&["delete", "is", "c", "--ignore-not-found"]);
    assert_eq!((out.ok(), out.stderr.as_str()), ("", ""));
    let out = s.run(&["delete", "-f", &web]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io \"web\" deleted\n");
    let out = s.run(&["delete", "-f", &web]);
    assert_eq!(
        out.fails(),
        format!(
            "Error from server (NotFound): error when deleting \"{web}\": imagestreams.image.openshift.io \"web\" not found\n"
        )
    );
    let out = s.run(&["delete", "is"]);
    assert_eq!(
        out.fails(),
        "error: resource(s) were provided, but no name was specified\n"
    );
    let out = s.run(&["delete"]);
    assert!(
        out.fails().starts_with(
            "error: You must provide one or more resources by argument or filename.\n"
        ),
        "{out:?}"
    );
    create_stream(
        &s,
        "default",
        serde_json::json!({"metadata": {"name": "x", "labels": {"k": "v"}}}),
    );
    let out = s.run(&["delete", "is", "-l", "k=v"]);
    assert_eq!(out.ok(), "imagestream.image.openshift.io \"x\" deleted\n");
}

/// The kubeconfig the server writes works for both programs, and `kubectl` reads the
/// last-applied configuration `tagplane apply` wrote.
#[test]
fn kubectl_shares_the_kubeconfig_and_objects() {
    let Some(kubectl) = peer("kubectl") else {
        return;
    };
    let mut s = Server::start();
    if s.serves_auth() {
        // kubectl sends no bearer token over plain HTTP.
        s = Server::start_with(&["--tls"]);
    }
    let web = s.file("web.yaml", WEB);
    s.run(&["apply", "-f", &web]).ok();
    let kubectl_run = |args: &[&str]| {
        let out = std::process::Command::new(&kubectl)
            .args(args)
            .env("KUBECONFIG", s.kubeconfig())
            .env("HOME", s.work.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let names = kubectl_run(&["get", "imagestreams", "-o", "name"]);
    assert_eq!(names, "imagestream.image.openshift.io/web\n");
    assert_eq!(
        kubectl_run(&["get", "is", "web", "-o", "name"]),
        s.run(&["get", "is", "web", "-o", "name"]).ok()
    );
    let last: Value = serde_json::from_str(&kubectl_run(&[
        "apply",
        "view-last-applied",
        "imagestream/web",
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(last["metadata"]["labels"]["tier"], "front");
    assert_eq!(last["spec"]["tags"][0]["from"]["name"], "quay.io/org/web:1");
    // kubectl's table and ours agree row by row.
    let theirs = kubectl_run(&["get", "is"]);
    let ours = s.run(&["get", "is"]).ok().to_owned();
    let ago = regex::Regex::new(r"(Less than a second|\d+ seconds?|About a minute) ago").unwrap();
    let words = |t: &str| -> Vec<Vec<String>> {
        ago.replace_all(t, "T")
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    };
    assert_eq!(words(&theirs), words(&ours));
    // The annotation is the one kubectl writes: after a kubectl apply of the same file there
    // is nothing left to change.
    kubectl_run(&["apply", "-f", &web]);
    assert_eq!(
        s.run(&["apply", "-f", &web]).ok(),
        "imagestream.image.openshift.io/web unchanged\n"
    );
    // Byte for byte: object formats, empty lists and errors.
    let both = |args: &[&str]| {
        let k = std::process::Command::new(&kubectl)
            .args(args)
            .env("KUBECONFIG", s.kubeconfig())
            .env("HOME", s.work.path())
            .output()
            .unwrap();
        let t = s.run(args);
        assert_eq!(
            (
                String::from_utf8_lossy(&k.stdout).into_owned(),
                String::from_utf8_lossy(&k.stderr).into_owned(),
                k.status.code().unwrap()
            ),
            (t.stdout.clone(), t.stderr.clone(), t.code),
            "kubectl and tagplane differ for {args:?}"
        );
    };
    both(&["get", "is", "web", "-o", "yaml"]);
    both(&["get", "is", "-o", "json"]);
    both(&["get", "is", "-o", "name"]);
    both(&[
        "get",
        "is",
        "-o",
        "custom-columns=NAME:.metadata.name,TAGS:.spec.tags[*].name,X:.nope",
    ]);
    both(&["get", "is", "-o", "jsonpath={.items[*].spec.tags[*].name}"]);
    both(&["get", "is", "nope"]);
    both(&["get", "images"]);
    both(&["get", "isimage"]);
    both(&["get", "is", "-n", "empty"]);
    // An object kubectl created is visible to tagplane.
    kubectl_run(&["create", "namespace", "from-kubectl"]);
    let out = s.run(&["get", "ns", "from-kubectl", "-o", "name"]);
    assert_eq!(out.ok(), "namespace/from-kubectl\n");
}

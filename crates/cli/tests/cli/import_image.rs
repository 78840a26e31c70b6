//! `tagplane import-image` (spec cli §A2) against a real server and registry: `--confirm`,
//! `--all`, failures, `--dry-run`, `-o yaml`, and the decision-table errors.

use crate::describe::normalize;
use crate::harness::{Output, Registry, Server};

/// `import-image python:3.5 --from {from} --confirm --insecure {extra…}`.
fn import_python_3_5(s: &Server, from: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "import-image",
        "python:3.5",
        "--from",
        from,
        "--confirm",
        "--insecure",
    ];
    args.extend(extra);
    s.run(&args)
}

#[test]
fn confirm_single_tag_then_reimport() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let d = reg.push("library/python", "3.5", "python 3.5");
    let from = format!("{}/library/python:3.5", reg.host);
    let h = &reg.host;
    let out = import_python_3_5(&s, &from, &[]);
    let text = normalize(out.ok());
    assert_eq!(out.stderr, "");
    let head = format!(
        "imagestream.image.openshift.io/python imported\n\
         \n\
         Name:\t\t\tpython\n\
         Namespace:\t\tdefault\n\
         Created:\t\t<T> ago\n\
         Labels:\t\t\t<none>\n\
         Annotations:\t\topenshift.io/image.dockerRepositoryCheck=<TIME>\n\
         Image Repository:\t<none>\n\
         Image Lookup:\t\tlocal=false\n\
         Unique Images:\t\t1\n\
         Tags:\t\t\t1\n\
         \n\
         3.5\n\
         \x20 tagged from {from}\n\
         \x20   will use insecure HTTPS or HTTP connections\n\
         \n\
         \x20 * {h}/library/python@{d}\n\
         \x20     <T> ago\n\
         \n\
         Image Name:\tpython:3.5\n\
         Docker Image:\t{h}/library/python@{d}\n\
         Name:\t\t{d}\n"
    );
    assert!(text.starts_with(&head), "{text}");
    assert!(text.ends_with("Docker Labels:\t<none>\n\n\n"), "{text}");

    // Re-importing an existing tag needs no --confirm and keeps the tag's insecure flag.
    // (`--insecure` takes no separate value, like Go's bool flags.)
    let out = s.run(&["import-image", "--insecure", "python:3.5"]);
    assert!(
        out.ok()
            .starts_with("imagestream.image.openshift.io/python imported\n\n"),
        "{out:?}"
    );
}

/// `import-image python --from {registry}/library/python --confirm --all --insecure`, its
/// normalized output (the command must succeed).
fn import_all_python(s: &Server, reg: &Registry) -> String {
    let from = format!("{}/library/python", reg.host);
    let out = s.run(&[
        "import-image",
        "python",
        "--from",
        &from,
        "--confirm",
        "--all",
        "--insecure",
    ]);
    normalize(out.ok())
}

#[test]
fn confirm_all_imports_every_tag() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let d35 = reg.push("library/python", "3.5", "python 3.5");
    let d36 = reg.push("library/python", "3.6", "python 3.6");
    let text = import_all_python(&s, &reg);
    assert!(
        text.starts_with("imagestream.image.openshift.io/python imported\n\nName:\t\t\tpython\n"),
        "{text}"
    );
    assert!(
        text.contains("Unique Images:\t\t2\nTags:\t\t\t2\n\n3.6\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Image Name:\tpython:3.5\nDocker Image:\t{}/library/python@{d35}\n",
            reg.host
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Image Name:\tpython:3.6\nDocker Image:\t{}/library/python@{d36}\n",
            reg.host
        )),
        "{text}"
    );

    // The repository import recorded its source (§A2: the stream gets
    // spec.dockerImageRepository), so --all again without --from re-imports that repository;
    // --insecure again because the registry speaks plain HTTP and the flag is not stored.
    let again = s.run(&["import-image", "python", "--all", "--insecure"]);
    assert!(
        again
            .ok()
            .starts_with("imagestream.image.openshift.io/python imported\n"),
        "{again:?}"
    );
    let stream = s.run(&[
        "get",
        "is/python",
        "-o",
        "jsonpath={.spec.dockerImageRepository}",
    ]);
    assert_eq!(stream.ok(), format!("{}/library/python", reg.host));
}

#[test]
fn failed_import_reports_errors_and_exits_1() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    reg.push("library/python", "3.5", "python 3.5");
    let from = format!("{}/library/python:3.5", reg.host);
    // Without --insecure the plain-HTTP registry is refused.
    let out = s.run(&["import-image", "python:3.5", "--from", &from, "--confirm"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .starts_with("imagestream.image.openshift.io/python imported with errors\n\n"),
        "{out:?}"
    );
    assert!(out.stdout.contains("  ! error: Import failed ("), "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert!(lines[0].starts_with("error: tag 3.5 failed: "), "{out:?}");
    assert_eq!(lines[1], "error: imported completed with errors");
}

#[test]
fn dry_run_and_yaml_output_persist_nothing() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let d = reg.push("library/python", "3.5", "python 3.5");
    let from = format!("{}/library/python:3.5", reg.host);
    let out = import_python_3_5(&s, &from, &["--dry-run"]);
    let text = out.ok();
    assert!(
        text.starts_with(&format!(
            "imagestream.image.openshift.io/python imported (dry run)\n\nImage Name:\tpython:3.5\nDocker Image:\t{}/library/python@{d}\n",
            reg.host
        )),
        "{text}"
    );
    assert_eq!(
        s.run(&["describe", "is/python"]).fails(),
        "Error from server (NotFound): imagestreams.image.openshift.io \"python\" not found\n"
    );
    let out = import_python_3_5(&s, &from, &["-o", "yaml"]);
    let y = out.ok();
    assert!(
        y.starts_with("apiVersion: image.openshift.io/v1\nkind: ImageStream\n"),
        "{y}"
    );
    assert!(y.contains(&format!("name: {from}")), "{y}");
}

#[test]
fn decision_table_errors() {
    let s = Server::start();
    let bad = "error: the image name must be a valid container image pull spec or reference to an image stream (e.g. myregistry/myteam/image:tag)\n";
    assert_eq!(s.run(&["import-image"]).fails(), bad);
    assert_eq!(s.run(&["import-image", "Bad Name"]).fails(), bad);
    assert_eq!(
        s.run(&[
            "import-image",
            "python@sha256:0000000000000000000000000000000000000000000000000000000000000000"
        ])
        .fails(),
        "error: to import images by ID, use the 'tag' command\n"
    );
    assert_eq!(
        s.run(&["import-image", "python:3", "--all"]).fails(),
        "error: cannot specify a tag \"python:3\" as well as --all\n"
    );
    assert_eq!(
        s.run(&["import-image", "python", "--reference-policy=foo"])
            .fails(),
        "error: valid reference policy values are source or local\n"
    );
    assert_eq!(
        s.run(&["import-image", "python", "--import-mode=foo"])
            .fails(),
        "error: valid ImportMode values are Legacy or PreserveOriginal\n"
    );
    assert_eq!(
        s.run(&["import-image", "python"]).fails(),
        "error: no image stream named \"python\" exists, pass --confirm to create and import\n"
    );

    // An existing stream with a reference tag and an alias.
    s.run(&[
        "tag",
        "docker.io/library/python:3.5",
        "python:3.5",
        "--reference",
    ])
    .ok();
    s.run(&["tag", "--alias", "python:3.5", "python:three"])
        .ok();
    assert_eq!(
        s.run(&["import-image", "python:nope"]).fails(),
        "error: the tag \"nope\" does not exist on the image stream - choose an existing tag to import or use the 'tag' command to create a new tag\n"
    );
    assert_eq!(
        s.run(&["import-image", "python:3.5", "--from", "quay.io/a/b:1"])
            .fails(),
        "error: the tag \"3.5\" points to \"docker.io/library/python:3.5\" - use the 'tag' command if you want to change the source to \"quay.io/a/b:1\"\n"
    );
    assert_eq!(
        s.run(&[
            "import-image",
            "python:three",
            "--from",
            "quay.io/a/b:1",
            "--confirm"
        ])
        .fails(),
        "error: the tag \"three\" points to the tag \"3.5\" which points to \"docker.io/library/python:3.5\" - use the 'tag' command if you want to change the source to \"quay.io/a/b:1\"\n"
    );
    let (code, body) = s.http(
        "POST",
        "/apis/image.openshift.io/v1/namespaces/default/imagestreams",
        Some(r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"empty"}}"#),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        s.run(&["import-image", "empty", "--all"]).fails(),
        "error: image stream does not have tags pointing to external container images\n"
    );
    assert_eq!(
        s.run(&["import-image", "empty", "--all", "--from", "quay.io/a/b"])
            .fails(),
        "error: the image stream does not currently import an entire Docker repository, pass --confirm to update\n"
    );
}

#[test]
fn all_with_tag_limit_reports_additional_tags() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start_with(&["--max-images-bulk-imported-per-repository", "1"]);
    for t in ["3.5", "3.6", "latest"] {
        reg.push("library/python", t, t);
    }
    let text = import_all_python(&s, &reg);
    assert!(text.contains("Tags:\t\t\t1\n\nlatest\n"), "{text}");
    assert!(
        text.ends_with(
            "\n\ninfo: The remote repository contained 2 additional tags which were not imported: 3.6, 3.5\n\n"
        ),
        "{text}"
    );
}

#[test]
fn insecure_annotation_and_flag_override() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    reg.push("library/python", "3.5", "python 3.5");
    let from = format!("{}/library/python:3.5", reg.host);
    let (code, body) = s.http(
        "POST",
        "/apis/image.openshift.io/v1/namespaces/default/imagestreams",
        Some(
            r#"{"apiVersion":"image.openshift.io/v1","kind":"ImageStream","metadata":{"name":"python","annotations":{"openshift.io/image.insecureRepository":"true"}}}"#,
        ),
    );
    assert_eq!(code, 201, "{body}");
    // --insecure=false overrides the stream's annotation: the plain-HTTP registry is refused.
    let out = s.run(&[
        "import-image",
        "python:3.5",
        "--from",
        &from,
        "--insecure=false",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.starts_with("error: tag 3.5 failed: "), "{out:?}");
    // A new tag needs no --confirm when --from is given; the annotation allows HTTP.
    let out = s.run(&["import-image", "python:3.5", "--from", &from]);
    assert!(
        out.ok()
            .starts_with("imagestream.image.openshift.io/python imported\n\n"),
        "{out:?}"
    );
}

//! `tagplane tag` (spec cli §A1) against a real server and registry: istag pinning, `-d`,
//! DockerImage tags imported by the server, cross-namespace tags and the validation messages.

use crate::harness::{Registry, Server, eventually};

/// A server with stream `python` whose tag `3.5` was imported from `reg`; returns the digest.
pub fn python_stream(s: &Server, reg: &Registry) -> String {
    let digest = reg.push("library/python", "3.5", "python 3.5");
    let from = format!("{}/library/python:3.5", reg.host);
    s.run(&[
        "import-image",
        "python:3.5",
        "--from",
        &from,
        "--confirm",
        "--insecure",
    ])
    .ok();
    digest
}

#[test]
fn istag_source_is_pinned_to_its_image_then_deleted() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let digest = python_stream(&s, &reg);

    let out = s.run(&["tag", "python:3.5", "python:latest"]);
    assert_eq!(
        out.ok(),
        format!("Tag python:latest set to python@{digest}.\n")
    );
    assert_eq!(out.stderr, "");
    // The destination is an ImageStreamImage tag with the image already in its status.
    let (code, body) = s.http(
        "GET",
        "/apis/image.openshift.io/v1/namespaces/default/imagestreamtags/python:latest",
        None,
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["tag"]["from"]["kind"], "ImageStreamImage");
    assert_eq!(v["tag"]["from"]["name"], format!("python@{digest}"));
    assert_eq!(v["image"]["metadata"]["name"], digest.as_str());

    let out = s.run(&["tag", "-d", "python:latest"]);
    assert_eq!(out.ok(), "Deleted tag default/python:latest.\n");
    let out = s.run(&["tag", "-d", "python:latest"]);
    assert_eq!(
        out.fails(),
        "Error from server (NotFound): imagestreamtags.image.openshift.io \"python:latest\" not found\n"
    );
}

#[test]
fn alias_multiple_destinations_and_other_namespace() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let digest = python_stream(&s, &reg);

    let out = s.run(&["tag", "--alias", "python:3.5", "python:3", "python:current"]);
    assert_eq!(
        out.ok(),
        "Tag python:3 set up to track python:3.5.\nTag python:current set up to track python:3.5.\n"
    );
    let out = s.run(&["tag", "--alias", "python:3.5", "other/python:3"]);
    assert_eq!(
        out.fails(),
        "error: cannot set alias across different Image Streams\n"
    );

    let (code, body) = s.http(
        "POST",
        "/api/v1/namespaces",
        Some(r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}"#),
    );
    assert_eq!(code, 201, "{body}");
    let out = s.run(&["tag", "python:3.5", "other/app:v1"]);
    assert_eq!(
        out.ok(),
        format!("Tag other/app:v1 set to python@{digest}.\n")
    );
    let (_, body) = s.http(
        "GET",
        "/apis/image.openshift.io/v1/namespaces/other/imagestreamtags/app:v1",
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["tag"]["from"]["namespace"], "default", "{body}");

    let out = s.run(&[
        "tag",
        "docker.io/library/busybox:1",
        "other/app:ref",
        "--reference",
    ]);
    assert_eq!(
        out.ok(),
        "Tag other/app:ref set to docker.io/library/busybox:1.\n"
    );
    let out = s.run(&["tag", "busybox", "-n", "other", "app:bare", "--reference"]);
    assert_eq!(out.ok(), "Tag app:bare set to busybox.\n");
}

#[test]
fn docker_image_tag_is_imported_by_the_server() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let digest = reg.push("library/python", "3.6.0", "python 3.6");
    let src = format!("{}/library/python:3.6.0", reg.host);
    let out = s.run(&["tag", &src, "python:3.6", "--scheduled", "--insecure"]);
    assert_eq!(
        out.ok(),
        format!("Tag python:3.6 set to import {src} periodically.\n")
    );
    let want = format!("  * {}/library/python@{digest}\n", reg.host);
    let text = eventually("the scheduled tag to be imported", || {
        let out = s.run(&["describe", "is/python"]);
        out.stdout.contains(&want).then_some(out.stdout)
    });
    assert!(
        text.contains(&format!(
            "3.6\n  updates automatically from registry {src}\n    will use insecure HTTPS or HTTP connections\n"
        )),
        "{text}"
    );
    // Same source again: the tag is rewritten (PUT) and re-imported.
    let out = s.run(&["tag", &src, "python:3.6", "--insecure"]);
    assert_eq!(out.ok(), format!("Tag python:3.6 set to {src}.\n"));
}

#[test]
fn validation_messages() {
    let s = Server::start();
    let usage = |msg: &str| format!("error: {msg}\nSee 'tagplane tag -h' for help and examples\n");
    let cases: &[(&[&str], String)] = &[
        (
            &["tag"],
            usage("you must specify a source and at least one destination or one or more tags to delete"),
        ),
        (&["tag", "-d"], "error: at least a destination is required\n".into()),
        (&["tag", "docker.io/a:b"], "error: at least a destination is required\n".into()),
        (
            &["tag", "--alias", "-d", "a:b"],
            "error: --alias and --delete may not be both specified\n".into(),
        ),
        (
            &["tag", "--reference-policy=Local", "docker.io/a:b", "c:d"],
            "error: reference policy must be set to 'source' or 'local'\n".into(),
        ),
        (
            &["tag", "-d", "--source=docker", "a:b"],
            "error: cannot specify a source kind when deleting\n".into(),
        ),
        (
            &["tag", "-d", "--scheduled", "a:b"],
            "error: cannot set flags for importing images when deleting a tag\n".into(),
        ),
        (
            &["tag", "-d", "--import-mode=Legacy", "a:b"],
            "error: cannot specify an import mode when deleting\n".into(),
        ),
        (
            &["tag", "--source=foo", "a:b", "c:d"],
            usage("invalid source \"foo\"; valid values are docker, dockerimage, imagestreamimage, imagestreamtag, isimage, istag"),
        ),
        (
            &["tag", "--source=istag", "quay.io/a/b:c", "d:e"],
            "error: server in SOURCE is only allowed when providing a container image\n".into(),
        ),
        (
            &["tag", "--source=istag", "a", "d:e"],
            "error: --source=ImageStreamTag requires a valid <name>:<tag> in SOURCE\n".into(),
        ),
        (
            &["tag", "--source=isimage", "a:b", "d:e"],
            "error: --source=ImageStreamImage requires a valid <name>@<id> in SOURCE\n".into(),
        ),
        (
            &["tag", "--scheduled", "--source=isimage", "a@sha256:0000000000000000000000000000000000000000000000000000000000000000", "d:e"],
            "error: only container images can have importing flags set\n".into(),
        ),
        (
            &["tag", "--alias", "--insecure", "docker.io/a:b", "a:c"],
            "error: cannot set a container image tag as an alias and also set import flags\n".into(),
        ),
        (
            &["tag", "--import-mode=foo", "docker.io/a:b", "c:d"],
            "error: valid ImportMode values are Legacy or PreserveOriginal\n".into(),
        ),
        (
            &["tag", "docker.io/a:b", "c:-x"],
            "error: invalid tag \"-x\" format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters\n".into(),
        ),
        (
            &["tag", "docker.io/a:b", "x/y/z:t"],
            "error: invalid image stream \"x/y/z:t\"\n".into(),
        ),
        (
            &["tag", "docker.io/a:b", "c"],
            "error: \"c\" must be of the form <stream_name>:<tag>\n".into(),
        ),
        (
            &["tag", "UPPER:x", "c:d"],
            "error: invalid SOURCE: repository name must be lowercase\n".into(),
        ),
        (
            &["tag", "nostream:x", "c:d"],
            "Error from server (NotFound): imagestreams.image.openshift.io \"nostream\" not found\n".into(),
        ),
    ];
    for (args, want) in cases {
        let out = s.run(args);
        assert_eq!(out.code, 1, "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(&out.stderr, want, "{args:?}");
    }

    // A spec tag that has not been imported yet cannot be a source.
    // (Nothing listens on port 1, so the import can never succeed.)
    s.run(&["tag", "127.0.0.1:1/nothing:1", "box:bad"]).ok();
    let out = s.run(&["tag", "box:bad", "box:3"]);
    assert_eq!(
        out.fails(),
        "error: \"box:bad\" is not currently pointing to an image, cannot use it as the source of a tag\n"
    );
}

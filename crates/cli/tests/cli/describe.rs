//! `tagplane describe is|istag|isimage|image` (spec cli §A3, §A4) against a real server with
//! images imported from a real registry. Relative times are replaced by `<T>` before comparing.

use crate::harness::{Registry, Server, eventually};

/// Replace go-units relative times (`Less than a second`, `5 seconds`, `About a minute`, …)
/// and RFC 3339 timestamps with placeholders.
pub fn normalize(text: &str) -> String {
    let ago = regex::Regex::new(
        r"(Less than a second|1 second|\d+ seconds|About a minute|\d+ minutes) ago",
    )
    .unwrap();
    let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    stamp
        .replace_all(&ago.replace_all(text, "<T> ago"), "<TIME>")
        .into_owned()
}

#[test]
fn describe_is_with_two_tags_and_istag_isimage_image() {
    let Some(reg) = Registry::start() else { return };
    let s = Server::start();
    let d35 = reg.push("library/python", "3.5", "python 3.5");
    let d36 = reg.push("library/python", "3.6", "python 3.6");
    let from = format!("{}/library/python", reg.host);
    s.run(&[
        "import-image",
        "python",
        "--from",
        &from,
        "--confirm",
        "--all",
        "--insecure",
    ])
    .ok();
    s.run(&["tag", "python:3.6", "python:latest"]).ok();

    let out = s.run(&["describe", "is/python"]);
    let h = &reg.host;
    let want = format!(
        "Name:\t\t\tpython\n\
         Namespace:\t\tdefault\n\
         Created:\t\t<T> ago\n\
         Labels:\t\t\t<none>\n\
         Annotations:\t\topenshift.io/image.dockerRepositoryCheck=<TIME>\n\
         Image Repository:\t{h}/library/python\n\
         Image Lookup:\t\tlocal=false\n\
         Unique Images:\t\t2\n\
         Tags:\t\t\t3\n\
         \n\
         latest\n\
         \x20 tagged from python@{d36}\n\
         \n\
         \x20 * {h}/library/python@{d36}\n\
         \x20     <T> ago\n\
         \n\
         3.6\n\
         \x20 tagged from {h}/library/python:3.6\n\
         \x20   will use insecure HTTPS or HTTP connections\n\
         \n\
         \x20 * {h}/library/python@{d36}\n\
         \x20     <T> ago\n\
         \n\
         3.5\n\
         \x20 tagged from {h}/library/python:3.5\n\
         \x20   will use insecure HTTPS or HTTP connections\n\
         \n\
         \x20 * {h}/library/python@{d35}\n\
         \x20     <T> ago\n"
    );
    assert_eq!(normalize(out.ok()), want);
    // `is NAME` is the same as `is/NAME`.
    assert_eq!(normalize(s.run(&["describe", "is", "python"]).ok()), want);

    let image_text = |name_line: &str| {
        format!(
            "Image Name:\t{name_line}\n\
             Docker Image:\t{h}/library/python@{d35}\n\
             Name:\t\t{d35}\n\
             Created:\t<T> ago\n\
             Annotations:\timage.openshift.io/dockerLayersOrder=ascending\n"
        )
    };
    let out = s.run(&["describe", "istag/python:3.5"]);
    let text = normalize(out.ok());
    assert!(text.starts_with(&image_text(&d35)), "{text}");
    assert!(text.contains("\nCommand:\t/bin/hello\n"), "{text}");
    assert!(text.contains(" in 1 layers\nLayers:\t\t"), "{text}");

    let out = s.run(&["describe", &format!("isimage/python@{d35}")]);
    assert!(normalize(out.ok()).starts_with(&image_text(&d35)));

    let out = s.run(&["describe", &format!("image/{d35}")]);
    let text = normalize(out.ok());
    assert!(
        text.starts_with(&format!(
            "Docker Image:\t{h}/library/python@{d35}\nName:\t\t{d35}\n"
        )),
        "{text}"
    );

    // Several objects are separated by a blank line pair, like kubectl.
    let out = s.run(&["describe", "istag/python:3.5", "istag/python:3.6"]);
    let text = out.ok();
    assert!(
        text.contains(&format!("\n\n\nImage Name:\t{d36}\n")),
        "{text}"
    );
}

#[test]
fn describe_errors() {
    let s = Server::start();
    let out = s.run(&["describe", "is/missing"]);
    assert_eq!(
        out.fails(),
        "Error from server (NotFound): imagestreams.image.openshift.io \"missing\" not found\n"
    );
    let out = s.run(&["describe"]);
    assert_eq!(
        out.fails(),
        "error: You must specify the type of resource to describe. Supported types: imagestreams (is), imagestreamtags (istag), imagestreamimages (isimage), images (image).\n"
    );
    let out = s.run(&["describe", "is"]);
    assert_eq!(out.ok(), "");
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
    let out = s.run(&["describe", "istag/python"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.starts_with("Error from server (BadRequest): "),
        "{out:?}"
    );
}

/// The §A3 example shape: a tag imported by the server with the `local` reference policy on a
/// server that knows its registry host name.
#[test]
fn describe_local_reference_policy_with_registry_hostname() {
    let Some(reg) = Registry::start() else { return };
    let internal = "image-registry.openshift-image-registry.svc:5000";
    let s = Server::start_with(&["--registry-hostname", internal]);
    let d = reg.push("org/app", "1.0", "app 1.0");
    let from = format!("{}/org/app:1.0", reg.host);
    s.run(&[
        "tag",
        &from,
        "myapp:upstream",
        "--insecure",
        "--reference-policy=local",
    ])
    .ok();
    let event = format!("  * {}/org/app@{d}\n", reg.host);
    eventually("the tag to be imported", || {
        let out = s.run(&["describe", "is/myapp"]);
        out.stdout.contains(&event).then_some(())
    });
    let out = s.run(&["describe", "is/myapp"]);
    let want = format!(
        "Name:\t\t\tmyapp\n\
         Namespace:\t\tdefault\n\
         Created:\t\t<T> ago\n\
         Labels:\t\t\t<none>\n\
         Annotations:\t\topenshift.io/image.dockerRepositoryCheck=<TIME>\n\
         Image Repository:\t{internal}/default/myapp\n\
         Image Lookup:\t\tlocal=false\n\
         Unique Images:\t\t1\n\
         Tags:\t\t\t1\n\
         \n\
         upstream\n\
         \x20 tagged from {from}\n\
         \x20   will use insecure HTTPS or HTTP connections\n\
         \x20   prefer registry pullthrough when referencing this tag\n\
         \n\
         \x20 * {}/org/app@{d}\n\
         \x20     <T> ago\n",
        reg.host
    );
    assert_eq!(normalize(out.ok()), want);
    // The istag's image reference is resolved through the integrated registry (Local policy).
    let out = s.run(&["describe", "istag/myapp:upstream"]);
    let text = normalize(out.ok());
    assert!(
        text.starts_with(&format!(
            "Image Name:\t{d}\nDocker Image:\t{internal}/default/myapp@{d}\n"
        )),
        "{text}"
    );
}

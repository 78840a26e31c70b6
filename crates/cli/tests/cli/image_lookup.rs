//! `tagplane set image-lookup` (spec cli §A7) against a real server.

use crate::harness::Server;

#[test]
fn list_enable_unchanged_disable_all() {
    let s = Server::start();
    s.run(&[
        "tag",
        "docker.io/library/mysql:8",
        "mysql:latest",
        "--reference",
    ])
    .ok();
    s.run(&[
        "tag",
        "docker.io/library/busybox:1",
        "busybox:1",
        "--reference",
    ])
    .ok();

    assert_eq!(
        s.run(&["set", "image-lookup"]).ok(),
        "NAME     LOCAL\nbusybox  false\nmysql    false\n"
    );
    assert_eq!(
        s.run(&["set", "image-lookup", "mysql"]).ok(),
        "imagestream.image.openshift.io/mysql image lookup updated\n"
    );
    // Unchanged objects print nothing.
    assert_eq!(s.run(&["set", "image-lookup", "is/mysql"]).ok(), "");
    assert_eq!(
        s.run(&["set", "image-lookup", "--list", "mysql"]).ok(),
        "NAME   LOCAL\nmysql  true\n"
    );
    assert_eq!(
        s.run(&["set", "image-lookup", "--all"]).ok(),
        "imagestream.image.openshift.io/busybox image lookup updated\n"
    );
    assert_eq!(
        s.run(&["set", "image-lookup", "--all", "--enabled=false"])
            .ok(),
        "imagestream.image.openshift.io/busybox image lookup updated\nimagestream.image.openshift.io/mysql image lookup updated\n"
    );
    let (_, body) = s.http(
        "GET",
        "/apis/image.openshift.io/v1/namespaces/default/imagestreams/mysql",
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(v["spec"]["lookupPolicy"]["local"], true, "{body}");
}

#[test]
fn errors() {
    let s = Server::start();
    assert_eq!(
        s.run(&["set", "image-lookup", "deployment/web"]).fails(),
        "error: the resource deployments/web does not support altering image lookup\n"
    );
    assert_eq!(
        s.run(&["set", "image-lookup", "missing"]).fails(),
        "Error from server (NotFound): imagestreams.image.openshift.io \"missing\" not found\n"
    );
}

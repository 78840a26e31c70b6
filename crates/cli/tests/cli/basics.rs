//! Global mechanics: usage errors, connection errors, kubeconfig handling.

use crate::harness::{Server, run_tagplane};

#[test]
fn usage_error_has_the_help_line() {
    let out = run_tagplane(&["get", "--no-such-flag"], &[], None);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines[0].starts_with("error: "), "{out:?}");
    assert_eq!(lines[1], "See 'tagplane get -h' for help and examples");
}

#[test]
fn connection_refused() {
    let port = crate::harness::free_port();
    let server = format!("http://127.0.0.1:{port}");
    let out = run_tagplane(&["get", "is", "--server", &server], &[], None);
    assert_eq!(
        out.stderr,
        format!(
            "The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port?\n"
        )
    );
    assert_eq!(out.code, 1);
}

#[test]
fn server_starts_and_kubeconfig_exists() {
    let s = Server::start();
    assert!(s.kubeconfig().exists());
    let (code, _) = s.http(
        "GET",
        "/apis/image.openshift.io/v1/namespaces/default/imagestreams",
        None,
    );
    assert_eq!(code, 200);
}

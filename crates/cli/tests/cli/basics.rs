//! Global mechanics: usage errors, connection errors, kubeconfig handling.

use crate::harness::{Server, run_tagplane};

#[test]
fn usage_and_flag_errors() {
    let out = run_tagplane(&["get", "--no-such-flag"], &[], None);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        (
            "",
            "error: unknown flag: --no-such-flag\nSee 'tagplane get --help' for usage.\n",
            1
        )
    );
    let out = run_tagplane(&["get", "is", "-Z"], &[], None);
    assert_eq!(
        out.fails(),
        "error: unknown shorthand flag: 'Z' in -Z\nSee 'tagplane get --help' for usage.\n"
    );
    let out = run_tagplane(&["get", "is", "-o"], &[], None);
    assert_eq!(
        out.fails(),
        "error: flag needs an argument: 'o' in -o\nSee 'tagplane get --help' for usage.\n"
    );
    let out = run_tagplane(
        &["delete", "is", "x", "--ignore-not-found", "--output"],
        &[],
        None,
    );
    assert_eq!(
        out.fails(),
        "error: flag needs an argument: --output\nSee 'tagplane delete --help' for usage.\n"
    );
    // A usage error found by the command itself.
    let out = run_tagplane(&["create", "secret", "docker-registry"], &[], None);
    assert_eq!(
        out.fails(),
        "error: exactly one NAME is required, got 0\nSee 'tagplane create secret docker-registry -h' for help and examples\n"
    );
    let out = run_tagplane(&["get", "--help"], &[], None);
    assert!(out.ok().contains("Usage: tagplane get"), "{out:?}");
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

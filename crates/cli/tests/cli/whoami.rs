//! Kubeconfig handling and the offline parts of `whoami` (spec cli §A11): `-t`,
//! `--show-server`, `--show-context`, flag overrides, `KUBECONFIG` lists, `--context`.

use crate::harness::{Server, run_tagplane};

#[test]
fn whoami_offline_fields() {
    let s = Server::start();
    let token = s.admin_token();
    let out = s.run(&["whoami", "-t"]);
    assert_eq!(
        (out.ok(), out.stderr.as_str()),
        (format!("{token}\n").as_str(), "")
    );
    let out = s.run(&["whoami", "--show-server"]);
    assert_eq!(out.ok(), format!("{}\n", s.url));
    let out = s.run(&["whoami", "--show-context"]);
    assert_eq!(out.ok(), "admin@tagplane\n");
    let out = s.run(&["whoami", "-t", "--token", "other-token"]);
    assert_eq!(out.ok(), "other-token\n");
    let out = s.run(&[
        "whoami",
        "--show-server",
        "-s",
        "https://elsewhere.example:6443",
    ]);
    assert_eq!(out.ok(), "https://elsewhere.example:6443\n");
    let out = s.run(&["whoami", "-t", "-o", "yaml"]);
    assert_eq!(
        out.fails(),
        "error: --output cannot be used with --show-token, --show-context, --show-server, or --show-console\n"
    );
    let out = s.run(&["whoami", "--context", "nope", "-t"]);
    assert_eq!(
        out.fails(),
        "error: context was not found for specified context: nope\n"
    );

    // A kubeconfig without a token (certificate auth, say).
    let text = std::fs::read_to_string(s.kubeconfig()).unwrap();
    let no_token: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("token:") {
                "    client-certificate: /nonexistent/cert.pem".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    // A relative tokenFile is read next to the kubeconfig that names it.
    s.file("token.txt", "from-a-file\n");
    let with_file = no_token.replace(
        "    client-certificate: /nonexistent/cert.pem",
        "    tokenFile: token.txt",
    );
    let path = s.file("tokenfile.kubeconfig", &with_file);
    let out = run_tagplane(&["whoami", "-t"], &[("KUBECONFIG", &path)], None);
    assert_eq!(out.ok(), "from-a-file\n");

    let path = s.file("notoken.kubeconfig", &no_token);
    let out = run_tagplane(&["whoami", "-t", "--kubeconfig", &path], &[], None);
    assert_eq!(
        out.fails(),
        "error: no token is currently in use for this session\n"
    );
}

#[test]
fn kubeconfig_sources_and_namespace() {
    let s = Server::start();
    // --kubeconfig that does not exist.
    let out = run_tagplane(&["get", "is", "--kubeconfig", "/nonexistent/kc"], &[], None);
    assert_eq!(
        out.fails(),
        "error: stat /nonexistent/kc: no such file or directory\n"
    );
    // No configuration at all: kubectl's localhost wording.
    let out = run_tagplane(&["get", "is"], &[], None);
    assert_eq!(
        out.fails(),
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
    );
    // KUBECONFIG lists: missing files are skipped, the first file wins per key.
    let override_ns = s.file(
        "ns.kubeconfig",
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: admin@tagplane\n  context:\n    cluster: tagplane\n    user: admin\n    namespace: team\n",
    );
    let list = format!("/nonexistent/a:{override_ns}:{}", s.kubeconfig().display());
    let out = run_tagplane(&["get", "is"], &[("KUBECONFIG", &list)], None);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.code),
        ("", "No resources found in team namespace.\n", 0)
    );
    // -n wins over the context.
    let out = run_tagplane(&["get", "is", "-n", "x"], &[("KUBECONFIG", &list)], None);
    assert_eq!(out.stderr, "No resources found in x namespace.\n");
    // --kubeconfig wins over KUBECONFIG.
    let kc = s.kubeconfig();
    let out = run_tagplane(
        &["get", "is", "--kubeconfig", kc.to_str().unwrap()],
        &[("KUBECONFIG", &override_ns)],
        None,
    );
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
}

#[test]
fn completion_scripts() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run_tagplane(&["completion", shell], &[], None);
        assert!(out.ok().contains("tagplane"), "{shell}: {out:?}");
        assert!(out.stdout.contains("import-image"), "{shell}");
    }
    let out = run_tagplane(&["completion", "tcsh"], &[], None);
    assert_eq!(
        out.fails(),
        "error: Unsupported shell type \"tcsh\".\nSee 'tagplane completion -h' for help and examples\n"
    );
}

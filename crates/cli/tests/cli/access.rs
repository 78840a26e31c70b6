//! Commands that need the server's authentication endpoints (contracts.md): `whoami`,
//! `create token`, `login`/`logout`, `project(s)`, `new-project`, `auth can-i`, `policy`.
//! Each test first asks the server for a SelfSubjectReview and skips, saying why, when the
//! server answers 404 (a server built without authentication).

use crate::harness::{Server, peer, run_tagplane};

/// Whether `s` serves the authentication endpoints; prints why not.
fn has_auth(s: &Server) -> bool {
    let (code, _) = s.http(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        Some("{}"),
    );
    if code == 404 {
        eprintln!("skipping: the server has no selfsubjectreviews endpoint (no authentication)");
        return false;
    }
    true
}

/// A server with authentication, or `None` (skip).
fn auth_server() -> Option<Server> {
    let s = Server::start();
    has_auth(&s).then_some(s)
}

/// A server with authentication and an identity file holding `alice:secret` (the file's
/// directory lives as long as the returned guard).
fn server_with_alice() -> Option<(Server, tempfile::TempDir)> {
    auth_server()?;
    peer("htpasswd")?;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("htpasswd")
        .args(["-Bbn", "alice", "secret"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let file = dir.path().join("users.htpasswd");
    std::fs::write(&file, &out.stdout).unwrap();
    let file = file.display().to_string();
    let s = Server::start_with(&["--identity-file", &file]);
    Some((s, dir))
}

#[test]
fn whoami_and_service_account_tokens() {
    let Some(s) = auth_server() else { return };
    let out = s.run(&["whoami"]);
    assert_eq!((out.ok(), out.stderr.as_str()), ("system:admin\n", ""));
    let out = s.run(&["whoami", "-o", "jsonpath={.status.userInfo.groups}"]);
    assert!(out.ok().contains("system:masters"), "{out:?}");

    let out = s.run(&["create", "token", "default", "--duration", "10m"]);
    let token = out.ok().trim_end().to_owned();
    assert!(!token.is_empty() && !token.contains('\n'));
    let out = s.run(&["whoami", "--token", &token]);
    assert_eq!(out.ok(), "system:serviceaccount:default:default\n");
    let out = s.run(&["auth", "can-i", "delete", "images", "--token", &token]);
    assert_eq!((out.stdout.as_str(), out.code), ("no\n", 1));
    let out = s.run(&["auth", "can-i", "delete", "images"]);
    assert_eq!((out.stdout.as_str(), out.code), ("yes\n", 0));
    let out = s.run(&["auth", "can-i", "get", "imagestreams/layers", "-q"]);
    assert_eq!((out.stdout.as_str(), out.code), ("", 0));

    let out = s.run(&["create", "token", "nobody"]);
    assert_eq!(
        out.fails(),
        "Error from server (NotFound): serviceaccounts \"nobody\" not found\n"
    );
    let out = s.run(&["whoami", "--token", "not-a-token"]);
    assert_eq!(
        out.fails(),
        "error: You must be logged in to the server (Unauthorized)\n"
    );
}

#[test]
fn login_with_a_token_writes_oc_style_contexts() {
    let Some(s) = auth_server() else { return };
    let kc = s.work.path().join("fresh.kubeconfig");
    let kc = kc.to_str().unwrap();
    let token = s.admin_token();
    let out = run_tagplane(
        &["login", &s.url, "--token", &token, "--kubeconfig", kc],
        &[],
        None,
    );
    let url = &s.url;
    assert_eq!(
        out.ok(),
        format!(
            "Logged into \"{url}\" as \"system:admin\" using the token provided.\n\n\
             You have one project on this server: \"default\"\n\n\
             Using project \"default\".\n"
        )
    );
    let cluster = s.host().replace('.', "-");
    let out = run_tagplane(&["whoami", "--show-context", "--kubeconfig", kc], &[], None);
    assert_eq!(out.ok(), format!("default/{cluster}/system:admin\n"));
    let out = run_tagplane(&["whoami", "--kubeconfig", kc], &[], None);
    assert_eq!(out.ok(), "system:admin\n");
    let out = run_tagplane(&["whoami", "-t", "--kubeconfig", kc], &[], None);
    assert_eq!(out.ok(), format!("{token}\n"));

    // Logging in again reuses the stored token.
    let out = run_tagplane(&["login", "--kubeconfig", kc], &[], None);
    assert!(
        out.ok().starts_with(&format!(
            "Logged into \"{url}\" as \"system:admin\" using existing credentials.\n\n"
        )),
        "{out:?}"
    );
    let out = run_tagplane(
        &["login", url, "--token", "bogus", "--kubeconfig", kc],
        &[],
        None,
    );
    assert_eq!(
        out.fails(),
        "error: The token provided is invalid or expired.\n"
    );
}

#[test]
fn password_login_projects_and_logout() {
    let Some((s, _users)) = server_with_alice() else {
        return;
    };
    let url = s.url.clone();
    let kc = s.work.path().join("alice.kubeconfig");
    let kc = kc.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--kubeconfig", kc]);
        run_tagplane(&all, &[], None)
    };
    let out = run(&["login", &url, "-u", "alice", "-p", "wrong"]);
    assert_eq!(
        out.fails(),
        "error: Login failed (401 Unauthorized)\nVerify you have provided the correct credentials.\n"
    );
    let out = run_tagplane(
        &["login", &url, "-u", "alice", "--kubeconfig", kc],
        &[],
        Some("secret\n"),
    );
    let login = out.ok().to_owned();
    assert!(login.starts_with("Login successful.\n\n"), "{out:?}");
    assert_eq!(run(&["whoami"]).ok(), "alice\n");
    // The summary follows oc's three layouts for what the server lists.
    let visible: Vec<String> = run(&["projects", "-q"])
        .ok()
        .lines()
        .map(str::to_owned)
        .collect();
    let summary = match visible.as_slice() {
        [] => {
            "You don't have any projects. You can try to create a new project, by running\n\n    \
               tagplane new-project <projectname>\n\n"
                .to_owned()
        }
        [one] => {
            format!("You have one project on this server: \"{one}\"\n\nUsing project \"{one}\".\n")
        }
        many => {
            let chosen = if many.iter().any(|p| p == "default") {
                "default"
            } else {
                many[0].as_str()
            };
            let mut t = "You have access to the following projects and can switch between them with 'tagplane project <projectname>':\n\n".to_owned();
            for p in many {
                t.push_str(&format!(
                    "{}{p}\n",
                    if p == chosen { "  * " } else { "    " }
                ));
            }
            t + &format!("\nUsing project \"{chosen}\".\n")
        }
    };
    assert_eq!(login, format!("Login successful.\n\n{summary}"));

    let out = run(&["new-project", "alice-p"]);
    assert!(
        out.ok().starts_with(&format!(
            "Now using project \"alice-p\" on server \"{url}\".\n\n"
        )),
        "{out:?}"
    );
    let out = run(&["projects"]);
    let text = out.ok();
    assert!(
        text.contains("\"alice-p\"") || text.contains("\n  * alice-p\n"),
        "{out:?}"
    );
    assert!(
        text.ends_with(&format!("Using project \"alice-p\" on server \"{url}\".\n")),
        "{out:?}"
    );
    let out = run(&["project"]);
    assert_eq!(
        out.ok(),
        format!("Using project \"alice-p\" on server \"{url}\".\n")
    );
    // A project of the admin's is out of alice's reach.
    s.run(&["new-project", "admin-only", "--skip-config-write"])
        .ok();
    let out = run(&["get", "is", "-n", "admin-only"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "Error from server (Forbidden): imagestreams.image.openshift.io is forbidden: User \"alice\" cannot list resource \"imagestreams\" in API group \"image.openshift.io\" in the namespace \"admin-only\"\n"
    );
    let out = run(&["auth", "can-i", "create", "imagestreams"]);
    assert_eq!((out.stdout.as_str(), out.code), ("yes\n", 0));
    let out = run(&["new-project", "alice-p"]);
    assert_eq!(
        out.fails(),
        "Error from server (AlreadyExists): project.project.openshift.io \"alice-p\" already exists\n"
    );

    let out = run(&["logout"]);
    assert_eq!(out.ok(), format!("Logged \"alice\" out on \"{url}\"\n"));
    let out = run(&["whoami", "-t"]);
    assert_eq!(
        out.fails(),
        "error: no token is currently in use for this session\n"
    );
    let out = run(&["logout"]);
    assert_eq!(
        out.fails(),
        "error: You must have a token in order to logout.\n"
    );
}

#[test]
fn admin_projects_and_policy() {
    let Some(s) = auth_server() else { return };
    let url = s.url.clone();
    let kc = s.kubeconfig_copy("admin.kubeconfig");
    let kc = kc.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--kubeconfig", kc]);
        run_tagplane(&all, &[], None)
    };
    let out = run(&["new-project", "p1"]);
    assert!(
        out.ok()
            .starts_with(&format!("Now using project \"p1\" on server \"{url}\".\n")),
        "{out:?}"
    );
    let out = run(&["project", "default"]);
    assert_eq!(
        out.ok(),
        format!("Now using project \"default\" on server \"{url}\".\n")
    );
    let out = run(&["project", "default"]);
    assert_eq!(
        out.ok(),
        format!("Already on project \"default\" on server \"{url}\".\n")
    );
    let out = run(&["project", "nope"]);
    assert_eq!(
        out.fails(),
        format!("error: A project named \"nope\" does not exist on \"{url}\".\n")
    );
    let out = run(&["projects"]);
    assert!(
        out.ok().starts_with(
            "You have access to the following projects and can switch between them with 'tagplane project <projectname>':\n\n"
        ),
        "{out:?}"
    );
    assert!(out.stdout.contains("\n  * default\n"), "{out:?}");
    assert!(out.stdout.contains("\n    p1\n"), "{out:?}");
    assert!(
        out.stdout.ends_with(&format!(
            "\nUsing project \"default\" on server \"{url}\".\n"
        )),
        "{out:?}"
    );
    assert_eq!(
        run(&["projects", "-q"])
            .ok()
            .lines()
            .filter(|l| *l == "p1")
            .count(),
        1
    );

    // Spec §A12: let every service account of p1 pull from default.
    let out = run(&[
        "policy",
        "add-role-to-group",
        "system:image-puller",
        "system:serviceaccounts:p1",
        "-n",
        "default",
    ]);
    assert_eq!(
        out.ok(),
        "clusterrole.rbac.authorization.k8s.io/system:image-puller added: \"system:serviceaccounts:p1\"\n"
    );
    // The namespace's existing binding of that role (system:image-pullers) is reused.
    let out = run(&[
        "get",
        "rolebindings",
        "-n",
        "default",
        "-o",
        r#"jsonpath={range .items[?(@.roleRef.name=="system:image-puller")]}{.metadata.name}: {.subjects[*].name}{"\n"}{end}"#,
    ]);
    assert!(
        out.ok()
            .lines()
            .any(|l| l.contains("system:serviceaccounts:p1")),
        "{out:?}"
    );
    assert_eq!(out.stdout.lines().count(), 1, "{out:?}");
    let out = run(&["policy", "add-role-to-user", "view", "alice", "bob"]);
    assert_eq!(
        out.ok(),
        "clusterrole.rbac.authorization.k8s.io/view added: [\"alice\" \"bob\"]\n"
    );
    // Already bound: nothing changes, same line.
    let out = run(&["policy", "add-role-to-user", "view", "alice"]);
    assert_eq!(
        out.ok(),
        "clusterrole.rbac.authorization.k8s.io/view added: \"alice\"\n"
    );
    let out = run(&["get", "rolebindings", "-o", "name"]);
    assert_eq!(
        out.ok().lines().filter(|l| l.ends_with("/view")).count(),
        1,
        "{out:?}"
    );
    let out = run(&[
        "policy",
        "add-role-to-user",
        "edit",
        "carol",
        "--rolebinding-name",
        "view",
    ]);
    assert_eq!(
        out.fails(),
        "error: rolebinding view found for role view, not edit\n"
    );
    let out = run(&["policy", "add-role-to-user", "no-such-role", "dave"]);
    assert_eq!(out.stderr, "Warning: role 'no-such-role' not found\n");
    assert_eq!(
        out.ok(),
        "clusterrole.rbac.authorization.k8s.io/no-such-role added: \"dave\"\n"
    );
    let out = run(&["policy", "remove-role-from-user", "view", "alice"]);
    assert_eq!(
        out.ok(),
        "clusterrole.rbac.authorization.k8s.io/view removed: \"alice\"\n"
    );
    let out = run(&["policy", "remove-role-from-user", "view", "nobody"]);
    assert_eq!(out.fails(), "error: unable to find target [nobody]\n");
    let out = run(&["policy", "add-role-to-group", "view"]);
    assert_eq!(
        out.fails(),
        "error: you must specify at least two arguments: <role> <group> [group]...\n"
    );
    let out = run(&["policy", "add-role-to-user", "view"]);
    assert_eq!(
        out.fails(),
        "error: you must specify at least one user or service account\n"
    );
}

#[test]
fn login_over_tls_needs_the_ca() {
    let Some(plain) = auth_server() else { return };
    drop(plain);
    let s = Server::start_with(&["--tls"]);
    assert!(s.url.starts_with("https://"));
    let ca = s.dir.path().join("tls/ca.crt");
    let kc = s.work.path().join("tls.kubeconfig");
    let kc = kc.to_str().unwrap();
    let token = s.admin_token();
    let out = run_tagplane(
        &["login", &s.url, "--token", &token, "--kubeconfig", kc],
        &[],
        None,
    );
    assert_eq!(
        out.fails(),
        "error: The server uses a certificate signed by unknown authority. You may need to use the --certificate-authority flag to provide the path to a certificate file for the certificate authority, or --insecure-skip-tls-verify to bypass the certificate check and use insecure connections.\n"
    );
    let out = run_tagplane(
        &[
            "login",
            &s.url,
            "--token",
            &token,
            "--certificate-authority",
            ca.to_str().unwrap(),
            "--kubeconfig",
            kc,
        ],
        &[],
        None,
    );
    assert!(out.ok().starts_with("Logged into \"https://"), "{out:?}");
    let out = run_tagplane(
        &[
            "get",
            "is",
            "--server",
            &s.url,
            "--token",
            &token,
            "--kubeconfig",
            "/dev/null",
        ],
        &[],
        None,
    );
    assert_eq!(
        out.fails(),
        "Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority\n"
    );
    // On a terminal (`script` gives one), login offers to go insecure instead.
    if peer("script").is_some() {
        let kc2 = s.work.path().join("pty.kubeconfig");
        let cmd = format!(
            "{} login {} --token {token} --kubeconfig {}",
            crate::harness::BIN,
            s.url,
            kc2.display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("HOME", s.work.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"y\n").unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
        assert!(text.contains("Use insecure connections? (y/n): "), "{text}");
        assert!(text.contains("Logged into \"https://"), "{text}");
        let saved = std::fs::read_to_string(&kc2).unwrap();
        assert!(saved.contains("insecure-skip-tls-verify: true"), "{saved}");
    }
    // The CA is remembered, and kubectl reads the same file.
    let out = run_tagplane(&["get", "is", "--kubeconfig", kc], &[], None);
    assert_eq!(out.stderr, "No resources found in default namespace.\n");
    if let Some(kubectl) = peer("kubectl") {
        let out = std::process::Command::new(kubectl)
            .args([
                "get",
                "namespace",
                "default",
                "-o",
                "name",
                "--kubeconfig",
                kc,
            ])
            .env("HOME", s.work.path())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "namespace/default\n",
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run_tagplane(
        &[
            "whoami",
            "--server",
            &s.url,
            "--token",
            &token,
            "--insecure-skip-tls-verify",
            "--kubeconfig",
            "/dev/null",
        ],
        &[],
        None,
    );
    assert_eq!(out.ok(), "system:admin\n");
}

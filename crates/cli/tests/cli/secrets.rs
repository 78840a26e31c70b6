//! `create secret docker-registry` (spec cli §A10) and `create token` wording.

use base64::Engine;
use serde_json::Value;

use crate::harness::Server;

fn secret(s: &Server, name: &str) -> Value {
    serde_json::from_str(s.run(&["get", "secret", name, "-o", "json"]).ok()).unwrap()
}

fn decode(v: &Value) -> String {
    let b = base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap();
    String::from_utf8(b).unwrap()
}

#[test]
fn docker_registry_secret() {
    let s = Server::start();
    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "quay",
        "--docker-server=quay.io",
        "--docker-username=robot",
        "--docker-password=s3cret",
        "--docker-email=r@example.com",
    ]);
    assert_eq!(
        (out.ok(), out.stderr.as_str()),
        ("secret/quay created\n", "")
    );
    let sec = secret(&s, "quay");
    assert_eq!(sec["type"], "kubernetes.io/dockerconfigjson");
    assert_eq!(
        decode(&sec["data"][".dockerconfigjson"]),
        r#"{"auths":{"quay.io":{"username":"robot","password":"s3cret","email":"r@example.com","auth":"cm9ib3Q6czNjcmV0"}}}"#
    );

    // The default server is Docker Hub's v1 URL.
    s.run(&[
        "create",
        "secret",
        "docker-registry",
        "hub",
        "--docker-username=u",
        "--docker-password=p",
    ])
    .ok();
    assert_eq!(
        decode(&secret(&s, "hub")["data"][".dockerconfigjson"]),
        r#"{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","auth":"dTpw"}}}"#
    );

    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "quay",
        "--docker-username=u",
        "--docker-password=p",
    ]);
    assert_eq!(
        out.fails(),
        "Error from server (AlreadyExists): secrets \"quay\" already exists\n"
    );

    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "x",
        "--docker-username=u",
    ]);
    assert_eq!(
        out.fails(),
        "error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required\n"
    );
    let out = s.run(&["create", "secret", "docker-registry"]);
    assert_eq!(
        out.fails(),
        "error: exactly one NAME is required, got 0\nSee 'tagplane create secret docker-registry -h' for help and examples\n"
    );

    // Client dry run prints the object and creates nothing.
    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "dry",
        "--docker-username=u",
        "--docker-password=p",
        "--dry-run=client",
        "-o",
        "yaml",
    ]);
    let obj: Value = serde_saphyr::from_str(out.ok()).unwrap();
    assert_eq!(obj["metadata"]["name"], "dry");
    let out = s.run(&["get", "secret", "dry"]);
    assert_eq!(out.code, 1);

    // --from-file and --append-hash.
    let cfg = s.file("config.json", r#"{"auths":{"r.example":{"auth":"dTpw"}}}"#);
    let spec = format!(".dockerconfigjson={cfg}");
    let out = s.run(&[
        "create",
        "secret",
        "docker-registry",
        "fromfile",
        "--from-file",
        &spec,
        "--append-hash",
    ]);
    let line = out.ok();
    let re = regex::Regex::new(r"^secret/fromfile-[a-z0-9]{10} created\n$").unwrap();
    assert!(re.is_match(line), "{line}");
    let name = line
        .trim_start_matches("secret/")
        .trim_end_matches(" created\n");
    assert_eq!(
        decode(&secret(&s, name)["data"][".dockerconfigjson"]),
        r#"{"auths":{"r.example":{"auth":"dTpw"}}}"#
    );
}

#[test]
fn create_token_errors_without_the_endpoint_or_account() {
    let s = Server::start();
    let out = s.run(&["create", "token", "nobody", "--duration", "bogus"]);
    assert_eq!(
        out.fails(),
        "error: invalid argument \"bogus\" for \"--duration\" flag: time: invalid duration \"bogus\"\n"
    );
    let out = s.run(&["create", "token", "nobody"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with("Error from server (NotFound): "),
        "{out:?}"
    );
}

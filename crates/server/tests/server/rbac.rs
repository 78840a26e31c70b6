//! RBAC against a real server (issue 7): the RBAC objects as API resources, the bootstrap
//! roles of spec §16 checked verb by verb through SubjectAccessReview, default bindings (§14.4),
//! projects, and — with real service-account tokens — the OpenShift sharing scenario, 403 texts
//! (also through kubectl) and the cross-namespace tag check (§4.6).

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::harness::Server;
use crate::kubectl::Kubectl;

const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";
const IMG: &str = "/apis/image.openshift.io/v1";

async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.unwrap();
    let code = resp.status();
    let text = resp.text().await.unwrap();
    (
        code,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn ok(req: RequestBuilder) -> Value {
    let (code, v) = send(req).await;
    assert!(code.is_success(), "{code}: {v}");
    v
}

async fn create_namespace(s: &Server, c: &Client, ns: &str) {
    ok(c.post(format!("{}/api/v1/namespaces", s.url))
        .json(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})))
    .await;
}

pub(crate) fn binding(
    kind: &str,
    name: &str,
    ns: Option<&str>,
    role: &str,
    subjects: Value,
) -> Value {
    let mut meta = json!({"name": name});
    if let Some(ns) = ns {
        meta["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": subjects,
    })
}

/// Ask the server whether `user` may `verb` `resource[/sub]` in `ns` (empty: cluster scope).
async fn can(s: &Server, c: &Client, (user, groups): (&str, &[&str]), what: [&str; 5]) -> bool {
    let [verb, group, resource, ns, name] = what;
    let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
    let review = ok(c
        .post(format!(
            "{}/apis/authorization.k8s.io/v1/subjectaccessreviews",
            s.url
        ))
        .json(&json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": groups,
                "resourceAttributes": {
                    "verb": verb, "group": group, "resource": res, "subresource": sub,
                    "namespace": ns, "name": name,
                },
            },
        })))
    .await;
    review["status"]["allowed"].as_bool().unwrap()
}

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];
const RESOURCES: &[&str] = &[
    "imagestreams",
    "imagestreams/status",
    "imagestreams/layers",
    "imagestreams/secrets",
    "imagestreamtags",
    "imagetags",
    "imagestreamimages",
    "imagestreammappings",
    "imagestreamimports",
    "images",
];
const STREAM_VIEWS: &str =
    "imagestreamimages imagestreammappings imagestreams imagestreamtags imagetags";
const EDITABLE: &str = "imagestreamimages imagestreammappings imagestreams imagestreams/secrets imagestreamtags imagetags";
const READ: &str = "get list watch";
const ALL: &str = "get list watch create update patch delete deletecollection";

/// Spec §16, written out per role as "resources: verbs" grants (everything else is denied).
fn expected_grants() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let editor = vec![
        (EDITABLE, ALL),
        ("imagestreamimports", "create"),
        ("imagestreams/layers", "get update"),
    ];
    let edit = vec![
        (EDITABLE, ALL),
        ("imagestreams/status", READ),
        ("imagestreams/layers", "get update"),
        ("imagestreamimports", "create"),
    ];
    vec![
        ("system:image-puller", vec![("imagestreams/layers", "get")]),
        (
            "system:image-pusher",
            vec![("imagestreams/layers", "get update")],
        ),
        (
            "system:image-builder",
            vec![
                ("imagestreams/layers", "get update"),
                ("imagestreams", "create"),
            ],
        ),
        (
            "system:image-signer",
            vec![("images", "get"), ("imagestreams/layers", "get")],
        ),
        (
            "system:image-auditor",
            vec![("images", "get list watch patch update")],
        ),
        (
            "registry-viewer",
            vec![(STREAM_VIEWS, READ), ("imagestreams/layers", "get")],
        ),
        ("registry-editor", editor.clone()),
        ("registry-admin", editor),
        (
            "view",
            vec![(STREAM_VIEWS, READ), ("imagestreams/status", READ)],
        ),
        ("edit", edit.clone()),
        ("admin", edit),
    ]
}

fn expected(grants: &[(&str, &str)], resource: &str, verb: &str) -> bool {
    grants.iter().any(|(resources, verbs)| {
        resources.split(' ').any(|r| r == resource) && verbs.split(' ').any(|v| v == verb)
    })
}

/// Every bootstrap image role × image resource × verb, through SubjectAccessReview, for a user
/// bound cluster-wide; images are asked at the cluster scope, the rest in a namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s16_role_matrix_through_subject_access_review() {
    let s = Server::start();
    let c = s.client();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (role, grants) in expected_grants() {
        let user = format!("matrix-{}", role.replace(':', "-"));
        ok(c.post(format!("{}{RBAC}/clusterrolebindings", s.url))
            .json(&binding(
                "ClusterRoleBinding",
                &user,
                None,
                role,
                json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}]),
            )))
        .await;
        for resource in RESOURCES {
            let ns = if *resource == "images" { "" } else { "matrix" };
            for verb in VERBS {
                let want = expected(&grants, resource, verb);
                let got = can(
                    &s,
                    &c,
                    (&user, &["system:authenticated"]),
                    [verb, "image.openshift.io", resource, ns, "app"],
                )
                .await;
                checked += 1;
                if want != got {
                    mismatches.push(format!(
                        "{role} {verb} {resource}: expected {want}, got {got}"
                    ));
                }
            }
        }
    }
    assert_eq!(checked, 11 * 10 * 8);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Role bindings are namespace-scoped; the legacy core group names the image resources too;
/// system:masters may do everything; anonymous users reach only the public paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_bindings_scope_grants_to_their_namespace() {
    let s = Server::start();
    let c = s.client();
    for ns in ["shared", "other"] {
        create_namespace(&s, &c, ns).await;
    }
    ok(
        c.post(format!("{}{RBAC}/namespaces/shared/rolebindings", s.url))
            .json(&binding(
                "RoleBinding",
                "alice-view",
                Some("shared"),
                "registry-viewer",
                json!([{"kind": "User", "name": "alice"}]),
            )),
    )
    .await;
    let layers = |ns: &'static str, group: &'static str| {
        let (s, c) = (&s, &c);
        async move {
            can(
                s,
                c,
                ("alice", &[]),
                ["get", group, "imagestreams/layers", ns, "app"],
            )
            .await
        }
    };
    assert!(layers("shared", "image.openshift.io").await);
    assert!(layers("shared", "").await);
    assert!(!layers("other", "image.openshift.io").await);
    assert!(
        !can(
            &s,
            &c,
            ("alice", &[]),
            [
                "update",
                "image.openshift.io",
                "imagestreams/layers",
                "shared",
                "app"
            ]
        )
        .await
    );
    assert!(
        can(
            &s,
            &c,
            ("root", &["system:masters"]),
            ["delete", "", "secrets", "other", "x"]
        )
        .await
    );
    assert!(
        !can(
            &s,
            &c,
            ("system:anonymous", &["system:unauthenticated"]),
            ["list", "image.openshift.io", "imagestreams", "shared", ""]
        )
        .await
    );
    // Non-resource rules: anonymous may read /version, authenticated users discovery.
    let path = |user: &'static str, group: &'static str, path: &'static str| {
        let (s, c) = (&s, &c);
        async move {
            let v = ok(c
                .post(format!("{}/apis/authorization.k8s.io/v1/subjectaccessreviews", s.url))
                .json(&json!({"spec": {"user": user, "groups": [group], "nonResourceAttributes": {"verb": "get", "path": path}}})))
            .await;
            v["status"]["allowed"].as_bool().unwrap()
        }
    };
    assert!(path("system:anonymous", "system:unauthenticated", "/version").await);
    assert!(!path("system:anonymous", "system:unauthenticated", "/apis").await);
    assert!(
        path(
            "alice",
            "system:authenticated",
            "/apis/image.openshift.io/v1"
        )
        .await
    );
    // A review names what it asks about, and someone to ask for.
    let (code, e) = send(
        c.post(format!(
            "{}/apis/authorization.k8s.io/v1/subjectaccessreviews",
            s.url
        ))
        .json(&json!({"spec": {"resourceAttributes": {"verb": "get"}}})),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("at least one of user or group must be specified"),
        "{e}"
    );
}

/// The bootstrap roles are stored objects kubectl can read, with exactly the rules of §16.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_roles_and_bindings_are_api_objects() {
    let s = Server::start();
    let c = s.client();
    let puller = ok(c.get(format!("{}{RBAC}/clusterroles/system:image-puller", s.url))).await;
    assert_eq!(
        puller["rules"],
        json!([{"verbs": ["get"], "apiGroups": ["", "image.openshift.io"], "resources": ["imagestreams/layers"]}])
    );
    assert_eq!(puller["kind"], "ClusterRole");
    let list = ok(c.get(format!("{}{RBAC}/clusterroles", s.url))).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap())
        .collect();
    for want in [
        "system:image-pusher",
        "system:image-builder",
        "system:image-signer",
        "system:image-auditor",
        "system:image-pruner",
        "registry-viewer",
        "registry-editor",
        "registry-admin",
        "view",
        "edit",
        "admin",
        "cluster-admin",
        "cluster-reader",
        "system:basic-user",
        "system:public-info-viewer",
        "system:discovery",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let admin = ok(c.get(format!("{}{RBAC}/clusterrolebindings/cluster-admin", s.url))).await;
    assert_eq!(
        admin["subjects"],
        json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}])
    );
    // Every new namespace gets the default bindings of §14.4.
    create_namespace(&s, &c, "team").await;
    let rbs = ok(c.get(format!("{}{RBAC}/namespaces/team/rolebindings", s.url))).await;
    let mut got: Vec<(String, String)> = rbs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["metadata"]["name"].as_str().unwrap().to_owned(),
                b["roleRef"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("system:deployers".to_owned(), "system:deployer".to_owned()),
            (
                "system:image-builders".to_owned(),
                "system:image-builder".to_owned()
            ),
            (
                "system:image-pullers".to_owned(),
                "system:image-puller".to_owned()
            ),
        ]
    );
    assert!(
        can(
            &s,
            &c,
            (
                "system:serviceaccount:team:default",
                &["system:serviceaccounts:team"]
            ),
            [
                "get",
                "image.openshift.io",
                "imagestreams/layers",
                "team",
                "app"
            ]
        )
        .await
    );
    assert!(
        can(
            &s,
            &c,
            ("system:serviceaccount:team:builder", &[]),
            [
                "update",
                "image.openshift.io",
                "imagestreams/layers",
                "team",
                "app"
            ]
        )
        .await
    );
    assert!(
        !can(
            &s,
            &c,
            (
                "system:serviceaccount:team:default",
                &["system:serviceaccounts:team"]
            ),
            [
                "update",
                "image.openshift.io",
                "imagestreams/layers",
                "team",
                "app"
            ]
        )
        .await
    );
}

/// Roles and bindings: create, get, list (also as a Table), merge and JSON patch, PUT,
/// validation (roleRef immutable, kinds), watch, delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_objects_crud_validation_and_watch() {
    let s = Server::start();
    let c = s.client();
    create_namespace(&s, &c, "proj").await;
    let roles = format!("{}{RBAC}/namespaces/proj/roles", s.url);
    let list = ok(c.get(&roles)).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let watch = c
        .get(format!(
            "{roles}?watch=true&resourceVersion={rv}&timeoutSeconds=10"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(watch.status(), StatusCode::OK);
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "stream-reader"},
        "rules": [{"verbs": ["get"], "apiGroups": ["image.openshift.io"], "resources": ["imagestreams"]}],
    });
    let (code, created) = send(c.post(&roles).json(&role)).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["metadata"]["namespace"], "proj");
    let (code, e) = send(c.post(&roles).json(&role)).await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    assert_eq!(
        e["message"],
        "roles.rbac.authorization.k8s.io \"stream-reader\" already exists"
    );
    // The watch sees the create.
    let mut watch = watch;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains('\n') {
        assert!(
            std::time::Instant::now() < deadline,
            "no watch event: {seen}"
        );
        match tokio::time::timeout(std::time::Duration::from_secs(10), watch.chunk()).await {
            Ok(Ok(Some(b))) => seen.push_str(&String::from_utf8_lossy(&b)),
            other => panic!("watch ended: {other:?}"),
        }
    }
    let event: Value = serde_json::from_str(seen.lines().next().unwrap()).unwrap();
    assert_eq!(event["type"], "ADDED");
    assert_eq!(event["object"]["metadata"]["name"], "stream-reader");
    // Merge patch replaces the rules list (RBAC lists are atomic).
    let url = format!("{roles}/stream-reader");
    let patched = ok(c
        .patch(&url)
        .header("content-type", "application/strategic-merge-patch+json")
        .body(json!({"rules": [{"verbs": ["get", "list"], "apiGroups": ["image.openshift.io"], "resources": ["imagestreams"]}]}).to_string()))
    .await;
    assert_eq!(patched["rules"][0]["verbs"], json!(["get", "list"]));
    let patched = ok(c
        .patch(&url)
        .header("content-type", "application/json-patch+json")
        .body(json!([{"op": "add", "path": "/rules/0/verbs/-", "value": "watch"}]).to_string()))
    .await;
    assert_eq!(
        patched["rules"][0]["verbs"],
        json!(["get", "list", "watch"])
    );
    let (code, e) = send(c.put(&url).json(&json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "stream-reader"},
        "rules": [{"verbs": [], "apiGroups": [""], "resources": ["pods"]}],
    })))
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["message"],
        "Role.rbac.authorization.k8s.io \"stream-reader\" is invalid: rules[0].verbs: Required value: verbs must contain at least one value"
    );
    // Bindings: kinds are checked, roleRef cannot change.
    let rbs = format!("{}{RBAC}/namespaces/proj/rolebindings", s.url);
    let mut b = binding(
        "RoleBinding",
        "readers",
        None,
        "view",
        json!([{"kind": "Robot", "name": "r2"}]),
    );
    let (code, e) = send(c.post(&rbs).json(&b)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["message"],
        "RoleBinding.rbac.authorization.k8s.io \"readers\" is invalid: subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""
    );
    b["subjects"] = json!([{"kind": "User", "name": "bob"}]);
    let created = ok(c.post(&rbs).json(&b)).await;
    assert_eq!(
        created["subjects"][0]["apiGroup"],
        "rbac.authorization.k8s.io"
    );
    let (code, e) = send(
        c.patch(format!("{rbs}/readers"))
            .header("content-type", "application/merge-patch+json")
            .body(json!({"roleRef": {"name": "edit"}}).to_string()),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["message"],
        "RoleBinding.rbac.authorization.k8s.io \"readers\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef"
    );
    let crb = binding("ClusterRoleBinding", "x", None, "view", json!([]));
    let mut bad = crb.clone();
    bad["roleRef"]["kind"] = json!("Role");
    let (code, e) = send(
        c.post(format!("{}{RBAC}/clusterrolebindings", s.url))
            .json(&bad),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains(
            "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""
        ),
        "{e}"
    );
    // Tables and deletes.
    let table = ok(c
        .get(&rbs)
        .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io"))
    .await;
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"][0] == "readers")
        .unwrap();
    assert_eq!(row["cells"][1], "ClusterRole/view");
    let (code, _) = send(c.delete(format!("{rbs}/readers"))).await;
    assert_eq!(code, StatusCode::OK);
    let (code, e) = send(c.get(format!("{rbs}/readers"))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "rolebindings.rbac.authorization.k8s.io \"readers\" not found"
    );
    // Deleting the namespace removes its roles and bindings.
    ok(c.delete(format!("{}/api/v1/namespaces/proj", s.url))).await;
    let all = ok(c.get(format!("{}{RBAC}/roles", s.url))).await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["metadata"]["namespace"] != "proj")
    );
}

/// Project requests create the namespace with its default bindings and make the requester
/// admin; a second request for the same name is 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_requests_and_projects() {
    let s = Server::start();
    let c = s.client();
    let url = format!("{}/apis/project.openshift.io/v1/projectrequests", s.url);
    let req = json!({"apiVersion": "project.openshift.io/v1", "kind": "ProjectRequest", "metadata": {"name": "newproj"}, "displayName": "New", "description": ""});
    let (code, p) = send(c.post(&url).json(&req)).await;
    assert_eq!(code, StatusCode::CREATED, "{p}");
    assert_eq!(p["kind"], "Project");
    assert_eq!(p["status"]["phase"], "Active");
    let (code, e) = send(c.post(&url).json(&req)).await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    assert_eq!(
        e["message"],
        "project.project.openshift.io \"newproj\" already exists"
    );
    let admin = ok(c.get(format!(
        "{}{RBAC}/namespaces/newproj/rolebindings/admin",
        s.url
    )))
    .await;
    assert_eq!(admin["roleRef"]["name"], "admin");
    let requester = admin["subjects"][0]["name"].as_str().unwrap().to_owned();
    let projects = ok(c.get(format!("{}/apis/project.openshift.io/v1/projects", s.url))).await;
    assert!(
        projects["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["metadata"]["name"] == "newproj")
    );
    let one = ok(c.get(format!(
        "{}/apis/project.openshift.io/v1/projects/newproj",
        s.url
    )))
    .await;
    assert_eq!(
        one["metadata"]["annotations"]["openshift.io/requester"],
        requester.as_str()
    );
    assert!(
        can(
            &s,
            &c,
            (&requester, &[]),
            [
                "delete",
                "image.openshift.io",
                "imagestreams",
                "newproj",
                "x"
            ]
        )
        .await
    );
    // Any authenticated user may request a project, becomes its admin, and sees only it.
    create_namespace(&s, &c, "team").await;
    let user = s.client_with_token(Some(&sa_token(&s, &c, "team", "default").await));
    let mine = json!({"apiVersion": "project.openshift.io/v1", "kind": "ProjectRequest", "metadata": {"name": "mine"}});
    let (code, p) = send(user.post(&url).json(&mine)).await;
    assert_eq!(code, StatusCode::CREATED, "{p}");
    let projects = ok(user.get(format!("{}/apis/project.openshift.io/v1/projects", s.url))).await;
    let names: Vec<&str> = projects["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mine"]);
    ok(user.get(format!(
        "{}/apis/project.openshift.io/v1/projects/mine",
        s.url
    )))
    .await;
    let (code, e) = send(user.get(format!(
        "{}/apis/project.openshift.io/v1/projects/newproj",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(
        e["message"],
        "projects.project.openshift.io \"newproj\" is forbidden: User \"system:serviceaccount:team:default\" cannot get resource \"projects\" in API group \"project.openshift.io\" in the namespace \"newproj\""
    );
    // As admin of `mine` it may create streams there and grant view, not create namespaces.
    ok(user
        .post(format!("{}{IMG}/namespaces/mine/imagestreams", s.url))
        .json(&json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": "app"}})))
    .await;
    let (code, e) =
        send(user.post(format!("{}/api/v1/namespaces", s.url)).json(
            &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sneaky"}}),
        ))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    // Its admin may delete it (and nothing else).
    let (code, e) = send(user.delete(format!(
        "{}/apis/project.openshift.io/v1/projects/newproj",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    let (code, v) = send(user.delete(format!(
        "{}/apis/project.openshift.io/v1/projects/mine",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    let (code, e) = send(c.get(format!(
        "{}/apis/project.openshift.io/v1/projects/mine",
        s.url
    )))
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(
        e["message"],
        "projects.project.openshift.io \"mine\" not found"
    );
}

/// A token of service account `ns/sa` (TokenRequest, as `kubectl create token` asks for it).
pub(crate) async fn sa_token(s: &Server, c: &Client, ns: &str, sa: &str) -> String {
    let url = format!(
        "{}/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token",
        s.url
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // The namespace's service accounts are created with it; poll in case that lags.
        let (code, v) = send(c.post(&url).json(
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}),
        ))
        .await;
        if code.is_success() {
            return v["status"]["token"].as_str().unwrap().to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "{code}: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn stream(name: &str, tags: Value) -> Value {
    json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream", "metadata": {"name": name}, "spec": {"tags": tags}})
}

/// `oc policy add-role-to-group system:image-puller system:serviceaccounts:myapp -n shared`
/// (§A12): what it creates.
fn add_role_to_group(role: &str, group: &str, ns: &str) -> Value {
    binding(
        "RoleBinding",
        role,
        Some(ns),
        role,
        json!([{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}]),
    )
}

/// The OpenShift sharing scenario over HTTP with real service-account tokens: after the
/// image-puller grant, myapp's service accounts can read `shared`'s layers, a third project's
/// cannot, and each denial is Kubernetes' 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_scenario_with_service_account_tokens() {
    let s = Server::start();
    let c = s.client();
    for ns in ["shared", "myapp", "other"] {
        create_namespace(&s, &c, ns).await;
    }
    ok(
        c.post(format!("{}{IMG}/namespaces/shared/imagestreams", s.url))
            .json(&stream("app", json!([]))),
    )
    .await;
    let layers = format!("{}{IMG}/namespaces/shared/imagestreams/app/layers", s.url);
    let myapp = s.client_with_token(Some(&sa_token(&s, &c, "myapp", "default").await));
    let other = s.client_with_token(Some(&sa_token(&s, &c, "other", "default").await));
    // Before the grant nobody outside `shared` may pull.
    let (code, e) = send(myapp.get(&layers)).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    ok(
        c.post(format!("{}{RBAC}/namespaces/shared/rolebindings", s.url))
            .json(&add_role_to_group(
                "system:image-puller",
                "system:serviceaccounts:myapp",
                "shared",
            )),
    )
    .await;
    let l = ok(myapp.get(&layers)).await;
    assert_eq!(l["kind"], "ImageStreamLayers");
    let (code, e) = send(other.get(&layers)).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(
        e,
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "imagestreams.image.openshift.io \"app\" is forbidden: User \"system:serviceaccount:other:default\" cannot get resource \"imagestreams/layers\" in API group \"image.openshift.io\" in the namespace \"shared\"",
            "reason": "Forbidden",
            "details": {"name": "app", "group": "image.openshift.io", "kind": "imagestreams"},
            "code": 403,
        })
    );
    // Pulling is not reading the stream.
    let (code, e) = send(myapp.get(format!("{}{IMG}/namespaces/shared/imagestreams", s.url))).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(
        e["message"],
        "imagestreams.image.openshift.io is forbidden: User \"system:serviceaccount:myapp:default\" cannot list resource \"imagestreams\" in API group \"image.openshift.io\" in the namespace \"shared\""
    );
    let (code, e) = send(other.get(format!("{}{IMG}/images", s.url))).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(
        e["message"],
        "images.image.openshift.io is forbidden: User \"system:serviceaccount:other:default\" cannot list resource \"images\" in API group \"image.openshift.io\" at the cluster scope"
    );
    // kubectl auth can-i's question, asked by the caller itself.
    let ssar = |client: &Client| {
        client
            .post(format!("{}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", s.url))
            .json(&json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"namespace": "shared", "verb": "get", "group": "image.openshift.io", "resource": "imagestreams", "subresource": "layers"}}}))
    };
    let (code, r) = send(ssar(&myapp)).await;
    assert_eq!(code, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"]["allowed"], true);
    assert_eq!(ok(ssar(&other)).await["status"]["allowed"], false);
    // Projects: each account sees the namespaces it may read, nothing more.
    let projects = ok(other.get(format!("{}/apis/project.openshift.io/v1/projects", s.url))).await;
    assert_eq!(projects["items"], json!([]));
    // Only cluster admins may ask about others.
    let (code, e) = send(other.post(format!("{}/apis/authorization.k8s.io/v1/subjectaccessreviews", s.url)).json(&json!({"spec": {"user": "x", "nonResourceAttributes": {"verb": "get", "path": "/"}}}))).await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    // Revoking the grant takes effect on the next request.
    ok(c.delete(format!(
        "{}{RBAC}/namespaces/shared/rolebindings/system:image-puller",
        s.url
    )))
    .await;
    let (code, _) = send(myapp.get(&layers)).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// A representative part of the §16 matrix over real HTTP requests: one service account per
/// role, bound in namespace `m`; a request is allowed when it is not answered 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s16_role_matrix_over_http_with_tokens() {
    let s = Server::start();
    let c = s.client();
    create_namespace(&s, &c, "m").await;
    ok(c.post(format!("{}{IMG}/namespaces/m/imagestreams", s.url)).json(&stream("app", json!([{"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}]))))
        .await;
    let base = format!("{}{IMG}/namespaces/m", s.url);
    let requests: Vec<(&str, String, Option<Value>, &str, &str)> = vec![
        (
            "GET",
            format!("{base}/imagestreams"),
            None,
            "imagestreams",
            "list",
        ),
        (
            "GET",
            format!("{base}/imagestreams/app"),
            None,
            "imagestreams",
            "get",
        ),
        (
            "GET",
            format!("{base}/imagestreams/app/layers"),
            None,
            "imagestreams/layers",
            "get",
        ),
        (
            "GET",
            format!("{base}/imagestreams/app/secrets"),
            None,
            "imagestreams/secrets",
            "get",
        ),
        (
            "GET",
            format!("{base}/imagestreams/app/status"),
            None,
            "imagestreams/status",
            "get",
        ),
        (
            "GET",
            format!("{base}/imagestreamtags/app:latest"),
            None,
            "imagestreamtags",
            "get",
        ),
        (
            "GET",
            format!("{base}/imagetags"),
            None,
            "imagetags",
            "list",
        ),
        (
            "POST",
            format!("{base}/imagestreams"),
            Some(stream("new", json!([]))),
            "imagestreams",
            "create",
        ),
        (
            "PATCH",
            format!("{base}/imagestreams/app"),
            Some(json!({"metadata": {"labels": {"a": "b"}}})),
            "imagestreams",
            "patch",
        ),
        (
            "DELETE",
            format!("{base}/imagestreamtags/app:gone"),
            None,
            "imagestreamtags",
            "delete",
        ),
        (
            "POST",
            format!("{base}/imagestreamimports"),
            Some(
                json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamImport", "metadata": {"name": "app"}, "spec": {"import": false, "images": [{"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}}]}}),
            ),
            "imagestreamimports",
            "create",
        ),
        (
            "GET",
            format!("{}{IMG}/images", s.url),
            None,
            "images",
            "list",
        ),
    ];
    let mut mismatches = Vec::new();
    let roles = [
        "system:image-puller",
        "system:image-builder",
        "registry-viewer",
        "registry-editor",
        "view",
        "edit",
    ];
    for (i, role) in roles.iter().enumerate() {
        let sa = format!("r{i}");
        ok(c.post(format!("{}/api/v1/namespaces/m/serviceaccounts", s.url)).json(&json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa}})))
            .await;
        ok(c.post(format!("{}{RBAC}/namespaces/m/rolebindings", s.url))
            .json(&binding(
                "RoleBinding",
                &sa,
                Some("m"),
                role,
                json!([{"kind": "ServiceAccount", "name": sa, "namespace": "m"}]),
            )))
        .await;
        let client = s.client_with_token(Some(&sa_token(&s, &c, "m", &sa).await));
        let grants = &expected_grants()
            .into_iter()
            .find(|(r, _)| r == role)
            .unwrap()
            .1;
        for (method, url, body, resource, verb) in &requests {
            // The default bindings let every account of `m` pull; images are cluster-scoped
            // and a RoleBinding never grants them.
            let want = (*resource != "images" && expected(grants, resource, verb))
                || (*resource == "imagestreams/layers" && *verb == "get");
            let mut req = client.request(method.parse().unwrap(), url);
            if let Some(b) = body {
                req = if *method == "PATCH" {
                    req.header("content-type", "application/merge-patch+json")
                        .body(b.to_string())
                } else {
                    req.json(b)
                };
            }
            let (code, v) = send(req).await;
            if (code != StatusCode::FORBIDDEN) != want {
                mismatches.push(format!(
                    "{role}: {method} {url}: expected allowed={want}, got {code} {v}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// §4.6: tagging from another namespace needs `get imagestreams/layers` there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_6_cross_namespace_tags_need_layer_access() {
    let s = Server::start();
    let c = s.client();
    for ns in ["shared", "myapp", "other"] {
        create_namespace(&s, &c, ns).await;
        ok(
            c.post(format!("{}{RBAC}/namespaces/{ns}/rolebindings", s.url))
                .json(&binding(
                    "RoleBinding",
                    "editors",
                    Some(ns),
                    "edit",
                    json!([{"kind": "ServiceAccount", "name": "default", "namespace": ns}]),
                )),
        )
        .await;
    }
    ok(c.post(format!("{}{IMG}/namespaces/shared/imagestreams", s.url)).json(&stream("app", json!([{"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "reference": true}]))))
        .await;
    ok(
        c.post(format!("{}{RBAC}/namespaces/shared/rolebindings", s.url))
            .json(&add_role_to_group(
                "system:image-puller",
                "system:serviceaccounts:myapp",
                "shared",
            )),
    )
    .await;
    let copy = stream(
        "copy",
        json!([{"name": "latest", "from": {"kind": "ImageStreamTag", "namespace": "shared", "name": "app:latest"}}]),
    );
    let myapp = s.client_with_token(Some(&sa_token(&s, &c, "myapp", "default").await));
    let (code, v) = send(
        myapp
            .post(format!("{}{IMG}/namespaces/myapp/imagestreams", s.url))
            .json(&copy),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let other = s.client_with_token(Some(&sa_token(&s, &c, "other", "default").await));
    let (code, e) = send(
        other
            .post(format!("{}{IMG}/namespaces/other/imagestreams", s.url))
            .json(&copy),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        e["message"],
        "ImageStream.image.openshift.io \"copy\" is invalid: spec.tags[latest].from: Forbidden: shared/app: \"\" \"\""
    );
    assert_eq!(e["details"]["causes"][0]["reason"], "FieldValueForbidden");
    // A same-namespace tag (even with the namespace spelled out) and an unchanged tag are not
    // checked.
    ok(other
        .post(format!("{}{IMG}/namespaces/other/imagestreams", s.url))
        .json(&stream(
            "base",
            json!([{"name": "latest", "from": {"kind": "DockerImage", "name": "quay.io/org/base:1"}, "reference": true}]),
        )))
    .await;
    let local = stream(
        "local",
        json!([{"name": "x", "from": {"kind": "ImageStreamTag", "namespace": "other", "name": "base:latest"}}]),
    );
    let (code, v) = send(
        other
            .post(format!("{}{IMG}/namespaces/other/imagestreams", s.url))
            .json(&local),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, v) = send(
        myapp
            .patch(format!("{}{IMG}/namespaces/myapp/imagestreams/copy", s.url))
            .header("content-type", "application/merge-patch+json")
            .body(json!({"metadata": {"labels": {"touched": "yes"}}}).to_string()),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
    // The same tag written through an ImageStreamTag is checked too.
    let istag = json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStreamTag", "metadata": {"name": "local:stolen"}, "tag": {"name": "stolen", "from": {"kind": "ImageStreamTag", "namespace": "shared", "name": "app:latest"}}});
    let (code, e) = send(
        other
            .post(format!("{}{IMG}/namespaces/other/imagestreamtags", s.url))
            .json(&istag),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Forbidden: shared/app"),
        "{e}"
    );
}

/// kubectl with a service account token gets Kubernetes' 403 text, and `kubectl auth can-i`
/// answers from the SelfSubjectAccessReview (kubectl reads `imagestreams/layers` as TYPE/NAME,
/// so the subresource goes in `--subresource`).
#[test]
fn kubectl_with_a_token_sees_forbidden_and_can_i() {
    let s = Server::start_tls();
    let Some(k) = Kubectl::new(&s) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (myapp, other) = rt.block_on(async {
        let c = s.client();
        for ns in ["shared", "myapp", "other"] {
            create_namespace(&s, &c, ns).await;
        }
        ok(
            c.post(format!("{}{RBAC}/namespaces/shared/rolebindings", s.url))
                .json(&add_role_to_group(
                    "system:image-puller",
                    "system:serviceaccounts:myapp",
                    "shared",
                )),
        )
        .await;
        (
            sa_token(&s, &c, "myapp", "default").await,
            sa_token(&s, &c, "other", "default").await,
        )
    });
    let run = |token: &str, args: &[&str]| k.run(&[&["--token", token], args].concat());
    let out = run(&other, &["get", "is", "-n", "shared"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Error from server (Forbidden): imagestreams.image.openshift.io is forbidden: User \"system:serviceaccount:other:default\" cannot list resource \"imagestreams\" in API group \"image.openshift.io\" in the namespace \"shared\""),
        "{stderr}"
    );
    let layers = "get imagestreams --subresource=layers";
    for (token, what, want) in [
        (&myapp, layers, "yes"),
        (&other, layers, "no"),
        (&myapp, "list imagestreams", "no"),
    ] {
        let mut args = vec!["auth", "can-i"];
        args.extend(what.split(' '));
        args.extend(["-n", "shared"]);
        let out = run(token, &args);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            want,
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(&myapp, &["auth", "can-i", "--list", "-n", "shared"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("imagestreams.image.openshift.io/layers ")
                && l.trim_end().ends_with("[get]")),
        "{list}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("selfsubjectaccessreviews.authorization.k8s.io ")),
        "{list}"
    );
}

/// A namespace admin may hand out what it holds, not more (Kubernetes' escalation check); an
/// editor may not touch bindings at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_admins_cannot_escalate() {
    let s = Server::start();
    let c = s.client();
    create_namespace(&s, &c, "esc").await;
    for (sa, role) in [("default", "admin"), ("deployer", "edit")] {
        ok(
            c.post(format!("{}{RBAC}/namespaces/esc/rolebindings", s.url))
                .json(&binding(
                    "RoleBinding",
                    &format!("{sa}-{role}"),
                    Some("esc"),
                    role,
                    json!([{"kind": "ServiceAccount", "name": sa, "namespace": "esc"}]),
                )),
        )
        .await;
    }
    let admin = s.client_with_token(Some(&sa_token(&s, &c, "esc", "default").await));
    let editor = s.client_with_token(Some(&sa_token(&s, &c, "esc", "deployer").await));
    let rbs = format!("{}{RBAC}/namespaces/esc/rolebindings", s.url);
    let bob = json!([{"kind": "User", "name": "bob"}]);
    for (name, role) in [("viewers", "view"), ("pullers", "system:image-puller")] {
        let body = binding("RoleBinding", name, None, role, bob.clone());
        let (code, v) = send(admin.post(&rbs).json(&body)).await;
        assert_eq!(code, StatusCode::CREATED, "{name}: {v}");
    }
    let (code, e) = send(admin.post(&rbs).json(&binding(
        "RoleBinding",
        "root",
        None,
        "cluster-admin",
        bob.clone(),
    )))
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.starts_with("rolebindings.rbac.authorization.k8s.io \"root\" is forbidden: user \"system:serviceaccount:esc:default\" (groups=["),
        "{msg}"
    );
    assert!(msg.contains("is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}"), "{msg}");
    let roles = format!("{}{RBAC}/namespaces/esc/roles", s.url);
    let role = |verbs: Value, resources: Value| json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}, "rules": [{"verbs": verbs, "apiGroups": ["image.openshift.io"], "resources": resources}]});
    let (code, e) = send(
        admin
            .post(&roles)
            .json(&role(json!(["delete"]), json!(["images"]))),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["message"].as_str().unwrap().ends_with(
            "{APIGroups:[\"image.openshift.io\"], Resources:[\"images\"], Verbs:[\"delete\"]}"
        ),
        "{e}"
    );
    let (code, v) = send(
        admin
            .post(&roles)
            .json(&role(json!(["get", "list"]), json!(["imagestreams"]))),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{v}");
    let (code, e) =
        send(
            editor
                .post(&rbs)
                .json(&binding("RoleBinding", "more", None, "view", bob)),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(
        e["message"],
        "rolebindings.rbac.authorization.k8s.io is forbidden: User \"system:serviceaccount:esc:deployer\" cannot create resource \"rolebindings\" in API group \"rbac.authorization.k8s.io\" in the namespace \"esc\""
    );
}

/// A caller who may edit a ClusterRole cannot give it an `aggregationRule` that collects
/// cluster-admin's rules (which its own `rules` would not show); `escalate` or full cluster
/// rights are needed, as in Kubernetes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregation_rules_cannot_escalate() {
    let s = Server::start();
    let c = s.client();
    let clusterroles = format!("{}{RBAC}/clusterroles", s.url);
    ok(c.post(&clusterroles).json(&json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "self-edit"},
        "rules": [{"verbs": ["get", "update", "patch"], "apiGroups": ["rbac.authorization.k8s.io"],
                   "resources": ["clusterroles"], "resourceNames": ["self-edit"]}]
    })))
    .await;
    ok(c.post(format!("{}{RBAC}/clusterrolebindings", s.url))
        .json(&binding(
            "ClusterRoleBinding",
            "self-edit",
            None,
            "self-edit",
            json!([{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]),
        )))
    .await;
    let sa = s.client_with_token(Some(&sa_token(&s, &c, "default", "default").await));
    let secrets = format!("{}/api/v1/secrets", s.url);
    assert_eq!(send(sa.get(&secrets)).await.0, StatusCode::FORBIDDEN);
    let (code, e) = send(
        sa.patch(format!("{clusterroles}/self-edit"))
            .header("Content-Type", "application/merge-patch+json")
            .body(
                json!({"aggregationRule": {"clusterRoleSelectors": [
                    {"matchLabels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}
                ]}})
                .to_string(),
            ),
    )
    .await;
    assert_eq!(code, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .ends_with("must have cluster-admin privileges to write an aggregationRule"),
        "{e}"
    );
    assert_eq!(send(sa.get(&secrets)).await.0, StatusCode::FORBIDDEN);
    // The cluster admin may.
    let (code, v) = send(
        c.patch(format!("{clusterroles}/self-edit"))
            .header("Content-Type", "application/merge-patch+json")
            .body(
                json!({"aggregationRule": {"clusterRoleSelectors": [
                    {"matchLabels": {"example.com/aggregate": "true"}}
                ]}})
                .to_string(),
            ),
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{v}");
}

/// kubectl manages RBAC objects (its typed clients send protobuf): create rolebinding/role,
/// apply a ClusterRole from YAML, read bootstrap roles and binding tables.
#[test]
fn kubectl_manages_rbac_objects() {
    let s = Server::start_tls();
    let Some(k) = Kubectl::new(&s) else {
        return;
    };
    let run = |args: &[&str]| k.ok(args);
    run(&["create", "namespace", "team"]);
    assert_eq!(
        run(&[
            "create",
            "rolebinding",
            "system:image-puller",
            "--clusterrole=system:image-puller",
            "--group=system:serviceaccounts:myapp",
            "-n",
            "team"
        ])
        .trim(),
        "rolebinding.rbac.authorization.k8s.io/system:image-puller created"
    );
    assert_eq!(
        run(&[
            "create",
            "role",
            "reader",
            "--verb=get,list",
            "--resource=imagestreams.image.openshift.io",
            "-n",
            "team"
        ])
        .trim(),
        "role.rbac.authorization.k8s.io/reader created"
    );
    let manifest = k.manifest(
        "role.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: layer-reader\nrules:\n- apiGroups: [image.openshift.io]\n  resources: [imagestreams/layers]\n  verbs: [get]\n",
    );
    assert_eq!(
        run(&["apply", "-f", &manifest]).trim(),
        "clusterrole.rbac.authorization.k8s.io/layer-reader created"
    );
    assert_eq!(
        run(&[
            "get",
            "clusterrole",
            "system:image-puller",
            "-o",
            "jsonpath={.rules[0].resources[0]}"
        ]),
        "imagestreams/layers"
    );
    let table = run(&["get", "rolebindings", "-n", "team"]);
    let line = table
        .lines()
        .find(|l| l.starts_with("system:image-puller "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("ClusterRole/system:image-puller"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("system:image-pullers ")),
        "{table}"
    );
    let got = run(&[
        "get",
        "rolebinding",
        "system:image-puller",
        "-n",
        "team",
        "-o",
        "jsonpath={.subjects[0].kind}/{.subjects[0].name}",
    ]);
    assert_eq!(got, "Group/system:serviceaccounts:myapp");
    assert!(run(&["auth", "can-i", "delete", "clusterroles"]).trim() == "yes");
    let wide = run(&[
        "get",
        "rolebinding",
        "system:image-puller",
        "-n",
        "team",
        "-o",
        "wide",
    ]);
    let header = wide.lines().next().unwrap_or("");
    assert!(
        header.contains("USERS") && header.contains("GROUPS") && header.contains("SERVICEACCOUNTS"),
        "{wide}"
    );
    assert!(wide.contains("system:serviceaccounts:myapp"), "{wide}");
}

/// A ClusterRole labelled `aggregate-to-view` extends view, and through it edit and admin, as
/// Kubernetes' aggregated roles do; the bootstrap view role carries its aggregation rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_roles_collect_labelled_cluster_roles() {
    let s = Server::start();
    let c = s.client();
    let view = ok(c.get(format!("{}{RBAC}/clusterroles/view", s.url))).await;
    assert_eq!(
        view["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"],
        json!({"rbac.authorization.k8s.io/aggregate-to-view": "true"})
    );
    let ask = |user: &'static str| {
        let (s, c) = (&s, &c);
        async move {
            can(
                s,
                c,
                (user, &[]),
                ["list", "example.com", "widgets", "ns", ""],
            )
            .await
        }
    };
    for (user, role) in [("v", "view"), ("e", "edit"), ("a", "admin")] {
        ok(c.post(format!("{}{RBAC}/clusterrolebindings", s.url))
            .json(&binding(
                "ClusterRoleBinding",
                user,
                None,
                role,
                json!([{"kind": "User", "name": user}]),
            )))
        .await;
        assert!(
            !ask(user).await,
            "{role} reads widgets before the aggregation"
        );
    }
    ok(c.post(format!("{}{RBAC}/clusterroles", s.url)).json(&json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "widget-reader", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
        "rules": [{"verbs": ["get", "list"], "apiGroups": ["example.com"], "resources": ["widgets"]}],
    })))
    .await;
    for user in ["v", "e", "a"] {
        assert!(ask(user).await, "{user}");
    }
}

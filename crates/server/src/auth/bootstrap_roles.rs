//! The bootstrap cluster roles and cluster role bindings (spec §16, cli spec §0): the table the
//! server reconciles into the store at start, so `kubectl get clusterrole system:image-puller
//! -o yaml` shows exactly what is enforced, and the Markdown listing in `docs/rbac.md`.

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use tagplane_api::meta::ObjectMeta;

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
/// Annotation that lets start-up reconcile a bootstrap object (set it to `false` to keep edits).
pub const AUTOUPDATE: &str = "rbac.authorization.kubernetes.io/autoupdate";
/// Label of every bootstrap object.
pub const BOOTSTRAP_LABEL: &str = "kubernetes.io/bootstrapping";

/// One rule of a bootstrap role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Verbs.
    pub verbs: &'static [&'static str],
    /// API groups (empty for a non-resource rule).
    pub groups: &'static [&'static str],
    /// Resources, `resource/subresource` for subresources.
    pub resources: &'static [&'static str],
    /// Non-resource URLs (`/healthz`, `/apis/*`).
    pub urls: &'static [&'static str],
}

const fn r(
    verbs: &'static [&'static str],
    groups: &'static [&'static str],
    resources: &'static [&'static str],
) -> Rule {
    Rule {
        verbs,
        groups,
        resources,
        urls: &[],
    }
}

const fn urls(verbs: &'static [&'static str], urls: &'static [&'static str]) -> Rule {
    Rule {
        verbs,
        groups: &[],
        resources: &[],
        urls,
    }
}

/// A bootstrap ClusterRole: its rules are the concatenation of `rules`.
#[derive(Clone, Copy, Debug)]
pub struct BootstrapRole {
    /// Name.
    pub name: &'static str,
    /// What it is for (the listing's second column).
    pub about: &'static str,
    /// Rule groups, concatenated.
    pub rules: &'static [&'static [Rule]],
}

/// The image API groups: OpenShift serves the image resources in both.
const IMG: &[&str] = &["", "image.openshift.io"];
const CORE: &[&str] = &[""];
const RBAC: &[&str] = &[RBAC_GROUP];
const PROJECT: &[&str] = &["", "project.openshift.io"];
const BUILD: &[&str] = &["", "build.openshift.io"];
const READ: &[&str] = &["get", "list", "watch"];
const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const GET_UPDATE: &[&str] = &["get", "update"];
const STREAM_VIEWS: &[&str] = &[
    "imagestreamimages",
    "imagestreammappings",
    "imagestreams",
    "imagestreamtags",
    "imagetags",
];
const STREAM_VIEWS_AND_SECRETS: &[&str] = &[
    "imagestreamimages",
    "imagestreammappings",
    "imagestreams",
    "imagestreams/secrets",
    "imagestreamtags",
    "imagetags",
];

const PULLER: &[Rule] = &[r(&["get"], IMG, &["imagestreams/layers"])];
const PUSHER: &[Rule] = &[r(GET_UPDATE, IMG, &["imagestreams/layers"])];
const BUILDER: &[Rule] = &[
    r(GET_UPDATE, IMG, &["imagestreams/layers"]),
    r(&["create"], IMG, &["imagestreams"]),
    r(&["update"], BUILD, &["builds/details"]),
    r(&["get"], BUILD, &["builds"]),
];
const SIGNER: &[Rule] = &[
    r(&["get"], IMG, &["images", "imagestreams/layers"]),
    r(&["create", "delete"], IMG, &["imagesignatures"]),
];
const AUDITOR: &[Rule] = &[r(
    &["get", "list", "patch", "update", "watch"],
    IMG,
    &["images"],
)];
const PRUNER: &[Rule] = &[
    r(&["get", "list"], CORE, &["pods", "replicationcontrollers"]),
    r(&["list"], CORE, &["limitranges"]),
    r(&["get", "list"], BUILD, &["buildconfigs", "builds"]),
    r(
        &["get", "list"],
        &["", "apps.openshift.io"],
        &["deploymentconfigs"],
    ),
    r(
        &["get", "list"],
        &["apps", "extensions"],
        &["daemonsets", "deployments", "replicasets"],
    ),
    r(&["delete"], IMG, &["images"]),
    r(READ, IMG, &["images", "imagestreams"]),
    r(&["update"], IMG, &["imagestreams/status"]),
];
const NAMESPACE_READ: &[Rule] = &[
    r(&["get"], CORE, &["namespaces"]),
    r(&["get"], PROJECT, &["projects"]),
];
const REGISTRY_VIEWER: &[Rule] = &[
    r(READ, IMG, STREAM_VIEWS),
    r(&["get"], IMG, &["imagestreams/layers"]),
];
const REGISTRY_EDITOR: &[Rule] = &[
    r(ALL, IMG, STREAM_VIEWS_AND_SECRETS),
    r(&["create"], IMG, &["imagestreamimports"]),
    r(GET_UPDATE, IMG, &["imagestreams/layers"]),
    r(ALL, CORE, &["secrets", "serviceaccounts"]),
];
const ROLE_ADMIN: &[Rule] = &[r(ALL, RBAC, &["rolebindings", "roles"])];
/// aggregate-to-view of §16: no layers, no secrets.
const IMAGE_VIEW: &[Rule] = &[r(
    READ,
    IMG,
    &[
        "imagestreamimages",
        "imagestreammappings",
        "imagestreams",
        "imagestreams/status",
        "imagestreamtags",
        "imagetags",
    ],
)];
/// aggregate-to-edit / -admin of §16.
const IMAGE_EDIT: &[Rule] = &[
    r(ALL, IMG, STREAM_VIEWS_AND_SECRETS),
    r(READ, IMG, &["imagestreams/status"]),
    r(GET_UPDATE, IMG, &["imagestreams/layers"]),
    r(&["create"], IMG, &["imagestreamimports"]),
];
/// Kubernetes' view of core objects (never secrets).
const CORE_VIEW: &[Rule] = &[
    r(
        READ,
        CORE,
        &[
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "pods",
            "replicationcontrollers",
            "serviceaccounts",
            "services",
        ],
    ),
    r(READ, CORE, &["namespaces"]),
    r(&["get"], PROJECT, &["projects"]),
];
/// Kubernetes' edit of core objects.
const CORE_EDIT: &[Rule] = &[
    r(ALL, CORE, &["configmaps", "secrets", "serviceaccounts"]),
    r(&["create"], CORE, &["serviceaccounts/token"]),
];
/// What admin adds over edit.
const CORE_ADMIN: &[Rule] = &[
    r(ALL, RBAC, &["rolebindings", "roles"]),
    r(&["delete"], PROJECT, &["projects"]),
    r(
        &["create"],
        &["authorization.k8s.io"],
        &["localsubjectaccessreviews"],
    ),
];
const CLUSTER_READER_EXTRA: &[Rule] = &[
    r(READ, IMG, &["images", "imagesignatures"]),
    r(&["get"], IMG, &["imagestreams/layers"]),
    r(
        READ,
        RBAC,
        &[
            "clusterrolebindings",
            "clusterroles",
            "rolebindings",
            "roles",
        ],
    ),
    r(READ, PROJECT, &["projects"]),
    urls(&["get"], &["*"]),
];
const EVERYTHING: &[Rule] = &[r(&["*"], &["*"], &["*"]), urls(&["*"], &["*"])];
const IMPORT_CONTROLLER: &[Rule] = &[
    r(
        &["create", "get", "list", "update", "watch"],
        IMG,
        &["imagestreams"],
    ),
    r(&["*"], IMG, &["images"]),
    r(&["create"], IMG, &["imagestreamimports"]),
];
const TRIGGER_CONTROLLER: &[Rule] = &[r(&["list", "watch"], IMG, &["imagestreams"])];
const BASIC_USER: &[Rule] = &[
    r(
        &["create"],
        &["authorization.k8s.io"],
        &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    ),
    r(
        &["create"],
        &["authentication.k8s.io"],
        &["selfsubjectreviews"],
    ),
    r(&["create"], PROJECT, &["projectrequests"]),
    r(&["list", "watch"], PROJECT, &["projects"]),
];
const PUBLIC_INFO: &[Rule] = &[urls(
    &["get"],
    &["/healthz", "/livez", "/readyz", "/version", "/version/"],
)];
const DISCOVERY: &[Rule] = &[urls(
    &["get"],
    &[
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
        "/openapi",
        "/openapi/*",
        "/version",
        "/version/",
    ],
)];
const DEPLOYER: &[Rule] = &[
    r(ALL, CORE, &["replicationcontrollers"]),
    r(READ, CORE, &["pods"]),
    r(&["create", "list"], CORE, &["events"]),
];
const LOGIN: &[Rule] = &[urls(&["post"], &["/auth/login", "/auth/logout"])];

/// Every bootstrap ClusterRole.
pub const CLUSTER_ROLES: &[BootstrapRole] = &[
    BootstrapRole {
        name: "system:image-puller",
        about: "pull from the streams of a namespace",
        rules: &[PULLER],
    },
    BootstrapRole {
        name: "system:image-pusher",
        about: "pull and push",
        rules: &[PUSHER],
    },
    BootstrapRole {
        name: "system:image-builder",
        about: "pull, push and create streams (builds)",
        rules: &[BUILDER],
    },
    BootstrapRole {
        name: "system:image-signer",
        about: "read images and write signatures",
        rules: &[SIGNER],
    },
    BootstrapRole {
        name: "system:image-auditor",
        about: "read and annotate images",
        rules: &[AUDITOR],
    },
    BootstrapRole {
        name: "system:image-pruner",
        about: "`oc adm prune images`",
        rules: &[PRUNER],
    },
    BootstrapRole {
        name: "registry-viewer",
        about: "read streams and pull",
        rules: &[REGISTRY_VIEWER, NAMESPACE_READ],
    },
    BootstrapRole {
        name: "registry-editor",
        about: "manage streams, pull and push, pull secrets",
        rules: &[REGISTRY_EDITOR, NAMESPACE_READ],
    },
    BootstrapRole {
        name: "registry-admin",
        about: "registry-editor plus role bindings",
        rules: &[REGISTRY_EDITOR, NAMESPACE_READ, ROLE_ADMIN],
    },
    BootstrapRole {
        name: "view",
        about: "read a namespace (no secrets, no layers)",
        rules: &[CORE_VIEW, IMAGE_VIEW],
    },
    BootstrapRole {
        name: "edit",
        about: "change a namespace's objects",
        rules: &[CORE_VIEW, IMAGE_VIEW, CORE_EDIT, IMAGE_EDIT],
    },
    BootstrapRole {
        name: "admin",
        about: "edit plus role bindings of the namespace",
        rules: &[CORE_VIEW, IMAGE_VIEW, CORE_EDIT, IMAGE_EDIT, CORE_ADMIN],
    },
    BootstrapRole {
        name: "cluster-admin",
        about: "everything",
        rules: &[EVERYTHING],
    },
    BootstrapRole {
        name: "cluster-reader",
        about: "read everything but secrets",
        rules: &[CORE_VIEW, IMAGE_VIEW, CLUSTER_READER_EXTRA],
    },
    BootstrapRole {
        name: "system:openshift:controller:image-import-controller",
        about: "the import controllers (§14.1, §14.2)",
        rules: &[IMPORT_CONTROLLER],
    },
    BootstrapRole {
        name: "system:openshift:controller:image-trigger-controller",
        about: "the image trigger controller (§14.3)",
        rules: &[TRIGGER_CONTROLLER],
    },
    BootstrapRole {
        name: "system:deployer",
        about: "the `deployer` service account of each namespace",
        rules: &[DEPLOYER],
    },
    BootstrapRole {
        name: "system:basic-user",
        about: "what every authenticated user may do",
        rules: &[BASIC_USER],
    },
    BootstrapRole {
        name: "system:public-info-viewer",
        about: "version and health, also for anonymous callers",
        rules: &[PUBLIC_INFO],
    },
    BootstrapRole {
        name: "system:discovery",
        about: "API discovery and OpenAPI documents",
        rules: &[DISCOVERY],
    },
    BootstrapRole {
        name: "system:tagplane:login",
        about: "`POST /auth/login` and `/auth/logout`",
        rules: &[LOGIN],
    },
];

/// Aggregation of the bootstrap roles, as in Kubernetes: (role, label whose ClusterRoles it
/// aggregates, label it carries itself so the next role up aggregates it). A ClusterRole
/// labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"` extends view, edit and admin.
pub const AGGREGATIONS: &[(&str, &str, Option<&str>)] = &[
    (
        "view",
        "rbac.authorization.k8s.io/aggregate-to-view",
        Some("rbac.authorization.k8s.io/aggregate-to-edit"),
    ),
    (
        "edit",
        "rbac.authorization.k8s.io/aggregate-to-edit",
        Some("rbac.authorization.k8s.io/aggregate-to-admin"),
    ),
    (
        "admin",
        "rbac.authorization.k8s.io/aggregate-to-admin",
        None,
    ),
];

/// Every bootstrap ClusterRoleBinding: name, role, groups.
pub const CLUSTER_ROLE_BINDINGS: &[(&str, &str, &[&str])] = &[
    ("cluster-admin", "cluster-admin", &["system:masters"]),
    (
        "system:basic-user",
        "system:basic-user",
        &["system:authenticated"],
    ),
    (
        "system:public-info-viewer",
        "system:public-info-viewer",
        &["system:authenticated", "system:unauthenticated"],
    ),
    (
        "system:discovery",
        "system:discovery",
        &["system:authenticated"],
    ),
    (
        "system:tagplane:login",
        "system:tagplane:login",
        &["system:authenticated", "system:unauthenticated"],
    ),
];

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| (*x).to_owned()).collect()
}

impl Rule {
    /// The rule as a `PolicyRule`.
    pub fn policy_rule(&self) -> PolicyRule {
        if self.urls.is_empty() {
            PolicyRule {
                verbs: strings(self.verbs),
                api_groups: Some(strings(self.groups)),
                resources: Some(strings(self.resources)),
                resource_names: None,
                non_resource_urls: None,
            }
        } else {
            PolicyRule {
                verbs: strings(self.verbs),
                non_resource_urls: Some(strings(self.urls)),
                ..Default::default()
            }
        }
    }
}

fn bootstrap_meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(BTreeMap::from([(
            BOOTSTRAP_LABEL.to_owned(),
            "rbac-defaults".to_owned(),
        )])),
        annotations: Some(BTreeMap::from([(AUTOUPDATE.to_owned(), "true".to_owned())])),
        ..Default::default()
    }
}

impl BootstrapRole {
    /// The rules as `PolicyRule`s.
    pub fn policy_rules(&self) -> Vec<PolicyRule> {
        self.rules
            .iter()
            .flat_map(|g| g.iter())
            .map(Rule::policy_rule)
            .collect()
    }

    /// The ClusterRole object.
    pub fn cluster_role(&self) -> ClusterRole {
        let mut role = ClusterRole {
            metadata: bootstrap_meta(self.name),
            rules: Some(self.policy_rules()),
            aggregation_rule: None,
        };
        if let Some((_, selects, carries)) = AGGREGATIONS.iter().find(|a| a.0 == self.name) {
            role.aggregation_rule = Some(AggregationRule {
                cluster_role_selectors: Some(vec![LabelSelector {
                    match_labels: Some(BTreeMap::from([(
                        (*selects).to_owned(),
                        "true".to_owned(),
                    )])),
                    match_expressions: None,
                }]),
            });
            if let (Some(label), Some(labels)) = (carries, role.metadata.labels.as_mut()) {
                labels.insert((*label).to_owned(), "true".to_owned());
            }
        }
        role
    }
}

/// A subject of kind `Group`.
pub fn group_subject(name: &str) -> Subject {
    Subject {
        api_group: Some(RBAC_GROUP.to_owned()),
        kind: "Group".to_owned(),
        name: name.to_owned(),
        namespace: None,
    }
}

/// A reference to the ClusterRole `name`.
pub fn cluster_role_ref(name: &str) -> RoleRef {
    RoleRef {
        api_group: RBAC_GROUP.to_owned(),
        kind: "ClusterRole".to_owned(),
        name: name.to_owned(),
    }
}

/// Every bootstrap ClusterRoleBinding object.
pub fn cluster_role_bindings() -> Vec<ClusterRoleBinding> {
    CLUSTER_ROLE_BINDINGS
        .iter()
        .map(|(name, role, groups)| ClusterRoleBinding {
            metadata: bootstrap_meta(name),
            role_ref: cluster_role_ref(role),
            subjects: Some(groups.iter().map(|g| group_subject(g)).collect()),
        })
        .collect()
}

fn cell(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| {
            if i.is_empty() {
                "`\"\"`".to_owned()
            } else {
                format!("`{i}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Markdown listing of every bootstrap role and binding (`docs/rbac.md` holds it; a test
/// keeps the two equal).
pub fn markdown() -> String {
    let mut out = String::new();
    for role in CLUSTER_ROLES {
        out.push_str(&format!("### `{}` — {}\n\n", role.name, role.about));
        if let Some((_, selects, _)) = AGGREGATIONS.iter().find(|a| a.0 == role.name) {
            out.push_str(&format!(
                "Also gets the rules of every ClusterRole labelled `{selects}: \"true\"`.\n\n"
            ));
        }
        out.push_str("| verbs | API groups | resources / URLs |\n|---|---|---|\n");
        for rule in role.rules.iter().flat_map(|g| g.iter()) {
            if rule.urls.is_empty() {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(rule.verbs),
                    cell(rule.groups),
                    cell(rule.resources)
                ));
            } else {
                out.push_str(&format!(
                    "| {} | (non-resource) | {} |\n",
                    cell(rule.verbs),
                    cell(rule.urls)
                ));
            }
        }
        out.push('\n');
    }
    out.push_str(
        "### Cluster role bindings\n\n| binding | ClusterRole | groups |\n|---|---|---|\n",
    );
    for (name, role, groups) in CLUSTER_ROLE_BINDINGS {
        out.push_str(&format!("| `{name}` | `{role}` | {} |\n", cell(groups)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_rbac_md_lists_the_table() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rbac.md"))
                .expect("docs/rbac.md exists");
        let generated = markdown();
        assert!(
            doc.contains(&generated),
            "docs/rbac.md is out of date; replace its role listing with:\n{generated}"
        );
    }

    #[test]
    fn names_are_unique_and_bindings_name_roles() {
        for (i, a) in CLUSTER_ROLES.iter().enumerate() {
            assert!(
                CLUSTER_ROLES[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
        for (_, role, _) in CLUSTER_ROLE_BINDINGS {
            assert!(CLUSTER_ROLES.iter().any(|r| r.name == *role), "{role}");
        }
    }

    #[test]
    fn view_never_reads_secrets_or_layers() {
        let view = CLUSTER_ROLES.iter().find(|r| r.name == "view").unwrap();
        for rule in view.rules.iter().flat_map(|g| g.iter()) {
            for res in rule.resources {
                assert!(!res.contains("secrets") && !res.contains("layers"), "{res}");
            }
        }
    }
}

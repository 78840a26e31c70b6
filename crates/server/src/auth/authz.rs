//! RBAC authorization: an in-memory snapshot of every Role, ClusterRole, RoleBinding and
//! ClusterRoleBinding (reloaded after RBAC writes and at most every few seconds otherwise, so a
//! hot GET costs no store round trip), the Kubernetes rule-matching semantics, and the axum
//! middleware that answers 403 before any handler runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use tagplane_store::ListOptions;

use super::UserInfo;
use super::attributes::Attributes;
use crate::error::ApiResult;
use crate::objects::{Objects, StoredObject};
use crate::service::Service;

/// The group whose members are superusers (Kubernetes' privileged group).
pub const MASTERS_GROUP: &str = "system:masters";
/// How stale the snapshot may get when this server made no RBAC write itself (other servers
/// sharing an etcd store).
const MAX_AGE: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// The authenticated caller of the HTTP request being served. Controllers and start-up code
    /// run outside any request and have no caller: they act as the system.
    static CALLER: Arc<UserInfo>;
}

/// The caller of the current HTTP request, or `None` for the system (controllers, bootstrap).
pub fn current_caller() -> Option<Arc<UserInfo>> {
    CALLER.try_with(Arc::clone).ok()
}

/// Run `f` on behalf of `user` (what the middleware does for every request).
pub async fn with_caller<F: std::future::Future>(user: Arc<UserInfo>, f: F) -> F::Output {
    CALLER.scope(user, f).await
}

/// The answer of the authorizer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Allowed.
    pub allowed: bool,
    /// Why (the binding that allowed it), or the evaluation errors of a denial.
    pub reason: String,
}

#[derive(Clone, Debug)]
struct Binding {
    name: String,
    /// `ClusterRole` or `Role`.
    role_kind: String,
    role_name: String,
    subjects: Vec<Subject>,
}

/// Every role and binding, indexed for evaluation.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    cluster_roles: HashMap<String, Vec<PolicyRule>>,
    roles: HashMap<(String, String), Vec<PolicyRule>>,
    cluster_bindings: Vec<Binding>,
    bindings: HashMap<String, Vec<Binding>>,
}

fn has(list: Option<&Vec<String>>, wanted: &str) -> bool {
    list.is_some_and(|l| l.iter().any(|x| x == "*" || x == wanted))
}

/// Whether `rule` allows `a` (Kubernetes `RuleAllows`).
pub fn rule_allows(rule: &PolicyRule, a: &Attributes) -> bool {
    if !has(Some(&rule.verbs), &a.verb) {
        return false;
    }
    if !a.resource_request {
        return rule.non_resource_urls.as_ref().is_some_and(|urls| {
            urls.iter().any(|u| {
                u == "*"
                    || *u == a.path
                    || u.strip_suffix('*').is_some_and(|p| a.path.starts_with(p))
            })
        });
    }
    if !has(rule.api_groups.as_ref(), &a.group) {
        return false;
    }
    // `resource/subresource` compared without building the string (this runs per rule).
    let combined = |r: &str| {
        if a.subresource.is_empty() {
            r == a.resource
        } else {
            r.strip_prefix(a.resource.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                == Some(a.subresource.as_str())
        }
    };
    let resource_ok = rule.resources.as_ref().is_some_and(|rs| {
        rs.iter().any(|r| {
            r == "*"
                || combined(r)
                || (!a.subresource.is_empty()
                    && r.strip_prefix("*/") == Some(a.subresource.as_str()))
        })
    });
    if !resource_ok {
        return false;
    }
    match &rule.resource_names {
        Some(names) if !names.is_empty() => names.contains(&a.name),
        _ => true,
    }
}

fn applies(subject: &Subject, user: &UserInfo, binding_ns: &str) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.name,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            let ns = subject
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(binding_ns);
            !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{}", subject.name)
        }
        _ => false,
    }
}

fn describe_subject(s: &Subject) -> String {
    match s.namespace.as_deref() {
        Some(ns) if !ns.is_empty() && s.kind == "ServiceAccount" => {
            format!("{} \"{}/{}\"", s.kind, ns, s.name)
        }
        _ => format!("{} \"{}\"", s.kind, s.name),
    }
}

/// Whether `labels` match a label selector (`matchLabels` and `matchExpressions`); an empty
/// selector matches nothing, as in ClusterRole aggregation.
fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let match_labels = sel.match_labels.as_ref().filter(|m| !m.is_empty());
    let exprs = sel.match_expressions.as_ref().filter(|e| !e.is_empty());
    if match_labels.is_none() && exprs.is_none() {
        return false;
    }
    match_labels
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
        && exprs.into_iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or_default();
            let have = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => have.is_some_and(|v| values.contains(v)),
                "NotIn" => have.is_none_or(|v| !values.contains(v)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            }
        })
}

/// The rules of every ClusterRole with `aggregationRule`s applied: an aggregated role also gets
/// the rules of every ClusterRole whose labels its selectors match (repeated until nothing
/// changes, so aggregations of aggregations resolve; rules are not duplicated).
fn aggregate(roles: &[ClusterRole]) -> Vec<(String, Vec<PolicyRule>)> {
    let mut rules: Vec<Vec<PolicyRule>> = roles
        .iter()
        .map(|r| r.rules.clone().unwrap_or_default())
        .collect();
    let empty = BTreeMap::new();
    for _ in 0..roles.len().min(8) {
        let mut changed = false;
        for (i, role) in roles.iter().enumerate() {
            let Some(selectors) = role
                .aggregation_rule
                .as_ref()
                .and_then(|a| a.cluster_role_selectors.as_ref())
            else {
                continue;
            };
            for (j, other) in roles.iter().enumerate() {
                let labels = other.metadata.labels.as_ref().unwrap_or(&empty);
                if i == j || !selectors.iter().any(|sel| selector_matches(sel, labels)) {
                    continue;
                }
                for rule in rules[j].clone() {
                    if !rules[i].contains(&rule) {
                        rules[i].push(rule);
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    roles
        .iter()
        .map(|r| r.metadata.name.clone().unwrap_or_default())
        .zip(rules)
        .collect()
}

impl Snapshot {
    /// Index the stored objects.
    pub fn build(
        cluster_roles: Vec<ClusterRole>,
        roles: Vec<Role>,
        cluster_bindings: Vec<ClusterRoleBinding>,
        bindings: Vec<RoleBinding>,
    ) -> Snapshot {
        let mut s = Snapshot::default();
        for (name, rules) in aggregate(&cluster_roles) {
            s.cluster_roles.insert(name, rules);
        }
        for r in roles {
            let key = (
                r.metadata.namespace.unwrap_or_default(),
                r.metadata.name.unwrap_or_default(),
            );
            s.roles.insert(key, r.rules.unwrap_or_default());
        }
        for b in cluster_bindings {
            s.cluster_bindings.push(Binding {
                name: b.metadata.name.unwrap_or_default(),
                role_kind: b.role_ref.kind,
                role_name: b.role_ref.name,
                subjects: b.subjects.unwrap_or_default(),
            });
        }
        for b in bindings {
            s.bindings
                .entry(b.metadata.namespace.unwrap_or_default())
                .or_default()
                .push(Binding {
                    name: b.metadata.name.unwrap_or_default(),
                    role_kind: b.role_ref.kind,
                    role_name: b.role_ref.name,
                    subjects: b.subjects.unwrap_or_default(),
                });
        }
        s
    }

    /// The rules of ClusterRole `name` (aggregated), or of Role `ns/name` when `ns` is given.
    pub fn role_rules(&self, ns: Option<&str>, name: &str) -> Option<&[PolicyRule]> {
        match ns {
            None => self.cluster_roles.get(name),
            Some(ns) => self.roles.get(&(ns.to_owned(), name.to_owned())),
        }
        .map(Vec::as_slice)
    }

    fn rules_of(&self, binding: &Binding, ns: &str) -> Result<&[PolicyRule], String> {
        let found = if binding.role_kind == "ClusterRole" {
            self.cluster_roles.get(&binding.role_name)
        } else {
            self.roles.get(&(ns.to_owned(), binding.role_name.clone()))
        };
        found.map(Vec::as_slice).ok_or_else(|| {
            if binding.role_kind == "ClusterRole" {
                format!(
                    "clusterrole.rbac.authorization.k8s.io \"{}\" not found",
                    binding.role_name
                )
            } else {
                format!(
                    "role.rbac.authorization.k8s.io \"{}\" not found",
                    binding.role_name
                )
            }
        })
    }

    /// Every rule that applies to `user` in namespace `ns` (cluster bindings, then the
    /// namespace's bindings), with the evaluation errors (missing roles): what a
    /// SelfSubjectRulesReview answers.
    pub fn rules_for(&self, user: &UserInfo, ns: &str) -> (Vec<PolicyRule>, Vec<String>) {
        let (mut rules, mut errors) = (Vec::new(), Vec::new());
        if user.groups.iter().any(|g| g == MASTERS_GROUP) {
            rules.push(PolicyRule {
                verbs: vec!["*".into()],
                api_groups: Some(vec!["*".into()]),
                resources: Some(vec!["*".into()]),
                ..Default::default()
            });
            rules.push(PolicyRule {
                verbs: vec!["*".into()],
                non_resource_urls: Some(vec!["*".into()]),
                ..Default::default()
            });
        }
        let namespaced = self.bindings.get(ns).filter(|_| !ns.is_empty());
        let scoped = self
            .cluster_bindings
            .iter()
            .map(|b| (b, ""))
            .chain(namespaced.into_iter().flatten().map(|b| (b, ns)));
        for (b, binding_ns) in scoped {
            if !b.subjects.iter().any(|s| applies(s, user, binding_ns)) {
                continue;
            }
            match self.rules_of(b, binding_ns) {
                Ok(r) => rules.extend(r.iter().cloned()),
                Err(e) => errors.push(e),
            }
        }
        (rules, errors)
    }

    /// Decide `a` for `user`: system:masters, then ClusterRoleBindings, then the RoleBindings
    /// of the namespace (Kubernetes' RBAC authorizer).
    pub fn authorize(&self, user: &UserInfo, a: &Attributes) -> Decision {
        if user.groups.iter().any(|g| g == MASTERS_GROUP) {
            return Decision {
                allowed: true,
                reason: format!("member of {MASTERS_GROUP}"),
            };
        }
        let mut errors: Vec<String> = Vec::new();
        for b in &self.cluster_bindings {
            let Some(subject) = b.subjects.iter().find(|s| applies(s, user, "")) else {
                continue;
            };
            match self.rules_of(b, "") {
                Ok(rules) if rules.iter().any(|r| rule_allows(r, a)) => {
                    return Decision {
                        allowed: true,
                        reason: format!(
                            "RBAC: allowed by ClusterRoleBinding \"{}\" of ClusterRole \"{}\" to {}",
                            b.name,
                            b.role_name,
                            describe_subject(subject)
                        ),
                    };
                }
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if !a.namespace.is_empty()
            && let Some(bindings) = self.bindings.get(&a.namespace)
        {
            for b in bindings {
                let Some(subject) = b.subjects.iter().find(|s| applies(s, user, &a.namespace))
                else {
                    continue;
                };
                match self.rules_of(b, &a.namespace) {
                    Ok(rules) if rules.iter().any(|r| rule_allows(r, a)) => {
                        return Decision {
                            allowed: true,
                            reason: format!(
                                "RBAC: allowed by RoleBinding \"{}/{}\" of {} \"{}\" to {}",
                                b.name,
                                a.namespace,
                                b.role_kind,
                                b.role_name,
                                describe_subject(subject)
                            ),
                        };
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(e),
                }
            }
        }
        let reason = match errors.as_slice() {
            [] => String::new(),
            [one] => format!("RBAC: {one}"),
            many => format!("RBAC: [{}]", many.join(", ")),
        };
        Decision {
            allowed: false,
            reason,
        }
    }
}

/// The authorizer: a cached [`Snapshot`] of the store's RBAC objects.
#[derive(Debug)]
pub struct RbacCache {
    snapshot: RwLock<(Arc<Snapshot>, Option<Instant>)>,
    dirty: AtomicBool,
    refreshing: AtomicBool,
    reload: tokio::sync::Mutex<()>,
}

impl Default for RbacCache {
    fn default() -> Self {
        RbacCache {
            snapshot: RwLock::new((Arc::new(Snapshot::default()), None)),
            dirty: AtomicBool::new(true),
            refreshing: AtomicBool::new(false),
            reload: tokio::sync::Mutex::new(()),
        }
    }
}

async fn list_all<T: StoredObject>(objects: &Objects) -> ApiResult<Vec<T>> {
    let mut out = Vec::new();
    let mut opts = ListOptions {
        limit: Some(1000),
        ..Default::default()
    };
    loop {
        let page = objects.list::<T>(None, &opts).await?;
        out.extend(page.items);
        match page.meta.continue_ {
            Some(c) => opts.continue_token = Some(c),
            None => return Ok(out),
        }
    }
}

impl RbacCache {
    /// Mark the snapshot stale: the next decision reloads it (called after every RBAC write).
    pub fn invalidate(&self) {
        self.dirty.store(true, Ordering::SeqCst);
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        let (snap, at) = &*guard;
        let young = at.is_some_and(|t| t.elapsed() < MAX_AGE);
        (young && !self.dirty.load(Ordering::SeqCst)).then(|| snap.clone())
    }

    /// A snapshot that is only old (no local RBAC write since it was loaded).
    fn aged(&self) -> Option<Arc<Snapshot>> {
        let guard = self.snapshot.read().unwrap_or_else(|p| p.into_inner());
        let (snap, at) = &*guard;
        (at.is_some() && !self.dirty.load(Ordering::SeqCst)).then(|| snap.clone())
    }

    /// The current snapshot. After an RBAC write through this server it is reloaded before
    /// answering; when it is merely older than a few seconds (writes by other servers sharing
    /// the store) the old one answers while a background task reloads it.
    pub async fn snapshot(self: &Arc<Self>, objects: &Objects) -> ApiResult<Arc<Snapshot>> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        if let Some(s) = self.aged() {
            if !self.refreshing.swap(true, Ordering::SeqCst) {
                let (me, objects) = (Arc::clone(self), objects.clone());
                tokio::spawn(async move {
                    if let Err(e) = me.load(&objects).await {
                        tracing::warn!(error = %e.status.message.unwrap_or_default(), "reloading RBAC roles and bindings");
                    }
                    me.refreshing.store(false, Ordering::SeqCst);
                });
            }
            return Ok(s);
        }
        self.load(objects).await
    }

    /// Reload the snapshot from the store (one loader at a time).
    async fn load(&self, objects: &Objects) -> ApiResult<Arc<Snapshot>> {
        let _one_loader = self.reload.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        // Cleared before reading: a write racing the reload marks it dirty again.
        self.dirty.store(false, Ordering::SeqCst);
        let loaded = async {
            Ok::<_, crate::error::ApiError>(Snapshot::build(
                list_all::<ClusterRole>(objects).await?,
                list_all::<Role>(objects).await?,
                list_all::<ClusterRoleBinding>(objects).await?,
                list_all::<RoleBinding>(objects).await?,
            ))
        }
        .await;
        let snap = match loaded {
            Ok(s) => Arc::new(s),
            Err(e) => {
                self.dirty.store(true, Ordering::SeqCst);
                return Err(e);
            }
        };
        let mut guard = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        *guard = (snap.clone(), Some(Instant::now()));
        Ok(snap)
    }

    /// Decide `a` for `user` against the current snapshot.
    pub async fn authorize(
        self: &Arc<Self>,
        objects: &Objects,
        user: &UserInfo,
        a: &Attributes,
    ) -> ApiResult<Decision> {
        if user.groups.iter().any(|g| g == MASTERS_GROUP) {
            return Ok(Decision {
                allowed: true,
                reason: format!("member of {MASTERS_GROUP}"),
            });
        }
        Ok(self.snapshot(objects).await?.authorize(user, a))
    }
}

/// The axum middleware: authorize the request of the authenticated caller (the `UserInfo` the
/// authentication layer put into the extensions; anonymous when there is none), answer 403 in
/// Kubernetes' words when RBAC denies it, else run the handler on behalf of the caller.
pub async fn authorize(State(service): State<Arc<Service>>, req: Request, next: Next) -> Response {
    let user = req
        .extensions()
        .get::<UserInfo>()
        .cloned()
        .unwrap_or_else(UserInfo::anonymous);
    let attrs =
        Attributes::from_request(req.method().as_str(), req.uri().path(), req.uri().query());
    match service
        .rbac
        .authorize(&service.objects, &user, &attrs)
        .await
    {
        Ok(d) if d.allowed => with_caller(Arc::new(user), next.run(req)).await,
        Ok(d) => attrs.forbidden(&user, &d.reason).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        PolicyRule {
            verbs: v(verbs),
            api_groups: Some(v(groups)),
            resources: Some(v(resources)),
            resource_names: (!names.is_empty()).then(|| v(names)),
            non_resource_urls: None,
        }
    }

    #[test]
    fn rules_match_like_kubernetes() {
        let a = Attributes::resource(
            "get",
            "image.openshift.io",
            "imagestreams",
            "layers",
            "s",
            "app",
        );
        assert!(rule_allows(
            &rule(
                &["get"],
                &["image.openshift.io"],
                &["imagestreams/layers"],
                &[]
            ),
            &a
        ));
        assert!(!rule_allows(
            &rule(&["get"], &["image.openshift.io"], &["imagestreams"], &[]),
            &a
        ));
        assert!(rule_allows(&rule(&["*"], &["*"], &["*"], &[]), &a));
        assert!(rule_allows(
            &rule(&["get"], &["image.openshift.io"], &["*/layers"], &[]),
            &a
        ));
        assert!(!rule_allows(
            &rule(&["get"], &[""], &["imagestreams/layers"], &[]),
            &a
        ));
        assert!(rule_allows(
            &rule(&["get"], &["*"], &["imagestreams/layers"], &["app"]),
            &a
        ));
        assert!(!rule_allows(
            &rule(&["get"], &["*"], &["imagestreams/layers"], &["other"]),
            &a
        ));
        assert!(!rule_allows(
            &rule(&["update"], &["*"], &["imagestreams/layers"], &[]),
            &a
        ));
        let path = Attributes::from_request("GET", "/openapi/v3/apis", None);
        let urls = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: Some(vec!["/openapi".into(), "/openapi/*".into()]),
            ..Default::default()
        };
        assert!(rule_allows(&urls, &path));
        assert!(!rule_allows(
            &urls,
            &Attributes::from_request("GET", "/version", None)
        ));
    }

    #[test]
    fn aggregation_rules_collect_labelled_roles() {
        let role = |name: &str,
                    labels: &[(&str, &str)],
                    rules: Vec<PolicyRule>,
                    selects: Option<&str>| {
            ClusterRole {
                metadata: tagplane_api::meta::ObjectMeta {
                    name: Some(name.into()),
                    labels: Some(
                        labels
                            .iter()
                            .map(|(k, v)| ((*k).into(), (*v).into()))
                            .collect(),
                    ),
                    ..Default::default()
                },
                rules: Some(rules),
                aggregation_rule: selects.map(|l| k8s_openapi::api::rbac::v1::AggregationRule {
                    cluster_role_selectors: Some(vec![LabelSelector {
                        match_labels: Some(BTreeMap::from([(l.to_owned(), "true".to_owned())])),
                        match_expressions: None,
                    }]),
                }),
            }
        };
        let get = rule(&["get"], &["image.openshift.io"], &["imagestreams"], &[]);
        let del = rule(&["delete"], &["image.openshift.io"], &["imagestreams"], &[]);
        let roles = vec![
            role("view", &[("to-edit", "true")], vec![], Some("to-view")),
            role("edit", &[], vec![del.clone()], Some("to-edit")),
            role("extra", &[("to-view", "true")], vec![get.clone()], None),
            role(
                "unlabelled",
                &[],
                vec![rule(&["*"], &["*"], &["*"], &[])],
                None,
            ),
        ];
        let got: HashMap<String, Vec<PolicyRule>> = aggregate(&roles).into_iter().collect();
        assert_eq!(got["view"], vec![get.clone()]);
        assert_eq!(got["edit"], vec![del, get]);
        assert_eq!(got["unlabelled"].len(), 1);
    }

    #[test]
    fn subjects_match_users_groups_and_service_accounts() {
        let sa = UserInfo {
            name: "system:serviceaccount:myapp:default".into(),
            uid: String::new(),
            groups: vec!["system:serviceaccounts:myapp".into()],
        };
        let subject = |kind: &str, name: &str, ns: Option<&str>| Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: ns.map(Into::into),
            api_group: None,
        };
        assert!(applies(
            &subject("Group", "system:serviceaccounts:myapp", None),
            &sa,
            "shared"
        ));
        assert!(applies(
            &subject("ServiceAccount", "default", Some("myapp")),
            &sa,
            "shared"
        ));
        assert!(!applies(
            &subject("ServiceAccount", "default", None),
            &sa,
            "shared"
        ));
        assert!(applies(
            &subject("ServiceAccount", "default", None),
            &sa,
            "myapp"
        ));
        assert!(!applies(&subject("User", "default", None), &sa, "myapp"));
    }
}

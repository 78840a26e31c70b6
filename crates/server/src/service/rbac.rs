//! `rbac.authorization.k8s.io/v1` Role, ClusterRole, RoleBinding and ClusterRoleBinding: one
//! generic create/get/list/update/delete over the store (validation as Kubernetes', `roleRef`
//! immutable), the start-up reconcile of the bootstrap roles (spec §16), the per-namespace
//! default bindings (§14.4), and the access checks the service layer asks on behalf of the
//! caller (§4.6, §10.1).

use std::collections::BTreeMap;
use std::future::Future;

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use tagplane_api::image::ImageStream;
use tagplane_api::meta::{IMAGE_GROUP, ObjectMeta};
use tagplane_api::validation::{
    BadValue, ErrorType, FieldError, go_quote, path_segment_name_errors, validate_namespace_name,
};
use tagplane_core::generation::tag_ref_changed;
use tagplane_core::resolution::parse_from_reference;

use super::Service;
use super::simple::SimpleObject;
use crate::auth::UserInfo;
use crate::auth::attributes::Attributes;
use crate::auth::authz::{Decision, current_caller};
use crate::auth::bootstrap_roles::{
    AUTOUPDATE, CLUSTER_ROLES, RBAC_GROUP, cluster_role_bindings, cluster_role_ref, group_subject,
};
use crate::error::{ApiError, ApiResult};
use crate::objects::{Objects, StoredObject};

macro_rules! rbac_object {
    ($t:ty, $res:expr, $kind:expr, $ns:expr) => {
        impl StoredObject for $t {
            const GROUP: &'static str = RBAC_GROUP;
            const RESOURCE: &'static str = $res;
            const KIND: &'static str = $kind;
            const API_VERSION: &'static str = "rbac.authorization.k8s.io/v1";
            const NAMESPACED: bool = $ns;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }

        impl SimpleObject for $t {
            fn default_create(&mut self) {
                RbacObject::default_fields(self);
            }
            fn validate_create(&self) -> Vec<FieldError> {
                RbacObject::validate(self)
            }
            fn default_update(&mut self, _old: &Self) {
                RbacObject::default_fields(self);
            }
            fn validate_update(&self, old: &Self) -> Vec<FieldError> {
                RbacObject::validate_update(self, old)
            }
            /// Writing it may not grant more than the caller holds.
            fn admit<'a>(
                &'a self,
                service: &'a Service,
                ns: &'a str,
                name: &'a str,
            ) -> impl Future<Output = ApiResult<()>> + Send + 'a {
                service.check_escalation(self, ns, name)
            }
            /// The authorizer's cache is stale after any write.
            fn written(service: &Service) {
                service.rbac.invalidate();
            }
        }
    };
}

rbac_object!(Role, "roles", "Role", true);
rbac_object!(ClusterRole, "clusterroles", "ClusterRole", false);
rbac_object!(RoleBinding, "rolebindings", "RoleBinding", true);
rbac_object!(
    ClusterRoleBinding,
    "clusterrolebindings",
    "ClusterRoleBinding",
    false
);

/// An RBAC kind: its defaulting and validation.
pub trait RbacObject: StoredObject {
    /// Fill defaults (subject API groups) as the API server does before validation.
    fn default_fields(&mut self) {}
    /// Validation of a create.
    fn validate(&self) -> Vec<FieldError>;
    /// Validation of an update (`old` is the stored object).
    fn validate_update(&self, _old: &Self) -> Vec<FieldError> {
        self.validate()
    }
    /// What writing this object grants: rules (roles) or a role (bindings).
    fn grant(&self) -> Grant<'_>;
    /// Whether the object collects other roles' rules (a ClusterRole's `aggregationRule`),
    /// which its own `rules` do not show.
    fn aggregates(&self) -> bool {
        false
    }
}

/// What an RBAC object grants, for the escalation check.
#[derive(Clone, Copy, Debug)]
pub enum Grant<'a> {
    /// A role's rules.
    Rules(&'a [PolicyRule]),
    /// A binding's role.
    Role(&'a RoleRef),
}

fn name_errors(meta: &ObjectMeta, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = meta.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for e in path_segment_name_errors(name) {
            errs.push(FieldError::invalid("metadata.name", name, &e));
        }
    }
    if namespaced {
        let ns = meta.namespace.as_deref().unwrap_or("");
        if ns.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        } else {
            errs.extend(validate_namespace_name("metadata.namespace", ns));
        }
    }
    errs
}

fn rule_errors(rules: Option<&Vec<PolicyRule>>, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in rules
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = format!("rules[{i}]");
        if rule.verbs.is_empty() {
            errs.push(FieldError::required(
                format!("{path}.verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = rule
            .non_resource_urls
            .as_ref()
            .is_some_and(|u| !u.is_empty());
        let groups = rule.api_groups.as_ref().is_some_and(|g| !g.is_empty());
        let resources = rule.resources.as_ref().is_some_and(|r| !r.is_empty());
        if urls {
            let value = format!("{:?}", rule.non_resource_urls.clone().unwrap_or_default());
            if namespaced {
                errs.push(FieldError::new(
                    ErrorType::Invalid,
                    format!("{path}.nonResourceURLs"),
                    BadValue::Literal(value.clone()),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if groups || resources {
                errs.push(FieldError::new(
                    ErrorType::Invalid,
                    format!("{path}.nonResourceURLs"),
                    BadValue::Literal(value),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if !groups {
            errs.push(FieldError::required(
                format!("{path}.apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if !resources {
            errs.push(FieldError::required(
                format!("{path}.resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

fn default_subjects(subjects: Option<&mut Vec<Subject>>) {
    for s in subjects.into_iter().flatten() {
        if s.api_group.as_deref().unwrap_or("").is_empty()
            && matches!(s.kind.as_str(), "User" | "Group")
        {
            s.api_group = Some(RBAC_GROUP.to_owned());
        }
    }
}

fn binding_errors(
    role_ref: &RoleRef,
    subjects: Option<&Vec<Subject>>,
    namespaced: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if role_ref.api_group != RBAC_GROUP {
        errs.push(FieldError::new(
            ErrorType::NotSupported,
            "roleRef.apiGroup",
            BadValue::Str(role_ref.api_group.clone()),
            "supported values: \"rbac.authorization.k8s.io\"",
        ));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&role_ref.kind.as_str()) {
        let supported: Vec<String> = kinds.iter().map(|k| format!("\"{k}\"")).collect();
        errs.push(FieldError::new(
            ErrorType::NotSupported,
            "roleRef.kind",
            BadValue::Str(role_ref.kind.clone()),
            &format!("supported values: {}", supported.join(", ")),
        ));
    }
    if role_ref.name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        for e in path_segment_name_errors(&role_ref.name) {
            errs.push(FieldError::invalid("roleRef.name", &role_ref.name, &e));
        }
    }
    for (i, s) in subjects
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = format!("subjects[{i}]");
        if s.name.is_empty() {
            errs.push(FieldError::required(format!("{path}.name"), ""));
        }
        let group = s.api_group.as_deref().unwrap_or("");
        match s.kind.as_str() {
            "ServiceAccount" => {
                if !group.is_empty() {
                    errs.push(FieldError::new(
                        ErrorType::NotSupported,
                        format!("{path}.apiGroup"),
                        BadValue::Str(group.to_owned()),
                        "supported values: \"\"",
                    ));
                }
                if !namespaced && s.namespace.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::required(format!("{path}.namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    errs.push(FieldError::new(
                        ErrorType::NotSupported,
                        format!("{path}.apiGroup"),
                        BadValue::Str(group.to_owned()),
                        "supported values: \"rbac.authorization.k8s.io\"",
                    ));
                }
            }
            other => errs.push(FieldError::new(
                ErrorType::NotSupported,
                format!("{path}.kind"),
                BadValue::Str(other.to_owned()),
                "supported values: \"ServiceAccount\", \"User\", \"Group\"",
            )),
        }
    }
    errs
}

fn role_ref_unchanged(new: &RoleRef, old: &RoleRef) -> Vec<FieldError> {
    if new == old {
        return Vec::new();
    }
    vec![FieldError::new(
        ErrorType::Invalid,
        "roleRef",
        BadValue::Literal(format!(
            "rbac.RoleRef{{APIGroup:\"{}\", Kind:\"{}\", Name:\"{}\"}}",
            new.api_group, new.kind, new.name
        )),
        "cannot change roleRef",
    )]
}

/// Roles: their rules are what they grant; namespaced ones may not name non-resource URLs.
macro_rules! role_kind {
    ($($t:ty),*) => {
        $(impl RbacObject for $t {
            fn grant(&self) -> Grant<'_> {
                Grant::Rules(self.rules.as_deref().unwrap_or_default())
            }
            fn validate(&self) -> Vec<FieldError> {
                let mut e = name_errors(&self.metadata, Self::NAMESPACED);
                e.extend(rule_errors(self.rules.as_ref(), Self::NAMESPACED));
                e
            }
        })*
    };
}
role_kind!(Role);

impl RbacObject for ClusterRole {
    fn grant(&self) -> Grant<'_> {
        Grant::Rules(self.rules.as_deref().unwrap_or_default())
    }
    fn validate(&self) -> Vec<FieldError> {
        let mut e = name_errors(&self.metadata, Self::NAMESPACED);
        e.extend(rule_errors(self.rules.as_ref(), Self::NAMESPACED));
        e
    }
    fn aggregates(&self) -> bool {
        self.aggregation_rule
            .as_ref()
            .and_then(|a| a.cluster_role_selectors.as_ref())
            .is_some_and(|s| !s.is_empty())
    }
}

/// Bindings: their role is what they grant, subjects get API-group defaults, `roleRef` is
/// immutable.
macro_rules! binding_kind {
    ($($t:ty),*) => {
        $(impl RbacObject for $t {
            fn grant(&self) -> Grant<'_> {
                Grant::Role(&self.role_ref)
            }
            fn default_fields(&mut self) {
                default_subjects(self.subjects.as_mut());
            }
            fn validate(&self) -> Vec<FieldError> {
                let mut e = name_errors(&self.metadata, Self::NAMESPACED);
                e.extend(binding_errors(
                    &self.role_ref,
                    self.subjects.as_ref(),
                    Self::NAMESPACED,
                ));
                e
            }
            fn validate_update(&self, old: &Self) -> Vec<FieldError> {
                let mut e = self.validate();
                e.extend(role_ref_unchanged(&self.role_ref, &old.role_ref));
                e
            }
        })*
    };
}
binding_kind!(RoleBinding, ClusterRoleBinding);

/// The group of every service account of `ns`.
pub fn service_accounts_group(ns: &str) -> String {
    format!("system:serviceaccounts:{ns}")
}

fn sa_subject(ns: &str, name: &str) -> Subject {
    Subject {
        api_group: Some(String::new()),
        kind: "ServiceAccount".to_owned(),
        name: name.to_owned(),
        namespace: Some(ns.to_owned()),
    }
}

/// The default RoleBindings of a new namespace (§14.4): all its service accounts pull, the
/// `builder` SA pushes, the `deployer` SA deploys.
pub fn default_bindings(ns: &str) -> Vec<RoleBinding> {
    let binding = |name: &str, role: &str, subject: Subject, about: &str| RoleBinding {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(ns.to_owned()),
            annotations: Some(BTreeMap::from([(
                "openshift.io/description".to_owned(),
                format!("{about}  It is auto-managed by a controller; remove subjects to disable."),
            )])),
            ..Default::default()
        },
        role_ref: cluster_role_ref(role),
        subjects: Some(vec![subject]),
    };
    vec![
        binding(
            "system:image-pullers",
            "system:image-puller",
            group_subject(&service_accounts_group(ns)),
            "Allows all pods in this namespace to pull images from this namespace.",
        ),
        binding(
            "system:image-builders",
            "system:image-builder",
            sa_subject(ns, "builder"),
            "Allows builds in this namespace to push images to this namespace.",
        ),
        binding(
            "system:deployers",
            "system:deployer",
            sa_subject(ns, "deployer"),
            "Allows deploymentconfigs in this namespace to rollout pods in this namespace.",
        ),
    ]
}

impl Service {
    /// Reconcile the bootstrap cluster roles and bindings (spec §16) into the store: missing
    /// ones are created, ones whose `autoupdate` annotation is not `false` get their rules (or
    /// missing subjects) back.
    pub async fn reconcile_bootstrap_rbac(&self) -> ApiResult<()> {
        for role in CLUSTER_ROLES {
            let want = role.cluster_role();
            match self.objects.try_get::<ClusterRole>(None, role.name).await? {
                None => match self.objects.create(want).await {
                    Ok(_) => {}
                    Err(e) if e.reason() == "AlreadyExists" => {}
                    Err(e) => return Err(e),
                },
                Some(mut have) => {
                    let labels = have.metadata.labels.get_or_insert_with(Default::default);
                    let missing_labels = want
                        .metadata
                        .labels
                        .iter()
                        .flatten()
                        .any(|(k, v)| labels.get(k) != Some(v));
                    if autoupdate(&have.metadata)
                        && (have.rules != want.rules
                            || have.aggregation_rule != want.aggregation_rule
                            || missing_labels)
                    {
                        have.rules = want.rules;
                        have.aggregation_rule = want.aggregation_rule;
                        let labels = have.metadata.labels.get_or_insert_with(Default::default);
                        labels.extend(want.metadata.labels.into_iter().flatten());
                        let rv = Objects::parse_rv(have.metadata.resource_version.as_deref())?;
                        self.objects.update(have, rv).await?;
                    }
                }
            }
        }
        for want in cluster_role_bindings() {
            let name = want.metadata.name.clone().unwrap_or_default();
            match self
                .objects
                .try_get::<ClusterRoleBinding>(None, &name)
                .await?
            {
                None => match self.objects.create(want).await {
                    Ok(_) => {}
                    Err(e) if e.reason() == "AlreadyExists" => {}
                    Err(e) => return Err(e),
                },
                Some(mut have) => {
                    let subjects = have.subjects.get_or_insert_with(Vec::new);
                    let missing: Vec<Subject> = want
                        .subjects
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| !subjects.contains(s))
                        .collect();
                    if autoupdate(&have.metadata) && !missing.is_empty() {
                        subjects.extend(missing);
                        let rv = Objects::parse_rv(have.metadata.resource_version.as_deref())?;
                        self.objects.update(have, rv).await?;
                    }
                }
            }
        }
        self.rbac.invalidate();
        Ok(())
    }

    /// Create the default RoleBindings of namespace `ns` (§14.4) that do not exist yet.
    pub async fn ensure_default_bindings(&self, ns: &str) -> ApiResult<()> {
        for b in default_bindings(ns) {
            match self.objects.create(b).await {
                Ok(_) => {}
                Err(e) if e.reason() == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        self.rbac.invalidate();
        Ok(())
    }

    /// Decide `a` for `user`.
    pub async fn authorize(&self, user: &UserInfo, a: &Attributes) -> ApiResult<Decision> {
        self.rbac.authorize(&self.objects, user, a).await
    }

    /// Decide `a` for the caller of the current request; the system (no request: controllers,
    /// start-up) is always allowed.
    pub async fn caller_may(&self, a: &Attributes) -> ApiResult<Decision> {
        match current_caller() {
            Some(user) => self.authorize(&user, a).await,
            None => Ok(Decision {
                allowed: true,
                reason: "system".to_owned(),
            }),
        }
    }
}

/// The atomic requests a rule grants (wildcards stay wildcards: only a wildcard covers them).
fn rule_requests(rule: &PolicyRule, ns: &str) -> Vec<Attributes> {
    let mut out = Vec::new();
    if let Some(urls) = rule.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
        for url in urls {
            for verb in &rule.verbs {
                out.push(Attributes {
                    verb: verb.clone(),
                    resource_request: false,
                    path: url.clone(),
                    ..Default::default()
                });
            }
        }
        return out;
    }
    let names: Vec<String> = match rule.resource_names.as_ref().filter(|n| !n.is_empty()) {
        Some(n) => n.clone(),
        None => vec![String::new()],
    };
    for group in rule.api_groups.iter().flatten() {
        for resource in rule.resources.iter().flatten() {
            let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
            for verb in &rule.verbs {
                for name in &names {
                    out.push(Attributes::resource(verb, group, res, sub, ns, name));
                }
            }
        }
    }
    out
}

fn describe_rule(rule: &PolicyRule) -> String {
    let list = |v: Option<&Vec<String>>| {
        let items: Vec<String> = v.into_iter().flatten().map(|s| go_quote(s)).collect();
        format!("[{}]", items.join(" "))
    };
    let mut parts = Vec::new();
    if let Some(u) = rule.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
        parts.push(format!("NonResourceURLs:{}", list(Some(u))));
    } else {
        parts.push(format!("APIGroups:{}", list(rule.api_groups.as_ref())));
        parts.push(format!("Resources:{}", list(rule.resources.as_ref())));
        if rule.resource_names.as_ref().is_some_and(|n| !n.is_empty()) {
            parts.push(format!(
                "ResourceNames:{}",
                list(rule.resource_names.as_ref())
            ));
        }
    }
    parts.push(format!("Verbs:{}", list(Some(&rule.verbs))));
    format!("{{{}}}", parts.join(", "))
}

impl Service {
    /// Kubernetes' escalation check: a caller may write a role only with rules it holds itself
    /// (in `ns`, or cluster-wide for cluster objects), and a binding only to a role whose rules
    /// it holds or that it may `bind`. The system (no caller) is not checked.
    pub async fn check_escalation<T: RbacObject>(
        &self,
        obj: &T,
        ns: &str,
        name: &str,
    ) -> ApiResult<()> {
        let Some(user) = current_caller() else {
            return Ok(());
        };
        if user
            .groups
            .iter()
            .any(|g| g == crate::auth::authz::MASTERS_GROUP)
        {
            return Ok(());
        }
        let ns = if T::NAMESPACED { ns } else { "" };
        let snap = self.rbac.snapshot(&self.objects).await?;
        let rules: &[PolicyRule] = match obj.grant() {
            Grant::Rules(r) => {
                // The `escalate` verb lets a caller write any rules into the role.
                let escalate =
                    Attributes::resource("escalate", RBAC_GROUP, T::RESOURCE, "", ns, name);
                if snap.authorize(&user, &escalate).allowed {
                    return Ok(());
                }
                // An aggregation rule pulls in rules of other ClusterRoles (possibly
                // cluster-admin's) that `rules` does not show: only a caller who holds every
                // permission may write one, as in Kubernetes.
                if obj.aggregates() {
                    let everything = Attributes::resource("*", "*", "*", "", "", "");
                    if !snap.authorize(&user, &everything).allowed {
                        return Err(ApiError::forbidden(
                            T::GROUP,
                            T::RESOURCE,
                            name,
                            "must have cluster-admin privileges to write an aggregationRule",
                        ));
                    }
                    return Ok(());
                }
                r
            }
            Grant::Role(role_ref) => {
                let resource = if role_ref.kind == "ClusterRole" {
                    "clusterroles"
                } else {
                    "roles"
                };
                let bind =
                    Attributes::resource("bind", RBAC_GROUP, resource, "", ns, &role_ref.name);
                if snap.authorize(&user, &bind).allowed {
                    return Ok(());
                }
                // The snapshot's rules: aggregated ClusterRoles include what they collect.
                let scope = (role_ref.kind != "ClusterRole").then_some(ns);
                snap.role_rules(scope, &role_ref.name).ok_or_else(|| {
                    ApiError::forbidden(
                        T::GROUP,
                        T::RESOURCE,
                        name,
                        &format!(
                            "{} {} not found: only a user who may bind it can bind a missing role",
                            role_ref.kind.to_lowercase(),
                            go_quote(&role_ref.name)
                        ),
                    )
                })?
            }
        };
        let missing: Vec<String> = rules
            .iter()
            .filter(|rule| {
                !rule_requests(rule, ns)
                    .iter()
                    .all(|a| snap.authorize(&user, a).allowed)
            })
            .map(describe_rule)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let groups: Vec<String> = user.groups.iter().map(|g| go_quote(g)).collect();
        Err(ApiError::forbidden(
            T::GROUP,
            T::RESOURCE,
            name,
            &format!(
                "user {} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
                go_quote(&user.name),
                groups.join(" "),
                missing.join("\n")
            ),
        ))
    }
}

impl Service {
    /// §4.6: a spec tag that is new or changed and takes its image from another namespace
    /// needs `get imagestreams/layers` on the source stream for the caller; each denial is a
    /// `Forbidden` field error on `spec.tags[<tag>].from`. The system (no caller) is not checked.
    pub async fn verify_tag_sources(
        &self,
        stream: &ImageStream,
        old: Option<&ImageStream>,
    ) -> ApiResult<Vec<FieldError>> {
        let Some(user) = current_caller() else {
            return Ok(Vec::new());
        };
        let ns = stream.metadata.namespace.as_deref().unwrap_or("");
        let name = stream.metadata.name.as_deref().unwrap_or("");
        let mut errs = Vec::new();
        for tag in &stream.spec.tags {
            let Some(from) = &tag.from else { continue };
            if from.namespace.is_empty() || from.namespace == ns {
                continue;
            }
            let old_tag = old.and_then(|o| o.spec.tags.iter().find(|t| t.name == tag.name));
            if old_tag.is_some_and(|o| !tag_ref_changed(o, tag, ns)) {
                continue;
            }
            let Some((source, _)) = parse_from_reference(name, &from.kind, &from.name) else {
                continue;
            };
            let a = Attributes::resource(
                "get",
                IMAGE_GROUP,
                "imagestreams",
                "layers",
                &from.namespace,
                source,
            );
            let d = self.authorize(&user, &a).await?;
            if !d.allowed {
                errs.push(FieldError::forbidden(
                    format!("spec.tags[{}].from", tag.name),
                    &format!(
                        "{}/{source}: {} {}",
                        from.namespace,
                        go_quote(&d.reason),
                        go_quote("")
                    ),
                ));
            }
        }
        Ok(errs)
    }

    /// §3.6/§10.1: whether the caller may import from any registry — it can `create images`
    /// cluster-wide, or `create imagestreammapping` (singular) at the cluster scope. The system
    /// may.
    pub async fn caller_bypasses_allowed_registries(&self) -> ApiResult<bool> {
        let images = Attributes::resource("create", IMAGE_GROUP, "images", "", "", "");
        if self.caller_may(&images).await?.allowed {
            return Ok(true);
        }
        let mapping = Attributes::resource("create", IMAGE_GROUP, "imagestreammapping", "", "", "");
        Ok(self.caller_may(&mapping).await?.allowed)
    }
}

fn autoupdate(meta: &ObjectMeta) -> bool {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(AUTOUPDATE))
        .is_none_or(|v| v != "false")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_validation_names_kubernetes_fields() {
        let mut b = RoleBinding {
            metadata: ObjectMeta {
                name: Some("x".into()),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            role_ref: RoleRef {
                api_group: RBAC_GROUP.into(),
                kind: "Thing".into(),
                name: "view".into(),
            },
            subjects: Some(vec![Subject {
                kind: "Robot".into(),
                name: "r".into(),
                ..Default::default()
            }]),
        };
        b.default_fields();
        let errs: Vec<String> = b.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            errs,
            [
                "roleRef.kind: Unsupported value: \"Thing\": supported values: \"Role\", \"ClusterRole\"",
                "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
            ]
        );
        let old = b.clone();
        b.role_ref.kind = "ClusterRole".into();
        b.subjects = None;
        assert_eq!(
            RbacObject::validate_update(&b, &old)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"view\"}: cannot change roleRef"
            ]
        );
    }

    #[test]
    fn role_rules_are_validated() {
        let role = Role {
            metadata: ObjectMeta {
                name: Some("r".into()),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            rules: Some(vec![
                PolicyRule {
                    verbs: vec![],
                    api_groups: Some(vec![String::new()]),
                    resources: Some(vec!["pods".into()]),
                    ..Default::default()
                },
                PolicyRule {
                    verbs: vec!["get".into()],
                    non_resource_urls: Some(vec!["/x".into()]),
                    ..Default::default()
                },
            ]),
        };
        let errs: Vec<String> = role.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            errs,
            [
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[1].nonResourceURLs: Invalid value: [\"/x\"]: namespaced rules cannot apply to non-resource URLs",
            ]
        );
    }
}

//! `project.openshift.io/v1` Projects: namespaces seen through what the caller may read, and
//! ProjectRequests, which create a namespace (with its default bindings) whose requester
//! becomes its `admin`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{RoleBinding, Subject};
use serde::{Deserialize, Serialize};
use tagplane_api::meta::{ListMeta, ObjectMeta};
use tagplane_api::validation::{FieldError, validate_namespace_name};
use tagplane_store::ListOptions;

use super::{Service, WriteOptions};
use crate::auth::attributes::Attributes;
use crate::auth::authz::current_caller;
use crate::auth::bootstrap_roles::{RBAC_GROUP, cluster_role_ref};
use crate::error::{ApiError, ApiResult};

/// The project API group.
pub const PROJECT_GROUP: &str = "project.openshift.io";
/// Its `apiVersion`.
pub const PROJECT_API_VERSION: &str = "project.openshift.io/v1";
/// Annotation naming who requested a project.
pub const REQUESTER: &str = "openshift.io/requester";
/// Annotation with a project's display name.
pub const DISPLAY_NAME: &str = "openshift.io/display-name";
/// Annotation with a project's description.
pub const DESCRIPTION: &str = "openshift.io/description";

/// `spec` of a Project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectSpec {
    /// The namespace's finalizers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// `status` of a Project.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// `Active` or `Terminating`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
}

/// A Project: a namespace as OpenShift shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// `project.openshift.io/v1`.
    pub api_version: String,
    /// `Project`.
    pub kind: String,
    /// The namespace's metadata.
    pub metadata: ObjectMeta,
    /// Finalizers.
    #[serde(default)]
    pub spec: ProjectSpec,
    /// Phase.
    #[serde(default)]
    pub status: ProjectStatus,
}

/// A ProjectRequest (what `oc new-project` / `tagplane new-project` posts).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRequest {
    /// `project.openshift.io/v1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// `ProjectRequest`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name of the project.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A list of Projects.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectList {
    /// `project.openshift.io/v1`.
    pub api_version: String,
    /// `ProjectList`.
    pub kind: String,
    /// List metadata.
    pub metadata: ListMeta,
    /// The projects.
    pub items: Vec<Project>,
}

/// The Project view of a namespace.
pub fn project_of(ns: Namespace) -> Project {
    Project {
        api_version: PROJECT_API_VERSION.into(),
        kind: "Project".into(),
        metadata: ns.metadata,
        spec: ProjectSpec {
            finalizers: ns.spec.and_then(|s| s.finalizers).unwrap_or_default(),
        },
        status: ProjectStatus {
            phase: ns
                .status
                .and_then(|s| s.phase)
                .unwrap_or_else(|| "Active".into()),
        },
    }
}

fn may_get(name: &str) -> Attributes {
    Attributes::resource("get", "", "namespaces", "", name, name)
}

impl Service {
    /// LIST `projects`: every namespace the caller may `get` (all for the system).
    pub async fn list_projects(&self) -> ApiResult<ProjectList> {
        let caller = current_caller();
        let mut items = Vec::new();
        let mut opts = ListOptions {
            limit: Some(1000),
            ..Default::default()
        };
        let mut revision = None;
        loop {
            let page = self.objects.list::<Namespace>(None, &opts).await?;
            revision = revision.or(page.meta.resource_version.clone());
            for ns in page.items {
                let name = ns.metadata.name.clone().unwrap_or_default();
                let visible = match &caller {
                    None => true,
                    Some(user) => self.authorize(user, &may_get(&name)).await?.allowed,
                };
                if visible {
                    items.push(project_of(ns));
                }
            }
            match page.meta.continue_ {
                Some(c) => opts.continue_token = Some(c),
                None => break,
            }
        }
        Ok(ProjectList {
            api_version: PROJECT_API_VERSION.into(),
            kind: "ProjectList".into(),
            metadata: ListMeta {
                resource_version: revision,
                ..Default::default()
            },
            items,
        })
    }

    /// GET `projects/{name}` (authorization has already checked `get` in that namespace).
    pub async fn get_project(&self, name: &str) -> ApiResult<Project> {
        match self.objects.try_get::<Namespace>(None, name).await? {
            Some(ns) => Ok(project_of(ns)),
            None => Err(ApiError::not_found(PROJECT_GROUP, "projects", name)),
        }
    }

    /// DELETE `projects/{name}`: the namespace and everything in it (authorization has checked
    /// `delete projects` in that namespace).
    pub async fn delete_project(&self, name: &str) -> ApiResult<tagplane_api::meta::Status> {
        match self.delete_namespace(name).await {
            Ok(ns) => Ok(super::images::deleted_status(
                PROJECT_GROUP,
                "projects",
                name,
                ns.metadata.uid,
            )),
            Err(e) if e.reason() == "NotFound" => {
                Err(ApiError::not_found(PROJECT_GROUP, "projects", name))
            }
            Err(e) => Err(e),
        }
    }

    /// POST `projectrequests`: create the namespace (with its default bindings), then make the
    /// requester its `admin` through a RoleBinding `admin`.
    pub async fn request_project(
        &self,
        req: ProjectRequest,
        opts: WriteOptions,
    ) -> ApiResult<Project> {
        let name = req.metadata.name.clone().unwrap_or_default();
        let errs: Vec<FieldError> = if name.is_empty() {
            vec![FieldError::required(
                "metadata.name",
                "name or generateName is required",
            )]
        } else {
            validate_namespace_name("metadata.name", &name)
        };
        if !errs.is_empty() {
            return Err(ApiError::invalid(
                PROJECT_GROUP,
                "ProjectRequest",
                &name,
                &errs,
            ));
        }
        if self
            .objects
            .try_get::<Namespace>(None, &name)
            .await?
            .is_some()
        {
            return Err(ApiError::already_exists(PROJECT_GROUP, "project", &name));
        }
        let requester = current_caller().map(|u| u.name.clone());
        let mut annotations = BTreeMap::new();
        if let Some(r) = &requester {
            annotations.insert(REQUESTER.to_owned(), r.clone());
        }
        annotations.insert(DISPLAY_NAME.to_owned(), req.display_name.clone());
        annotations.insert(DESCRIPTION.to_owned(), req.description.clone());
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                annotations: Some(annotations),
                labels: req.metadata.labels.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
        let created = match self.create_namespace(ns, opts).await {
            Err(e) if e.reason() == "AlreadyExists" => {
                return Err(ApiError::already_exists(PROJECT_GROUP, "project", &name));
            }
            other => other?,
        };
        if let (Some(user), false) = (requester, opts.dry_run) {
            let binding = RoleBinding {
                metadata: ObjectMeta {
                    name: Some("admin".into()),
                    namespace: Some(name.clone()),
                    ..Default::default()
                },
                role_ref: cluster_role_ref("admin"),
                subjects: Some(vec![Subject {
                    api_group: Some(RBAC_GROUP.into()),
                    kind: "User".into(),
                    name: user,
                    namespace: None,
                }]),
            };
            match self.objects.create(binding).await {
                Ok(_) => {}
                Err(e) if e.reason() == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
            self.rbac.invalidate();
        }
        Ok(project_of(created))
    }
}

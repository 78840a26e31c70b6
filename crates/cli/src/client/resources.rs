//! The static resource table: plural/singular/short names and kinds of the resources the
//! server serves, mapped to their API group, scope and REST path (what kubectl learns from
//! discovery; the set here is fixed).

use crate::error::CliError;

/// One resource type the CLI knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// Plural resource name (`imagestreams`).
    pub plural: &'static str,
    /// Singular name (`imagestream`).
    pub singular: &'static str,
    /// Kind (`ImageStream`).
    pub kind: &'static str,
    /// API group (`""` for core).
    pub group: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names (`is`).
    pub short: &'static [&'static str],
}

const IMAGE: &str = "image.openshift.io";
const RBAC: &str = "rbac.authorization.k8s.io";

/// Every resource type the CLI resolves.
pub const RESOURCES: &[ResourceType] = &[
    rt(
        "imagestreams",
        "imagestream",
        "ImageStream",
        IMAGE,
        true,
        &["is"],
    ),
    rt(
        "imagestreamtags",
        "imagestreamtag",
        "ImageStreamTag",
        IMAGE,
        true,
        &["istag"],
    ),
    rt(
        "imagestreamimages",
        "imagestreamimage",
        "ImageStreamImage",
        IMAGE,
        true,
        &["isimage"],
    ),
    rt("imagetags", "imagetag", "ImageTag", IMAGE, true, &["itag"]),
    rt("images", "image", "Image", IMAGE, false, &[]),
    rt(
        "imagesignatures",
        "imagesignature",
        "ImageSignature",
        IMAGE,
        false,
        &[],
    ),
    rt(
        "imagestreamimports",
        "imagestreamimport",
        "ImageStreamImport",
        IMAGE,
        true,
        &[],
    ),
    rt(
        "imagestreammappings",
        "imagestreammapping",
        "ImageStreamMapping",
        IMAGE,
        true,
        &[],
    ),
    rt("secrets", "secret", "Secret", "", true, &[]),
    rt("namespaces", "namespace", "Namespace", "", false, &["ns"]),
    rt(
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        "",
        true,
        &["sa"],
    ),
    rt("roles", "role", "Role", RBAC, true, &[]),
    rt(
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        RBAC,
        true,
        &[],
    ),
    rt(
        "clusterroles",
        "clusterrole",
        "ClusterRole",
        RBAC,
        false,
        &[],
    ),
    rt(
        "clusterrolebindings",
        "clusterrolebinding",
        "ClusterRoleBinding",
        RBAC,
        false,
        &[],
    ),
    rt(
        "projects",
        "project",
        "Project",
        "project.openshift.io",
        false,
        &[],
    ),
    rt(
        "projectrequests",
        "projectrequest",
        "ProjectRequest",
        "project.openshift.io",
        false,
        &[],
    ),
];

#[allow(clippy::too_many_arguments)]
const fn rt(
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    group: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        plural,
        singular,
        kind,
        group,
        namespaced,
        short,
    }
}

impl ResourceType {
    /// `imagestreams.image.openshift.io` (just `secrets` for the core group).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The name printer's prefix: `imagestream.image.openshift.io` (`secret` for core).
    pub fn kind_group(&self) -> String {
        let kind = self.kind.to_ascii_lowercase();
        if self.group.is_empty() {
            kind
        } else {
            format!("{kind}.{}", self.group)
        }
    }

    /// The apiVersion of objects of this type.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            "v1".to_owned()
        } else {
            format!("{}/v1", self.group)
        }
    }

    /// The REST path for a collection (`name: None`) or an object.
    pub fn path(&self, namespace: Option<&str>, name: Option<&str>) -> String {
        super::resource_path(
            self.group,
            self.plural,
            if self.namespaced { namespace } else { None },
            name,
        )
    }
}

/// Find a type by plural, singular, short name or kind (case-insensitive), optionally
/// qualified with its group (`imagestreams.image.openshift.io`).
pub fn lookup(name: &str) -> Option<&'static ResourceType> {
    let lower = name.to_ascii_lowercase();
    let (base, group) = match lower.split_once('.') {
        Some((b, g)) => (b.to_owned(), Some(g.to_owned())),
        None => (lower.clone(), None),
    };
    RESOURCES.iter().find(|r| {
        (r.plural == base
            || r.singular == base
            || r.short.contains(&base.as_str())
            || r.kind.eq_ignore_ascii_case(&base))
            && group.as_deref().is_none_or(|g| g == r.group)
    })
}

/// Resolve a resource argument, or kubectl's error for an unknown type.
pub fn resolve(name: &str) -> Result<&'static ResourceType, CliError> {
    lookup(name).ok_or_else(|| {
        CliError::msg(format!(
            "the server doesn't have a resource type \"{name}\""
        ))
    })
}

/// Find the type of an object by its `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.group == group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(lookup("is").unwrap().plural, "imagestreams");
        assert_eq!(lookup("ImageStreamTag").unwrap().plural, "imagestreamtags");
        assert_eq!(
            lookup("imagestreams.image.openshift.io").unwrap().kind,
            "ImageStream"
        );
        assert_eq!(lookup("ns").unwrap().kind_group(), "namespace");
        assert!(lookup("pods").is_none());
        assert_eq!(
            by_kind("image.openshift.io/v1", "ImageStream")
                .unwrap()
                .plural,
            "imagestreams"
        );
    }
}

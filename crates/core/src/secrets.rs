//! Which secrets an import may use (§11.5): the filter behind `imagestreams/{name}/secrets`
//! (§12.2) and the credentials the importer is handed.

use k8s_openapi::api::core::v1::Secret;
use tagplane_api::image::ANNOTATION_EXCLUDE_SECRET;
use tagplane_api::validation::{
    SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_DOCKERCFG, secret_type,
};

/// Whether a secret can carry registry credentials for imports (§11.5): of type
/// `kubernetes.io/dockercfg` or `kubernetes.io/dockerconfigjson`, and not annotated
/// `openshift.io/image.excludeSecret: "true"` (any other value does not exclude it).
pub fn is_pull_secret(secret: &Secret) -> bool {
    matches!(
        secret_type(secret),
        SECRET_TYPE_DOCKER_CONFIG_JSON | SECRET_TYPE_DOCKERCFG
    ) && secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_EXCLUDE_SECRET))
        .is_none_or(|v| v != "true")
}

/// The pull secrets among `secrets`, in their order (§11.5, §12.2). The stream the subresource
/// is addressed through plays no part: every pull secret of the namespace is returned.
pub fn pull_secrets(secrets: impl IntoIterator<Item = Secret>) -> Vec<Secret> {
    secrets.into_iter().filter(is_pull_secret).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use tagplane_api::meta::ObjectMeta;

    fn secret(name: &str, type_: Option<&str>, exclude: Option<&str>) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                annotations: exclude.map(|v| {
                    BTreeMap::from([(ANNOTATION_EXCLUDE_SECRET.to_owned(), v.to_owned())])
                }),
                ..Default::default()
            },
            type_: type_.map(str::to_owned),
            ..Default::default()
        }
    }

    /// §11.5: only the two docker config types, minus those annotated
    /// `openshift.io/image.excludeSecret: "true"`, in list order.
    #[test]
    fn s11_5_pull_secret_filter() {
        let all = vec![
            secret("json", Some(SECRET_TYPE_DOCKER_CONFIG_JSON), None),
            secret("opaque", Some("Opaque"), None),
            secret("untyped", None, None),
            secret("cfg", Some(SECRET_TYPE_DOCKERCFG), None),
            secret(
                "excluded",
                Some(SECRET_TYPE_DOCKER_CONFIG_JSON),
                Some("true"),
            ),
            secret("not-excluded", Some(SECRET_TYPE_DOCKERCFG), Some("false")),
            secret("odd-value", Some(SECRET_TYPE_DOCKERCFG), Some("True")),
            secret("tls", Some("kubernetes.io/tls"), None),
            secret("sa", Some("kubernetes.io/service-account-token"), None),
        ];
        let names: Vec<String> = pull_secrets(all)
            .into_iter()
            .map(|s| s.metadata.name.unwrap())
            .collect();
        assert_eq!(names, ["json", "cfg", "not-excluded", "odd-value"]);
    }

    /// §11.5: an exclude annotation on a non-pull secret changes nothing; the type alone decides
    /// otherwise.
    #[test]
    fn s11_5_is_pull_secret() {
        assert!(is_pull_secret(&secret(
            "a",
            Some(SECRET_TYPE_DOCKERCFG),
            None
        )));
        assert!(!is_pull_secret(&secret("b", Some("Opaque"), Some("false"))));
        assert!(!is_pull_secret(&secret(
            "c",
            Some(SECRET_TYPE_DOCKER_CONFIG_JSON),
            Some("true")
        )));
        assert!(pull_secrets(Vec::new()).is_empty());
    }
}

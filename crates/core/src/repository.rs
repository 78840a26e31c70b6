//! Computed repository fields of a stream (§4.8): `status.dockerImageRepository` and
//! `status.publicDockerImageRepository`, recomputed on every write and every read.

use tagplane_api::image::ImageStream;

/// Where the integrated registry is reachable, as configured on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryHostnames {
    /// Internal hostname (`--registry-hostname`), e.g. `registry.local:5000`.
    pub internal: Option<String>,
    /// Public hostname (`--public-registry-hostname`).
    pub public: Option<String>,
}

impl RegistryHostnames {
    /// The internal hostname when configured and non-empty.
    pub fn internal(&self) -> Option<&str> {
        self.internal.as_deref().filter(|h| !h.is_empty())
    }

    /// The public hostname when configured and non-empty.
    pub fn public(&self) -> Option<&str> {
        self.public.as_deref().filter(|h| !h.is_empty())
    }
}

/// `<internal>/<ns>/<name>`, or `spec.dockerImageRepository` when no internal registry is
/// configured (possibly empty).
pub fn docker_image_repository(stream: &ImageStream, hosts: &RegistryHostnames) -> String {
    match hosts.internal() {
        Some(h) => format!("{h}/{}/{}", ns(stream), name(stream)),
        None => stream.spec.docker_image_repository.clone(),
    }
}

/// `<public>/<ns>/<name>`, or empty when no public hostname is configured.
pub fn public_docker_image_repository(stream: &ImageStream, hosts: &RegistryHostnames) -> String {
    match hosts.public() {
        Some(h) => format!("{h}/{}/{}", ns(stream), name(stream)),
        None => String::new(),
    }
}

/// Recompute both repository fields in place (the read-time decorator).
pub fn decorate(stream: &mut ImageStream, hosts: &RegistryHostnames) {
    stream.status.docker_image_repository = docker_image_repository(stream, hosts);
    stream.status.public_docker_image_repository = public_docker_image_repository(stream, hosts);
}

fn ns(stream: &ImageStream) -> &str {
    stream.metadata.namespace.as_deref().unwrap_or("")
}

fn name(stream: &ImageStream) -> &str {
    stream.metadata.name.as_deref().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::stream;

    /// §4.8 and §18 item 9: internal host wins, spec repository is the fallback, stored values
    /// are ignored.
    #[test]
    fn s4_8_repository_fields() {
        let mut s = stream("ns", "app");
        s.spec.docker_image_repository = "quay.io/org/app".into();
        s.status.docker_image_repository = "stale".into();
        s.status.public_docker_image_repository = "stale".into();
        decorate(&mut s, &RegistryHostnames::default());
        assert_eq!(s.status.docker_image_repository, "quay.io/org/app");
        assert_eq!(s.status.public_docker_image_repository, "");
        let hosts = RegistryHostnames {
            internal: Some("registry.local:5000".into()),
            public: Some("registry.example.com".into()),
        };
        decorate(&mut s, &hosts);
        assert_eq!(
            s.status.docker_image_repository,
            "registry.local:5000/ns/app"
        );
        assert_eq!(
            s.status.public_docker_image_repository,
            "registry.example.com/ns/app"
        );
        // empty strings count as unset
        let empty = RegistryHostnames {
            internal: Some(String::new()),
            public: Some(String::new()),
        };
        decorate(&mut s, &empty);
        assert_eq!(s.status.docker_image_repository, "quay.io/org/app");
    }
}

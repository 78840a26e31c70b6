//! §11.2 registry configuration as pure matching: pull-through mirrors chosen by the longest
//! `registries.conf`-style source prefix, blocked registries and registries treated as insecure.
//!
//! OpenShift builds this from the cluster image config and ICSP/IDMS/ITMS objects; tagplane
//! takes it from `tagplane serve` flags (`--registry-mirror`, `--blocked-registry`,
//! `--insecure-registry`). The importer asks [`RegistrySources::pull_sources`] where to fetch a
//! reference from before any network access.

use tagplane_api::reference::ImageReference;

/// Why a registry setting is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourcesError {
    /// A mirror flag without `=`.
    #[error("invalid mirror {0:?}: expected SOURCE=MIRROR, e.g. docker.io=mirror.example.com:5000")]
    MissingEquals(String),
    /// A source or mirror location that is not `host[:port][/path]`.
    #[error("invalid registry location {location:?}: {reason}")]
    InvalidLocation {
        /// The location as given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A registry host pattern that is not `host[:port]` or `*.domain[:port]`.
    #[error("invalid registry host {host:?}: expected host[:port] or *.domain[:port]")]
    InvalidHost {
        /// The host as given.
        host: String,
    },
}

/// One place to pull a reference from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullSource {
    /// The reference rewritten onto the mirror (or the defaulted source itself), with the
    /// original tag and digest.
    pub reference: ImageReference,
    /// Whether this is a mirror rather than the source.
    pub mirror: bool,
    /// Whether plain HTTP / unverified TLS is allowed: the request's `importPolicy.insecure`
    /// or this registry listed as insecure (§11.2).
    pub insecure: bool,
}

/// Where to pull a reference from (§11.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullSources {
    /// The registry is blocked and no usable mirror exists: fail with Forbidden
    /// `forbidden: registry <registry> blocked` without any network access.
    Blocked {
        /// The source registry as the defaulted reference names it (`docker.io`, `quay.io`).
        registry: String,
    },
    /// Try these in order (mirrors first, then the source); the first success wins.
    Try(Vec<PullSource>),
}

/// Mirrors of one source prefix, tried in order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MirrorSet {
    source: String,
    mirrors: Vec<String>,
}

/// The registry configuration of §11.2.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistrySources {
    mirror_sets: Vec<MirrorSet>,
    blocked: Vec<String>,
    insecure: Vec<String>,
}

/// Lower-case a host and fold Docker Hub's aliases into `docker.io`.
fn normalize_host(host: &str) -> String {
    let h = host.to_ascii_lowercase();
    match h.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => h,
    }
}

fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.contains(']') || n.ends_with(']') => (n, Some(p)),
        _ => (host, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    port_ok && name_ok
}

/// Normalize `host[:port][/path]`: lower-case host with Hub aliases folded, no trailing `/`,
/// path components as repository names allow.
fn normalize_location(location: &str) -> Result<String, SourcesError> {
    let bad = |reason: &str| SourcesError::InvalidLocation {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = location.trim().trim_end_matches('/');
    if trimmed.contains("://") {
        return Err(bad("give host[:port][/path] without a scheme"));
    }
    if trimmed.contains('@') {
        return Err(bad("a location names a repository prefix, not a digest"));
    }
    let mut parts = trimmed.split('/');
    let host = parts.next().unwrap_or_default();
    if !valid_host(host) {
        return Err(bad("the first component must be a registry host[:port]"));
    }
    let mut out = normalize_host(host);
    for c in parts {
        let ok = !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if !ok {
            return Err(bad(
                "path components must be lower-case repository name components (no tag)",
            ));
        }
        out.push('/');
        out.push_str(c);
    }
    Ok(out)
}

/// Whether `host` matches the pattern `pattern` (`host[:port]` exactly, or `*.domain[:port]`
/// for any subdomain), both normalized.
fn host_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .strip_suffix(suffix)
            .is_some_and(|head| head.ends_with('.') && head.len() > 1),
        None => pattern == host,
    }
}

/// `host/path` of a defaulted reference (`docker.io/library/busybox`).
fn location_of(defaulted: &ImageReference) -> String {
    format!(
        "{}/{}",
        normalize_host(&defaulted.registry),
        defaulted.repository_name()
    )
}

impl RegistrySources {
    /// No mirrors, nothing blocked, nothing insecure.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse a `SOURCE=MIRROR` flag value into its two locations.
    pub fn parse_mirror_flag(flag: &str) -> Result<(String, String), SourcesError> {
        let (source, mirror) = flag
            .split_once('=')
            .ok_or_else(|| SourcesError::MissingEquals(flag.to_owned()))?;
        Ok((normalize_location(source)?, normalize_location(mirror)?))
    }

    /// Add `mirror` (a `host[:port][/path]` location) for the source prefix `source`
    /// (`host[:port]` or `host[:port]/repository/prefix`); mirrors of one source are tried in
    /// the order they were added.
    pub fn add_mirror(&mut self, source: &str, mirror: &str) -> Result<(), SourcesError> {
        let source = normalize_location(source)?;
        let mirror = normalize_location(mirror)?;
        match self.mirror_sets.iter_mut().find(|s| s.source == source) {
            Some(set) => {
                if !set.mirrors.contains(&mirror) {
                    set.mirrors.push(mirror);
                }
            }
            None => self.mirror_sets.push(MirrorSet {
                source,
                mirrors: vec![mirror],
            }),
        }
        Ok(())
    }

    fn host_pattern(host: &str) -> Result<String, SourcesError> {
        let h = host.trim();
        let plain = h.strip_prefix("*.").unwrap_or(h);
        if plain.is_empty() || plain.contains('/') || !valid_host(plain) {
            return Err(SourcesError::InvalidHost {
                host: host.to_owned(),
            });
        }
        Ok(normalize_host(h))
    }

    /// Block a registry (`host[:port]` or `*.domain`): images from it are refused unless a
    /// mirror serves them.
    pub fn block(&mut self, host: &str) -> Result<(), SourcesError> {
        let p = Self::host_pattern(host)?;
        self.blocked.push(p);
        Ok(())
    }

    /// List a registry (`host[:port]` or `*.domain`) as insecure: plain HTTP and unverified
    /// TLS are allowed for it whatever the request says (§11.2).
    pub fn add_insecure(&mut self, host: &str) -> Result<(), SourcesError> {
        let p = Self::host_pattern(host)?;
        self.insecure.push(p);
        Ok(())
    }

    /// Whether nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.mirror_sets.is_empty() && self.blocked.is_empty() && self.insecure.is_empty()
    }

    /// Whether `registry` (`host[:port]`) is blocked.
    pub fn is_blocked(&self, registry: &str) -> bool {
        let h = normalize_host(registry);
        self.blocked.iter().any(|p| host_matches(p, &h))
    }

    /// Whether `registry` (`host[:port]`) is listed as insecure.
    pub fn is_insecure(&self, registry: &str) -> bool {
        let h = normalize_host(registry);
        self.insecure.iter().any(|p| host_matches(p, &h))
    }

    /// The mirrors of the longest source prefix matching `reference` (a prefix matches the
    /// same location or any location below it, component-wise).
    fn mirrors_for(&self, location: &str) -> Option<(&str, &[String])> {
        self.mirror_sets
            .iter()
            .filter(|s| {
                location == s.source
                    || location
                        .strip_prefix(s.source.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|s| s.source.len())
            .map(|s| (s.source.as_str(), s.mirrors.as_slice()))
    }

    /// Where to pull `reference` from (§11.2): the mirrors of the longest matching source
    /// prefix in order, then the source itself; blocked registries are left out, and when
    /// nothing is left the result is [`PullSources::Blocked`]. `insecure` is the request's
    /// `importPolicy.insecure`.
    pub fn pull_sources(&self, reference: &ImageReference, insecure: bool) -> PullSources {
        let defaulted = reference.docker_client_defaults();
        let source_host = normalize_host(&defaulted.registry);
        let location = location_of(&defaulted);
        let mut out = Vec::new();
        if let Some((prefix, mirrors)) = self.mirrors_for(&location) {
            let rest = &location[prefix.len()..];
            for m in mirrors {
                let host = m.split('/').next().unwrap_or_default();
                if self.is_blocked(host) {
                    continue;
                }
                let Ok(mut r) = ImageReference::parse(&format!("{m}{rest}")) else {
                    continue;
                };
                if r.registry.is_empty() {
                    // A mirror location without a registry-looking host cannot be addressed.
                    continue;
                }
                r.tag = defaulted.tag.clone();
                r.id = defaulted.id.clone();
                out.push(PullSource {
                    insecure: insecure || self.is_insecure(host),
                    reference: r,
                    mirror: true,
                });
            }
        }
        if !self.is_blocked(&source_host) {
            out.push(PullSource {
                insecure: insecure || self.is_insecure(&source_host),
                reference: reference.clone(),
                mirror: false,
            });
        }
        if out.is_empty() {
            return PullSources::Blocked {
                registry: defaulted.registry,
            };
        }
        PullSources::Try(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageReference {
        ImageReference::parse(s).unwrap()
    }

    fn tried(sources: &RegistrySources, reference: &str) -> Vec<(String, bool, bool)> {
        match sources.pull_sources(&r(reference), false) {
            PullSources::Try(v) => v
                .into_iter()
                .map(|s| (s.reference.exact(), s.mirror, s.insecure))
                .collect(),
            PullSources::Blocked { registry } => {
                vec![(format!("blocked {registry}"), false, false)]
            }
        }
    }

    #[test]
    fn s11_2_mirror_flags_parse_and_normalize() {
        assert_eq!(
            RegistrySources::parse_mirror_flag("Docker.IO=mirror.local:5000/hub/"),
            Ok(("docker.io".to_owned(), "mirror.local:5000/hub".to_owned()))
        );
        assert_eq!(
            RegistrySources::parse_mirror_flag("index.docker.io/library=m.local"),
            Ok(("docker.io/library".to_owned(), "m.local".to_owned()))
        );
        for bad in [
            "docker.io",
            "=m.local",
            "docker.io=",
            "https://quay.io=m.local",
            "quay.io/a:tag=m.local",
            "quay.io/A=m.local",
            "quay.io=m.local/x@sha256:00",
            "quay.io=m.local:port",
        ] {
            assert!(RegistrySources::parse_mirror_flag(bad).is_err(), "{bad}");
        }
        let mut s = RegistrySources::new();
        assert!(s.block("quay.io/x").is_err());
        assert!(s.block("").is_err());
        assert!(s.add_insecure("*.").is_err());
        assert!(s.is_empty());
    }

    #[test]
    fn s11_2_no_configuration_tries_the_source_only() {
        let s = RegistrySources::new();
        assert_eq!(
            tried(&s, "quay.io/a/b:v1"),
            [("quay.io/a/b:v1".to_owned(), false, false)]
        );
        match s.pull_sources(&r("quay.io/a/b:v1"), true) {
            PullSources::Try(v) => assert!(v[0].insecure),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn s11_2_mirrors_in_order_then_the_source() {
        let mut s = RegistrySources::new();
        s.add_mirror("quay.io", "m1.local:5000").unwrap();
        s.add_mirror("quay.io", "m2.local/quay").unwrap();
        let d = format!("sha256:{}", "1".repeat(64));
        assert_eq!(
            tried(&s, "quay.io/team/app:v1"),
            [
                ("m1.local:5000/team/app:v1".to_owned(), true, false),
                ("m2.local/quay/team/app:v1".to_owned(), true, false),
                ("quay.io/team/app:v1".to_owned(), false, false),
            ]
        );
        // Digests are kept; the source is kept in the user's spelling.
        let got = tried(&s, &format!("Quay.io/team/app@{d}"));
        assert_eq!(got[0].0, format!("m1.local:5000/team/app@{d}"));
        assert_eq!(got[2].0, format!("Quay.io/team/app@{d}"));
        // Other registries are untouched.
        assert_eq!(tried(&s, "quay.iox/a/b:v1").len(), 1);
    }

    #[test]
    fn s11_2_longest_prefix_wins_component_wise() {
        let mut s = RegistrySources::new();
        s.add_mirror("docker.io", "hub.local").unwrap();
        s.add_mirror("docker.io/library", "lib.local/official")
            .unwrap();
        s.add_mirror("docker.io/library/redis", "redis.local/r")
            .unwrap();
        // `busybox` defaults to docker.io/library/busybox:latest.
        assert_eq!(
            tried(&s, "busybox")[0].0,
            "lib.local/official/busybox:latest"
        );
        assert_eq!(tried(&s, "redis:7")[0].0, "redis.local/r:7");
        // `library/redisx` is not below `library/redis`.
        assert_eq!(tried(&s, "redisx:1")[0].0, "lib.local/official/redisx:1");
        assert_eq!(tried(&s, "team/app:2")[0].0, "hub.local/team/app:2");
        // Hub aliases are the same registry.
        assert_eq!(
            tried(&s, "registry-1.docker.io/team/app:2")[0].0,
            "hub.local/team/app:2"
        );
        assert_eq!(tried(&s, "busybox").len(), 2, "one mirror, then the source");
    }

    #[test]
    fn s11_2_blocked_registry_without_mirrors_is_refused() {
        let mut s = RegistrySources::new();
        s.block("quay.io").unwrap();
        s.block("*.blocked.example").unwrap();
        assert_eq!(
            s.pull_sources(&r("quay.io/a/b:v1"), false),
            PullSources::Blocked {
                registry: "quay.io".to_owned()
            }
        );
        assert_eq!(
            s.pull_sources(&r("busybox"), false),
            PullSources::Try(vec![PullSource {
                reference: r("busybox"),
                mirror: false,
                insecure: false
            }])
        );
        assert!(s.is_blocked("a.blocked.example"));
        assert!(s.is_blocked("A.B.Blocked.Example"));
        assert!(!s.is_blocked("blocked.example"));
        assert!(!s.is_blocked("quay.io:443"), "ports are part of the host");
        assert_eq!(
            tried(&s, "x.blocked.example/a/b"),
            [("blocked x.blocked.example".to_owned(), false, false)]
        );
    }

    #[test]
    fn s11_2_blocked_registry_with_mirrors_uses_only_the_mirrors() {
        let mut s = RegistrySources::new();
        s.block("quay.io").unwrap();
        s.block("bad-mirror.local").unwrap();
        s.add_mirror("quay.io/team", "bad-mirror.local").unwrap();
        s.add_mirror("quay.io/team", "good.local:5000").unwrap();
        assert_eq!(
            tried(&s, "quay.io/team/app:v1"),
            [("good.local:5000/app:v1".to_owned(), true, false)]
        );
        // Outside the mirrored prefix the block applies.
        assert_eq!(
            tried(&s, "quay.io/other/app:v1"),
            [("blocked quay.io".to_owned(), false, false)]
        );
        // Only blocked mirrors: still blocked.
        let mut t = RegistrySources::new();
        t.block("quay.io").unwrap();
        t.block("m.local").unwrap();
        t.add_mirror("quay.io", "m.local").unwrap();
        assert_eq!(
            tried(&t, "quay.io/a/b"),
            [("blocked quay.io".to_owned(), false, false)]
        );
    }

    #[test]
    fn s11_2_insecure_registries() {
        let mut s = RegistrySources::new();
        s.add_insecure("127.0.0.1:5000").unwrap();
        s.add_insecure("*.lan").unwrap();
        s.add_mirror("quay.io", "cache.lan").unwrap();
        assert_eq!(
            tried(&s, "127.0.0.1:5000/a/b:v1"),
            [("127.0.0.1:5000/a/b:v1".to_owned(), false, true)]
        );
        assert_eq!(
            tried(&s, "127.0.0.1:5001/a/b:v1"),
            [("127.0.0.1:5001/a/b:v1".to_owned(), false, false)]
        );
        assert_eq!(
            tried(&s, "quay.io/a/b:v1"),
            [
                ("cache.lan/a/b:v1".to_owned(), true, true),
                ("quay.io/a/b:v1".to_owned(), false, false)
            ]
        );
        assert!(s.is_insecure("CACHE.lan"));
        assert!(!s.is_insecure("lan"));
    }
}

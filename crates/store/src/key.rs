//! Store keys: `/<resource>/<namespace>/<name>` or `/<resource>/<name>`, with every component
//! validated so that no input can inject a separator or reach another object's key.

use std::fmt;

use crate::{Result, StoreError};

/// Longest accepted name (Kubernetes names are at most 253; image signature names are longer
/// than DNS names but far below this).
const MAX_NAME: usize = 512;

/// The key of one object.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    encoded: String,
    resource_len: usize,
    namespace: Option<(usize, usize)>,
}

/// A key prefix: all objects of a resource, or of a resource in one namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prefix {
    encoded: String,
}

fn check_resource(resource: &str) -> Result<()> {
    let ok = !resource.is_empty()
        && resource.len() <= 128
        && resource
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !resource.starts_with(['.', '-'])
        && !resource.ends_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKey(format!("resource {resource:?}")))
    }
}

fn check_namespace(ns: &str) -> Result<()> {
    let b = ns.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKey(format!("namespace {ns:?}")))
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name != "."
        && name != ".."
        && !name.chars().any(|c| c == '/' || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidKey(format!("name {name:?}")))
    }
}

impl Key {
    /// The key of a namespaced object.
    pub fn namespaced(resource: &str, namespace: &str, name: &str) -> Result<Key> {
        check_resource(resource)?;
        check_namespace(namespace)?;
        check_name(name)?;
        let encoded = format!("/{resource}/{namespace}/{name}");
        let ns_start = 1 + resource.len() + 1;
        Ok(Key {
            encoded,
            resource_len: resource.len(),
            namespace: Some((ns_start, namespace.len())),
        })
    }

    /// The key of a cluster-scoped object.
    pub fn cluster(resource: &str, name: &str) -> Result<Key> {
        check_resource(resource)?;
        check_name(name)?;
        Ok(Key {
            encoded: format!("/{resource}/{name}"),
            resource_len: resource.len(),
            namespace: None,
        })
    }

    /// Rebuild a key from its encoded form (as stored).
    pub fn decode(encoded: &str) -> Result<Key> {
        let parts: Vec<&str> = encoded.strip_prefix('/').unwrap_or("").split('/').collect();
        match parts.as_slice() {
            [r, ns, n] => Key::namespaced(r, ns, n),
            [r, n] => Key::cluster(r, n),
            _ => Err(StoreError::InvalidKey(format!("encoded key {encoded:?}"))),
        }
    }

    /// The encoded form, used as the backend key.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// The resource (`imagestreams`).
    pub fn resource(&self) -> &str {
        &self.encoded[1..1 + self.resource_len]
    }

    /// The namespace, for namespaced objects.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.map(|(s, l)| &self.encoded[s..s + l])
    }

    /// The object name.
    pub fn name(&self) -> &str {
        self.encoded.rsplit('/').next().unwrap_or("")
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.encoded)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

impl Prefix {
    /// Every object of `resource` (all namespaces, or all cluster-scoped objects).
    pub fn resource(resource: &str) -> Result<Prefix> {
        check_resource(resource)?;
        Ok(Prefix {
            encoded: format!("/{resource}/"),
        })
    }

    /// Every object of `resource` in `namespace`.
    pub fn namespace(resource: &str, namespace: &str) -> Result<Prefix> {
        check_resource(resource)?;
        check_namespace(namespace)?;
        Ok(Prefix {
            encoded: format!("/{resource}/{namespace}/"),
        })
    }

    /// The encoded prefix (ends with `/`).
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// Whether `key` lies under this prefix.
    pub fn contains(&self, key: &str) -> bool {
        key.starts_with(&self.encoded)
    }

    /// The smallest string greater than every key under the prefix (`/` + 1 = `0`).
    pub fn range_end(&self) -> String {
        let mut end = self.encoded.clone();
        end.pop();
        end.push('0');
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_roundtrip_and_reject_injection() {
        let k = Key::namespaced("imagestreams", "demo", "app").unwrap();
        assert_eq!(k.as_str(), "/imagestreams/demo/app");
        assert_eq!(
            (k.resource(), k.namespace(), k.name()),
            ("imagestreams", Some("demo"), "app")
        );
        assert_eq!(Key::decode(k.as_str()).unwrap(), k);
        let c = Key::cluster("images", "sha256:abc").unwrap();
        assert_eq!(c.namespace(), None);
        assert_eq!(Key::decode(c.as_str()).unwrap(), c);
        for (r, ns, n) in [
            ("imagestreams", "demo", "a/b"),
            ("imagestreams", "de/mo", "a"),
            ("image/streams", "demo", "a"),
            ("imagestreams", "demo", ""),
            ("imagestreams", "demo", ".."),
            ("imagestreams", "demo", "a\0b"),
            ("imagestreams", "Demo", "a"),
            ("", "demo", "a"),
        ] {
            assert!(Key::namespaced(r, ns, n).is_err(), "{r} {ns} {n}");
        }
        assert!(Key::decode("/a/b/c/d").is_err());
        assert!(Key::decode("nonsense").is_err());
    }

    #[test]
    fn prefixes() {
        let p = Prefix::namespace("imagestreams", "demo").unwrap();
        assert!(p.contains("/imagestreams/demo/app"));
        assert!(!p.contains("/imagestreams/demo2/app"));
        assert_eq!(p.range_end(), "/imagestreams/demo0");
        assert!(*"/imagestreams/demo/zzz" < *p.range_end());
    }
}

//! Registry credentials from Kubernetes pull secrets, matched the way the kubelet keyring does
//! (spec §11.5): host globs, ports, path prefixes, most specific entry first, first match wins.
//!
//! Entry point: [`Keyring::from_secrets`], then [`Keyring::lookup_reference`]. Neither the
//! [`Credential`] nor the [`Keyring`] ever prints a username or password: `Debug` redacts them,
//! and the warnings about unusable secrets name the secret, never its content.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;
use tagplane_api::reference::ImageReference;
use tagplane_api::validation::{
    DOCKER_CONFIG_JSON_KEY, DOCKERCFG_KEY, SECRET_TYPE_DOCKER_CONFIG_JSON, SECRET_TYPE_DOCKERCFG,
    secret_type,
};
use tagplane_core::manifest::sha256_digest;
use tagplane_core::secrets::is_pull_secret;

/// The Docker Hub host that keyring keys and lookups are folded to.
const DOCKER_HUB: &str = "docker.io";

/// A username and password for one registry. `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    username: String,
    password: String,
}

impl Credential {
    /// A credential from a username and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credential {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A stable, non-reversible identifier of this credential, used to key token caches.
    pub(crate) fn fingerprint(&self) -> String {
        let mut material = Vec::with_capacity(self.username.len() + self.password.len() + 1);
        material.extend_from_slice(self.username.as_bytes());
        material.push(0);
        material.extend_from_slice(self.password.as_bytes());
        sha256_digest(&material)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(<redacted>)")
    }
}

/// Why one pull secret contributed nothing to a [`Keyring`]. Never contains secret content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretWarning {
    /// Name of the secret.
    pub secret: String,
    /// What was wrong, without any of the secret's content.
    pub reason: String,
}

/// Credentials for registries, looked up by image (spec §11.5).
#[derive(Clone, Default)]
pub struct Keyring {
    /// Normalised keys (`host[:port][/path]`), most specific (reverse-lexicographic) first.
    index: Vec<String>,
    /// Credentials per key, in the order they were added.
    creds: BTreeMap<String, Vec<Credential>>,
    warnings: Vec<SecretWarning>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self
            .index
            .iter()
            .map(|k| format!("{k} ({} credential(s), redacted)", self.creds[k].len()))
            .collect();
        f.debug_struct("Keyring")
            .field("entries", &entries)
            .field("warnings", &self.warnings)
            .finish()
    }
}

/// One entry of a docker config: `auth` (base64 `user:pass`) wins over `username`/`password`.
#[derive(Deserialize)]
struct RawEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
struct RawDockerConfigJson {
    #[serde(default)]
    auths: Option<BTreeMap<String, RawEntry>>,
}

/// Why a docker config could not be read; printed without content.
#[derive(Debug)]
struct ConfigError(String);

impl Keyring {
    /// An empty keyring (anonymous access everywhere).
    pub fn new() -> Self {
        Keyring::default()
    }

    /// A keyring from the pull secrets among `secrets`, in order: `kubernetes.io/dockerconfigjson`
    /// (`.dockerconfigjson`, `{"auths": {...}}`) and `kubernetes.io/dockercfg` (`.dockercfg`,
    /// `{host: {...}}`), skipping secrets annotated `openshift.io/image.excludeSecret: "true"`
    /// and other types. A secret that cannot be parsed is skipped as a whole (as the kubelet
    /// does) and reported in [`warnings`](Self::warnings).
    pub fn from_secrets<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut keyring = Keyring::new();
        for secret in secrets {
            if !is_pull_secret(secret) {
                continue;
            }
            let name = secret.metadata.name.clone().unwrap_or_default();
            let (key, legacy) = match secret_type(secret) {
                SECRET_TYPE_DOCKER_CONFIG_JSON => (DOCKER_CONFIG_JSON_KEY, false),
                SECRET_TYPE_DOCKERCFG => (DOCKERCFG_KEY, true),
                _ => continue,
            };
            let data = secret
                .data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|b| b.0.clone())
                .or_else(|| {
                    secret
                        .string_data
                        .as_ref()
                        .and_then(|d| d.get(key))
                        .map(|s| s.as_bytes().to_vec())
                });
            let Some(data) = data.filter(|d| !d.is_empty()) else {
                keyring.warnings.push(SecretWarning {
                    secret: name,
                    reason: format!("no {key} data"),
                });
                continue;
            };
            let parsed = if legacy {
                parse_dockercfg(&data)
            } else {
                parse_dockerconfigjson(&data)
            };
            match parsed {
                Ok(entries) => {
                    for (location, credential) in entries {
                        keyring.add(&location, credential);
                    }
                }
                Err(ConfigError(reason)) => {
                    tracing::warn!(secret = %name, %reason, "ignoring unusable pull secret");
                    keyring.warnings.push(SecretWarning {
                        secret: name,
                        reason,
                    });
                }
            }
        }
        keyring
    }

    /// Add one credential for a docker-config location (`quay.io`, `https://index.docker.io/v1/`,
    /// `*.example.com:5000/org`, ...). Entries with neither username nor password are ignored.
    pub fn add(&mut self, location: &str, credential: Credential) {
        if credential.username.is_empty() && credential.password.is_empty() {
            return;
        }
        let key = normalize_key(location);
        let list = self.creds.entry(key.clone()).or_default();
        list.push(credential);
        if !self.index.contains(&key) {
            self.index.push(key);
            // Reverse lexicographic order puts the more specific of two related keys first.
            self.index.sort_by(|a, b| b.cmp(a));
        }
    }

    /// Whether the keyring holds no credentials.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The secrets that were skipped while building the keyring, and why.
    pub fn warnings(&self) -> &[SecretWarning] {
        &self.warnings
    }

    /// Every credential matching `image` (`host[:port]/path`, no scheme, tag or digest), most
    /// specific key first, and in insertion order within a key.
    pub fn lookup_all(&self, image: &str) -> Vec<&Credential> {
        let target = parse_location(&normalize_image(image));
        self.index
            .iter()
            .filter(|key| urls_match(&parse_location(key), &target))
            .flat_map(|key| self.creds[key].iter())
            .collect()
    }

    /// The credential for `image` (`host[:port]/path`): the first match (spec §11.5).
    pub fn lookup(&self, image: &str) -> Option<&Credential> {
        self.lookup_all(image).into_iter().next()
    }

    /// The credential for a reference, matched on its fully defaulted repository
    /// (`docker.io/library/x`).
    pub fn lookup_reference(&self, reference: &ImageReference) -> Option<&Credential> {
        let mut r = reference.docker_client_defaults().as_repository();
        r.tag.clear();
        self.lookup(&r.exact())
    }
}

fn parse_dockerconfigjson(data: &[u8]) -> Result<Vec<(String, Credential)>, ConfigError> {
    let raw: RawDockerConfigJson = serde_json::from_slice(data).map_err(json_error)?;
    entries(raw.auths.unwrap_or_default())
}

fn parse_dockercfg(data: &[u8]) -> Result<Vec<(String, Credential)>, ConfigError> {
    let raw: BTreeMap<String, RawEntry> = serde_json::from_slice(data).map_err(json_error)?;
    entries(raw)
}

/// A JSON error described by category and position only: serde's messages can quote values.
fn json_error(err: serde_json::Error) -> ConfigError {
    let category = match err.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON structure",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    ConfigError(format!(
        "{category} at line {} column {}",
        err.line(),
        err.column()
    ))
}

fn entries(raw: BTreeMap<String, RawEntry>) -> Result<Vec<(String, Credential)>, ConfigError> {
    let mut out = Vec::with_capacity(raw.len());
    for (location, entry) in raw {
        let credential = match entry.auth.as_deref().filter(|a| !a.is_empty()) {
            Some(auth) => decode_auth(auth)?,
            None => Credential::new(
                entry.username.unwrap_or_default(),
                entry.password.unwrap_or_default(),
            ),
        };
        out.push((location, credential));
    }
    Ok(out)
}

/// Decode an `auth` field: base64 of `username:password`.
fn decode_auth(auth: &str) -> Result<Credential, ConfigError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| ConfigError("auth field is not valid base64".to_owned()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigError("auth field is not valid UTF-8".to_owned()))?;
    match text.split_once(':') {
        Some((user, pass)) => Ok(Credential::new(user, pass)),
        None => Err(ConfigError(
            "unable to parse auth field, must be formatted as base64(username:password)".to_owned(),
        )),
    }
}

/// Fold Docker Hub's host aliases into `docker.io`.
fn fold_hub(host: &str) -> &str {
    match host {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => DOCKER_HUB,
        other => other,
    }
}

/// A docker-config location as a keyring key: scheme dropped, `/v1/`/`/v2/` prefixes stripped,
/// a bare `/` path dropped, Hub aliases folded, host lower-cased.
fn normalize_key(location: &str) -> String {
    let rest = location
        .strip_prefix("https://")
        .or_else(|| location.strip_prefix("http://"))
        .unwrap_or(location);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut path = path;
    if path.starts_with("/v2/") || path.starts_with("/v1/") {
        path = &path[3..];
    } else if path == "/v1" || path == "/v2" {
        path = "";
    }
    let host = host.to_ascii_lowercase();
    let host = fold_hub(&host);
    if path.is_empty() || path == "/" {
        host.to_owned()
    } else {
        format!("{host}{path}")
    }
}

/// An image (`host[:port]/path`) prepared for matching: Hub aliases folded, host lower-cased.
fn normalize_image(image: &str) -> String {
    let rest = image
        .strip_prefix("https://")
        .or_else(|| image.strip_prefix("http://"))
        .unwrap_or(image);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let host = host.to_ascii_lowercase();
    format!("{}{path}", fold_hub(&host))
}

/// A schemeless URL split the way the kubelet's `splitURL` does.
struct Location {
    host_parts: Vec<String>,
    port: String,
    path: String,
}

fn parse_location(s: &str) -> Location {
    let (host, path) = match s.find('/') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let (hostname, port) = split_host_port(host);
    Location {
        host_parts: hostname.split('.').map(str::to_owned).collect(),
        port: port.to_owned(),
        path: path.to_owned(),
    }
}

/// Go's `net.SplitHostPort`, falling back to (whole, "") when there is no port.
fn split_host_port(host: &str) -> (&str, &str) {
    if let Some(inner) = host.strip_prefix('[') {
        if let Some((h, rest)) = inner.split_once(']')
            && let Some(port) = rest.strip_prefix(':')
        {
            return (h, port);
        }
        return (host, "");
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p),
        _ => (host, ""),
    }
}

/// The kubelet's `URLsMatch`: same port, same number of host labels, each label glob-matches,
/// and the key's path is a prefix of the target's.
fn urls_match(glob: &Location, target: &Location) -> bool {
    glob.port == target.port
        && glob.host_parts.len() == target.host_parts.len()
        && target.path.starts_with(&glob.path)
        && glob
            .host_parts
            .iter()
            .zip(&target.host_parts)
            .all(|(g, t)| glob_match(g.as_bytes(), t.as_bytes()))
}

/// Go's `filepath.Match` for one host label: `*`, `?`, `[...]` classes with ranges and `^`
/// negation, `\` escapes. A malformed pattern matches nothing.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.first() {
        None => text.is_empty(),
        Some(b'*') => {
            let rest = &pattern[1..];
            (0..=text.len()).any(|i| glob_match(rest, &text[i..]))
        }
        Some(b'?') => !text.is_empty() && glob_match(&pattern[1..], &text[1..]),
        Some(b'[') => {
            let Some((&c, text_rest)) = text.split_first() else {
                return false;
            };
            match match_class(&pattern[1..], c) {
                Some((true, rest)) => glob_match(rest, text_rest),
                _ => false,
            }
        }
        Some(b'\\') => match (pattern.get(1), text.first()) {
            (Some(p), Some(t)) if p == t => glob_match(&pattern[2..], &text[1..]),
            _ => false,
        },
        Some(p) => text.first() == Some(p) && glob_match(&pattern[1..], &text[1..]),
    }
}

/// Match `c` against a character class whose `[` was consumed; returns whether it matched and
/// the pattern after the closing `]`, or `None` for a malformed class.
fn match_class(mut p: &[u8], c: u8) -> Option<(bool, &[u8])> {
    let negated = p.first() == Some(&b'^');
    if negated {
        p = &p[1..];
    }
    let mut matched = false;
    let mut first = true;
    loop {
        match p.first() {
            None => return None,
            Some(b']') if !first => return Some((matched != negated, &p[1..])),
            _ => {}
        }
        first = false;
        let (lo, rest) = class_char(p)?;
        p = rest;
        let hi = if p.first() == Some(&b'-') {
            let (hi, rest) = class_char(&p[1..])?;
            p = rest;
            hi
        } else {
            lo
        };
        if lo <= c && c <= hi {
            matched = true;
        }
    }
}

/// One (possibly escaped) character of a class; an unescaped `-` or `]` here is malformed.
fn class_char(p: &[u8]) -> Option<(u8, &[u8])> {
    match p {
        [b'\\', c, rest @ ..] => Some((*c, rest)),
        [b'-' | b']', ..] | [] => None,
        [c, rest @ ..] => Some((*c, rest)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use tagplane_api::image::ANNOTATION_EXCLUDE_SECRET;
    use tagplane_api::meta::ObjectMeta;

    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn secret(name: &str, type_: &str, key: &str, json: &str, exclude: Option<&str>) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                annotations: exclude.map(|v| {
                    BTreeMap::from([(ANNOTATION_EXCLUDE_SECRET.to_owned(), v.to_owned())])
                }),
                ..Default::default()
            },
            type_: Some(type_.into()),
            data: Some(BTreeMap::from([(
                key.to_owned(),
                ByteString(json.as_bytes().to_vec()),
            )])),
            ..Default::default()
        }
    }

    fn json_secret(name: &str, auths: &[(&str, &str)]) -> Secret {
        let auths: serde_json::Map<String, serde_json::Value> = auths
            .iter()
            .map(|(loc, user)| {
                (
                    (*loc).to_owned(),
                    serde_json::json!({"auth": b64(&format!("{user}:pw-{user}"))}),
                )
            })
            .collect();
        let body = serde_json::json!({ "auths": auths }).to_string();
        secret(
            name,
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            &body,
            None,
        )
    }

    fn user_for(keyring: &Keyring, image: &str) -> Option<String> {
        keyring.lookup(image).map(|c| c.username().to_owned())
    }

    /// §11.5: host globs, ports, path prefixes, scheme and `/v1/` suffixes, Hub aliases, and
    /// most-specific-first ordering, as a table of (keyring keys, image, expected user).
    #[test]
    fn s11_5_keyring_matching_table() {
        #[allow(clippy::type_complexity)]
        let cases: &[(&[(&str, &str)], &str, Option<&str>)] = &[
            // Exact host.
            (&[("quay.io", "q")], "quay.io/org/app", Some("q")),
            (&[("quay.io", "q")], "example.com/org/app", None),
            // Port must match exactly.
            (
                &[("localhost:5000", "l")],
                "localhost:5000/ns/app",
                Some("l"),
            ),
            (&[("localhost:5000", "l")], "localhost:5001/ns/app", None),
            (&[("localhost:5000", "l")], "localhost/ns/app", None),
            (&[("localhost", "l")], "localhost:5000/ns/app", None),
            (
                &[("127.0.0.1:5001", "ip")],
                "127.0.0.1:5001/ns/app",
                Some("ip"),
            ),
            // Globs per host label; the label count must match.
            (
                &[("*.example.com", "g")],
                "registry.example.com/a/b",
                Some("g"),
            ),
            (&[("*.example.com", "g")], "example.com/a/b", None),
            (&[("*.example.com", "g")], "a.b.example.com/a/b", None),
            (
                &[("*.*.example.com", "g")],
                "a.b.example.com/a/b",
                Some("g"),
            ),
            (
                &[("reg?.example.com", "g")],
                "reg1.example.com/x",
                Some("g"),
            ),
            (
                &[("reg[0-4].example.com", "g")],
                "reg3.example.com/x",
                Some("g"),
            ),
            (&[("reg[0-4].example.com", "g")], "reg7.example.com/x", None),
            (
                &[("*.example.com:5000", "gp")],
                "r.example.com:5000/x",
                Some("gp"),
            ),
            (&[("*.example.com:5000", "gp")], "r.example.com/x", None),
            // Path prefixes (plain string prefixes, as in the kubelet).
            (&[("quay.io/org", "o")], "quay.io/org/app", Some("o")),
            (&[("quay.io/org", "o")], "quay.io/other/app", None),
            (&[("quay.io/org/app", "oa")], "quay.io/org/app", Some("oa")),
            // Schemes and /v1/ /v2/ suffixes are stripped.
            (&[("https://quay.io", "s")], "quay.io/org/app", Some("s")),
            (
                &[("http://127.0.0.1:5001/v2/", "h")],
                "127.0.0.1:5001/ns/app",
                Some("h"),
            ),
            (
                &[("https://quay.io/v1/", "v")],
                "quay.io/org/app",
                Some("v"),
            ),
            (&[("quay.io/v2/org", "v")], "quay.io/org/app", Some("v")),
            // Docker Hub aliases.
            (
                &[("https://index.docker.io/v1/", "hub")],
                "docker.io/library/busybox",
                Some("hub"),
            ),
            (
                &[("index.docker.io", "hub")],
                "docker.io/library/busybox",
                Some("hub"),
            ),
            (
                &[("registry-1.docker.io", "hub")],
                "docker.io/library/busybox",
                Some("hub"),
            ),
            (
                &[("docker.io", "hub")],
                "index.docker.io/library/busybox",
                Some("hub"),
            ),
            (&[("docker.io", "hub")], "quay.io/library/busybox", None),
            // Most specific first.
            (
                &[("quay.io", "host"), ("quay.io/org", "org")],
                "quay.io/org/app",
                Some("org"),
            ),
            (
                &[("quay.io/org", "org"), ("quay.io", "host")],
                "quay.io/org/app",
                Some("org"),
            ),
            (
                &[("quay.io/org", "org"), ("quay.io", "host")],
                "quay.io/x/app",
                Some("host"),
            ),
            (
                &[("*.example.com", "glob"), ("reg.example.com", "exact")],
                "reg.example.com/a",
                Some("exact"),
            ),
            (
                &[("quay.io/org", "org"), ("quay.io/org/app", "app")],
                "quay.io/org/app",
                Some("app"),
            ),
        ];
        for (keys, image, want) in cases {
            let mut keyring = Keyring::new();
            for (loc, user) in *keys {
                keyring.add(loc, Credential::new(*user, "pw"));
            }
            assert_eq!(
                user_for(&keyring, image).as_deref(),
                *want,
                "keys {keys:?}, image {image}"
            );
        }
    }

    /// §11.5: secrets of both types, the exclude annotation, list order within one key, and
    /// `auth` winning over `username`/`password`.
    #[test]
    fn s11_5_keyring_from_secrets() {
        let legacy = secret(
            "legacy",
            SECRET_TYPE_DOCKERCFG,
            DOCKERCFG_KEY,
            &format!(
                r#"{{"legacy.example.com": {{"auth": "{}", "email": "x@y"}}}}"#,
                b64("old:oldpw")
            ),
            None,
        );
        let plain_fields = secret(
            "fields",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            r#"{"auths": {"fields.example.com": {"username": "u", "password": "p"}}}"#,
            None,
        );
        let both = secret(
            "both",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            &format!(
                r#"{{"auths": {{"both.example.com": {{"username": "ignored", "password": "x", "auth": "{}"}}}}}}"#,
                b64("winner:pw")
            ),
            None,
        );
        let excluded = secret(
            "excluded",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            &format!(
                r#"{{"auths": {{"quay.io": {{"auth": "{}"}}}}}}"#,
                b64("ex:pw")
            ),
            Some("true"),
        );
        let not_excluded = secret(
            "notexcluded",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            &format!(
                r#"{{"auths": {{"quay.io": {{"auth": "{}"}}}}}}"#,
                b64("first:pw")
            ),
            Some("false"),
        );
        let second = json_secret("second", &[("quay.io", "second")]);
        let opaque = secret("opaque", "Opaque", DOCKER_CONFIG_JSON_KEY, "{}", None);
        let secrets = [
            legacy,
            plain_fields,
            both,
            excluded,
            not_excluded,
            second,
            opaque,
        ];
        let keyring = Keyring::from_secrets(&secrets);
        assert!(keyring.warnings().is_empty(), "{:?}", keyring.warnings());
        assert_eq!(
            user_for(&keyring, "legacy.example.com/a/b").as_deref(),
            Some("old")
        );
        let c = keyring.lookup("fields.example.com/a/b").unwrap();
        assert_eq!((c.username(), c.password()), ("u", "p"));
        assert_eq!(
            user_for(&keyring, "both.example.com/a").as_deref(),
            Some("winner")
        );
        // The excluded secret is skipped; of the two others the first in list order wins.
        assert_eq!(user_for(&keyring, "quay.io/a/b").as_deref(), Some("first"));
        let all: Vec<&str> = keyring
            .lookup_all("quay.io/a/b")
            .iter()
            .map(|c| c.username())
            .collect();
        assert_eq!(all, ["first", "second"]);
    }

    /// §11.5: lookups by reference use the fully defaulted repository.
    #[test]
    fn s11_5_lookup_reference_defaults() {
        let mut keyring = Keyring::new();
        keyring.add("https://index.docker.io/v1/", Credential::new("hub", "pw"));
        keyring.add("docker.io/library", Credential::new("official", "pw"));
        keyring.add("localhost:5000/ns", Credential::new("local", "pw"));
        let lookup = |s: &str| {
            keyring
                .lookup_reference(&ImageReference::parse(s).unwrap())
                .map(|c| c.username().to_owned())
        };
        assert_eq!(lookup("busybox").as_deref(), Some("official"));
        assert_eq!(lookup("busybox:1.36").as_deref(), Some("official"));
        assert_eq!(lookup("someone/app").as_deref(), Some("hub"));
        assert_eq!(lookup("localhost:5000/ns/app:v1").as_deref(), Some("local"));
        assert_eq!(lookup("localhost:5000/other/app").as_deref(), None);
    }

    /// Unusable secrets are skipped whole and reported without their content; credentials
    /// never show in `Debug`.
    #[test]
    fn s11_5_bad_secrets_and_redaction() {
        let bad_json = secret(
            "badjson",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            r#"{"auths": {"quay.io": {"auth": 12345, "password": "hunter2"}}}"#,
            None,
        );
        let bad_auth = secret(
            "badauth",
            SECRET_TYPE_DOCKER_CONFIG_JSON,
            DOCKER_CONFIG_JSON_KEY,
            &format!(
                r#"{{"auths": {{"a.io": {{"auth": "{}"}}, "b.io": {{"auth": "{}"}}}}}}"#,
                b64("ok:fine"),
                b64("no-colon-hunter2")
            ),
            None,
        );
        let good = json_secret("good", &[("c.io", "secretuser")]);
        let keyring = Keyring::from_secrets(&[bad_json, bad_auth, good]);
        let warned: Vec<&str> = keyring
            .warnings()
            .iter()
            .map(|w| w.secret.as_str())
            .collect();
        assert_eq!(warned, ["badjson", "badauth"]);
        // The whole bad secret is skipped, even its good entry.
        assert!(keyring.lookup("a.io/x/y").is_none());
        assert!(keyring.lookup("c.io/x/y").is_some());
        let debug = format!("{keyring:?} {:?}", keyring.lookup("c.io/x/y"));
        for needle in ["hunter2", "secretuser", "pw-secretuser", "12345"] {
            assert!(!debug.contains(needle), "{needle} leaked: {debug}");
        }
        assert!(debug.contains("c.io"), "{debug}");
    }

    /// Go's `filepath.Match` subset used for host labels.
    #[test]
    fn glob_subset() {
        let m = |p: &str, t: &str| glob_match(p.as_bytes(), t.as_bytes());
        assert!(m("*", ""));
        assert!(m("*", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("[^a-c]x", "dx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(!m("[]]", "]"));
        assert!(m("[\\]]", "]"));
        assert!(!m("[a-", "a"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
    }
}

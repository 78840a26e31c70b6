//! Kubeconfig files: loading (`--kubeconfig`, else `KUBECONFIG` as a colon-separated list where
//! the first file wins per key, else `~/.kube/config`), and writing back to the first file so
//! the same file keeps working with `kubectl` (unknown keys are preserved).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::CliError;

/// A kubeconfig document (`apiVersion: v1`, `kind: Config`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Kubeconfig {
    /// Always `v1`.
    #[serde(rename = "apiVersion", default = "v1")]
    pub api_version: String,
    /// Always `Config`.
    #[serde(default = "config_kind")]
    pub kind: String,
    /// Named clusters.
    #[serde(default)]
    pub clusters: Vec<NamedCluster>,
    /// Named users (credentials).
    #[serde(default)]
    pub users: Vec<NamedUser>,
    /// Named contexts (cluster + user + namespace).
    #[serde(default)]
    pub contexts: Vec<NamedContext>,
    /// The context in use.
    #[serde(rename = "current-context", default)]
    pub current_context: String,
    /// Keys this program does not interpret (`preferences`, extensions…), kept on write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn v1() -> String {
    "v1".to_owned()
}

fn config_kind() -> String {
    "Config".to_owned()
}

/// `clusters[]` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NamedCluster {
    /// Entry name.
    pub name: String,
    /// The cluster.
    #[serde(default)]
    pub cluster: Cluster,
}

/// How to reach a server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cluster {
    /// Base URL, e.g. `https://127.0.0.1:6443`.
    #[serde(default)]
    pub server: String,
    /// PEM CA file.
    #[serde(
        rename = "certificate-authority",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub certificate_authority: Option<String>,
    /// Base64 PEM CA.
    #[serde(
        rename = "certificate-authority-data",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub certificate_authority_data: Option<String>,
    /// Skip server certificate verification.
    #[serde(
        rename = "insecure-skip-tls-verify",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Other keys, kept on write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `users[]` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NamedUser {
    /// Entry name.
    pub name: String,
    /// The credentials.
    #[serde(default)]
    pub user: AuthInfo,
}

/// Credentials.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthInfo {
    /// Bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// File holding the bearer token.
    #[serde(rename = "tokenFile", default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// Other keys (client certificates, exec plugins…), kept on write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `contexts[]` entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NamedContext {
    /// Entry name.
    pub name: String,
    /// The context.
    #[serde(default)]
    pub context: Context,
}

/// A cluster, a user and a default namespace.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Context {
    /// Cluster entry name.
    #[serde(default)]
    pub cluster: String,
    /// User entry name.
    #[serde(default)]
    pub user: String,
    /// Default namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Other keys, kept on write.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Kubeconfig {
    /// The cluster entry named `name`.
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.cluster)
    }

    /// The user entry named `name`.
    pub fn user(&self, name: &str) -> Option<&AuthInfo> {
        self.users.iter().find(|c| c.name == name).map(|c| &c.user)
    }

    /// The context entry named `name`.
    pub fn context(&self, name: &str) -> Option<&Context> {
        self.contexts
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.context)
    }

    /// Insert or replace the cluster `name`.
    pub fn set_cluster(&mut self, name: &str, cluster: Cluster) {
        match self.clusters.iter_mut().find(|c| c.name == name) {
            Some(c) => c.cluster = cluster,
            None => self.clusters.push(NamedCluster {
                name: name.to_owned(),
                cluster,
            }),
        }
    }

    /// Insert or replace the user `name`.
    pub fn set_user(&mut self, name: &str, user: AuthInfo) {
        match self.users.iter_mut().find(|c| c.name == name) {
            Some(c) => c.user = user,
            None => self.users.push(NamedUser {
                name: name.to_owned(),
                user,
            }),
        }
    }

    /// Insert or replace the context `name`.
    pub fn set_context(&mut self, name: &str, context: Context) {
        match self.contexts.iter_mut().find(|c| c.name == name) {
            Some(c) => c.context = context,
            None => self.contexts.push(NamedContext {
                name: name.to_owned(),
                context,
            }),
        }
    }

    /// Add the entries of `other` that this one lacks (the first file wins per key).
    fn merge_from(&mut self, other: Kubeconfig) {
        for c in other.clusters {
            if self.cluster(&c.name).is_none() {
                self.clusters.push(c);
            }
        }
        for u in other.users {
            if self.user(&u.name).is_none() {
                self.users.push(u);
            }
        }
        for c in other.contexts {
            if self.context(&c.name).is_none() {
                self.contexts.push(c);
            }
        }
        if self.current_context.is_empty() {
            self.current_context = other.current_context;
        }
        for (k, v) in other.extra {
            self.extra.entry(k).or_insert(v);
        }
    }

    /// Parse one file's text.
    pub fn parse(text: &str, path: &Path) -> Result<Kubeconfig, CliError> {
        if text.trim().is_empty() {
            return Ok(Kubeconfig::empty());
        }
        serde_saphyr::from_str(text).map_err(|e| {
            CliError::msg(format!(
                "error loading config file \"{}\": {e}",
                path.display()
            ))
        })
    }

    /// An empty config.
    pub fn empty() -> Kubeconfig {
        Kubeconfig {
            api_version: v1(),
            kind: config_kind(),
            ..Default::default()
        }
    }
}

/// The kubeconfig files in effect, merged, and the file that writes go to.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The merged view.
    pub config: Kubeconfig,
    /// Where writes go (the first file of the list).
    pub write_path: PathBuf,
}

/// The list of kubeconfig paths: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`.
pub fn config_paths(flag: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = flag {
        return vec![p.to_owned()];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG")
        && !list.is_empty()
    {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    vec![home.join(".kube").join("config")]
}

/// Load and merge the kubeconfig files. A missing `--kubeconfig` file is an error; missing
/// files in `KUBECONFIG` or the default path are skipped.
pub fn load(flag: Option<&Path>) -> Result<LoadedConfig, CliError> {
    let paths = config_paths(flag);
    let mut merged: Option<Kubeconfig> = None;
    for path in &paths {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && flag.is_none() => continue,
            Err(e) => {
                return Err(CliError::msg(format!(
                    "stat {}: {}",
                    path.display(),
                    if e.kind() == std::io::ErrorKind::NotFound {
                        "no such file or directory".to_owned()
                    } else {
                        e.to_string()
                    }
                )));
            }
        };
        let mut parsed = Kubeconfig::parse(&text, path)?;
        resolve_paths(&mut parsed, path);
        match &mut merged {
            None => merged = Some(parsed),
            Some(m) => m.merge_from(parsed),
        }
    }
    Ok(LoadedConfig {
        config: merged.unwrap_or_else(Kubeconfig::empty),
        write_path: paths[0].clone(),
    })
}

/// Make relative `certificate-authority` and `tokenFile` paths absolute against the directory
/// of the file that names them (kubectl resolves them the same way).
fn resolve_paths(config: &mut Kubeconfig, file: &Path) {
    let dir = file.parent().unwrap_or(Path::new("."));
    let fix = |p: &mut Option<String>| {
        if let Some(v) = p
            && !v.is_empty()
            && Path::new(v.as_str()).is_relative()
        {
            *v = dir.join(v.as_str()).display().to_string();
        }
    };
    for c in &mut config.clusters {
        fix(&mut c.cluster.certificate_authority);
    }
    for u in &mut config.users {
        fix(&mut u.user.token_file);
    }
}

/// Read the file writes go to (or an empty config), for a read-modify-write.
pub fn load_for_write(path: &Path) -> Result<Kubeconfig, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Kubeconfig::parse(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Kubeconfig::empty()),
        Err(e) => Err(CliError::msg(format!("{}: {e}", path.display()))),
    }
}

/// Write `config` to `path` (mode 0600, parent directories created).
pub fn save(path: &Path, config: &Kubeconfig) -> Result<(), CliError> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_saphyr::to_string(config)
        .map_err(|e| CliError::msg(format!("cannot encode the kubeconfig: {e}")))?;
    let tmp = path.with_extension("tagplane-tmp");
    std::fs::write(&tmp, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_keys() {
        let text = "apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- name: c\n  cluster:\n    server: https://h:1\n    tls-server-name: x\nusers:\n- name: u\n  user:\n    token: t\n    client-certificate: /p\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\n    namespace: ns\ncurrent-context: ctx\n";
        let k = Kubeconfig::parse(text, Path::new("x")).unwrap();
        assert_eq!(k.cluster("c").unwrap().server, "https://h:1");
        assert_eq!(k.user("u").unwrap().token.as_deref(), Some("t"));
        assert_eq!(k.context("ctx").unwrap().namespace.as_deref(), Some("ns"));
        let out = serde_saphyr::to_string(&k).unwrap();
        let again = Kubeconfig::parse(&out, Path::new("x")).unwrap();
        assert_eq!(
            again.cluster("c").unwrap().extra["tls-server-name"],
            Value::from("x")
        );
        assert_eq!(
            again.user("u").unwrap().extra["client-certificate"],
            Value::from("/p")
        );
        assert!(again.extra.contains_key("preferences"));
    }
}

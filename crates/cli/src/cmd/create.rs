//! `tagplane create -f`, `create secret docker-registry` (spec §A10) and `create token`.

use base64::Engine;
use serde_json::{Value, json};

use crate::client::Client;
use crate::cmd::manifest;
use crate::error::CliError;
use crate::output::printer::{self, OutputFormat};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Arguments of `create`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CreateArgs {
    /// Files (or `-`) that contain the objects to create.
    #[arg(short = 'f', long = "filename")]
    pub filename: Vec<String>,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    /// Store the configuration in the last-applied annotation, for a later `apply`.
    #[arg(long)]
    pub save_config: bool,
    /// What to create.
    #[command(subcommand)]
    pub sub: Option<CreateSub>,
}

/// `create` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CreateSub {
    /// Create a secret.
    Secret {
        /// The kind of secret.
        #[command(subcommand)]
        kind: SecretKind,
    },
    /// Request a service account token.
    Token(TokenArgs),
}

/// `create secret` kinds.
#[derive(Debug, clap::Subcommand)]
pub enum SecretKind {
    /// Create a secret for use with a Docker registry.
    DockerRegistry(DockerRegistryArgs),
}

/// Arguments of `create secret docker-registry`.
#[derive(Debug, clap::Args)]
pub struct DockerRegistryArgs {
    /// The secret name.
    pub name: Vec<String>,
    /// Server location for Docker registry.
    #[arg(long, default_value = "https://index.docker.io/v1/")]
    pub docker_server: String,
    /// Username for Docker registry authentication.
    #[arg(long)]
    pub docker_username: Option<String>,
    /// Password for Docker registry authentication.
    #[arg(long)]
    pub docker_password: Option<String>,
    /// Email for Docker registry.
    #[arg(long)]
    pub docker_email: Option<String>,
    /// Key files (`[key=]path`) to put into the secret instead of credentials.
    #[arg(long)]
    pub from_file: Vec<String>,
    /// Append a hash of the secret to its name.
    #[arg(long)]
    pub append_hash: bool,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    /// Only print the object (`client`) or have the server check it (`server`).
    #[arg(long, num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: Option<String>,
}

/// Arguments of `create token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The service account.
    pub service_account: String,
    /// Requested lifetime of the token (e.g. `1h`, `30m`); the server may cap it.
    #[arg(long)]
    pub duration: Option<String>,
}

/// Run `create`.
pub async fn run(client: &Client, args: CreateArgs) -> Result<(), CliError> {
    match args.sub {
        Some(CreateSub::Secret {
            kind: SecretKind::DockerRegistry(a),
        }) => docker_registry(client, a).await,
        Some(CreateSub::Token(a)) => token(client, a).await,
        None => {
            from_files(
                client,
                &args.filename,
                args.output.as_deref(),
                args.save_config,
            )
            .await
        }
    }
}

async fn from_files(
    client: &Client,
    files: &[String],
    output: Option<&str>,
    save_config: bool,
) -> Result<(), CliError> {
    let format = OutputFormat::parse(output, "tagplane create", false)?;
    if files.is_empty() {
        return Err(CliError::usage(
            "tagplane create",
            "must specify one of -f and -k",
        ));
    }
    let manifests = manifest::load(client, files, "create")?;
    let mut errors = Vec::new();
    for m in manifests {
        let body = if save_config {
            crate::cmd::apply::with_last_applied(&m.object)?
        } else {
            m.object.clone()
        };
        match client.post(&m.collection(), &body).await {
            Ok(created) => print_result(&format, created, &m.display(), "created")?,
            Err(e) => errors.push(e.context(&format!("error when creating \"{}\"", m.source))),
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(CliError::Many(errors)),
    }
}

/// Print a mutation result: the object in an object format, else `<kind.group/name> <verb>`.
pub fn print_result(
    format: &OutputFormat,
    obj: Value,
    display: &str,
    verb: &str,
) -> Result<(), CliError> {
    if format.prints_objects() {
        if matches!(format, OutputFormat::Name) {
            println!("{display}");
        } else {
            print!("{}", printer::print_objects(format, vec![obj], true)?);
        }
    } else {
        println!("{display} {verb}");
    }
    Ok(())
}

/// The `.dockerconfigjson` text for one registry (Go's field order: username, password,
/// email (omitted when empty), auth).
pub fn docker_config_json(server: &str, user: &str, password: &str, email: &str) -> String {
    let q = |s: &str| Value::from(s).to_string();
    let auth = B64.encode(format!("{user}:{password}"));
    let mut entry = format!("\"username\":{},\"password\":{}", q(user), q(password));
    if !email.is_empty() {
        entry.push_str(&format!(",\"email\":{}", q(email)));
    }
    entry.push_str(&format!(",\"auth\":{}", q(&auth)));
    format!("{{\"auths\":{{{}:{{{entry}}}}}}}", q(server))
}

/// kubectl's `--append-hash` suffix: SHA-256 over the secret's kind, name, type and data (as Go
/// marshals a map: sorted keys), first 10 hex digits with vowels and look-alikes replaced.
pub fn secret_hash(name: &str, type_: &str, data: &serde_json::Map<String, Value>) -> String {
    use sha2::Digest;
    let text = json!({"data": data, "kind": "Secret", "name": name, "type": type_}).to_string();
    let hex: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

async fn docker_registry(client: &Client, a: DockerRegistryArgs) -> Result<(), CliError> {
    const CMD: &str = "tagplane create secret docker-registry";
    if a.name.len() != 1 {
        return Err(CliError::usage(
            CMD,
            format!("exactly one NAME is required, got {}", a.name.len()),
        ));
    }
    let format = OutputFormat::parse(a.output.as_deref(), CMD, false)?;
    let dry_run = match a.dry_run.as_deref() {
        None | Some("none") => None,
        Some(m @ ("client" | "server")) => Some(m.to_owned()),
        Some(other) => {
            return Err(CliError::msg(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )));
        }
    };
    let mut name = a.name[0].clone();
    if name.is_empty() {
        return Err(CliError::msg("name must be specified"));
    }
    let user = a.docker_username.unwrap_or_default();
    let password = a.docker_password.unwrap_or_default();
    if a.from_file.is_empty()
        && (user.is_empty() || password.is_empty() || a.docker_server.is_empty())
    {
        return Err(CliError::msg(
            "either --from-file or the combination of --docker-username, --docker-password and --docker-server is required",
        ));
    }
    let mut data = serde_json::Map::new();
    if a.from_file.is_empty() {
        let text = docker_config_json(
            &a.docker_server,
            &user,
            &password,
            a.docker_email.as_deref().unwrap_or(""),
        );
        data.insert(
            ".dockerconfigjson".to_owned(),
            Value::from(B64.encode(text)),
        );
    } else {
        for spec in &a.from_file {
            let (key, path) = match spec.split_once('=') {
                Some((k, p)) => (k.to_owned(), p.to_owned()),
                None => (
                    std::path::Path::new(spec)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    spec.clone(),
                ),
            };
            let bytes = std::fs::read(&path)
                .map_err(|e| CliError::msg(format!("error reading {path}: {e}")))?;
            if data.contains_key(&key) {
                return Err(CliError::msg(format!(
                    "cannot add key {key}, another key by that name already exists"
                )));
            }
            data.insert(key, Value::from(B64.encode(bytes)));
        }
    }
    const TYPE: &str = "kubernetes.io/dockerconfigjson";
    if a.append_hash {
        name = format!("{name}-{}", secret_hash(&name, TYPE, &data));
    }
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": client.namespace()},
        "type": TYPE,
        "data": data,
    });
    let path = crate::client::resource_path("", "secrets", Some(client.namespace()), None);
    let display = format!("secret/{name}");
    let result = match dry_run.as_deref() {
        Some("client") => {
            return print_result(&format, secret, &display, "created (dry run)");
        }
        Some(_) => {
            client
                .request(
                    reqwest::Method::POST,
                    &path,
                    &[("dryRun", "All")],
                    Some("application/json"),
                    Some(secret.to_string().into_bytes()),
                )
                .await?;
            return print_result(&format, secret, &display, "created (server dry run)");
        }
        None => client.post(&path, &secret).await?,
    };
    print_result(&format, result, &display, "created")
}

/// Parse a Go duration (`1h`, `30m`, `1h30m`, `90s`) into whole seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let mut total: f64 = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() || n == 'µ' {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        total += v * match unit.as_str() {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
    }
    if !num.is_empty() {
        return None;
    }
    Some(total as i64)
}

async fn token(client: &Client, a: TokenArgs) -> Result<(), CliError> {
    let mut body = json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {},
    });
    if let Some(d) = &a.duration {
        let Some(secs) = parse_duration(d) else {
            return Err(CliError::msg(format!(
                "invalid argument \"{d}\" for \"--duration\" flag: time: invalid duration \"{d}\""
            )));
        };
        if secs < 0 {
            return Err(CliError::msg("--duration must be positive"));
        }
        if secs > 0 {
            body["spec"]["expirationSeconds"] = Value::from(secs);
        }
    }
    let path = format!(
        "{}/token",
        crate::client::resource_path(
            "",
            "serviceaccounts",
            Some(client.namespace()),
            Some(&a.service_account)
        )
    );
    let resp = client.post(&path, &body).await?;
    let Some(token) = resp.pointer("/status/token").and_then(Value::as_str) else {
        return Err(CliError::msg(
            "failed to create token: no token in server response",
        ));
    };
    println!("{token}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config() {
        assert_eq!(
            docker_config_json("quay.io", "u", "p", ""),
            r#"{"auths":{"quay.io":{"username":"u","password":"p","auth":"dTpw"}}}"#
        );
        assert_eq!(
            docker_config_json("r", "u", "p", "e@x"),
            r#"{"auths":{"r":{"username":"u","password":"p","email":"e@x","auth":"dTpw"}}}"#
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("x"), None);
    }
}

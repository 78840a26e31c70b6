//! `tagplane login` (token or username/password) and `tagplane logout`; both edit the
//! kubeconfig the way `oc` does (cluster `host-with-dashes:port`, user `NAME/cluster`, context
//! `NS/cluster/NAME`).

use std::io::IsTerminal;

use base64::Engine;
use serde_json::Value;

use crate::client::kubeconfig::{self, AuthInfo, Cluster, Context};
use crate::client::{Client, ClientFlags, TlsOptions, normalize_server};
use crate::cmd::project;
use crate::cmd::whoami;
use crate::error::CliError;

/// The password login endpoint (contracts.md).
pub const LOGIN_PATH: &str = "/auth/login";
/// The token revocation endpoint (contracts.md).
pub const LOGOUT_PATH: &str = "/auth/logout";

/// Arguments of `login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The server URL (default: the current context's server).
    pub server_url: Option<String>,
    /// Username, prompted for when needed.
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password, prompted for when needed.
    #[arg(short = 'p', long)]
    pub password: Option<String>,
}

/// oc's cluster nickname: `host:port` with dots replaced by dashes (port defaulted).
pub fn cluster_nickname(server: &str) -> String {
    let (scheme, rest) = server.split_once("://").unwrap_or(("https", server));
    let host = rest.split('/').next().unwrap_or(rest);
    let has_port = match host.rfind(']') {
        Some(i) => host[i..].contains(':'),
        None => host.contains(':'),
    };
    let host_port = if has_port {
        host.to_owned()
    } else if scheme == "http" {
        format!("{host}:80")
    } else {
        format!("{host}:443")
    };
    host_port.replace('.', "-")
}

/// oc's context name `NS/cluster/USER`.
pub fn context_nickname(namespace: &str, cluster: &str, user: &str) -> String {
    format!("{namespace}/{cluster}/{user}")
}

/// Write (or update) cluster, user and context for a session and make it current.
pub fn write_session(
    write_path: &std::path::Path,
    server: &str,
    tls: &TlsOptions,
    ca_path: Option<&std::path::Path>,
    username: &str,
    token: &str,
    namespace: &str,
) -> Result<String, CliError> {
    let mut cfg = kubeconfig::load_for_write(write_path)?;
    let cluster_nick = cluster_nickname(server);
    let user_nick = format!("{username}/{cluster_nick}");
    let context_nick = context_nickname(namespace, &cluster_nick, username);
    let mut cluster = cfg.cluster(&cluster_nick).cloned().unwrap_or_default();
    cluster.server = server.to_owned();
    if tls.insecure {
        cluster.insecure_skip_tls_verify = Some(true);
        cluster.certificate_authority = None;
        cluster.certificate_authority_data = None;
    } else if let Some(p) = ca_path {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        cluster.certificate_authority = Some(abs.display().to_string());
        cluster.certificate_authority_data = None;
        cluster.insecure_skip_tls_verify = None;
    } else if let Some(pem) = &tls.ca_pem {
        cluster.certificate_authority_data =
            Some(base64::engine::general_purpose::STANDARD.encode(pem));
        cluster.certificate_authority = None;
        cluster.insecure_skip_tls_verify = None;
    }
    cfg.set_cluster(&cluster_nick, cluster);
    let mut user = cfg.user(&user_nick).cloned().unwrap_or_default();
    user.token = Some(token.to_owned());
    user.token_file = None;
    cfg.set_user(&user_nick, user);
    cfg.set_context(
        &context_nick,
        Context {
            cluster: cluster_nick,
            user: user_nick,
            namespace: Some(namespace.to_owned()),
            extra: Default::default(),
        },
    );
    cfg.current_context = context_nick.clone();
    kubeconfig::save(write_path, &cfg)?;
    Ok(context_nick)
}

/// Where kubeconfig writes go for these flags.
pub fn write_path(flags: &ClientFlags) -> std::path::PathBuf {
    kubeconfig::config_paths(flags.kubeconfig.as_deref())
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Run `login`.
pub async fn run(flags: &ClientFlags, args: LoginArgs) -> Result<(), CliError> {
    // `--kubeconfig` may name a file that login is about to create.
    let flag = flags.kubeconfig.as_deref().filter(|p| p.exists());
    let loaded = match (flag, &flags.kubeconfig) {
        (None, Some(_)) => kubeconfig::LoadedConfig {
            config: kubeconfig::Kubeconfig::empty(),
            write_path: write_path(flags),
        },
        _ => kubeconfig::load(flag)?,
    };
    let cfg = &loaded.config;
    let current = cfg
        .context(&cfg.current_context)
        .cloned()
        .unwrap_or_default();
    let current_cluster = cfg.cluster(&current.cluster).cloned().unwrap_or_default();
    let server = match args.server_url.as_deref().or(flags.server.as_deref()) {
        Some(s) => normalize_server(s),
        None if !current_cluster.server.is_empty() => normalize_server(&current_cluster.server),
        None => {
            return Err(CliError::usage(
                "tagplane login",
                "a server URL is required: tagplane login SERVER --token=TOKEN",
            ));
        }
    };
    // TLS: flags first, else whatever the kubeconfig already knows about this server.
    let known: Option<Cluster> = cfg
        .clusters
        .iter()
        .find(|c| normalize_server(&c.cluster.server) == server)
        .map(|c| c.cluster.clone());
    let mut tls = TlsOptions {
        insecure: flags.insecure_skip_tls_verify,
        ca_pem: None,
    };
    if let Some(p) = &flags.certificate_authority {
        tls.ca_pem = Some(std::fs::read(p).map_err(|e| {
            CliError::msg(format!(
                "unable to read certificate-authority {}: {e}",
                p.display()
            ))
        })?);
    } else if !tls.insecure
        && let Some(k) = &known
    {
        tls.insecure = k.insecure_skip_tls_verify.unwrap_or(false);
        if let Some(d) = &k.certificate_authority_data {
            tls.ca_pem = base64::engine::general_purpose::STANDARD
                .decode(d.trim())
                .ok();
        } else if let Some(p) = &k.certificate_authority {
            tls.ca_pem = std::fs::read(p).ok();
        }
    }
    let mut anonymous = Client::new(&server, None, tls.clone())?;
    // oc asks before trusting an unknown certificate authority (only on a terminal).
    if !tls.insecure && std::io::stdin().is_terminal() {
        let probe = anonymous.get("/version").await;
        if let Err(CliError::Raw(m)) = &probe
            && m.contains("signed by unknown authority")
        {
            eprint!(
                "The server uses a certificate signed by an unknown authority.\nYou can bypass the certificate check, but any data you send to the server could be intercepted by others.\nUse insecure connections? (y/n): "
            );
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            eprintln!();
            if !answer.trim().eq_ignore_ascii_case("y") {
                return Err(tls_hint(probe.unwrap_err()));
            }
            tls.insecure = true;
            tls.ca_pem = None;
            anonymous = Client::new(&server, None, tls.clone())?;
        }
    }
    let existing_token = if normalize_server(&current_cluster.server) == server {
        cfg.user(&current.user).and_then(|u| u.token.clone())
    } else {
        None
    };
    let username_arg = match (&flags.token, &args.username, &existing_token) {
        (None, None, None) if std::io::stdin().is_terminal() => {
            eprint!("Username: ");
            let mut name = String::new();
            std::io::stdin().read_line(&mut name)?;
            Some(name.trim().to_owned()).filter(|n| !n.is_empty())
        }
        _ => args.username.clone(),
    };

    let (token, username, how) = if let Some(token) = flags.token.clone() {
        let client = Client::new(&server, Some(token.clone()), tls.clone())?;
        let username = match whoami::username(&client).await {
            Ok(u) => u,
            Err(e) if e.code() == Some(401) => {
                return Err(CliError::msg("The token provided is invalid or expired."));
            }
            Err(e) => return Err(tls_hint(e)),
        };
        let line =
            format!("Logged into \"{server}\" as \"{username}\" using the token provided.\n");
        (token, username, line)
    } else if let Some(user) = username_arg {
        let password = match args.password.clone() {
            Some(p) => p,
            None => read_password()?,
        };
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let resp = anonymous
            .send(
                reqwest::Method::POST,
                LOGIN_PATH,
                &[],
                None,
                None,
                "application/json",
                Some(&format!("Basic {basic}")),
            )
            .await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) if e.code() == Some(401) => {
                let msg = match &e {
                    CliError::Api(s) => s.message.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                let msg = if msg.is_empty() {
                    "Login failed (401 Unauthorized)".to_owned()
                } else {
                    msg
                };
                return Err(CliError::msg(format!(
                    "{msg}\nVerify you have provided the correct credentials."
                )));
            }
            Err(e) => return Err(tls_hint(e)),
        };
        let body: Value = resp
            .json()
            .await
            .map_err(|e| CliError::msg(format!("the login answer is not JSON: {e}")))?;
        let token = body
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| CliError::msg("the login answer carries no token"))?
            .to_owned();
        let username = body
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or(&user)
            .to_owned();
        (token, username, "Login successful.\n".to_owned())
    } else {
        // Existing credentials for this server?
        let Some(token) = existing_token else {
            return Err(CliError::usage(
                "tagplane login",
                "you must provide --token=TOKEN or --username=NAME to log in",
            ));
        };
        let client = Client::new(&server, Some(token.clone()), tls.clone())?;
        let username = match whoami::username(&client).await {
            Ok(u) => u,
            Err(e) if e.code() == Some(401) => {
                return Err(CliError::msg(
                    "The token in your kubeconfig is invalid or expired; log in with --token or --username.",
                ));
            }
            Err(e) => return Err(tls_hint(e)),
        };
        let line =
            format!("Logged into \"{server}\" as \"{username}\" using existing credentials.\n");
        (token, username, line)
    };
    println!("{how}");
    let client = Client::new(&server, Some(token.clone()), tls.clone())?;
    let wanted = flags
        .namespace
        .clone()
        .or_else(|| {
            current
                .namespace
                .clone()
                .filter(|_| normalize_server(&current_cluster.server) == server)
        })
        .unwrap_or_else(|| "default".to_owned());
    let namespace = project::report_projects_after_login(&client, &wanted).await?;
    let write = write_path(flags);
    write_session(
        &write,
        &server,
        &tls,
        flags.certificate_authority.as_deref(),
        &username,
        &token,
        &namespace,
    )?;
    Ok(())
}

fn tls_hint(e: CliError) -> CliError {
    match &e {
        CliError::Raw(m) if m.contains("signed by unknown authority") => CliError::msg(
            "The server uses a certificate signed by unknown authority. You may need to use the --certificate-authority flag to provide the path to a certificate file for the certificate authority, or --insecure-skip-tls-verify to bypass the certificate check and use insecure connections.",
        ),
        _ => e,
    }
}

fn read_password() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")
            .map_err(|e| CliError::msg(format!("cannot read the password: {e}")))
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// Run `logout`: revoke the token on the server, then drop it from the kubeconfig.
pub async fn logout(flags: &ClientFlags) -> Result<(), CliError> {
    let client = Client::from_flags(flags)?;
    if client.token().is_none_or(str::is_empty) {
        return Err(CliError::msg("You must have a token in order to logout."));
    }
    let username = whoami::username(&client).await?;
    client
        .post(LOGOUT_PATH, &Value::Object(Default::default()))
        .await?;
    let write = write_path(flags);
    let mut cfg = kubeconfig::load_for_write(&write)?;
    let context_name = client.context_name().to_owned();
    let user_name = cfg
        .context(&context_name)
        .map(|c| c.user.clone())
        .unwrap_or_default();
    if let Some(u) = cfg.users.iter_mut().find(|u| u.name == user_name) {
        u.user = AuthInfo {
            token: None,
            token_file: None,
            extra: u.user.extra.clone(),
        };
        kubeconfig::save(&write, &cfg)?;
    }
    println!("Logged \"{username}\" out on \"{}\"", client.server());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames() {
        assert_eq!(
            cluster_nickname("https://api.example.com:6443"),
            "api-example-com:6443"
        );
        assert_eq!(
            cluster_nickname("https://api.example.com"),
            "api-example-com:443"
        );
        assert_eq!(cluster_nickname("http://127.0.0.1:8080"), "127-0-0-1:8080");
        assert_eq!(
            context_nickname("default", "127-0-0-1:8080", "system:admin"),
            "default/127-0-0-1:8080/system:admin"
        );
    }
}

//! `tagplane auth can-i VERB RESOURCE [NAME]` (SelfSubjectAccessReview).

use serde_json::{Value, json};

use crate::client::Client;
use crate::client::resources;
use crate::error::CliError;

/// The SelfSubjectAccessReview path.
pub const SSAR_PATH: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/// Arguments of `auth`.
#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// The auth subcommand.
    #[command(subcommand)]
    pub sub: AuthSub,
}

/// `auth` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthSub {
    /// Check whether an action is allowed.
    CanI(CanIArgs),
}

/// Arguments of `auth can-i`.
#[derive(Debug, clap::Args)]
pub struct CanIArgs {
    /// The verb (get, list, create, update, patch, delete, watch…).
    pub verb: String,
    /// The resource (`imagestreams`, `is`, `imagestreams/layers`, `TYPE/NAME`).
    pub resource: String,
    /// The object name.
    pub name: Option<String>,
    /// Check across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Print nothing; answer with the exit code only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Run `auth`.
pub async fn run(client: &Client, args: AuthArgs) -> Result<(), CliError> {
    let AuthSub::CanI(a) = args.sub;
    let mut attrs = serde_json::Map::new();
    let body = if a.resource.starts_with('/') {
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"nonResourceAttributes": {"path": a.resource, "verb": a.verb}},
        })
    } else {
        let (res, sub) = match a.resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (a.resource.as_str(), None),
        };
        let (group, resource) = match resources::lookup(res) {
            Some(rt) => (rt.group.to_owned(), rt.plural.to_owned()),
            None => {
                eprintln!("Warning: the server doesn't have a resource type '{res}'");
                match res.split_once('.') {
                    Some((r, g)) => (g.to_owned(), r.to_owned()),
                    None => (String::new(), res.to_owned()),
                }
            }
        };
        attrs.insert("verb".into(), Value::from(a.verb.clone()));
        attrs.insert("group".into(), Value::from(group));
        attrs.insert("resource".into(), Value::from(resource));
        if let Some(s) = sub {
            attrs.insert("subresource".into(), Value::from(s));
        }
        if let Some(n) = &a.name {
            attrs.insert("name".into(), Value::from(n.clone()));
        }
        let ns = if a.all_namespaces {
            String::new()
        } else {
            client.namespace().to_owned()
        };
        attrs.insert("namespace".into(), Value::from(ns));
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        })
    };
    let review = client.post(SSAR_PATH, &body).await?;
    let allowed = review
        .pointer("/status/allowed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if allowed {
        if !a.quiet {
            println!("yes");
        }
        return Ok(());
    }
    if !a.quiet {
        let mut line = "no".to_owned();
        for key in ["reason", "evaluationError"] {
            if let Some(r) = review
                .pointer(&format!("/status/{key}"))
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
            {
                line.push_str(" - ");
                line.push_str(r);
            }
        }
        println!("{line}");
    }
    Err(CliError::Exit(1))
}

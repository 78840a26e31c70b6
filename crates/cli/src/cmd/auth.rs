//! `tagplane auth can-i VERB RESOURCE [NAME]` (SelfSubjectAccessReview).

use crate::client::Client;
use crate::error::CliError;

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
pub async fn run(_client: &Client, _args: AuthArgs) -> Result<(), CliError> {
    Err(CliError::msg("auth is not implemented yet"))
}

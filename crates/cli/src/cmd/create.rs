//! `tagplane create -f`, `create secret docker-registry` (spec §A10) and `create token`.

use crate::client::Client;
use crate::error::CliError;

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
pub async fn run(_client: &Client, _args: CreateArgs) -> Result<(), CliError> {
    Err(CliError::msg("create is not implemented yet"))
}

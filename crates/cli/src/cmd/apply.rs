//! `tagplane apply -f` (client-side apply with the last-applied-configuration annotation and a
//! three-way merge patch) and `tagplane replace -f`.

use crate::client::Client;
use crate::error::CliError;

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Files (or `-`) that contain the configuration to apply.
    #[arg(short = 'f', long = "filename", required = true)]
    pub filename: Vec<String>,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Arguments of `replace`.
#[derive(Debug, clap::Args)]
pub struct ReplaceArgs {
    /// Files (or `-`) that contain the objects.
    #[arg(short = 'f', long = "filename", required = true)]
    pub filename: Vec<String>,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Run `apply`.
pub async fn run_apply(_client: &Client, _args: ApplyArgs) -> Result<(), CliError> {
    Err(CliError::msg("apply is not implemented yet"))
}

/// Run `replace`.
pub async fn run_replace(_client: &Client, _args: ReplaceArgs) -> Result<(), CliError> {
    Err(CliError::msg("replace is not implemented yet"))
}

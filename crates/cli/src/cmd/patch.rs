//! `tagplane patch TYPE NAME --type strategic|merge|json -p PATCH`.

use crate::client::Client;
use crate::error::CliError;

/// Arguments of `patch`.
#[derive(Debug, clap::Args)]
pub struct PatchArgs {
    /// TYPE NAME or TYPE/NAME.
    pub args: Vec<String>,
    /// The patch to apply (JSON or YAML).
    #[arg(short = 'p', long)]
    pub patch: Option<String>,
    /// The patch type: strategic, merge or json.
    #[arg(long = "type", default_value = "strategic")]
    pub patch_type: String,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Run `patch`.
pub async fn run(_client: &Client, _args: PatchArgs) -> Result<(), CliError> {
    Err(CliError::msg("patch is not implemented yet"))
}

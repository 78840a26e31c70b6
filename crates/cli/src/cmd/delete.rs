//! `tagplane delete TYPE NAME…`, `TYPE/NAME`, `-f FILE`, `istag/x:y` (spec §A6).

use crate::client::Client;
use crate::error::CliError;

/// Arguments of `delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// TYPE NAME... or TYPE/NAME...
    pub args: Vec<String>,
    /// Files (or `-`) that contain the objects to delete.
    #[arg(short = 'f', long = "filename")]
    pub filename: Vec<String>,
    /// Treat "resource not found" as a successful delete.
    #[arg(long)]
    pub ignore_not_found: bool,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
    /// Delete all resources of the type in the namespace.
    #[arg(long)]
    pub all: bool,
}

/// Run `delete`.
pub async fn run(_client: &Client, _args: DeleteArgs) -> Result<(), CliError> {
    Err(CliError::msg("delete is not implemented yet"))
}

//! `tagplane get`: list or fetch resources through the server's Table, or print them as
//! YAML/JSON/names/JSONPath; `-w` watches (spec §A5).

use crate::client::Client;
use crate::error::CliError;

/// Arguments of `get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// TYPE [NAME...] or TYPE/NAME...
    pub args: Vec<String>,
    /// Output format: json|yaml|name|wide|jsonpath=TEMPLATE.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    /// After listing/getting the requested object, watch for changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// List the requested object(s) across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Selector (label query) to filter on.
    #[arg(short = 'l', long)]
    pub selector: Option<String>,
}

/// Run `get`.
pub async fn run(_client: &Client, _args: GetArgs) -> Result<(), CliError> {
    Err(CliError::msg("get is not implemented yet"))
}

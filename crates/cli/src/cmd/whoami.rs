//! `tagplane whoami` (SelfSubjectReview), `-t`, `--show-server`, `--show-context` (spec §A11).

use crate::client::ClientFlags;
use crate::error::CliError;

/// Arguments of `whoami`.
#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {
    /// Print the token the current session is using.
    #[arg(short = 't', long)]
    pub show_token: bool,
    /// Print the current user context name.
    #[arg(short = 'c', long)]
    pub show_context: bool,
    /// Print the current server's REST API URL.
    #[arg(long)]
    pub show_server: bool,
    /// Print the web console URL (not served; kept for compatibility).
    #[arg(long)]
    pub show_console: bool,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Run `whoami`.
pub async fn run(_flags: &ClientFlags, _args: WhoamiArgs) -> Result<(), CliError> {
    Err(CliError::msg("whoami is not implemented yet"))
}

//! `tagplane login` (token or username/password) and `tagplane logout`; both edit the
//! kubeconfig the way `oc` does.

use crate::client::ClientFlags;
use crate::error::CliError;

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

/// Run `login`.
pub async fn run(_flags: &ClientFlags, _args: LoginArgs) -> Result<(), CliError> {
    Err(CliError::msg("login is not implemented yet"))
}

/// Run `logout`.
pub async fn logout(_flags: &ClientFlags) -> Result<(), CliError> {
    Err(CliError::msg("logout is not implemented yet"))
}

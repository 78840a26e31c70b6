//! `tagplane policy add-role-to-user|add-role-to-group|remove-role-from-user|remove-role-from-group`
//! (spec §A12): RoleBindings in the current namespace.

use crate::client::Client;
use crate::error::CliError;

/// Arguments of `policy`.
#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// The policy subcommand.
    #[command(subcommand)]
    pub sub: PolicySub,
}

/// `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicySub {
    /// Add a role to users or service accounts for the current project.
    AddRoleToUser(RoleArgs),
    /// Add a role to groups for the current project.
    AddRoleToGroup(RoleArgs),
    /// Remove a role from users for the current project.
    RemoveRoleFromUser(RoleArgs),
    /// Remove a role from groups for the current project.
    RemoveRoleFromGroup(RoleArgs),
}

/// Arguments shared by the policy subcommands.
#[derive(Debug, clap::Args)]
pub struct RoleArgs {
    /// ROLE SUBJECT [SUBJECT...]
    pub args: Vec<String>,
    /// Name of the rolebinding to modify or create.
    #[arg(long)]
    pub rolebinding_name: Option<String>,
    /// The namespace where the role is located (a local Role instead of a ClusterRole).
    #[arg(long)]
    pub role_namespace: Option<String>,
    /// Service accounts (`-z NAME`) to add, in the current namespace.
    #[arg(short = 'z', long)]
    pub serviceaccount: Vec<String>,
    /// Only print what would change (`client` or `server`).
    #[arg(long, num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: Option<String>,
}

/// Run `policy`.
pub async fn run(_client: &Client, _args: PolicyArgs) -> Result<(), CliError> {
    Err(CliError::msg("policy is not implemented yet"))
}

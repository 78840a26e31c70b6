//! `tagplane project [NAME]`, `tagplane projects`, `tagplane new-project NAME`.

use crate::client::{Client, ClientFlags};
use crate::error::CliError;

/// Arguments of `project`.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// The project to switch to.
    pub name: Option<String>,
    /// Print only the project name.
    #[arg(short = 'q', long)]
    pub short: bool,
}

/// Arguments of `projects`.
#[derive(Debug, clap::Args)]
pub struct ProjectsArgs {
    /// Print only the project names.
    #[arg(short = 'q', long)]
    pub short: bool,
}

/// Arguments of `new-project`.
#[derive(Debug, clap::Args)]
pub struct NewProjectArgs {
    /// The project name.
    pub name: String,
    /// Project display name.
    #[arg(long)]
    pub display_name: Option<String>,
    /// Project description.
    #[arg(long)]
    pub description: Option<String>,
    /// Do not switch to the new project.
    #[arg(long)]
    pub skip_config_write: bool,
}

/// Run `project`.
pub async fn run_project(_flags: &ClientFlags, _args: ProjectArgs) -> Result<(), CliError> {
    Err(CliError::msg("project is not implemented yet"))
}

/// Run `projects`.
pub async fn run_projects(_client: &Client, _args: ProjectsArgs) -> Result<(), CliError> {
    Err(CliError::msg("projects is not implemented yet"))
}

/// Run `new-project`.
pub async fn run_new_project(_flags: &ClientFlags, _args: NewProjectArgs) -> Result<(), CliError> {
    Err(CliError::msg("new-project is not implemented yet"))
}

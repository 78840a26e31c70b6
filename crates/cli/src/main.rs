//! The `tagplane` binary: `serve` runs the server, the other commands speak `oc`'s image-stream
//! dialect to a server over HTTP (kubeconfig, global connection flags, kubectl-style errors and
//! exit codes).

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

// The client API is shared by all command modules; some helpers are only used by a few.
#[allow(dead_code)]
mod client;
mod cmd;
mod describe;
#[allow(dead_code)]
mod error;
#[allow(dead_code)]
mod output;
mod serve_cmd;
mod tabwriter;

use client::{Client, ClientFlags};
use error::CliError;
use serve_cmd::{ServeArgs, run_serve};

/// OpenShift image streams as a standalone product.
#[derive(Debug, Parser)]
#[command(name = "tagplane", version, about)]
struct Cli {
    #[command(flatten)]
    flags: ClientFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the image.openshift.io/v1 API server.
    Serve(Box<ServeArgs>),
    /// Parse an image pull spec and print its parts the way the server sees them.
    ParseRef {
        /// The pull spec, e.g. `quay.io/org/app:1.2` or `mysql`.
        spec: String,
    },
    /// Display one or many resources.
    Get(cmd::get::GetArgs),
    /// Create a resource from a file or from stdin, or a secret or token.
    Create(cmd::create::CreateArgs),
    /// Apply a configuration to a resource by file name or stdin.
    Apply(cmd::apply::ApplyArgs),
    /// Replace a resource by file name or stdin.
    Replace(cmd::apply::ReplaceArgs),
    /// Delete resources by file names, stdin, resources and names.
    Delete(cmd::delete::DeleteArgs),
    /// Update fields of a resource.
    Patch(cmd::patch::PatchArgs),
    /// Return information about the current session.
    Whoami(cmd::whoami::WhoamiArgs),
    /// Log in to a server.
    Login(cmd::login::LoginArgs),
    /// End the current server session.
    Logout,
    /// Switch to another project.
    Project(cmd::project::ProjectArgs),
    /// Display existing projects.
    Projects(cmd::project::ProjectsArgs),
    /// Request a new project.
    NewProject(cmd::project::NewProjectArgs),
    /// Inspect authorization.
    Auth(cmd::auth::AuthArgs),
    /// Manage authorization policy.
    Policy(cmd::policy::PolicyArgs),
    /// Output shell completion code for the specified shell (bash, zsh or fish).
    Completion(cmd::completion::CompletionArgs),
    // The image commands (`tag`, `import-image`, `describe`, `set`) are added below.
    /// Tag existing images into image streams.
    Tag(cmd::tag::TagArgs),
    /// Show details of a specific resource or group of resources.
    Describe(cmd::describe::DescribeArgs),
    /// Import images from a container image registry.
    ImportImage(cmd::import_image::ImportImageArgs),
    /// Update fields of objects (`set image-lookup`).
    Set(cmd::set::SetArgs),
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e, &argv),
    };
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::ParseRef { spec } => parse_ref(&spec),
        command => {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(run(&cli.flags, command)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    e.print();
                    ExitCode::from(e.exit_code())
                }
            }
        }
    }
}

/// Run one client command.
async fn run(flags: &ClientFlags, command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(_) | Command::ParseRef { .. } => unreachable!("handled in main"),
        Command::Login(a) => cmd::login::run(flags, a).await,
        Command::Logout => cmd::login::logout(flags).await,
        Command::Whoami(a) => cmd::whoami::run(flags, a).await,
        Command::Project(a) => cmd::project::run_project(flags, a).await,
        Command::NewProject(a) => cmd::project::run_new_project(flags, a).await,
        Command::Completion(a) => cmd::completion::run(a, Cli::command()),
        other => {
            let client = Client::from_flags_deferred(flags);
            match other {
                Command::Get(a) => cmd::get::run(&client, a).await,
                Command::Create(a) => cmd::create::run(&client, a).await,
                Command::Apply(a) => cmd::apply::run_apply(&client, a).await,
                Command::Replace(a) => cmd::apply::run_replace(&client, a).await,
                Command::Delete(a) => cmd::delete::run(&client, a).await,
                Command::Patch(a) => cmd::patch::run(&client, a).await,
                Command::Projects(a) => cmd::project::run_projects(&client, a).await,
                Command::Auth(a) => cmd::auth::run(&client, a).await,
                Command::Policy(a) => cmd::policy::run(&client, a).await,
                Command::Tag(a) => cmd::tag::run(&client, a).await,
                Command::Describe(a) => cmd::describe::run(&client, a).await,
                Command::ImportImage(a) => cmd::import_image::run(&client, a).await,
                Command::Set(a) => cmd::set::run(&client, a).await,
                _ => unreachable!("dispatched above"),
            }
        }
    }
}

/// Print a clap parse failure the kubectl way (`error: …` + `See '<cmd> -h' …`, exit 1);
/// help and version go to stdout with exit 0.
fn clap_error(e: clap::Error, argv: &[String]) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // Like cobra: a command group without a subcommand prints its help on stdout.
            print!("{}", e.render());
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    // Flag errors read like cobra's (`unknown flag: --x`, `See '<cmd> --help' for usage.`).
    if let Some(clap::error::ContextValue::String(arg)) =
        e.get(clap::error::ContextKind::InvalidArg)
        && arg.starts_with('-')
        && matches!(e.kind(), ErrorKind::UnknownArgument)
    {
        let flag = arg.split('=').next().unwrap_or(arg);
        let msg = match flag.strip_prefix("--") {
            Some(_) => format!("unknown flag: {flag}"),
            None => {
                let c = flag.trim_start_matches('-').chars().next().unwrap_or('-');
                format!("unknown shorthand flag: '{c}' in {flag}")
            }
        };
        eprintln!(
            "error: {msg}\nSee '{} --help' for usage.",
            command_path(argv)
        );
        return ExitCode::FAILURE;
    }
    if matches!(e.kind(), ErrorKind::InvalidValue)
        && let Some(clap::error::ContextValue::String(arg)) =
            e.get(clap::error::ContextKind::InvalidArg)
        && matches!(
            e.get(clap::error::ContextKind::InvalidValue),
            Some(clap::error::ContextValue::String(v)) if v.is_empty()
        )
    {
        // The flag without a value is the last word typed.
        let flag = arg.split([' ', '=']).next().unwrap_or(arg);
        let msg = match argv.last().map(String::as_str) {
            Some(last) if last.starts_with('-') && !last.starts_with("--") => {
                let c = last.trim_start_matches('-').chars().last().unwrap_or('-');
                format!("flag needs an argument: '{c}' in {last}")
            }
            _ => format!("flag needs an argument: {flag}"),
        };
        eprintln!(
            "error: {msg}\nSee '{} --help' for usage.",
            command_path(argv)
        );
        return ExitCode::FAILURE;
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    let err = CliError::usage(&command_path(argv), first);
    err.print();
    ExitCode::from(err.exit_code())
}

/// `tagplane get` etc.: the program name followed by the subcommand names found in `argv`.
fn command_path(argv: &[String]) -> String {
    let mut path = vec!["tagplane".to_owned()];
    let mut cmd = Cli::command();
    for arg in argv.iter().skip(1) {
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = cmd
            .get_subcommands()
            .find(|s| s.get_name() == arg || s.get_all_aliases().any(|a| a == arg))
            .cloned()
        else {
            continue;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    path.join(" ")
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_ref(spec: &str) -> ExitCode {
    match tagplane_api::reference::ImageReference::parse(spec) {
        Ok(r) => {
            println!("registry:      {}", r.registry);
            println!("namespace:     {}", r.namespace);
            println!("name:          {}", r.name);
            println!("tag:           {}", r.tag);
            println!("id:            {}", r.id);
            println!("exact:         {}", r.exact());
            println!("defaulted:     {}", r.docker_client_defaults().exact());
            println!("most specific: {}", r.most_specific().exact());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: invalid image reference {spec:?}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn command_paths_for_usage_errors() {
        let argv = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(command_path(&argv("tagplane get -x")), "tagplane get");
        assert_eq!(
            command_path(&argv("tagplane create secret docker-registry a --bogus")),
            "tagplane create secret docker-registry"
        );
        assert_eq!(
            command_path(&argv("tagplane -n x policy add-role-to-user")),
            "tagplane policy add-role-to-user"
        );
    }
}

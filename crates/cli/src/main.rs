//! The `tagplane` binary: `serve` runs the server, the other commands speak `oc`'s image-stream
//! dialect to a server over HTTP.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod serve_cmd;
#[allow(dead_code)] // until `get`, `describe` and `set` use it
mod tabwriter;

use serve_cmd::{ServeArgs, run_serve};

/// OpenShift image streams as a standalone product.
#[derive(Debug, Parser)]
#[command(name = "tagplane", version, about)]
struct Cli {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
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
            match runtime.block_on(run_serve(*args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::ParseRef { spec } => match tagplane_api::reference::ImageReference::parse(&spec) {
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
        },
    }
}

//! The `tagplane` binary: `serve` runs the server, the other commands speak `oc`'s image-stream
//! dialect to a server over HTTP.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// OpenShift image streams as a standalone product.
#[derive(Debug, Parser)]
#[command(name = "tagplane", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the image.openshift.io/v1 API server, controllers and integrated registry.
    Serve,
    /// Parse an image pull spec and print its parts the way the server sees them.
    ParseRef {
        /// The pull spec, e.g. `quay.io/org/app:1.2` or `mysql`.
        spec: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve => {
            eprintln!(
                "error: `tagplane serve` is not implemented yet: the API server lands with the \
                 API-server issue; this build contains the wire types, validation and \
                 image-stream semantics only"
            );
            ExitCode::FAILURE
        }
        Command::ParseRef { spec } => match tagplane_api::reference::ImageReference::parse(&spec) {
            Ok(r) => {
                let d = r.docker_client_defaults();
                println!("registry:   {}", r.registry);
                println!("namespace:  {}", r.namespace);
                println!("name:       {}", r.name);
                println!("tag:        {}", r.tag);
                println!("id:         {}", r.id);
                println!("exact:      {}", r.exact());
                println!("defaulted:  {}", d.exact());
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

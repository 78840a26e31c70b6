//! `tagplane delete TYPE NAME…`, `TYPE/NAME`, `-f FILE`, `istag/x:y` (spec §A6).

use serde_json::Value;

use crate::client::Client;
use crate::client::resources::ResourceType;
use crate::cmd::{get, manifest};
use crate::error::CliError;

const COMMAND: &str = "tagplane delete";

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
    /// Output mode: `name` prints `<kind>.<group>/<name>` per deleted object.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Run `delete`.
pub async fn run(client: &Client, args: DeleteArgs) -> Result<(), CliError> {
    let names_only = match args.output.as_deref() {
        None | Some("") => false,
        Some("name") => true,
        Some(other) => {
            return Err(CliError::msg(format!(
                "unexpected -o output mode: {other}. We only support '-o name'"
            )));
        }
    };
    // (type, namespace, name, source file for `-f`)
    let mut work: Vec<(
        &'static ResourceType,
        Option<String>,
        String,
        Option<String>,
    )> = Vec::new();
    if !args.filename.is_empty() {
        if !args.args.is_empty() {
            return Err(CliError::usage(
                COMMAND,
                "specifying a resource and a filename together is not supported",
            ));
        }
        for m in manifest::load(client, &args.filename, "delete")? {
            work.push((
                m.rt,
                m.namespace.clone(),
                m.name.clone(),
                Some(m.source.clone()),
            ));
        }
    } else {
        if args.args.is_empty() {
            return Err(CliError::msg(
                "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
            ));
        }
        let targets = get::parse_targets(&args.args, COMMAND)?;
        for t in targets {
            let ns = t.rt.namespaced.then(|| client.namespace().to_owned());
            if t.names.is_empty() {
                if !args.all && args.selector.is_none() {
                    return Err(CliError::msg(
                        "resource(s) were provided, but no name was specified",
                    ));
                }
                let mut query: Vec<(&str, &str)> = Vec::new();
                if let Some(sel) = &args.selector {
                    query.push(("labelSelector", sel.as_str()));
                }
                let list = client
                    .get_query(&t.rt.path(ns.as_deref(), None), &query)
                    .await?;
                for item in list
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    if let Some(n) = item.pointer("/metadata/name").and_then(Value::as_str) {
                        work.push((t.rt, ns.clone(), n.to_owned(), None));
                    }
                }
            } else {
                if args.all || args.selector.is_some() {
                    return Err(CliError::msg(
                        "name cannot be provided when a selector is specified",
                    ));
                }
                for n in t.names {
                    work.push((t.rt, ns.clone(), n, None));
                }
            }
        }
        if work.is_empty() {
            eprintln!("No resources found");
            return Ok(());
        }
    }
    let mut errors = Vec::new();
    for (rt, ns, name, source) in work {
        match client.delete(&rt.path(ns.as_deref(), Some(&name))).await {
            Ok(_) if names_only => println!("{}/{name}", rt.kind_group()),
            Ok(_) => println!("{} \"{name}\" deleted", rt.kind_group()),
            Err(e) if e.is_not_found() && args.ignore_not_found => {}
            Err(e) => errors.push(match source {
                Some(f) => e.context(&format!("error when deleting \"{f}\"")),
                None => e,
            }),
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(CliError::Many(errors)),
    }
}

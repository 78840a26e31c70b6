//! `tagplane patch TYPE NAME --type strategic|merge|json -p PATCH`.

use serde_json::Value;

use crate::client::{Client, PatchType};
use crate::cmd::create::print_result;
use crate::cmd::get;
use crate::error::CliError;
use crate::output::printer::{OutputFormat, with_type};

const COMMAND: &str = "tagplane patch";

/// Arguments of `patch`.
#[derive(Debug, clap::Args)]
pub struct PatchArgs {
    /// TYPE NAME or TYPE/NAME.
    pub args: Vec<String>,
    /// The patch to apply (JSON or YAML).
    #[arg(short = 'p', long)]
    pub patch: Option<String>,
    /// The patch type: strategic, merge or json.
    #[arg(long = "type", default_value = "strategic")]
    pub patch_type: String,
    /// Output format: json|yaml|name.
    #[arg(short = 'o', long)]
    pub output: Option<String>,
}

/// Run `patch`.
pub async fn run(client: &Client, args: PatchArgs) -> Result<(), CliError> {
    let format = OutputFormat::parse(args.output.as_deref(), COMMAND, false)?;
    let kind = match args.patch_type.to_ascii_lowercase().as_str() {
        "json" => PatchType::Json,
        "merge" => PatchType::Merge,
        "strategic" => PatchType::Strategic,
        other => {
            return Err(CliError::msg(format!(
                "--type must be one of [json merge strategic], not \"{other}\""
            )));
        }
    };
    let Some(text) = args.patch.as_deref().filter(|p| !p.is_empty()) else {
        return Err(CliError::msg(
            "must specify --patch or --patch-file containing the contents of the patch",
        ));
    };
    let body: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => serde_saphyr::from_str(text)
            .map_err(|e| CliError::msg(format!("unable to parse \"{text}\": {e}")))?,
    };
    if args.args.is_empty() {
        return Err(CliError::usage(
            COMMAND,
            "You must provide one or more resources by argument or filename.",
        ));
    }
    let targets = get::parse_targets(&args.args, COMMAND)?;
    let mut errors = Vec::new();
    for t in targets {
        if t.names.is_empty() {
            return Err(CliError::msg(
                "resource(s) were provided, but no name was specified",
            ));
        }
        let ns = t.rt.namespaced.then(|| client.namespace().to_owned());
        for name in &t.names {
            let path = t.rt.path(ns.as_deref(), Some(name));
            let before = match client.get(&path).await {
                Ok(b) => b,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            match client.patch(&path, kind, &body).await {
                Ok(after) => {
                    let verb = if after == before {
                        "patched (no change)"
                    } else {
                        "patched"
                    };
                    let display = format!("{}/{name}", t.rt.kind_group());
                    print_result(&format, with_type(after, t.rt), &display, verb)?;
                }
                Err(e) => errors.push(e),
            }
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(CliError::Many(errors)),
    }
}

//! `tagplane set image-lookup [STREAM|TYPE/NAME …]` (spec cli §A7): list or change whether an
//! image stream resolves short image names (`spec.lookupPolicy.local`).

use clap::{Args, Subcommand};
use serde_json::json;

use crate::client::{Client, PatchType, resource_path};
use crate::error::CliError;
use crate::tabwriter::{self, SET};

const GROUP: &str = "image.openshift.io";

/// Arguments of `set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(subcommand)]
    command: SetCommand,
}

#[derive(Debug, Subcommand)]
enum SetCommand {
    /// Change how images are resolved when deploying applications.
    ImageLookup(ImageLookupArgs),
}

/// Arguments of `set image-lookup`.
#[derive(Debug, Args)]
pub struct ImageLookupArgs {
    /// Image stream names, or `TYPE/NAME` for other objects.
    #[arg(value_name = "STREAM|TYPE/NAME")]
    names: Vec<String>,
    /// Whether the image stream resolves image names (`--enabled=false` turns it off).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_missing_value = "true")]
    enabled: bool,
    /// Print the current setting of the named (or all) image streams.
    #[arg(long)]
    list: bool,
    /// Change every image stream in the namespace.
    #[arg(long)]
    all: bool,
}

/// Run `set`.
pub async fn run(client: &Client, a: SetArgs) -> Result<(), CliError> {
    match a.command {
        SetCommand::ImageLookup(a) => image_lookup(client, a).await,
    }
}

async fn image_lookup(client: &Client, a: ImageLookupArgs) -> Result<(), CliError> {
    let ns = client.namespace().to_owned();
    let list_path = resource_path(GROUP, "imagestreams", Some(&ns), None);

    // Resolve the targets first: bare names are streams, TYPE/NAME must be a stream too.
    let mut streams = Vec::new();
    for n in &a.names {
        match n.split_once('/') {
            None => streams.push(n.clone()),
            Some((t, name)) => {
                let t = t.to_lowercase();
                let t = t.split('.').next().unwrap_or_default();
                if matches!(t, "is" | "imagestream" | "imagestreams") {
                    streams.push(name.to_owned());
                } else {
                    let plural = crate::client::resources::lookup(t)
                        .map(|r| r.plural.to_owned())
                        .unwrap_or_else(|| {
                            if t.ends_with('s') {
                                t.to_owned()
                            } else {
                                format!("{t}s")
                            }
                        });
                    return Err(CliError::msg(format!(
                        "the resource {plural}/{name} does not support altering image lookup"
                    )));
                }
            }
        }
    }

    if a.list || (a.names.is_empty() && !a.all) {
        let mut rows = Vec::new();
        if streams.is_empty() {
            let list = client.get(&list_path).await?;
            for item in list["items"].as_array().into_iter().flatten() {
                rows.push(row(item));
            }
        } else {
            for s in &streams {
                let item = client
                    .get(&resource_path(GROUP, "imagestreams", Some(&ns), Some(s)))
                    .await?;
                rows.push(row(&item));
            }
        }
        let mut text = "NAME\tLOCAL\n".to_owned();
        for (name, local) in rows {
            text.push_str(&format!("{name}\t{local}\n"));
        }
        print!("{}", tabwriter::format(&SET, &text));
        return Ok(());
    }

    if a.all {
        let list = client.get(&list_path).await?;
        for item in list["items"].as_array().into_iter().flatten() {
            if let Some(n) = item["metadata"]["name"].as_str() {
                streams.push(n.to_owned());
            }
        }
    }
    for s in &streams {
        let path = resource_path(GROUP, "imagestreams", Some(&ns), Some(s));
        let current = client.get(&path).await?;
        let local = current["spec"]["lookupPolicy"]["local"]
            .as_bool()
            .unwrap_or(false);
        if local == a.enabled {
            continue;
        }
        client
            .patch(
                &path,
                PatchType::Strategic,
                &json!({"spec": {"lookupPolicy": {"local": a.enabled}}}),
            )
            .await
            .map_err(|e| match e {
                CliError::Api(_) => e,
                other => CliError::msg(format!("failed to patch image lookup: {other}")),
            })?;
        println!("imagestream.image.openshift.io/{s} image lookup updated");
    }
    Ok(())
}

/// One `NAME  LOCAL` row of an image stream.
fn row(item: &serde_json::Value) -> (String, bool) {
    (
        item["metadata"]["name"].as_str().unwrap_or("").to_owned(),
        item["spec"]["lookupPolicy"]["local"]
            .as_bool()
            .unwrap_or(false),
    )
}

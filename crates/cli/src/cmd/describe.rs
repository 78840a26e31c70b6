//! `tagplane describe is/NAME | istag/NAME:TAG | isimage/NAME@ID | image/DIGEST` (spec cli §A3,
//! §A4): fetch each object over HTTP and print oc's describer text.

use clap::Args;
use serde_json::Value;
use tagplane_api::image::{Image, ImageStream};

use crate::client::resources::{self, ResourceType};
use crate::client::{Client, resource_path};
use crate::describe::{describe_image, describe_image_stream};
use crate::error::CliError;

/// Arguments of `describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// `TYPE NAME…`, `TYPE/NAME…`, or just `TYPE` to describe every object of that type.
    #[arg(value_name = "TYPE/NAME")]
    pub args: Vec<String>,
}

const COMMAND: &str = "tagplane describe";

/// Run `describe`.
pub async fn run(client: &Client, args: DescribeArgs) -> Result<(), CliError> {
    if args.args.is_empty() {
        // kubectl's first sentence; then the types this command describes.
        return Err(CliError::msg(
            "You must specify the type of resource to describe. Supported types: imagestreams (is), imagestreamtags (istag), imagestreamimages (isimage), images (image).",
        ));
    }
    let targets = parse_targets(&args.args)?;
    let mut errors = Vec::new();
    let mut first = true;
    let mut emit = |text: String| {
        if first {
            print!("{text}");
            first = false;
        } else {
            print!("\n\n{text}");
        }
    };
    let single_name = args.args.len() == 2 && !args.args[0].contains('/');
    for (rt, name) in targets {
        let names = match name {
            Some(n) => vec![n],
            None => match list_names(client, rt).await {
                Ok(n) if n.is_empty() => {
                    if rt.namespaced {
                        eprintln!("No resources found in {} namespace.", client.namespace());
                    } else {
                        eprintln!("No resources found");
                    }
                    continue;
                }
                Ok(n) => n,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
        };
        for name in names {
            match describe_one(client, rt, &name).await {
                Ok(text) => emit(text),
                Err(e) if e.is_not_found() && single_name => {
                    // kubectl describes the objects whose names start with NAME instead.
                    let matching: Vec<String> = list_names(client, rt)
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|n| n.starts_with(&name))
                        .collect();
                    if matching.is_empty() {
                        errors.push(e);
                    }
                    for m in matching {
                        match describe_one(client, rt, &m).await {
                            Ok(text) => emit(text),
                            Err(e) => errors.push(e),
                        }
                    }
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

/// `TYPE NAME…` or `TYPE/NAME…` into (type, optional name) pairs.
fn parse_targets(
    args: &[String],
) -> Result<Vec<(&'static ResourceType, Option<String>)>, CliError> {
    let mut out = Vec::new();
    if args[0].contains('/') {
        for a in args {
            let Some((t, n)) = a.split_once('/') else {
                return Err(CliError::msg(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '{COMMAND} resource/<resource_name>' instead of '{COMMAND} resource resource/<resource_name>'"
                )));
            };
            if n.is_empty() {
                return Err(CliError::msg(
                    "arguments in resource/name form must have a single resource and name",
                ));
            }
            out.push((describable(t)?, Some(n.to_owned())));
        }
    } else {
        let rt = describable(&args[0])?;
        if args.len() == 1 {
            out.push((rt, None));
        }
        for n in &args[1..] {
            out.push((rt, Some(n.clone())));
        }
    }
    Ok(out)
}

/// The resource type for `name`, limited to the kinds with an image describer.
fn describable(name: &str) -> Result<&'static ResourceType, CliError> {
    let rt = resources::resolve(name)?;
    match rt.plural {
        "imagestreams" | "imagestreamtags" | "imagestreamimages" | "images" => Ok(rt),
        other => Err(CliError::msg(format!(
            "describe is not supported for {other}.{}",
            rt.group
        ))),
    }
}

/// The names of every object of `rt` in the current namespace.
async fn list_names(client: &Client, rt: &ResourceType) -> Result<Vec<String>, CliError> {
    let ns = rt.namespaced.then(|| client.namespace());
    let list = client
        .get(&resource_path(rt.group, rt.plural, ns, None))
        .await?;
    Ok(list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Fetch one object and describe it.
async fn describe_one(client: &Client, rt: &ResourceType, name: &str) -> Result<String, CliError> {
    let ns = rt.namespaced.then(|| client.namespace());
    let obj = client
        .get(&resource_path(rt.group, rt.plural, ns, Some(name)))
        .await?;
    let now = crate::describe::now();
    match rt.plural {
        "imagestreams" => {
            let stream: ImageStream = decode(obj)?;
            Ok(describe_image_stream(&stream, now))
        }
        "images" => {
            let image: Image = decode(obj)?;
            describe_image(&image, None, now)
        }
        _ => {
            // ImageStreamTag and ImageStreamImage embed the image under `image`.
            let image: Image = decode(obj["image"].clone())?;
            let digest = image.metadata.name.clone().unwrap_or_default();
            describe_image(&image, Some(&digest), now)
        }
    }
}

/// Decode a server object, turning a malformed body into a readable error.
fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, CliError> {
    serde_json::from_value(v)
        .map_err(|e| CliError::msg(format!("unable to decode the server's answer: {e}")))
}

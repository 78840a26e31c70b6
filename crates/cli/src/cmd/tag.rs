//! `tagplane tag [--source=KIND] SOURCE DEST [DEST…]` and `tagplane tag -d DEST…` (spec cli §A1):
//! point image stream tags at images, other tags or external images, or delete tags.

use clap::Args;
use serde_json::{Value, json};
use tagplane_api::image::ImageStream;
use tagplane_api::reference::ImageReference;

use crate::client::{Client, resource_path};
use crate::error::{CliError, go_quote};

const COMMAND: &str = "tagplane tag";
const GROUP: &str = "image.openshift.io";

/// Arguments of `tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// `SOURCE DEST [DEST…]`, or `DEST…` with `--delete`.
    #[arg(value_name = "SOURCE DEST")]
    pub args: Vec<String>,
    /// Optional hint for the source type: imagestreamtag, istag, imagestreamimage, isimage,
    /// docker or dockerimage.
    #[arg(long = "source", default_value = "")]
    pub source: String,
    /// Delete the given spec tags.
    #[arg(short = 'd', long = "delete")]
    pub delete: bool,
    /// Make the destination a reference that follows SOURCE (same image stream only).
    #[arg(long)]
    pub alias: bool,
    /// Point the destination at SOURCE without importing it.
    #[arg(long)]
    pub reference: bool,
    /// Import the container image periodically from the remote repository.
    #[arg(long)]
    pub scheduled: bool,
    /// Allow HTTP or self-signed certificates when importing the container image.
    #[arg(long)]
    pub insecure: bool,
    /// `source` (default) or `local`: whether pulls go through the integrated registry.
    #[arg(long = "reference-policy", default_value = "source")]
    pub reference_policy: String,
    /// `Legacy` (default) or `PreserveOriginal` (keep manifest lists whole).
    #[arg(long = "import-mode", default_value = "")]
    pub import_mode: String,
}

/// The resolved source of a tag.
#[derive(Debug, Clone)]
struct Source {
    kind: String,
    reference: ImageReference,
}

/// Run `tag`.
pub async fn run(client: &Client, a: TagArgs) -> Result<(), CliError> {
    let namespace = client.namespace().to_owned();
    if a.args.is_empty() && !a.delete {
        return Err(CliError::usage(
            COMMAND,
            "you must specify a source and at least one destination or one or more tags to delete",
        ));
    }

    // Complete: the source.
    let mut args: &[String] = &a.args;
    let mut source: Option<Source> = None;
    if !a.delete {
        let raw = &args[0];
        let kind = if a.source.is_empty() {
            String::new()
        } else {
            let valid = [
                "docker",
                "dockerimage",
                "imagestreamimage",
                "imagestreamtag",
                "isimage",
                "istag",
            ];
            match a.source.to_lowercase().as_str() {
                "imagestreamtag" | "istag" | "imagestreamtags" => "ImageStreamTag".to_owned(),
                "imagestreamimage" | "isimage" | "imagestreamimages" => {
                    "ImageStreamImage".to_owned()
                }
                "docker" | "dockerimage" => "DockerImage".to_owned(),
                _ => {
                    return Err(CliError::usage(
                        COMMAND,
                        format!(
                            "invalid source {}; valid values are {}",
                            go_quote(&a.source),
                            valid.join(", ")
                        ),
                    ));
                }
            }
        };
        let mut r = ImageReference::parse(raw)
            .map_err(|e| CliError::msg(format!("invalid SOURCE: {e}")))?;
        let mut kind = kind;
        match kind.as_str() {
            "ImageStreamTag" | "ImageStreamImage" => {
                if !r.registry.is_empty() {
                    return Err(CliError::msg(
                        "server in SOURCE is only allowed when providing a container image",
                    ));
                }
                if r.namespace == "library" {
                    r.namespace = namespace.clone();
                }
                if kind == "ImageStreamTag" && r.tag.is_empty() {
                    return Err(CliError::msg(
                        "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE",
                    ));
                }
                if kind == "ImageStreamImage" && r.id.is_empty() {
                    return Err(CliError::msg(
                        "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE",
                    ));
                }
            }
            "" => {
                kind = if !r.registry.is_empty() {
                    "DockerImage"
                } else if !r.id.is_empty() {
                    "ImageStreamImage"
                } else if !r.tag.is_empty() {
                    "ImageStreamTag"
                } else {
                    "DockerImage"
                }
                .to_owned();
            }
            _ => {}
        }
        // Without --alias, pin the istag to what it points at right now.
        if kind == "ImageStreamTag" && !a.alias {
            let src_ns = if r.namespace.is_empty() {
                namespace.clone()
            } else {
                r.namespace.clone()
            };
            let v = client
                .get(&resource_path(
                    GROUP,
                    "imagestreams",
                    Some(&src_ns),
                    Some(&r.name),
                ))
                .await?;
            let stream: ImageStream = serde_json::from_value(v)?;
            let event = stream
                .status
                .tags
                .iter()
                .find(|t| t.tag == r.tag)
                .and_then(|t| t.items.as_deref())
                .and_then(|i| i.first());
            let Some(event) = event else {
                return Err(CliError::msg(format!(
                    "{} is not currently pointing to an image, cannot use it as the source of a tag",
                    go_quote(raw)
                )));
            };
            if event.image.is_empty() {
                r = ImageReference::parse(&event.docker_image_reference).map_err(|e| {
                    CliError::msg(format!(
                        "the image stream tag {} has an invalid pull spec and cannot be used to tag: {e}",
                        go_quote(raw)
                    ))
                })?;
                kind = "DockerImage".to_owned();
            } else {
                r.id = event.image.clone();
                r.tag = String::new();
                kind = "ImageStreamImage".to_owned();
            }
        }
        args = &args[1..];
        source = Some(Source { kind, reference: r });
    }

    // Complete: the destinations.
    let mut dests: Vec<(String, String)> = Vec::new();
    for arg in args {
        dests.push(parse_stream_name(&namespace, arg)?);
    }

    // Validate.
    if a.delete && a.alias {
        return Err(CliError::msg(
            "--alias and --delete may not be both specified",
        ));
    }
    if a.reference_policy != "source" && a.reference_policy != "local" {
        return Err(CliError::msg(
            "reference policy must be set to 'source' or 'local'",
        ));
    }
    if a.delete {
        if !a.source.is_empty() {
            return Err(CliError::msg("cannot specify a source kind when deleting"));
        }
        if a.scheduled || a.insecure {
            return Err(CliError::msg(
                "cannot set flags for importing images when deleting a tag",
            ));
        }
        if !a.import_mode.is_empty() {
            return Err(CliError::msg("cannot specify an import mode when deleting"));
        }
    }
    if dests.is_empty() {
        return Err(CliError::msg("at least a destination is required"));
    }
    if let Some(src) = &source {
        if src.kind != "DockerImage" && (a.scheduled || a.insecure) {
            return Err(CliError::msg(
                "only container images can have importing flags set",
            ));
        }
        if a.alias {
            if a.scheduled || a.insecure {
                return Err(CliError::msg(
                    "cannot set a container image tag as an alias and also set import flags",
                ));
            }
            for (ns, name_tag) in &dests {
                if *ns != namespace {
                    return Err(CliError::msg(
                        "cannot set alias across different Image Streams",
                    ));
                }
                let Some((name, _)) = split_image_stream_tag(name_tag) else {
                    return Err(CliError::msg(format!(
                        "{} must be of the form <stream_name>:<tag>",
                        go_quote(name_tag)
                    )));
                };
                if name != src.reference.name {
                    return Err(CliError::msg(
                        "cannot set alias across different Image Streams",
                    ));
                }
            }
        }
    }
    if !a.import_mode.is_empty() && a.import_mode != "Legacy" && a.import_mode != "PreserveOriginal"
    {
        return Err(CliError::msg(
            "valid ImportMode values are Legacy or PreserveOriginal",
        ));
    }
    if !a.delete {
        for (_, name_tag) in &dests {
            if let Some((_, tag)) = split_image_stream_tag(name_tag)
                && !valid_tag_name(&tag)
            {
                return Err(CliError::msg(format!(
                    "invalid tag {} format, tags must start with an alphanumeric character followed by alphanumeric, '.' or '-' characters, and have a maximum of 128 characters",
                    go_quote(&tag)
                )));
            }
        }
    }

    // Run.
    for (ns, name_tag) in &dests {
        let Some((name, tag)) = split_image_stream_tag(name_tag) else {
            return Err(CliError::msg(format!(
                "{} must be of the form <stream_name>:<tag>",
                go_quote(name_tag)
            )));
        };
        let istag_name = format!("{name}:{tag}");
        match &source {
            None => {
                let path = resource_path(GROUP, "imagestreamtags", Some(ns), Some(&istag_name));
                let message = retry_on_conflict(|| async {
                    match client.delete(&path).await {
                        Ok(_) => Ok(format!("Deleted tag {ns}/{name_tag}.")),
                        Err(e) if is_unsupported(&e) => {
                            legacy_delete(client, ns, &name, &tag, name_tag).await
                        }
                        Err(e) => Err(e),
                    }
                })
                .await?;
                println!("{message}");
            }
            Some(src) => {
                let body = istag_body(&a, src, ns, &istag_name, &tag, &namespace);
                let path = resource_path(GROUP, "imagestreamtags", Some(ns), Some(&istag_name));
                let collection = resource_path(GROUP, "imagestreamtags", Some(ns), None);
                retry_on_conflict(|| async {
                    match client.put(&path, &body).await {
                        Ok(_) => Ok(String::new()),
                        Err(e) if falls_back_to_create(&e) => {
                            match client.post(&collection, &body).await {
                                Ok(_) => Ok(String::new()),
                                Err(e) if is_unsupported(&e) => {
                                    legacy_set(client, ns, &name, &body["tag"]).await
                                }
                                Err(e) => Err(e),
                            }
                        }
                        Err(e) => Err(e),
                    }
                })
                .await?;
                println!("{}", success_line(&a, src, ns, name_tag, &namespace));
            }
        }
    }
    Ok(())
}

/// Whether a failed PUT should be retried as a POST (the tag or stream does not exist yet).
fn falls_back_to_create(e: &CliError) -> bool {
    e.is_not_found() || is_unsupported(e)
}

/// Forbidden or MethodNotSupported: the server may not offer the ImageStreamTag verb, so oc
/// falls back to editing the image stream itself.
fn is_unsupported(e: &CliError) -> bool {
    matches!(e.reason(), Some("Forbidden" | "MethodNotAllowed"))
        || matches!(e.code(), Some(403 | 405))
}

/// The legacy way to set a tag: edit `spec.tags` of the stream (creating the stream if needed).
async fn legacy_set(
    client: &Client,
    ns: &str,
    name: &str,
    tag_ref: &Value,
) -> Result<String, CliError> {
    let path = resource_path(GROUP, "imagestreams", Some(ns), Some(name));
    let (mut stream, exists) = match client.get(&path).await {
        Ok(v) => (v, true),
        Err(e) if e.is_not_found() => (
            json!({"apiVersion": "image.openshift.io/v1", "kind": "ImageStream",
                   "metadata": {"name": name}, "spec": {}}),
            false,
        ),
        Err(e) => return Err(e),
    };
    let tag = tag_ref["name"].as_str().unwrap_or_default().to_owned();
    let mut tag_ref = tag_ref.clone();
    let tags = stream["spec"]["tags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let old = tags.iter().position(|t| t["name"] == tag.as_str());
    if let Some(i) = old
        && tags[i].get("generation").is_none_or(Value::is_null)
    {
        // Servers without tag generations re-import only when the check annotation is gone.
        if let Some(a) = stream["metadata"]["annotations"].as_object_mut() {
            a.remove("openshift.io/image.dockerRepositoryCheck");
        }
        if let Some(o) = tag_ref.as_object_mut() {
            o.remove("generation");
        }
    }
    let mut tags = tags;
    match old {
        Some(i) => tags[i] = tag_ref,
        None => tags.push(tag_ref),
    }
    stream["spec"]["tags"] = Value::Array(tags);
    if exists {
        client.put(&path, &stream).await?;
    } else {
        client
            .post(
                &resource_path(GROUP, "imagestreams", Some(ns), None),
                &stream,
            )
            .await?;
    }
    Ok(String::new())
}

/// The legacy way to delete a tag: remove it from `spec.tags` of the stream.
async fn legacy_delete(
    client: &Client,
    ns: &str,
    name: &str,
    tag: &str,
    name_tag: &str,
) -> Result<String, CliError> {
    let path = resource_path(GROUP, "imagestreams", Some(ns), Some(name));
    let mut stream = match client.get(&path).await {
        Ok(v) => v,
        Err(e) if e.is_not_found() => {
            return Ok(format!("Image stream {} does not exist.", go_quote(name)));
        }
        Err(e) => return Err(e),
    };
    let tags = stream["spec"]["tags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !tags.iter().any(|t| t["name"] == tag) {
        return Err(CliError::msg(format!(
            "destination tag {ns}/{name_tag} does not exist.\n"
        )));
    }
    let kept: Vec<Value> = tags.into_iter().filter(|t| t["name"] != tag).collect();
    stream["spec"]["tags"] = Value::Array(kept);
    client.put(&path, &stream).await?;
    Ok(format!("Deleted tag {ns}/{name_tag}."))
}

/// client-go's `RetryOnConflict` with `DefaultRetry` (5 attempts) on 409 Conflict.
async fn retry_on_conflict<T, F, Fut>(mut f: F) -> Result<T, CliError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CliError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match f().await {
            Err(e) if e.reason() == Some("Conflict") && attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
            }
            other => return other,
        }
    }
}

/// The ImageStreamTag written for one destination.
fn istag_body(
    a: &TagArgs,
    src: &Source,
    dest_ns: &str,
    name_tag: &str,
    tag: &str,
    current_ns: &str,
) -> Value {
    let mut import_policy = json!({});
    if a.insecure {
        import_policy["insecure"] = json!(true);
    }
    if a.scheduled {
        import_policy["scheduled"] = json!(true);
    }
    if !a.import_mode.is_empty() {
        import_policy["importMode"] = json!(a.import_mode);
    }
    let policy = if a.reference_policy == "local" {
        "Local"
    } else {
        "Source"
    };
    let mut from = json!({"kind": src.kind});
    let mut tag_ref = json!({
        "name": tag,
        "importPolicy": import_policy,
        "referencePolicy": {"type": policy},
    });
    if a.reference {
        tag_ref["reference"] = json!(true);
    }
    if src.kind == "DockerImage" {
        from["name"] = json!(src.reference.exact());
        tag_ref["generation"] = json!(0);
    } else {
        from["name"] = json!(name_string(&src.reference));
        let mut from_ns = src.reference.namespace.clone();
        if from_ns.is_empty() && dest_ns != current_ns {
            from_ns = current_ns.to_owned();
        }
        if !from_ns.is_empty() {
            from["namespace"] = json!(from_ns);
        }
    }
    tag_ref["from"] = from;
    json!({
        "apiVersion": "image.openshift.io/v1",
        "kind": "ImageStreamTag",
        "metadata": {"name": name_tag, "namespace": dest_ns},
        "tag": tag_ref,
        "lookupPolicy": {"local": false},
        "image": {"metadata": {}},
    })
}

/// The line printed after a destination was written.
fn success_line(
    a: &TagArgs,
    src: &Source,
    dest_ns: &str,
    name_tag: &str,
    current_ns: &str,
) -> String {
    let same = dest_ns == current_ns;
    let dst = if same {
        name_tag.to_owned()
    } else {
        format!("{dest_ns}/{name_tag}")
    };
    let s = src.reference.exact();
    if a.alias {
        format!("Tag {dst} set up to track {s}.")
    } else if a.scheduled {
        if same {
            format!("Tag {dst} set to import {s} periodically.")
        } else {
            format!("Tag {dst} set to {s} periodically.")
        }
    } else {
        format!("Tag {dst} set to {s}.")
    }
}

/// library-go's `DockerImageReference.NameString`: name plus `@id` or `:tag`.
fn name_string(r: &ImageReference) -> String {
    if r.name.is_empty() {
        String::new()
    } else if !r.id.is_empty() {
        if tagplane_api::reference::is_valid_digest(&r.id) {
            format!("{}@{}", r.name, r.id)
        } else {
            format!("{}:{}", r.name, r.id)
        }
    } else if !r.tag.is_empty() {
        format!("{}:{}", r.name, r.tag)
    } else {
        r.name.clone()
    }
}

/// oc's `parseStreamName`: `[ns/]name:tag` into (namespace, name:tag).
fn parse_stream_name(default_ns: &str, arg: &str) -> Result<(String, String), CliError> {
    if !arg.contains('/') {
        return Ok((default_ns.to_owned(), arg.to_owned()));
    }
    let parts: Vec<&str> = arg.split('/').collect();
    if parts.len() != 2 {
        return Err(CliError::msg(format!(
            "invalid image stream {}",
            go_quote(arg)
        )));
    }
    if parts[0].is_empty() {
        return Err(CliError::msg(format!(
            "invalid namespace {} for image stream {}",
            go_quote(parts[0]),
            go_quote(arg)
        )));
    }
    if parts[1].is_empty() {
        return Err(CliError::msg(format!(
            "invalid name {} for image stream {}",
            go_quote(parts[1]),
            go_quote(arg)
        )));
    }
    Ok((parts[0].to_owned(), parts[1].to_owned()))
}

/// library-go's `SplitImageStreamTag`: `None` without a `:`; an empty tag means `latest`.
fn split_image_stream_tag(s: &str) -> Option<(String, String)> {
    let (name, tag) = s.split_once(':')?;
    let tag = if tag.is_empty() { "latest" } else { tag };
    Some((name.to_owned(), tag.to_owned()))
}

/// `^[\w][\w.-]{0,127}$`.
fn valid_tag_name(t: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = t.chars();
    match chars.next() {
        Some(c) if word(c) => {}
        _ => return false,
    }
    t.len() <= 128 && chars.all(|c| word(c) || c == '.' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_parse_like_oc() {
        assert_eq!(
            parse_stream_name("me", "a:b").unwrap(),
            ("me".into(), "a:b".into())
        );
        assert_eq!(
            parse_stream_name("me", "other/a:b").unwrap(),
            ("other".into(), "a:b".into())
        );
        assert_eq!(
            parse_stream_name("me", "x/y/z:b").unwrap_err().to_string(),
            "error: invalid image stream \"x/y/z:b\""
        );
        assert_eq!(
            parse_stream_name("me", "/z:b").unwrap_err().to_string(),
            "error: invalid namespace \"\" for image stream \"/z:b\""
        );
        assert_eq!(
            parse_stream_name("me", "x/").unwrap_err().to_string(),
            "error: invalid name \"\" for image stream \"x/\""
        );
    }

    #[test]
    fn tag_names_follow_the_docker_rule() {
        assert!(valid_tag_name("3.6"));
        assert!(valid_tag_name("v1_x-y.z"));
        assert!(!valid_tag_name("-x"));
        assert!(!valid_tag_name(".x"));
        assert!(!valid_tag_name("a/b"));
        assert!(!valid_tag_name(&"a".repeat(129)));
        assert!(valid_tag_name(&"a".repeat(128)));
    }

    #[test]
    fn split_defaults_empty_tag_to_latest() {
        assert_eq!(
            split_image_stream_tag("a:"),
            Some(("a".into(), "latest".into()))
        );
        assert_eq!(split_image_stream_tag("a"), None);
        assert_eq!(
            split_image_stream_tag("a:b:c"),
            Some(("a".into(), "b:c".into()))
        );
    }
}

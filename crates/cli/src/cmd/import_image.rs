//! `tagplane import-image IMAGESTREAM[:TAG]` (spec cli §A2): build an ImageStreamImport from the
//! stream (or a new one with `--confirm`), POST it, and print the imported stream and images.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use clap::Args;
use tagplane_api::image::{
    ImageStream, ImageStreamImport, TagImportPolicy, TagReference, TagReferencePolicy,
};
use tagplane_api::meta::ObjectReference;
use tagplane_api::reference::ImageReference;

use crate::client::{Client, resource_path};
use crate::describe::{
    FollowError, describe_image, describe_image_stream, follow_tag_reference_checked, now,
};
use crate::error::{CliError, go_quote};

const GROUP: &str = "image.openshift.io";
const INSECURE_ANNOTATION: &str = "openshift.io/image.insecureRepository";
const CHECK_ANNOTATION: &str = "openshift.io/image.dockerRepositoryCheck";

/// Arguments of `import-image`.
#[derive(Debug, Args)]
pub struct ImportImageArgs {
    /// `IMAGESTREAM[:TAG]` (or a pull spec whose last path component names the stream).
    #[arg(value_name = "IMAGESTREAM[:TAG]")]
    pub target: Option<String>,
    /// A container image repository to import images from.
    #[arg(long, default_value = "")]
    pub from: String,
    /// Create the image stream or update its whole-repository source if needed.
    #[arg(long)]
    pub confirm: bool,
    /// Import all tags of the remote repository.
    #[arg(long)]
    pub all: bool,
    /// Re-import the image(s) periodically.
    #[arg(long)]
    pub scheduled: bool,
    /// Allow HTTP or self-signed certificates (overrides the stream's insecure annotation).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub insecure: Option<bool>,
    /// `source` or `local`: whether pulls go through the integrated registry.
    #[arg(long = "reference-policy")]
    pub reference_policy: Option<String>,
    /// `Legacy` (default) or `PreserveOriginal`.
    #[arg(long = "import-mode", default_value = "")]
    pub import_mode: String,
    /// Fetch the metadata without changing anything on the server.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Output format: `yaml` or `json` prints the image stream instead of the summary.
    #[arg(short = 'o', long = "output", default_value = "")]
    pub output: String,
}

/// Run `import-image`.
pub async fn run(client: &Client, a: ImportImageArgs) -> Result<(), CliError> {
    let namespace = client.namespace().to_owned();
    let target = a.target.clone().unwrap_or_default();
    let parsed = ImageReference::parse(&target).ok();
    let Some(r) = parsed.filter(|_| !target.is_empty()) else {
        return Err(CliError::msg(
            "the image name must be a valid container image pull spec or reference to an image stream (e.g. myregistry/myteam/image:tag)",
        ));
    };
    if !r.id.is_empty() {
        return Err(CliError::msg(
            "to import images by ID, use the 'tag' command",
        ));
    }
    if !r.tag.is_empty() && a.all {
        return Err(CliError::msg(format!(
            "cannot specify a tag {} as well as --all",
            go_quote(&target)
        )));
    }
    let tag = if r.tag.is_empty() && !a.all {
        "latest".to_owned()
    } else {
        r.tag.clone()
    };
    let name = r.name.rsplit('/').next().unwrap_or_default().to_owned();
    let reference_policy = match a.reference_policy.as_deref().map(str::to_lowercase) {
        None => String::new(),
        Some(p) if p == "source" => "Source".to_owned(),
        Some(p) if p == "local" => "Local".to_owned(),
        Some(_) => {
            return Err(CliError::msg(
                "valid reference policy values are source or local",
            ));
        }
    };
    if !a.import_mode.is_empty() && a.import_mode != "Legacy" && a.import_mode != "PreserveOriginal"
    {
        return Err(CliError::msg(
            "valid ImportMode values are Legacy or PreserveOriginal",
        ));
    }
    let opts = Options {
        a: &a,
        namespace: &namespace,
        name: &name,
        tag: &tag,
        target: &target,
        reference_policy,
    };

    let stream_path = resource_path(GROUP, "imagestreams", Some(&namespace), Some(&name));
    let (stream, isi) = match client.get(&stream_path).await {
        Ok(v) => {
            let mut stream: ImageStream = serde_json::from_value(v)?;
            let isi = if a.all {
                opts.import_all(&mut stream)?
            } else {
                opts.import_tag(&mut stream)?
            };
            (stream, isi)
        }
        Err(e) if e.is_not_found() => {
            if !a.confirm {
                return Err(CliError::msg(format!(
                    "no image stream named {} exists, pass --confirm to create and import",
                    go_quote(&name)
                )));
            }
            opts.new_stream()
        }
        Err(e) => return Err(e),
    };

    let result = {
        let _progress = Progress::start(&name);
        client
            .post(
                &resource_path(GROUP, "imagestreamimports", Some(&namespace), None),
                &serde_json::to_value(&isi)?,
            )
            .await?
    };
    let result: ImageStreamImport = serde_json::from_value(result)?;

    let mut stream_out = stream.clone();
    stream_out.api_version = "image.openshift.io/v1".to_owned();
    stream_out.kind = "ImageStream".to_owned();
    match a.output.as_str() {
        "" | "name" => {}
        "json" => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&stream_out, &mut ser)?;
            println!("{}", String::from_utf8_lossy(&buf));
            return finish(&result);
        }
        "yaml" => {
            let y = serde_saphyr::to_string(&stream_out)
                .map_err(|e| CliError::msg(format!("cannot encode YAML: {e}")))?;
            print!("{y}");
            return finish(&result);
        }
        other => {
            return Err(CliError::msg(format!(
                "unable to match a printer suitable for the output format {} and the options specified: &get.PrintFlags{{}}",
                go_quote(other)
            )));
        }
    }

    let failed = was_error(&result);
    let mut message = if failed {
        "imported with errors".to_owned()
    } else {
        "imported".to_owned()
    };
    if a.dry_run {
        message.push_str(" (dry run)");
    }
    message.push_str("\n\n");
    let now = now();
    if let Some(imported) = &result.status.import {
        message.push_str(&describe_image_stream(imported, now));
        message.push('\n');
    }
    let mut errors = String::new();
    // A repository import's images first, then the single-tag ones; a missing image is an
    // error about a "repository tag" or a "tag".
    let repository = result.status.repository.iter().flat_map(|r| &r.images);
    let images = (repository.map(|i| (i, "repository tag")))
        .chain(result.status.images.iter().map(|i| (i, "tag")));
    for (image, what) in images {
        match &image.image {
            Some(img) => match describe_image(img, Some(&format!("{name}:{}", image.tag)), now) {
                Ok(text) => {
                    message.push_str(&text);
                    message.push('\n');
                }
                Err(e) => errors.push_str(&format!(
                    "error: tag {} failed: {}\n",
                    image.tag,
                    e.to_string().trim_start_matches("error: ")
                )),
            },
            None => errors.push_str(&format!(
                "error: {what} {} failed: {}\n",
                image.tag,
                image.status.message.as_deref().unwrap_or("")
            )),
        }
    }
    if let Some(repo) = &result.status.repository
        && !repo.additional_tags.is_empty()
    {
        message.push_str(&format!(
            "\ninfo: The remote repository contained {} additional tags which were not imported: {}\n",
            repo.additional_tags.len(),
            repo.additional_tags.join(", ")
        ));
    }
    eprint!("{errors}");
    let _ = std::io::stderr().flush();
    // `-o name` is the default printer: the message rides along as the "operation".
    println!("imagestream.image.openshift.io/{name} {message}");
    finish(&result)
}

/// Exit status after printing: failure when any image or the repository failed.
fn finish(result: &ImageStreamImport) -> Result<(), CliError> {
    if was_error(result) {
        return Err(CliError::msg("imported completed with errors"));
    }
    Ok(())
}

/// Whether the server reported a failed image or repository import.
fn was_error(isi: &ImageStreamImport) -> bool {
    let failed = |s: &tagplane_api::meta::Status| s.status.as_deref() == Some("Failure");
    isi.status.images.iter().any(|i| failed(&i.status))
        || isi
            .status
            .repository
            .as_ref()
            .is_some_and(|r| failed(&r.status))
}

/// The parsed command line.
struct Options<'a> {
    a: &'a ImportImageArgs,
    namespace: &'a str,
    name: &'a str,
    tag: &'a str,
    target: &'a str,
    reference_policy: String,
}

impl Options<'_> {
    fn tag_reference_policy(&self) -> TagReferencePolicy {
        TagReferencePolicy {
            type_: self.reference_policy.clone(),
        }
    }

    /// `--confirm` on a missing stream: a new stream with one tag or a whole repository.
    fn new_stream(&self) -> (ImageStream, ImageStreamImport) {
        let from = if self.a.from.is_empty() {
            self.target.to_owned()
        } else {
            self.a.from.clone()
        };
        let mut stream = ImageStream {
            api_version: "image.openshift.io/v1".to_owned(),
            kind: "ImageStream".to_owned(),
            ..Default::default()
        };
        stream.metadata.name = Some(self.name.to_owned());
        if self.a.all {
            stream.spec.docker_image_repository = from.clone();
            let isi = self.import_all_isi(&stream, &from);
            (stream, isi)
        } else {
            stream.spec.tags.push(TagReference {
                from: Some(docker(&from)),
                reference_policy: self.tag_reference_policy(),
                ..Default::default()
            });
            let mut tags = BTreeMap::new();
            tags.insert(self.tag.to_owned(), from);
            let isi = self.import_tags_isi(&stream, &tags);
            (stream, isi)
        }
    }

    /// `--all` on an existing stream.
    fn import_all(&self, stream: &mut ImageStream) -> Result<ImageStreamImport, CliError> {
        let mut from = self.a.from.clone();
        if from.is_empty() {
            if !stream.spec.docker_image_repository.is_empty() {
                from = stream.spec.docker_image_repository.clone();
            } else {
                let tags: BTreeMap<String, String> = stream
                    .spec
                    .tags
                    .iter()
                    .filter_map(|t| {
                        t.from
                            .as_ref()
                            .filter(|f| f.kind == "DockerImage")
                            .map(|f| (t.name.clone(), f.name.clone()))
                    })
                    .collect();
                if tags.is_empty() {
                    return Err(CliError::msg(
                        "image stream does not have tags pointing to external container images",
                    ));
                }
                return Ok(self.import_tags_isi(stream, &tags));
            }
        }
        if from != stream.spec.docker_image_repository {
            if !self.a.confirm {
                if stream.spec.docker_image_repository.is_empty() {
                    return Err(CliError::msg(
                        "the image stream does not currently import an entire Docker repository, pass --confirm to update",
                    ));
                }
                return Err(CliError::msg(format!(
                    "the image stream has a different import spec {}, pass --confirm to update",
                    go_quote(&stream.spec.docker_image_repository)
                )));
            }
            stream.spec.docker_image_repository = from.clone();
        }
        Ok(self.import_all_isi(stream, &from))
    }

    /// A single tag on an existing stream.
    fn import_tag(&self, stream: &mut ImageStream) -> Result<ImageStreamImport, CliError> {
        let mut from = self.a.from.clone();
        let mut tag = self.tag.to_owned();
        let q = go_quote(&tag);
        let existing = match follow_tag_reference_checked(stream, &tag) {
            Err(FollowError::CrossStream) => {
                return Err(CliError::msg(format!(
                    "tag {q} points to an imagestreamtag from another ImageStream"
                )));
            }
            Err(FollowError::Circular) => {
                return Err(CliError::msg(format!(
                    "tag {q} on the image stream is a reference to same tag"
                )));
            }
            Err(FollowError::NotFound) => {
                if from.is_empty() && tag == "latest" {
                    from = stream.spec.docker_image_repository.clone();
                }
                if from.is_empty() {
                    return Err(CliError::msg(format!(
                        "the tag {q} does not exist on the image stream - choose an existing tag to import or use the 'tag' command to create a new tag"
                    )));
                }
                TagReference {
                    from: Some(docker(&from)),
                    ..Default::default()
                }
            }
            Ok((final_tag, existing, multiple)) => {
                let mut existing = existing.clone();
                match &existing.from {
                    Some(f) if f.kind != "DockerImage" => {
                        return Err(CliError::msg(format!(
                            "tag {q} points to existing {} {}, it cannot be re-imported",
                            f.kind,
                            go_quote(&f.name)
                        )));
                    }
                    None => {
                        return Err(CliError::msg(format!(
                            "tag {q} already exists - you must use the 'tag' command if you want to change the source to {}",
                            go_quote(&from)
                        )));
                    }
                    Some(f) if !from.is_empty() && from != f.name => {
                        if multiple {
                            return Err(CliError::msg(format!(
                                "the tag {q} points to the tag {} which points to {} - use the 'tag' command if you want to change the source to {}",
                                go_quote(&final_tag),
                                go_quote(&f.name),
                                go_quote(&from)
                            )));
                        }
                        return Err(CliError::msg(format!(
                            "the tag {q} points to {} - use the 'tag' command if you want to change the source to {}",
                            go_quote(&f.name),
                            go_quote(&from)
                        )));
                    }
                    Some(f) => from = f.name.clone(),
                }
                if multiple {
                    tag = final_tag;
                }
                if let Some(a) = existing.annotations.as_mut() {
                    a.remove(CHECK_ANNOTATION);
                }
                existing.generation = Some(0);
                existing
            }
        };
        match stream.spec.tags.iter_mut().find(|t| t.name == tag) {
            Some(t) => *t = existing,
            None => stream.spec.tags.push(existing),
        }
        let mut tags = BTreeMap::new();
        tags.insert(tag, from);
        Ok(self.import_tags_isi(stream, &tags))
    }

    /// The ISI skeleton and the stream-level insecure setting.
    fn base_isi(&self, stream: &ImageStream) -> (ImageStreamImport, bool) {
        let mut isi = ImageStreamImport {
            api_version: "image.openshift.io/v1".to_owned(),
            kind: "ImageStreamImport".to_owned(),
            ..Default::default()
        };
        isi.metadata.name = stream.metadata.name.clone();
        isi.metadata.namespace = Some(self.namespace.to_owned());
        isi.metadata.resource_version = stream.metadata.resource_version.clone();
        isi.spec.import = !self.a.dry_run;
        let annotated = stream
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(INSECURE_ANNOTATION))
            .is_some_and(|v| v == "true");
        (isi, self.a.insecure.unwrap_or(annotated))
    }

    fn import_all_isi(&self, stream: &ImageStream, from: &str) -> ImageStreamImport {
        let (mut isi, insecure) = self.base_isi(stream);
        isi.spec.repository = Some(tagplane_api::image::RepositoryImportSpec {
            from: docker(from),
            import_policy: TagImportPolicy {
                insecure,
                scheduled: self.a.scheduled,
                import_mode: self.a.import_mode.clone(),
            },
            reference_policy: self.tag_reference_policy(),
            ..Default::default()
        });
        isi
    }

    fn import_tags_isi(
        &self,
        stream: &ImageStream,
        tags: &BTreeMap<String, String>,
    ) -> ImageStreamImport {
        let (mut isi, stream_insecure) = self.base_isi(stream);
        for (tag, from) in tags {
            let mut insecure = stream_insecure;
            let mut scheduled = self.a.scheduled;
            if let Some(old) = stream.spec.tags.iter().find(|t| &t.name == tag) {
                insecure = insecure || old.import_policy.insecure;
                scheduled = scheduled || old.import_policy.scheduled;
            }
            isi.spec.images.push(tagplane_api::image::ImageImportSpec {
                from: docker(from),
                to: Some(tagplane_api::meta::LocalObjectReference { name: tag.clone() }),
                import_policy: TagImportPolicy {
                    insecure,
                    scheduled,
                    import_mode: self.a.import_mode.clone(),
                },
                reference_policy: self.tag_reference_policy(),
                ..Default::default()
            });
        }
        isi
    }
}

/// `{kind: DockerImage, name}`.
fn docker(name: &str) -> ObjectReference {
    ObjectReference {
        kind: "DockerImage".to_owned(),
        name: name.to_owned(),
        ..Default::default()
    }
}

/// A spinner on stderr while the import runs; only when stderr is a terminal.
struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    fn start(name: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { task: None };
        }
        let label = format!("Importing {name} ");
        let task = tokio::spawn(async move {
            let frames = ['|', '/', '-', '\\'];
            let mut i = 0usize;
            loop {
                eprint!("\r{label}{}", frames[i % frames.len()]);
                let _ = std::io::stderr().flush();
                i += 1;
                tokio::time::sleep(std::time::Duration::from_millis(120)).await;
            }
        });
        Progress { task: Some(task) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            // Erase the spinner line.
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

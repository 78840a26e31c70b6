//! The text of `describe is/NAME` and `describe istag|isimage|image/…` (spec cli §A3, §A4):
//! pure formatting of API objects, aligned with the Go tabwriter port exactly like `oc`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use tagplane_api::humanize::{GO_MAX_DURATION_SECONDS, go_units_human_duration, human_size};
use tagplane_api::image::{DockerConfig, Image, ImageSignature, ImageStream, TagReference};
use tagplane_api::meta::{ObjectMeta, Time, Timestamp};
use tagplane_api::reference::ImageReference;
use tagplane_core::tags::prioritize_tags;

use crate::error::CliError;
use crate::tabwriter::{self, DESCRIBE};

/// What `oc` prints for an empty value.
const NONE: &str = "<none>";

/// The current time from the system clock.
pub fn now() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let nanos = i32::try_from(d.subsec_nanos()).unwrap_or(0);
    Timestamp::new(secs, nanos).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// go-units `HumanDuration(now - t)`; a missing time is Go's zero time (the distant past).
fn since(now: Timestamp, t: Option<&Time>) -> String {
    let seconds = match t {
        Some(t) => now.duration_since(t.0).as_secs(),
        None => GO_MAX_DURATION_SECONDS,
    };
    go_units_human_duration(seconds)
}

/// `formatString`: `Label:` then each line of the value (or `<none>`) after a tab.
fn field(out: &mut String, label: &str, value: &str) {
    let value = if value.is_empty() { NONE } else { value };
    out.push_str(label);
    out.push(':');
    for line in value.split('\n') {
        out.push('\t');
        out.push_str(line);
        out.push('\n');
    }
}

/// `formatMapStringString`: sorted `k=v`, the first on the label line, the rest indented.
fn map_field(out: &mut String, label: &str, items: &BTreeMap<String, String>) {
    if items.is_empty() {
        field(out, label, "");
        return;
    }
    for (i, (k, v)) in items.iter().enumerate() {
        if i == 0 {
            field(out, label, &format!("{k}={v}"));
        } else {
            let _ = writeln!(out, "\t{k}={v}");
        }
    }
}

/// `formatAnnotations`: a `description` annotation becomes its own `Description:` line.
fn annotations_field(out: &mut String, annotations: Option<&BTreeMap<String, String>>) {
    let mut rest = annotations.cloned().unwrap_or_default();
    if let Some(d) = rest.remove("description")
        && !d.is_empty()
    {
        field(out, "Description", &d);
    }
    map_field(out, "Annotations", &rest);
}

/// `formatMeta`: Name, Namespace (if any), Created (if set), Labels, Annotations.
fn meta_fields(out: &mut String, meta: &ObjectMeta, now: Timestamp) {
    field(out, "Name", meta.name.as_deref().unwrap_or(""));
    if let Some(ns) = meta.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        field(out, "Namespace", ns);
    }
    if let Some(created) = &meta.creation_timestamp {
        let _ = writeln!(out, "Created:\t{} ago", since(now, Some(created)));
    }
    map_field(out, "Labels", &meta.labels.clone().unwrap_or_default());
    annotations_field(out, meta.annotations.as_ref());
}

/// The spec tag named `tag`, if any.
fn spec_tag<'a>(stream: &'a ImageStream, tag: &str) -> Option<&'a TagReference> {
    stream.spec.tags.iter().find(|t| t.name == tag)
}

/// Why following a chain of same-stream tag references failed (oc's helper errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowError {
    /// The chain ends at a tag that does not exist.
    NotFound,
    /// A reference names another stream or namespace.
    CrossStream,
    /// The chain loops.
    Circular,
}

/// oc's `FollowTagReference`: the tag a chain of same-stream istag references ends at, its
/// spec tag, and whether at least one reference was followed.
pub fn follow_tag_reference_checked<'a>(
    stream: &'a ImageStream,
    tag: &str,
) -> Result<(String, &'a TagReference, bool), FollowError> {
    let mut tag = tag.to_owned();
    let mut multiple = false;
    let mut seen = BTreeSet::new();
    let ns = stream.metadata.namespace.as_deref().unwrap_or("");
    let name = stream.metadata.name.as_deref().unwrap_or("");
    loop {
        if !seen.insert(tag.clone()) {
            return Err(FollowError::Circular);
        }
        let t = spec_tag(stream, &tag).ok_or(FollowError::NotFound)?;
        let Some(from) = t.from.as_ref().filter(|f| f.kind == "ImageStreamTag") else {
            return Ok((tag, t, multiple));
        };
        if !from.namespace.is_empty() && from.namespace != ns {
            return Err(FollowError::CrossStream);
        }
        if from.name.contains(':') {
            // library-go SplitImageStreamTag; "name:" means "name:latest".
            let (stream_name, target) = from.name.split_once(':').unwrap_or_default();
            if stream_name != name {
                return Err(FollowError::CrossStream);
            }
            tag = if target.is_empty() { "latest" } else { target }.to_owned();
        } else {
            tag = from.name.clone();
        }
        multiple = true;
    }
}

/// [`follow_tag_reference_checked`] without the details: `None` when the chain is broken.
pub fn follow_tag_reference(stream: &ImageStream, tag: &str) -> Option<(String, bool)> {
    follow_tag_reference_checked(stream, tag)
        .ok()
        .map(|(t, _, multiple)| (t, multiple))
}

/// The generation of `tag` the import controller has seen (oc `latestObservedTagGeneration`).
fn latest_observed_generation(stream: &ImageStream, tag: &str) -> i64 {
    let Some(list) = stream.status.tags.iter().find(|t| t.tag == tag) else {
        return 0;
    };
    let mut last = list
        .items
        .as_deref()
        .and_then(|i| i.first())
        .map(|e| e.generation)
        .unwrap_or(0)
        .max(0);
    if let Some(c) = list.conditions.iter().find(|c| c.type_ == "ImportSuccess") {
        last = last.max(c.generation);
    }
    last
}

/// `oc describe is/NAME` (§A3).
pub fn describe_image_stream(stream: &ImageStream, now: Timestamp) -> String {
    let mut out = String::new();
    meta_fields(&mut out, &stream.metadata, now);
    let repo = if stream.status.public_docker_image_repository.is_empty() {
        &stream.status.docker_image_repository
    } else {
        &stream.status.public_docker_image_repository
    };
    field(&mut out, "Image Repository", repo);
    field(
        &mut out,
        "Image Lookup",
        &format!("local={}", stream.spec.lookup_policy.local),
    );
    format_tags(&mut out, stream, now);
    tabwriter::format(&DESCRIBE, &out)
}

/// oc `formatImageStreamTags`.
fn format_tags(out: &mut String, stream: &ImageStream, now: Timestamp) {
    if stream.status.tags.is_empty() && stream.spec.tags.is_empty() {
        out.push_str("Tags:\t<none>\n");
        return;
    }
    // Distinct images; events with only a pull spec all count as one "" entry (upstream quirk).
    let mut images = BTreeSet::new();
    for list in &stream.status.tags {
        for item in list.items.as_deref().unwrap_or(&[]) {
            if !item.image.is_empty() {
                images.insert(item.image.as_str());
            } else if !item.docker_image_reference.is_empty() {
                images.insert("");
            }
        }
    }

    let mut sorted: Vec<String> = stream.status.tags.iter().map(|t| t.tag.clone()).collect();
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut alias_tags = BTreeSet::new();
    for t in &stream.spec.tags {
        if let Some((target, true)) = follow_tag_reference(stream, &t.name) {
            alias_tags.insert(t.name.clone());
            let v = aliases.entry(target).or_default();
            if !v.contains(&t.name) {
                v.push(t.name.clone());
            }
        }
        if !stream.status.tags.iter().any(|s| s.tag == t.name) {
            sorted.push(t.name.clone());
        }
    }
    let _ = write!(
        out,
        "Unique Images:\t{}\nTags:\t{}\n\n",
        images.len(),
        sorted.len()
    );
    prioritize_tags(&mut sorted);

    let ns = stream.metadata.namespace.as_deref().unwrap_or("");
    let mut first = true;
    for tag in &sorted {
        if alias_tags.contains(tag) {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        let list = stream.status.tags.iter().find(|t| &t.tag == tag);
        let spec = spec_tag(stream, tag);

        match aliases.get(tag) {
            Some(refs) if !refs.is_empty() => {
                let mut refs = refs.clone();
                refs.sort();
                prioritize_tags(&mut refs);
                let _ = writeln!(out, "{tag} ({})", refs.join(", "));
            }
            _ => {
                let _ = writeln!(out, "{tag}");
            }
        }

        let mut importing = false;
        match spec {
            None => out.push_str("  no spec tag\n"),
            Some(t) => match &t.from {
                None => out.push_str("  tag without source image\n"),
                Some(from) => {
                    let from_name = from.name.as_str();
                    let fns = from.namespace.as_str();
                    let name = if !fns.is_empty() && fns != ns {
                        format!("{fns}/{from_name}")
                    } else {
                        from_name.to_owned()
                    };
                    let scheduled = t.import_policy.scheduled;
                    let observed = latest_observed_generation(stream, tag);
                    importing = !t.reference && t.generation.is_some_and(|g| g > observed);
                    let kind = from.kind.as_str();
                    let line = match kind {
                        "ImageStreamTag" if t.reference => format!("reference to {name}"),
                        "ImageStreamTag" if scheduled => {
                            format!("updates automatically from {name}")
                        }
                        "ImageStreamTag" => format!("tagged from {name}"),
                        "DockerImage" if t.reference => format!("reference to registry {name}"),
                        "DockerImage" if scheduled => {
                            format!("updates automatically from registry {name}")
                        }
                        "DockerImage" => format!("tagged from {name}"),
                        "ImageStreamImage" if t.reference => format!("reference to image {name}"),
                        "ImageStreamImage" => format!("tagged from {name}"),
                        _ if t.reference => format!("reference to {kind} {name}"),
                        _ => format!("updates from {kind} {name}"),
                    };
                    let _ = writeln!(out, "  {line}");
                    if t.import_policy.insecure {
                        out.push_str("    will use insecure HTTPS or HTTP connections\n");
                    }
                }
            },
        }
        if spec.is_some_and(|t| t.reference_policy.type_ == "Local") {
            out.push_str("    prefer registry pullthrough when referencing this tag\n");
        }
        out.push('\n');

        let annotations = spec.and_then(|t| t.annotations.as_ref());
        let get = |k: &str| {
            annotations
                .and_then(|a| a.get(k))
                .map(String::as_str)
                .unwrap_or("")
        };
        let mut extra = false;
        if !get("description").is_empty() {
            let _ = writeln!(out, "  {}", get("description"));
            extra = true;
        }
        if !get("tags").is_empty() {
            let _ = writeln!(
                out,
                "  Tags: {}",
                get("tags").split(',').collect::<Vec<_>>().join(", ")
            );
            extra = true;
        }
        if !get("supports").is_empty() {
            let _ = writeln!(
                out,
                "  Supports: {}",
                get("supports").split(',').collect::<Vec<_>>().join(", ")
            );
            extra = true;
        }
        if !get("sampleRepo").is_empty() {
            let _ = writeln!(out, "  Example Repo: {}", get("sampleRepo"));
            extra = true;
        }
        if extra {
            out.push('\n');
        }
        if importing {
            out.push_str("  ~ importing latest image ...\n");
        }
        let Some(list) = list else { continue };
        for c in &list.conditions {
            if c.type_ == "ImportSuccess" && c.status == "False" {
                let _ = write!(
                    out,
                    "  ! error: Import failed ({}): {}\n      {} ago\n",
                    c.reason,
                    c.message,
                    since(now, c.last_transition_time.as_ref())
                );
            }
        }
        for (i, event) in list.items.as_deref().unwrap_or(&[]).iter().enumerate() {
            let bullet = if i == 0 { "  * " } else { "    " };
            let _ = writeln!(out, "{bullet}{}", event.docker_image_reference);
            let ago = since(now, event.created.as_ref());
            let id_differs = ImageReference::parse(&event.docker_image_reference)
                .map(|r| r.id != event.image)
                .unwrap_or(false);
            if !event.image.is_empty() && id_differs {
                let _ = writeln!(out, "      {ago} ago\t{}", event.image);
            } else {
                let _ = writeln!(out, "      {ago} ago");
            }
        }
    }
}

/// `oc describe istag|isimage|image` (§A4). `image_name` is the `Image Name:` line (the digest
/// for istag/isimage, `<stream>:<tag>` for `import-image`, absent for `image/`).
pub fn describe_image(
    image: &Image,
    image_name: Option<&str>,
    now: Timestamp,
) -> Result<String, CliError> {
    let mut out = String::new();
    if let Some(n) = image_name.filter(|n| !n.is_empty()) {
        field(&mut out, "Image Name", n);
    }
    field(&mut out, "Docker Image", &image.docker_image_reference);
    field(
        &mut out,
        "Name",
        image.metadata.name.as_deref().unwrap_or(""),
    );
    if let Some(created) = &image.metadata.creation_timestamp {
        let _ = writeln!(out, "Created:\t{} ago", since(now, Some(created)));
    }
    if let Some(labels) = image.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
        map_field(&mut out, "Labels", labels);
    }
    if let Some(a) = image
        .metadata
        .annotations
        .as_ref()
        .filter(|a| !a.is_empty())
    {
        annotations_field(&mut out, Some(a));
    }
    let default_metadata;
    let meta = match &image.docker_image_metadata {
        Some(m) => m,
        None if !image.docker_image_manifests.is_empty() => {
            default_metadata = Default::default();
            &default_metadata
        }
        None => return Err(CliError::msg("unable to read image metadata")),
    };
    if image.docker_image_layers.is_empty() {
        field(&mut out, "Layer Size", &human_size(meta.size));
    } else {
        field(
            &mut out,
            "Image Size",
            &format!(
                "{} in {} layers",
                human_size(meta.size),
                image.docker_image_layers.len()
            ),
        );
        let layers: Vec<String> = image
            .docker_image_layers
            .iter()
            .map(|l| format!("{}\t{}", human_size(l.size), l.name))
            .collect();
        field(&mut out, "Layers", &layers.join("\n"));
    }
    for s in &image.signatures {
        field(&mut out, "Image Signatures", " ");
        signature_fields(&mut out, s);
    }
    field(
        &mut out,
        "Image Created",
        &format!("{} ago", since(now, meta.created.as_ref())),
    );
    field(&mut out, "Author", &meta.author);
    field(&mut out, "Arch", &meta.architecture);
    if !image.docker_image_manifests.is_empty() {
        let lines: Vec<String> = image
            .docker_image_manifests
            .iter()
            .map(|m| {
                let platform = if m.variant.is_empty() {
                    format!("{}/{}", m.os, m.architecture)
                } else {
                    format!("{}/{}/{}", m.os, m.architecture, m.variant)
                };
                format!("{platform}\t{}", m.digest)
            })
            .collect();
        field(&mut out, "Manifests", &lines.join("\n"));
    }
    let empty = DockerConfig::default();
    docker_config_fields(&mut out, meta.config.as_ref().unwrap_or(&empty));
    Ok(tabwriter::format(&DESCRIBE, &out))
}

/// `describeImageSignature`.
fn signature_fields(out: &mut String, s: &ImageSignature) {
    field(out, "\tName", s.metadata.name.as_deref().unwrap_or(""));
    field(out, "\tType", &s.type_);
    match &s.issued_by {
        None => field(out, "\tStatus", "Unverified"),
        Some(by) => {
            field(out, "\tStatus", "Verified");
            field(out, "\tIssued By", &by.common_name);
            for c in &s.conditions {
                let probe = c
                    .last_probe_time
                    .as_ref()
                    .map(|t| t.0.to_string())
                    .unwrap_or_default();
                field(
                    out,
                    "\t",
                    &format!("Signature is {} ({} on {probe})", c.type_, c.message),
                );
            }
        }
    }
}

/// `describeDockerImage`: command, working dir, user, ports, labels, env, volumes.
fn docker_config_fields(out: &mut String, c: &DockerConfig) {
    let mut has_command = false;
    if !c.entrypoint.is_empty() {
        has_command = true;
        field(out, "Entrypoint", &c.entrypoint.join(" "));
    }
    if !c.cmd.is_empty() {
        has_command = true;
        field(out, "Command", &c.cmd.join(" "));
    }
    if !has_command {
        field(out, "Command", "");
    }
    field(out, "Working Dir", &c.working_dir);
    field(out, "User", &c.user);
    let ports: Vec<&str> = c.exposed_ports.keys().map(String::as_str).collect();
    field(out, "Exposes Ports", &ports.join(", "));
    map_field(out, "Docker Labels", &c.labels);
    for (i, env) in c.env.iter().enumerate() {
        if i == 0 {
            field(out, "Environment", env);
        } else {
            let _ = writeln!(out, "\t{env}");
        }
    }
    for (i, v) in c.volumes.keys().enumerate() {
        if i == 0 {
            field(out, "Volumes", v);
        } else {
            let _ = writeln!(out, "\t{v}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const NOW: &str = "2026-01-01T00:10:00Z";
    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn stream(v: serde_json::Value) -> ImageStream {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn spec_a3_example_pushed_and_imported_local_policy_tag() {
        let repo = "image-registry.openshift-image-registry.svc:5000/demo/myapp";
        let s = stream(json!({
            "metadata": {"name": "myapp", "namespace": "demo",
                         "creationTimestamp": "2026-01-01T00:08:00Z"},
            "spec": {"tags": [{
                "name": "upstream",
                "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"},
                "generation": 2,
                "importPolicy": {},
                "referencePolicy": {"type": "Local"}
            }]},
            "status": {
                "dockerImageRepository": repo,
                "tags": [
                    {"tag": "latest", "items": [{"created": "2026-01-01T00:08:00Z",
                        "dockerImageReference": format!("{repo}@{A}"), "image": A, "generation": 1}]},
                    {"tag": "upstream", "items": [{"created": "2026-01-01T00:08:30Z",
                        "dockerImageReference": format!("quay.io/org/app@{B}"), "image": B,
                        "generation": 2}]}
                ]
            }
        }));
        let expected = format!(
            "Name:\t\t\tmyapp\n\
             Namespace:\t\tdemo\n\
             Created:\t\t2 minutes ago\n\
             Labels:\t\t\t<none>\n\
             Annotations:\t\t<none>\n\
             Image Repository:\t{repo}\n\
             Image Lookup:\t\tlocal=false\n\
             Unique Images:\t\t2\n\
             Tags:\t\t\t2\n\
             \n\
             latest\n\
             \x20 no spec tag\n\
             \n\
             \x20 * {repo}@{A}\n\
             \x20     2 minutes ago\n\
             \n\
             upstream\n\
             \x20 tagged from quay.io/org/app:1.0\n\
             \x20   prefer registry pullthrough when referencing this tag\n\
             \n\
             \x20 * quay.io/org/app@{B}\n\
             \x20     About a minute ago\n"
        );
        assert_eq!(describe_image_stream(&s, at(NOW)), expected);
    }

    #[test]
    fn empty_stream_prints_tags_none_and_labels_annotations_sorted() {
        let s = stream(json!({
            "metadata": {"name": "x", "namespace": "ns",
                         "creationTimestamp": "2026-01-01T00:09:59Z",
                         "labels": {"b": "2", "a": "1"},
                         "annotations": {"description": "My stream", "z": "y"}},
            "spec": {"lookupPolicy": {"local": true}},
            "status": {"dockerImageRepository": "r/ns/x", "publicDockerImageRepository": "pub/ns/x"}
        }));
        // Widest label "Image Repository:" (17) → column 24.
        let expected = "Name:\t\t\tx\n\
                        Namespace:\t\tns\n\
                        Created:\t\t1 second ago\n\
                        Labels:\t\t\ta=1\n\
                        \t\t\tb=2\n\
                        Description:\t\tMy stream\n\
                        Annotations:\t\tz=y\n\
                        Image Repository:\tpub/ns/x\n\
                        Image Lookup:\t\tlocal=true\n\
                        Tags:\t\t\t<none>\n";
        assert_eq!(describe_image_stream(&s, at(NOW)), expected);
    }

    #[test]
    fn aliases_sources_conditions_importing_and_history() {
        let s = stream(json!({
            "metadata": {"name": "python", "namespace": "ns"},
            "spec": {"tags": [
                {"name": "3.6", "from": {"kind": "DockerImage", "name": "reg:5000/python:3.6.0"},
                 "generation": 3, "importPolicy": {"scheduled": true, "insecure": true},
                 "referencePolicy": {"type": "Source"},
                 "annotations": {"description": "Python 3.6", "tags": "builder,python",
                                 "supports": "python:3.6,python", "sampleRepo": "https://x/y.git"}},
                {"name": "latest", "from": {"kind": "ImageStreamTag", "name": "3.6"},
                 "referencePolicy": {"type": "Source"}},
                {"name": "current", "from": {"kind": "ImageStreamTag", "name": "python:3.6"},
                 "referencePolicy": {"type": "Source"}},
                {"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/a/b:1"},
                 "reference": true, "referencePolicy": {"type": "Source"}},
                {"name": "other", "from": {"kind": "ImageStreamTag", "name": "base:1",
                 "namespace": "openshift"}, "referencePolicy": {"type": "Source"}},
                {"name": "pinned", "from": {"kind": "ImageStreamImage", "name": format!("python@{A}")},
                 "referencePolicy": {"type": "Source"}},
                {"name": "empty", "referencePolicy": {"type": "Source"}}
            ]},
            "status": {"dockerImageRepository": "", "tags": [
                {"tag": "3.6",
                 "items": [
                    {"created": "2026-01-01T00:00:00Z", "dockerImageReference": "reg:5000/python:3.6.0",
                     "image": A, "generation": 2},
                    {"created": "2025-12-01T00:10:00Z", "dockerImageReference": format!("reg:5000/python@{B}"),
                     "image": B, "generation": 1}],
                 "conditions": [{"type": "ImportSuccess", "status": "False",
                     "lastTransitionTime": "2026-01-01T00:05:00Z", "reason": "NotFound",
                     "message": "not found", "generation": 2}]},
                {"tag": "ref", "items": [{"created": "2026-01-01T00:09:00Z",
                     "dockerImageReference": "quay.io/a/b:1", "image": "", "generation": 1}]}
            ]}
        }));
        let out = describe_image_stream(&s, at(NOW));
        // A tag without status ends with its blank line and is followed by the separator, so
        // two blank lines follow it (as in oc).
        // Status tags 3.6 + ref, spec-only latest, current, other, pinned, empty = 7; images
        // A, B and one "" for the pull-spec-only event.
        assert!(
            out.contains("Unique Images:\t\t3\nTags:\t\t\t7\n\n"),
            "{out}"
        );
        assert!(out.contains("Image Repository:\t<none>\n"), "{out}");
        let tags = out.split("\n\n").skip(1).collect::<Vec<_>>().join("\n\n");
        let expected = format!(
            "3.6 (latest, current)\n\
             \x20 updates automatically from registry reg:5000/python:3.6.0\n\
             \x20   will use insecure HTTPS or HTTP connections\n\
             \n\
             \x20 Python 3.6\n\
             \x20 Tags: builder, python\n\
             \x20 Supports: python:3.6, python\n\
             \x20 Example Repo: https://x/y.git\n\
             \n\
             \x20 ~ importing latest image ...\n\
             \x20 ! error: Import failed (NotFound): not found\n\
             \x20     5 minutes ago\n\
             \x20 * reg:5000/python:3.6.0\n\
             \x20     10 minutes ago\t{A}\n\
             \x20   reg:5000/python@{B}\n\
             \x20     4 weeks ago\n\
             \n\
             empty\n\
             \x20 tag without source image\n\
             \n\
             \n\
             other\n\
             \x20 tagged from openshift/base:1\n\
             \n\
             \n\
             pinned\n\
             \x20 tagged from python@{A}\n\
             \n\
             \n\
             ref\n\
             \x20 reference to registry quay.io/a/b:1\n\
             \n\
             \x20 * quay.io/a/b:1\n\
             \x20     About a minute ago\n"
        );
        assert_eq!(tags, expected);
    }

    #[test]
    fn image_fields_layers_config_and_name() {
        let image: Image = serde_json::from_value(json!({
            "metadata": {"name": A, "creationTimestamp": "2026-01-01T00:00:00Z",
                         "annotations": {"openshift.io/image.managed": "true"}},
            "dockerImageReference": format!("reg/ns/app@{A}"),
            "dockerImageMetadata": {
                "kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                "Created": "2025-12-31T22:00:00Z", "Architecture": "amd64", "Size": 75790000,
                "Config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["run"], "User": "1001",
                           "WorkingDir": "/app", "ExposedPorts": {"8080/tcp": {}, "443/tcp": {}},
                           "Labels": {"b": "2", "a": "1"}, "Env": ["A=1", "PATH=/bin"],
                           "Volumes": {"/data": {}}}
            },
            "dockerImageLayers": [
                {"name": B, "size": 1200, "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
            ]
        }))
        .unwrap();
        let out = describe_image(&image, Some("app:latest"), at(NOW)).unwrap();
        let expected = format!(
            "Image Name:\tapp:latest\n\
             Docker Image:\treg/ns/app@{A}\n\
             Name:\t\t{A}\n\
             Created:\t10 minutes ago\n\
             Annotations:\topenshift.io/image.managed=true\n\
             Image Size:\t75.79MB in 1 layers\n\
             Layers:\t\t1.2kB\t{B}\n\
             Image Created:\t2 hours ago\n\
             Author:\t\t<none>\n\
             Arch:\t\tamd64\n\
             Entrypoint:\t/bin/sh -c\n\
             Command:\trun\n\
             Working Dir:\t/app\n\
             User:\t\t1001\n\
             Exposes Ports:\t443/tcp, 8080/tcp\n\
             Docker Labels:\ta=1\n\
             \t\tb=2\n\
             Environment:\tA=1\n\
             \t\tPATH=/bin\n\
             Volumes:\t/data\n"
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn image_without_metadata_is_an_error() {
        let image: Image = serde_json::from_value(json!({"metadata": {"name": A}})).unwrap();
        let err = describe_image(&image, None, at(NOW)).unwrap_err();
        assert_eq!(err.to_string(), "error: unable to read image metadata");
    }
}

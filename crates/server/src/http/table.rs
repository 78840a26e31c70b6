//! Server-side `meta.k8s.io/v1` Tables for kubectl and `oc get`: column definitions and cells of
//! every resource we print (spec cli §A5; openshift-apiserver's image printer and Kubernetes'
//! namespace and secret printers), negotiated through the `Accept` header.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use serde::Serialize;
use serde_json::{Value, json};
use tagplane_api::humanize::{GO_MAX_DURATION_SECONDS, go_units_human_duration, kubectl_age};
use tagplane_api::image::{
    Image, ImageStream, ImageStreamImage, ImageStreamTag, ImageTag, KIND_DOCKER_IMAGE,
    KIND_IMAGE_STREAM_IMAGE, KIND_IMAGE_STREAM_TAG, NamedTagEventList,
};
use tagplane_api::meta::{ListMeta, ObjectMeta, Time};

/// Content type of a Table answer.
pub const TABLE_CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// Width budget of the TAGS column of image streams.
pub const TAGS_WIDTH: usize = 40;

/// Description of the `Name` column (ObjectMeta's `name` doc).
const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// Description of `Age` columns (ObjectMeta's `creationTimestamp` doc).
const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
/// Description of image reference columns (Image's `dockerImageReference` doc).
const IMAGE_REFERENCE_DOC: &str =
    "dockerImageReference is the string that can be used to pull this image.";

/// Whether the client asked for a Table: the first media range of `Accept` that we can answer
/// decides (`application/json;as=Table;v=v1;g=meta.k8s.io` or its v1beta1 twin → yes, plain
/// JSON or a wildcard → no).
pub fn wants_table(headers: &HeaderMap) -> bool {
    for value in headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for range in value.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            if !matches!(media.as_str(), "application/json" | "application/*" | "*/*") {
                continue;
            }
            let params: Vec<(&str, &str)> = parts
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            match param("as") {
                None => return false,
                Some("Table")
                    if param("g") == Some("meta.k8s.io")
                        && matches!(param("v"), Some("v1" | "v1beta1")) =>
                {
                    return true;
                }
                Some(_) => continue,
            }
        }
    }
    false
}

/// One column of a Table (`TableColumnDefinition`; every field is always written).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Header (`Name`, `Image Repository`).
    pub name: &'static str,
    /// OpenAPI type of the cells (`string`, `integer`, `number`).
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// OpenAPI format (`name` for the name column, else empty).
    pub format: &'static str,
    /// What the column means.
    pub description: &'static str,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: i32,
}

impl Column {
    /// A string column shown by default.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Column {
            name,
            type_: "string",
            format: "",
            description,
            priority: 0,
        }
    }

    /// The `Name` column.
    pub const fn name() -> Self {
        Column {
            name: "Name",
            type_: "string",
            format: "name",
            description: NAME_DOC,
            priority: 0,
        }
    }

    /// This column, shown only with `-o wide`.
    pub const fn wide(mut self) -> Self {
        self.priority = 1;
        self
    }

    /// This column with another cell type.
    pub const fn typed(mut self, type_: &'static str) -> Self {
        self.type_ = type_;
        self
    }
}

/// A kind that prints as Table rows.
pub trait TableRow {
    /// The columns, in order.
    fn columns() -> Vec<Column>;
    /// The cells of this object, one per column, relative times computed against `now`.
    fn cells(&self, now: &Time) -> Vec<Value>;
    /// The object's metadata (for the row's `PartialObjectMetadata`).
    fn metadata(&self) -> &ObjectMeta;
}

/// The `meta.k8s.io/v1` Table of `items` (rows carry `PartialObjectMetadata`), with the list's
/// `resourceVersion`/`continue` when given.
pub fn table<T: TableRow>(items: &[T], list_meta: Option<&ListMeta>, now: &Time) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut meta = item.metadata().clone();
            meta.managed_fields = None;
            json!({
                "cells": item.cells(now),
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta},
            })
        })
        .collect();
    let metadata = list_meta.map_or_else(
        || json!({}),
        |m| serde_json::to_value(m).unwrap_or_else(|_| json!({})),
    );
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": T::columns(),
        "rows": rows,
    })
}

/// The one-row Table of a single object (GET of one object, watch events).
pub fn table_of<T: TableRow>(item: &T, now: &Time) -> Value {
    let meta = ListMeta {
        resource_version: item.metadata().resource_version.clone(),
        ..Default::default()
    };
    table(std::slice::from_ref(item), Some(&meta), now)
}

/// A 200 answer carrying `table` with [`TABLE_CONTENT_TYPE`].
pub fn response(table: &Value) -> Response {
    match serde_json::to_vec(table) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, TABLE_CONTENT_TYPE)],
            body,
        )
            .into_response(),
        Err(e) => crate::error::ApiError::internal(e).into_response(),
    }
}

/// Whole seconds from `t` to `now` (Go's `int(now.Sub(t).Seconds())`); a missing time is Go's
/// zero time, which saturates at the largest duration.
fn seconds_since(now: &Time, t: Option<&Time>) -> i64 {
    match t {
        Some(t) => now.0.duration_since(t.0).as_secs(),
        None => GO_MAX_DURATION_SECONDS,
    }
}

/// `<go-units duration> ago` (spec cli §1 "Relative time").
fn ago(now: &Time, t: Option<&Time>) -> String {
    format!("{} ago", go_units_human_duration(seconds_since(now, t)))
}

/// kubectl's AGE cell (`translateTimestampSince`): `<unknown>` without a timestamp.
pub(crate) fn age(now: &Time, t: Option<&Time>) -> String {
    match t {
        Some(t) => kubectl_age(now.0.duration_since(t.0).as_secs()),
        None => "<unknown>".to_owned(),
    }
}

/// Seconds of `t` rounded to the nearest second (Go's `Round(time.Second)`).
fn rounded_second(t: &Time) -> i64 {
    t.0.as_second() + i64::from(t.0.subsec_nanosecond() >= 500_000_000)
}

/// Status tag names sorted newest first by their newest event (rounded to the second; tags
/// without events last), ties by name (openshift-apiserver `SortStatusTags`).
pub fn sort_status_tags(tags: &[NamedTagEventList]) -> Vec<&str> {
    let mut keyed: Vec<(Option<i64>, &str)> = tags
        .iter()
        .map(|t| {
            (
                t.newest()
                    .and_then(|e| e.created.as_ref())
                    .map(rounded_second),
                t.tag.as_str(),
            )
        })
        .collect();
    keyed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    keyed.into_iter().map(|(_, name)| name).collect()
}

/// The TAGS cell: as many tags (newest first) as fit in `width`, always at least one; a tag that
/// overflows is still shown when more than 25% of the width was free and it overflows by at most
/// 25%; the rest are counted as `+ N more...` (openshift-apiserver `printTagsUpToWidth`).
pub fn tags_up_to_width(tags: &[NamedTagEventList], width: usize) -> String {
    let sorted = sort_status_tags(tags);
    let width = i64::try_from(width).unwrap_or(i64::MAX);
    let mut remaining = width;
    let mut shown = sorted.len();
    for (i, tag) in sorted.iter().enumerate() {
        let len = i64::try_from(tag.len()).unwrap_or(i64::MAX);
        remaining -= len + 1;
        if remaining >= 0 {
            continue;
        }
        if i == 0 {
            shown = 1;
            break;
        }
        let margin = width / 4;
        if margin < remaining + len && margin >= -remaining {
            continue;
        }
        shown = i;
        break;
    }
    let joined = sorted[..shown].join(",");
    let hidden = tags.len() - shown;
    if hidden > 0 {
        format!("{joined} + {hidden} more...")
    } else {
        joined
    }
}

impl TableRow for ImageStream {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string(
                "Image Repository",
                "dockerImageRepository represents the effective location this stream may be accessed at. May be empty until the server determines where the repository is located",
            ),
            Column::string("Tags", "Human readable list of tags."),
            Column::string("Updated", "Last update time."),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        let latest = self
            .status
            .tags
            .iter()
            .filter_map(|t| t.newest().and_then(|e| e.created.as_ref()))
            .max_by(|a, b| a.0.cmp(&b.0));
        let updated = latest.map(|t| ago(now, Some(t))).unwrap_or_default();
        let repo = if !self.status.public_docker_image_repository.is_empty() {
            &self.status.public_docker_image_repository
        } else if !self.spec.docker_image_repository.is_empty() {
            &self.spec.docker_image_repository
        } else {
            &self.status.docker_image_repository
        };
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(repo),
            json!(tags_up_to_width(&self.status.tags, TAGS_WIDTH)),
            json!(updated),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for ImageStreamTag {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string("Image Reference", IMAGE_REFERENCE_DOC),
            Column::string("Updated", "Last update time."),
            Column::string("Image Name", "image associated with the ImageStreamTag").wide(),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(self.image.docker_image_reference),
            json!(ago(now, self.metadata.creation_timestamp.as_ref())),
            json!(self.image.metadata.name.as_deref().unwrap_or("")),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for ImageStreamImage {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string("Updated", "Last update time."),
            Column::string("Image Reference", IMAGE_REFERENCE_DOC).wide(),
            Column::string(
                "Image Name",
                "image associated with the ImageStream and image name.",
            )
            .wide(),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(ago(now, self.metadata.creation_timestamp.as_ref())),
            json!(self.image.docker_image_reference),
            json!(self.image.metadata.name.as_deref().unwrap_or("")),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for Image {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string("Image Reference", IMAGE_REFERENCE_DOC),
        ]
    }

    fn cells(&self, _now: &Time) -> Vec<Value> {
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(self.docker_image_reference),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

/// SPEC, STATUS, HISTORY and UPDATED of an ImageTag (openshift-apiserver `printImageTag`).
fn image_tag_cells(itag: &ImageTag, now: &Time) -> (String, String, Option<usize>, String) {
    let mut generation = 0i64;
    let mut source = String::new();
    let mut status = String::new();
    let mut spec = String::new();
    if let Some(s) = &itag.spec {
        spec = if s.import_policy.scheduled {
            "Scheduled"
        } else if s.reference {
            "Ref"
        } else {
            "Tag"
        }
        .to_owned();
        generation = s.generation.unwrap_or(0);
        match &s.from {
            Some(from) => match from.kind.as_str() {
                KIND_DOCKER_IMAGE => source.clone_from(&from.name),
                KIND_IMAGE_STREAM_IMAGE => match from.name.split_once('@') {
                    Some((_, id)) => source = format!("image/{id}"),
                    None => status = "InvalidRefName".to_owned(),
                },
                KIND_IMAGE_STREAM_TAG => {
                    source = if from.namespace.is_empty() {
                        format!("istag/{}", from.name)
                    } else {
                        format!("istag {}/{}", from.namespace, from.name)
                    };
                    if !from.name.contains(':') {
                        // a tag of the same stream: a tracking tag
                        spec = "Track".to_owned();
                    }
                }
                _ => status = "InvalidRefKind".to_owned(),
            },
            None => spec.clear(),
        }
    }
    let mut count = None;
    let mut updated = String::new();
    if let Some(st) = &itag.status {
        let events = st.events();
        count = Some(events.len());
        let mut last: Option<&Time> = None;
        if let Some(event) = events.first() {
            last = event.created.as_ref();
            if generation > 0 && event.generation > 0 && event.generation < generation {
                status = "Importing".to_owned();
            } else if !event.image.is_empty() {
                source = format!("image/{}", event.image);
            } else if !event.docker_image_reference.is_empty() {
                source.clone_from(&event.docker_image_reference);
            }
            if !source.is_empty() && spec.is_empty() {
                // no spec tag: the tag was pushed
                spec = "Push".to_owned();
            } else if spec != "Track" && generation > 0 && event.generation > generation {
                // newer than the spec tag: reset, or someone pushed over it
                spec = "Push".to_owned();
            }
        }
        for c in &st.conditions {
            if c.type_ == tagplane_api::image::CONDITION_IMPORT_SUCCESS && c.status == "False" {
                status = format!("ImportFailed ({})", c.reason);
            }
            if let Some(t) = &c.last_transition_time
                && last.is_none_or(|l| t.0 > l.0)
            {
                last = Some(t);
            }
        }
        if let Some(t) = last {
            updated = ago(now, Some(t));
        }
    }
    if status.is_empty() {
        status = source;
    }
    (spec, status, count.filter(|c| *c > 0), updated)
}

impl TableRow for ImageTag {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string(
                "Spec",
                "spec is the spec tag associated with this image stream tag, and it may be null if only pushes have occurred to this image stream.",
            ),
            Column::string(
                "Status",
                "status is the status tag details associated with this image stream tag, and it may be null if no push or import has been performed.",
            ),
            Column::string("History", "Number of history entries").typed("number"),
            Column::string("Updated", "Last updated at"),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        let (spec, status, count, updated) = image_tag_cells(self, now);
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(spec),
            json!(status),
            json!(count),
            json!(updated),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for Namespace {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string("Status", "The status of the namespace"),
            Column::string("Age", AGE_DOC),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        let phase = self
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("");
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(phase),
            json!(age(now, self.metadata.creation_timestamp.as_ref())),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

impl TableRow for Secret {
    fn columns() -> Vec<Column> {
        vec![
            Column::name(),
            Column::string(
                "Type",
                "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
            ),
            Column::string(
                "Data",
                "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
            ),
            Column::string("Age", AGE_DOC),
        ]
    }

    fn cells(&self, now: &Time) -> Vec<Value> {
        // stringData is merged into data on write; count keys of both once.
        let mut keys: Vec<&String> = self.data.iter().flat_map(|d| d.keys()).collect();
        keys.extend(self.string_data.iter().flat_map(|d| d.keys()));
        keys.sort_unstable();
        keys.dedup();
        vec![
            json!(self.metadata.name.as_deref().unwrap_or("")),
            json!(self.type_.as_deref().unwrap_or("")),
            json!(keys.len()),
            json!(age(now, self.metadata.creation_timestamp.as_ref())),
        ]
    }

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use axum::http::HeaderValue;
    use tagplane_api::image::{
        ImageStreamSpec, ImageStreamStatus, TagEvent, TagEventCondition, TagImportPolicy,
        TagReference,
    };
    use tagplane_api::meta::{ByteString, ObjectReference, Timestamp};

    use super::*;

    /// The fixed clock of these tests: 2024-05-01T12:00:00Z.
    const NOW: i64 = 1_714_564_800;

    fn at(second: i64) -> Time {
        Time(Timestamp::from_second(second).unwrap())
    }

    fn now() -> Time {
        at(NOW)
    }

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    fn tag(name: &str, created: Option<i64>, image: &str) -> NamedTagEventList {
        NamedTagEventList {
            tag: name.to_owned(),
            items: created.map(|c| {
                vec![TagEvent {
                    created: Some(at(c)),
                    docker_image_reference: format!("quay.io/org/app@{image}"),
                    image: image.to_owned(),
                    generation: 1,
                    platforms: vec![],
                }]
            }),
            conditions: vec![],
        }
    }

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some("ns".to_owned()),
            ..Default::default()
        }
    }

    #[test]
    fn table_negotiation() {
        assert!(wants_table(&accept(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
        )));
        assert!(wants_table(&accept(
            "application/json;as=Table;v=v1beta1;g=meta.k8s.io"
        )));
        assert!(!wants_table(&accept("application/json")));
        assert!(!wants_table(&HeaderMap::new()));
        assert!(!wants_table(&accept(
            "application/json, application/json;as=Table;v=v1;g=meta.k8s.io"
        )));
        assert!(!wants_table(&accept(
            "application/json;as=Table;v=v2;g=meta.k8s.io"
        )));
    }

    #[test]
    fn table_shape() {
        let s = ImageStream {
            metadata: meta("app"),
            ..Default::default()
        };
        let lm = ListMeta {
            resource_version: Some("42".into()),
            ..Default::default()
        };
        let t = table(&[s], Some(&lm), &now());
        assert_eq!(t["kind"], "Table");
        assert_eq!(t["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(t["metadata"], json!({"resourceVersion": "42"}));
        let cols: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(cols, ["Name", "Image Repository", "Tags", "Updated"]);
        assert_eq!(t["columnDefinitions"][0]["format"], "name");
        assert_eq!(t["columnDefinitions"][1]["format"], "");
        assert_eq!(t["columnDefinitions"][1]["priority"], 0);
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(t["rows"][0]["object"]["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(t["rows"][0]["object"]["metadata"]["name"], "app");
        assert_eq!(t["rows"][0]["cells"], json!(["app", "", "", ""]));
        let one = table_of(
            &ImageStream {
                metadata: ObjectMeta {
                    resource_version: Some("7".into()),
                    ..meta("x")
                },
                ..Default::default()
            },
            &now(),
        );
        assert_eq!(one["metadata"]["resourceVersion"], "7");
        assert_eq!(one["rows"].as_array().unwrap().len(), 1);
        let empty = table::<ImageStream>(&[], None, &now());
        assert_eq!(empty["rows"], json!([]));
        assert_eq!(empty["metadata"], json!({}));
    }

    #[test]
    fn image_stream_repository_preference() {
        // public > spec > status (spec cli §A5)
        let mut s = ImageStream {
            metadata: meta("app"),
            ..Default::default()
        };
        s.status.docker_image_repository = "172.30.1.1:5000/ns/app".into();
        assert_eq!(s.cells(&now())[1], "172.30.1.1:5000/ns/app");
        s.spec = ImageStreamSpec {
            docker_image_repository: "quay.io/org/app".into(),
            ..Default::default()
        };
        assert_eq!(s.cells(&now())[1], "quay.io/org/app");
        s.status.public_docker_image_repository = "registry.example.com/ns/app".into();
        assert_eq!(s.cells(&now())[1], "registry.example.com/ns/app");
    }

    #[test]
    fn image_stream_updated_is_newest_event() {
        let s = ImageStream {
            metadata: meta("app"),
            status: ImageStreamStatus {
                tags: vec![
                    tag("a", Some(NOW - 3 * 3600), "sha256:a"),
                    tag("b", Some(NOW - 125), "sha256:b"),
                    tag("c", None, ""),
                ],
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(s.cells(&now())[3], "2 minutes ago");
        let none = ImageStream {
            status: ImageStreamStatus {
                tags: vec![tag("c", None, "")],
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(none.cells(&now())[3], "");
    }

    #[test]
    fn tags_sorted_newest_first_ties_by_name() {
        let tags = vec![
            tag("old", Some(NOW - 1000), "x"),
            tag("zeta", Some(NOW - 10), "x"),
            tag("alpha", Some(NOW - 10), "x"),
            tag("never", None, ""),
            tag("aaa-never", None, ""),
        ];
        assert_eq!(
            sort_status_tags(&tags),
            ["alpha", "zeta", "old", "aaa-never", "never"]
        );
        assert_eq!(
            tags_up_to_width(&tags, TAGS_WIDTH),
            "alpha,zeta,old,aaa-never,never"
        );
    }

    #[test]
    fn tags_sort_rounds_to_the_second() {
        let mut late = tag("b", Some(NOW - 10), "x");
        let mut early = tag("a", Some(NOW - 10), "x");
        // a is 0.4 s later than b, but both round to the same second: name decides
        early.items.as_mut().unwrap()[0].created =
            Some(Time(Timestamp::new(NOW - 10, 400_000_000).unwrap()));
        late.items.as_mut().unwrap()[0].created = Some(Time(Timestamp::new(NOW - 10, 0).unwrap()));
        assert_eq!(sort_status_tags(&[late.clone(), early.clone()]), ["a", "b"]);
        // 0.6 s rounds up to the next second: b first
        late.items.as_mut().unwrap()[0].created =
            Some(Time(Timestamp::new(NOW - 10, 600_000_000).unwrap()));
        assert_eq!(sort_status_tags(&[late, early]), ["b", "a"]);
    }

    fn names(prefix: &str, lens: &[usize]) -> Vec<NamedTagEventList> {
        // tag i is newer than tag i+1 so the order is the given one
        lens.iter()
            .enumerate()
            .map(|(i, l)| {
                let mut name = format!("{prefix}{i}");
                while name.len() < *l {
                    name.push('x');
                }
                tag(&name, Some(NOW - 10 - i64::try_from(i).unwrap()), "x")
            })
            .collect()
    }

    #[test]
    fn tags_packing_fits_forty_characters() {
        // 4 tags of 9 chars: 4*(9+1) = 40 fits exactly
        let t = names("t", &[9, 9, 9, 9]);
        assert_eq!(
            tags_up_to_width(&t, 40),
            "t0xxxxxxx,t1xxxxxxx,t2xxxxxxx,t3xxxxxxx"
        );
        // a fifth tag overflows by 10 > margin 10? remaining = -10: margin(10) >= 10 but
        // remaining+len = -10+9 = -1 is not above the margin → hidden
        let t = names("t", &[9, 9, 9, 9, 9]);
        assert_eq!(
            tags_up_to_width(&t, 40),
            "t0xxxxxxx,t1xxxxxxx,t2xxxxxxx,t3xxxxxxx + 1 more..."
        );
    }

    #[test]
    fn tags_packing_keeps_a_slightly_overflowing_tag_when_much_was_free() {
        // after "a0" (3 used), 37 free > 25% of 40; a 45-char tag overflows by 9 ≤ 10 → kept
        let t = names("a", &[2, 45]);
        let long = t[1].tag.clone();
        assert_eq!(tags_up_to_width(&t, 40), format!("a0,{long}"));
        // a 47-char tag overflows by 11 > 10 → hidden
        let t = names("a", &[2, 47]);
        assert_eq!(tags_up_to_width(&t, 40), "a0 + 1 more...");
        // after 30 used, 10 free is not more than the margin: a 12-char tag is hidden
        let t = names("b", &[29, 12]);
        assert_eq!(
            tags_up_to_width(&t, 40),
            format!("{} + 1 more...", t[0].tag)
        );
    }

    #[test]
    fn tags_packing_always_shows_one_tag() {
        let t = names("x", &[60, 3, 3]);
        assert_eq!(
            tags_up_to_width(&t, 40),
            format!("{} + 2 more...", t[0].tag)
        );
        assert_eq!(tags_up_to_width(&[], 40), "");
    }

    #[test]
    fn image_stream_tag_cells() {
        let ist = ImageStreamTag {
            metadata: ObjectMeta {
                creation_timestamp: Some(at(NOW - 2 * 86400)),
                ..meta("app:v1")
            },
            image: Image {
                metadata: ObjectMeta {
                    name: Some("sha256:abc".into()),
                    ..Default::default()
                },
                docker_image_reference: "quay.io/org/app@sha256:abc".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            ist.cells(&now()),
            vec![
                json!("app:v1"),
                json!("quay.io/org/app@sha256:abc"),
                json!("2 days ago"),
                json!("sha256:abc")
            ]
        );
        let cols = ImageStreamTag::columns();
        assert_eq!(
            cols.iter().map(|c| c.priority).collect::<Vec<_>>(),
            [0, 0, 0, 1]
        );
        // Go's zero time saturates: 292 years
        let zero = ImageStreamTag {
            metadata: meta("app:v2"),
            ..Default::default()
        };
        assert_eq!(zero.cells(&now())[2], "292 years ago");
    }

    #[test]
    fn image_stream_image_cells() {
        let isi = ImageStreamImage {
            metadata: ObjectMeta {
                creation_timestamp: Some(at(NOW - 30)),
                ..meta("app@sha256:abc")
            },
            image: Image {
                metadata: ObjectMeta {
                    name: Some("sha256:abc".into()),
                    ..Default::default()
                },
                docker_image_reference: "quay.io/org/app@sha256:abc".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            isi.cells(&now()),
            vec![
                json!("app@sha256:abc"),
                json!("30 seconds ago"),
                json!("quay.io/org/app@sha256:abc"),
                json!("sha256:abc")
            ]
        );
        let cols: Vec<(&str, i32)> = ImageStreamImage::columns()
            .iter()
            .map(|c| (c.name, c.priority))
            .collect();
        assert_eq!(
            cols,
            [
                ("Name", 0),
                ("Updated", 0),
                ("Image Reference", 1),
                ("Image Name", 1)
            ]
        );
    }

    #[test]
    fn image_cells() {
        let img = Image {
            metadata: ObjectMeta {
                name: Some("sha256:abc".into()),
                ..Default::default()
            },
            docker_image_reference: "quay.io/org/app@sha256:abc".into(),
            ..Default::default()
        };
        assert_eq!(
            img.cells(&now()),
            vec![json!("sha256:abc"), json!("quay.io/org/app@sha256:abc")]
        );
    }

    fn itag(spec: Option<TagReference>, status: Option<NamedTagEventList>) -> ImageTag {
        ImageTag {
            metadata: meta("app:v1"),
            spec,
            status,
            ..Default::default()
        }
    }

    fn spec_from(kind: &str, name: &str) -> TagReference {
        TagReference {
            name: "v1".into(),
            from: Some(ObjectReference::new(kind, name)),
            generation: Some(2),
            ..Default::default()
        }
    }

    fn event(image: &str, reference: &str, generation: i64, created: i64) -> NamedTagEventList {
        NamedTagEventList {
            tag: "v1".into(),
            items: Some(vec![TagEvent {
                created: Some(at(created)),
                docker_image_reference: reference.into(),
                image: image.into(),
                generation,
                platforms: vec![],
            }]),
            conditions: vec![],
        }
    }

    #[test]
    fn image_tag_spec_column() {
        let n = now();
        // Tag: a DockerImage source that is imported
        let t = itag(
            Some(spec_from(KIND_DOCKER_IMAGE, "quay.io/org/app:1")),
            Some(event("sha256:a", "quay.io/org/app@sha256:a", 2, NOW - 60)),
        );
        assert_eq!(
            t.cells(&n),
            vec![
                json!("app:v1"),
                json!("Tag"),
                json!("image/sha256:a"),
                json!(1),
                json!("About a minute ago")
            ]
        );
        // Ref: reference tags point at the source
        let mut r = spec_from(KIND_DOCKER_IMAGE, "quay.io/org/app:1");
        r.reference = true;
        let t = itag(
            Some(r.clone()),
            Some(event("", "quay.io/org/app:1", 2, NOW - 60)),
        );
        assert_eq!(t.cells(&n)[1], "Ref");
        assert_eq!(t.cells(&n)[2], "quay.io/org/app:1");
        // Scheduled wins over Ref
        r.import_policy = TagImportPolicy {
            scheduled: true,
            ..Default::default()
        };
        assert_eq!(itag(Some(r), None).cells(&n)[1], "Scheduled");
        // Track: an ImageStreamTag source without a stream name is a tag of the same stream
        let t = itag(
            Some(spec_from(KIND_IMAGE_STREAM_TAG, "latest")),
            Some(event("sha256:a", "x", 2, NOW - 60)),
        );
        assert_eq!(t.cells(&n)[1], "Track");
        assert_eq!(t.cells(&n)[2], "image/sha256:a");
        // an ImageStreamTag source in another stream is a plain Tag
        let t = itag(Some(spec_from(KIND_IMAGE_STREAM_TAG, "other:latest")), None);
        assert_eq!(t.cells(&n)[1], "Tag");
        assert_eq!(t.cells(&n)[2], "istag/other:latest");
        let mut from_ns = spec_from(KIND_IMAGE_STREAM_TAG, "other:latest");
        from_ns.from.as_mut().unwrap().namespace = "shared".into();
        assert_eq!(
            itag(Some(from_ns), None).cells(&n)[2],
            "istag shared/other:latest"
        );
        // Push: no spec tag, only a status
        let t = itag(
            None,
            Some(event("sha256:p", "reg/ns/app@sha256:p", 1, NOW - 60)),
        );
        assert_eq!(t.cells(&n)[1], "Push");
        assert_eq!(t.cells(&n)[2], "image/sha256:p");
        // Push: the newest event is newer than the spec generation (someone pushed over it)
        let t = itag(
            Some(spec_from(KIND_DOCKER_IMAGE, "quay.io/org/app:1")),
            Some(event("sha256:p", "x", 3, NOW - 60)),
        );
        assert_eq!(t.cells(&n)[1], "Push");
        // a spec tag without `from` has an empty SPEC
        let t = itag(
            Some(TagReference {
                name: "v1".into(),
                ..Default::default()
            }),
            None,
        );
        assert_eq!(
            t.cells(&n),
            vec![
                json!("app:v1"),
                json!(""),
                json!(""),
                Value::Null,
                json!("")
            ]
        );
    }

    #[test]
    fn image_tag_status_column() {
        let n = now();
        // Importing: the newest event is older than the spec generation
        let t = itag(
            Some(spec_from(KIND_DOCKER_IMAGE, "quay.io/org/app:2")),
            Some(event("sha256:a", "x", 1, NOW - 60)),
        );
        assert_eq!(t.cells(&n)[2], "Importing");
        assert_eq!(t.cells(&n)[1], "Tag");
        // ImportFailed (reason), and the condition time counts as the update when newer
        let mut st = event("sha256:a", "x", 2, NOW - 7200);
        st.conditions = vec![TagEventCondition {
            type_: "ImportSuccess".into(),
            status: "False".into(),
            last_transition_time: Some(at(NOW - 5)),
            reason: "NotFound".into(),
            message: "not found".into(),
            generation: 2,
        }];
        let t = itag(
            Some(spec_from(KIND_DOCKER_IMAGE, "quay.io/org/app:2")),
            Some(st),
        );
        assert_eq!(t.cells(&n)[2], "ImportFailed (NotFound)");
        assert_eq!(t.cells(&n)[4], "5 seconds ago");
        // invalid sources
        let t = itag(Some(spec_from(KIND_IMAGE_STREAM_IMAGE, "nodigest")), None);
        assert_eq!(t.cells(&n)[2], "InvalidRefName");
        let t = itag(
            Some(spec_from(KIND_IMAGE_STREAM_IMAGE, "app@sha256:d")),
            None,
        );
        assert_eq!(t.cells(&n)[2], "image/sha256:d");
        let t = itag(Some(spec_from("Bogus", "x")), None);
        assert_eq!(t.cells(&n)[2], "InvalidRefKind");
        // history of an empty status is null
        let empty = NamedTagEventList {
            tag: "v1".into(),
            items: None,
            conditions: vec![],
        };
        assert_eq!(itag(None, Some(empty)).cells(&n)[3], Value::Null);
        let cols: Vec<(&str, &str)> = ImageTag::columns()
            .iter()
            .map(|c| (c.name, c.type_))
            .collect();
        assert_eq!(
            cols,
            [
                ("Name", "string"),
                ("Spec", "string"),
                ("Status", "string"),
                ("History", "number"),
                ("Updated", "string")
            ]
        );
    }

    #[test]
    fn namespace_cells() {
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some("dev".into()),
                creation_timestamp: Some(at(NOW - 184)),
                ..Default::default()
            },
            status: Some(k8s_openapi::api::core::v1::NamespaceStatus {
                phase: Some("Active".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            ns.cells(&now()),
            vec![json!("dev"), json!("Active"), json!("3m4s")]
        );
        let unknown = Namespace {
            metadata: ObjectMeta {
                name: Some("x".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            unknown.cells(&now()),
            vec![json!("x"), json!(""), json!("<unknown>")]
        );
        let cols: Vec<&str> = Namespace::columns().iter().map(|c| c.name).collect();
        assert_eq!(cols, ["Name", "Status", "Age"]);
    }

    #[test]
    fn secret_cells() {
        let mut data = BTreeMap::new();
        data.insert(".dockerconfigjson".to_owned(), ByteString(b"{}".to_vec()));
        data.insert("extra".to_owned(), ByteString(b"x".to_vec()));
        let mut string_data = BTreeMap::new();
        string_data.insert("extra".to_owned(), "y".to_owned());
        string_data.insert("more".to_owned(), "z".to_owned());
        let s = Secret {
            metadata: ObjectMeta {
                name: Some("pull".into()),
                creation_timestamp: Some(at(NOW - 3 * 86400)),
                ..Default::default()
            },
            type_: Some("kubernetes.io/dockerconfigjson".into()),
            data: Some(data),
            string_data: Some(string_data),
            ..Default::default()
        };
        assert_eq!(
            s.cells(&now()),
            vec![
                json!("pull"),
                json!("kubernetes.io/dockerconfigjson"),
                json!(3),
                json!("3d")
            ]
        );
        let cols: Vec<&str> = Secret::columns().iter().map(|c| c.name).collect();
        assert_eq!(cols, ["Name", "Type", "Data", "Age"]);
    }

    #[test]
    fn rows_drop_managed_fields() {
        let mut m = meta("app");
        m.managed_fields = Some(vec![Default::default()]);
        let t = table(
            &[ImageStream {
                metadata: m,
                ..Default::default()
            }],
            None,
            &now(),
        );
        assert!(
            t["rows"][0]["object"]["metadata"]
                .get("managedFields")
                .is_none()
        );
    }
}

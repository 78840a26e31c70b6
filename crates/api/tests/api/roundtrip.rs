//! Round-trip tests: YAML examples parse into our types and serialize back to the same JSON
//! values (spec §2), plus the exact null/omitempty rules and list orders.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tagplane_api::image::*;
use tagplane_api::meta::{List, ListMeta, Resource};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Remove `null` members recursively: Kubernetes clients treat a null member and a missing one
/// alike, and Go's encoder writes nulls where k8s-openapi's metadata types omit the field.
fn drop_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), drop_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(drop_nulls).collect()),
        other => other.clone(),
    }
}

/// Parse `input` as `T`, serialize it, and require the same JSON value (nulls aside); also
/// require that serialization is a fixed point.
fn roundtrip<T: Serialize + DeserializeOwned>(input: &Value) -> Value {
    let typed: T = serde_json::from_value(input.clone()).expect("decodes");
    let out = serde_json::to_value(&typed).expect("encodes");
    assert_eq!(
        drop_nulls(&out),
        drop_nulls(input),
        "re-serialized value differs"
    );
    let again: T = serde_json::from_value(out.clone()).expect("decodes again");
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        out,
        "not a fixed point"
    );
    out
}

#[test]
fn docs_image_stream_example() {
    roundtrip::<ImageStream>(&fixture("imagestream.yaml"));
}

#[test]
fn docs_image_stream_mapping_example() {
    let out = roundtrip::<ImageStreamMapping>(&fixture("imagestreammapping.yaml"));
    assert_eq!(
        out["image"]["dockerImageMetadata"]["Config"]["ExposedPorts"],
        json!({"8080/tcp": {}})
    );
}

#[test]
fn docs_image_stream_image_example() {
    roundtrip::<ImageStreamImage>(&fixture("imagestreamimage.yaml"));
}

#[test]
fn stream_with_every_tag_kind() {
    let out = roundtrip::<ImageStream>(&fixture("imagestream-tags.yaml"));
    // spec §2.1: annotations and generation are written even when null
    assert_eq!(out["spec"]["tags"][0]["annotations"], Value::Null);
    assert!(
        out["spec"]["tags"][0]
            .as_object()
            .unwrap()
            .contains_key("annotations")
    );
    assert!(
        out["status"]["tags"][1]
            .as_object()
            .unwrap()
            .contains_key("items")
    );
}

#[test]
fn manifest_list_image_with_signature() {
    roundtrip::<Image>(&fixture("image-manifestlist.yaml"));
}

#[test]
fn other_image_resources() {
    roundtrip::<ImageStreamTag>(&fixture("imagestreamtag.yaml"));
    let itag = roundtrip::<ImageTag>(&fixture("imagetag.yaml"));
    assert!(itag.as_object().unwrap().contains_key("spec") && itag["spec"].is_null());
    roundtrip::<ImageStreamImport>(&fixture("imagestreamimport.yaml"));
    let layers = roundtrip::<ImageStreamLayers>(&fixture("imagestreamlayers.yaml"));
    assert!(
        layers["images"]["sha256:dead000000000000000000000000000000000000000000000000000000000000"]
            ["config"]
            .is_null()
    );
    roundtrip::<SecretList>(&fixture("secretlist.yaml"));
}

/// spec §2.1: Go's encoder writes these exact shapes for a minimal stream.
#[test]
fn minimal_stream_wire_shape() {
    let stream: ImageStream = serde_json::from_value(json!({
        "metadata": {"name": "s", "namespace": "n"},
        "spec": {"tags": [{"name": "t", "from": {"kind": "DockerImage", "name": "a/b:c"}}]}
    }))
    .unwrap();
    let out = serde_json::to_value(&stream).unwrap();
    assert_eq!(
        out,
        json!({
            "metadata": {"name": "s", "namespace": "n"},
            "spec": {
                "lookupPolicy": {"local": false},
                "tags": [{
                    "name": "t",
                    "annotations": null,
                    "from": {"kind": "DockerImage", "name": "a/b:c"},
                    "generation": null,
                    "importPolicy": {},
                    "referencePolicy": {"type": "Source"}
                }]
            },
            "status": {"dockerImageRepository": ""}
        })
    );
}

/// spec §2.1: `referencePolicy.type` defaults to Source on decode (empty or missing).
#[test]
fn reference_policy_defaults_to_source() {
    let t: TagReference =
        serde_json::from_value(json!({"name": "x", "referencePolicy": {"type": ""}})).unwrap();
    assert_eq!(t.reference_policy.type_, "Source");
    let t: TagReference =
        serde_json::from_value(json!({"name": "x", "referencePolicy": null})).unwrap();
    assert_eq!(t.reference_policy.type_, "Source");
    let t: TagReference =
        serde_json::from_value(json!({"name": "x", "referencePolicy": {"type": "Local"}})).unwrap();
    assert_eq!(t.reference_policy.type_, "Local");
}

/// spec §2.1: duplicate tag names collapse (last wins) and both lists are written sorted.
#[test]
fn tags_collapse_and_sort() {
    let stream: ImageStream = serde_json::from_value(json!({
        "spec": {"tags": [
            {"name": "b", "from": {"kind": "DockerImage", "name": "x:1"}},
            {"name": "a"},
            {"name": "b", "from": {"kind": "DockerImage", "name": "x:2"}}
        ]},
        "status": {"dockerImageRepository": "", "tags": [{"tag": "z", "items": []}, {"tag": "c", "items": null}, {"tag": "z", "items": null}]}
    }))
    .unwrap();
    let names: Vec<_> = stream.spec.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        stream.spec.tag("b").unwrap().from.as_ref().unwrap().name,
        "x:2"
    );
    let status: Vec<_> = stream.status.tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(status, ["c", "z"]);
    // programmatic order does not matter on output either
    let mut s = stream.clone();
    s.spec.tags.reverse();
    let out = serde_json::to_value(&s).unwrap();
    assert_eq!(out["spec"]["tags"][0]["name"], "a");
}

/// Unset time fields of value type are written as null, pointer ones omitted (Go metav1.Time).
#[test]
fn time_fields() {
    let c = TagEventCondition {
        type_: "ImportSuccess".into(),
        status: "False".into(),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"type": "ImportSuccess", "status": "False", "lastTransitionTime": null, "generation": 0})
    );
    let e = TagEvent::default();
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!({"created": null, "dockerImageReference": "", "image": "", "generation": 0})
    );
    let t: TagEvent = serde_json::from_value(json!({"created": "2026-01-02T03:04:05Z"})).unwrap();
    assert_eq!(
        serde_json::to_value(&t).unwrap()["created"],
        "2026-01-02T03:04:05Z"
    );
}

#[test]
fn lists_carry_kind() {
    let list = List::new(
        vec![ImageStream::default()],
        ListMeta {
            resource_version: Some("5".into()),
            ..Default::default()
        },
    );
    let out = serde_json::to_value(&list).unwrap();
    assert_eq!(out["kind"], "ImageStreamList");
    assert_eq!(out["apiVersion"], ImageStream::API_VERSION);
    assert_eq!(out["metadata"]["resourceVersion"], "5");
    let back: ImageStreamList =
        serde_json::from_value(json!({"metadata": {}, "items": null})).unwrap();
    assert!(back.items.is_empty());
}

/// Bad input is an error, never a panic.
#[test]
fn malformed_input_is_an_error() {
    for bad in [
        json!({"spec": {"tags": "nope"}}),
        json!({"spec": {"tags": [{"generation": "x"}]}}),
        json!({"status": {"tags": [{"items": [{"created": "yesterday"}]}]}}),
        json!([1, 2]),
    ] {
        assert!(serde_json::from_value::<ImageStream>(bad).is_err());
    }
}

//! Validation rules of spec §3 with the exact messages clients match on.

use serde_json::json;
use tagplane_api::image::*;
use tagplane_api::validation::*;

fn stream(v: serde_json::Value) -> ImageStream {
    serde_json::from_value(v).unwrap()
}

fn msgs(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

fn allow(entries: &[(&str, bool)]) -> RegistryAllowList {
    RegistryAllowList {
        entries: Some(
            entries
                .iter()
                .map(|(d, i)| AllowedRegistry {
                    domain_name: (*d).into(),
                    insecure: *i,
                })
                .collect(),
        ),
        internal_hostname: Some("registry.local:5000".into()),
    }
}

/// §3.1: stream names follow the pattern, the path-segment rules and the 255 limit; there is no
/// 63-character limit.
#[test]
fn s3_1_stream_names() {
    let all = RegistryAllowList::allow_all();
    for good in ["a", "a.b", "a_b", "a-b-c", "x1.2_3", &"a".repeat(200)] {
        let s = stream(json!({"metadata": {"name": good, "namespace": "ns"}}));
        assert!(validate_image_stream(&s, &all).is_empty(), "{good}");
    }
    for bad in ["A", "-a", "a-", "a..b", "a--b", "a/b", "a%b", ".", ".."] {
        let s = stream(json!({"metadata": {"name": bad, "namespace": "ns"}}));
        assert!(!validate_image_stream(&s, &all).is_empty(), "{bad}");
    }
    let s = stream(json!({"metadata": {"name": "Bad", "namespace": "ns"}}));
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        [r#"metadata.name: Invalid value: "Bad": must match "[a-z0-9]+(?:[._-][a-z0-9]+)*""#]
    );
    let long = "a".repeat(253);
    let s = stream(json!({"metadata": {"name": long, "namespace": "ns"}}));
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        [format!(
            r#"metadata.name: Invalid value: "{long}": 'namespace/name' cannot be longer than 255 characters"#
        )]
    );
    let ok = "a".repeat(252);
    let s = stream(json!({"metadata": {"name": ok, "namespace": "ns"}}));
    assert!(validate_image_stream(&s, &all).is_empty());
    let s = stream(json!({"metadata": {"namespace": "ns"}}));
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        ["metadata.name: Required value: name or generateName is required"]
    );
}

/// §3.1: spec tag names are not validated at all.
#[test]
fn s3_1_tag_names_unvalidated() {
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"tags": [
        {"name": ""}, {"name": "UPPER/with%odd"}]}}),
    );
    assert!(validate_image_stream(&s, &RegistryAllowList::allow_all()).is_empty());
}

/// §3.3: tag reference rules and messages.
#[test]
fn s3_3_tag_references() {
    let all = RegistryAllowList::allow_all();
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"tags": [
            {"name": "a", "from": {"kind": "DockerImage", "name": ""}},
            {"name": "b", "from": {"kind": "Other", "name": "x"}},
            {"name": "c", "from": {"kind": "ImageStreamTag", "name": "x:y"}, "importPolicy": {"scheduled": true}},
            {"name": "d", "from": {"kind": "DockerImage", "name": "Not A Reference"}},
            {"name": "e", "referencePolicy": {"type": "Remote"}},
            {"name": "f", "importPolicy": {"importMode": "Everything"}},
            {"name": "g", "from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}, "reference": true, "importPolicy": {"scheduled": true}}
        ]}}),
    );
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        [
            "spec.tags[a].from.name: Required value",
            "spec.tags[b].from.kind: Required value: valid values are 'DockerImage', 'ImageStreamImage', 'ImageStreamTag'",
            "spec.tags[c].importPolicy.scheduled: Invalid value: true: only tags pointing to Docker repositories may be scheduled for background import",
            r#"spec.tags[d].from.name: Invalid value: "Not A Reference": invalid reference format"#,
            r#"spec.tags[e].referencePolicy.type: Invalid value: "Remote": valid values are "Source", "Local""#,
            r#"spec.tags[f].importPolicy.importMode: Invalid value: "Everything": invalid import mode, valid modes are '', 'Legacy', 'PreserveOriginal'"#,
        ]
    );
}

/// §3.4: spec.dockerImageRepository must be a repository; status pull specs must be present.
#[test]
fn s3_4_stream_repository_and_status() {
    let all = RegistryAllowList::allow_all();
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"dockerImageRepository": "quay.io/a/b:1"}}),
    );
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        [
            r#"spec.dockerImageRepository: Invalid value: "quay.io/a/b:1": the repository name may not contain a tag"#
        ]
    );
    let d = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"dockerImageRepository": format!("quay.io/a/b@{d}")}}),
    );
    assert!(
        msgs(&validate_image_stream(&s, &all))[0]
            .ends_with("the repository name may not contain an ID")
    );
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "status": {"dockerImageRepository": "", "tags": [
        {"tag": "t", "items": [{"created": null, "dockerImageReference": "", "image": "", "generation": 1}]}]}}),
    );
    assert_eq!(
        msgs(&validate_image_stream(&s, &all)),
        ["status.tags[t].items[0].dockerImageReference: Required value"]
    );
}

/// §3.6: allowed registries — ports, globs, Docker Hub aliases, internal registry, messages,
/// and grandfathering on update.
#[test]
fn s3_6_allowed_registries() {
    let a = allow(&[
        ("quay.io", false),
        ("*.example.com", false),
        ("insecure.local", true),
        ("docker.io", false),
    ]);
    assert!(a.admit_hostname("quay.io", Transport::Secure).is_ok());
    assert!(a.admit_hostname("quay.io:443", Transport::Secure).is_ok());
    assert!(a.admit_hostname("quay.io:5000", Transport::Secure).is_err());
    assert!(
        a.admit_hostname("reg.example.com", Transport::Secure)
            .is_ok()
    );
    assert!(
        a.admit_hostname("insecure.local", Transport::Insecure)
            .is_ok()
    );
    assert!(
        a.admit_hostname("insecure.local", Transport::Secure)
            .is_err()
    );
    assert!(a.admit_hostname("insecure.local", Transport::Any).is_ok());
    assert!(
        a.admit_hostname("registry-1.docker.io", Transport::Secure)
            .is_ok()
    );
    assert!(
        a.admit_hostname("index.docker.io", Transport::Secure)
            .is_ok()
    );
    assert!(
        a.admit_hostname("registry.local:5000", Transport::Secure)
            .is_ok(),
        "internal registry always allowed"
    );
    assert_eq!(
        a.admit_hostname("evil.io", Transport::Secure).unwrap_err(),
        r#"registry "evil.io" not allowed by whitelist: "quay.io:443", "*.example.com:443", "insecure.local:80", "docker.io:443""#
    );
    let many = allow(&[
        ("a", false),
        ("b", false),
        ("c", false),
        ("d", false),
        ("e", false),
        ("f", false),
        ("g", false),
    ]);
    assert_eq!(
        many.admit_hostname("z", Transport::Secure).unwrap_err(),
        r#"registry "z" not allowed by whitelist: "a:443", "b:443", "c:443", "d:443", "e:443", and 2 more ..."#
    );
    let empty = RegistryAllowList {
        entries: Some(vec![]),
        internal_hostname: None,
    };
    assert_eq!(
        empty
            .admit_hostname("quay.io", Transport::Secure)
            .unwrap_err(),
        r#"registry "quay.io" not allowed by empty whitelist"#
    );
    let star = allow(&[("quay.io:*", false)]);
    assert!(
        star.admit_hostname("quay.io:8443", Transport::Secure)
            .is_ok()
    );

    // in validation: bare names are Docker Hub; the message is a Forbidden field error
    let only_quay = allow(&[("quay.io", false)]);
    let s = stream(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"tags": [
        {"name": "t", "from": {"kind": "DockerImage", "name": "mysql:8"}}]}}),
    );
    assert_eq!(
        msgs(&validate_image_stream(&s, &only_quay)),
        [
            r#"spec.tags[t].from.name: Forbidden: registry "docker.io" not allowed by whitelist: "quay.io:443""#
        ]
    );
    // update: references already stored are grandfathered
    assert!(validate_image_stream_update(&s, &s, &only_quay).is_empty());
}

/// §3.5: Image and manifest-list rules.
#[test]
fn s3_5_images() {
    let img: Image = serde_json::from_value(json!({
        "metadata": {"name": "sha256:abc"},
        "dockerImageReference": "quay.io/a/b@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "dockerImageLayers": [{"name": "sha256:1", "size": 1, "mediaType": "x/y"}],
        "dockerImageManifests": [
            {"digest": "sha256:short", "mediaType": "nope", "manifestSize": -1, "architecture": "", "os": ""},
            {"digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "mediaType": "application/vnd.oci.image.manifest.v1+json", "manifestSize": 5, "architecture": "amd64", "os": "linux"}
        ]
    }))
    .unwrap();
    assert_eq!(
        msgs(&validate_image(&img)),
        [
            r#"dockerImageManifests[0].digest: Invalid value: "sha256:short": digest does not conform with OCI image specification"#,
            r#"dockerImageManifests[0].mediaType: Invalid value: "nope": media type does not conform to RFC6838"#,
            "dockerImageManifests[0].architecture: Required value",
            "dockerImageManifests[0].os: Required value",
            "dockerImageManifests[0].manifestSize: Invalid value: -1: manifest size cannot be negative",
            "dockerImageLayers: Invalid value: dockerImageLayers should not be set when dockerImageManifests is set",
        ]
    );
    let missing: Image =
        serde_json::from_value(json!({"metadata": {"name": "sha256:abc"}})).unwrap();
    assert_eq!(
        msgs(&validate_image(&missing)),
        ["dockerImageReference: Required value"]
    );
}

/// §3.5: signatures.
#[test]
fn s3_5_signatures() {
    let sig: ImageSignature = serde_json::from_value(json!({
        "metadata": {"name": "nosep", "labels": {"a": "b"}, "annotations": {"c": "d"}},
        "conditions": [{"type": "Trusted", "status": "True"}],
        "imageIdentity": "x"
    }))
    .unwrap();
    let m = msgs(&validate_image_signature(&sig));
    assert!(m.contains(&r#"metadata.name: Invalid value: "nosep": name must be of format <imageName>@<signatureName>"#.to_owned()));
    assert!(m.contains(&"metadata.labels: Forbidden: signature labels cannot be set".to_owned()));
    assert!(m.contains(
        &"metadata.annotations: Forbidden: signature annotations cannot be set".to_owned()
    ));
    assert!(m.contains(&"type: Required value".to_owned()));
    assert!(m.contains(&"content: Required value".to_owned()));
    assert!(m.iter().any(|x| x.contains("Trusted and ForImage")));
    let good: ImageSignature = serde_json::from_value(json!({
        "metadata": {"name": "sha256:abc@sig"}, "type": "AtomicImageV1", "content": "AQID"
    }))
    .unwrap();
    assert!(validate_image_signature(&good).is_empty());
    let mut changed = good.clone();
    changed.type_ = "Other".into();
    assert_eq!(
        msgs(&validate_image_signature_update(&changed, &good)),
        [r#"type: Invalid value: "Other": field is immutable"#]
    );
}

/// §3.1 / §8: mappings need a tag and a valid image.
#[test]
fn s3_1_mapping() {
    let m: ImageStreamMapping = serde_json::from_value(json!({
        "metadata": {"name": "s", "namespace": "Bad_NS"},
        "image": {"metadata": {"name": "sha256:abc"}, "dockerImageReference": "r/a@sha256:1111111111111111111111111111111111111111111111111111111111111111"}
    }))
    .unwrap();
    let out = msgs(&validate_image_stream_mapping(&m));
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(
        out[0].starts_with(
            r#"metadata.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label"#
        )
    );
    assert_eq!(out[1], "tag: Required value");
}

/// §3.7: ImageStreamImport rules.
#[test]
fn s3_7_imports() {
    let isi: ImageStreamImport = serde_json::from_value(json!({
        "metadata": {"name": "s", "namespace": "ns"},
        "spec": {"import": true,
            "repository": {"from": {"kind": "DockerImage", "name": "quay.io/a/b:1"}},
            "images": [
                {"from": {"kind": "ImageStreamTag", "name": "x:y"}},
                {"from": {"kind": "DockerImage", "name": "*"}},
                {"from": {"kind": "DockerImage", "name": "ok:1"}, "to": {"name": ""}}
            ]}
    }))
    .unwrap();
    assert_eq!(
        msgs(&validate_image_stream_import(&isi)),
        [
            r#"spec.repository.from.name: Invalid value: "quay.io/a/b:1": you must specify an image repository, not a tag or ID"#,
            r#"spec.images[0].from.kind: Invalid value: "ImageStreamTag": only DockerImage is supported"#,
            "spec.images[2].to.name: Required value: the name of the target tag must be specified",
        ]
    );
    let empty: ImageStreamImport = serde_json::from_value(
        json!({"metadata": {"name": "s", "namespace": "ns"}, "spec": {"import": false}}),
    )
    .unwrap();
    assert_eq!(
        msgs(&validate_image_stream_import(&empty)),
        [
            "spec.images: Invalid value: []: you must specify at least one image or a repository import"
        ]
    );
    let no_name: ImageStreamImport =
        serde_json::from_value(json!({"metadata": {"name": "s", "namespace": "ns"},
        "spec": {"repository": {"from": {"kind": "DockerImage"}}}}))
        .unwrap();
    assert_eq!(
        msgs(&validate_image_stream_import(&no_name)),
        ["spec.repository.from.name: Required value: container image references require a name"]
    );
}

/// §3.8: istag/itag rules.
#[test]
fn s3_8_istag_itag() {
    let all = RegistryAllowList::allow_all();
    let ist: ImageStreamTag = serde_json::from_value(json!({
        "metadata": {"name": "s:t", "namespace": "ns", "annotations": {"a": "1"}},
        "tag": {"name": "t", "annotations": {"a": "2"}}
    }))
    .unwrap();
    assert_eq!(
        msgs(&validate_image_stream_tag(&ist, &all)),
        [
            "tag.annotations: Invalid value: tag annotations must not be provided or must be equal to the object meta annotations"
        ]
    );
    let mut old = ist.clone();
    old.tag = None;
    let mut new = old.clone();
    new.metadata.labels = Some([("x".to_owned(), "y".to_owned())].into());
    assert_eq!(
        msgs(&validate_image_stream_tag_update(&new, &old, &all)),
        ["metadata: Forbidden: may not update fields other than metadata.annotations"]
    );
    let itag: ImageTag =
        serde_json::from_value(json!({"metadata": {"name": "s:t", "namespace": "ns"}})).unwrap();
    assert_eq!(
        msgs(&validate_image_tag(&itag, &all)),
        ["spec: Required value: spec is a required field during creation"]
    );
    let itag: ImageTag = serde_json::from_value(
        json!({"metadata": {"name": "s:t", "namespace": "ns"}, "spec": {"name": "u"}}),
    )
    .unwrap();
    assert_eq!(
        msgs(&validate_image_tag(&itag, &all)),
        [r#"spec.name: Invalid value: "u": must match image tag name"#]
    );
    let mut changed = itag.clone();
    changed.status = Some(Default::default());
    assert!(
        msgs(&validate_image_tag_update(&changed, &itag, &all))
            .contains(&"metadata: Forbidden: may not update fields other than spec".to_owned())
    );
}

/// The 422 Status layout the server returns.
#[test]
fn invalid_status_shape() {
    let errs = vec![
        FieldError::required("tag", ""),
        FieldError::invalid("metadata.name", "Bad", "must match \"x\""),
    ];
    let st = invalid_status("image.openshift.io", "ImageStreamMapping", "s", &errs);
    let v = serde_json::to_value(&st).unwrap();
    assert_eq!(v["code"], 422);
    assert_eq!(v["reason"], "Invalid");
    assert_eq!(
        v["message"],
        r#"ImageStreamMapping.image.openshift.io "s" is invalid: [tag: Required value, metadata.name: Invalid value: "Bad": must match "x"]"#
    );
    assert_eq!(
        v["details"]["causes"][0],
        json!({"field": "tag", "message": "Required value", "reason": "FieldValueRequired"})
    );
    let one = invalid_status("image.openshift.io", "ImageStream", "s", &errs[..1]);
    assert_eq!(
        one.message.as_deref(),
        Some(r#"ImageStream.image.openshift.io "s" is invalid: tag: Required value"#)
    );
}

#[test]
fn glob_and_host_port() {
    assert!(glob_match("*.example.com", "a.example.com"));
    assert!(!glob_match("*.example.com", "example.com"));
    assert!(glob_match("reg?.io", "reg1.io"));
    assert!(glob_match("*", ""));
    assert_eq!(split_host_port("[::1]:5000"), ("[::1]", Some("5000")));
    assert_eq!(split_host_port("[::1]"), ("[::1]", None));
    assert_eq!(split_host_port("h:1"), ("h", Some("1")));
    assert_eq!(split_host_port("h"), ("h", None));
}

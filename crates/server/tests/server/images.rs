//! Images (§9.1–9.2), ImageSignatures (§9.3), ImageStreamImage (§7) and the layers view
//! (§12.1) over HTTP against a real server, with images built from real manifest JSON.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::Server;
use crate::tags::{
    NS, client, create_stream, image_json, merge_patch, oci_image, oci_index, push, send,
    with_registry,
};

const IMAGES: &str = "/apis/image.openshift.io/v1/images";
const SIGS: &str = "/apis/image.openshift.io/v1/imagesignatures";

/// §9.1: metadata, layers and size come from the manifest and config; the layer order is
/// recorded; stored-blob images lose manifest and config; manifest lists get their children.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_1_create_fills_metadata() {
    let s = Server::start();
    let c = client();
    let img = oci_image("s9-1");
    let (code, created) = send(
        c.post(format!("{}{IMAGES}", s.url))
            .json(&image_json(&img, "quay.io/org/app")),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "Image");
    assert_eq!(created["metadata"]["name"], img.digest.as_str());
    assert_eq!(
        created["dockerImageMetadata"]["Id"],
        img.config_digest.as_str()
    );
    assert_eq!(created["dockerImageMetadata"]["Architecture"], "amd64");
    assert_eq!(
        created["dockerImageMetadata"]["Size"],
        img.config.len() as u64 + 1234
    );
    assert_eq!(created["dockerImageMetadataVersion"], "1.0");
    assert_eq!(created["dockerImageLayers"][0]["name"], img.layer.as_str());
    assert_eq!(created["dockerImageLayers"][0]["size"], 1234);
    assert_eq!(
        created["metadata"]["annotations"]["image.openshift.io/dockerLayersOrder"],
        "ascending"
    );
    assert_eq!(
        created["dockerImageManifest"],
        img.manifest.as_str(),
        "kept unless stored as a blob"
    );
    let (code, got) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(got["dockerImageMetadata"]["Id"], img.config_digest.as_str());

    // registry-pushed images keep their blobs in storage: manifest and config are stripped
    let pushed = oci_image("s9-1-blob");
    let mut body = image_json(&pushed, "registry.local:5000/ns/app");
    body["metadata"]["annotations"] = json!({"image.openshift.io/manifestBlobStored": "true"});
    let (code, stored) = send(c.post(format!("{}{IMAGES}", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{stored}");
    assert!(
        stored.get("dockerImageManifest").is_none() && stored.get("dockerImageConfig").is_none(),
        "{stored}"
    );
    assert_eq!(
        stored["dockerImageMetadata"]["Id"],
        pushed.config_digest.as_str(),
        "metadata filled first"
    );

    // a manifest list: children recorded, no layers
    let (a, b) = (oci_image("s9-1-a"), oci_image("s9-1-b"));
    let (index, index_digest) = oci_index(&[&a, &b]);
    let body = json!({
        "metadata": {"name": index_digest},
        "dockerImageReference": format!("quay.io/org/multi@{index_digest}"),
        "dockerImageManifestMediaType": "application/vnd.oci.image.index.v1+json",
        "dockerImageManifest": index
    });
    let (code, list) = send(c.post(format!("{}{IMAGES}", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{list}");
    let children = list["dockerImageManifests"].as_array().unwrap();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0]["digest"], a.digest.as_str());
    assert_eq!(children[1]["architecture"], "arm64");
    assert!(list.get("dockerImageLayers").is_none());

    // a schema 2 image without its config is stored; the metadata error is only logged
    let broken = oci_image("s9-1-noconfig");
    let mut body = image_json(&broken, "quay.io/org/app");
    body.as_object_mut().unwrap().remove("dockerImageConfig");
    let (code, e) = send(c.post(format!("{}{IMAGES}", s.url)).json(&body)).await;
    assert_eq!(code, StatusCode::CREATED, "{e}");

    // validation (§3.5) and duplicates
    let (code, e) = send(
        c.post(format!("{}{IMAGES}", s.url))
            .json(&json!({"metadata": {"name": "sha256:abc"}})),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "Image.image.openshift.io \"sha256:abc\" is invalid: dockerImageReference: Required value"
    );
    let (code, e) = send(
        c.post(format!("{}{IMAGES}", s.url))
            .json(&image_json(&img, "quay.io/org/app")),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        format!(
            "images.image.openshift.io \"{}\" already exists",
            img.digest
        )
    );
}

/// §9.2: PUT needs a resourceVersion; immutable fields are silently restored; a manifest that
/// does not hash to the name is reverted; other changes stick; delete answers a Status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_2_update_and_delete() {
    let s = Server::start();
    let c = client();
    let img = oci_image("s9-2");
    let (_, created) = send(
        c.post(format!("{}{IMAGES}", s.url))
            .json(&image_json(&img, "quay.io/org/app")),
    )
    .await;
    let url = format!("{}{IMAGES}/{}", s.url, img.digest);
    let mut body = created.clone();
    body["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (code, e) = send(c.put(&url).json(&body)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        format!(
            "Image.image.openshift.io \"{}\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
            img.digest
        )
    );
    let other = oci_image("s9-2-other");
    let mut body = created.clone();
    body["metadata"]["labels"] = json!({"kept": "yes"});
    body["dockerImageMetadata"]["Id"] = json!("sha256:forged");
    body["dockerImageLayers"] = json!([]);
    body["dockerImageMetadataVersion"] = json!("9.9");
    body["dockerImageManifest"] = json!(other.manifest);
    let (code, updated) = send(c.put(&url).json(&body)).await;
    assert_eq!(code, StatusCode::OK, "{updated}");
    assert_eq!(updated["metadata"]["labels"]["kept"], "yes");
    assert_eq!(
        updated["dockerImageMetadata"]["Id"],
        img.config_digest.as_str()
    );
    assert_eq!(updated["dockerImageLayers"][0]["name"], img.layer.as_str());
    assert_eq!(updated["dockerImageMetadataVersion"], "1.0");
    assert_eq!(
        updated["dockerImageManifest"],
        img.manifest.as_str(),
        "a foreign manifest is reverted"
    );
    // the stale version conflicts
    let (code, e) = send(c.put(&url).json(&body)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(e["reason"], "Conflict");
    // a manifest that hashes to the name is accepted (after being cleared)
    let (code, cleared) = send(merge_patch(
        &c,
        url.clone(),
        json!({"dockerImageManifest": null, "dockerImageConfig": null}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{cleared}");
    assert!(cleared.get("dockerImageManifest").is_none());
    let (code, restored) = send(merge_patch(
        &c,
        url.clone(),
        json!({"dockerImageManifest": img.manifest, "dockerImageConfig": img.config}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{restored}");
    assert_eq!(restored["dockerImageManifest"], img.manifest.as_str());
    assert_eq!(restored["dockerImageConfig"], img.config.as_str());
    // a config that does not match the manifest is reverted
    let (code, kept) = send(merge_patch(
        &c,
        url.clone(),
        json!({"dockerImageConfig": "{\"os\":\"plan9\"}"}),
    ))
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(kept["dockerImageConfig"], img.config.as_str());
    // list and delete
    let (code, list) = send(c.get(format!("{}{IMAGES}", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["kind"], "ImageList");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (code, list) = send(c.get(format!("{}{IMAGES}?labelSelector=kept%3Dno", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (code, list) = send(c.get(format!("{}{IMAGES}?labelSelector=kept", s.url))).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (code, d) = send(c.delete(&url)).await;
    assert_eq!(code, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "Success");
    assert_eq!(d["details"]["name"], img.digest.as_str());
    assert_eq!(d["details"]["kind"], "images");
    let (code, e) = send(c.get(&url)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        format!("images.image.openshift.io \"{}\" not found", img.digest)
    );
}

/// §9.3: signatures are added to and removed from their Image; parsed fields are cleared;
/// duplicates by name or by type+content are 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_3_signatures() {
    let s = Server::start();
    let c = client();
    let img = oci_image("s9-3");
    send(
        c.post(format!("{}{IMAGES}", s.url))
            .json(&image_json(&img, "quay.io/org/app")),
    )
    .await;
    let name = format!("{}@sig1", img.digest);
    let sig = json!({
        "metadata": {"name": name},
        "type": "AtomicImageV1",
        "content": "c2lnbmVk",
        "imageIdentity": "forged",
        "conditions": [{"type": "Trusted", "status": "True"}, {"type": "ForImage", "status": "True"}]
    });
    let (code, stored) = send(c.post(format!("{}{SIGS}", s.url)).json(&sig)).await;
    assert_eq!(code, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["kind"], "ImageSignature");
    assert_eq!(stored["metadata"]["name"], name.as_str());
    assert!(
        stored.get("conditions").is_none() && stored.get("imageIdentity").is_none(),
        "{stored}"
    );
    let (_, image) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(image["signatures"][0]["metadata"]["name"], name.as_str());
    assert_eq!(image["signatures"][0]["content"], "c2lnbmVk");
    // same name, or same type and content under another name: 409
    let (code, e) = send(c.post(format!("{}{SIGS}", s.url)).json(&sig)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(
        e["message"],
        format!("imageSignatures.image.openshift.io \"{name}\" already exists")
    );
    let mut same_content = sig.clone();
    same_content["metadata"]["name"] = json!(format!("{}@sig2", img.digest));
    let (code, _) = send(c.post(format!("{}{SIGS}", s.url)).json(&same_content)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    // bad names, missing image
    let mut bad = sig.clone();
    bad["metadata"]["name"] = json!("no-at-sign");
    let (code, e) = send(c.post(format!("{}{SIGS}", s.url)).json(&bad)).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("name must be of format <imageName>@<signatureName>"),
        "{e}"
    );
    let mut orphan = sig.clone();
    orphan["metadata"]["name"] =
        json!("sha256:0000000000000000000000000000000000000000000000000000000000000000@s");
    let (code, e) = send(c.post(format!("{}{SIGS}", s.url)).json(&orphan)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["details"]["kind"], "images");
    // delete
    let (code, ok) = send(c.delete(format!("{}{SIGS}/{name}", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{ok}");
    assert_eq!(ok["status"], "Success");
    let (_, image) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert!(image.get("signatures").is_none(), "{image}");
    let (code, e) = send(c.delete(format!("{}{SIGS}/{name}", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        format!("imageSignatures.image.openshift.io \"{name}\" not found")
    );
    let (code, e) = send(c.delete(format!("{}{SIGS}/nosignature", s.url))).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["message"],
        "ImageSignatures must be accessed with <imageName>@<signatureName>"
    );
    // no get or list
    let (code, _) = send(c.get(format!("{}{SIGS}/{name}", s.url))).await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
}

/// §7: name parsing, digest-prefix matching over history and manifest-list children, the view
/// (requested name, Image time, stream annotations, no reference-policy rewrite) and 404s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s7_image_stream_image() {
    let s = Server::start_with(with_registry());
    let c = client();
    create_stream(&c, &s.url, "app", json!([])).await;
    send(merge_patch(
        &c,
        format!("{}{NS}/imagestreams/app", s.url),
        json!({"metadata": {"annotations": {"from": "stream"}}}),
    ))
    .await;
    let img = oci_image("s7");
    push(&c, &s.url, "app", "t", image_json(&img, "quay.io/org/app")).await;
    // a Local reference policy on the tag is not applied by isimage (§18 item 8)
    let (code, e) = send(c.put(format!("{}{NS}/imagestreamtags/app:t", s.url)).json(&json!({
        "metadata": {"name": "app:t"},
        "tag": {"from": {"kind": "DockerImage", "name": "quay.io/org/app:1"}, "referencePolicy": {"type": "Local"}}
    })))
    .await;
    assert_eq!(code, StatusCode::CREATED, "{e}");
    let url = |name: &str| format!("{}{NS}/imagestreamimages/{name}", s.url);
    let hex = img.digest.trim_start_matches("sha256:");
    for id in [&img.digest[..], &hex[..12], &hex[..1], "sha256:"] {
        let (code, isi) = send(c.get(url(&format!("app@{id}")))).await;
        assert_eq!(code, StatusCode::OK, "{id}: {isi}");
        assert_eq!(isi["kind"], "ImageStreamImage");
        assert_eq!(
            isi["metadata"]["name"],
            format!("app@{id}"),
            "the requested id is echoed"
        );
        assert_eq!(isi["image"]["metadata"]["name"], img.digest.as_str());
    }
    let (_, isi) = send(c.get(url(&format!("app@{}", &hex[..8])))).await;
    let (_, image) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(isi["metadata"]["namespace"], "default");
    assert_eq!(
        isi["metadata"]["creationTimestamp"],
        image["metadata"]["creationTimestamp"]
    );
    assert_eq!(isi["metadata"]["annotations"]["from"], "stream");
    assert_eq!(
        isi["image"]["dockerImageReference"],
        format!("quay.io/org/app@{}", img.digest),
        "no Local rewrite"
    );
    assert_eq!(
        isi["image"]["dockerImageMetadata"]["Id"],
        img.config_digest.as_str()
    );
    assert!(
        isi["image"].get("dockerImageManifest").is_none()
            && isi["image"].get("dockerImageConfig").is_none()
    );

    // children of a pushed manifest list are found too
    let (a, b) = (oci_image("s7-a"), oci_image("s7-b"));
    for child in [&a, &b] {
        let (code, _) = send(
            c.post(format!("{}{IMAGES}", s.url))
                .json(&image_json(child, "quay.io/org/multi")),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED);
    }
    let (index, index_digest) = oci_index(&[&a, &b]);
    let list_image = json!({
        "metadata": {"name": index_digest},
        "dockerImageReference": format!("quay.io/org/multi@{index_digest}"),
        "dockerImageManifestMediaType": "application/vnd.oci.image.index.v1+json",
        "dockerImageManifest": index
    });
    let (code, m) = push(&c, &s.url, "app", "multi", list_image).await;
    assert_eq!(code, StatusCode::CREATED, "{m}");
    let (code, child) = send(c.get(url(&format!("app@{}", b.digest)))).await;
    assert_eq!(code, StatusCode::OK, "{child}");
    assert_eq!(child["image"]["metadata"]["name"], b.digest.as_str());

    // errors
    for bad in ["app", "app@", "@x", "app@a@b"] {
        let (code, e) = send(c.get(url(bad))).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(
            e["message"],
            "ImageStreamImages must be retrieved with <name>@<id>"
        );
    }
    let (code, e) = send(c.get(url("app@ffffffffffff"))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    // upstream names the singular resource here
    assert_eq!(
        e["message"],
        "imagestreamimage.image.openshift.io \"app@ffffffffffff\" not found"
    );
    let (code, e) = send(c.get(url(&format!("ghost@{hex}")))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(e["details"]["kind"], "imagestreamimages");
    assert_eq!(e["details"]["name"], "ghost");
}

/// §12.1: every image of the history with its blobs, the manifest as a blob, manifest-list
/// children, and missing images flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s12_1_layers() {
    let s = Server::start();
    let c = client();
    create_stream(&c, &s.url, "app", json!([])).await;
    let img = oci_image("s12");
    push(&c, &s.url, "app", "t", image_json(&img, "quay.io/org/app")).await;
    let gone = oci_image("s12-gone");
    push(
        &c,
        &s.url,
        "app",
        "gone",
        image_json(&gone, "quay.io/org/app"),
    )
    .await;
    send(c.delete(format!("{}{IMAGES}/{}", s.url, gone.digest))).await;
    let (a, b) = (oci_image("s12-a"), oci_image("s12-b"));
    for child in [&a, &b] {
        send(
            c.post(format!("{}{IMAGES}", s.url))
                .json(&image_json(child, "quay.io/org/multi")),
        )
        .await;
    }
    let (index, index_digest) = oci_index(&[&a, &b]);
    let list_image = json!({
        "metadata": {"name": index_digest},
        "dockerImageReference": format!("quay.io/org/multi@{index_digest}"),
        "dockerImageManifestMediaType": "application/vnd.oci.image.index.v1+json",
        "dockerImageManifest": index
    });
    push(&c, &s.url, "app", "multi", list_image).await;

    let (code, layers) = send(c.get(format!("{}{NS}/imagestreams/app/layers", s.url))).await;
    assert_eq!(code, StatusCode::OK, "{layers}");
    assert_eq!(layers["kind"], "ImageStreamLayers");
    assert_eq!(layers["metadata"]["name"], "app");
    let images = layers["images"].as_object().unwrap();
    assert_eq!(images.len(), 5, "{layers}");
    let refs = &images[&img.digest];
    assert_eq!(refs["layers"], json!([img.layer]));
    assert_eq!(refs["config"], img.config_digest.as_str());
    assert_eq!(images[&gone.digest]["imageMissing"], true);
    assert_eq!(
        images[&index_digest]["manifests"],
        json!([a.digest, b.digest])
    );
    assert!(images.contains_key(&a.digest) && images.contains_key(&b.digest));
    let blobs = layers["blobs"].as_object().unwrap();
    assert_eq!(blobs[&img.layer]["size"], 1234);
    assert_eq!(blobs[&img.config_digest]["size"], Value::Null);
    assert_eq!(
        blobs[&img.digest]["mediaType"], "application/vnd.oci.image.manifest.v1+json",
        "the manifest is a blob"
    );
    let (code, e) = send(c.get(format!("{}{NS}/imagestreams/ghost/layers", s.url))).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(
        e["message"],
        "imagestreams.image.openshift.io \"ghost\" not found"
    );
}

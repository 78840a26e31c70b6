//! ImageStreamMapping (§8) over HTTP against a real server: how pushes land in a stream,
//! including the 404 shape the integrated registry relies on and the conflict retry rule.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::Server;
use crate::tags::{
    bump_label, client, create_stream, custom_server, get_stream, image_json, oci_image, push,
    send, status_tag, with_registry,
};

const IMAGES: &str = "/apis/image.openshift.io/v1/images";
/// Clock reads of the Image create that precede the stream write of a mapping (metadata
/// extraction and the creation timestamp).
const IMAGE_CREATE_CLOCK_READS: usize = 2;

/// §8.6–8.7: the Image is created, the event carries the stream's generation, tracking tags
/// follow, and the answer is `Status{Success}` with code 201.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_mapping_tags_the_stream() {
    let s = Server::start();
    let c = client();
    create_stream(
        &c,
        &s.url,
        "app",
        json!([{"name": "alias", "from": {"kind": "ImageStreamTag", "name": "latest"}}]),
    )
    .await;
    let img = oci_image("s8");
    let (code, status) = push(
        &c,
        &s.url,
        "app",
        "latest",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{status}");
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["apiVersion"], "v1");
    assert_eq!(status["status"], "Success");
    assert_eq!(status["code"], 201);
    let (code, image) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(code, StatusCode::OK, "the Image is created");
    assert_eq!(
        image["dockerImageMetadata"]["Id"],
        img.config_digest.as_str(),
        "through the Image create strategy"
    );
    let stream = get_stream(&c, &s.url, "app").await;
    let head = &status_tag(&stream, "latest").unwrap()["items"][0];
    assert_eq!(head["image"], img.digest.as_str());
    assert_eq!(
        head["dockerImageReference"],
        format!("quay.io/org/app@{}", img.digest)
    );
    assert_eq!(head["generation"], stream["metadata"]["generation"]);
    assert!(head["created"].is_string());
    assert_eq!(
        status_tag(&stream, "alias").unwrap()["items"][0]["image"],
        img.digest.as_str(),
        "tracking tag (§4.7)"
    );
    // the same push again changes nothing; a new image prepends history
    let rv = stream["metadata"]["resourceVersion"].clone();
    let (code, _) = push(
        &c,
        &s.url,
        "app",
        "latest",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        get_stream(&c, &s.url, "app").await["metadata"]["resourceVersion"],
        rv,
        "no write"
    );
    let next = oci_image("s8-next");
    push(
        &c,
        &s.url,
        "app",
        "latest",
        image_json(&next, "quay.io/org/app"),
    )
    .await;
    let stream = get_stream(&c, &s.url, "app").await;
    let items = status_tag(&stream, "latest").unwrap()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["image"], next.digest.as_str());
}

/// §8.3: a missing stream is a 404 naming the requested resource and the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_3_missing_stream_404_shape() {
    let s = Server::start();
    let c = client();
    let img = oci_image("s8-3");
    let (code, e) = push(
        &c,
        &s.url,
        "nostream",
        "latest",
        image_json(&img, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["reason"], "NotFound");
    assert_eq!(
        e["message"],
        "imagestreammappings.image.openshift.io \"nostream\" not found"
    );
    assert_eq!(
        e["details"],
        json!({"name": "nostream", "group": "image.openshift.io", "kind": "imagestreammappings"})
    );
    let (code, _) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(
        code,
        StatusCode::NOT_FOUND,
        "nothing is created for a missing stream"
    );
}

/// §8.1–8.2: the pull spec defaults to the integrated registry, signatures are dropped, and
/// the tag is required.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_1_defaults_and_validation() {
    let s = Server::start_with(with_registry());
    let c = client();
    create_stream(&c, &s.url, "app", json!([])).await;
    let img = oci_image("s8-1");
    let mut image = image_json(&img, "ignored");
    image
        .as_object_mut()
        .unwrap()
        .remove("dockerImageReference");
    image["signatures"] = json!([{"metadata": {"name": format!("{}@s", img.digest)}, "type": "AtomicImageV1", "content": "eA=="}]);
    let (code, st) = push(&c, &s.url, "app", "latest", image).await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        status_tag(&stream, "latest").unwrap()["items"][0]["dockerImageReference"],
        format!("registry.local:5000/default/app@{}", img.digest)
    );
    let (_, stored) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(
        stored["dockerImageReference"],
        format!("registry.local:5000/default/app@{}", img.digest)
    );
    assert!(stored.get("signatures").is_none(), "{stored}");
    let (code, e) = push(
        &c,
        &s.url,
        "app",
        "",
        image_json(&oci_image("s8-1b"), "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        e["message"],
        "ImageStreamMapping.image.openshift.io \"app\" is invalid: tag: Required value"
    );
    let mut image = image_json(&oci_image("s8-1c"), "quay.io/org/app");
    image["dockerImageReference"] = json!("");
    let s2 = Server::start();
    create_stream(&c, &s2.url, "app", json!([])).await;
    let (code, e) = push(&c, &s2.url, "app", "t", image).await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no default without an internal registry: {e}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("image.dockerImageReference: Required value"),
        "{e}"
    );
}

/// §8.4–8.5: an existing Image is not updated; a managed image re-pushed elsewhere is recorded
/// with this stream's repository, an unmanaged one with its own pull spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_4_existing_and_managed_images() {
    let s = Server::start_with(with_registry());
    let c = client();
    create_stream(&c, &s.url, "a", json!([])).await;
    create_stream(&c, &s.url, "b", json!([])).await;
    create_stream(&c, &s.url, "x", json!([])).await;
    let img = oci_image("s8-4");
    let mut managed = image_json(&img, "registry.local:5000/default/a");
    managed["metadata"]["annotations"] = json!({"openshift.io/image.managed": "true"});
    let (code, _) = push(&c, &s.url, "a", "t", managed.clone()).await;
    assert_eq!(code, StatusCode::CREATED);
    // the same image pushed to another stream with another pull spec
    managed["dockerImageReference"] =
        json!(format!("registry.local:5000/elsewhere/z@{}", img.digest));
    managed["metadata"]["labels"] = json!({"changed": "no"});
    let (code, _) = push(&c, &s.url, "b", "t", managed).await;
    assert_eq!(code, StatusCode::CREATED);
    let b = get_stream(&c, &s.url, "b").await;
    assert_eq!(
        status_tag(&b, "t").unwrap()["items"][0]["dockerImageReference"],
        format!("registry.local:5000/default/b@{}", img.digest),
        "managed and already existing: this stream's repository"
    );
    let (_, stored) = send(c.get(format!("{}{IMAGES}/{}", s.url, img.digest))).await;
    assert_eq!(
        stored["dockerImageReference"],
        format!("registry.local:5000/default/a@{}", img.digest),
        "not updated"
    );
    assert!(stored["metadata"].get("labels").is_none());
    // unmanaged and existing: the submitted pull spec
    let (code, _) = push(&c, &s.url, "x", "t", image_json(&img, "quay.io/mirror/app")).await;
    assert_eq!(code, StatusCode::CREATED);
    let x = get_stream(&c, &s.url, "x").await;
    assert_eq!(
        status_tag(&x, "t").unwrap()["items"][0]["dockerImageReference"],
        format!("quay.io/mirror/app@{}", img.digest)
    );
}

fn replace_head(tag: &'static str, image: String) -> impl Fn(&mut Value) + Send + Sync {
    move |v: &mut Value| {
        let tags = v["status"]["tags"].as_array_mut().unwrap();
        let entry = tags.iter_mut().find(|t| t["tag"] == tag).unwrap();
        let event = json!({"created": "2024-01-01T00:00:00Z", "dockerImageReference": format!("quay.io/other/app@{image}"), "image": image, "generation": 1});
        entry["items"].as_array_mut().unwrap().insert(0, event);
    }
}

/// §8.6: on a conflict the mapping is retried while the tag's head is unchanged; a moved head
/// returns the 409; endless conflicts end after 10 attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_6_conflict_retry_rule() {
    let s = custom_server(Default::default(), None).await;
    let c = client();
    create_stream(&c, &s.url, "app", json!([])).await;
    let first = oci_image("s8-6-first");
    push(
        &c,
        &s.url,
        "app",
        "t",
        image_json(&first, "quay.io/org/app"),
    )
    .await;

    // a concurrent write that leaves the tag alone: retried, the push lands
    let second = oci_image("s8-6-second");
    s.clock
        .arm_after(&s.store, "app", IMAGE_CREATE_CLOCK_READS, 1, bump_label);
    let (code, st) = push(
        &c,
        &s.url,
        "app",
        "t",
        image_json(&second, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED, "{st}");
    assert_eq!(s.clock.fired(), 1);
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        status_tag(&stream, "t").unwrap()["items"][0]["image"],
        second.digest.as_str()
    );
    assert_eq!(
        stream["metadata"]["labels"]["bump"], "1",
        "the concurrent write is kept"
    );

    // a concurrent write that moves the tag's head: the conflict is returned
    let third = oci_image("s8-6-third");
    let moved = oci_image("s8-6-moved").digest;
    s.clock.arm_after(
        &s.store,
        "app",
        IMAGE_CREATE_CLOCK_READS,
        1,
        replace_head("t", moved.clone()),
    );
    let (code, e) = push(
        &c,
        &s.url,
        "app",
        "t",
        image_json(&third, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["reason"], "Conflict");
    let stream = get_stream(&c, &s.url, "app").await;
    assert_eq!(
        status_tag(&stream, "t").unwrap()["items"][0]["image"],
        moved.as_str()
    );

    // a new tag has no head to compare: retried even though the stream keeps changing
    s.clock
        .arm_after(&s.store, "app", IMAGE_CREATE_CLOCK_READS, 3, bump_label);
    let (code, _) = push(
        &c,
        &s.url,
        "app",
        "fresh",
        image_json(&third, "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(s.clock.fired(), 3);

    // conflicts forever: give up
    s.clock.arm_after(
        &s.store,
        "app",
        IMAGE_CREATE_CLOCK_READS,
        usize::MAX,
        bump_label,
    );
    let (code, e) = push(
        &c,
        &s.url,
        "app",
        "t",
        image_json(&oci_image("s8-6-last"), "quay.io/org/app"),
    )
    .await;
    assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR, "{e}");
    assert_eq!(e["reason"], "ServerTimeout");
    assert_eq!(s.clock.fired(), 10);
}

//! Importing single images from a real registry: digest and metadata, HEAD-only re-checks,
//! re-pushes, by-digest imports, Docker v2s2 images, missing tags and repositories, and a
//! registry that went away (spec §11.4, §11.6).

use tagplane_core::manifest::{MEDIA_TYPE_DOCKER_SCHEMA2, MEDIA_TYPE_OCI_MANIFEST, sha256_digest};
use tagplane_distribution::{
    DistributionError, FetchedImage, Keyring, Repository, check_digest, fetch_image,
    status_reference,
};

use crate::images::Layout;
use crate::registry::{Mode, Registry};
use crate::{options, require_peers};

/// The checks every imported single image must pass against the layout it was built from.
fn assert_image_matches(
    fetched: &FetchedImage,
    layout: &Layout,
    tag: &str,
    reg: &Registry,
    repo: &str,
) {
    let digest = layout.digest(tag);
    let image = &fetched.image;
    assert_eq!(image.metadata.name.as_deref(), Some(digest.as_str()));
    assert_eq!(fetched.resolved_digest, digest);
    assert_eq!(
        image.docker_image_reference,
        format!("{}/{repo}@{digest}", reg.host)
    );
    assert_eq!(
        image.docker_image_manifest_media_type,
        MEDIA_TYPE_OCI_MANIFEST
    );
    assert_eq!(image.docker_image_manifest.as_bytes(), layout.manifest(tag));
    assert_eq!(image.docker_image_config.as_bytes(), layout.config(tag));
    let md = image.docker_image_metadata.as_ref().expect("metadata");
    assert_eq!(md.architecture, "amd64");
    let labels = &md.config.as_ref().expect("config").labels;
    assert_eq!(labels.get("app").map(String::as_str), Some("demo"));
    assert_eq!(image.docker_image_layers.len(), 1);
    let layer = &image.docker_image_layers[0];
    assert!(layer.size > 0);
    assert_eq!(
        layer.media_type,
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    assert!(md.size >= layer.size, "{} < {}", md.size, layer.size);
    assert!(fetched.manifests.is_empty());
}

async fn import_one_tag(mode: Mode) {
    let reg = Registry::start(mode);
    let layout = Layout::new();
    layout.image("v1", "hello v1", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    let keyring = if mode == Mode::Htpasswd || mode == Mode::Token {
        reg.keyring()
    } else {
        Keyring::new()
    };
    let fetched = fetch_image(
        &reg.client(),
        &keyring,
        &reg.reference("ns/app:v1"),
        &options(reg.insecure()),
    )
    .await
    .unwrap();
    assert_image_matches(&fetched, &layout, "v1", &reg, "ns/app");
}

#[tokio::test]
async fn import_one_tag_plain() {
    require_peers!("import_one_tag_plain");
    import_one_tag(Mode::Plain).await;
}

#[tokio::test]
async fn import_one_tag_htpasswd() {
    require_peers!(
        "import_one_tag_htpasswd",
        "docker-registry",
        "skopeo",
        "umoci",
        "htpasswd"
    );
    import_one_tag(Mode::Htpasswd).await;
}

#[tokio::test]
async fn import_one_tag_tls() {
    require_peers!(
        "import_one_tag_tls",
        "docker-registry",
        "skopeo",
        "umoci",
        "openssl"
    );
    import_one_tag(Mode::Tls).await;
}

#[tokio::test]
async fn import_one_tag_token() {
    require_peers!("import_one_tag_token");
    import_one_tag(Mode::Token).await;
}

#[tokio::test]
async fn recheck_uses_head_only_and_sees_a_repush() {
    require_peers!("recheck");
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    let first = layout.image("v1", "hello v1", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    let client = reg.client();
    let keyring = Keyring::new();
    let reference = reg.reference("ns/app:v1");
    let fetched = fetch_image(&client, &keyring, &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(fetched.resolved_digest, first);

    let gets_before = reg.wait_for_logged("GET", "/v2/ns/app/manifests/", 1);
    let blob_gets_before = reg.logged_requests("GET", "/v2/ns/app/blobs/");
    let heads_before = reg.logged_requests("HEAD", "/v2/ns/app/manifests/");
    let same = check_digest(&client, &keyring, &reference, true)
        .await
        .unwrap();
    assert_eq!(same.as_deref(), Some(first.as_str()));
    // The registry saw exactly one more HEAD and no GET of a manifest or blob.
    assert_eq!(
        reg.wait_for_logged("HEAD", "/v2/ns/app/manifests/", heads_before + 1),
        heads_before + 1
    );
    assert_eq!(
        reg.logged_requests("GET", "/v2/ns/app/manifests/"),
        gets_before
    );
    assert_eq!(
        reg.logged_requests("GET", "/v2/ns/app/blobs/"),
        blob_gets_before
    );

    // Push different content under the same tag: the HEAD sees the new digest.
    let second = layout.image("v2", "hello v2", "amd64", "linux");
    assert_ne!(first, second);
    reg.push(&layout, "v2", "ns/app:v1");
    let changed = check_digest(&client, &keyring, &reference, true)
        .await
        .unwrap();
    assert_eq!(changed.as_deref(), Some(second.as_str()));
    let refetched = fetch_image(&client, &keyring, &reference, &options(true))
        .await
        .unwrap();
    assert_image_matches(&refetched, &layout, "v2", &reg, "ns/app");

    // The old manifest stays pullable by digest.
    let by_digest = reg.reference(&format!("ns/app@{first}"));
    let old = fetch_image(&client, &keyring, &by_digest, &options(true))
        .await
        .unwrap();
    assert_eq!(old.image.metadata.name.as_deref(), Some(first.as_str()));
    assert_eq!(
        check_digest(&client, &keyring, &by_digest, true)
            .await
            .unwrap(),
        Some(first)
    );
}

#[tokio::test]
async fn import_by_digest_and_a_tag_with_digest() {
    require_peers!("import_by_digest");
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    let digest = layout.image("v1", "hello", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    let client = reg.client();
    for spec in [format!("ns/app@{digest}"), format!("ns/app:v1@{digest}")] {
        let fetched = fetch_image(
            &client,
            &Keyring::new(),
            &reg.reference(&spec),
            &options(true),
        )
        .await
        .unwrap();
        assert_image_matches(&fetched, &layout, "v1", &reg, "ns/app");
    }
    // A digest that is not in the repository.
    let missing = format!("sha256:{}", "0".repeat(64));
    let reference = reg.reference(&format!("ns/app@{missing}"));
    let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_status(&status_reference(&reference)).2,
        format!(
            "dockerimage.image.openshift.io \"{}/ns/app@{missing}\" not found",
            reg.host
        )
    );
    assert_eq!(
        check_digest(&client, &Keyring::new(), &reference, true)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn import_docker_schema2_image() {
    require_peers!("import_v2s2");
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    layout.image("v1", "hello", "amd64", "linux");
    let mut cmd = std::process::Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "-f",
        "v2s2",
    ])
    .arg(format!("oci:{}:v1", layout.path.display()))
    .arg(format!("docker://{}/ns/docker:v1", reg.host));
    crate::images::run(&mut cmd);
    let raw = reg.inspect_raw("ns/docker:v1");
    let fetched = fetch_image(
        &reg.client(),
        &Keyring::new(),
        &reg.reference("ns/docker:v1"),
        &options(true),
    )
    .await
    .unwrap();
    let image = &fetched.image;
    assert_eq!(
        image.docker_image_manifest_media_type,
        MEDIA_TYPE_DOCKER_SCHEMA2
    );
    assert_eq!(image.metadata.name, Some(sha256_digest(&raw)));
    assert_eq!(image.docker_image_manifest.as_bytes(), raw);
    let md = image.docker_image_metadata.as_ref().unwrap();
    assert_eq!(md.architecture, "amd64");
    assert_eq!(image.docker_image_layers.len(), 1);
    assert_eq!(
        image.docker_image_layers[0].media_type,
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
}

#[tokio::test]
async fn missing_tag_and_repository_are_not_found() {
    require_peers!("missing_tag");
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    layout.image("v1", "hello", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    let client = reg.client();
    for spec in ["ns/app:nope", "ns/nothing:v1"] {
        let reference = reg.reference(spec);
        let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
            .await
            .unwrap_err();
        assert!(matches!(err, DistributionError::NotFound { .. }), "{err:?}");
        assert_eq!(
            err.to_status(&status_reference(&reference)),
            (
                "NotFound",
                404,
                format!(
                    "dockerimage.image.openshift.io \"{}/{spec}\" not found",
                    reg.host
                )
            )
        );
        assert_eq!(
            check_digest(&client, &Keyring::new(), &reference, true)
                .await
                .unwrap(),
            None
        );
    }
    let err = client
        .list_tags(&Repository::new(&reg.host, "ns/nothing").with_insecure(true))
        .await
        .unwrap_err();
    assert!(matches!(err, DistributionError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn stopped_registry_is_an_internal_error_with_a_clear_message() {
    require_peers!("stopped_registry");
    let mut reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    layout.image("v1", "hello", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    let client = reg.client();
    let reference = reg.reference("ns/app:v1");
    fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    reg.stop();
    // Once with the ping cached (the request itself fails), once pinging afresh.
    for attempt in 0..2 {
        let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
            .await
            .unwrap_err();
        let (reason, code, message) = err.to_status(&status_reference(&reference));
        assert_eq!((reason, code), ("InternalError", 500), "{err:?}");
        let prefix = format!("Internal error occurred: {}/ns/app:v1: ", reg.host);
        assert!(message.starts_with(&prefix), "attempt {attempt}: {message}");
        assert!(
            message.to_lowercase().contains("connection refused"),
            "attempt {attempt}: {message}"
        );
        assert!(message.contains(&reg.host), "{message}");
    }
}

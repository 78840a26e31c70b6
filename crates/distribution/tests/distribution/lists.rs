//! Manifest lists (an OCI index and a Docker manifest list, two platforms each) imported in
//! Legacy mode (one child by prefer-arch/os → host platform → linux/amd64 → first) and in
//! PreserveOriginal mode (the list plus every child), spec §11.4.

use serde_json::Value;
use tagplane_core::manifest::{
    MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX, sha256_digest,
};
use tagplane_distribution::{FetchOptions, ImportMode, Keyring, check_digest, fetch_image};

use crate::images::Layout;
use crate::registry::{Mode, Registry};
use crate::{options, require_peers};

/// A registry holding `ns/multi:latest` (OCI index) and `ns/multi:docker` (Docker list), both
/// over an amd64 and an arm64 image.
struct Multi {
    reg: Registry,
    /// (list digest, [(arch, child digest)]) of the OCI index.
    oci: (String, Vec<(String, String)>),
    /// The same for the Docker manifest list.
    docker: (String, Vec<(String, String)>),
}

fn children(raw: &[u8]) -> Vec<(String, String)> {
    let list: Value = serde_json::from_slice(raw).unwrap();
    list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["platform"]["architecture"].as_str().unwrap().to_owned(),
                m["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn multi() -> Multi {
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    layout.image("amd64", "arch amd64", "amd64", "linux");
    layout.image("arm64", "arch arm64", "arm64", "linux");
    let index = layout.index("multi", &["amd64", "arm64"]);
    reg.push_all(&layout, "multi", "ns/multi:latest", None);
    reg.push_all(&layout, "multi", "ns/multi:docker", Some("v2s2"));
    // Read both lists back with skopeo, an independent client.
    let oci_raw = reg.inspect_raw("ns/multi:latest");
    assert_eq!(
        sha256_digest(&oci_raw),
        index,
        "the index digest was not preserved"
    );
    let docker_raw = reg.inspect_raw("ns/multi:docker");
    let docker: Value = serde_json::from_slice(&docker_raw).unwrap();
    assert_eq!(docker["mediaType"], MEDIA_TYPE_DOCKER_MANIFEST_LIST);
    Multi {
        oci: (index, children(&oci_raw)),
        docker: (sha256_digest(&docker_raw), children(&docker_raw)),
        reg,
    }
}

fn child(list: &(String, Vec<(String, String)>), arch: &str) -> String {
    list.1
        .iter()
        .find(|(a, _)| a == arch)
        .map(|(_, d)| d.clone())
        .unwrap()
}

async fn legacy(m: &Multi, tag: &str, list: &(String, Vec<(String, String)>)) {
    let client = m.reg.client();
    let reference = m.reg.reference(&format!("ns/multi:{tag}"));
    let cases: [(Option<&str>, Option<&str>, &str, &str); 5] = [
        // (prefer-arch, prefer-os, host arch, expected child)
        (None, None, "amd64", "amd64"),
        (None, None, "arm64", "arm64"),
        (Some("arm64"), None, "amd64", "arm64"),
        (Some("arm64"), Some("linux"), "amd64", "arm64"),
        // Neither preferred nor host platform present: linux/amd64.
        (None, None, "s390x", "amd64"),
    ];
    for (prefer_arch, prefer_os, host_arch, want) in cases {
        let opts = FetchOptions {
            prefer_arch: prefer_arch.map(str::to_owned),
            prefer_os: prefer_os.map(str::to_owned),
            host_arch: host_arch.to_owned(),
            ..options(true)
        };
        let fetched = fetch_image(&client, &Keyring::new(), &reference, &opts)
            .await
            .unwrap();
        let digest = child(list, want);
        assert_eq!(
            fetched.image.metadata.name.as_deref(),
            Some(digest.as_str()),
            "{tag} {prefer_arch:?} {host_arch}"
        );
        assert_eq!(
            fetched
                .image
                .docker_image_metadata
                .as_ref()
                .unwrap()
                .architecture,
            want
        );
        assert_eq!(
            fetched.image.docker_image_reference,
            format!("{}/ns/multi@{digest}", m.reg.host)
        );
        // The stream records the child; a re-check compares against the list digest.
        assert_eq!(fetched.resolved_digest, list.0);
        assert!(fetched.manifests.is_empty());
    }
    assert_eq!(
        check_digest(&client, &Keyring::new(), &reference, true)
            .await
            .unwrap()
            .as_deref(),
        Some(list.0.as_str())
    );
}

async fn preserve(m: &Multi, tag: &str, list: &(String, Vec<(String, String)>), media_type: &str) {
    let opts = FetchOptions {
        import_mode: ImportMode::PreserveOriginal,
        ..options(true)
    };
    let fetched = fetch_image(
        &m.reg.client(),
        &Keyring::new(),
        &m.reg.reference(&format!("ns/multi:{tag}")),
        &opts,
    )
    .await
    .unwrap();
    let image = &fetched.image;
    assert_eq!(image.metadata.name.as_deref(), Some(list.0.as_str()));
    assert_eq!(image.docker_image_manifest_media_type, media_type);
    assert_eq!(
        image.docker_image_reference,
        format!("{}/ns/multi@{}", m.reg.host, list.0)
    );
    assert!(
        image.docker_image_manifest.is_empty(),
        "list manifest stored"
    );
    assert!(image.docker_image_layers.is_empty());
    let md = image.docker_image_metadata.as_ref().unwrap();
    assert_eq!(md.id, list.0);
    assert_eq!(md.created.as_ref().map(|t| t.0), Some(crate::now()));
    let entries: Vec<(String, String)> = image
        .docker_image_manifests
        .iter()
        .map(|e| (e.architecture.clone(), e.digest.clone()))
        .collect();
    assert_eq!(entries, list.1);
    assert!(image.docker_image_manifests.iter().all(|e| e.os == "linux"));

    let kids: Vec<(String, String, String)> = fetched
        .manifests
        .iter()
        .map(|c| {
            (
                c.docker_image_metadata
                    .as_ref()
                    .unwrap()
                    .architecture
                    .clone(),
                c.metadata.name.clone().unwrap(),
                c.docker_image_reference.clone(),
            )
        })
        .collect();
    let want: Vec<(String, String, String)> = list
        .1
        .iter()
        .map(|(a, d)| (a.clone(), d.clone(), format!("{}/ns/multi@{d}", m.reg.host)))
        .collect();
    assert_eq!(kids, want);
    assert!(
        fetched
            .manifests
            .iter()
            .all(|c| !c.docker_image_config.is_empty())
    );
}

#[tokio::test]
async fn oci_index_legacy_and_preserve_original() {
    require_peers!("oci_index");
    let m = multi();
    legacy(&m, "latest", &m.oci).await;
    preserve(&m, "latest", &m.oci, MEDIA_TYPE_OCI_INDEX).await;
}

#[tokio::test]
async fn docker_manifest_list_legacy_and_preserve_original() {
    require_peers!("docker_list");
    let m = multi();
    legacy(&m, "docker", &m.docker).await;
    preserve(&m, "docker", &m.docker, MEDIA_TYPE_DOCKER_MANIFEST_LIST).await;
}

#[tokio::test]
async fn list_imported_by_digest_keeps_the_list_digest() {
    require_peers!("list_by_digest");
    let m = multi();
    let reference = m.reg.reference(&format!("ns/multi@{}", m.oci.0));
    let fetched = fetch_image(&m.reg.client(), &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(fetched.resolved_digest, m.oci.0);
    assert_eq!(
        fetched.image.metadata.name.as_deref(),
        Some(child(&m.oci, "amd64").as_str())
    );
}

//! Docker schema 1 manifests on the scripted fixture (Distribution 2.8.2 refuses schema 1
//! pushes with a 500): a signed manifest fetched by the digest of its canonical payload, and
//! layer sizes taken from blob `HEAD`s with the shared size cache (spec §11.4).

use axum::body::Body;
use axum::http::Method;
use base64::Engine as _;
use tagplane_api::reference::ImageReference;
use tagplane_core::manifest::{
    MEDIA_TYPE_DOCKER_SCHEMA1, MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED, sha256_digest,
};
use tagplane_distribution::{Keyring, RegistryClient, fetch_image};

use crate::fake_registry::{FakeRegistry, response, v2_ok};
use crate::options;

const LAYER_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const LAYER_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A signed schema 1 manifest: (served bytes, canonical payload).
fn signed_schema1() -> (Vec<u8>, Vec<u8>) {
    let history = |id: &str, parent: Option<&str>| {
        let mut v = serde_json::json!({"id": id, "created": "2020-01-02T03:04:05Z",
                                        "architecture": "amd64", "os": "linux"});
        if let Some(p) = parent {
            v["parent"] = p.into();
        }
        serde_json::json!({"v1Compatibility": v.to_string()})
    };
    let canonical = serde_json::to_vec_pretty(&serde_json::json!({
        "schemaVersion": 1,
        "name": "ns/old",
        "tag": "v1",
        "architecture": "amd64",
        // Newest first; LAYER_A appears twice (an empty layer repeated).
        "fsLayers": [{"blobSum": LAYER_A}, {"blobSum": LAYER_B}, {"blobSum": LAYER_A}],
        "history": [history("c3", Some("c2")), history("c2", Some("c1")), history("c1", None)],
    }))
    .unwrap();
    // libtrust splices the signatures in before the final "\n}".
    let cut = canonical.len() - 2;
    let tail = &canonical[cut..];
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let protected = b64(serde_json::json!({
        "formatLength": cut,
        "formatTail": b64(tail),
        "time": "2020-01-02T03:04:05Z",
    })
    .to_string()
    .as_bytes());
    let mut served = canonical[..cut].to_vec();
    served.extend_from_slice(
        format!(
            ",\n   \"signatures\": [{{\"header\": {{\"alg\": \"ES256\"}}, \"signature\": \"c2ln\", \"protected\": \"{protected}\"}}]"
        )
        .as_bytes(),
    );
    served.extend_from_slice(tail);
    (served, canonical)
}

#[tokio::test]
async fn signed_schema1_by_canonical_digest_with_sizes_from_blob_heads() {
    let (served, canonical) = signed_schema1();
    let digest = sha256_digest(&canonical);
    assert_ne!(digest, sha256_digest(&served));
    let body = served.clone();
    let fake = FakeRegistry::start(move |r| {
        let body = body.clone();
        async move {
            let head = r.method == Method::HEAD;
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                p if p.starts_with("/v2/ns/old/manifests/") => response(
                    200,
                    &[("Content-Type", MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED)],
                    if head {
                        Body::empty()
                    } else {
                        Body::from(body)
                    },
                ),
                p if head && p == format!("/v2/ns/old/blobs/{LAYER_A}") => {
                    response(200, &[("Content-Length", "32")], Body::empty())
                }
                p if head && p == format!("/v2/ns/old/blobs/{LAYER_B}") => {
                    response(200, &[("Content-Length", "5000")], Body::empty())
                }
                _ => response(404, &[], ""),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let reference = ImageReference::parse(&format!("{}/ns/old@{digest}", fake.host)).unwrap();
    let fetched = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    let image = &fetched.image;
    assert_eq!(image.metadata.name.as_deref(), Some(digest.as_str()));
    // OpenShift records every schema 1 image as the unsigned type.
    assert_eq!(
        image.docker_image_manifest_media_type,
        MEDIA_TYPE_DOCKER_SCHEMA1
    );
    assert_eq!(
        fetched.resolved_media_type,
        MEDIA_TYPE_DOCKER_SCHEMA1_SIGNED
    );
    let sizes: Vec<(String, i64)> = image
        .docker_image_layers
        .iter()
        .map(|l| (l.name.clone(), l.size))
        .collect();
    assert_eq!(sizes.iter().filter(|(_, s)| *s > 0).count(), 2, "{sizes:?}");
    assert_eq!(image.docker_image_metadata.as_ref().unwrap().size, 5032);
    assert_eq!(fake.hits(&Method::HEAD, "/v2/ns/old/blobs/"), 2);

    // By tag: the digest is that of the canonical payload, and the sizes come from the cache.
    let reference = ImageReference::parse(&format!("{}/ns/old:v1", fake.host)).unwrap();
    let again = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(again.resolved_digest, digest);
    assert_eq!(
        again.image.docker_image_metadata.as_ref().unwrap().size,
        5032
    );
    assert_eq!(fake.hits(&Method::HEAD, "/v2/ns/old/blobs/"), 2);
}

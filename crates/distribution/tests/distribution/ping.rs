//! Ping and v2 check in every registry mode, TLS trust, the insecure fallbacks, and the
//! "HTTP only" and "not v2" failures (spec §11.3, §11.6).

use axum::http::Method;
use tagplane_distribution::{
    AuthKind, DistributionError, Keyring, RegistryClient, fetch_image, status_reference,
};

use crate::fake_registry::{FakeRegistry, response};
use crate::registry::{Mode, Registry};
use crate::{options, require_peers};

#[tokio::test]
async fn ping_plain_registry_falls_back_to_http_when_insecure() {
    require_peers!("ping_plain", "docker-registry");
    let reg = Registry::start(Mode::Plain);
    let ping = reg.client().ping(&reg.host, true).await.unwrap();
    assert_eq!(ping.base_url, format!("http://{}/", reg.host));
    assert_eq!(ping.auth, AuthKind::None);
    assert!(!ping.verified_tls);
    assert!(ping.api_version_header);
}

#[tokio::test]
async fn ping_htpasswd_registry_reports_basic() {
    require_peers!("ping_htpasswd", "docker-registry", "htpasswd");
    let reg = Registry::start(Mode::Htpasswd);
    let ping = reg.client().ping(&reg.host, true).await.unwrap();
    assert_eq!(ping.auth, AuthKind::Basic);
    assert_eq!(ping.base_url, format!("http://{}/", reg.host));
}

#[tokio::test]
async fn ping_token_registry_reports_bearer() {
    require_peers!("ping_token", "docker-registry");
    let reg = Registry::start(Mode::Token);
    let ping = reg.client().ping(&reg.host, true).await.unwrap();
    assert_eq!(ping.auth, AuthKind::Bearer);
}

#[tokio::test]
async fn ping_tls_registry_verified_with_extra_ca() {
    require_peers!("ping_tls", "docker-registry", "openssl");
    let reg = Registry::start(Mode::Tls);
    let ping = reg.client().ping(&reg.host, false).await.unwrap();
    assert_eq!(ping.base_url, format!("https://{}/", reg.host));
    assert!(ping.verified_tls);
    assert_eq!(ping.auth, AuthKind::None);
}

#[tokio::test]
async fn ping_tls_registry_without_ca_fails_unless_insecure() {
    require_peers!("ping_tls_untrusted", "docker-registry", "openssl");
    let reg = Registry::start(Mode::Tls);
    let client = RegistryClient::new().unwrap();
    let err = client.ping(&reg.host, false).await.unwrap_err();
    let DistributionError::Transport { detail, url, .. } = &err else {
        panic!("expected a transport error, got {err:?}");
    };
    assert!(detail.to_lowercase().contains("certificate"), "{detail}");
    assert_eq!(url, &format!("https://{}/v2/", reg.host));
    let (reason, code, _) = err.to_status("x");
    assert_eq!((reason, code), ("InternalError", 500));

    // Insecure: unverified TLS is used (not plain HTTP).
    let ping = client.ping(&reg.host, true).await.unwrap();
    assert_eq!(ping.base_url, format!("https://{}/", reg.host));
    assert!(!ping.verified_tls);
}

#[tokio::test]
async fn http_only_registry_without_insecure_is_bad_request() {
    require_peers!("http_only", "docker-registry");
    let reg = Registry::start(Mode::Plain);
    let reference = reg.reference("ns/app:v1");
    let err = fetch_image(&reg.client(), &Keyring::new(), &reference, &options(false))
        .await
        .unwrap_err();
    assert!(matches!(err, DistributionError::HttpOnly { .. }), "{err:?}");
    assert_eq!(
        err.to_status(&status_reference(&reference)),
        (
            "BadRequest",
            400,
            "the repository ns/app is HTTP only and requires the insecure flag to import"
                .to_owned()
        )
    );
}

#[tokio::test]
async fn registry_without_v2_api_is_not_v2() {
    let fake = FakeRegistry::start(|_| async { response(404, &[], "not here") });
    let client = RegistryClient::new().unwrap();
    let err = client.ping(&fake.host, true).await.unwrap_err();
    assert!(
        matches!(err, DistributionError::NotV2Registry { status: 404, .. }),
        "{err:?}"
    );
    let reference =
        tagplane_api::reference::ImageReference::parse(&format!("{}/ns/app:v1", fake.host))
            .unwrap();
    let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_status(&status_reference(&reference)),
        (
            "NotV2Registry",
            403,
            format!(
                "registry \"{}\" does not support the v2 Registry API",
                fake.host
            )
        )
    );
    // A 401 without the version header still counts as v2 (spec §11.3).
    let fake = FakeRegistry::start(|_| async { response(401, &[], "") });
    let ping = client.ping(&fake.host, true).await.unwrap();
    assert!(!ping.api_version_header);
    assert_eq!(fake.hits(&Method::GET, "/v2/"), 1);
}

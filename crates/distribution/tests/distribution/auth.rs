//! Authentication against real registries: Basic (htpasswd) and Bearer (token server), the
//! keyring built from real pull-secret objects, the exclude annotation, token caching, and the
//! Unauthorized statuses of spec §11.6 (the "incorrect username or password" one drives §10.3).

use std::collections::BTreeMap;

use tagplane_api::image::ANNOTATION_EXCLUDE_SECRET;
use tagplane_distribution::{DistributionError, Keyring, fetch_image, status_reference};

use crate::images::Layout;
use crate::registry::{Mode, PASSWORD, Registry, USER};
use crate::{options, require_peers};

fn pushed(mode: Mode) -> Registry {
    let reg = Registry::start(mode);
    let layout = Layout::new();
    layout.image("v1", "hello", "amd64", "linux");
    reg.push(&layout, "v1", "ns/app:v1");
    reg
}

/// Nothing in an error's message or debug form may reveal the password.
fn assert_no_secret(err: &DistributionError, reference: &str) {
    let text = format!("{err} {err:?} {:?}", err.to_status(reference));
    assert!(!text.contains(PASSWORD), "{text}");
}

#[tokio::test]
async fn basic_auth_wrong_password_is_incorrect_username_or_password() {
    require_peers!(
        "basic_wrong_password",
        "docker-registry",
        "skopeo",
        "umoci",
        "htpasswd"
    );
    let reg = pushed(Mode::Htpasswd);
    let reference = reg.reference("ns/app:v1");
    let keyring = Keyring::from_secrets(&[reg.secret("pull", USER, "wrong-password")]);
    let err = fetch_image(&reg.client(), &keyring, &reference, &options(true))
        .await
        .unwrap_err();
    assert!(err.is_incorrect_credentials(), "{err:?}");
    let r = status_reference(&reference);
    assert_eq!(
        err.to_status(&r),
        (
            "Unauthorized",
            401,
            format!("incorrect username or password for image \"{r}\"")
        )
    );
    assert_no_secret(&err, &r);
    // The anonymous retry of §10.3 then fails with the plain Unauthorized message.
    let err = fetch_image(&reg.client(), &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_status(&r),
        (
            "Unauthorized",
            401,
            format!("you may not have access to the container image \"{r}\"")
        )
    );
}

#[tokio::test]
async fn basic_auth_without_or_with_excluded_credentials_is_unauthorized() {
    require_peers!(
        "basic_no_credentials",
        "docker-registry",
        "skopeo",
        "umoci",
        "htpasswd"
    );
    let reg = pushed(Mode::Htpasswd);
    let reference = reg.reference("ns/app:v1");
    let r = status_reference(&reference);
    let mut excluded = reg.secret("excluded", USER, PASSWORD);
    excluded.metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_EXCLUDE_SECRET.to_owned(),
        "true".to_owned(),
    )]));
    let other_host = {
        let mut s = reg.secret("other", USER, PASSWORD);
        let body =
            serde_json::json!({"auths": {"127.0.0.2:1": {"username": USER, "password": PASSWORD}}});
        s.data.as_mut().unwrap().insert(
            ".dockerconfigjson".to_owned(),
            k8s_openapi::ByteString(body.to_string().into_bytes()),
        );
        s
    };
    for keyring in [
        Keyring::new(),
        Keyring::from_secrets(&[excluded]),
        Keyring::from_secrets(&[other_host]),
    ] {
        let err = fetch_image(&reg.client(), &keyring, &reference, &options(true))
            .await
            .unwrap_err();
        assert!(
            matches!(err, DistributionError::NoCredentials { .. }),
            "{keyring:?}: {err:?}"
        );
        assert_eq!(
            err.to_status(&r),
            (
                "Unauthorized",
                401,
                format!("you may not have access to the container image \"{r}\"")
            )
        );
    }
    // With the right secret it works; an excluded secret listed first does not get in the way.
    let mut excluded = reg.secret("excluded", USER, "wrong");
    excluded.metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_EXCLUDE_SECRET.to_owned(),
        "true".to_owned(),
    )]));
    let keyring = Keyring::from_secrets(&[excluded, reg.secret("good", USER, PASSWORD)]);
    fetch_image(&reg.client(), &keyring, &reference, &options(true))
        .await
        .unwrap();
}

#[tokio::test]
async fn bearer_tokens_anonymous_and_authenticated_and_cached() {
    require_peers!("bearer_tokens");
    let reg = pushed(Mode::Token);
    let token = reg.token.as_ref().unwrap();
    let reference = reg.reference("ns/app:v1");
    let client = reg.client();

    // Anonymous callers get pull access.
    let before = token.requests();
    let anon = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    // Manifest and config blob share one cached token.
    assert_eq!(token.requests(), before + 1);
    fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(token.requests(), before + 1, "token not reused");

    // Authenticated callers get their own token (not the anonymous one).
    let authed = fetch_image(&client, &reg.keyring(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(token.requests(), before + 2);
    assert_eq!(anon.image.metadata.name, authed.image.metadata.name);

    // A clone of the client shares the cache.
    fetch_image(&client.clone(), &reg.keyring(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(token.requests(), before + 2);
}

#[tokio::test]
async fn bearer_wrong_password_is_incorrect_username_or_password() {
    require_peers!("bearer_wrong_password");
    let reg = pushed(Mode::Token);
    let reference = reg.reference("ns/app:v1");
    let keyring = Keyring::from_secrets(&[reg.secret("pull", USER, "nope")]);
    let err = fetch_image(&reg.client(), &keyring, &reference, &options(true))
        .await
        .unwrap_err();
    let r = status_reference(&reference);
    assert_eq!(
        err.to_status(&r),
        (
            "Unauthorized",
            401,
            format!("incorrect username or password for image \"{r}\"")
        )
    );
    assert_no_secret(&err, &r);
}

#[tokio::test]
async fn bearer_missing_repository_is_not_found() {
    require_peers!("bearer_missing");
    let reg = pushed(Mode::Token);
    let reference = reg.reference("ns/absent:v1");
    let err = fetch_image(&reg.client(), &reg.keyring(), &reference, &options(true))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_status(&status_reference(&reference)).0,
        "NotFound",
        "{err:?}"
    );
}

//! Budgets and defences, on the scripted fixture (Distribution cannot be made to rate-limit,
//! corrupt content or loop): `429` with `Retry-After`, `RateLimit-*` headers, the shared
//! concurrency limit, timeouts, redirect loops, size caps, content integrity, and the `GET`
//! fallback of a `HEAD` without a digest.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::Method;
use tagplane_api::reference::ImageReference;
use tagplane_distribution::{
    ClientConfig, DistributionError, Keyring, RegistryClient, Repository, fetch_image,
    status_reference,
};

use crate::fake_registry::{FakeRegistry, manifest_response, response, sample_image, v2_ok};
use crate::options;

fn repo(fake: &FakeRegistry) -> Repository {
    Repository::new(&fake.host, "ns/app").with_insecure(true)
}

#[tokio::test]
async fn retry_after_is_honoured_and_rate_limit_headers_are_exposed() {
    let image = sample_image();
    let calls = Arc::new(AtomicUsize::new(0));
    let (m, d, c) = (image.manifest.clone(), image.digest.clone(), calls.clone());
    let fake = FakeRegistry::start(move |r| {
        let (m, d, c) = (m.clone(), d.clone(), c.clone());
        async move {
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                "/v2/ns/app/manifests/v1" => {
                    if c.fetch_add(1, Ordering::SeqCst) == 0 {
                        response(
                            429,
                            &[
                                ("Retry-After", "1"),
                                ("RateLimit-Limit", "100;w=21600"),
                                ("RateLimit-Remaining", "0;w=21600"),
                            ],
                            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
                        )
                    } else {
                        let mut resp = manifest_response(&r.method, &m, Some(&d));
                        resp.headers_mut()
                            .insert("ratelimit-remaining", "99;w=21600".parse().unwrap());
                        resp.headers_mut()
                            .insert("ratelimit-limit", "100;w=21600".parse().unwrap());
                        resp
                    }
                }
                _ => response(404, &[], ""),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let start = Instant::now();
    let head = client
        .head_manifest(&repo(&fake), "v1")
        .await
        .unwrap()
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(head.digest, image.digest);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let info = client.rate_limit(&fake.host).expect("rate limit info");
    assert_eq!(info.limit, Some(100));
    assert_eq!(info.remaining, Some(99));
    assert_eq!(info.window, Some(Duration::from_secs(21600)));
}

#[tokio::test]
async fn long_retry_after_fails_fast_and_pauses_the_registry() {
    let fake = FakeRegistry::start(|r| async move {
        match r.path.as_str() {
            "/v2/" => v2_ok(),
            _ => response(429, &[("Retry-After", "3600")], ""),
        }
    });
    let client = RegistryClient::new().unwrap();
    let reference = ImageReference::parse(&format!("{}/ns/app:v1", fake.host)).unwrap();
    let start = Instant::now();
    let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            err,
            DistributionError::RateLimited {
                retry_after: Some(d),
                ..
            } if d == Duration::from_secs(3600)
        ),
        "{err:?}"
    );
    let (reason, code, message) = err.to_status(&status_reference(&reference));
    assert_eq!((reason, code), ("TooManyRequests", 429));
    assert!(message.contains("retry after 3600s"), "{message}");
    assert!(message.contains(&fake.host), "{message}");
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/app/manifests/"), 1);

    // Every caller sharing the client now backs off without contacting the registry.
    let err = client
        .clone()
        .head_manifest(&repo(&fake), "v2")
        .await
        .unwrap_err();
    assert!(
        matches!(err, DistributionError::RateLimited { .. }),
        "{err:?}"
    );
    assert_eq!(fake.hits(&Method::HEAD, "/v2/ns/app/manifests/"), 0);
}

#[tokio::test]
async fn retries_after_429_are_bounded() {
    let fake = FakeRegistry::start(|r| async move {
        match r.path.as_str() {
            "/v2/" => v2_ok(),
            _ => response(429, &[("Retry-After", "0")], ""),
        }
    });
    let client = RegistryClient::new().unwrap();
    let err = client.get_manifest(&repo(&fake), "v1").await.unwrap_err();
    assert!(
        matches!(err, DistributionError::RateLimited { retry_after: Some(d), .. } if d.is_zero()),
        "{err:?}"
    );
    // One try plus max_retries (2).
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/app/manifests/v1"), 3);
}

#[tokio::test]
async fn unavailable_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let image = sample_image();
    let (m, d, c) = (image.manifest.clone(), image.digest.clone(), calls.clone());
    let fake = FakeRegistry::start(move |r| {
        let (m, d, c) = (m.clone(), d.clone(), c.clone());
        async move {
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                _ if c.fetch_add(1, Ordering::SeqCst) < 2 => response(503, &[], ""),
                _ => manifest_response(&r.method, &m, Some(&d)),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let got = client.get_manifest(&repo(&fake), "v1").await.unwrap();
    assert_eq!(got.digest, image.digest);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn concurrency_limit_is_shared_by_all_callers() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let image = sample_image();
    let (f, p, m, d) = (
        in_flight.clone(),
        peak.clone(),
        image.manifest.clone(),
        image.digest.clone(),
    );
    let fake = FakeRegistry::start(move |r| {
        let (f, p, m, d) = (f.clone(), p.clone(), m.clone(), d.clone());
        async move {
            if r.path == "/v2/" {
                return v2_ok();
            }
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(150)).await;
            f.fetch_sub(1, Ordering::SeqCst);
            manifest_response(&r.method, &m, Some(&d))
        }
    });
    let client = RegistryClient::builder()
        .config(ClientConfig {
            max_concurrent_requests: 2,
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    // Ping once so the concurrent calls only issue manifest requests.
    client.ping(&fake.host, true).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..6 {
        let client = client.clone();
        let repo = repo(&fake);
        tasks.spawn(async move { client.head_manifest(&repo, &format!("t{i}")).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap().unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn request_budget_paces_requests() {
    let image = sample_image();
    let (m, d) = (image.manifest.clone(), image.digest.clone());
    let fake = FakeRegistry::start(move |r| {
        let (m, d) = (m.clone(), d.clone());
        async move {
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                _ => manifest_response(&r.method, &m, Some(&d)),
            }
        }
    });
    let client = RegistryClient::builder()
        .config(ClientConfig {
            requests_per_second: 10.0,
            burst: 1,
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let start = Instant::now();
    // The ping plus 5 HEADs: 6 requests at 10/s with a burst of 1 need at least 0.5 s.
    for _ in 0..5 {
        client.head_manifest(&repo(&fake), "v1").await.unwrap();
    }
    assert!(
        start.elapsed() >= Duration::from_millis(450),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn slow_registry_times_out() {
    let fake = FakeRegistry::start(|r| async move {
        if r.path == "/v2/" {
            return v2_ok();
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        response(200, &[], "")
    });
    let client = RegistryClient::builder()
        .config(ClientConfig {
            request_timeout: Duration::from_millis(300),
            ..ClientConfig::default()
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.get_manifest(&repo(&fake), "v1").await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(matches!(err, DistributionError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn redirect_loops_are_bounded() {
    let fake = FakeRegistry::start(|r| async move {
        match r.path.as_str() {
            "/v2/" => v2_ok(),
            p => response(307, &[("Location", p)], ""),
        }
    });
    let client = RegistryClient::new().unwrap();
    let digest = format!("sha256:{}", "3".repeat(64));
    let err = client.get_blob(&repo(&fake), &digest).await.unwrap_err();
    assert!(
        matches!(err, DistributionError::TooManyRedirects { max: 10, .. }),
        "{err:?}"
    );
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/app/blobs/"), 11);
}

#[tokio::test]
async fn oversized_manifests_are_refused() {
    let fake = FakeRegistry::start(|r| async move {
        match r.path.as_str() {
            "/v2/" => v2_ok(),
            // Announced size over the cap.
            "/v2/ns/app/manifests/big" => response(
                200,
                &[("Content-Type", "application/json")],
                vec![b' '; 5 << 20],
            ),
            // Streamed without a length.
            _ => {
                let chunks = (0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 << 10]));
                response(
                    200,
                    &[("Content-Type", "application/json")],
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks)),
                )
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    for tag in ["big", "streamed"] {
        let err = client.get_manifest(&repo(&fake), tag).await.unwrap_err();
        assert!(
            matches!(&err, DistributionError::TooLarge { limit, .. } if *limit == 4 << 20),
            "{tag}: {err:?}"
        );
    }
}

#[tokio::test]
async fn content_that_does_not_match_its_digest_is_an_integrity_error() {
    let image = sample_image();
    let other = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:4444444444444444444444444444444444444444444444444444444444444444","size":2},"layers":[]}"#.to_vec();
    let (m, config, config_digest) = (
        image.manifest.clone(),
        image.config.clone(),
        image.config_digest.clone(),
    );
    let wanted = image.digest.clone();
    let fake = FakeRegistry::start(move |r| {
        let (m, other, config, config_digest) = (
            m.clone(),
            other.clone(),
            config.clone(),
            config_digest.clone(),
        );
        async move {
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                // Serves a different manifest than the digest it is asked for.
                p if p.starts_with("/v2/ns/app/manifests/sha256:") => {
                    manifest_response(&r.method, &other, None)
                }
                "/v2/ns/app/manifests/good" => manifest_response(&r.method, &m, None),
                // The config blob is corrupted.
                p if p == format!("/v2/ns/app/blobs/{config_digest}") => {
                    let mut bad = config.clone();
                    bad.push(b' ');
                    response(200, &[], bad)
                }
                _ => response(404, &[], ""),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let reference = ImageReference::parse(&format!("{}/ns/app@{wanted}", fake.host)).unwrap();
    let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    let (reason, _, message) = err.to_status(&status_reference(&reference));
    assert_eq!(reason, "InternalError");
    assert!(message.contains("content integrity error"), "{message}");
    assert!(message.contains(&wanted), "{message}");

    let reference = ImageReference::parse(&format!("{}/ns/app:good", fake.host)).unwrap();
    let err = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DistributionError::Integrity(m) if m.contains("content integrity error")),
        "{err:?}"
    );
}

#[tokio::test]
async fn head_without_digest_header_falls_back_to_get() {
    let image = sample_image();
    let (m, cfg, cfg_d) = (
        image.manifest.clone(),
        image.config.clone(),
        image.config_digest.clone(),
    );
    let fake = FakeRegistry::start(move |r| {
        let (m, cfg, cfg_d) = (m.clone(), cfg.clone(), cfg_d.clone());
        async move {
            match r.path.as_str() {
                "/v2/" => v2_ok(),
                "/v2/ns/app/manifests/v1" => {
                    // Like Distribution, answer only clients that accept every manifest type.
                    let accept = r
                        .headers
                        .get("accept")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    let all = tagplane_core::manifest::ACCEPTED_MANIFEST_MEDIA_TYPES
                        .iter()
                        .all(|t| accept.contains(t));
                    if all {
                        manifest_response(&r.method, &m, None)
                    } else {
                        response(404, &[], "")
                    }
                }
                p if p == format!("/v2/ns/app/blobs/{cfg_d}") => response(200, &[], cfg),
                _ => response(404, &[], ""),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let head = client
        .head_manifest(&repo(&fake), "v1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.digest, image.digest);
    assert_eq!(head.size, image.manifest.len() as u64);
    assert_eq!(fake.hits(&Method::HEAD, "/v2/ns/app/manifests/v1"), 1);
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/app/manifests/v1"), 1);
    assert_eq!(
        client.head_manifest(&repo(&fake), "nope").await.unwrap(),
        None
    );

    // The fixture image imports cleanly by tag, with the digest computed from the content.
    let reference = ImageReference::parse(&format!("{}/ns/app:v1", fake.host)).unwrap();
    let fetched = fetch_image(&client, &Keyring::new(), &reference, &options(true))
        .await
        .unwrap();
    assert_eq!(
        fetched.image.metadata.name.as_deref(),
        Some(image.digest.as_str())
    );
    assert_eq!(fetched.image.docker_image_layers[0].size, 1234);
}

/// Be kind to registries: eight fetches started at once on a fresh client send one ping, not
/// eight; and when the ping fails, every one of the waiting callers gets the failure.
#[tokio::test]
async fn concurrent_first_requests_share_one_ping() {
    let image = sample_image();
    let pings = Arc::new(AtomicUsize::new(0));
    let (m, d, p) = (image.manifest.clone(), image.digest.clone(), pings.clone());
    let cfg = image.config.clone();
    let cfg_digest = image.config_digest.clone();
    let fake = FakeRegistry::start(move |r| {
        let (m, d, p, cfg, cfg_digest) = (
            m.clone(),
            d.clone(),
            p.clone(),
            cfg.clone(),
            cfg_digest.clone(),
        );
        async move {
            match r.path.as_str() {
                "/v2/" => {
                    p.fetch_add(1, Ordering::SeqCst);
                    v2_ok()
                }
                path if path.starts_with("/v2/ns/app/manifests/") => {
                    manifest_response(&r.method, &m, Some(&d))
                }
                path if path == format!("/v2/ns/app/blobs/{cfg_digest}") => {
                    response(200, &[], cfg.clone())
                }
                _ => response(404, &[], ""),
            }
        }
    });
    let client = RegistryClient::new().unwrap();
    let fetches = (0..8).map(|i| {
        let client = client.clone();
        let reference = ImageReference::parse(&format!("{}/ns/app:t{i}", fake.host)).unwrap();
        async move { fetch_image(&client, &Keyring::new(), &reference, &options(true)).await }
    });
    for r in futures_util::future::join_all(fetches).await {
        r.unwrap();
    }
    assert_eq!(
        pings.load(Ordering::SeqCst),
        1,
        "one ping for eight fetches"
    );

    // Nothing listens on port 9: every caller gets the failure.
    let client = RegistryClient::new().unwrap();
    let fetches = (0..8).map(|_| {
        let client = client.clone();
        let reference = ImageReference::parse("127.0.0.1:9/ns/app:v1").unwrap();
        async move { fetch_image(&client, &Keyring::new(), &reference, &options(true)).await }
    });
    for r in futures_util::future::join_all(fetches).await {
        assert!(
            matches!(r, Err(DistributionError::Transport { .. })),
            "{r:?}"
        );
    }
}

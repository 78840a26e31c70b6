//! A tiny scripted HTTP registry for behaviour Distribution cannot be made to show: `429` with
//! `Retry-After` and `RateLimit-*` headers, non-v2 pings, corrupted content, oversized manifests,
//! redirect loops, slow answers, `Link` pagination, and `HEAD` without a digest header.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use tagplane_core::manifest::{MEDIA_TYPE_OCI_MANIFEST, sha256_digest};

use crate::server::BackgroundServer;

/// One request as the handler sees it.
#[derive(Clone, Debug)]
pub struct FakeRequest {
    /// Method.
    pub method: Method,
    /// Path, without query.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Request headers.
    pub headers: HeaderMap,
}

type BoxedHandler =
    Arc<dyn Fn(FakeRequest) -> Pin<Box<dyn Future<Output = Response> + Send>> + Send + Sync>;

/// A running scripted registry on plain HTTP.
pub struct FakeRegistry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    hits: Arc<Mutex<Vec<(Method, String)>>>,
    _server: BackgroundServer,
}

impl FakeRegistry {
    /// Serve every request with `handler`.
    pub fn start<F, Fut>(handler: F) -> FakeRegistry
    where
        F: Fn(FakeRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let handler: BoxedHandler = Arc::new(move |r| Box::pin(handler(r)));
        let hits: Arc<Mutex<Vec<(Method, String)>>> = Arc::default();
        let recorded = hits.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let handler = handler.clone();
            let recorded = recorded.clone();
            async move {
                let r = FakeRequest {
                    method: req.method().clone(),
                    path: req.uri().path().to_owned(),
                    query: req.uri().query().map(str::to_owned),
                    headers: req.headers().clone(),
                };
                recorded
                    .lock()
                    .unwrap()
                    .push((r.method.clone(), r.path.clone()));
                handler(r).await
            }
        });
        let server = BackgroundServer::start(app);
        FakeRegistry {
            host: server.addr.to_string(),
            hits,
            _server: server,
        }
    }

    /// How many requests with `method` whose path starts with `prefix` arrived.
    pub fn hits(&self, method: &Method, prefix: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p)| m == method && p.starts_with(prefix))
            .count()
    }
}

/// A response with a status, headers and body.
pub fn response(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut b = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.into()).unwrap()
}

/// `GET /v2/` of a healthy anonymous registry.
pub fn v2_ok() -> Response {
    response(
        200,
        &[
            ("Docker-Distribution-Api-Version", "registry/2.0"),
            ("Content-Type", "application/json"),
        ],
        "{}",
    )
}

/// A small valid OCI manifest and its config, for scripted registries.
pub struct SampleImage {
    /// Manifest bytes.
    pub manifest: Vec<u8>,
    /// Manifest digest.
    pub digest: String,
    /// Config bytes.
    pub config: Vec<u8>,
    /// Config digest.
    pub config_digest: String,
}

/// A valid single-layer amd64 image.
pub fn sample_image() -> SampleImage {
    let config = br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"app":"fake"}},"rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]},"created":"2024-01-02T03:04:05Z"}"#.to_vec();
    let config_digest = sha256_digest(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE_OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
                    "size": 1234}],
    }))
    .unwrap();
    SampleImage {
        digest: sha256_digest(&manifest),
        manifest,
        config,
        config_digest,
    }
}

/// A `200` manifest response, with or without `Docker-Content-Digest`.
pub fn manifest_response(method: &Method, bytes: &[u8], digest: Option<&str>) -> Response {
    let len = bytes.len().to_string();
    let mut headers = vec![
        ("Content-Type", MEDIA_TYPE_OCI_MANIFEST),
        ("Content-Length", len.as_str()),
    ];
    if let Some(d) = digest {
        headers.push(("Docker-Content-Digest", d));
    }
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes.to_vec())
    };
    response(200, &headers, body)
}

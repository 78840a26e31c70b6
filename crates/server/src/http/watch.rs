//! Watch responses: a chunked stream of `{"type","object"}` JSON lines from a store revision,
//! with the initial state for `resourceVersion` "" or "0", bookmarks and `timeoutSeconds`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};
use tagplane_store::{Backend, ListOptions, Revision, StoreError};

use crate::error::ApiError;
use crate::objects::{Objects, StoredObject};
use crate::service::Service;

/// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK event.
pub const BOOKMARK_INTERVAL: Duration = Duration::from_secs(10);
/// Longest watch when the client names no timeout.
pub const DEFAULT_WATCH_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What a watch should send.
#[derive(Clone, Debug)]
pub struct WatchParams {
    /// Namespace, or all.
    pub namespace: Option<String>,
    /// `resourceVersion` of the request.
    pub resource_version: Option<String>,
    /// Send bookmarks.
    pub bookmarks: bool,
    /// End after this long.
    pub timeout: Duration,
}

fn line(kind: &str, object: &Value) -> bytes::Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    v.push(b'\n');
    bytes::Bytes::from(v)
}

fn error_line(e: &ApiError) -> bytes::Bytes {
    line(
        "ERROR",
        &serde_json::to_value(&e.status).unwrap_or(Value::Null),
    )
}

/// Answer a watch on `T`; `present` turns each stored object into what clients see (e.g.
/// recomputing computed fields) and `keep` filters by selectors.
pub async fn watch_response<T, P, K>(
    service: &Service,
    params: WatchParams,
    present: P,
    keep: K,
) -> Response
where
    T: StoredObject,
    P: Fn(T) -> Value + Send + Sync + 'static,
    K: Fn(&T) -> bool + Send + Sync + 'static,
{
    let ns = params.namespace.as_deref();
    let prefix = match Objects::prefix::<T>(ns) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let mut initial: Vec<bytes::Bytes> = Vec::new();
    let start = match params
        .resource_version
        .as_deref()
        .filter(|r| !r.is_empty() && *r != "0")
    {
        Some(rv) => match rv.parse::<Revision>() {
            Ok(r) => r,
            Err(e) => return ApiError::bad_request(e.to_string()).into_response(),
        },
        None => {
            // Initial state: every object as ADDED, then changes after the snapshot.
            let mut opts = ListOptions::default();
            let mut rev = None;
            loop {
                let page = match service.objects.store.list(&prefix, &opts).await {
                    Ok(p) => p,
                    Err(e) => {
                        return ApiError::from_store(e, T::GROUP, T::RESOURCE, "").into_response();
                    }
                };
                rev = rev.or(Some(page.revision));
                for o in &page.items {
                    if let Ok(t) = Objects::decode::<T>(o)
                        && keep(&t)
                    {
                        initial.push(line("ADDED", &present(t)));
                    }
                }
                match page.continue_token {
                    Some(c) => {
                        opts = ListOptions {
                            continue_token: Some(c),
                            ..Default::default()
                        }
                    }
                    None => break,
                }
            }
            rev.unwrap_or(Revision::ZERO)
        }
    };
    let stream = match service.objects.store.watch(&prefix, start).await {
        Ok(s) => s,
        Err(StoreError::TooOld {
            requested,
            compacted,
        }) => {
            let e = ApiError::gone(format!(
                "too old resource version: {requested} ({compacted})"
            ));
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                error_line(&e),
            )
                .into_response();
        }
        Err(e) => return ApiError::from_store(e, T::GROUP, T::RESOURCE, "").into_response(),
    };
    let deadline = tokio::time::Instant::now() + params.timeout;
    let mut shutdown = service.shutdown.subscribe();
    if *shutdown.borrow_and_update() {
        return ApiError::unavailable("the server is shutting down").into_response();
    }
    let store = service.objects.store.clone();
    let bookmarks = params.bookmarks;
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(256);
    tokio::spawn(async move {
        for l in initial {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        let mut stream = stream;
        let mut ticker = tokio::time::interval(BOOKMARK_INTERVAL);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = shutdown.changed() => return,
                _ = ticker.tick(), if bookmarks => {
                    let rv = store.current_revision().await.unwrap_or(Revision::ZERO);
                    let obj = json!({"kind": T::KIND, "apiVersion": T::API_VERSION, "metadata": {"resourceVersion": rv.to_string()}});
                    if tx.send(line("BOOKMARK", &obj)).await.is_err() { return; }
                }
                next = stream.next() => {
                    let out = match next {
                        None => return,
                        Some(Err(StoreError::TooOld { requested, compacted })) => {
                            let _ = tx.send(error_line(&ApiError::gone(format!("too old resource version: {requested} ({compacted})")))).await;
                            return;
                        }
                        Some(Err(e)) => {
                            let _ = tx.send(error_line(&ApiError::from_store(e, T::GROUP, T::RESOURCE, ""))).await;
                            return;
                        }
                        Some(Ok(ev)) => match Objects::decode_event::<T>(&ev) {
                            Ok(te) if keep(&te.object) => line(te.kind, &present(te.object)),
                            Ok(_) => continue,
                            Err(e) => error_line(&e),
                        },
                    };
                    if tx.send(out).await.is_err() { return; }
                }
            }
        }
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(body))
        .unwrap_or_else(|e| ApiError::internal(e).into_response())
}

//! Handlers of `imagestreams` and `imagestreams/{name}/status`: decode, call the service, encode.

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use tagplane_api::image::ImageStream;
use tagplane_api::meta::List;
use tagplane_store::ListOptions;

use super::prelude::*;
use super::table::{self, wants_table};
use super::watch::{DEFAULT_WATCH_TIMEOUT, WatchParams, watch_response};
use crate::objects::Objects;
use crate::service::imagestreams::StreamPart;

const BASE: &str = "/apis/image.openshift.io/v1";

/// Routes of this resource.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/imagestreams"), get(list_all))
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreams"),
            get(list).post(create),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreams/{{name}}"),
            get(get_one).put(replace).patch(patch).delete(delete),
        )
        .route(
            &format!("{BASE}/namespaces/{{ns}}/imagestreams/{{name}}/status"),
            get(get_one).put(replace_status).patch(patch_status),
        )
}

async fn list_all(
    State(st): State<AppState>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    list_in(st, None, q, headers).await
}

async fn list(
    State(st): State<AppState>,
    Path(ns): Path<String>,
    Query(q): Query<CommonQuery>,
    headers: HeaderMap,
) -> Response {
    list_in(st, Some(ns), q, headers).await
}

async fn list_in(st: AppState, ns: Option<String>, q: CommonQuery, headers: HeaderMap) -> Response {
    let hosts = st.service.config.hosts.clone();
    let selector = match st
        .service
        .stream_selector(q.label_selector.as_deref(), q.field_selector.as_deref())
    {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if q.is_watch() {
        let params = WatchParams {
            namespace: ns,
            resource_version: q.resource_version.clone(),
            bookmarks: q.allow_watch_bookmarks.unwrap_or(false),
            timeout: q
                .timeout_seconds
                .map(std::time::Duration::from_secs)
                .unwrap_or(DEFAULT_WATCH_TIMEOUT),
        };
        // With a Table negotiated, each event carries a one-row Table.
        let table_clock = wants_table(&headers).then(|| st.service.objects.clock.clone());
        let present = move |mut s: ImageStream| {
            tagplane_core::repository::decorate(&mut s, &hosts);
            match &table_clock {
                Some(clock) => table::table_of(&s, &clock.now()),
                None => serde_json::to_value(&s).unwrap_or(Value::Null),
            }
        };
        return watch_response::<ImageStream, _, _>(&st.service, params, present, move |s| {
            selector.matches(s)
        })
        .await;
    }
    let result = async {
        let revision = match (q.resource_version.as_deref(), q.continue_.is_some()) {
            (Some(rv), false)
                if !rv.is_empty()
                    && rv != "0"
                    && q.resource_version_match.as_deref() == Some("Exact") =>
            {
                Objects::parse_rv(Some(rv))?
            }
            _ => None,
        };
        let opts = ListOptions {
            limit: q.limit,
            continue_token: q.continue_.clone(),
            revision,
        };
        let mut list = st.service.list_streams(ns.as_deref(), &opts).await?;
        list.items.retain(|s| selector.matches(s));
        Ok::<_, ApiError>(List {
            api_version: tagplane_api::meta::IMAGE_API_VERSION.into(),
            kind: "ImageStreamList".into(),
            metadata: list.meta,
            items: list.items,
        })
    }
    .await;
    match result {
        Ok(list) if wants_table(&headers) => table::response(&table::table(
            &list.items,
            Some(&list.metadata),
            &st.service.objects.clock.now(),
        )),
        Ok(list) => json_response(StatusCode::OK, &list, &[]),
        Err(e) => e.into_response(),
    }
}

async fn create(State(st): State<AppState>, Path(ns): Path<String>, w: WriteRequest) -> Response {
    w.write(StatusCode::CREATED, |opts, is: ImageStream| {
        st.service.create_stream(&ns, is, opts)
    })
    .await
}

async fn get_one(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    match st.service.get_stream(&ns, &name).await {
        Ok(s) if wants_table(&headers) => {
            table::response(&table::table_of(&s, &st.service.objects.clock.now()))
        }
        Ok(s) => json_response(StatusCode::OK, &s, &[]),
        Err(e) => e.into_response(),
    }
}

async fn replace_part(
    st: AppState,
    ns: String,
    name: String,
    w: WriteRequest,
    part: StreamPart,
) -> Response {
    w.write(StatusCode::OK, |opts, is: ImageStream| {
        st.service.replace_stream(&ns, &name, is, part, opts)
    })
    .await
}

async fn replace(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    replace_part(st, ns, name, w, StreamPart::Main).await
}

async fn replace_status(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    replace_part(st, ns, name, w, StreamPart::Status).await
}

async fn patch_part(
    st: AppState,
    ns: String,
    name: String,
    w: WriteRequest,
    part: StreamPart,
) -> Response {
    let schema = &super::smp::IMAGE_STREAM;
    w.patch(schema, |opts, patch| async move {
        st.service
            .patch_stream(&ns, &name, part, opts, &*patch)
            .await
    })
    .await
}

async fn patch(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    patch_part(st, ns, name, w, StreamPart::Main).await
}

async fn patch_status(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    patch_part(st, ns, name, w, StreamPart::Status).await
}

/// `DeleteOptions` bodies (only what we honour).
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteOptions {
    /// Preconditions.
    #[serde(default)]
    pub preconditions: Option<Preconditions>,
    /// `["All"]` for a dry run.
    #[serde(default)]
    pub dry_run: Option<Vec<String>>,
}

/// Delete preconditions.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditions {
    /// Required uid.
    #[serde(default)]
    pub uid: Option<String>,
    /// Required resourceVersion.
    #[serde(default)]
    pub resource_version: Option<String>,
}

/// Parse an optional DeleteOptions body.
pub fn delete_options(headers: &HeaderMap, body: &[u8]) -> ApiResult<DeleteOptions> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DeleteOptions::default());
    }
    Ok(decode_body::<DeleteOptions>(headers, body, Some("Ignore"))?.value)
}

async fn delete(
    State(st): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    w: WriteRequest,
) -> Response {
    w.delete(|opts, rv, uid| async move {
        st.service
            .delete_stream(&ns, &name, rv, uid.as_deref(), opts)
            .await
    })
    .await
}

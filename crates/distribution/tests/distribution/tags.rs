//! Tag listing: a 120-tag repository on a real registry (which returns one unpaged list), and
//! `Link: rel="next"` pagination, loops and foreign hosts on the scripted fixture.

use std::collections::BTreeSet;

use axum::http::Method;
use tagplane_core::manifest::MEDIA_TYPE_OCI_MANIFEST;
use tagplane_distribution::{DistributionError, RegistryClient, Repository};

use crate::fake_registry::{FakeRegistry, response, v2_ok};
use crate::images::Layout;
use crate::registry::{Mode, Registry};
use crate::require_peers;

#[tokio::test]
async fn lists_all_120_tags() {
    require_peers!("list_120_tags");
    let reg = Registry::start(Mode::Plain);
    let layout = Layout::new();
    layout.image("v1", "hello", "amd64", "linux");
    reg.push(&layout, "v1", "ns/many:t0");
    // The blobs are in place now; tag the same manifest 119 more times with plain PUTs.
    let manifest = layout.manifest("v1");
    let http = reqwest::Client::new();
    let mut puts = tokio::task::JoinSet::new();
    let mut want = BTreeSet::from(["t0".to_owned()]);
    for i in 1..120 {
        let tag = format!("t{i}");
        want.insert(tag.clone());
        let (http, body, host) = (http.clone(), manifest.clone(), reg.host.clone());
        puts.spawn(async move {
            let resp = http
                .put(format!("http://{host}/v2/ns/many/manifests/{tag}"))
                .header("Content-Type", MEDIA_TYPE_OCI_MANIFEST)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201, "PUT {tag}");
        });
        if puts.len() >= 8 {
            puts.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(r) = puts.join_next().await {
        r.unwrap();
    }
    let tags = reg
        .client()
        .list_tags(&Repository::new(&reg.host, "ns/many").with_insecure(true))
        .await
        .unwrap();
    assert_eq!(tags.len(), 120);
    assert_eq!(tags.into_iter().collect::<BTreeSet<_>>(), want);
}

fn page(tags: &[&str], link: Option<&str>) -> axum::response::Response {
    let body = serde_json::json!({"name": "ns/app", "tags": tags}).to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(l) = link {
        headers.push(("Link", l));
    }
    response(200, &headers, body)
}

#[tokio::test]
async fn follows_link_pagination() {
    let fake = FakeRegistry::start(|r| async move {
        match (r.path.as_str(), r.query.as_deref()) {
            ("/v2/", _) => v2_ok(),
            ("/v2/ns/app/tags/list", None) => page(
                &["a", "b"],
                Some(r#"</v2/ns/app/tags/list?last=b&n=2>; rel="next""#),
            ),
            ("/v2/ns/app/tags/list", Some("last=b&n=2")) => page(
                &["c", "d"],
                Some(
                    r#"<http://ignored.invalid/x>; rel="prev", </v2/ns/app/tags/list?last=d&n=2>; rel="next""#,
                ),
            ),
            ("/v2/ns/app/tags/list", Some("last=d&n=2")) => page(&["e"], None),
            _ => response(404, &[], ""),
        }
    });
    let client = RegistryClient::new().unwrap();
    let tags = client
        .list_tags(&Repository::new(&fake.host, "ns/app").with_insecure(true))
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b", "c", "d", "e"]);
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/app/tags/list"), 3);
}

#[tokio::test]
async fn pagination_loops_stop_and_foreign_hosts_are_refused() {
    let fake = FakeRegistry::start(|r| async move {
        match (r.path.as_str(), r.query.as_deref()) {
            ("/v2/", _) => v2_ok(),
            // A page that links back to the first page.
            ("/v2/ns/loop/tags/list", None) => page(
                &["a"],
                Some(r#"</v2/ns/loop/tags/list?last=a>; rel="next""#),
            ),
            ("/v2/ns/loop/tags/list", Some(_)) => {
                page(&["b"], Some(r#"</v2/ns/loop/tags/list>; rel="next""#))
            }
            ("/v2/ns/away/tags/list", _) => page(
                &["a"],
                Some(r#"<http://127.0.0.2:9/v2/ns/away/tags/list>; rel="next""#),
            ),
            _ => response(404, &[], ""),
        }
    });
    let client = RegistryClient::new().unwrap();
    let tags = client
        .list_tags(&Repository::new(&fake.host, "ns/loop").with_insecure(true))
        .await
        .unwrap();
    assert_eq!(tags, ["a", "b"]);
    assert_eq!(fake.hits(&Method::GET, "/v2/ns/loop/tags/list"), 2);
    let err = client
        .list_tags(&Repository::new(&fake.host, "ns/away").with_insecure(true))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DistributionError::InvalidResponse { detail, .. } if detail.contains("another host")),
        "{err:?}"
    );
}

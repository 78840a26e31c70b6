//! The bearer token the load generators send: `TAGPLANE_TOKEN`, else the `token:` of the
//! kubeconfig named by `TAGPLANE_KUBECONFIG` (waiting up to 30 s for the server to write it).

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

fn token_of(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find_map(|l| l.trim().strip_prefix("token: ").map(str::to_owned))
        .filter(|t| !t.is_empty())
}

/// Default headers carrying the token (none when neither variable is set).
pub fn auth_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let token = std::env::var("TAGPLANE_TOKEN").ok().or_else(|| {
        let path = std::env::var("TAGPLANE_KUBECONFIG").ok()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = token_of(&path) {
                return Some(t);
            }
            assert!(
                Instant::now() < deadline,
                "{path} has no token after 30 s: is `tagplane serve` running with that data directory?"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    if let Some(t) = token {
        let mut v = HeaderValue::from_str(&format!("Bearer {t}")).expect("token is a header value");
        v.set_sensitive(true);
        headers.insert(AUTHORIZATION, v);
    }
    headers
}

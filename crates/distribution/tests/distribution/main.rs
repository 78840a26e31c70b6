//! Integration tests of `tagplane-distribution` against real Distribution registries (plain,
//! htpasswd, TLS, Bearer token) fed by umoci + skopeo, and a scripted HTTP fixture for what
//! Distribution cannot be made to do (429, corrupt content, redirect loops, ...).
//!
//! Tests needing a peer program skip with a printed reason unless `TAGPLANE_REQUIRE_PEERS=1`.

mod fake_registry;

// The real-registry fixtures live in `tagplane-testsupport`, shared with the server's tests.
use tagplane_testsupport::{images, registry, require_peers, server};

mod auth;
mod import;
mod limits;
mod lists;
mod ping;
mod schema1;
mod tags;

use k8s_openapi::jiff::Timestamp;
use tagplane_distribution::FetchOptions;

/// The fixed time the tests import at.
pub fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap()
}

/// Legacy-mode options for an amd64/linux host; insecure as `insecure` says.
pub fn options(insecure: bool) -> FetchOptions {
    FetchOptions {
        host_arch: "amd64".to_owned(),
        host_os: "linux".to_owned(),
        insecure,
        ..FetchOptions::new(now())
    }
}

//! Test fixtures shared by the distribution and server test suites: a real Debian
//! `docker-registry` in plain, htpasswd, TLS and Bearer-token modes ([`registry`]), the token
//! server for the Bearer mode ([`token_server`]), images built offline with `umoci`
//! ([`images`]), a background axum server ([`server`]) and the skip-or-fail rule for missing
//! peer programs ([`peers`], [`require_peers!`]).
//!
//! Only test code depends on this crate (as a dev-dependency).

// Fixtures are handles to processes and servers; printing them is never needed.
#![allow(missing_debug_implementations)]
// `Layout::new` runs `umoci init`; a `Default` that spawns a process would surprise.
#![allow(clippy::new_without_default)]

pub mod images;
pub mod peers;
pub mod registry;
pub mod server;
pub mod token_server;

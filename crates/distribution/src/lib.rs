//! Client for remote OCI/Docker registries: the only crate that talks to them (design invariant 5).
//!
//! - [`RegistryClient`]: ping and v2 check, HTTPS with insecure fallbacks, Basic and Bearer auth,
//!   manifests, config blobs, tag listing, per-registry concurrency limits, request budgets and
//!   `429` handling (spec §11.3–11.4).
//! - [`Keyring`]: credentials from Kubernetes pull secrets, matched like the kubelet (spec §11.5).
//! - [`fetch_image`] / [`check_digest`]: a reference resolved to Image objects, or only its
//!   current digest for cheap re-checks.
//! - [`DistributionError`]: every failure, with [`DistributionError::to_status`] giving the
//!   import status of spec §11.6.
//!
//! Section numbers (§11.4) refer to `spec/image-api.md`.

pub mod auth;
pub mod budget;
pub mod client;
pub mod error;
pub mod fetch;
pub mod keyring;
pub mod sources;

pub use auth::{AuthKind, Challenge};
pub use budget::RateLimitInfo;
pub use client::{
    ClientConfig, FetchedManifest, MAX_CONFIG_SIZE, MAX_MANIFEST_SIZE, ManifestHead, PING_TIMEOUT,
    Ping, RegistryClient, RegistryClientBuilder, RegistrySettings, Repository, registry_host,
};
pub use error::{DistributionError, status_reference, unknown_import_status};
pub use fetch::{FetchOptions, FetchedImage, ImportMode, check_digest, fetch_image, pull_spec};
pub use keyring::{Credential, Keyring, SecretWarning};
pub use sources::{fetch_image_from, first_success, respell};

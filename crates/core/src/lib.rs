//! Image-stream behaviour as pure functions: no IO, no async, time passed in by the caller.
//!
//! Each module implements one part of the spec (`../shared/spec/image-api.md`); the server's
//! service layer, the controllers and the integrated registry all call into these functions, so
//! a rule exists exactly once. Section numbers in comments (§4.9) refer to that spec.

pub mod generation;
pub mod images;
pub mod import;
pub mod layers;
pub mod limits;
pub mod manifest;
pub mod mapping;
pub mod registries;
pub mod repository;
pub mod resolution;
pub mod schedule;
pub mod secrets;
pub mod tag_event;
pub mod tags;
pub mod views;

pub use tagplane_api as api;

#[cfg(test)]
mod testutil;

//! Wire types, image references, validation and other parsing for tagplane; no IO, no async.
//!
//! Everything here is a pure data definition or a pure function over strings and values, so it
//! can be used by the server, the CLI, the registry and the tests alike (see ARCHITECTURE.md).

pub mod humanize;
pub mod image;
pub mod meta;
pub mod reference;
pub mod selector;
pub mod validation;

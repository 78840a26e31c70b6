//! Integration tests of the wire types and validation (one test binary for the crate).

mod roundtrip;
mod validation;

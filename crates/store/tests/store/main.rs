//! Store integration tests: one conformance suite run against every backend, plus the
//! crash-durability test of the embedded store.

mod conformance;
mod durability;
#[cfg(feature = "etcd")]
mod etcd;
mod redb;

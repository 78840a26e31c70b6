//! Server integration tests: the service layer and the HTTP API against a real server on
//! loopback, and kubectl as a real client.

mod authn;
mod controllers;
mod harness;
mod http_api;
mod images;
mod imports;
mod kubectl;
mod mappings;
mod rbac;
mod registry_import;
mod robustness;
mod secrets;
mod tags;

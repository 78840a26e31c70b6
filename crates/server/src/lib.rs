//! The tagplane server: the service layer (REST semantics over `tagplane-core` and the store)
//! and the HTTP edge that serves `image.openshift.io/v1` with Kubernetes conventions.

pub mod auth;
pub mod controllers;
pub mod error;
pub mod http;
pub mod objects;
pub mod private_fs;
pub mod serve;
pub mod service;

//! One module per client command; each exposes its clap arguments and a `run` function.

pub mod apply;
pub mod auth;
pub mod completion;
pub mod create;
pub mod delete;
pub mod describe;
pub mod get;
pub mod import_image;
pub mod login;
pub mod manifest;
pub mod patch;
pub mod policy;
pub mod project;
pub mod set;
pub mod tag;
pub mod whoami;

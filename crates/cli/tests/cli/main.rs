//! End-to-end tests of the `tagplane` client commands against a real `tagplane serve`.

mod harness;

mod access;
mod basics;
mod describe;
mod get;
mod image_lookup;
mod import_image;
mod objects;
mod secrets;
mod tag;
mod whoami;

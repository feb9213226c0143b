//! Paths of the components the end-to-end tests run, built by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/components.rs"));

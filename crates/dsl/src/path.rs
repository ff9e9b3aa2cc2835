//! Reference path tokenisation (dsl-spec §4.2): the `runtara-path` crate, which the
//! workflow stdlib shares.

pub use runtara_path::*;

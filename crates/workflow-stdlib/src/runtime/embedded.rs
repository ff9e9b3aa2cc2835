//! no_std firmware (and builds without `std`): every [`Platform`] default — one thread, no
//! connection table, no network, no local store.

use super::Platform;

/// thumbv7em-none-eabihf, and the stdlib without a platform feature.
pub struct Embedded;

impl Platform for Embedded {}

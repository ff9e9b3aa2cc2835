//! [`Local`]: a static for wasm32 without threads — the browser module's state and its
//! fetched responses — usable where std's `thread_local!` is not (no_std builds).

use core::cell::{OnceCell, RefCell};

/// A static value made on first use, behind a `RefCell`, with `thread_local!`'s `with`.
/// It is `Sync` (so it can be a `static`) only on wasm32 without the `atomics` feature,
/// where there is one thread.
pub struct Local<T> {
    cell: OnceCell<RefCell<T>>,
    init: fn() -> T,
}

// SAFETY: wasm32 without the atomics feature runs one thread, so no two threads can reach
// the value.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    /// A static whose value `init` makes on first use.
    pub const fn new(init: fn() -> T) -> Self {
        Local { cell: OnceCell::new(), init }
    }

    /// Calls `f` with the value (made now if this is the first use).
    pub fn with<R>(&self, f: impl FnOnce(&RefCell<T>) -> R) -> R {
        f(self.cell.get_or_init(|| RefCell::new((self.init)())))
    }
}

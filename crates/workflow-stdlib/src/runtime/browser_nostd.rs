//! Browsers and Node without std (feature `wasm-js-nostd`): as [`super::browser`], minus
//! the connection table (std; codegen refuses connections in these builds), plus the panic
//! handler std would bring.

use super::Platform;

/// wasm32-unknown-unknown with wasm-bindgen, no_std.
pub struct Browser;

impl Platform for Browser {
    fn fetch_pending() -> bool {
        runtara_sdk::net::fetch_pending()
    }

    const FETCHES_BY_CALL_SITE: bool = true;

    fn set_call_site(site: alloc::string::String) -> alloc::string::String {
        runtara_sdk::net::set_call_site(site)
    }
}

/// A panic is a bug: trap (JS sees a `RuntimeError`). The message is not read, so fat LTO
/// drops every panic site's formatting, which is what this build leaves out.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

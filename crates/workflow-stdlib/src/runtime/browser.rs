//! Browsers and Node (feature `wasm-js`): one thread; requests are fetched by the JS entry
//! between attempts of a run, so a step can find its request still pending.

use serde_json::Value;

use super::Platform;

/// wasm32-unknown-unknown with wasm-bindgen.
pub struct Browser;

impl Platform for Browser {
    fn connection_descriptor(id: &str) -> Value {
        crate::agents::connections::descriptor(id)
    }

    fn set_network(connections: Option<Value>, http_proxy: Option<String>) {
        crate::agents::connections::set_table(connections);
        runtara_sdk::net::proxy::set_url(http_proxy);
    }

    fn fetch_pending() -> bool {
        runtara_sdk::net::fetch_pending()
    }

    const FETCHES_BY_CALL_SITE: bool = true;

    fn set_call_site(site: String) -> String {
        runtara_sdk::net::set_call_site(site)
    }
}

//! Targets without a network stack.

use super::{Request, Response};
use alloc::string::String;

/// Always `Err`: targets without a network stack.
pub fn send(_req: &Request) -> Result<Response, String> {
    Err("this target has no network access".into())
}

/// The same as [`send`]: this transport leaves TLS to the host.
pub use self::send as send_plain;

/// Whether [`send_plain`] reaches `https://` URLs. Irrelevant here (no network): nothing to refuse.
pub const PLAIN_HTTPS: bool = true;

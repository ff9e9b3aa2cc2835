//! Targets without a network stack.

use super::{Request, Response};
use alloc::string::String;

/// Always `Err`: targets without a network stack.
pub fn send(_req: &Request) -> Result<Response, String> {
    Err("this target has no network access".into())
}

//! Browsers and Node (feature `fetch`): responses fetched by the JS entry between
//! attempts of a run; a request not fetched yet is recorded as pending and fails.

use super::{Request, Response};
use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::Local;

/// A request's identity: its call site, method, URL, headers and body, plus how many
/// identical requests that call site made before it in this attempt (so repeated polls of
/// one URL stay distinct).
type Key = (String, usize);

static RESPONSES: Local<BTreeMap<Key, Result<Response, String>>> = Local::new(BTreeMap::new);
static SEEN: Local<BTreeMap<String, usize>> = Local::new(BTreeMap::new);
static PENDING: Local<Option<(Key, Request)>> = Local::new(|| None);
static SITE: Local<String> = Local::new(String::new);

fn fingerprint(req: &Request) -> String {
    let site = SITE.with(|s| s.borrow().clone());
    alloc::format!("{site}\n{} {}\n{:?}\n{}", req.method, req.url, req.headers, String::from_utf8_lossy(&req.body))
}

/// Sets the call site of the requests that follow (the running step, with its scope) and
/// returns the previous one. Responses belong to their call site: when a later attempt
/// restores a step from its checkpoint instead of running it, the responses it used are not
/// handed to the next identical request of another step (which would then skip its own).
pub fn set_call_site(site: String) -> String {
    SITE.with(|s| core::mem::replace(&mut *s.borrow_mut(), site))
}

/// The current call site ([`set_call_site`]).
pub fn call_site() -> String {
    SITE.with(|s| s.borrow().clone())
}

/// Sends `req` and waits for the whole response; `Err` names what failed (connect,
/// timeout, TLS). Non-2xx statuses are responses, not errors.
pub fn send(req: &Request) -> Result<Response, String> {
    let fp = fingerprint(req);
    let n = SEEN.with(|s| {
        let mut s = s.borrow_mut();
        let n = s.entry(fp.clone()).or_insert(0);
        *n += 1;
        *n
    });
    let key = (fp, n);
    if let Some(r) = RESPONSES.with(|m| m.borrow().get(&key).cloned()) {
        return r;
    }
    PENDING.with(|p| *p.borrow_mut() = Some((key, req.clone())));
    Err("the request is being fetched".into())
}

/// Whether the last failed [`send`] is waiting for a fetch.
pub fn fetch_pending() -> bool {
    PENDING.with(|p| p.borrow().is_some())
}

/// The request to fetch, if any; the run that asked for it should stop.
pub fn take_pending() -> Option<Request> {
    PENDING.with(|p| p.borrow().as_ref().map(|(_, r)| r.clone()))
}

/// Records the fetched result of the pending request for the next attempt.
pub fn fulfil(result: Result<Response, String>) {
    if let Some((key, _)) = PENDING.with(|p| p.borrow_mut().take()) {
        RESPONSES.with(|m| m.borrow_mut().insert(key, result));
    }
}

/// Starts a new attempt (`keep_responses`) or a new run (everything forgotten).
pub fn reset(keep_responses: bool) {
    SEEN.with(|s| s.borrow_mut().clear());
    PENDING.with(|p| *p.borrow_mut() = None);
    SITE.with(|s| s.borrow_mut().clear());
    if !keep_responses {
        RESPONSES.with(|m| m.borrow_mut().clear());
    }
}

/// The same as [`send`]: this transport leaves TLS to the host.
pub use self::send as send_plain;

/// Whether [`send_plain`] reaches `https://` URLs. fetch: the host makes TLS connections.
pub const PLAIN_HTTPS: bool = true;

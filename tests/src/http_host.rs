//! What the tests of HTTP hosts share (`--world http` components under wasmtime serve and
//! `runtara run --listen`, the Cloudflare Worker under workerd).

use serde_json::{json, Value};

/// Sends 200 concurrent `POST /` requests `{"amount": i}` through `call` (which answers the
/// status and JSON body) to examples/01 (`tests/fixtures/conditional.json`) and asserts each
/// answer: 200 `{tier, amount}`, tier `high` above 100, else `low`.
pub fn assert_concurrent_tiers(call: impl Fn(Value) -> (u16, Value) + Sync) {
    let answers: Vec<(u64, u16, Value)> = std::thread::scope(|s| {
        let calls: Vec<_> = (0..200u64)
            .map(|i| {
                let call = &call;
                s.spawn(move || {
                    let (status, body) = call(json!({"amount": i}));
                    (i, status, body)
                })
            })
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (i, status, body) in answers {
        let tier = if i > 100 { "high" } else { "low" };
        assert_eq!((status, body), (200, json!({"tier": tier, "amount": i})), "request {i}");
    }
}

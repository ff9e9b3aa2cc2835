//! Checking a run's envelope, events and validation output against a case's
//! expectations (the corpus README's expectation kinds).

use serde_json::Value;

use super::*;
use crate::cli::runtara;

/// Checks `side_effects.events` (subtype = our `event` name, JSON-pointer fields).
pub(super) fn check_events(side: &Value, events: &[Value]) -> Verdict {
    if let Some(n) = side.get("events_exact_count").and_then(Value::as_u64) {
        if events.len() as u64 != n {
            return Verdict::Fail(format!("{} events, expected {n}: {events:?}", events.len()));
        }
    }
    for want in side.get("events").and_then(Value::as_array).into_iter().flatten() {
        let subtype = want.get("subtype").and_then(Value::as_str);
        let matches = |ev: &Value| {
            subtype.is_none_or(|s| ev["event"] == s)
                && want
                    .get("match")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .all(|(p, v)| ev.pointer(p) == Some(v))
        };
        let found = match want.get("index").and_then(Value::as_u64) {
            Some(i) => events.get(i as usize).filter(|ev| matches(ev)),
            None => events.iter().find(|ev| matches(ev)),
        };
        let Some(ev) = found else {
            return Verdict::Fail(format!("no event like {want}"));
        };
        for (p, v) in want.get("fields").and_then(Value::as_object).into_iter().flatten() {
            if ev.pointer(p).unwrap_or(&Value::Null) != v {
                return Verdict::Fail(format!("event {p}: {:?} != expected {v}", ev.pointer(p)));
            }
        }
    }
    Verdict::Pass
}

/// Checks the side effects the state service shows of an instance (`detail`: `runtara
/// instance --format json`): `checkpoint_ids_include`, `checkpoint_id_absent`,
/// `checkpoint_id_regexes_present`, `event_subtypes_include`, `polled_signal_ids_include`.
pub(super) fn check_instance(side: &Value, detail: &Value) -> Verdict {
    let strings = |k: &str| -> Vec<&str> {
        side.get(k).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
    };
    let checkpoints: Vec<&str> =
        detail["checkpoints"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let events: Vec<&str> =
        detail["events"].as_array().into_iter().flatten().filter_map(|e| e["event"].as_str()).collect();
    let polled = super::durable::requested_signal_ids(detail);
    for want in strings("checkpoint_ids_include") {
        if !checkpoints.contains(&want) {
            return Verdict::Fail(format!("no checkpoint '{want}' among {checkpoints:?}"));
        }
    }
    for pattern in strings("checkpoint_id_regexes_present") {
        let Ok(re) = regex::Regex::new(pattern) else {
            return Verdict::Fail(format!("side effect pattern '{pattern}' is no regex"));
        };
        if !checkpoints.iter().any(|c| re.is_match(c)) {
            return Verdict::Fail(format!("no checkpoint matches '{pattern}' among {checkpoints:?}"));
        }
    }
    if let Some(absent) = side["checkpoint_id_absent"].as_str().filter(|a| checkpoints.contains(a)) {
        return Verdict::Fail(format!("checkpoint '{absent}' must not exist: {checkpoints:?}"));
    }
    for want in strings("event_subtypes_include") {
        if !events.contains(&want) {
            return Verdict::Fail(format!("no '{want}' event among {events:?}"));
        }
    }
    for want in strings("polled_signal_ids_include") {
        if !polled.iter().any(|p| p == want) {
            return Verdict::Fail(format!("signal '{want}' was never asked for; asked: {polled:?}"));
        }
    }
    Verdict::Pass
}

/// Checks a `resource` expectation against a run's stderr (`runtara run --stats`):
/// `guest_memory_peak_bytes_lt` against its `guest_stats` line, `stderr_not_contains`.
pub(super) fn check_resource(bounds: &Value, stderr: &str) -> Verdict {
    if let Some(s) = bounds["stderr_not_contains"].as_str().filter(|s| stderr.contains(s)) {
        return Verdict::Fail(format!("stderr contains '{s}'"));
    }
    if let Some(limit) = bounds["guest_memory_peak_bytes_lt"].as_u64() {
        let Some(peak) = crate::cli::guest_stats(stderr).and_then(|s| s["memory_peak_bytes"].as_u64()) else {
            return Verdict::Fail(format!("no guest_stats line with the memory peak on stderr: {stderr}"));
        };
        if peak >= limit {
            return Verdict::Fail(format!("guest memory peak {peak} bytes, expected under {limit}"));
        }
    }
    Verdict::Pass
}

pub(super) fn check_run(e: &Value, env: &Value) -> Verdict {
    let status = env["status"].as_str().unwrap_or("");
    let output = &env["output"];
    let error = &env["error"];
    if let Some(expected) = e.get("output") {
        if status != "completed" {
            return Verdict::Fail(format!("status {status}, error {error}"));
        }
        if output != expected {
            return Verdict::Fail(format!("output {output} != expected {expected}"));
        }
        return Verdict::Pass;
    }
    if let Some(fields) = e.get("output_fields").and_then(Value::as_object) {
        if status != "completed" {
            return Verdict::Fail(format!("status {status}, error {error}"));
        }
        for (ptr, want) in fields {
            if !ptr.starts_with('/') {
                continue;
            }
            let got = output.pointer(ptr).unwrap_or(&Value::Null);
            if got != want {
                return Verdict::Fail(format!("{ptr}: {got} != expected {want}"));
            }
        }
        return Verdict::Pass;
    }
    if let Some(spec) = e.get("error") {
        if status != "failed" {
            return Verdict::Fail(format!("status {status}, expected failed; output {output}"));
        }
        let text = error.to_string();
        if let Some(fields) = spec.get("fields").and_then(Value::as_object) {
            for (k, want) in fields {
                if &error[k] != want {
                    return Verdict::Fail(format!("error.{k}: {} != expected {want}", error[k]));
                }
            }
        }
        if let Some(exact) = spec.get("exact") {
            let ok = match exact {
                Value::String(s) => error["message"].as_str() == Some(s),
                Value::Object(o) => o.iter().all(|(k, v)| &error[k] == v),
                other => error == other,
            };
            if !ok {
                return Verdict::Fail(format!("error {error} != exact {exact}"));
            }
        }
        let subs = |k: &str| -> Vec<String> {
            spec.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        for s in subs("message_contains").iter().chain(subs("attributes_contain").iter()) {
            if !text.contains(s.as_str()) {
                return Verdict::Fail(format!("error lacks '{s}': {text}"));
            }
        }
        let any = subs("message_contains_any");
        if !any.is_empty() && !any.iter().any(|s| text.contains(s.as_str())) {
            return Verdict::Fail(format!("error contains none of {any:?}: {text}"));
        }
        return Verdict::Pass;
    }
    if let Some(outcome) = e.get("outcome").and_then(Value::as_str) {
        return if outcome == status {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("status {status}, expected {outcome}; error {error}"))
        };
    }
    Verdict::Unsupported("unknown expectation kind".into())
}

pub(super) fn check_validation(case: &Case, file: &str, extra: &[String]) -> Verdict {
    let (code, report, stderr) = if case.needs.iter().any(|n| n == "server-api") {
        validate_on_server(file)
    } else {
        let mut args = vec!["validate", file, "--format", "json"];
        args.extend(extra.iter().map(String::as_str));
        let out = runtara(&args);
        let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap_or(-1), report, String::from_utf8_lossy(&out.stderr).to_string())
    };
    let e = &case.expect;
    if case.confidence == "derived-stale" {
        // The codes no longer exist: score only as "rejected".
        return if code != 0 { Verdict::Pass } else { Verdict::Fail("accepted, expected rejection".into()) };
    }
    let codes = |k: &str| -> Vec<String> {
        report[k].as_array().into_iter().flatten().filter_map(|d| d["code"].as_str().map(str::to_string)).collect()
    };
    let (errors, warnings) = (codes("errors"), codes("warnings"));
    if let Some(want) = e.get("validation_error").and_then(Value::as_str) {
        return if errors.iter().any(|c| c == want) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("expected {want}, got errors {errors:?} (exit {code}): {stderr}"))
        };
    }
    if let Some(want) = e.get("validation_warning").and_then(Value::as_str) {
        return if warnings.iter().any(|c| c == want) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("expected warning {want}, got {warnings:?}"))
        };
    }
    if let Some(ok) = e.get("validation_ok") {
        if code == 2 {
            return Verdict::Fail(format!("does not parse: {stderr}"));
        }
        for kind in ok.get("absent_error_kinds").and_then(Value::as_array).into_iter().flatten() {
            let k = kind.as_str().unwrap_or("");
            if let Some(c) = k.split('(').nth(1).map(|s| s.trim_end_matches(')')) {
                if errors.iter().any(|e| e == c) {
                    return Verdict::Fail(format!("unexpected {c}"));
                }
            }
        }
        for p in ok.get("absent_error_codes_prefix").and_then(Value::as_array).into_iter().flatten() {
            let p = p.as_str().unwrap_or("");
            if let Some(c) = errors.iter().find(|e| e.starts_with(p)) {
                return Verdict::Fail(format!("unexpected {c}"));
            }
        }
        return Verdict::Pass;
    }
    Verdict::Unsupported("unknown validation expectation".into())
}

/// Validates `file` through a real `runtara serve` (`POST /api/v1/workflows/validate`):
/// `(exit code runtara validate would give, its JSON report, the refusal if any)`.
fn validate_on_server(file: &str) -> (i32, Value, String) {
    let dir = tempfile::tempdir().expect("a scratch dir");
    let db = format!("sqlite:{}", dir.path().join("db.sqlite3").display());
    let server = crate::serve::ServeServer::start(&db, &dir.path().join("data"), &[]);
    let graph = std::fs::read(file).expect("the case's graph file");
    match server.post_raw("workflows/validate", graph, "application/json") {
        (200, report) => (if report["valid"] == true { 0 } else { 1 }, report, String::new()),
        (400, answer) => (2, Value::Null, answer.to_string()),
        (status, answer) => (-1, Value::Null, format!("{status} {answer}")),
    }
}

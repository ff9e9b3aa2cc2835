//! Editor-facing commands: `runtara lsp` driven over stdio like an editor does (diagnostics
//! with ranges, completion, hover, diagnostics clearing once fixed), `runtara validate`'s
//! rustc-style findings with line and column, shell completions and the man page.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

use runtara_e2e::cli::{runtara, runtara_bin};
use serde_json::{json, Value};

/// A document with two errors: an unknown capability (line 3) and an edge to a missing step
/// (line 7).
const BROKEN: &str = r#"{
  "entryPoint": "a",
  "steps": {
    "a": { "stepType": "Agent", "id": "a", "agentId": "utils", "capabilityId": "no-such-capability" },
    "b": { "stepType": "Finish", "id": "b" }
  },
  "executionPlan": [ { "fromStep": "a", "toStep": "b" }, { "fromStep": "a", "toStep": "ghost", "label": "onError" } ]
}
"#;

struct Lsp {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    child: std::process::Child,
    next: u64,
}

impl Lsp {
    fn start() -> Lsp {
        let mut child = Command::new(runtara_bin())
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("runtara lsp starts");
        let (stdin, stdout) = (child.stdin.take().unwrap(), BufReader::new(child.stdout.take().unwrap()));
        Lsp { stdin, stdout, child, next: 1 }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn read(&mut self) -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                len = n.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.read();
            if m["id"] == id {
                return m;
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics the server publishes.
    fn diagnostics(&mut self) -> Vec<Value> {
        loop {
            let m = self.read();
            if m["method"] == "textDocument/publishDiagnostics" {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

#[test]
fn the_language_server_reports_completes_hovers_and_clears() {
    let mut lsp = Lsp::start();
    let init = lsp.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
    assert!(init["result"]["capabilities"]["completionProvider"].is_object(), "{init}");
    lsp.notify("initialized", json!({}));
    let uri = "file:///tmp/order.json";
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": BROKEN}}),
    );
    let diags = lsp.diagnostics();
    assert_eq!(diags.len(), 2, "{diags:?}");
    let line_of = |needle: &str| {
        diags.iter().find(|d| d["message"].as_str().unwrap().contains(needle)).map(|d| d["range"].clone())
    };
    let cap = line_of("no-such-capability").expect("the unknown capability is reported");
    let text_line = BROKEN.lines().nth(3).unwrap();
    let col = text_line.find("\"no-such-capability\"").unwrap() as u64;
    assert_eq!(cap["start"], json!({"line": 3, "character": col}), "{cap}");
    assert_eq!(cap["end"]["character"].as_u64(), Some(col + "\"no-such-capability\"".len() as u64));
    let ghost = line_of("ghost").expect("the missing step is reported");
    assert_eq!(ghost["start"]["line"], 6, "{ghost}");

    let at = text_line.find("no-such").unwrap() as u64;
    let items = lsp.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": at}}),
    );
    let labels: Vec<&str> = items["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(
        labels.contains(&"random-double") && !labels.contains(&"http-request"),
        "utils capabilities only: {labels:?}"
    );
    let hover = lsp
        .request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": at}}));
    assert_eq!(hover["result"], Value::Null, "an unknown capability has no inputs to show");

    let fixed = BROKEN
        .replace("no-such-capability", "random-double")
        .replace(r#", { "fromStep": "a", "toStep": "ghost", "label": "onError" }"#, "");
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(lsp.diagnostics(), Vec::<Value>::new(), "fixed: the diagnostics clear");
    let hover = lsp
        .request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": at}}));
    assert!(
        hover["result"]["contents"]["value"].as_str().unwrap_or_default().contains("utils.random-double"),
        "{hover}"
    );

    let shutdown = lsp.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    lsp.notify("exit", Value::Null);
    assert!(lsp.child.wait().unwrap().success());
}

#[test]
fn validate_points_into_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("order.json");
    std::fs::write(&file, BROKEN).unwrap();
    let o = runtara(&["validate", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("--> {}:4:", file.display())), "file:line:column of the capability: {text}");
    assert!(
        text.contains("\"capabilityId\": \"no-such-capability\"") && text.contains("^^^"),
        "the JSON, underlined: {text}"
    );
    assert!(text.contains("help:"), "{text}");
    let o = runtara(&["validate", file.to_str().unwrap(), "--format", "json"]);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut lines: Vec<u64> =
        report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    lines.sort();
    assert_eq!(lines, vec![4, 7], "{report}");
}

#[test]
fn completions_and_man_pages_are_generated() {
    let bash = runtara(&["completions", "bash"]);
    let script = String::from_utf8_lossy(&bash.stdout);
    assert!(
        bash.status.success() && script.contains("runtara") && script.contains("validate") && script.contains("graph")
    );
    let man = runtara(&["man"]);
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(man.status.success() && page.contains(".TH runtara"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    assert!(runtara(&["man", "--dir", dir.path().to_str().unwrap()]).status.success());
    assert!(dir.path().join("runtara.1").is_file() && dir.path().join("runtara-graph.1").is_file());
}

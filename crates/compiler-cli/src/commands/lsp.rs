//! `runtara lsp`: a Language Server over stdio (lsp-server) for workflow JSON files —
//! diagnostics as you type, completion, hover — answering from `runtara_compiler::ide`.

use std::collections::HashMap;
use std::process::ExitCode;

use lsp_server::{Connection, Message, Notification, Request, Response};
use runtara_compiler::ide;
use serde_json::{json, Value};

use crate::error::{CliError, Result};

/// Serve the Language Server Protocol on stdin/stdout for workflow JSON files.
///
/// Diagnostics (the validator's codes, on the offending value) as you type; completion of
/// step types, agent and capability ids, capability input names and step ids; hover on a
/// capabilityId shows its inputs. Editors start it themselves: see the README's *Editor
/// support*.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs until the client sends `shutdown` and `exit`. Exit 0; 1 when the connection fails.
pub fn run(_args: Args) -> Result<ExitCode> {
    let failed = |e: &dyn std::fmt::Display| CliError::failed(format!("language server: {e}"));
    let (connection, io) = Connection::stdio();
    let capabilities = json!({
        "textDocumentSync": 1,
        "completionProvider": {"triggerCharacters": ["\"", "."]},
        "hoverProvider": true,
    });
    connection.initialize(capabilities).map_err(|e| failed(&e))?;
    let mut documents: HashMap<String, String> = HashMap::new();
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req).map_err(|e| failed(&e))? {
                    break;
                }
                let response = answer(&documents, req);
                connection.sender.send(Message::Response(response)).map_err(|e| failed(&e))?;
            }
            Message::Notification(n) => {
                let Some(uri) = n.params["textDocument"]["uri"].as_str().map(str::to_string) else { continue };
                match n.method.as_str() {
                    "textDocument/didOpen" => {
                        documents.insert(uri.clone(), n.params["textDocument"]["text"].as_str().unwrap_or("").into());
                    }
                    // Full sync: the last change is the whole document.
                    "textDocument/didChange" => {
                        let changes = n.params["contentChanges"].as_array();
                        if let Some(text) = changes.and_then(|c| c.last()).and_then(|c| c["text"].as_str()) {
                            documents.insert(uri.clone(), text.to_string());
                        }
                    }
                    "textDocument/didClose" => {
                        documents.remove(&uri);
                    }
                    _ => continue,
                }
                let diagnostics = documents.get(&uri).map(|t| diagnostics(t)).unwrap_or_default();
                let publish = Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    json!({"uri": uri, "diagnostics": diagnostics}),
                );
                connection.sender.send(Message::Notification(publish)).map_err(|e| failed(&e))?;
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io.join().map_err(|e| failed(&e))?;
    Ok(ExitCode::SUCCESS)
}

/// The LSP diagnostics of a document.
fn diagnostics(text: &str) -> Vec<Value> {
    let at = |(line, character): (u32, u32)| json!({"line": line, "character": character});
    ide::findings(text)
        .into_iter()
        .map(|f| {
            json!({
                "range": {"start": at(f.start), "end": at(f.end)},
                "severity": if f.error { 1 } else { 2 },
                "code": f.code, "source": "runtara", "message": f.message,
            })
        })
        .collect()
}

/// Completion and hover; anything else is `MethodNotFound`.
fn answer(documents: &HashMap<String, String>, req: Request) -> Response {
    let p = &req.params;
    let text = p["textDocument"]["uri"].as_str().and_then(|u| documents.get(u)).map(String::as_str).unwrap_or("");
    let (line, character) =
        (p["position"]["line"].as_u64().unwrap_or(0) as u32, p["position"]["character"].as_u64().unwrap_or(0) as u32);
    match req.method.as_str() {
        "textDocument/completion" => {
            let items: Vec<Value> = ide::completions(text, line, character)
                .into_iter()
                .map(|c| json!({"label": c.label, "detail": c.detail, "kind": 12}))
                .collect();
            Response::new_ok(req.id, items)
        }
        "textDocument/hover" => {
            let hover =
                ide::hover(text, line, character).map(|md| json!({"contents": {"kind": "markdown", "value": md}}));
            Response::new_ok(req.id, hover)
        }
        other => Response::new_err(req.id, -32601, format!("runtara lsp does not answer {other}")),
    }
}

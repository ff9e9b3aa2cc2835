//! The artifact cache of `runtara run FILE.json` (hardening item 9): the same graph under
//! another file name bakes in another workflow id, so it is another artifact; an edited
//! file is recompiled.

use runtara_e2e::cli::runtara_command;

const GRAPH: &str = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f",
  "inputMapping":{"workflow":{"valueType":"reference","value":"variables._workflow_id"}}}}}"#;

fn run(dir: &std::path::Path, file: &str) -> String {
    let o = runtara_command()
        .env("RUNTARA_CACHE_DIR", dir.join("cache"))
        .current_dir(dir)
        .args(["run", file, "--target", "native", "--input", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runtara starts");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn the_same_graph_under_another_name_is_another_artifact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders.json"), GRAPH).unwrap();
    std::fs::write(dir.path().join("invoices.json"), GRAPH).unwrap();
    assert_eq!(run(dir.path(), "orders.json"), r#"{"workflow":"orders"}"#);
    assert_eq!(run(dir.path(), "invoices.json"), r#"{"workflow":"invoices"}"#);
    // An edited graph is compiled again, not served from the cache.
    std::fs::write(dir.path().join("orders.json"), GRAPH.replace("\"workflow\"", "\"name\"")).unwrap();
    assert_eq!(run(dir.path(), "orders.json"), r#"{"name":"orders"}"#);
}

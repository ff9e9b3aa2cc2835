//! Rules of the codebase that the compiler and clippy do not check (ARCHITECTURE "Hygiene"):
//! every public item has a doc comment, no source names a path of one machine, no
//! `todo!`/`unimplemented!`/`dbg!` is left behind, and no source file outgrows 500 lines
//! (generated goldens excepted).

use std::path::{Path, PathBuf};

use runtara_e2e::cli::workspace_root;

/// Every `.rs` file of the project's own code (crates, the test harness, xtask), minus the
/// generated goldens.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | "node_modules" | "expanded") {
                    walk(&path, out);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    let root = workspace_root();
    let mut out = Vec::new();
    for dir in ["crates", "tests", "xtask"] {
        walk(&root.join(dir), &mut out);
    }
    out.sort();
    out
}

fn relative(p: &Path) -> String {
    p.strip_prefix(workspace_root()).unwrap_or(p).display().to_string()
}

#[test]
fn public_items_have_doc_comments() {
    let kinds = ["fn ", "struct ", "enum ", "trait ", "type ", "const ", "static ", "unsafe fn ", "async fn "];
    let mut missing = Vec::new();
    for path in sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let Some(rest) = t.strip_prefix("pub ") else { continue };
            if !kinds.iter().any(|k| rest.starts_with(k)) || line.contains('$') {
                continue; // not an item, or a macro template
            }
            // Walk up over attributes and plain comments to the doc comment.
            let documented = lines[..i]
                .iter()
                .rev()
                .map(|l| l.trim())
                .find(|l| !(l.starts_with("#[") || l.starts_with("//") && !l.starts_with("///")))
                .is_some_and(|l| l.starts_with("///"));
            if !documented {
                missing.push(format!("{}:{}: {}", relative(&path), i + 1, t));
            }
        }
    }
    assert!(missing.is_empty(), "public items without a doc comment:\n{}", missing.join("\n"));
}

#[test]
fn no_machine_paths_or_leftovers() {
    // Built from pieces so this file does not trip its own check.
    let forbidden = [
        ["/work", "/"].concat(),
        ["/var/", "tmp/"].concat(),
        ["/ro", "ot/"].concat(),
        ["/home", "/"].concat(),
        ["todo", "!("].concat(),
        ["unimplemented", "!("].concat(),
        ["dbg", "!("].concat(),
    ];
    let mut found = Vec::new();
    for path in sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            for f in &forbidden {
                if line.contains(f.as_str()) {
                    found.push(format!("{}:{}: `{f}` in {}", relative(&path), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "machine-specific paths or leftovers:\n{}", found.join("\n"));
}

#[test]
fn source_files_stay_under_500_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap().lines().count();
            (n > 500).then(|| format!("{}: {n} lines", relative(&p)))
        })
        .collect();
    assert!(long.is_empty(), "split these into modules with one job each:\n{}", long.join("\n"));
}

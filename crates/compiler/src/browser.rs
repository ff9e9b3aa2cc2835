//! Packaging a wasm32-unknown-unknown build as a browser/Node ES module (DESIGN §5): the JS
//! glue comes from wasm-bindgen used as a library (`wasm-bindgen-cli-support`, the same
//! version as the `wasm-bindgen` the prebuilt stdlib links), so no CLI install is needed.
//!
//! Layout of the output directory: `<name>.wasm`, `<name>.js` (ES module: default export
//! `init`, named export `run`), `<name>.d.ts`, and `snippets/` (the stdlib's IndexedDB glue).

use std::fs;
use std::path::Path;

use crate::CompileError;

/// Runs wasm-bindgen on `wasm` and writes the package into `staging` (then
/// [`replace_dir`] moves it to the output).
///
/// Errors: wasm-bindgen rejects the module (a compiler bug), or the files cannot be written.
/// `release` drops the name and producers sections (function names for stack traces).
pub fn generate(wasm: &Path, name: &str, staging: &Path, release: bool) -> Result<(), CompileError> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .remove_name_section(release)
        .remove_producers_section(release)
        .out_name(name)
        .typescript(true)
        .omit_default_module_path(false)
        .web(true)
        .map_err(|e| CompileError::Artifact(format!("wasm-bindgen: {e:#}")))?;
    bindgen.generate(staging).map_err(|e| CompileError::Artifact(format!("wasm-bindgen: {e:#}")))?;
    let io = |e: std::io::Error| CompileError::Io(format!("cannot write the module into {}: {e}", staging.display()));
    // `<name>.wasm` rather than wasm-bindgen's `<name>_bg.wasm`: the glue loads it by name.
    let bg = format!("{name}_bg.wasm");
    fs::rename(staging.join(&bg), staging.join(format!("{name}.wasm"))).map_err(io)?;
    let _ = fs::rename(staging.join(format!("{bg}.d.ts")), staging.join(format!("{name}.wasm.d.ts")));
    let js_path = staging.join(format!("{name}.js"));
    let js = fs::read_to_string(&js_path).map_err(io)?;
    fs::write(&js_path, js.replace(&format!("'{bg}'"), &format!("'{name}.wasm'"))).map_err(io)
}

/// The marker file a module directory carries: it says the directory was written by
/// runtara and lists every file in it, so a later compile replaces only what runtara wrote.
pub const MARKER: &str = ".runtara-module";

/// Moves the finished package `from` to `to`, which must be absent, empty, or a module
/// directory written earlier by runtara (it carries [`MARKER`] and holds only the files the
/// marker lists). Anything else is refused: the compiler never deletes what it did not
/// write (a `keep.txt` beside an old module, or `-o .` in a directory of sources).
///
/// The old module is moved aside under a fresh name and removed only after the new one is
/// in place. Errors: [`CompileError::Io`] naming the directory and what to do.
pub fn replace_dir(from: &Path, to: &Path) -> Result<(), CompileError> {
    let io = |e: std::io::Error| CompileError::Io(format!("cannot move the module to {}: {e}", to.display()));
    let files = list_files(from).map_err(io)?;
    fs::write(from.join(MARKER), marker_text(&files)).map_err(io)?;
    if !to.exists() {
        return fs::rename(from, to).map_err(io);
    }
    // `-o .` and friends: work on the real path, whose parent is a real directory.
    let to = &to.canonicalize().map_err(io)?;
    if !to.is_dir() {
        return Err(CompileError::Output(format!(
            "{} exists and is not a directory; wasm32-unknown-unknown writes a directory, give `-o` a new or module directory",
            to.display()
        )));
    }
    let existing = list_files(to).map_err(io)?;
    if existing.is_empty() {
        // Empty directories hold nothing to lose; `remove_dir` refuses if that changed.
        fs::remove_dir(to).map_err(io)?;
        return fs::rename(from, to).map_err(io);
    }
    check_replaceable(to, &existing)?;
    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let aside = tempfile::Builder::new().prefix(".runtara-old-").tempdir_in(parent).map_err(io)?;
    let old = aside.path().join("module");
    fs::rename(to, &old).map_err(io)?;
    if let Err(e) = fs::rename(from, to) {
        // Put the old module back: a failed compile leaves what was there.
        let _ = fs::rename(&old, to);
        return Err(io(e));
    }
    Ok(()) // `aside` (holding only the old module's files) is removed on drop.
}

/// Refuses to replace `dir` unless it carries our marker and holds only the files it lists.
fn check_replaceable(dir: &Path, existing: &[String]) -> Result<(), CompileError> {
    let refuse = |why: String| {
        CompileError::Output(format!(
            "refusing to replace {}: {why}; runtara only replaces a module directory it wrote. \
             Choose another `-o` directory, or move the files away",
            dir.display()
        ))
    };
    let listed: Vec<String> = match fs::read_to_string(dir.join(MARKER)) {
        Ok(text) => text.lines().skip(1).map(str::to_string).collect(),
        Err(_) => return Err(refuse(format!("it is not empty and has no {MARKER} marker"))),
    };
    match existing.iter().find(|f| f.as_str() != MARKER && !listed.contains(f)) {
        Some(extra) => Err(refuse(format!("it holds {extra}, which runtara did not write"))),
        None => Ok(()),
    }
}

/// The marker's text: a header line, then one relative path per line.
fn marker_text(files: &[String]) -> String {
    let mut text = String::from("# written by runtara compile (a module directory); files:\n");
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    text
}

/// Every file under `dir` (recursively), as `/`-separated relative paths, sorted.
/// Directories are not listed; a symlink counts as a file (never followed).
fn list_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        for entry in fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), rel));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

//! The `file` agent (agents.md §5.3, 10 capabilities): files in the workspace directory
//! `RUNTARA_WORKSPACE_DIR` (`runtara run --workspace DIR`; on WASI a preopen the runner
//! maps to `/workspace`). Paths are relative to it with `/` separators; absolute paths, `..`
//! and (natively) symlinks that resolve outside it are refused with `PATH_OUTSIDE_WORKSPACE`
//! — on WASI the preopen itself confines every access. Reads stop at
//! `RUNTARA_MAX_READ_SIZE` bytes and writes at `RUNTARA_MAX_FILE_SIZE` (default 64 MiB
//! each). Writes go to a temporary file renamed into place, so a failed write never leaves a
//! half-written file, and they refuse to replace a file unless `overwrite` is true.

use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use crate::error::{invalid_input, permanent};
use crate::input::{bool_or, bytes, opt_str, req_str, str_or};

/// The environment variable naming the workspace directory.
pub const WORKSPACE_ENV: &str = "RUNTARA_WORKSPACE_DIR";
/// Default read and write limit: 64 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

fn limit(var: &str) -> u64 {
    std::env::var(var).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(DEFAULT_MAX_SIZE)
}

fn io_error(path: &str, e: std::io::Error) -> Value {
    let code = match e.kind() {
        std::io::ErrorKind::NotFound => "FILE_NOT_FOUND",
        std::io::ErrorKind::AlreadyExists => "FILE_EXISTS",
        std::io::ErrorKind::PermissionDenied => "PERMISSION_DENIED",
        _ => "FILE_ERROR",
    };
    // The kind, not the OS text: messages stay the same on every target (WASI errnos differ).
    permanent(code, format!("{path}: {}", e.kind()))
}

fn workspace() -> Result<PathBuf, Value> {
    match std::env::var_os(WORKSPACE_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Err(permanent(
            "NO_WORKSPACE",
            "the file agent needs a workspace directory: run with --workspace DIR (or set RUNTARA_WORKSPACE_DIR)",
        )),
    }
}

/// The host path of workspace path `rel`. Errors: `PATH_OUTSIDE_WORKSPACE` for an absolute
/// path, a `..` component, or (natively) a symlink resolving outside the workspace.
fn resolve(rel: &str) -> Result<PathBuf, Value> {
    let outside = || {
        permanent(
            "PATH_OUTSIDE_WORKSPACE",
            format!("'{rel}' is outside the workspace; use a relative path without '..'"),
        )
    };
    let root = workspace()?;
    let mut path = root.clone();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return Err(outside()),
        }
    }
    #[cfg(not(target_os = "wasi"))]
    {
        // The deepest existing ancestor, symlinks resolved, must stay under the workspace.
        let root = fs::canonicalize(&root).map_err(|e| io_error("workspace", e))?;
        let existing = path.ancestors().find(|p| fs::symlink_metadata(p).is_ok()).unwrap_or(&root);
        let real = fs::canonicalize(existing).map_err(|_| outside())?;
        if !real.starts_with(&root) {
            return Err(outside());
        }
    }
    Ok(path)
}

/// Writes `data` to `path` through a temporary file beside it, renamed into place.
fn write_atomically(path: &Path, rel: &str, data: &[u8]) -> Result<(), Value> {
    let name =
        path.file_name().and_then(|n| n.to_str()).ok_or_else(|| invalid_input(format!("'{rel}' names no file")))?;
    let tmp = path.with_file_name(format!(".{name}.runtara-tmp"));
    fs::write(&tmp, data).and_then(|()| fs::rename(&tmp, path)).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(rel, e)
    })
}

fn check_write_size(rel: &str, size: u64) -> Result<(), Value> {
    let max = limit("RUNTARA_MAX_FILE_SIZE");
    if size > max {
        return Err(permanent(
            "FILE_TOO_LARGE",
            format!("{rel}: {size} bytes exceed the write limit of {max} (RUNTARA_MAX_FILE_SIZE)"),
        ));
    }
    Ok(())
}

/// `file-write-file`: `{path, data, create_dirs?, overwrite?}` → `{path, size}`. `data` is
/// text (UTF-8), FileData (base64 `content`) or an array of bytes; `create_dirs` (default
/// false) creates missing parent directories; an existing file is replaced only with
/// `overwrite: true`. Errors: `FILE_EXISTS`, `FILE_TOO_LARGE`, `PATH_OUTSIDE_WORKSPACE`,
/// `FILE_NOT_FOUND` (missing parent), `FILE_ERROR`.
pub fn file_write_file(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    let path = resolve(rel)?;
    let data = bytes(input, "data")?;
    check_write_size(rel, data.len() as u64)?;
    if path.exists() && !bool_or(input, "overwrite", false)? {
        return Err(permanent("FILE_EXISTS", format!("{rel} exists; set overwrite: true to replace it")));
    }
    if bool_or(input, "create_dirs", false)? {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error(rel, e))?;
        }
    }
    write_atomically(&path, rel, &data)?;
    Ok(json!({"path": rel, "size": data.len()}))
}

/// `file-read-file`: `{path, response_format?}` → `{path, size, content}`: `content` is the
/// UTF-8 text (`text`, default) or base64 (`base64`, with `filename` and `mimeType`).
/// Errors: `FILE_NOT_FOUND`, `FILE_TOO_LARGE` (over `RUNTARA_MAX_READ_SIZE`),
/// `INVALID_ENCODING` for text that is not UTF-8.
pub fn file_read_file(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    let path = resolve(rel)?;
    let size = fs::metadata(&path).map_err(|e| io_error(rel, e))?.len();
    let max = limit("RUNTARA_MAX_READ_SIZE");
    if size > max {
        return Err(permanent(
            "FILE_TOO_LARGE",
            format!("{rel}: {size} bytes exceed the read limit of {max} (RUNTARA_MAX_READ_SIZE)"),
        ));
    }
    let data = fs::read(&path).map_err(|e| io_error(rel, e))?;
    match str_or(input, "response_format", "text")? {
        "text" => {
            let text = String::from_utf8(data).map_err(|_| {
                permanent("INVALID_ENCODING", format!("{rel} is not UTF-8 text; read it with response_format: base64"))
            })?;
            Ok(json!({"path": rel, "size": size, "content": text}))
        }
        "base64" => {
            let mut file = crate::compression::file_data(rel, &data);
            file["path"] = json!(rel);
            file["size"] = json!(size);
            Ok(file)
        }
        other => Err(invalid_input(format!("unknown response_format '{other}'; use text or base64"))),
    }
}

fn entry(rel: &str, meta: &fs::Metadata) -> Value {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    json!({"path": rel, "name": name, "size": meta.len(), "isDirectory": meta.is_dir()})
}

/// `file-list-files`: `{path?, recursive?, pattern?}` → `{files: [{path, name, size,
/// isDirectory}], count}` under `path` (default the workspace root), sorted by path;
/// `pattern` is a glob (`*.csv`) matched against names. Errors: `FILE_NOT_FOUND`, a bad glob.
pub fn file_list_files(input: &Value) -> Result<Value, Value> {
    let rel = str_or(input, "path", ".")?;
    let dir = resolve(rel)?;
    let pattern = opt_str(input, "pattern")?
        .map(|p| glob::Pattern::new(p).map_err(|e| invalid_input(format!("bad glob '{p}': {e}"))))
        .transpose()?;
    let recursive = bool_or(input, "recursive", false)?;
    let prefix = rel.trim_start_matches("./").trim_end_matches('/');
    let prefix = if prefix == "." { "" } else { prefix };
    let mut files = Vec::new();
    let mut pending = vec![(dir, prefix.to_string())];
    while let Some((dir, rel_dir)) = pending.pop() {
        for e in fs::read_dir(&dir).map_err(|e| io_error(rel, e))? {
            let e = e.map_err(|e| io_error(rel, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".runtara-tmp") {
                continue;
            }
            let path = if rel_dir.is_empty() { name.clone() } else { format!("{rel_dir}/{name}") };
            let meta = e.metadata().map_err(|e| io_error(&path, e))?;
            if recursive && meta.is_dir() {
                pending.push((e.path(), path.clone()));
            }
            if pattern.as_ref().is_none_or(|p| p.matches(&name)) {
                files.push(entry(&path, &meta));
            }
        }
    }
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    Ok(json!({"count": files.len(), "files": files}))
}

/// `file-delete-file`: `{path, recursive?}` → `{deleted: true, path}`; a directory needs
/// `recursive: true` unless empty. Errors: `FILE_NOT_FOUND`, `DIRECTORY_NOT_EMPTY`, the
/// workspace root itself.
pub fn file_delete_file(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    let path = resolve(rel)?;
    if path == workspace()? || Path::new(rel).components().all(|c| c == Component::CurDir) {
        return Err(invalid_input("refusing to delete the workspace itself"));
    }
    let meta = fs::symlink_metadata(&path).map_err(|e| io_error(rel, e))?;
    let recursive = bool_or(input, "recursive", false)?;
    // Checked here: WASI reports a non-empty directory as an uncategorised error.
    if meta.is_dir() && !recursive && fs::read_dir(&path).map_err(|e| io_error(rel, e))?.next().is_some() {
        return Err(permanent(
            "DIRECTORY_NOT_EMPTY",
            format!("{rel} is a directory with entries; set recursive: true"),
        ));
    }
    let done = match (meta.is_dir(), recursive) {
        (true, true) => fs::remove_dir_all(&path),
        (true, false) => fs::remove_dir(&path),
        (false, _) => fs::remove_file(&path),
    };
    done.map_err(|e| io_error(rel, e))?;
    Ok(json!({"deleted": true, "path": rel}))
}

/// `file-file-exists`: `{path}` → `{exists, is_directory, size?}` (size of files only).
pub fn file_file_exists(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    Ok(match fs::metadata(resolve(rel)?) {
        Ok(m) if m.is_dir() => json!({"exists": true, "is_directory": true}),
        Ok(m) => json!({"exists": true, "is_directory": false, "size": m.len()}),
        Err(_) => json!({"exists": false, "is_directory": false}),
    })
}

fn copy_or_move(input: &Value, moving: bool) -> Result<Value, Value> {
    let (src_rel, dst_rel) = (req_str(input, "source")?, req_str(input, "destination")?);
    let (src, dst) = (resolve(src_rel)?, resolve(dst_rel)?);
    let meta = fs::metadata(&src).map_err(|e| io_error(src_rel, e))?;
    if meta.is_dir() {
        return Err(invalid_input(format!("{src_rel} is a directory; only files are copied or moved")));
    }
    if dst.exists() && !bool_or(input, "overwrite", false)? {
        return Err(permanent("FILE_EXISTS", format!("{dst_rel} exists; set overwrite: true to replace it")));
    }
    if moving {
        fs::rename(&src, &dst).map_err(|e| io_error(dst_rel, e))?;
    } else {
        check_write_size(dst_rel, meta.len())?;
        let data = fs::read(&src).map_err(|e| io_error(src_rel, e))?;
        write_atomically(&dst, dst_rel, &data)?;
    }
    Ok(json!({"source": src_rel, "destination": dst_rel, "size": meta.len()}))
}

/// `file-copy-file`: `{source, destination, overwrite?}` → `{source, destination, size}`.
/// Errors: `FILE_NOT_FOUND`, `FILE_EXISTS` (without `overwrite`), a directory source.
pub fn file_copy_file(input: &Value) -> Result<Value, Value> {
    copy_or_move(input, false)
}

/// `file-move-file`: as [`file_copy_file`], the source removed (a rename).
pub fn file_move_file(input: &Value) -> Result<Value, Value> {
    copy_or_move(input, true)
}

/// `file-create-directory`: `{path, recursive?}` → `{path, created}` (`created` false when
/// it existed); `recursive` (default true) creates missing parents. Errors: `FILE_EXISTS`
/// for a file in the way, `FILE_NOT_FOUND` for a missing parent without `recursive`.
pub fn file_create_directory(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    let path = resolve(rel)?;
    if path.is_dir() {
        return Ok(json!({"path": rel, "created": false}));
    }
    let made = if bool_or(input, "recursive", true)? { fs::create_dir_all(&path) } else { fs::create_dir(&path) };
    made.map_err(|e| io_error(rel, e))?;
    Ok(json!({"path": rel, "created": true}))
}

/// `file-get-file-info`: `{path}` → `{path, name, extension?, size, is_directory, modified,
/// mime_type?}`; `modified` is ISO 8601 UTC (seconds), `mime_type` guessed from the
/// extension. Errors: `FILE_NOT_FOUND`.
pub fn file_get_file_info(input: &Value) -> Result<Value, Value> {
    let rel = req_str(input, "path")?;
    let meta = fs::metadata(resolve(rel)?).map_err(|e| io_error(rel, e))?;
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let mut info = json!({"path": rel, "name": name, "size": meta.len(), "is_directory": meta.is_dir()});
    if let Some(t) = meta.modified().ok().map(chrono::DateTime::<chrono::Utc>::from) {
        info["modified"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    if let Some(ext) = Path::new(name).extension().and_then(|e| e.to_str()).filter(|_| meta.is_file()) {
        info["extension"] = json!(ext);
        if let Some(mime) = mime_guess::from_ext(ext).first_raw() {
            info["mime_type"] = json!(mime);
        }
    }
    Ok(info)
}

/// `file-append-file`: `{path, data, create_if_missing?, newline?}` → `{path, size}` (the
/// new size); `create_if_missing` defaults to true; `newline` adds `\n` after the data.
/// Errors: `FILE_NOT_FOUND` (without `create_if_missing`), `FILE_TOO_LARGE`.
pub fn file_append_file(input: &Value) -> Result<Value, Value> {
    use std::io::Write;
    let rel = req_str(input, "path")?;
    let path = resolve(rel)?;
    let mut data = bytes(input, "data")?;
    if bool_or(input, "newline", false)? {
        data.push(b'\n');
    }
    let before = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    check_write_size(rel, before + data.len() as u64)?;
    let mut file = fs::OpenOptions::new()
        .append(true)
        .create(bool_or(input, "create_if_missing", true)?)
        .open(&path)
        .map_err(|e| io_error(rel, e))?;
    file.write_all(&data).map_err(|e| io_error(rel, e))?;
    Ok(json!({"path": rel, "size": before + data.len() as u64}))
}

//! The `compression` agent (agents.md §5.3): zip archives in memory with the `zip` crate
//! (deflate through flate2's pure-Rust backend), so every hosted target has it. Archives and
//! files travel as FileData `{content: <base64>, filename?, mimeType?}`; a plain string
//! archive is base64. Archives written here are reproducible: every entry is dated
//! 1980-01-01. Extraction refuses zip bombs: more than [`MAX_EXTRACTED_BYTES`] in all, or an
//! entry that inflates more than [`MAX_RATIO`] times.

use std::io::{Cursor, Read, Write};

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::error::{invalid_input, permanent};
use crate::input::{base64_or_file, opt_i64, opt_str, str_or, to_base64};

/// Most bytes one call extracts (all entries together): 256 MiB.
pub const MAX_EXTRACTED_BYTES: u64 = 256 << 20;
/// Largest uncompressed / compressed size ratio of an entry larger than 1 MiB.
pub const MAX_RATIO: u64 = 100;

fn check_format(input: &serde_json::Value) -> Result<(), Value> {
    match str_or(input, "format", "zip")? {
        "zip" => Ok(()),
        other => Err(invalid_input(format!("unsupported archive format '{other}'; use zip"))),
    }
}

fn zip_error(e: zip::result::ZipError) -> Value {
    permanent("INVALID_ARCHIVE", format!("not a readable zip archive: {e}"))
}

fn open(input: &Value) -> Result<ZipArchive<Cursor<Vec<u8>>>, Value> {
    check_format(input)?;
    ZipArchive::new(Cursor::new(base64_or_file(input, "archive")?)).map_err(zip_error)
}

/// `create-archive`: `{files, format?, compressionLevel?, archiveName?}` → FileData
/// `{content, filename, mimeType: "application/zip"}`. Each file is `{path | filename,
/// content}` with `content` base64 (FileData) or `{path, text}` with UTF-8 text; level 0
/// stores, 1–9 deflate (default 6); `archiveName` defaults to `archive.zip`. Errors: a file
/// without a name or content, a duplicate name, a level outside 0–9.
pub fn create_archive(input: &Value) -> Result<Value, Value> {
    check_format(input)?;
    let level = opt_i64(input, "compressionLevel")?.unwrap_or(6);
    if !(0..=9).contains(&level) {
        return Err(invalid_input(format!("compressionLevel must be 0-9, got {level}")));
    }
    let method = if level == 0 { CompressionMethod::Stored } else { CompressionMethod::Deflated };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level((level > 0).then_some(level))
        .last_modified_time(zip::DateTime::default());
    let Some(Value::Array(files)) = crate::input::field(input, "files") else {
        return Err(invalid_input("'files' must be an array of {path, content} objects"));
    };
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (i, file) in files.iter().enumerate() {
        let name = match (opt_str(file, "path")?, opt_str(file, "filename")?) {
            (Some(n), _) | (None, Some(n)) if !n.is_empty() => n,
            _ => return Err(invalid_input(format!("files[{i}] needs a 'path' or 'filename'"))),
        };
        let data = match opt_str(file, "text")? {
            Some(text) => text.as_bytes().to_vec(),
            None => base64_or_file(file, "content")
                .map_err(|_| invalid_input(format!("files[{i}] ('{name}') needs base64 'content' or 'text'")))?,
        };
        zip.start_file(name, options).map_err(|e| invalid_input(format!("files[{i}] ('{name}'): {e}")))?;
        zip.write_all(&data).map_err(|e| permanent("ARCHIVE_ERROR", e.to_string()))?;
    }
    let archive = zip.finish().map_err(|e| permanent("ARCHIVE_ERROR", e.to_string()))?.into_inner();
    Ok(json!({
        "content": to_base64(&archive),
        "filename": str_or(input, "archiveName", "archive.zip")?,
        "mimeType": "application/zip",
    }))
}

/// Reads entry `index` whole, within the remaining `budget` of bytes and the ratio limit.
/// Errors: `ARCHIVE_TOO_LARGE`, `INVALID_ARCHIVE` (corrupt data, encrypted entries).
fn read_entry(
    zip: &mut ZipArchive<Cursor<Vec<u8>>>,
    index: usize,
    budget: &mut u64,
) -> Result<(String, Vec<u8>), Value> {
    let entry = zip.by_index(index).map_err(zip_error)?;
    let name = entry.name().to_string();
    let packed = entry.compressed_size().max(1);
    let limit = (*budget).min(packed.saturating_mul(MAX_RATIO).max(1 << 20));
    let mut out = Vec::new();
    entry.take(limit + 1).read_to_end(&mut out).map_err(|e| permanent("INVALID_ARCHIVE", format!("{name}: {e}")))?;
    if out.len() as u64 > limit {
        return Err(permanent(
            "ARCHIVE_TOO_LARGE",
            format!("'{name}' inflates past {limit} bytes (limits: {MAX_EXTRACTED_BYTES} bytes in all, {MAX_RATIO}x per entry): refused as a possible zip bomb"),
        ));
    }
    *budget -= out.len() as u64;
    Ok((name, out))
}

pub(crate) fn file_data(path: &str, content: &[u8]) -> Value {
    let filename = path.rsplit('/').next().unwrap_or(path);
    let mime = mime_guess::from_path(filename).first_raw().unwrap_or("application/octet-stream");
    json!({"content": to_base64(content), "filename": filename, "mimeType": mime})
}

/// `extract-archive`: `{archive, format?}` → `{files: [{path, content, size}], count}` for
/// every file entry (directories skipped), `content` base64. Errors: `INVALID_ARCHIVE`,
/// `ARCHIVE_TOO_LARGE` (zip bomb limits).
pub fn extract_archive(input: &Value) -> Result<Value, Value> {
    let mut zip = open(input)?;
    let mut budget = MAX_EXTRACTED_BYTES;
    let mut files = Vec::new();
    for i in 0..zip.len() {
        if zip.by_index_raw(i).map_err(zip_error)?.is_dir() {
            continue;
        }
        let (path, data) = read_entry(&mut zip, i, &mut budget)?;
        files.push(json!({"path": path, "content": to_base64(&data), "size": data.len()}));
    }
    Ok(json!({"count": files.len(), "files": files}))
}

/// `extract-file`: `{archive, filePath, format?}` → FileData `{content, filename, mimeType}`
/// of one entry (mime type guessed from the extension). Errors: `FILE_NOT_FOUND`,
/// `INVALID_ARCHIVE`, `ARCHIVE_TOO_LARGE`.
pub fn extract_file(input: &Value) -> Result<Value, Value> {
    let mut zip = open(input)?;
    let path = crate::input::req_str(input, "filePath")?;
    let Some(index) = zip.index_for_name(path) else {
        return Err(permanent("FILE_NOT_FOUND", format!("the archive has no entry '{path}'")));
    };
    let mut budget = MAX_EXTRACTED_BYTES;
    let (_, data) = read_entry(&mut zip, index, &mut budget)?;
    Ok(file_data(path, &data))
}

/// `list-archive`: `{archive, format?}` → `{entries: [{path, size, compressedSize,
/// isDirectory}], totalCount, totalSize, format}` from the central directory (sizes as
/// declared). Errors: `INVALID_ARCHIVE`.
pub fn list_archive(input: &Value) -> Result<Value, Value> {
    let mut zip = open(input)?;
    let mut entries = Vec::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let e = zip.by_index_raw(i).map_err(zip_error)?;
        total += e.size();
        entries.push(json!({"path": e.name(), "size": e.size(), "compressedSize": e.compressed_size(), "isDirectory": e.is_dir()}));
    }
    Ok(json!({"entries": entries, "totalCount": entries.len(), "totalSize": total, "format": "zip"}))
}

//! Bytes and encodings for the `text` agent (agents.md §5.3): WHATWG encodings through
//! `encoding_rs` (labels such as `utf-8`, `latin1`, `windows-1252`, `shift_jis`), detection
//! through `chardetng` (Firefox's detector), base64, and SHA-256.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use encoding_rs::Encoding;
use serde_json::{json, Map, Value};
use sha2::Digest;

use crate::error::{invalid_input, permanent};
use crate::input::{bool_or, bytes, opt_str, str_or, text, to_base64 as base64_of};

/// The encoding of `label` (WHATWG labels, case-insensitive). Errors: an unknown label.
pub(crate) fn encoding(label: &str) -> Result<&'static Encoding, Value> {
    Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        invalid_input(format!("unknown encoding '{label}'; use a WHATWG label such as utf-8, latin1 or shift_jis"))
    })
}

/// `bytes` decoded as `label`, a byte-order mark of that encoding skipped. Errors:
/// `INVALID_ENCODING` for bytes that are malformed in it (invalid UTF-8 included).
pub(crate) fn decode(bytes: &[u8], label: &str) -> Result<String, Value> {
    let enc = encoding(label)?;
    let (bom_len, enc) = match Encoding::for_bom(bytes) {
        Some((bom_enc, len)) if bom_enc == enc => (len, enc),
        _ => (0, enc),
    };
    enc.decode_without_bom_handling_and_without_replacement(&bytes[bom_len..])
        .map(|s| s.into_owned())
        .ok_or_else(|| permanent("INVALID_ENCODING", format!("the data is not valid {}", enc.name())))
}

/// `text` encoded as `label`. Errors: `INVALID_ENCODING` for a character the encoding lacks.
pub(crate) fn encode(text: &str, label: &str) -> Result<Vec<u8>, Value> {
    let enc = encoding(label)?;
    let (bytes, used, unmappable) = enc.encode(text);
    if unmappable || used != enc {
        return Err(permanent("INVALID_ENCODING", format!("the text has characters {} cannot encode", enc.name())));
    }
    Ok(bytes.into_owned())
}

/// `hash-text`: `{text}` → the lower-case hex SHA-256 of the text's UTF-8.
pub fn hash_text(input: &Value) -> Result<Value, Value> {
    let digest = sha2::Sha256::digest(text(input)?.as_bytes());
    Ok(Value::String(digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// `as-byte-array`: `{text, encoding?}` → the bytes of `text` in `encoding` (default utf-8)
/// as an array of numbers. Errors: an unknown encoding, `INVALID_ENCODING`.
pub fn as_byte_array(input: &Value) -> Result<Value, Value> {
    Ok(json!(encode(text(input)?, str_or(input, "encoding", "utf-8")?)?))
}

/// `from-base64`: `{data, encoding?}` → the base64 `data` (a string, or FileData's
/// `content`) decoded to text in `encoding` (default utf-8). Errors: bad base64,
/// `INVALID_ENCODING` (e.g. invalid UTF-8).
pub fn from_base64(input: &Value) -> Result<Value, Value> {
    let raw = crate::input::base64_or_file(input, "data")?;
    Ok(Value::String(decode(&raw, str_or(input, "encoding", "utf-8")?)?))
}

/// `to-base64`: `{data, filename?, mimeType?}` → FileData `{content, filename?, mimeType?}`
/// with `content` the base64 of `data` (text as UTF-8, or an array of byte values).
pub fn to_base64(input: &Value) -> Result<Value, Value> {
    let mut file = Map::new();
    file.insert("content".into(), Value::String(base64_of(&bytes(input, "data")?)));
    for key in ["filename", "mimeType"] {
        if let Some(v) = opt_str(input, key)? {
            file.insert(key.into(), Value::String(v.into()));
        }
    }
    Ok(Value::Object(file))
}

/// `detect-encoding`: `{data, tld_hint?, allow_utf8?}` → `{encoding, confident, bom}`: the
/// encoding of a byte-order mark when there is one (`confident: true`, `bom: true`), else
/// chardetng's guess (`tld_hint` such as `jp` biases it; `allow_utf8` default true).
pub fn detect_encoding(input: &Value) -> Result<Value, Value> {
    let raw = bytes(input, "data")?;
    if let Some((enc, _)) = Encoding::for_bom(&raw) {
        return Ok(json!({"encoding": enc.name(), "confident": true, "bom": true}));
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(&raw, true);
    let tld = opt_str(input, "tld_hint")?.map(|t| t.trim_start_matches('.').as_bytes());
    let (enc, confident) = detector.guess_assess(tld, bool_or(input, "allow_utf8", true)?);
    Ok(json!({"encoding": enc.name(), "confident": confident, "bom": false}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_and_refuse_malformed_bytes() {
        assert_eq!(as_byte_array(&json!({"text": "é", "encoding": "latin1"})).unwrap(), json!([233]));
        assert_eq!(from_base64(&json!({"data": "6Q==", "encoding": "latin1"})).unwrap(), "é");
        assert_eq!(from_base64(&json!({"data": "/w=="})).unwrap_err()["code"], "INVALID_ENCODING");
        assert_eq!(
            to_base64(&json!({"data": "abc", "filename": "a.txt"})).unwrap(),
            json!({"content": "YWJj", "filename": "a.txt"})
        );
        let bom = detect_encoding(&json!({"data": {"content": "77u/aGk="}})).unwrap();
        assert_eq!(bom, json!({"encoding": "UTF-8", "confident": true, "bom": true}));
    }
}

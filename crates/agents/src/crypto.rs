//! The `crypto` agent (agents.md §5.3): digests and HMACs of text or file data, with the
//! RustCrypto hashes (`sha2`, `sha1`, `md-5`, `hmac`) and `base64` — all no_std, so every
//! target has them, firmware included.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use hmac::{Mac, SimpleHmac};
use serde_json::{json, Value};
use sha2::Digest;

use crate::error::invalid_input;

/// `output_format`: `hex` (default) or `base64`. Errors: any other value.
fn output_format(input: &Value) -> Result<&'static str, Value> {
    match input.get("output_format").and_then(Value::as_str) {
        None | Some("hex") => Ok("hex"),
        Some("base64") => Ok("base64"),
        Some(other) => Err(invalid_input(format!("unknown output_format '{other}'; use hex or base64"))),
    }
}

fn encode(bytes: &[u8], format: &str) -> String {
    match format {
        "base64" => crate::input::to_base64(bytes),
        _ => bytes.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// `hash`: `{data, algorithm?: sha256 (default) | sha512 | sha1 | md5, output_format?: hex |
/// base64}` → `{hash, algorithm, format}`. Errors: `INPUT_DESERIALIZATION_ERROR` for a
/// missing or malformed `data`, an unknown algorithm or format.
pub fn hash(input: &Value) -> Result<Value, Value> {
    let bytes = crate::input::bytes(input, "data")?;
    let format = output_format(input)?;
    let algorithm = input.get("algorithm").and_then(Value::as_str).unwrap_or("sha256");
    let digest: Vec<u8> = match algorithm {
        "sha256" => sha2::Sha256::digest(&bytes).to_vec(),
        "sha512" => sha2::Sha512::digest(&bytes).to_vec(),
        "sha1" => sha1::Sha1::digest(&bytes).to_vec(),
        "md5" => md5::Md5::digest(&bytes).to_vec(),
        other => {
            return Err(invalid_input(format!("unknown algorithm '{other}'; use sha256, sha512, sha1 or md5")));
        }
    };
    Ok(json!({"hash": encode(&digest, format), "algorithm": algorithm, "format": format}))
}

/// `hmac`: `{data, secret, algorithm?: hmac-sha256 (default) | hmac-sha512, output_format?}`
/// → `{hash, algorithm, format}` (RFC 2104). Errors: as [`hash`], and a missing `secret`.
pub fn hmac(input: &Value) -> Result<Value, Value> {
    let bytes = crate::input::bytes(input, "data")?;
    let format = output_format(input)?;
    let secret = match input.get("secret") {
        Some(Value::String(s)) => s.as_bytes(),
        _ => return Err(invalid_input("missing string field `secret`")),
    };
    let algorithm = input.get("algorithm").and_then(Value::as_str).unwrap_or("hmac-sha256");
    let tag = match algorithm {
        "hmac-sha256" => mac::<SimpleHmac<sha2::Sha256>>(secret, &bytes),
        "hmac-sha512" => mac::<SimpleHmac<sha2::Sha512>>(secret, &bytes),
        other => return Err(invalid_input(format!("unknown algorithm '{other}'; use hmac-sha256 or hmac-sha512"))),
    };
    Ok(json!({"hash": encode(&tag, format), "algorithm": algorithm, "format": format}))
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // Any key length is valid for HMAC (RFC 2104 hashes long keys), so this cannot fail.
    let mut m = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_published_test_vectors() {
        let h = |alg: &str| hash(&json!({"data": "abc", "algorithm": alg})).unwrap()["hash"].clone();
        assert_eq!(h("sha256"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(h("sha1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(h("md5"), "900150983cd24fb0d6963f7d28e17f72");
        assert!(h("sha512").as_str().unwrap().starts_with("ddaf35a193617aba"));
        // RFC 4231 test case 2.
        let tag = hmac(&json!({"data": "what do ya want for nothing?", "secret": "Jefe"})).unwrap();
        assert_eq!(tag["hash"], "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let file = json!({"data": {"content": "YWJj", "filename": "a.txt"}, "output_format": "base64"});
        assert_eq!(hash(&file).unwrap()["hash"], "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(hash(&json!({"data": "", "algorithm": "sha3"})).unwrap_err()["code"], "INPUT_DESERIALIZATION_ERROR");
        assert_eq!(hash(&json!({"data": 5})).unwrap_err()["category"], "permanent");
    }
}

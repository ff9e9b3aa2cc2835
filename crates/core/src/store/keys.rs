//! Per-tenant API keys of the state service (`runtara keys`): only a key's SHA-256 is
//! stored; `revoked` is a timestamp.

use super::{p, KeyRow, Store, R};

/// Now, as Unix seconds in text (the schema stores text only).
fn unix_seconds() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().to_string())
        .unwrap_or_default()
}

/// How a key is stored: SHA-256, hex. Lookups compare hashes, never secrets.
fn key_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Creates an API key for `tenant`: returns `(key_id, secret)`. Only the secret's hash is
    /// stored, so the secret is shown once. Errors: no system randomness, the database.
    pub fn create_key(&self, tenant: &str) -> R<(String, String)> {
        let mut bytes = [0u8; 36];
        getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let (key_id, secret) = (format!("key_{}", hex(&bytes[..4])), format!("rk_{}", hex(&bytes[4..])));
        let created = unix_seconds();
        self.query(
            "INSERT INTO api_keys (key_id, tenant, key_hash, created) VALUES ($1, $2, $3, $4)",
            vec![p(&key_id), p(tenant), p(&key_hash(&secret)), p(&created)],
        )?;
        Ok((key_id, secret))
    }

    /// Every key, by id. No secrets.
    pub fn keys(&self) -> R<Vec<KeyRow>> {
        let rows = self.query("SELECT key_id, tenant, created, revoked FROM api_keys ORDER BY key_id", vec![])?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                let mut next = || r.remove(0);
                (next().unwrap_or_default(), next().unwrap_or_default(), next().unwrap_or_default(), next())
            })
            .collect())
    }

    /// Revokes key `key_id`; false when there is no such live key.
    pub fn revoke_key(&self, key_id: &str) -> R<bool> {
        let now = unix_seconds();
        // RETURNING names the revoked row on both databases (PostgreSQL reports no count).
        let revoked = self.query(
            "UPDATE api_keys SET revoked = $1 WHERE key_id = $2 AND revoked IS NULL RETURNING key_id",
            vec![p(&now), p(key_id)],
        )?;
        Ok(!revoked.is_empty())
    }

    /// Whether any key was ever created: then every request needs a live one.
    pub fn has_keys(&self) -> R<bool> {
        Ok(!self.query("SELECT key_id FROM api_keys LIMIT 1", vec![])?.is_empty())
    }

    /// The tenant of the live key `secret`, if it is one.
    pub fn key_tenant(&self, secret: &str) -> R<Option<String>> {
        let rows = self
            .query("SELECT tenant FROM api_keys WHERE key_hash = $1 AND revoked IS NULL", vec![p(&key_hash(secret))])?;
        Ok(rows.into_iter().next().and_then(|mut r| r.remove(0)))
    }
}

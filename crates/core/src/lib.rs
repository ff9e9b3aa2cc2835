//! runtara-core: the state service compiled workflows checkpoint to (DESIGN §6).
//!
//! HTTP/JSON under `/api/v1/instances/{id}/…`; the tenant is the `X-Runtara-Tenant-Id`
//! header (default `default`) and tenants never see each other's instances; with a token
//! configured every request needs `Authorization: Bearer <token>` (else 401).
//!
//! | method & path | body → answer |
//! |---|---|
//! | `GET /api/v1/instances?after=ID&limit=N` | → `[{id, status}]`, by id, at most 1000 a page |
//! | `GET /api/v1/instances/{id}` | → `{id, status, output?, error?, checkpoints: [id], events: [event]}` (404 unknown) |
//! | `GET …/{id}/status` | → `{id, status, wake_at_ms}` |
//! | `POST …/{id}/register` | `{graph?, migrate?}` → `{}` (status `running`); 409 `GRAPH_CHANGED` when the instance started with another graph |
//! | `GET …/{id}/checkpoints/{cid}` | → `{state}` or 404 |
//! | `POST …/{id}/checkpoint` | `{checkpoint_id, state, events?}` → `{stored, state, signal}`: first write wins; `signal` is the pending pause/cancel; `events` are appended first |
//! | `GET …/{id}/signals` | → `{signal}` (pending `pause`/`cancel` or null) |
//! | `POST …/{id}/signals` | `{signal: pause\|resume\|cancel}` or `{signal_id, payload}` → `{}` |
//! | `GET …/{id}/signals/custom?signal_id=S` | → `{payload}` or 404 |
//! | `POST …/{id}/signals/ack` | `{signal_id}` → `{}`: the custom signal is consumed |
//! | `POST …/{id}/events` | `{events: [event]}` or one event → `{}` (appended in order) |
//! | `POST …/{id}/sleep` | `{wake_at_ms}` → `{}` (status `sleeping` until the next register) |
//! | `POST …/{id}/completed\|failed\|suspended` | `{output}` / `{error}` / `{status}` → `{}`; `suspended` takes `suspended`, `cancelled` or `waiting` (for a custom signal: keeps `wake_at`) |
//!
//! Writes of a run carry its fencing epoch (`X-Runtara-Epoch`, set by `runtara serve`);
//! a stale one is a 409 `STALE_EPOCH`.
//!
//! `GET /health` (liveness, `{status: "ok"}`) and `GET /ready` (the database answers,
//! else 503) need no token.
//!
//! Storage: SQLite (`--db sqlite:PATH`, WAL) or PostgreSQL (`--db postgres://…`), the same
//! schema and statements on both (see [`Store`]); tables are created on start.

use anyhow::Context;

mod api;
mod store;

pub use api::{router, router_with, tenant};
pub use store::{StaleEpoch, Store, Tx};

/// Serves the API on `listen` until the process ends.
///
/// `db`: `sqlite:PATH` or a `postgres://` URL. With `tls`, HTTPS (rustls) with that
/// certificate chain and key (PEM files).
///
/// Errors: the database cannot be opened or migrated, the certificate or key cannot be
/// read, or the address cannot be bound.
pub async fn serve(listen: &str, db: &str, token: Option<String>, tls: Option<Tls>) -> anyhow::Result<()> {
    let store = Store::open(db)?;
    let app = router(store, token);
    let Some(tls) = tls else {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!("runtara core: listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        return Ok(());
    };
    // ring is already linked (rustls elsewhere); no second crypto library.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config =
        axum_server::tls_rustls::RustlsConfig::from_pem_file(&tls.cert, &tls.key).await.with_context(|| {
            format!("cannot load the TLS certificate {} and key {}", tls.cert.display(), tls.key.display())
        })?;
    let addr =
        tokio::net::lookup_host(listen).await?.next().with_context(|| format!("{listen} resolves to no address"))?;
    eprintln!("runtara core: listening on https://{addr}");
    axum_server::bind_rustls(addr, config).serve(app.into_make_service()).await?;
    Ok(())
}

/// HTTPS settings of [`serve`]: PEM files of the certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The certificate chain (PEM).
    pub cert: std::path::PathBuf,
    /// The private key (PEM).
    pub key: std::path::PathBuf,
}

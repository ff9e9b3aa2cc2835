//! runtara-core: the state service compiled workflows checkpoint to (DESIGN §6).
//!
//! HTTP/JSON under `/api/v1/instances/{id}/…`; the tenant is the `X-Runtara-Tenant-Id`
//! header (default `default`) and tenants never see each other's instances; with a token
//! configured every request needs `Authorization: Bearer <token>` (else 401).
//!
//! | method & path | body → answer |
//! |---|---|
//! | `GET /api/v1/instances` | → `[{id, status}]` |
//! | `GET /api/v1/instances/{id}` | → `{id, status, output?, error?, checkpoints: [id]}` (404 unknown) |
//! | `POST …/{id}/register` | → `{}` (status `running`) |
//! | `GET …/{id}/checkpoints/{cid}` | → `{state}` or 404 |
//! | `POST …/{id}/checkpoint` | `{checkpoint_id, state}` → `{stored, state, signal}`: first write wins; `signal` is the pending pause/cancel |
//! | `GET …/{id}/signals` | → `{signal}` (pending `pause`/`cancel` or null) |
//! | `POST …/{id}/signals` | `{signal: pause\|resume\|cancel}` or `{signal_id, payload}` → `{}` |
//! | `GET …/{id}/signals/custom?signal_id=S` | → `{payload}` or 404 |
//! | `POST …/{id}/completed\|failed\|suspended` | `{output}` / `{error}` → `{}` |
//!
//! Storage is SQLite (`--db sqlite:PATH`, WAL); PostgreSQL is not built yet.

mod api;
mod store;

pub use api::router;
pub use store::Store;

/// Serves the API on `listen` until the process ends.
///
/// Errors: the database cannot be opened or the address cannot be bound.
pub async fn serve(listen: &str, db_path: &std::path::Path, token: Option<String>) -> anyhow::Result<()> {
    let store = Store::open(db_path)?;
    let app = router(store, token);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("runtara core: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

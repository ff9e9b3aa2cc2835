//! Where the browser entry keeps checkpoints between runs (IndexedDB, memory, or the
//! caller's `{load, save}`), and the JS glue it calls (IndexedDB, `fetch`, timers).

use alloc::string::{String, ToString};

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use super::runtime::Entries;
use serde_json::{Map, Value};

#[wasm_bindgen(inline_js = r#"
const STORE = 'checkpoints';
let db = null;
function open() {
  if (db) return Promise.resolve(db);
  return new Promise((resolve, reject) => {
    const r = indexedDB.open('runtara', 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => { db = r.result; resolve(db); };
    r.onerror = () => reject(r.error);
  });
}
export async function idb_load(instance) {
  const d = await open();
  return new Promise((resolve, reject) => {
    const out = [];
    const range = IDBKeyRange.bound(instance + '\u0000', instance + '\u0000\uffff');
    const req = d.transaction(STORE, 'readonly').objectStore(STORE).openCursor(range);
    req.onsuccess = () => {
      const c = req.result;
      if (c) { out.push([c.key.slice(instance.length + 1), c.value]); c.continue(); } else resolve(out);
    };
    req.onerror = () => reject(req.error);
  });
}
export async function idb_save(instance, id, state) {
  const d = await open();
  return new Promise((resolve, reject) => {
    const tx = d.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(state, instance + '\u0000' + id);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}
export function has_indexeddb() { return typeof indexedDB !== 'undefined'; }
export async function do_fetch(method, url, headers, body, timeoutMs) {
  const init = { method, headers };
  if (timeoutMs > 0) init.signal = AbortSignal.timeout(timeoutMs);
  if (body.length > 0 && method !== 'GET' && method !== 'HEAD') init.body = body;
  const r = await fetch(url, init);
  return [r.status, [...r.headers.entries()], new Uint8Array(await r.arrayBuffer())];
}
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn idb_load(instance: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn idb_save(instance: &str, id: &str, state: &str) -> Result<JsValue, JsValue>;
    pub(super) fn has_indexeddb() -> bool;
    #[wasm_bindgen(catch)]
    pub(super) async fn do_fetch(
        method: &str,
        url: &str,
        headers: JsValue,
        body: &[u8],
        timeout_ms: f64,
    ) -> Result<JsValue, JsValue>;
    pub(super) async fn sleep(ms: f64, signal: JsValue);
}

/// Where checkpoints live between runs.
pub(super) enum Store {
    IndexedDb,
    Memory,
    Custom(JsValue),
}

/// The `"memory"` store: instance → its [`Entries`] (a `Value::Object`).
static MEMORY: runtara_sdk::Local<Map<String, Value>> = runtara_sdk::Local::new(Map::new);

impl Store {
    pub(super) async fn load(&self, instance: &str) -> Result<Entries, JsValue> {
        let pairs = match self {
            Store::Memory => {
                return Ok(
                    MEMORY.with(|m| m.borrow().get(instance).and_then(Value::as_object).cloned().unwrap_or_default())
                )
            }
            Store::IndexedDb => idb_load(instance).await?,
            Store::Custom(s) => {
                let load: Function = Reflect::get(s, &"load".into())?.dyn_into()?;
                wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&load.call1(s, &instance.into())?))
                    .await?
            }
        };
        let mut out = Entries::new();
        for pair in js_sys::Array::from(&pairs).iter() {
            let pair = js_sys::Array::from(&pair);
            if let (Some(id), Some(state)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.insert(id, Value::String(state));
            }
        }
        Ok(out)
    }

    /// Saves checkpoint `id` of `instance` (its state JSON); the memory store keeps the
    /// strings themselves.
    pub(super) async fn save(&self, instance: &str, id: String, state: String) -> Result<(), JsValue> {
        match self {
            Store::Memory => {
                MEMORY.with(|m| {
                    let mut m = m.borrow_mut();
                    let entries = m.entry(instance.to_string()).or_insert_with(|| Value::Object(Entries::new()));
                    if let Value::Object(entries) = entries {
                        entries.insert(id, Value::String(state));
                    }
                });
            }
            Store::IndexedDb => {
                idb_save(instance, &id, &state).await?;
            }
            Store::Custom(s) => {
                let save: Function = Reflect::get(s, &"save".into())?.dyn_into()?;
                let p = save.call3(s, &instance.into(), &id.as_str().into(), &state.as_str().into())?;
                wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&p)).await?;
            }
        }
        Ok(())
    }
}

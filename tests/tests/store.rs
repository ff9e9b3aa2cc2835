//! The state service's store on SQLite and PostgreSQL (scale-out item 4): a request's
//! writes commit together or not at all, and fencing orders a stale run's writes before
//! the claim that fenced it out — never after.

use std::sync::atomic::{AtomicBool, Ordering};

use runtara_core::{StaleEpoch, Store};
use runtara_e2e::core::databases;

const T: &str = "acme";

#[test]
fn a_failed_transaction_writes_nothing_and_its_retry_appends_once() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        let store = Store::open(&db).unwrap();
        let events = vec![r#"{"n":1}"#.to_string(), r#"{"n":2}"#.to_string()];
        let failed: anyhow::Result<()> = store.transaction(|tx| {
            tx.register(T, "i1")?;
            tx.add_events(T, "i1", &events, Some("7-1"))?;
            tx.checkpoint(T, "i1", "step-a", "1")?;
            anyhow::bail!("the connection broke before the answer")
        });
        assert!(failed.is_err(), "{db}");
        let (row, stored, checkpoints) =
            store.session(|tx| Ok((tx.instance(T, "i1")?, tx.events(T, "i1")?, tx.checkpoint_ids(T, "i1")?))).unwrap();
        assert!(row.is_none() && stored.is_empty() && checkpoints.is_empty(), "{db}: a rolled-back write landed");
        // The sdk retries with the same batch key: the events land once.
        for _ in 0..2 {
            store.transaction(|tx| tx.add_events(T, "i1", &events, Some("7-1"))).unwrap();
        }
        assert_eq!(store.session(|tx| tx.events(T, "i1")).unwrap(), events, "{db}");
    }
}

#[test]
fn a_write_with_a_stale_epoch_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        let store = Store::open(&db).unwrap();
        store
            .transaction(|tx| {
                tx.register(T, "i2")?;
                tx.fence(T, "i2", "2")
            })
            .unwrap();
        let output = serde_json::json!({"by": "the stale run"});
        let stale = store.fenced(T, "i2", Some("1"), |tx| tx.finish(T, "i2", "completed", Some(&output), None));
        assert_eq!(stale.unwrap(), Err(StaleEpoch), "{db}");
        let status = store.session(|tx| tx.instance(T, "i2")).unwrap().unwrap().0;
        assert_eq!(status, "running", "{db}: the stale run's completion landed");
        let live = store.fenced(T, "i2", Some("2"), |tx| tx.finish(T, "i2", "completed", None, None));
        assert_eq!(live.unwrap(), Ok(()), "{db}");
        assert_eq!(store.session(|tx| tx.instance(T, "i2")).unwrap().unwrap().0, "completed", "{db}");
    }
}

/// Four threads write as the run at epoch 1 while a claim moves the fence to 2 and appends
/// a marker in the same transaction. Every write of epoch 1 must be ordered before the
/// marker, each writer must end refused, and claim and writers must not deadlock.
#[test]
fn a_claim_waits_for_writes_in_flight_and_later_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        let store = Store::open(&db).unwrap();
        store.session(|tx| tx.fence(T, "i3", "1")).unwrap();
        let claim_over = AtomicBool::new(false);
        std::thread::scope(|s| {
            let writers: Vec<_> = (0..4)
                .map(|w| {
                    let (store, claim_over) = (&store, &claim_over);
                    s.spawn(move || {
                        for n in 0.. {
                            if claim_over.load(Ordering::SeqCst) && n > 0 {
                                // A claim that failed must not leave the writers spinning.
                                return n;
                            }
                            let event = vec![format!(r#"{{"writer":{w},"n":{n}}}"#)];
                            match store.fenced(T, "i3", Some("1"), |tx| tx.add_events(T, "i3", &event, None)) {
                                Ok(Err(StaleEpoch)) => return n,
                                // Two appends may pick the same sequence number: retried.
                                Err(_) => {}
                                Ok(Ok(())) => {}
                            }
                        }
                        unreachable!("the loop only ends refused")
                    })
                })
                .collect();
            std::thread::sleep(std::time::Duration::from_millis(200));
            // Like a claim, but retried until the writes in flight let go of the fence.
            let claim = loop {
                let mut busy = false;
                let claim = store.transaction(|tx| {
                    busy = !tx.lock_fence(T, "i3")?;
                    anyhow::ensure!(!busy, "the fence is locked (rolled back)");
                    tx.fence(T, "i3", "2")?;
                    tx.add_events(T, "i3", &[r#"{"claim":2}"#.to_string()], None)
                });
                if !busy {
                    break claim;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            claim_over.store(true, Ordering::SeqCst);
            for w in writers {
                assert!(w.join().unwrap() > 0, "{db}: a writer never wrote");
            }
            claim.unwrap_or_else(|e| panic!("{db}: the claim failed (it must wait for the writes in flight): {e:#}"));
        });
        let events = store.session(|tx| tx.events(T, "i3")).unwrap();
        let marker = events.iter().position(|e| e.contains("claim")).expect("the claim's marker");
        assert_eq!(
            marker + 1,
            events.len(),
            "{db}: writes of the stale epoch landed after the claim: {:?}",
            &events[marker..]
        );
    }
}

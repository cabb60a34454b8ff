//! The device's record of what the platform confirmed during a run — reports delivered (with
//! their case numbers), photos complete — written in batches, off the request path.
//!
//! Why it may lag behind the network: each entry records a fact the platform already holds,
//! and every request is idempotent. If the app dies before a batch commits, the next run sends
//! those requests again and gets the same answers (a report PUT answers with its first
//! receipt; a complete photo answers with its full offset). So a reporter's next report never
//! waits for the device's own fsync, and the confirmations that arrive while one batch commits
//! share the next commit. A flush (at the end of every run) returns once everything recorded
//! before it is durable, with the first write error since the last flush.
//!
//! It does not record failures: a retry time or a parked report changes what the next run
//! does, so the engine writes those at once.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{KEY_LAST_SUCCESS, outbox};
use crate::{Client, Error, Result};

/// At most this many entries per transaction, so one commit never holds the writer long.
const MAX_BATCH: usize = 512;

enum Entry {
    Delivered {
        report_id: String,
        case_number: String,
        at_ms: i64,
    },
    PhotoComplete {
        sha256: String,
        bytes: u64,
        at_ms: i64,
    },
    /// The platform said it no longer holds the photo (`photos_incomplete`).
    PhotoForgotten {
        sha256: String,
    },
    Flush(oneshot::Sender<Result<()>>),
}

/// The sending side; cheap to share. Entries are written in the order they are recorded.
#[derive(Clone)]
pub(crate) struct Ledger {
    entries: mpsc::UnboundedSender<Entry>,
}

impl Ledger {
    /// Starts the writer task on `runtime`; it ends when every `Ledger` clone is dropped,
    /// after writing what they recorded.
    pub fn start(client: Arc<Client>, runtime: &tokio::runtime::Handle) -> Ledger {
        let (entries, receiver) = mpsc::unbounded_channel();
        runtime.spawn(write_batches(client, receiver));
        Ledger { entries }
    }

    pub fn delivered(&self, report_id: &str, case_number: &str, at_ms: i64) {
        self.record(Entry::Delivered {
            report_id: report_id.to_string(),
            case_number: case_number.to_string(),
            at_ms,
        });
    }

    pub fn photo_complete(&self, sha256: &str, bytes: u64, at_ms: i64) {
        self.record(Entry::PhotoComplete {
            sha256: sha256.to_string(),
            bytes,
            at_ms,
        });
    }

    pub fn photo_forgotten(&self, sha256: &str) {
        self.record(Entry::PhotoForgotten {
            sha256: sha256.to_string(),
        });
    }

    /// Waits until everything recorded before is durable.
    pub async fn flush(&self) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.record(Entry::Flush(done));
        wait.await.unwrap_or_else(|_| {
            Err(Error::Network {
                reason: "the sync ledger stopped".into(),
            })
        })
    }

    fn record(&self, entry: Entry) {
        // The writer only stops once every sender is gone, and `self` is one.
        let _ = self.entries.send(entry);
    }
}

async fn write_batches(client: Arc<Client>, mut receiver: mpsc::UnboundedReceiver<Entry>) {
    let mut first_error: Option<Error> = None;
    let mut batch = Vec::new();
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut flushes = Vec::new();
        let mut writes = Vec::new();
        for entry in batch.drain(..) {
            match entry {
                Entry::Flush(done) => flushes.push(done),
                write => writes.push(write),
            }
        }
        if !writes.is_empty() {
            let writer = client.clone();
            let count = writes.len();
            let written = tokio::task::spawn_blocking(move || write(&writer, &writes))
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Network {
                        reason: "the sync ledger's write panicked".into(),
                    })
                });
            client.outbox_changed();
            if let Err(error) = written {
                tracing::warn!(%error, entries = count, "recording sync results failed; they are sent again next run");
                first_error.get_or_insert(error);
            }
        }
        for done in flushes {
            let _ = done.send(first_error.take().map_or(Ok(()), Err));
        }
    }
}

fn write(client: &Client, entries: &[Entry]) -> Result<()> {
    client.store().write(|tx| {
        let mut last_delivery = None;
        for entry in entries {
            match entry {
                Entry::Delivered {
                    report_id,
                    case_number,
                    at_ms,
                } => {
                    outbox::mark_delivered(tx, report_id, case_number, *at_ms)?;
                    last_delivery = last_delivery.max(Some(*at_ms));
                }
                Entry::PhotoComplete { sha256, bytes, at_ms } => {
                    outbox::confirm_photo(tx, sha256, *bytes, *at_ms)?;
                }
                Entry::PhotoForgotten { sha256 } => outbox::forget_photo(tx, sha256)?,
                Entry::Flush(_) => unreachable!("flushes are answered, not written"),
            }
        }
        if let Some(at_ms) = last_delivery {
            outbox::meta_set(tx, KEY_LAST_SUCCESS, &at_ms.to_string())?;
        }
        Ok(())
    })
}

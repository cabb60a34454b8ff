//! The child process the sync kill test kills: reopens an enrolled device's data directory and
//! syncs it run after run, printing `pending N` after each, until the outbox is empty.

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_core::sync::{SyncConfig, SyncEngine};

fn main() {
    let data = std::env::args().nth(1).expect("usage: sync_loop DATA_DIR");
    let client = Arc::new(Client::open(&data).expect("the data directory opens"));
    let url = SyncEngine::enrolled_platform_url(&client)
        .expect("the store reads")
        .expect("the parent enrolled this device");
    let mut config = SyncConfig::new(url);
    config.backoff_base_ms = 20;
    config.backoff_max_ms = 300;
    // Small chunks, so that kills land in the middle of photo uploads too.
    config.photo_chunk_bytes = 16 * 1024;
    let engine = SyncEngine::new(client, config).expect("the engine starts");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    loop {
        match runtime.block_on(engine.sync_now(Duration::from_secs(5))) {
            Ok(summary) => {
                println!("pending {}", summary.pending);
                if summary.pending == 0 {
                    break;
                }
            }
            Err(error) => println!("error {error}"),
        }
    }
}

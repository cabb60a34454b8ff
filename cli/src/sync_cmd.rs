//! `gridpatrol client enroll` and `gridpatrol client sync`: the sync engine from a script.
//!
//! Owns only the runtime and the output; enrollment, the outbox and the protocol are the core's
//! sync engine.

use std::sync::Arc;
use std::time::Duration;

use gridpatrol_core::Client;
use gridpatrol_core::sync::{SyncConfig, SyncEngine, TlsTrust};
use serde_json::json;

use crate::core_error::core_failure;
use crate::{Failure, print_json};

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("internal", e.to_string(), 1))
}

/// The trust of `enroll --tls-pin … --tls-ca FILE`; `None` when neither is given.
pub fn tls_trust(pins: Vec<String>, ca: Option<&std::path::Path>) -> Result<Option<TlsTrust>, Failure> {
    if pins.is_empty() && ca.is_none() {
        return Ok(None);
    }
    let ca_pem = match ca {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::new("invalid_argument", format!("--tls-ca: {e}"), 2))?,
        ),
        None => None,
    };
    Ok(Some(TlsTrust {
        spki_pins: pins,
        ca_pem,
    }))
}

pub fn enroll(
    client: Client,
    platform: &str,
    tls: Option<TlsTrust>,
    code: &str,
    device_name: &str,
    json: bool,
) -> Result<(), Failure> {
    let mut config = SyncConfig::new(platform);
    config.tls = tls;
    let engine = SyncEngine::new(Arc::new(client), config).map_err(core_failure)?;
    let device_id = runtime()?
        .block_on(engine.enroll(code, device_name))
        .map_err(core_failure)?;
    if json {
        print_json(&json!({"status": "enrolled", "device_id": device_id, "platform": platform}));
    } else {
        out!("enrolled as device {device_id} with {platform}");
    }
    Ok(())
}

pub fn sync(client: Client, deadline_s: u64, json: bool) -> Result<(), Failure> {
    let url = SyncEngine::enrolled_platform_url(&client)
        .map_err(core_failure)?
        .ok_or_else(|| {
            Failure::new(
                "not_enrolled",
                "enroll first: gridpatrol client --data DIR enroll",
                1,
            )
        })?;
    let engine = SyncEngine::new(Arc::new(client), SyncConfig::new(url)).map_err(core_failure)?;
    let summary = runtime()?
        .block_on(engine.sync_now(Duration::from_secs(deadline_s)))
        .map_err(core_failure)?;
    let health = engine.queue_health().map_err(core_failure)?;
    if json {
        print_json(&json!({
            "delivered": health.delivered,
            "pending": health.pending,
            "parked": health.parked.len(),
            "parked_reports": health.parked.iter()
                .map(|p| json!({"report_id": p.report_id, "code": p.code, "reason": p.reason}))
                .collect::<Vec<_>>(),
            "delivered_this_run": summary.delivered_this_run,
            "parked_this_run": summary.parked_this_run,
            "retries": summary.retries,
            "bytes_sent": summary.bytes_sent,
        }));
    } else {
        out!(
            "delivered {} (this run {}), pending {}, parked {}, retries {}, {} bytes sent",
            health.delivered,
            summary.delivered_this_run,
            health.pending,
            health.parked.len(),
            summary.retries,
            summary.bytes_sent
        );
        for parked in &health.parked {
            out!(
                "  parked {} [{}]: {}",
                parked.report_id,
                parked.code,
                parked.reason
            );
        }
    }
    Ok(())
}

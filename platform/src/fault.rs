//! Fault injection: a deterministic share of device requests fail the way real networks and
//! platforms fail, for the sync engine's fault tests.
//!
//! Owns [`FaultConfig`] (rate, seed, which kinds, `Retry-After`), the per-request decision
//! ([`FaultConfig::decision`]: the n-th faultable request since the platform opened gets a
//! decision that depends only on the seed and n) and the one middleware that applies it. Only the
//! device routes are faultable; `/v1/health` and `/v1/admin/*` never fail, so a test can always
//! inspect the platform. The kinds:
//!
//! - `internal_error`: 500 before processing (nothing stored);
//! - `unavailable`: 503 with `Retry-After` before processing;
//! - `too_many_requests`: 429 with `Retry-After` before processing;
//! - `drop_connection`: the TCP connection is closed before processing, no response at all;
//! - `commit_then_error`: the request is processed fully (a report is stored, a chunk appended),
//!   then answered 500: "the platform committed but the response was lost";
//! - `commit_then_drop`: processed fully, then the connection is closed without a response.
//!
//! Closing the connection needs the server loop of [`crate::server`]; through
//! [`crate::Platform::router`] alone, the drop kinds answer 500 `fault_connection_dropped`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gridpatrol_core::noise;
use serde::{Deserialize, Serialize};

use crate::problem::ApiError;
use crate::server::ConnectionDropper;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    InternalError,
    Unavailable,
    TooManyRequests,
    DropConnection,
    CommitThenError,
    CommitThenDrop,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::InternalError,
        FaultKind::Unavailable,
        FaultKind::TooManyRequests,
        FaultKind::DropConnection,
        FaultKind::CommitThenError,
        FaultKind::CommitThenDrop,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// The share of faultable requests that fail, 0.0-1.0.
    pub rate: f64,
    pub seed: u64,
    /// The kinds drawn from (uniformly); empty means all.
    pub kinds: Vec<FaultKind>,
    /// The `Retry-After` seconds of 429 and 503.
    pub retry_after_s: u32,
}

impl FaultConfig {
    /// Every kind at `rate`, `Retry-After: 1`.
    pub fn new(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            seed,
            kinds: Vec::new(),
            retry_after_s: 1,
        }
    }

    pub fn with_kinds(mut self, kinds: &[FaultKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// The fault, if any, of the `n`-th faultable request (from 0): a pure function of the seed.
    pub fn decision(&self, n: u64) -> Option<FaultKind> {
        // Two salts: whether the request fails and which kind it gets are independent draws.
        if noise::unit(noise::hash(self.seed, n, FAIL_SALT)) >= self.rate {
            return None;
        }
        let kinds: &[FaultKind] = if self.kinds.is_empty() {
            &FaultKind::ALL
        } else {
            &self.kinds
        };
        Some(kinds[(noise::hash(self.seed, n, KIND_SALT) % kinds.len() as u64) as usize])
    }
}

const FAIL_SALT: u64 = 0xFA17;
const KIND_SALT: u64 = 0x4B1D;

/// The config and how many faultable requests have been seen.
pub(crate) struct FaultState {
    config: FaultConfig,
    seen: AtomicU64,
}

impl FaultState {
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config,
            seen: AtomicU64::new(0),
        }
    }

    fn next(&self) -> Option<FaultKind> {
        self.config.decision(self.seen.fetch_add(1, Ordering::Relaxed))
    }
}

fn injected(status: StatusCode, detail: &str) -> ApiError {
    ApiError::new(status, "fault_injected", "Injected fault", detail)
}

fn with_retry_after(status: StatusCode, seconds: u32) -> Response {
    injected(
        status,
        "Injected by the platform's fault mode; retry after the given delay",
    )
    .header(header::RETRY_AFTER, seconds)
    .into_response()
}

/// Closes the connection without answering; without the server loop, a 500.
async fn drop_connection(dropper: Option<ConnectionDropper>) -> Response {
    match dropper {
        Some(dropper) => {
            dropper.drop_now();
            std::future::pending::<Response>().await
        }
        None => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fault_connection_dropped",
            "Injected fault",
            "The connection would have been dropped",
        )
        .into_response(),
    }
}

/// The middleware on the device routes.
pub(crate) async fn middleware(State(state): State<crate::State>, request: Request, next: Next) -> Response {
    let fault = state.fault.read().unwrap_or_else(|p| p.into_inner()).clone();
    let Some((kind, retry_after)) = fault.and_then(|f| Some((f.next()?, f.config.retry_after_s))) else {
        return next.run(request).await;
    };
    tracing::warn!(fault = ?kind, method = %request.method(), path = %request.uri().path(), "injecting fault");
    let dropper = request.extensions().get::<ConnectionDropper>().cloned();
    match kind {
        FaultKind::InternalError => injected(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Injected by the platform's fault mode",
        )
        .into_response(),
        FaultKind::Unavailable => with_retry_after(StatusCode::SERVICE_UNAVAILABLE, retry_after),
        FaultKind::TooManyRequests => with_retry_after(StatusCode::TOO_MANY_REQUESTS, retry_after),
        FaultKind::DropConnection => drop_connection(dropper).await,
        FaultKind::CommitThenError => {
            let _lost = next.run(request).await;
            injected(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Injected by the platform's fault mode after the request was processed",
            )
            .into_response()
        }
        FaultKind::CommitThenDrop => {
            let _lost = next.run(request).await;
            drop_connection(dropper).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_depend_only_on_seed_and_position() {
        let a = FaultConfig::new(0.3, 7);
        let b = FaultConfig::new(0.3, 7);
        let c = FaultConfig::new(0.3, 8);
        let plan = |f: &FaultConfig| (0..200).map(|n| f.decision(n)).collect::<Vec<_>>();
        assert_eq!(plan(&a), plan(&b));
        assert_ne!(plan(&a), plan(&c));
        let faults = plan(&a).iter().filter(|d| d.is_some()).count();
        assert!((35..=85).contains(&faults), "about 30 % of 200, got {faults}");
        for kind in FaultKind::ALL {
            assert!(plan(&a).contains(&Some(kind)), "{kind:?} drawn");
        }
    }

    #[test]
    fn rate_bounds() {
        assert!((0..100).all(|n| FaultConfig::new(0.0, 1).decision(n).is_none()));
        let one = FaultConfig::new(1.0, 1).with_kinds(&[FaultKind::Unavailable]);
        assert!((0..100).all(|n| one.decision(n) == Some(FaultKind::Unavailable)));
    }
}

//! Where exported calls run: the core's one tokio runtime, never the caller's thread for
//! anything slow.
//!
//! Owns the two ways an async export runs its work — [`blocking`] (store writes, photo
//! processing, parsing: the runtime's blocking pool) and [`on_runtime`] (network work: the
//! runtime's workers) — and their cancellation: the exported future owns the task through
//! [`AbortOnDrop`], so a cancelled Kotlin coroutine or Swift task aborts it (a blocking
//! closure already running finishes, its result is dropped). It does not decide what is
//! slow; docs/ARCHITECTURE.md ("Mobile API conventions") does.

use std::future::Future;

use gridpatrol_core::sync::{AbortOnDrop, runtime};

use crate::GridPatrolError;

/// Runs `work` on the runtime's blocking pool and waits for it without blocking the caller.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, GridPatrolError> + Send + 'static,
) -> Result<T, GridPatrolError> {
    AbortOnDrop(runtime().spawn_blocking(work)).await?
}

/// Runs `work` on the runtime; dropping the returned future aborts it.
pub(crate) async fn on_runtime<T: Send + 'static>(
    work: impl Future<Output = Result<T, GridPatrolError>> + Send + 'static,
) -> Result<T, GridPatrolError> {
    AbortOnDrop(runtime().spawn(work)).await?
}

//! Workers and their one-time enrollment codes.
//!
//! Owns the `worker` and `enrollment_code` tables: the admin registers a worker (id, name, role,
//! grids) and gets a fresh one-time code with an expiry ([`issue`], `POST /v1/admin/workers`);
//! a device presenting that code at `POST /v1/enroll` becomes that worker's device ([`redeem`]).
//! Issuing a new code for a worker updates the worker and withdraws the worker's codes not yet
//! used, so only the newest one works. Codes are stored as SHA-256 hashes. It does not enroll
//! devices (`auth` does, inside the same transaction) nor check reports against the worker
//! (`binding` does). Worker names are personal data: they are stored, never logged.

use gridpatrol_core::taxonomy::Role;
use rusqlite::{OptionalExtension as _, Transaction};
use serde::{Deserialize, Serialize};

use crate::problem::{ApiError, ApiResult};
use crate::{Inner, new_token, now_ms, sha256_hex};

/// The most grids one worker may be assigned.
pub const MAX_GRIDS: usize = 64;
/// The longest worker or grid id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// The longest worker name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// `POST /v1/admin/workers` body.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerRequest {
    pub worker_id: String,
    pub name: String,
    pub role: String,
    pub grids: Vec<String>,
}

/// `POST /v1/admin/workers` answer (201).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedCode {
    pub worker_id: String,
    pub enrollment_code: String,
    pub expires_at_ms: i64,
}

/// The identity a worker's devices are held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub id: String,
    pub role: Role,
    /// Sorted, without repeats.
    pub grids: Vec<String>,
}

/// A worker or grid id: 1 to 64 printable ASCII characters, no spaces.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_BYTES && id.bytes().all(|b| b.is_ascii_graphic())
}

fn invalid(code: &'static str, detail: &'static str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code,
        "Invalid worker",
        detail,
    )
}

/// The worker a request describes, checked: 422 `bad_worker_id`, `bad_worker_name`,
/// `bad_role`, `bad_grid_id`, `too_many_grids` or `unknown_grid` (when the platform serves a
/// grid package and a grid is not in it).
pub(crate) fn checked(state: &Inner, request: &WorkerRequest) -> ApiResult<(Worker, String)> {
    if !valid_id(&request.worker_id) {
        return Err(invalid(
            "bad_worker_id",
            "A worker id is 1 to 64 printable ASCII characters without spaces",
        ));
    }
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(invalid(
            "bad_worker_name",
            "A worker name is 1 to 100 characters without control characters",
        ));
    }
    let Some(role) = Role::parse(&request.role) else {
        return Err(invalid(
            "bad_role",
            "The role is one of inspector, volunteer, grid_leader, police_officer",
        ));
    };
    if request.grids.len() > MAX_GRIDS {
        return Err(invalid("too_many_grids", "A worker is assigned at most 64 grids"));
    }
    if !request.grids.iter().all(|g| valid_id(g)) {
        return Err(invalid(
            "bad_grid_id",
            "A grid id is 1 to 64 printable ASCII characters without spaces",
        ));
    }
    if let Some(grids) = &state.grids
        && !request.grids.iter().all(|g| grids.index.grid(g).is_some())
    {
        return Err(invalid(
            "unknown_grid",
            "A grid is not in the grid package this platform serves",
        ));
    }
    let mut grids = request.grids.clone();
    grids.sort();
    grids.dedup();
    Ok((
        Worker {
            id: request.worker_id.clone(),
            role,
            grids,
        },
        name.to_string(),
    ))
}

/// Registers or updates a worker and issues a new one-time code, valid for
/// `enrollment_code_ttl_s`; the worker's earlier unused codes stop working.
pub(crate) fn issue(state: &Inner, worker: &Worker, name: &str) -> ApiResult<IssuedCode> {
    let code = new_token("gpe");
    let now = now_ms();
    let ttl = i64::try_from(state.config.enrollment_code_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    let expires = now.saturating_add(ttl);
    let grids = serde_json::to_string(&worker.grids).expect("a list of strings serializes");
    state.db.write(|tx| {
        tx.execute(
            "INSERT INTO worker (id, name, role, grids, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
                                            grids = excluded.grids, updated_at = excluded.updated_at",
            rusqlite::params![worker.id, name, worker.role.as_str(), grids, now],
        )?;
        tx.execute(
            "DELETE FROM enrollment_code WHERE worker_id = ?1 AND used_at IS NULL",
            [&worker.id],
        )?;
        tx.execute(
            "INSERT INTO enrollment_code (code_hash, worker_id, issued_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![sha256_hex(code.as_bytes()), worker.id, now, expires],
        )?;
        Ok(())
    })?;
    tracing::info!(worker_id = %worker.id, role = worker.role.as_str(), grids = worker.grids.len(), "enrollment code issued");
    Ok(IssuedCode {
        worker_id: worker.id.clone(),
        enrollment_code: code,
        expires_at_ms: expires,
    })
}

/// What a presented code is.
#[derive(Debug)]
pub enum Redeemed {
    /// A worker's code, now used by `device_id`: the worker's id.
    Worker(String),
    /// Not a worker's code (it may still be the development code).
    Unknown,
}

/// Inside the enrollment transaction: marks a worker's code used by `device_id`. A used code is
/// 401 `enrollment_code_used`, an expired one 401 `enrollment_code_expired`.
pub(crate) fn redeem(tx: &Transaction<'_>, code: &str, device_id: &str, now: i64) -> ApiResult<Redeemed> {
    let hash = sha256_hex(code.as_bytes());
    let row: Option<(String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT worker_id, expires_at, used_at FROM enrollment_code WHERE code_hash = ?1",
            [&hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        None => Ok(Redeemed::Unknown),
        Some((_, _, Some(_))) => Err(ApiError::unauthorized(
            "enrollment_code_used",
            "This enrollment code has already been used; ask the admin for a new one",
        )),
        Some((_, expires, None)) if expires <= now => Err(ApiError::unauthorized(
            "enrollment_code_expired",
            "This enrollment code has expired; ask the admin for a new one",
        )),
        Some((worker_id, _, None)) => {
            tx.execute(
                "UPDATE enrollment_code SET used_at = ?1, device_id = ?2 WHERE code_hash = ?3",
                rusqlite::params![now, device_id, hash],
            )?;
            Ok(Redeemed::Worker(worker_id))
        }
    }
}

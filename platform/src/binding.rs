//! Devices bound to workers: which reporter, role and grids a device may claim, and which photos
//! it may learn about.
//!
//! A device enrolled with a worker's code (see [`crate::workers`]) is held to that worker as the
//! `worker` table has it now. A device enrolled with the platform's development code is bound to
//! the reporter, role and grids of the first report the platform stores from it (trust on first
//! use, [`DevelopmentBinding::FirstReport`]) and held to them from then on. A report whose
//! reporter or role differs from the binding, or that claims a grid outside it, is 403
//! `binding_mismatch`: [`authorize`] answers before validation, [`bind_or_check`] again inside
//! the transaction that stores the report (where an unbound device is bound). It also owns the
//! `photo_uploader` table: `HEAD /v1/photos/{sha256}` answers only a device that sent bytes of
//! the photo or whose stored report names it ([`may_learn_photo`]). It does not authenticate
//! devices (`auth` does) nor validate reports (the core does).

use gridpatrol_core::capture::Reporter;
use gridpatrol_core::taxonomy::Role;
use rusqlite::{Connection, OptionalExtension as _, Transaction};

use crate::Inner;
use crate::problem::{ApiError, ApiResult};

/// How devices enrolled with the development code are held to a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DevelopmentBinding {
    /// Bound to the reporter, role and grids of the first report stored from the device.
    #[default]
    FirstReport,
    /// Not bound: any reporter, role and grids (test fixtures that file several reporters'
    /// reports from one outbox). Devices enrolled with a worker's code are bound regardless.
    Unbound,
}

/// The identity a device speaks for. `grids` is sorted, without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Binding {
    reporter: String,
    role: Role,
    grids: Vec<String>,
}

fn binding_row(r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<Option<(String, String, String)>> {
    let reporter: Option<String> = r.get(offset)?;
    let role: Option<String> = r.get(offset + 1)?;
    let grids: Option<String> = r.get(offset + 2)?;
    Ok(match (reporter, role, grids) {
        (Some(reporter), Some(role), Some(grids)) => Some((reporter, role, grids)),
        _ => None,
    })
}

/// The device's binding in force, `None` when it is not bound (yet).
fn binding_of(state: &Inner, conn: &Connection, device: &str) -> ApiResult<Option<Binding>> {
    type Row = (Option<(String, String, String)>, Option<(String, String, String)>);
    let row: Option<Row> = conn
        .query_row(
            "SELECT w.id, w.role, w.grids, d.bound_reporter, d.bound_role, d.bound_grids
             FROM device d LEFT JOIN worker w ON w.id = d.worker_id WHERE d.id = ?1",
            [device],
            |r| Ok((binding_row(r, 0)?, binding_row(r, 3)?)),
        )
        .optional()?;
    let Some((worker, first_report)) = row else {
        return Err(ApiError::internal("an authenticated device has no row"));
    };
    let development = match state.config.development_binding {
        DevelopmentBinding::FirstReport => first_report,
        DevelopmentBinding::Unbound => None,
    };
    let Some((reporter, role, grids)) = worker.or(development) else {
        return Ok(None);
    };
    Ok(Some(Binding {
        reporter,
        role: Role::parse(&role).ok_or_else(|| ApiError::internal("a stored role is unknown"))?,
        grids: serde_json::from_str(&grids).map_err(|_| ApiError::internal("stored grids are not a list"))?,
    }))
}

/// The parts of a claim that differ from the binding: the reporter id, the role, and grids the
/// binding does not hold (claiming fewer grids than assigned is allowed: it grants nothing).
fn mismatches(binding: &Binding, claim: &Reporter) -> Vec<&'static str> {
    let mut differ = Vec::new();
    if claim.reporter_id != binding.reporter {
        differ.push("reporter");
    }
    if claim.role != binding.role {
        differ.push("role");
    }
    if !claim
        .grid_ids
        .iter()
        .all(|g| binding.grids.binary_search(g).is_ok())
    {
        differ.push("grids");
    }
    differ
}

fn check(binding: &Binding, device: &str, claim: &Reporter) -> ApiResult<()> {
    let differ = mismatches(binding, claim);
    if differ.is_empty() {
        return Ok(());
    }
    tracing::warn!(device_id = %device, mismatch = ?differ, "report refused: claim differs from the device's worker");
    Err(ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "binding_mismatch",
        "Forbidden",
        "The report's reporter, role or grids differ from the worker this device is bound to; \
         it will not be accepted from this device",
    )
    .with("mismatch", serde_json::json!(differ)))
}

/// 403 `binding_mismatch` when the device is bound and the report's reporter claim differs.
pub(crate) fn authorize(state: &Inner, conn: &Connection, device: &str, claim: &Reporter) -> ApiResult<()> {
    match binding_of(state, conn, device)? {
        Some(binding) => check(&binding, device, claim),
        None => Ok(()),
    }
}

/// Inside the transaction that stores a report: [`authorize`] again, and an unbound
/// development device is bound to this report's claim (trust on first use).
pub(crate) fn bind_or_check(
    state: &Inner,
    tx: &Transaction<'_>,
    device: &str,
    claim: &Reporter,
) -> ApiResult<()> {
    if let Some(binding) = binding_of(state, tx, device)? {
        return check(&binding, device, claim);
    }
    if state.config.development_binding == DevelopmentBinding::Unbound {
        return Ok(());
    }
    let mut grids = claim.grid_ids.clone();
    grids.sort();
    grids.dedup();
    tx.execute(
        "UPDATE device SET bound_reporter = ?1, bound_role = ?2, bound_grids = ?3
         WHERE id = ?4 AND worker_id IS NULL AND bound_reporter IS NULL",
        rusqlite::params![
            claim.reporter_id,
            claim.role.as_str(),
            serde_json::to_string(&grids).expect("a list of strings serializes"),
            device
        ],
    )?;
    tracing::info!(device_id = %device, "development device bound to its first report's reporter");
    Ok(())
}

/// Whether `device` may learn what the platform holds of a photo: it sent bytes of it, or a
/// report of its that the platform stored names it.
pub(crate) fn may_learn_photo(conn: &Connection, device: &str, sha: &str) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM photo_uploader WHERE sha256 = ?1 AND device_id = ?2)
             OR EXISTS (SELECT 1 FROM report_photo p JOIN report r ON r.id = p.report_id
                        WHERE p.sha256 = ?1 AND r.device_id = ?2)",
        [sha, device],
        |r| r.get(0),
    )?)
}

/// Records that `device` sent bytes of a photo (written once per photo and device).
pub(crate) fn note_uploader(state: &Inner, device: &str, sha: &str) -> ApiResult<()> {
    let known: bool = state.db.read(|c| {
        Ok(c.query_row(
            "SELECT EXISTS (SELECT 1 FROM photo_uploader WHERE sha256 = ?1 AND device_id = ?2)",
            [sha, device],
            |r| r.get(0),
        )?)
    })?;
    if !known {
        state.db.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO photo_uploader (sha256, device_id) VALUES (?1, ?2)",
                [sha, device],
            )?;
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(reporter: &str, role: Role, grids: &[&str]) -> Reporter {
        Reporter {
            reporter_id: reporter.into(),
            role,
            grid_ids: grids.iter().map(|g| g.to_string()).collect(),
        }
    }

    #[test]
    fn a_claim_differs_by_reporter_role_or_a_grid_outside_the_binding() {
        let binding = Binding {
            reporter: "w-1".into(),
            role: Role::Inspector,
            grids: vec!["g1".into(), "g2".into()],
        };
        assert!(mismatches(&binding, &claim("w-1", Role::Inspector, &["g2", "g1"])).is_empty());
        assert!(mismatches(&binding, &claim("w-1", Role::Inspector, &["g1"])).is_empty());
        assert!(mismatches(&binding, &claim("w-1", Role::Inspector, &[])).is_empty());
        assert_eq!(
            mismatches(&binding, &claim("w-2", Role::PoliceOfficer, &["g1", "g3"])),
            ["reporter", "role", "grids"]
        );
        assert_eq!(
            mismatches(&binding, &claim("w-1", Role::Volunteer, &[])),
            ["role"]
        );
    }
}

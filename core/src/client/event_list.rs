//! The event list in force: the installed package or the bundled one, its install and reset,
//! and the look-ups the capture screen makes (categories, subtypes, problems, search).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::OptionalExtension;

use super::Client;
use crate::store::Store;
use crate::taxonomy::{Category, EventList, EventListInfo, Problem, Role, SearchHit, Subtype};
use crate::{Error, Result};

impl Client {
    /// The list reports are validated against now.
    pub fn event_list(&self) -> Arc<EventList> {
        self.event_list.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Verifies a package (from the platform, or a city's own) and makes it the list in force.
    /// A package with any problem is rejected whole and the previous list stays.
    pub fn install_event_list(&self, package_json: &[u8]) -> Result<EventListInfo> {
        let list = Arc::new(EventList::from_json(package_json)?);
        let info = list.info();
        self.store.write(|tx| {
            tx.execute("UPDATE event_list_package SET active = 0 WHERE active = 1", [])?;
            tx.execute(
                "INSERT INTO event_list_package (sha256, list_version, body, installed_at, active)
                 VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (sha256) DO UPDATE SET active = 1, installed_at = excluded.installed_at",
                rusqlite::params![info.sha256, info.list_version, package_json, unix_now()],
            )?;
            Ok(())
        })?;
        *self.event_list.write().unwrap_or_else(|p| p.into_inner()) = list;
        tracing::info!(list_version = %info.list_version, sha256 = %info.sha256, "event list installed");
        Ok(info)
    }

    /// Goes back to the bundled list, e.g. when a city's package was installed by mistake.
    pub fn reset_event_list(&self) -> Result<EventListInfo> {
        self.store
            .write(|tx| Ok(tx.execute("UPDATE event_list_package SET active = 0 WHERE active = 1", [])?))?;
        let list = EventList::bundled();
        let info = list.info();
        *self.event_list.write().unwrap_or_else(|p| p.into_inner()) = list;
        Ok(info)
    }

    pub fn event_list_info(&self) -> EventListInfo {
        self.event_list().info()
    }

    pub fn categories(&self) -> Vec<Category> {
        self.event_list().categories().to_vec()
    }

    /// A subtype with its rules, for the capture screen.
    pub fn subtype(&self, code: &str) -> Result<Subtype> {
        self.event_list()
            .subtype(code)
            .cloned()
            .ok_or_else(|| Error::UnknownCode {
                kind: "subtype",
                code: code.into(),
            })
    }

    /// The problems under a subtype, in code order.
    pub fn problems_of(&self, subtype_code: &str) -> Result<Vec<Problem>> {
        let list = self.event_list();
        if list.subtype(subtype_code).is_none() {
            return Err(Error::UnknownCode {
                kind: "subtype",
                code: subtype_code.into(),
            });
        }
        Ok(list.problems_of(subtype_code).into_iter().cloned().collect())
    }

    pub fn search_event_list(&self, query: &str, role: Option<Role>, limit: u32) -> Vec<SearchHit> {
        self.event_list().search(query, role, limit)
    }
}

/// The active installed package, verified again on every open: a store is only a file and may
/// have been damaged. If it no longer verifies, the bundled list is used and the reason logged.
pub(super) fn load_installed_event_list(store: &Store) -> Result<Arc<EventList>> {
    let body: Option<Vec<u8>> = store.read(|conn| {
        Ok(conn
            .query_row(
                "SELECT body FROM event_list_package WHERE active = 1",
                [],
                |row| row.get(0),
            )
            .optional()?)
    })?;
    Ok(match body {
        None => EventList::bundled(),
        Some(body) => match EventList::from_json(&body) {
            Ok(list) => Arc::new(list),
            Err(problems) => {
                tracing::warn!(%problems, "installed event list no longer verifies; using the bundled list");
                EventList::bundled()
            }
        },
    })
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

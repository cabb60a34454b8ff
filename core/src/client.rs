//! The client: one data directory on the phone, with its store and the event list in force.
//!
//! Owns the lifetime of what a host app opens once (`Client::open`) and the choice of event
//! list (the installed package, or the bundled one). Each feature's logic lives in its own
//! module; the client only wires them to the store.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::OptionalExtension;

use crate::store::Store;
use crate::taxonomy::{Category, EventList, EventListInfo, Problem, Role, SearchHit, Subtype};
use crate::{Error, Result};

const DATABASE_FILE: &str = "gridpatrol.sqlite3";

#[derive(Debug)]
pub struct Client {
    data_dir: PathBuf,
    store: Store,
    event_list: RwLock<Arc<EventList>>,
}

impl Client {
    /// Opens the data directory, creating it on first use.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self> {
        let data_dir = data_dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&data_dir).map_err(|source| Error::DataDirectory {
            path: data_dir.clone(),
            source,
        })?;
        let store = Store::open(&data_dir.join(DATABASE_FILE))?;
        let event_list = RwLock::new(load_installed_event_list(&store)?);
        Ok(Self {
            data_dir,
            store,
            event_list,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

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
fn load_installed_event_list(store: &Store) -> Result<Arc<EventList>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_the_directory_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("nested/data");
        let client = Client::open(&data).expect("open");
        assert!(data.join(DATABASE_FILE).exists());
        drop(client);
        Client::open(&data).expect("reopen");
    }

    #[test]
    fn a_file_in_the_way_is_a_data_directory_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("occupied");
        std::fs::write(&file, b"x").expect("write");
        assert!(matches!(Client::open(&file), Err(Error::DataDirectory { .. })));
    }
}

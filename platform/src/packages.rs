//! Packages the platform hands out: event lists (by version, with ETags), the grid package and
//! the component package.
//!
//! Owns the `event_list` table and its in-memory mirror ([`EventLists`]: every package the
//! platform has, parsed and verified by the core, one of them current), publishing a new list,
//! the grid package ([`Grids`]), the component package ([`Components`]) and the download handlers with `ETag` / `If-None-Match`. It does
//! not decide which list validates a report: `reports` asks [`EventLists::for_report`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridpatrol_core::component::ComponentIndex;
use gridpatrol_core::grid::GridIndex;
use gridpatrol_core::taxonomy::{EventList, EventListInfo};
use rusqlite::OptionalExtension as _;

use crate::auth::Device;
use crate::db::Db;
use crate::problem::{ApiError, ApiResult, Path};
use crate::{now_ms, sha256_hex};

struct Entry {
    list: Arc<EventList>,
    body: Bytes,
}

#[derive(Default)]
struct Lists {
    by_sha: HashMap<String, Entry>,
    current: String,
}

/// Every event list the platform has, verified; one is current.
pub struct EventLists {
    inner: RwLock<Lists>,
}

impl EventLists {
    /// Loads the stored packages; on a fresh platform stores the bundled list as current.
    pub(crate) fn load(db: &Db) -> ApiResult<Self> {
        let bundled = EventList::bundled();
        let bundled_sha = bundled.info().sha256;
        db.write(|tx| {
            let has_current: bool = tx
                .query_row("SELECT 1 FROM event_list WHERE current = 1", [], |_| Ok(()))
                .optional()?
                .is_some();
            tx.execute(
                "INSERT INTO event_list (sha256, list_version, body, published_at, current)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                rusqlite::params![
                    bundled_sha,
                    bundled.info().list_version,
                    EventList::bundled_json(),
                    now_ms(),
                    i64::from(!has_current)
                ],
            )?;
            Ok(())
        })?;
        let rows: Vec<(String, Vec<u8>, bool)> = db.read(|c| {
            let mut stmt = c.prepare("SELECT sha256, body, current FROM event_list")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? == 1)))?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })?;
        let mut lists = Lists::default();
        for (sha, body, current) in rows {
            let list = if sha == bundled_sha {
                bundled.clone()
            } else {
                Arc::new(EventList::from_json(&body).map_err(|e| {
                    ApiError::internal(format!("stored event list {sha} no longer verifies: {e}"))
                })?)
            };
            if current {
                lists.current = sha.clone();
            }
            lists.by_sha.insert(
                sha,
                Entry {
                    list,
                    body: Bytes::from(body),
                },
            );
        }
        Ok(Self {
            inner: RwLock::new(lists),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Lists> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The current list.
    pub fn current(&self) -> Arc<EventList> {
        let lists = self.read();
        lists.by_sha[&lists.current].list.clone()
    }

    /// The list a report names by SHA-256 when the platform has it, else the current one.
    pub fn for_report(&self, sha256: &str) -> Arc<EventList> {
        let lists = self.read();
        lists
            .by_sha
            .get(sha256)
            .unwrap_or(&lists.by_sha[&lists.current])
            .list
            .clone()
    }

    fn current_body(&self) -> (String, String, Bytes) {
        let lists = self.read();
        let entry = &lists.by_sha[&lists.current];
        (
            lists.current.clone(),
            entry.list.info().list_version,
            entry.body.clone(),
        )
    }

    fn body_by_version(&self, version: &str) -> Option<(String, Bytes)> {
        let lists = self.read();
        lists
            .by_sha
            .iter()
            .find(|(_, e)| e.list.info().list_version == version)
            .map(|(sha, e)| (sha.clone(), e.body.clone()))
    }

    /// Verifies a package and makes it current. Publishing the current package again is a no-op;
    /// a different package under a version already held is 409 `event_list_version_exists`.
    pub(crate) fn publish(&self, db: &Db, body: &[u8]) -> ApiResult<EventListInfo> {
        let list = EventList::from_json(body).map_err(|problems| {
            let listed: Vec<serde_json::Value> = problems
                .0
                .iter()
                .map(|p| serde_json::json!({"code": p.code, "field": p.field, "message": p.message}))
                .collect();
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "event_list_invalid",
                "Event list refused",
                "The package does not verify; nothing was published",
            )
            .with("problems", listed)
        })?;
        let info = list.info();
        let mut lists = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some((sha, _)) = lists
            .by_sha
            .iter()
            .find(|(sha, e)| e.list.info().list_version == info.list_version && **sha != info.sha256)
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "event_list_version_exists",
                "Version already published",
                format!(
                    "Version {} is already published with SHA-256 {sha}",
                    info.list_version
                ),
            ));
        }
        db.write(|tx| {
            tx.execute("UPDATE event_list SET current = 0 WHERE current = 1", [])?;
            tx.execute(
                "INSERT INTO event_list (sha256, list_version, body, published_at, current)
                 VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (sha256) DO UPDATE SET current = 1",
                rusqlite::params![info.sha256, info.list_version, body, now_ms()],
            )?;
            Ok(())
        })?;
        lists.current = info.sha256.clone();
        lists.by_sha.entry(info.sha256.clone()).or_insert(Entry {
            list: Arc::new(list),
            body: Bytes::copy_from_slice(body),
        });
        tracing::info!(version = %info.list_version, sha256 = %info.sha256, "event list published");
        Ok(info)
    }
}

/// The grid package the platform serves, and its index for own-grid checks.
pub struct Grids {
    body: Bytes,
    sha256: String,
    pub index: GridIndex,
}

impl Grids {
    pub(crate) fn new(json: &str) -> Result<Self, String> {
        let index = GridIndex::from_geojson_str(json).map_err(|e| e.to_string())?;
        Ok(Self {
            body: Bytes::copy_from_slice(json.as_bytes()),
            sha256: sha256_hex(json.as_bytes()),
            index,
        })
    }
}

/// The component package (部件) the platform serves, verified by the core when the platform
/// opens; its index is kept for validating reports' components.
pub struct Components {
    body: Bytes,
    pub index: ComponentIndex,
}

impl Components {
    pub(crate) fn new(bytes: &[u8], list: &EventList, grids: Option<&GridIndex>) -> Result<Self, String> {
        let index = ComponentIndex::from_package(bytes, list, grids, None)
            .map_err(|e| format!("{} ({})", e, e.code()))?;
        Ok(Self {
            body: Bytes::copy_from_slice(bytes),
            index,
        })
    }
}

/// True when `If-None-Match` names this entity tag (or `*`).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// 200 with the body or 304 when the device already has it; `ETag` is the quoted SHA-256 of
/// what is served (for event lists, the package's canonical SHA-256 that reports carry).
fn package_response(headers: &HeaderMap, sha256: &str, content_type: &'static str, body: Bytes) -> Response {
    let etag = format!("\"{sha256}\"");
    let tag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    if matches_etag(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::ETAG, tag),
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `GET /v1/event-lists/current`.
pub(crate) async fn current_event_list(
    _: Device,
    State(state): State<crate::State>,
    headers: HeaderMap,
) -> Response {
    let (sha, version, body) = state.lists.current_body();
    let mut response = package_response(&headers, &sha, "application/json", body);
    response.headers_mut().insert(
        "event-list-version",
        HeaderValue::from_str(&version).unwrap_or(HeaderValue::from_static("unknown")),
    );
    response
}

/// `GET /v1/event-lists/{version}`.
pub(crate) async fn event_list_by_version(
    _: Device,
    State(state): State<crate::State>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (sha, body) = state.lists.body_by_version(&version).ok_or_else(|| {
        ApiError::not_found("event_list_not_found", "The platform has no list of that version")
    })?;
    Ok(package_response(&headers, &sha, "application/json", body))
}

/// `GET /v1/grids/current`.
pub(crate) async fn current_grids(
    _: Device,
    State(state): State<crate::State>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let grids = state.grids.as_ref().ok_or_else(|| {
        ApiError::not_found("grid_package_unavailable", "This platform serves no grid package")
    })?;
    Ok(package_response(
        &headers,
        &grids.sha256,
        "application/geo+json",
        grids.body.clone(),
    ))
}

/// `GET /v1/components/current`: `ETag` = quoted SHA-256 of the bytes (the device passes it to
/// `install_component_package` to verify the download), `Component-Package-Version`.
pub(crate) async fn current_components(
    _: Device,
    State(state): State<crate::State>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let components = state.components.as_ref().ok_or_else(|| {
        ApiError::not_found(
            "component_package_unavailable",
            "This platform serves no component package",
        )
    })?;
    let mut response = package_response(
        &headers,
        components.index.sha256(),
        "application/geo+json",
        components.body.clone(),
    );
    response.headers_mut().insert(
        "component-package-version",
        HeaderValue::from_str(components.index.version()).unwrap_or(HeaderValue::from_static("unknown")),
    );
    Ok(response)
}

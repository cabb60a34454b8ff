//! gridpatrol-platform: the reference command platform that devices sync with.
//!
//! Owns the platform side of the sync protocol described in `docs/PROTOCOL.md` and
//! `platform/openapi.yaml`: device enrollment and tokens ([`auth`]), event-list and grid package
//! downloads ([`packages`]), workers and their one-time enrollment codes ([`workers`]), devices
//! held to the worker they speak for ([`binding`]), limits on enrollment attempts
//! ([`enroll_limit`]), resumable content-addressed photo upload ([`photos`]), patrols and their tracks
//! ([`patrols`]), idempotent
//! report upload with the device's own validation and case numbers ([`reports`]), one by one or
//! as an ordered batch ([`report_batch`]), the admin endpoints ([`admin`]), deterministic fault
//! injection ([`fault`]), and the HTTP server loop ([`server`]). State lives in one data
//! directory: `platform.db` (SQLite, see [`db`]) and `photos/`. It does not own any rule about
//! reports: validation is `gridpatrol_core::capture::validate_submitted`, the same function the
//! device runs.
//!
//! In-process use (tests, the demo):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use gridpatrol_platform::{Config, Platform};
//! let platform = Platform::open("/tmp/platform", Config::new("ENROLL-1", "admin-secret"))?;
//! let (addr, handle) = platform.spawn("127.0.0.1:0".parse()?).await?;
//! // ... talk HTTP to addr ...
//! drop(handle); // stops the server
//! # Ok(()) }
//! ```

pub mod admin;
pub mod auth;
pub mod binding;
pub mod claims;
pub mod db;
pub mod enroll_limit;
pub mod fault;
pub mod packages;
pub mod patrols;
mod photo_partials;
pub mod photos;
pub mod problem;
pub mod report_batch;
pub mod reports;
pub mod server;
pub mod workers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, head, post, put};
use gridpatrol_core::capture::CapturePolicy;

pub use binding::DevelopmentBinding;
pub use enroll_limit::EnrollmentLimits;
pub use fault::{FaultConfig, FaultKind};
pub use gridpatrol_core::taxonomy::EventList;
pub use server::{ConnectionLimits, ShutdownHandle};

use problem::{ApiError, ApiResult};

/// Body and photo size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A report's JSON body, alone or as one item of a batch.
    pub report_bytes: usize,
    /// The reports in one `POST /v1/reports` batch.
    pub batch_reports: usize,
    /// A `POST /v1/reports` batch's whole JSON body.
    pub batch_bytes: usize,
    /// One `PATCH` of photo bytes.
    pub photo_chunk_bytes: usize,
    /// One photo's declared length, and the sum of a report's photos.
    pub photos_total_bytes: u64,
    /// Unfinished photo uploads one device may hold at once.
    pub partial_photos_per_device: usize,
    /// The declared lengths of one device's unfinished photo uploads, in total.
    pub partial_bytes_per_device: u64,
    /// Small JSON bodies (enrollment, token refresh, admin calls).
    pub small_json_bytes: usize,
    /// An event-list package published through the admin endpoint.
    pub package_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            report_bytes: 256 * 1024,
            batch_reports: 50,
            batch_bytes: 1024 * 1024,
            photo_chunk_bytes: 8 * 1024 * 1024,
            photos_total_bytes: 30 * 1024 * 1024,
            partial_photos_per_device: 32,
            partial_bytes_per_device: 256 * 1024 * 1024,
            small_json_bytes: 16 * 1024,
            package_bytes: 16 * 1024 * 1024,
        }
    }
}

/// How a platform runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The development enrollment code: a device enrolled with it is bound to the reporter,
    /// role and grids of its first stored report (see [`development_binding`](Self::development_binding)).
    /// Empty: no development enrollment, only workers' codes.
    pub enrollment_code: String,
    /// How devices enrolled with the development code are bound.
    pub development_binding: DevelopmentBinding,
    /// How long a worker's one-time enrollment code is good for.
    pub enrollment_code_ttl_s: u64,
    /// Refused enrollment attempts tolerated per address and in total.
    pub enrollment_limits: EnrollmentLimits,
    /// The bearer token of `/v1/admin/*`.
    pub admin_token: String,
    /// Case numbers are `{prefix}-{YYYYMMDD}-{NNNNNN}` (China date of receipt).
    pub case_prefix: String,
    pub limits: Limits,
    /// Timeouts and the connection cap of the HTTP server.
    pub connections: ConnectionLimits,
    /// How long an access token is good for; the refresh token does not expire.
    pub access_token_ttl_s: u64,
    /// How long an unfinished photo upload is kept after its last chunk.
    pub partial_photo_ttl_s: u64,
    /// The non-per-subtype limits of validation (as on the device).
    pub policy: CapturePolicy,
    /// A grid package (GeoJSON) to serve and validate own-grid rules with; `None`: no grids.
    pub grid_package: Option<String>,
    /// A component package (部件, GeoJSON) to serve; verified at open against the current event
    /// list and the grid package's extent. `None`: no components.
    pub component_package: Option<Vec<u8>>,
    /// Fault injection for tests of the sync engine; `None` in normal operation.
    pub fault: Option<FaultConfig>,
}

impl Config {
    pub fn new(enrollment_code: impl Into<String>, admin_token: impl Into<String>) -> Self {
        Self {
            enrollment_code: enrollment_code.into(),
            development_binding: DevelopmentBinding::default(),
            enrollment_code_ttl_s: 72 * 3600,
            enrollment_limits: EnrollmentLimits::default(),
            admin_token: admin_token.into(),
            case_prefix: "WZ".into(),
            limits: Limits::default(),
            connections: ConnectionLimits::default(),
            access_token_ttl_s: 24 * 3600,
            partial_photo_ttl_s: 7 * 24 * 3600,
            policy: CapturePolicy::default(),
            grid_package: None,
            component_package: None,
            fault: None,
        }
    }
}

/// Why a platform could not open its data directory.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database: {0}")]
    Db(#[from] db::OpenError),
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("grid package: {0}")]
    Grids(String),
    #[error("component package: {0}")]
    Components(String),
    #[error("{0}")]
    Startup(String),
}

/// The shared state behind every handler.
pub(crate) struct Inner {
    pub config: Config,
    pub db: db::Db,
    pub photo_dir: PathBuf,
    /// Per-photo locks: the writes of one photo run one at a time, those of others in parallel.
    pub photo_locks: photo_partials::Locks,
    pub lists: packages::EventLists,
    pub grids: Option<packages::Grids>,
    pub components: Option<packages::Components>,
    /// The fault mode in force; replaced whole by [`Platform::set_fault`].
    pub fault: std::sync::RwLock<Option<Arc<fault::FaultState>>>,
    pub enroll_limiter: enroll_limit::EnrollLimiter,
}

pub(crate) type State = Arc<Inner>;

/// A platform on one data directory. Cheap to clone.
#[derive(Clone)]
pub struct Platform {
    inner: State,
}

impl Platform {
    /// Opens (creating if needed) the platform's data directory: the database, the photo store
    /// (interrupted completions are finished), the bundled event list, the grid package.
    pub fn open(dir: impl AsRef<Path>, config: Config) -> Result<Self, OpenError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let db = db::Db::open(&dir.join("platform.db"))?;
        let photo_dir = dir.join("photos");
        photos::prepare(&photo_dir)?;
        let lists = packages::EventLists::load(&db).map_err(|e| OpenError::Startup(e.detail))?;
        let grids = match &config.grid_package {
            None => None,
            Some(json) => Some(packages::Grids::new(json).map_err(OpenError::Grids)?),
        };
        let components = match &config.component_package {
            None => None,
            Some(bytes) => Some(
                packages::Components::new(bytes, &lists.current(), grids.as_ref().map(|g| &g.index))
                    .map_err(OpenError::Components)?,
            ),
        };
        let fault = std::sync::RwLock::new(config.fault.clone().map(|f| Arc::new(fault::FaultState::new(f))));
        let enroll_limiter = enroll_limit::EnrollLimiter::new(config.enrollment_limits);
        let inner = Inner {
            enroll_limiter,
            config,
            db,
            photo_dir,
            photo_locks: photo_partials::Locks::new(),
            lists,
            grids,
            components,
            fault,
        };
        photos::reconcile(&inner).map_err(|e| OpenError::Startup(e.detail))?;
        tracing::info!(dir = %dir.display(), "platform opened");
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The protocol's routes, for `tower::ServiceExt::oneshot` in tests or an own server.
    /// Served this way, the "drop the connection" fault answers 500 instead (see [`fault`]).
    pub fn router(&self) -> Router {
        let device = Router::new()
            .route("/v1/enroll", post(auth::enroll))
            .route("/v1/token", post(auth::refresh))
            .route("/v1/event-lists/current", get(packages::current_event_list))
            .route("/v1/event-lists/{version}", get(packages::event_list_by_version))
            .route("/v1/grids/current", get(packages::current_grids))
            .route("/v1/components/current", get(packages::current_components))
            .route("/v1/photos/{sha256}", head(photos::head).patch(photos::patch))
            .route("/v1/patrols", get(patrols::list))
            .route(
                "/v1/patrols/{patrol_id}",
                put(patrols::put_patrol).get(patrols::get_patrol),
            )
            .route("/v1/patrols/{patrol_id}/chunks/{chunk}", put(patrols::put_chunk))
            .route("/v1/reports", get(reports::list).post(report_batch::upload))
            .route(
                "/v1/reports/{report_id}",
                put(reports::upload).get(reports::status),
            )
            .layer(axum::middleware::from_fn_with_state(
                self.inner.clone(),
                fault::middleware,
            ));
        Router::new()
            .route("/v1/health", get(health))
            .route("/v1/admin/stats", get(admin::stats))
            .route("/v1/admin/workers", post(admin::create_worker))
            .route("/v1/admin/reports", get(claims::list))
            .route("/v1/admin/devices/{device_id}/revoke", post(admin::revoke))
            .route("/v1/admin/reports/{report_id}/status", post(admin::set_status))
            .route("/v1/admin/event-lists", post(admin::publish_event_list))
            .merge(device)
            .fallback(not_found)
            // Last: whatever axum answers by itself (405 and the like) is a problem too.
            .layer(axum::middleware::map_response(problem::ensure_problem))
            .with_state(self.inner.clone())
    }

    /// Serves on `addr` (port 0: any free port) until the handle is dropped or stopped.
    pub async fn spawn(&self, addr: SocketAddr) -> std::io::Result<(SocketAddr, ShutdownHandle)> {
        server::spawn(self.router(), addr, self.inner.config.connections).await
    }

    /// Turns the fault mode on (or off with `None`) from now on; the request count restarts at 0,
    /// so a test can set up without faults and then get a known sequence.
    pub fn set_fault(&self, fault: Option<FaultConfig>) {
        let state = fault.map(|f| Arc::new(fault::FaultState::new(f)));
        *self.inner.fault.write().unwrap_or_else(|p| p.into_inner()) = state;
    }

    /// The admin statistics, read in-process (the same as `GET /v1/admin/stats`).
    pub fn stats(&self) -> Result<admin::Stats, String> {
        admin::read_stats(&self.inner).map_err(|e| e.detail)
    }

    /// A patrol with its live position and figures, read in-process as the admin sees it
    /// (the same as `GET /v1/patrols/{id}`); `None` when the platform does not hold it.
    pub fn patrol(&self, patrol_id: &str) -> Result<Option<patrols::PatrolView>, String> {
        match patrols::read_view(&self.inner, &auth::Viewer::Admin, patrol_id) {
            Ok(view) => Ok(Some(view)),
            Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e.detail),
        }
    }

    /// The admin token in force.
    pub fn admin_token(&self) -> &str {
        &self.inner.config.admin_token
    }
}

async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "No such endpoint")
}

/// Sets up `tracing` output on stderr for `gridpatrol serve` (`RUST_LOG` filters; default
/// `info`). Logs carry ids, codes and counts, never report text, names or photo bytes.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The platform's clock, Unix ms: the core's, so device and platform count time alike.
pub(crate) use gridpatrol_core::time::now_ms;

/// Runs blocking work (SQLite, file I/O, hashing) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("blocking task: {e}")))?
}

/// Reads a whole body up to `limit` bytes; more is 413 `payload_too_large`, at once when the
/// `Content-Length` announces more. A body the server loop's `body_read_timeout` cut off is 408
/// `body_timeout`.
pub(crate) async fn read_body(body: axum::body::Body, limit: usize) -> ApiResult<axum::body::Bytes> {
    use axum::body::HttpBody as _;
    if body.size_hint().lower() > limit as u64 {
        return Err(ApiError::too_large("payload_too_large", limit));
    }
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        if caused_by::<http_body_util::LengthLimitError>(&error) {
            ApiError::too_large("payload_too_large", limit)
        } else if caused_by::<server::BodyTimeout>(&error) {
            ApiError::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "Request timeout",
                "The request body did not arrive in time",
            )
        } else {
            ApiError::bad_request("body_unreadable", "The request body could not be read")
        }
    })
}

/// Whether `E` is somewhere in `error`'s chain of sources.
fn caused_by<E: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<E>() {
            return true;
        }
        next = error.source();
    }
    false
}

/// A body as text: JSON is UTF-8, anything else is 400 `invalid_utf8` (also inside strings a
/// parser would skip, such as an unknown field's value).
pub(crate) fn utf8_body(bytes: &[u8]) -> ApiResult<&str> {
    std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("invalid_utf8", "The body is not valid UTF-8"))
}

/// Parses a JSON body; not UTF-8 is 400 `invalid_utf8`, malformed JSON is 400 `malformed_json`.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_str(utf8_body(bytes)?).map_err(|e| {
        ApiError::bad_request(
            "malformed_json",
            format!("The body is not the expected JSON: {e}"),
        )
    })
}

/// A fresh unguessable token: 244 random bits from the OS, hex, behind a readable prefix
/// (device tokens; `gridpatrol serve` uses it for a generated admin token or enrollment code).
pub fn new_token(prefix: &str) -> String {
    format!(
        "{prefix}_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

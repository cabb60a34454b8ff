//! Shared fixtures of the platform's HTTP tests: a platform on a temp dir served on
//! 127.0.0.1:0, an enrolled device, a valid report built from the bundled event list.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use gridpatrol_core::capture::{DraftPhoto, PhotoKind, Reporter, SubmittedReport};
use gridpatrol_core::location::{Datum, LocationFix, LocationProvider};
use gridpatrol_core::taxonomy::{EventList, Role};
use gridpatrol_platform::{Config, Platform, ShutdownHandle};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use sha2::Digest as _;

pub const CODE: &str = "ENROLL-TEST-1";
pub const ADMIN: &str = "admin-test-token";

pub struct Served {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub handle: Option<ShutdownHandle>,
    pub http: Client,
    pub platform: Platform,
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop().await;
        }
    }

    /// Serves the same data directory again (a platform restart).
    pub async fn restart(&mut self, config: Config) {
        self.stop().await;
        let (platform, addr, handle) = serve_dir(self.dir.path(), config).await;
        self.platform = platform;
        self.addr = addr;
        self.handle = Some(handle);
        // Fresh connections: the old server's keep-alive sockets are gone.
        self.http = client();
    }

    pub async fn admin_stats(&self) -> Value {
        let response = self
            .http
            .get(self.url("/v1/admin/stats"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("stats");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("stats json")
    }
}

pub fn client() -> Client {
    gridpatrol_core::sync::install_tls_provider();
    Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
}

pub fn config() -> Config {
    Config::new(CODE, ADMIN)
}

async fn serve_dir(dir: &Path, config: Config) -> (Platform, SocketAddr, ShutdownHandle) {
    let platform = Platform::open(dir, config).expect("open platform");
    let (addr, handle) = platform
        .spawn("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("spawn");
    (platform, addr, handle)
}

pub async fn start(config: Config) -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let (platform, addr, handle) = serve_dir(dir.path(), config).await;
    Served {
        dir,
        addr,
        handle: Some(handle),
        http: client(),
        platform,
    }
}

/// A device's credentials.
pub struct Device {
    pub id: String,
    pub token: String,
    pub refresh: String,
}

pub async fn enroll(served: &Served) -> Device {
    let response = served
        .http
        .post(served.url("/v1/enroll"))
        .json(&serde_json::json!({"enrollment_code": CODE, "label": "test phone"}))
        .send()
        .await
        .expect("enroll");
    assert_eq!(response.status(), StatusCode::CREATED);
    let grant: Value = response.json().await.expect("grant");
    Device {
        id: grant["device_id"].as_str().expect("id").into(),
        token: grant["access_token"].as_str().expect("token").into(),
        refresh: grant["refresh_token"].as_str().expect("refresh").into(),
    }
}

/// Asserts a problem+json answer with this status and code; returns the body.
pub async fn problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of {code}");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "content type of {code}"
    );
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().is_some_and(|t| t.ends_with(code)));
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Deterministic "photo" bytes (the platform stores bytes; it does not decode them).
pub fn photo_bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

pub use gridpatrol_core::time::now_ms;

/// A valid 03-001 消防通道堵塞 report by an inspector in Suzhou, with one evidence photo.
pub fn report(id: &str, photo: &[u8]) -> SubmittedReport {
    let list = EventList::bundled();
    let info = list.info();
    let captured = now_ms() - 60_000;
    SubmittedReport {
        id: id.into(),
        category: "03".into(),
        subtype: "03-001".into(),
        problem: "03-001-01".into(),
        content: gridpatrol_core::capture::ReportContent {
            reporter: Reporter {
                reporter_id: "w-0001".into(),
                role: Role::Inspector,
                grid_ids: vec![],
            },
            fix: Some(LocationFix {
                lat: 31.27,
                lon: 120.62,
                accuracy_m: 8.0,
                fix_time_ms: captured,
                provider: LocationProvider::Gps,
                is_mock: false,
                datum: Datum::Wgs84,
            }),
            input_datum: Some(Datum::Wgs84),
            photos: vec![DraftPhoto {
                sha256: sha256_hex(photo),
                kind: PhotoKind::Evidence,
                width: 1280,
                height: 960,
                bytes: photo.len() as u64,
                original_width: 4000,
                original_height: 3000,
                exif_taken_at_ms: None,
                exif_lat: None,
                exif_lon: None,
            }],
            attributes: HashMap::new(),
            description: "消防通道被车辆堵塞".into(),
            component_id: None,
            disposed_on_spot: false,
            captured_at_ms: captured,
        },
        grid_id: None,
        submitted_at_ms: captured + 30_000,
        event_list_version: info.list_version,
        event_list_sha256: info.sha256,
        acknowledged_warnings: vec![],
        override_reason: None,
        claim: None,
    }
}

pub async fn patch_photo(
    served: &Served,
    device: &Device,
    sha: &str,
    offset: u64,
    total: u64,
    chunk: &[u8],
) -> Response {
    served
        .http
        .patch(served.url(&format!("/v1/photos/{sha}")))
        .bearer_auth(&device.token)
        .header("upload-offset", offset.to_string())
        .header("upload-length", total.to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(chunk.to_vec())
        .send()
        .await
        .expect("patch")
}

/// Uploads a photo whole in one PATCH; asserts 204.
pub async fn upload_photo(served: &Served, device: &Device, bytes: &[u8]) {
    let sha = sha256_hex(bytes);
    let response = patch_photo(served, device, &sha, 0, bytes.len() as u64, bytes).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

pub async fn put_report(served: &Served, device: &Device, report: &SubmittedReport) -> Response {
    served
        .http
        .put(served.url(&format!("/v1/reports/{}", report.id)))
        .bearer_auth(&device.token)
        .json(report)
        .send()
        .await
        .expect("put report")
}

pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

//! Downloading packages from the platform with the engine's credentials: the event list
//! (`GET /v1/event-lists/current`) and the component package (`GET /v1/components/current`),
//! each conditional on the hash of the package in force.
//!
//! Owns the download: the `If-None-Match` / `ETag` exchange, checking that the package hashes
//! to the `ETag` the platform announced, and handing a changed package to the client to
//! install. It does not verify or install a package itself (`taxonomy` and `Client` do), nor
//! send anything from the outbox: a download is not offline sending, so it has no retries of
//! its own — an error goes to the caller, who asks again later.

use super::Inner;
use super::protocol::{self, Failure, Problem};
use crate::client::ComponentPackageInfo;
use crate::taxonomy::EventListInfo;
use crate::{Error, Result};

/// A package the platform sent because it differs from the one the device holds: its bytes
/// and the SHA-256 its `ETag` announced.
struct Downloaded {
    body: bytes::Bytes,
    announced_sha256: Option<String>,
}

impl Inner {
    /// `GET path` with `If-None-Match` = the SHA-256 the device holds; `None` on 304.
    async fn download(&self, path: &str, held_sha256: Option<&str>) -> Result<Option<Downloaded>> {
        let url = self.url(path);
        let etag = held_sha256.map(|sha| format!("\"{sha}\""));
        let response = self
            .authed(|http| match &etag {
                Some(etag) => http.get(&url).header(reqwest::header::IF_NONE_MATCH, etag),
                None => http.get(&url),
            })
            .await
            .map_err(failure_to_error)?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !response.status().is_success() {
            let problem = Problem::read(response).await;
            return Err(Error::Platform {
                status: problem.status,
                code: problem.code,
            });
        }
        let announced_sha256 = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_string());
        let body = response.bytes().await.map_err(|e| protocol::network_error(&e))?;
        Ok(Some(Downloaded {
            body,
            announced_sha256,
        }))
    }

    /// Fetches the platform's current event list when it differs from the one in force and
    /// installs it after it verifies; `None` when unchanged.
    pub(super) async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        let current = self.client.event_list_info().sha256;
        let Some(download) = self.download("/v1/event-lists/current", Some(&current)).await? else {
            return Ok(None);
        };
        let list = crate::taxonomy::EventList::from_json(&download.body)?;
        if let Some(announced) = download.announced_sha256
            && announced != list.info().sha256
        {
            return Err(Error::InvalidArgument {
                field: "event_list",
                reason: "the package does not hash to the ETag the platform sent".into(),
            });
        }
        if list.info().sha256 == current {
            return Ok(None);
        }
        Ok(Some(self.client.install_event_list(&download.body)?))
    }

    /// Fetches the platform's component package (部件) when it differs from the one installed
    /// and installs it after it verifies — whole, against the event list, the grids' extent and
    /// the SHA-256 of the `ETag`; `None` when unchanged. A package that fails leaves the one in
    /// force.
    pub(super) async fn pull_component_package(&self) -> Result<Option<ComponentPackageInfo>> {
        let held = self.client.component_package_info().map(|info| info.sha256);
        let Some(download) = self.download("/v1/components/current", held.as_deref()).await? else {
            return Ok(None);
        };
        let Some(announced) = download.announced_sha256 else {
            return Err(Error::InvalidArgument {
                field: "component_package",
                reason: "the platform sent no ETag to verify the package with".into(),
            });
        };
        if held.as_deref() == Some(announced.as_str()) {
            return Ok(None);
        }
        Ok(Some(
            self.client
                .install_component_package(&download.body, Some(&announced))?,
        ))
    }
}

/// What a failed authenticated request means to a caller outside a run.
fn failure_to_error(failure: Failure) -> Error {
    match failure {
        Failure::Stop(error) => error,
        Failure::Transient { reason, .. } => Error::Network { reason },
        Failure::Permanent { code, .. } => Error::Platform { status: 400, code },
        Failure::Deferred => Error::Network {
            reason: "deferred".into(),
        },
    }
}

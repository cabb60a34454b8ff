//! Downloading packages from the platform with the engine's credentials: today the event list
//! (`GET /v1/event-lists/current`, conditional on the hash of the list in force).
//!
//! Owns the download: the `If-None-Match` / `ETag` exchange, checking that the package hashes
//! to the `ETag` the platform announced, and handing a changed package to the client to
//! install. It does not verify or install a package itself (`taxonomy` and `Client` do), nor
//! send anything from the outbox: a download is not offline sending, so it has no retries of
//! its own — an error goes to the caller, who asks again later.

use super::Inner;
use super::protocol::{self, Failure, Problem};
use crate::taxonomy::EventListInfo;
use crate::{Error, Result};

impl Inner {
    /// Fetches the platform's current event list when it differs from the one in force and
    /// installs it after it verifies; `None` when unchanged.
    pub(super) async fn pull_event_list(&self) -> Result<Option<EventListInfo>> {
        let current = self.client.event_list_info().sha256;
        let url = self.url("/v1/event-lists/current");
        let etag = format!("\"{current}\"");
        let response = self
            .authed(|http| http.get(&url).header(reqwest::header::IF_NONE_MATCH, &etag))
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
        let announced = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_string());
        let body = response.bytes().await.map_err(|e| Error::Network {
            reason: protocol::network_reason(&e).into(),
        })?;
        let list = crate::taxonomy::EventList::from_json(&body)?;
        if let Some(announced) = announced
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
        Ok(Some(self.client.install_event_list(&body)?))
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

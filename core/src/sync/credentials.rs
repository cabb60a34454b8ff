//! The device's credentials with the platform: enrollment, the access token sent with every
//! request and its refresh, the revocation mark, and the engine's keys in `meta`.
//!
//! Owns `sync.device_id`, `sync.access_token`, `sync.refresh_token` (stored together by
//! `enroll`; a refresh replaces only the access token — the refresh token is not rotated, so a
//! lost refresh answer is harmless), `sync.revoked` (set when the platform answers
//! `device_revoked`, lifted by enrolling again; nothing else is deleted) and
//! `sync.platform_url` with `sync.tls_trust` (the pins and CA of that address, JSON; absent for
//! the system's trust). Every authenticated request goes through [`Inner::authed`], the one
//! place a 401 is answered: refresh once and send again, or stop.
//!
//! It does not own what an answer means for a report (`protocol` classifies), the SQL of `meta`
//! (`outbox`), nor the clock offset key (`clock`). Logs carry the device id, never a token.

use rusqlite::Connection;

use super::Inner;
use super::outbox;
use super::protocol::{self, Failure, Problem, TokenGrant, network_failure};
use super::tls::TlsTrust;
use crate::{Client, Error, Result};

pub(super) const KEY_DEVICE_ID: &str = "sync.device_id";
pub(super) const KEY_ACCESS_TOKEN: &str = "sync.access_token";
pub(super) const KEY_REFRESH_TOKEN: &str = "sync.refresh_token";
pub(super) const KEY_REVOKED: &str = "sync.revoked";
pub(super) const KEY_LAST_SUCCESS: &str = "sync.last_success_at";
pub(super) const KEY_PLATFORM_URL: &str = "sync.platform_url";
pub(super) const KEY_TLS_TRUST: &str = "sync.tls_trust";

/// The device's credentials, as stored in `meta`.
#[derive(Debug, Clone)]
pub(super) struct Credentials {
    pub device_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl Credentials {
    /// The stored credentials; `None` before enrollment (or when one of the three is missing).
    pub(super) fn load(conn: &Connection) -> Result<Option<Credentials>> {
        Ok(
            match (
                outbox::meta_get(conn, KEY_DEVICE_ID)?,
                outbox::meta_get(conn, KEY_ACCESS_TOKEN)?,
                outbox::meta_get(conn, KEY_REFRESH_TOKEN)?,
            ) {
                (Some(device_id), Some(access_token), Some(refresh_token)) => Some(Credentials {
                    device_id,
                    access_token,
                    refresh_token,
                }),
                _ => None,
            },
        )
    }
}

/// The platform this data directory last enrolled with (see `SyncEngine::enrolled_platform_url`).
pub(super) fn enrolled_platform_url(client: &Client) -> Result<Option<String>> {
    client
        .store()
        .read(|conn| outbox::meta_get(conn, KEY_PLATFORM_URL))
}

/// The TLS trust stored with `platform_url`, when the directory is enrolled with that address.
pub(super) fn stored_trust(conn: &Connection, platform_url: &str) -> Result<Option<TlsTrust>> {
    if outbox::meta_get(conn, KEY_PLATFORM_URL)?.as_deref() != Some(platform_url) {
        return Ok(None);
    }
    match outbox::meta_get(conn, KEY_TLS_TRUST)? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(Some(TlsTrust::default())),
    }
}

/// Stores the trust of the enrolled platform address (the default is stored as no key).
pub(super) fn store_trust(conn: &rusqlite::Transaction<'_>, trust: &TlsTrust) -> Result<()> {
    if trust.is_default() {
        outbox::meta_delete(conn, KEY_TLS_TRUST)
    } else {
        outbox::meta_set(conn, KEY_TLS_TRUST, &serde_json::to_string(trust)?)
    }
}

/// Whether a 401 with this `code` is answered by refreshing the access token. A HEAD answer has
/// no body to name the code (`""`): refreshing tells, as a revoked device's refresh answers
/// `device_revoked`. Any other code goes to `Problem::classify` (a stop).
pub(super) fn refreshes_token(code: &str) -> bool {
    matches!(code, "token_expired" | "token_invalid" | "")
}

impl Inner {
    pub(super) fn credentials(&self) -> Option<Credentials> {
        self.credentials.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `POST /v1/enroll`; the credentials are stored and a revocation mark lifted.
    pub(super) async fn enroll(&self, enrollment_code: &str, device_name: &str) -> Result<String> {
        let label: String = device_name.chars().take(100).collect();
        let public_key = self.client.device_key()?.public_key_hex();
        let response = self
            .http
            .post(self.url("/v1/enroll"))
            .json(&serde_json::json!({
                "enrollment_code": enrollment_code,
                "label": label,
                "device_public_key": public_key,
            }))
            .send()
            .await
            .map_err(|e| protocol::network_error(&e))?;
        if !response.status().is_success() {
            let problem = Problem::read(response).await;
            return Err(Error::Platform {
                status: problem.status,
                code: problem.code,
            });
        }
        let grant: TokenGrant = response.json().await.map_err(|e| protocol::network_error(&e))?;
        let stored = [
            (KEY_DEVICE_ID, grant.device_id.clone()),
            (KEY_ACCESS_TOKEN, grant.access_token.clone()),
            (KEY_REFRESH_TOKEN, grant.refresh_token.clone()),
        ];
        let url = self.config.platform_url.clone();
        let trust = self.tls.clone();
        self.write(move |tx| {
            for (key, value) in &stored {
                outbox::meta_set(tx, key, value)?;
            }
            outbox::meta_set(tx, KEY_PLATFORM_URL, &url)?;
            store_trust(tx, &trust)?;
            outbox::meta_delete(tx, KEY_REVOKED)
        })
        .await?;
        *self.credentials.write().unwrap_or_else(|p| p.into_inner()) = Some(Credentials {
            device_id: grant.device_id.clone(),
            access_token: grant.access_token,
            refresh_token: grant.refresh_token,
        });
        tracing::info!(device_id = %grant.device_id, "device enrolled");
        Ok(grant.device_id)
    }

    /// The platform revoked this device in an earlier run (no request is sent until it enrolls
    /// again).
    pub(super) fn is_revoked(&self) -> Result<bool> {
        Ok(self
            .client
            .store()
            .read(|conn| outbox::meta_get(conn, KEY_REVOKED))?
            .is_some())
    }

    /// Stores the revocation mark; nothing else is deleted.
    pub(super) async fn mark_revoked(&self) -> Result<()> {
        tracing::warn!("the platform revoked this device; sync stopped, nothing deleted");
        self.write(|tx| outbox::meta_set(tx, KEY_REVOKED, "1")).await
    }

    /// Sends a request with the access token; on `token_expired` / `token_invalid` refreshes
    /// once and sends it again. Returns any answer but a 401; no answer is transient.
    pub(super) async fn authed(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        for _ in 0..3 {
            let token = self
                .credentials()
                .ok_or(Failure::Stop(Error::NotEnrolled))?
                .access_token;
            let response = make(&self.http)
                .bearer_auth(&token)
                .send()
                .await
                .map_err(|e| network_failure(&e))?;
            self.clock.learn(&response);
            if response.status() != reqwest::StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let problem = Problem::read(response).await;
            if refreshes_token(&problem.code) {
                self.refresh(&token).await?;
            } else {
                return Err(problem.classify());
            }
        }
        Err(Failure::Transient {
            reason: "token_refresh_loop".into(),
            retry_after: None,
        })
    }

    /// `POST /v1/token` unless another task already replaced `stale`.
    async fn refresh(&self, stale: &str) -> Result<(), Failure> {
        let _one = self.refresh_lock.lock().await;
        let credentials = self.credentials().ok_or(Failure::Stop(Error::NotEnrolled))?;
        if credentials.access_token != stale {
            return Ok(());
        }
        let response = self
            .http
            .post(self.url("/v1/token"))
            .json(&serde_json::json!({
                "device_id": credentials.device_id,
                "refresh_token": credentials.refresh_token,
            }))
            .send()
            .await
            .map_err(|e| network_failure(&e))?;
        if !response.status().is_success() {
            return Err(Problem::read(response).await.classify());
        }
        let grant: TokenGrant = response.json().await.map_err(|e| network_failure(&e))?;
        let token = grant.access_token.clone();
        self.write(move |tx| outbox::meta_set(tx, KEY_ACCESS_TOKEN, &token))
            .await?;
        self.credentials
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .expect("credentials were present above")
            .access_token = grant.access_token;
        tracing::info!(device_id = %credentials.device_id, "access token refreshed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_invalid_or_unnamed_401_refreshes_and_any_other_does_not() {
        for code in ["token_expired", "token_invalid", ""] {
            assert!(refreshes_token(code), "{code:?} refreshes");
        }
        for code in [
            "device_revoked",
            "credentials_refused",
            "token_expired ",
            "TOKEN_EXPIRED",
        ] {
            assert!(!refreshes_token(code), "{code:?} does not refresh");
        }
    }
}

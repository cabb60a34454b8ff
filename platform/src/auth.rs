//! Devices and tokens: enrollment, access-token refresh, revocation, and the bearer checks.
//!
//! Owns the `device` table and the two extractors every protected handler takes: [`Device`]
//! (a device's access token) and [`Admin`] (the admin token). A device enrolls with a worker's
//! one-time code (it becomes that worker's device, see [`crate::workers`]) or with the
//! platform's development code, within the attempt limits of [`crate::enroll_limit`], and gets
//! an id, a short-lived access token and a refresh token that does not rotate (so a lost refresh
//! answer is retried safely). Tokens are stored only as SHA-256 hashes; secrets are compared in
//! constant time (`subtle`), and an access token is found by its hash, so lookup timing tells
//! nothing about the token. A revoked device gets 401 `device_revoked` everywhere. It does not
//! own what a device may see or claim: the resource modules filter by [`Device::id`], and
//! [`crate::binding`] holds a device to its worker.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};

use crate::problem::{ApiError, ApiResult};
use crate::workers::{self, Redeemed};
use crate::{Inner, blocking, new_token, now_ms, parse_json, read_body, sha256_hex};

/// What enrollment and refresh answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenGrant {
    pub device_id: String,
    pub token_type: String,
    pub access_token: String,
    pub access_expires_at_ms: i64,
    pub refresh_token: String,
}

#[derive(Debug, Deserialize)]
struct EnrollRequest {
    enrollment_code: String,
    #[serde(default)]
    label: Option<String>,
    /// The device's Ed25519 public key (hex) its reports' claims are checked against.
    #[serde(default)]
    device_public_key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RefreshRequest {
    device_id: String,
    refresh_token: String,
}

/// `POST /v1/enroll`: enrollment code → device id and tokens (201). Refused attempts (401)
/// count towards the limits of [`crate::enroll_limit`]; over them, 429 before the code is looked at.
pub(crate) async fn enroll(
    State(state): State<crate::State>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    body: Body,
) -> ApiResult<Response> {
    let address = peer.map(|axum::Extension(ConnectInfo(peer))| peer.ip());
    state.enroll_limiter.check(address)?;
    let bytes = read_body(body, state.config.limits.small_json_bytes).await?;
    let request: EnrollRequest = parse_json(&bytes)?;
    let label = request.label.map(|l| l.chars().take(100).collect::<String>());
    let public_key = request
        .device_public_key
        .as_deref()
        .map(crate::claims::checked_public_key)
        .transpose()?;
    let enrolling = state.clone();
    let result =
        blocking(move || enroll_device(&enrolling, &request.enrollment_code, label, public_key)).await;
    if result
        .as_ref()
        .is_err_and(|e| e.status == StatusCode::UNAUTHORIZED)
    {
        state.enroll_limiter.refused(address);
    }
    Ok((StatusCode::CREATED, axum::Json(result?)).into_response())
}

/// A new device for `code`: a worker's unused, unexpired code (the device becomes the
/// worker's) or the development code (bound on its first report). Anything else is 401.
fn enroll_device(
    state: &Inner,
    code: &str,
    label: Option<String>,
    public_key: Option<String>,
) -> ApiResult<TokenGrant> {
    let development =
        !state.config.enrollment_code.is_empty() && secret_eq(code, &state.config.enrollment_code);
    let device_id = uuid::Uuid::new_v4().to_string();
    let access = new_token("gpa");
    let refresh = new_token("gpr");
    let now = now_ms();
    let expires = now + ttl_ms(state);
    let worker = state.db.write(|tx| {
        let worker = match workers::redeem(tx, code, &device_id, now)? {
            Redeemed::Worker(worker) => Some(worker),
            Redeemed::Unknown if development => None,
            Redeemed::Unknown => {
                return Err(ApiError::unauthorized(
                    "enrollment_refused",
                    "The enrollment code is not valid on this platform",
                ));
            }
        };
        tx.execute(
            "INSERT INTO device (id, label, enrolled_at, access_hash, access_expires_at, refresh_hash, worker_id,
                                 public_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                device_id,
                label,
                now,
                sha256_hex(access.as_bytes()),
                expires,
                sha256_hex(refresh.as_bytes()),
                worker,
                public_key
            ],
        )?;
        Ok(worker)
    });
    let worker = match worker {
        Ok(worker) => worker,
        Err(refused) => {
            tracing::warn!(code = refused.code, "enrollment refused");
            return Err(refused);
        }
    };
    match &worker {
        Some(worker) => {
            tracing::info!(device_id = %device_id, worker_id = %worker, "device enrolled for a worker")
        }
        None => tracing::info!(device_id = %device_id, "device enrolled with the development code"),
    }
    Ok(TokenGrant {
        device_id,
        token_type: "Bearer".into(),
        access_token: access,
        access_expires_at_ms: expires,
        refresh_token: refresh,
    })
}

/// `POST /v1/token`: device id + refresh token → a new access token (the old one stops
/// working); the refresh token stays the same.
pub(crate) async fn refresh(
    State(state): State<crate::State>,
    body: Body,
) -> ApiResult<axum::Json<TokenGrant>> {
    let bytes = read_body(body, state.config.limits.small_json_bytes).await?;
    let request: RefreshRequest = parse_json(&bytes)?;
    let grant = blocking(move || {
        let refresh_hash = sha256_hex(request.refresh_token.as_bytes());
        let access = new_token("gpa");
        let expires = now_ms() + ttl_ms(&state);
        state.db.write(|tx| {
            let row: Option<(String, Option<i64>)> = tx
                .query_row(
                    "SELECT refresh_hash, revoked_at FROM device WHERE id = ?1",
                    [&request.device_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let revoked = row
                .filter(|(stored, _)| secret_eq(stored, &refresh_hash))
                .map(|(_, revoked)| revoked);
            match revoked {
                None => Err(ApiError::unauthorized(
                    "refresh_refused",
                    "Unknown device or refresh token; enroll again",
                )),
                Some(Some(_)) => Err(revoked_error()),
                Some(None) => {
                    tx.execute(
                        "UPDATE device SET access_hash = ?1, access_expires_at = ?2 WHERE id = ?3",
                        rusqlite::params![sha256_hex(access.as_bytes()), expires, request.device_id],
                    )?;
                    Ok(())
                }
            }
        })?;
        tracing::info!(device_id = %request.device_id, "access token refreshed");
        Ok(TokenGrant {
            device_id: request.device_id,
            token_type: "Bearer".into(),
            access_token: access,
            access_expires_at_ms: expires,
            refresh_token: request.refresh_token,
        })
    })
    .await?;
    Ok(axum::Json(grant))
}

fn ttl_ms(state: &Inner) -> i64 {
    i64::try_from(state.config.access_token_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX / 2)
}

pub(crate) fn revoked_error() -> ApiError {
    ApiError::unauthorized(
        "device_revoked",
        "This device has been revoked by the platform; it must not retry and needs a new enrollment",
    )
}

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 9110
/// section 11.1: `Bearer`, `bearer` and `BEARER` are one scheme); another scheme, or none, is
/// no token.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares secrets in constant time: their SHA-256 digests, so neither the first differing
/// byte nor the length of the expected secret shows in the timing.
fn secret_eq(a: &str, b: &str) -> bool {
    use sha2::Digest as _;
    use subtle::ConstantTimeEq as _;
    sha2::Sha256::digest(a.as_bytes())
        .ct_eq(&sha2::Sha256::digest(b.as_bytes()))
        .into()
}

/// An authenticated, not revoked device.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
}

impl FromRequestParts<crate::State> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::State) -> Result<Self, ApiError> {
        let Some(token) = bearer(parts) else {
            return Err(ApiError::unauthorized(
                "token_missing",
                "Send the device's access token as `Authorization: Bearer ...`",
            ));
        };
        let hash = sha256_hex(token.as_bytes());
        let state = state.clone();
        blocking(move || {
            let row: Option<(String, i64, Option<i64>)> = state.db.read(|c| {
                Ok(c.query_row(
                    "SELECT id, access_expires_at, revoked_at FROM device WHERE access_hash = ?1",
                    [&hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?)
            })?;
            match row {
                None => Err(ApiError::unauthorized(
                    "token_invalid",
                    "Unknown or replaced access token; refresh it",
                )),
                Some((_, _, Some(_))) => Err(revoked_error()),
                Some((_, expires, None)) if expires <= now_ms() => Err(ApiError::unauthorized(
                    "token_expired",
                    "The access token has expired; refresh it with POST /v1/token",
                )),
                Some((id, _, None)) => Ok(Device { id }),
            }
        })
        .await
    }
}

/// The admin token was presented.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<crate::State> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::State) -> Result<Self, ApiError> {
        match bearer(parts) {
            Some(token) if secret_eq(token, &state.config.admin_token) => Ok(Admin),
            _ => Err(ApiError::unauthorized(
                "admin_token_invalid",
                "Admin endpoints need the admin bearer token",
            )),
        }
    }
}

/// Marks a device revoked; its tokens stop working at once. False when the id is unknown.
pub(crate) fn revoke(state: &Inner, device_id: &str) -> ApiResult<bool> {
    let changed = state.db.write(|tx| {
        Ok(tx.execute(
            "UPDATE device SET revoked_at = COALESCE(revoked_at, ?1) WHERE id = ?2",
            rusqlite::params![now_ms(), device_id],
        )?)
    })?;
    if changed > 0 {
        tracing::info!(device_id = %device_id, "device revoked");
    }
    Ok(changed > 0)
}

/// Who reads what devices sent: the admin (everything) or a device (its own).
#[derive(Debug, Clone)]
pub enum Viewer {
    Admin,
    Device(Device),
}

impl Viewer {
    /// Whether this viewer may see what `device_id` sent.
    pub fn may_see(&self, device_id: &str) -> bool {
        match self {
            Viewer::Admin => true,
            Viewer::Device(device) => device.id == device_id,
        }
    }
}

impl FromRequestParts<crate::State> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &crate::State) -> Result<Self, ApiError> {
        if bearer(parts).is_some_and(|token| secret_eq(token, &state.config.admin_token)) {
            return Ok(Viewer::Admin);
        }
        Device::from_request_parts(parts, state).await.map(Viewer::Device)
    }
}

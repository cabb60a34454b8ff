//! Errors as the protocol speaks them: RFC 9457 `application/problem+json`.
//!
//! Owns [`ApiError`], the one error type every handler returns, and its rendering: `type`,
//! `title`, `status`, `detail`, the stable machine `code` devices switch on, and optional extra
//! members (`findings`, `missing`, `upload_offset`, ...). It does not decide which error a
//! request deserves: the modules that own each resource do.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer: a status, a stable code, a human title and detail, extra members, headers.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extra problem members and response headers, boxed to keep `Result<_, ApiError>` small.
    more: Box<(Map<String, Value>, HeaderMap)>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            more: Box::default(),
        }
    }

    /// Adds a member to the problem object.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.more.0.insert(key.into(), value.into());
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: HeaderName, value: impl ToString) -> Self {
        let value = HeaderValue::from_str(&value.to_string()).expect("header values we set are ASCII");
        self.more.1.insert(name, value);
        self
    }

    /// Something went wrong inside the platform; the detail is logged, not sent.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!(error = %what, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "The platform failed to process the request; retry later",
        )
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    pub fn too_large(code: &'static str, limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code,
            "Payload too large",
            format!("The body exceeds the limit of {limit} bytes"),
        )
        .with("limit_bytes", limit as u64)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, "Unauthorized", detail)
            .header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// The JSON body, as sent.
    pub fn body(&self) -> Value {
        let mut object = json!({
            "type": format!("urn:gridpatrol:problem:{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        for (key, value) in &self.more.0 {
            object[key] = value.clone();
        }
        object
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        ApiError::internal(format!("sqlite: {error}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(error: std::io::Error) -> Self {
        ApiError::internal(format!("io: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).expect("a JSON value always serializes");
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response.headers_mut().extend(self.more.1);
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

//! Errors as the protocol speaks them: RFC 9457 `application/problem+json`.
//!
//! Owns [`ApiError`], the one error type every handler returns, and its rendering: `type`,
//! `title`, `status`, `detail`, the stable machine `code` devices switch on, and optional extra
//! members (`findings`, `missing`, `upload_offset`, ...). Also the extractors [`Path`] and
//! [`Query`], whose rejections are problems (`bad_path_parameter`, `bad_query`), and
//! [`ensure_problem`], the router's last layer, which turns any other error answer axum makes
//! itself (405 with its `Allow`, a rejection of an extractor used directly) into a problem. It
//! does not decide which error a request deserves: the modules that own each resource do.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
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

/// `axum::extract::Path` whose rejection is 400 `bad_path_parameter` (e.g. a segment that is
/// not UTF-8 once percent-decoded).
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            // A route whose parameters do not fit its handler: a platform bug, not the client's.
            Err(rejection) if rejection.status().is_server_error() => {
                Err(ApiError::internal(rejection.body_text()))
            }
            Err(_) => Err(ApiError::bad_request(
                "bad_path_parameter",
                "A path segment of the URL is not valid (it must be UTF-8 once percent-decoded)",
            )),
        }
    }
}

/// `axum::extract::Query` whose rejection is 400 `bad_query`. The detail names what was
/// expected, never the value sent.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|_| {
                ApiError::bad_request(
                    "bad_query",
                    "The query string does not fit this endpoint's parameters (see platform/openapi.yaml)",
                )
            })
    }
}

/// The router's outermost layer: an error answer that is not already a problem (axum's own
/// 405, 404 or extractor rejections, all `text/plain` or empty) becomes one, with a code from
/// its status; its headers (`Allow` on 405) are kept. Its body is dropped unread: axum's
/// rejection texts can quote the request.
pub async fn ensure_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (code, title, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Method not allowed",
            "This endpoint does not take this method; the Allow header lists those it takes",
        ),
        StatusCode::NOT_FOUND => ("not_found", "Not found", "No such endpoint"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Payload too large", "The body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Unsupported media type",
            "The body's Content-Type is not the one this endpoint takes",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => (
            "unprocessable",
            "Unprocessable content",
            "The body does not have the shape this endpoint takes",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "Request timeout", "The request took too long"),
        s if s.is_server_error() => {
            tracing::error!(status = s.as_u16(), "an error answer without a problem body");
            (
                "internal_error",
                "Internal error",
                "The platform failed to process the request; retry later",
            )
        }
        _ => (
            "bad_request",
            "Bad request",
            "The request is not valid for this endpoint",
        ),
    };
    let (parts, _body) = response.into_parts();
    let mut problem = ApiError::new(status, code, title, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    problem
}

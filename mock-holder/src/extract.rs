//! Request extractors whose rejections use the holder's error type, so that a malformed request
//! still gets a standards-shaped JSON error rather than a framework's plain-text one.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::error::OAuthError;
use crate::state::AppState;

/// A request body sent as `Content-Type: application/jwt` (CDS registration request), as text.
#[derive(Debug)]
pub struct JwtBody(pub String);

impl FromRequest<AppState> for JwtBody {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        if content_type.as_deref() != Some("application/jwt") {
            return Err(OAuthError::UnsupportedMediaType(format!(
                "The request body must be sent as application/jwt, not {}",
                content_type.as_deref().unwrap_or("(no Content-Type)")
            )));
        }
        let limit = state.0.settings.max_body_bytes;
        let body = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                OAuthError::PayloadTooLarge(format!(
                    "The request body exceeds the limit of {limit} bytes"
                ))
            })?;
        text(body).map(JwtBody)
    }
}

fn text(body: Bytes) -> Result<String, OAuthError> {
    String::from_utf8(body.to_vec())
        .map_err(|_| OAuthError::InvalidClientMetadata("The request body is not UTF-8 text".into()))
}

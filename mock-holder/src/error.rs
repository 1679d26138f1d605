//! One error type for every endpoint, rendered in the shape the standards define.
//!
//! Registration errors follow RFC 7591 §3.2.2 (HTTP 400, `{"error", "error_description"}`),
//! token endpoint errors RFC 6749 §5.2, and bearer-token errors RFC 6750 §3 (401 with a
//! `WWW-Authenticate: Bearer error="..."` header, 403 for insufficient scope). Internal errors
//! are logged with their cause and rendered as an opaque 500.
//!
//! A flavour that words an error otherwise (a WSO2 release's codes and texts) answers with
//! [`OAuthError::Flavoured`], built by its dialect (`crate::flavour`) from the error the shared
//! code raised; [`OAuthError::Backend`] marks an error as raised behind a flavour's gateway.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Everything a holder endpoint can answer with other than success.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OAuthError {
    /// RFC 7591: a metadata value is invalid.
    #[error("invalid_client_metadata: {0}")]
    InvalidClientMetadata(String),
    /// RFC 7591: a redirect URI is invalid (here: not in the SSA).
    #[error("invalid_redirect_uri: {0}")]
    InvalidRedirectUri(String),
    /// RFC 7591: the software statement is invalid.
    #[error("invalid_software_statement: {0}")]
    InvalidSoftwareStatement(String),
    /// RFC 6749 §5.2: malformed token request.
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    /// RFC 6749 §5.2: client authentication failed.
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    /// RFC 6749 §5.2: grant type not supported.
    #[error("unsupported_grant_type: {0}")]
    UnsupportedGrantType(String),
    /// RFC 6749 §5.2: requested scope invalid.
    #[error("invalid_scope: {0}")]
    InvalidScope(String),
    /// RFC 6750: missing bearer token (401 without an error code, per RFC 6750 §3.1).
    #[error("missing bearer token")]
    MissingToken,
    /// RFC 6750: invalid, expired or revoked token (401 `invalid_token`).
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    /// RFC 8705: the token is bound to another certificate than the connection's. Answered
    /// exactly as [`OAuthError::InvalidToken`]; kept apart so that a flavour can word it
    /// otherwise (WSO2 OB 2.0: "invalid TLS certificate").
    #[error("invalid_token: {0}")]
    WrongCertificate(String),
    /// RFC 6750: token lacks the required scope (403 `insufficient_scope`).
    #[error("insufficient_scope: {0}")]
    InsufficientScope(String),
    /// RFC 7592: the client in the path is unknown or not the token's client (401).
    #[error("unknown client")]
    UnknownClient,
    /// The body's media type is not the one the endpoint takes (415).
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the holder accepts (413).
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// The method is not allowed on this path (405, with `Allow`).
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// No such route (404).
    #[error("not found")]
    NotFound,
    /// An error in a flavour's own words: status, `error` code, description and challenge as
    /// its sources give them (see `crate::flavour::Dialect`).
    #[error("{}: {}", .0.code, .0.description)]
    Flavoured(Box<Flavoured>),
    /// An error answered by a WSO2 accelerator gateway's `OBDefaultErrorHandler`:
    /// `{"errors":[{"Code","Title","Message"}]}` (wso2-flavours §5 "Error shape").
    #[error("{}: {}", .0.title, .0.message)]
    Gateway(Box<GatewayError>),
    /// A status with no body at all (the accelerator's 401 for an unknown or mismatched
    /// ClientId, wso2-flavours §5, §9.6).
    #[error("{0} without a body")]
    Bare(StatusCode),
    /// An error raised behind a flavour's API gateway (WSO2: by the Identity Server), answered
    /// as the inner error; the response carries [`BackendPhase`], so that the gateway's own
    /// additions (WSO2 0.2's `x-fapi-interaction-id` on gateway errors) leave it alone.
    #[error(transparent)]
    Backend(Box<OAuthError>),
    /// Anything that is the holder's fault (500; details only in the log).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// An error worded by a flavour (see [`OAuthError::Flavoured`]).
#[derive(Debug)]
pub(crate) struct Flavoured {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The `error` member.
    pub(crate) code: &'static str,
    /// The `error_description` member.
    pub(crate) description: String,
    /// The `WWW-Authenticate` value, if any.
    pub(crate) challenge: Option<String>,
}

/// An error in the accelerator gateway's shape (see [`OAuthError::Gateway`]).
#[derive(Debug)]
pub(crate) struct GatewayError {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The `Title` member (the OAuth error code, e.g. `invalid_client_metadata`).
    pub(crate) title: &'static str,
    /// The `Message` member.
    pub(crate) message: String,
    /// The `WWW-Authenticate` value, if any.
    pub(crate) challenge: Option<String>,
}

impl GatewayError {
    /// The `Code` member: the status's phrase as `OBDefaultErrorHandler` writes it (only
    /// "Bad request" is in the sources, §5; the others follow its pattern).
    pub(crate) fn code(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "Bad request",
            401 => "Unauthorized",
            403 => "Forbidden",
            415 => "Unsupported media type",
            _ => "Internal server error",
        }
    }
}

impl OAuthError {
    /// An error in the accelerator gateway's shape, without a challenge.
    pub(crate) fn gateway(
        status: StatusCode,
        title: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Gateway(Box::new(GatewayError {
            status,
            title,
            message: message.into(),
            challenge: None,
        }))
    }

    /// An error with this `status`, `code` and `description`, without a challenge.
    pub(crate) fn flavoured(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self::Flavoured(Box::new(Flavoured {
            status,
            code,
            description: description.into(),
            challenge: None,
        }))
    }

    /// `self`, marked as raised behind the gateway (see [`OAuthError::Backend`]).
    pub(crate) fn backend(self) -> Self {
        match self {
            Self::Backend(_) => self,
            other => Self::Backend(Box::new(other)),
        }
    }
}

/// Response extension: the error was raised behind the gateway (see [`OAuthError::Backend`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BackendPhase;

impl OAuthError {
    /// The HTTP status this error is sent with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::InvalidClientMetadata(_)
            | Self::InvalidRedirectUri(_)
            | Self::InvalidSoftwareStatement(_)
            | Self::InvalidRequest(_)
            | Self::UnsupportedGrantType(_)
            | Self::InvalidScope(_) => StatusCode::BAD_REQUEST,
            // RFC 6749 §5.2 allows 400 for invalid_client unless the client used an
            // Authorization header; private_key_jwt never does.
            Self::InvalidClient(_) => StatusCode::BAD_REQUEST,
            Self::MissingToken
            | Self::InvalidToken(_)
            | Self::WrongCertificate(_)
            | Self::UnknownClient => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Flavoured(f) => f.status,
            Self::Gateway(g) => g.status,
            Self::Bare(status) => *status,
            Self::Backend(inner) => inner.status(),
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` code of the JSON body.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidSoftwareStatement(_) => "invalid_software_statement",
            Self::InvalidRequest(_) | Self::PayloadTooLarge(_) | Self::UnsupportedMediaType(_) => {
                "invalid_request"
            }
            Self::InvalidClient(_) => "invalid_client",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::MissingToken
            | Self::InvalidToken(_)
            | Self::WrongCertificate(_)
            | Self::UnknownClient => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::NotFound => "not_found",
            Self::Flavoured(f) => f.code,
            Self::Gateway(g) => g.title,
            Self::Bare(_) => "",
            Self::Backend(inner) => inner.code(),
            Self::Internal(_) => "server_error",
        }
    }

    fn description(&self) -> String {
        match self {
            Self::MissingToken => "A bearer access token is required".into(),
            Self::UnknownClient => "The client is unknown".into(),
            Self::MethodNotAllowed(allow) => format!("Allowed methods: {allow}"),
            Self::NotFound => "No such resource".into(),
            Self::Internal(_) => "The server could not process the request".into(),
            Self::Flavoured(f) => f.description.clone(),
            Self::Gateway(g) => g.message.clone(),
            Self::Bare(_) => String::new(),
            Self::Backend(inner) => inner.description(),
            Self::InvalidClientMetadata(d)
            | Self::InvalidRedirectUri(d)
            | Self::InvalidSoftwareStatement(d)
            | Self::InvalidRequest(d)
            | Self::InvalidClient(d)
            | Self::UnsupportedGrantType(d)
            | Self::InvalidScope(d)
            | Self::InvalidToken(d)
            | Self::WrongCertificate(d)
            | Self::InsufficientScope(d)
            | Self::UnsupportedMediaType(d)
            | Self::PayloadTooLarge(d) => d.clone(),
        }
    }
}

/// RFC 6750 §3 parameter values are quoted strings; keep them printable ASCII without quotes.
fn quoted(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && *c != '"' && *c != '\\')
        .collect()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        if let Self::Backend(inner) = self {
            let mut response = inner.into_response();
            response.extensions_mut().insert(BackendPhase);
            return response;
        }
        if let Self::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        if let Self::Bare(status) = self {
            return status.into_response();
        }
        if let Self::Gateway(g) = self {
            let body =
                json!({"errors": [{"Code": g.code(), "Title": g.title, "Message": g.message}]});
            let mut response = (g.status, axum::Json(body)).into_response();
            if let Some(value) = g.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            return response;
        }
        let status = self.status();
        let description = quoted(&self.description());
        let mut response = (
            status,
            axum::Json(json!({"error": self.code(), "error_description": description})),
        )
            .into_response();
        let challenge = match &self {
            Self::MissingToken => Some("Bearer".to_string()),
            Self::InvalidToken(_) | Self::WrongCertificate(_) | Self::UnknownClient => Some(
                format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
            ),
            Self::InsufficientScope(_) => Some(format!(
                "Bearer error=\"insufficient_scope\", error_description=\"{description}\", scope=\"cdr:registration\""
            )),
            Self::Flavoured(f) => f.challenge.clone(),
            _ => None,
        };
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        if let Self::MethodNotAllowed(allow) = self {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::metadata(OAuthError::InvalidClientMetadata("x".into()), 400, "invalid_client_metadata")]
    #[case::ssa(OAuthError::InvalidSoftwareStatement("x".into()), 400, "invalid_software_statement")]
    #[case::redirect(OAuthError::InvalidRedirectUri("x".into()), 400, "invalid_redirect_uri")]
    #[case::token(OAuthError::InvalidToken("x".into()), 401, "invalid_token")]
    #[case::scope(OAuthError::InsufficientScope("x".into()), 403, "insufficient_scope")]
    #[case::media(OAuthError::UnsupportedMediaType("x".into()), 415, "invalid_request")]
    #[case::size(OAuthError::PayloadTooLarge("x".into()), 413, "invalid_request")]
    fn each_error_has_its_status_and_code(
        #[case] e: OAuthError,
        #[case] status: u16,
        #[case] code: &str,
    ) {
        assert_eq!(e.status().as_u16(), status);
        assert_eq!(e.code(), code);
    }

    #[test]
    fn bearer_errors_carry_a_challenge() {
        let r = OAuthError::InvalidToken("expired".into()).into_response();
        let h = r
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .expect("challenge")
            .to_str()
            .expect("ascii");
        assert!(h.starts_with("Bearer error=\"invalid_token\""), "{h}");
    }

    #[tokio::test]
    async fn gateway_errors_are_an_errors_array_and_bare_errors_have_no_body() {
        let r = OAuthError::gateway(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "Malformed request JWT",
        )
        .into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            v,
            json!({"errors":[{"Code":"Bad request","Title":"invalid_client_metadata","Message":"Malformed request JWT"}]})
        );
        let r = OAuthError::Bare(StatusCode::UNAUTHORIZED).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16)
            .await
            .expect("body");
        assert!(body.is_empty());
    }

    #[test]
    fn descriptions_cannot_break_the_header_quoting() {
        assert_eq!(quoted("a \"b\" \\ c\n"), "a b  c");
    }
}

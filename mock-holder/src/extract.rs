//! Request extractors whose rejections use the holder's error type, so that a malformed request
//! still gets a standards-shaped JSON error rather than a framework's plain-text one: the
//! bodies ([`JwtBody`], [`FormBody`]) and the authorisation of a management call
//! ([`ManagedClient`]).

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::state::AppState;
use crate::store::ClientRow;
use crate::tls::ClientCert;
use crate::tokens::{authorize, bearer};
use crate::variation::Variation;

/// The registration a management call (`GET | PUT | DELETE /register/{ClientId}`) acts on,
/// once the call is authorised: a certificate-bound `cdr:registration` access token of the
/// client in the path (the checks and their order: [`crate::tokens`]). It reads only the
/// request head, so a handler that takes it before a body extractor checks the token before
/// the body is read: an unauthenticated PUT gets 401 whatever it sends. Its rejections are in
/// the flavour's words.
#[derive(Debug)]
pub(crate) struct ManagedClient {
    /// The path's `ClientId`.
    pub(crate) client_id: String,
    /// The registration, as stored.
    pub(crate) client: ClientRow,
    /// The caller's bearer token, where the flavour echoes it as `registration_access_token`
    /// (else `None`).
    pub(crate) bearer: Option<String>,
    /// The caller's TLS client certificate (DER), which a UK holder matches against the SSA's
    /// transport certificates on PUT (UK-REQ-006).
    pub(crate) peer: Option<std::sync::Arc<[u8]>>,
}

impl FromRequestParts<AppState> for ManagedClient {
    /// The rejections of the connection's certificate and path extractors as axum renders
    /// them (as when the handlers took those extractors themselves), or an [`OAuthError`].
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Extension(cert) = Extension::<ClientCert>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(client_id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let client = match authorize(state, &parts.headers, &cert, &client_id).await {
            Ok(client) => client,
            // Defect `delete-is-idempotent`: a DELETE of a deleted registration "succeeds".
            Err(OAuthError::UnknownClient)
                if state.defect(Defect::DeleteIsIdempotent)
                    && parts.method == axum::http::Method::DELETE
                    && state
                        .store()
                        .deleted_at(&client_id)
                        .ok()
                        .flatten()
                        .is_some() =>
            {
                return Err(axum::http::StatusCode::NO_CONTENT.into_response());
            }
            Err(e) => return Err(state.policy().dialect.adapt(e).into_response()),
        };
        // Copied only where the flavour echoes it: the token is long, and GET is the hot path.
        let bearer = bearer(&parts.headers)
            .filter(|_| state.policy().echo_registration_access_token)
            .map(str::to_string);
        Ok(Self {
            client_id,
            client,
            bearer,
            peer: cert.leaf,
        })
    }
}

/// A request body sent as one of the flavour's registration media types (CDS:
/// `application/jwt`; UK: `application/jose` or `application/jwt`), as text. Its rejections
/// (415, 413) are in the flavour's words.
#[derive(Debug)]
pub(crate) struct JwtBody(pub String);

impl FromRequest<AppState> for JwtBody {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let json_too = state.defect(Defect::AcceptJsonRegistration);
        let types = state.policy().request_media_types;
        // Defects `uk-jose-refused` / `uk-jwt-refused`: one of the two UK types refused.
        let types: &[&str] = if state.defect(Defect::UkJoseRefused) {
            &["application/jwt"]
        } else if state.defect(Defect::UkJwtRefused) {
            &["application/jose"]
        } else {
            types
        };
        let expected = if state.defect(Defect::IgnoreContentType) || json_too {
            None
        } else {
            Some(types)
        };
        let body = read_body(req, state, expected)
            .await
            .map_err(|e| state.policy().dialect.adapt(e))?;
        let body = text(body)?;
        if json_too && body.trim_start().starts_with('{') {
            return Ok(JwtBody(as_unsecured_jws(&body)));
        }
        Ok(JwtBody(body))
    }
}

/// Defect `accept-json-registration`: a plain JSON request (RFC 7591 §3.1's unsigned form)
/// taken as an unsecured JWS of those claims, which the defect lets through unverified.
fn as_unsecured_jws(json: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(json.trim())
    )
}

/// A form-encoded body (`application/x-www-form-urlencoded`, the token endpoint's), as name →
/// value. A parameter sent twice is refused (RFC 6749 §3.2: parameters MUST NOT repeat).
#[derive(Debug)]
pub(crate) struct FormBody(pub HashMap<String, String>);

impl FromRequest<AppState> for FormBody {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let body = read_body(req, state, Some(&["application/x-www-form-urlencoded"])).await?;
        let mut out = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(&body) {
            if out.insert(name.to_string(), value.to_string()).is_some() {
                return Err(OAuthError::InvalidRequest(format!(
                    "The parameter {name} is repeated"
                )));
            }
        }
        Ok(FormBody(out))
    }
}

/// The media type of a request, lower-cased and without parameters.
fn media_type(req: &Request) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// Checks the media type when one is `expected` (415 otherwise) and reads the body up to the
/// configured limit (413).
async fn read_body(
    req: Request,
    state: &AppState,
    expected: Option<&[&str]>,
) -> Result<Bytes, OAuthError> {
    let content_type = media_type(&req);
    if let Some(types) = expected
        && !content_type.as_deref().is_some_and(|t| types.contains(&t))
    {
        let expected = types.join(" or ");
        if types.contains(&"application/jwt") && state.variation(Variation::WrongContentType400) {
            return Err(OAuthError::InvalidClientMetadata(format!(
                "The request body must be sent as {expected}"
            )));
        }
        return Err(OAuthError::UnsupportedMediaType(format!(
            "The request body must be sent as {expected}, not {}",
            content_type.as_deref().unwrap_or("(no Content-Type)")
        )));
    }
    let limit = state.settings().max_body_bytes;
    let too_large = || {
        OAuthError::PayloadTooLarge(format!(
            "The request body exceeds the limit of {limit} bytes"
        ))
    };
    // Refuse early on a declared length, without reading the body.
    if req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
    {
        if state.variation(Variation::OversizedKeepOpen) {
            // Keep the body unread for the whole request time budget: over HTTP/1.1 the
            // connection stays open and unread (hyper reads no further while the body is held),
            // over HTTP/2 the stream's and the connection's flow-control windows stay spent.
            let body = req.into_body();
            let hold = state.settings().connections.request_timeout;
            tokio::spawn(async move {
                tokio::time::sleep(hold).await;
                drop(body);
            });
        }
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| too_large())
}

fn text(body: Bytes) -> Result<String, OAuthError> {
    String::from_utf8(body.to_vec())
        .map_err(|_| OAuthError::InvalidClientMetadata("The request body is not UTF-8 text".into()))
}

//! What a flavour's API gateway adds in front of the registration routes (WSO2 0.2: the API
//! Manager gateway).
//!
//! * [`gateway`]: a method the path does not take is answered before any handler runs: 405 for
//!   a standard HTTP method (HEAD included, which axum would otherwise answer as GET), 501 for
//!   any other (the CDS toolkit's tests CDS-707 / CDS-713 / CDS-23, wso2-flavours §4 "Status
//!   codes").
//! * [`interaction_id`]: an error raised at the gateway carries `x-fapi-interaction-id`
//!   (`CDSErrorHandler`, §4 "Error shape"): the caller's own, or a new one when none was sent.
//!   Errors raised behind the gateway (marked `BackendPhase`) are left as they are.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{BackendPhase, OAuthError};
use crate::state::AppState;

/// FAPI's interaction id header.
const INTERACTION_ID: HeaderName = HeaderName::from_static("x-fapi-interaction-id");

/// The methods of RFC 9110 (and PATCH, RFC 5789): the gateway knows them and answers 405.
const STANDARD: &[Method] = &[
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
    Method::PATCH,
];

/// Answers a method the matched registration path does not take, as the gateway does.
pub(crate) async fn gateway(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let management = matched
        .as_ref()
        .is_some_and(|m| m.as_str().ends_with("{client_id}"));
    let (allowed, allow): (&[Method], &'static str) = if management {
        (
            &[Method::GET, Method::PUT, Method::DELETE],
            "GET, PUT, DELETE",
        )
    } else {
        (&[Method::POST], "POST")
    };
    let method = request.method().clone();
    if allowed.contains(&method) {
        return next.run(request).await;
    }
    let error = if STANDARD.contains(&method) {
        OAuthError::MethodNotAllowed(allow)
    } else {
        OAuthError::flavoured(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!("The method {method} is not implemented"),
        )
    };
    state.policy().dialect.adapt(error).into_response()
}

/// Adds `x-fapi-interaction-id` to an error raised at the gateway.
pub(crate) async fn interaction_id(request: Request, next: Next) -> Response {
    let sent = request
        .headers()
        .get(&INTERACTION_ID)
        .filter(|v| v.to_str().is_ok_and(|s| !s.is_empty()))
        .cloned();
    let mut response = next.run(request).await;
    let status = response.status();
    let gateway_error = (status.is_client_error() || status.is_server_error())
        && response.extensions().get::<BackendPhase>().is_none();
    if gateway_error && !response.headers().contains_key(&INTERACTION_ID) {
        let id = sent.unwrap_or_else(|| {
            HeaderValue::try_from(uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("-"))
        });
        response.headers_mut().insert(INTERACTION_ID, id);
    }
    response
}

//! The holder's routes, one module per endpoint, composed into two routers: the public host
//! (discovery, JWKS) and the mTLS host (discovery, registration, management, token).

pub(crate) mod client;
pub(crate) mod discovery;
pub(crate) mod register;
pub(crate) mod token;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::state::AppState;

/// Routes served on the public (server-TLS only) listener.
pub(crate) fn public(state: AppState) -> Router {
    Router::new()
        .merge(discovery::routes())
        .fallback(not_found)
        .with_state(state)
}

/// Routes served on the mutual-TLS listener.
pub(crate) fn mtls(state: AppState) -> Router {
    let mut registration = register::routes().merge(client::routes());
    if state.defect(Defect::RegistrationErrorsAsText) {
        registration = registration.layer(axum::middleware::map_response(errors_as_text));
    }
    Router::new()
        .merge(discovery::routes())
        .merge(registration)
        .merge(token::routes())
        .fallback(not_found)
        .with_state(state)
}

/// The `registration-errors-as-text` defect: a 400 keeps its JSON body but is labelled
/// `text/plain`.
async fn errors_as_text(mut response: Response) -> Response {
    if response.status() == StatusCode::BAD_REQUEST {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    response
}

async fn not_found(method: Method, uri: Uri) -> OAuthError {
    tracing::debug!(%method, %uri, "no route");
    OAuthError::NotFound
}

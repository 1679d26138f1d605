//! The holder's routes, one module per endpoint, composed into two routers: the public host
//! (discovery, JWKS) and the mTLS host (discovery, registration, management, token).

pub mod client;
pub mod discovery;
pub mod register;
pub mod token;

use axum::Router;
use axum::http::{Method, Uri};

use crate::error::OAuthError;
use crate::state::AppState;

/// Routes served on the public (server-TLS only) listener.
pub fn public(state: AppState) -> Router {
    Router::new()
        .merge(discovery::routes())
        .fallback(not_found)
        .with_state(state)
}

/// Routes served on the mutual-TLS listener.
pub fn mtls(state: AppState) -> Router {
    Router::new()
        .merge(discovery::routes())
        .merge(register::routes())
        .merge(client::routes())
        .merge(token::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> OAuthError {
    tracing::debug!(%method, %uri, "no route");
    OAuthError::NotFound
}

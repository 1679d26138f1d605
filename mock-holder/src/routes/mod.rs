//! The holder's routes, one module per endpoint, composed into two routers: the public host
//! (discovery, JWKS) and the mTLS host (discovery, registration, management, token). The
//! registration routes sit at the flavour's path, with the flavour's answers to other methods
//! and its gateway headers ([`methods`]).

pub(crate) mod client;
pub(crate) mod discovery;
pub(crate) mod methods;
pub(crate) mod register;
pub(crate) mod token;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::MethodAnswers;
use crate::state::AppState;
use crate::tls::ClientCert;
use crate::variation::Variation;

/// Routes served on the public (server-TLS only) listener.
pub(crate) fn public(state: AppState) -> Router {
    Router::new()
        .merge(discovery::routes())
        .fallback(not_found)
        .with_state(state)
}

/// Routes served on the mutual-TLS listener.
pub(crate) fn mtls(state: AppState) -> Router {
    let policy = state.policy();
    let mut operations = state.settings().operations;
    // Defect `uk-delete-off-404`: a holder that does not offer DELETE answers it 404, not 405.
    if state.defect(Defect::UkDeleteOff404) {
        operations.delete = false;
    }
    let mut registration = register::routes(policy).merge(client::routes(policy, operations));
    if policy.methods == MethodAnswers::Gateway405Or501 {
        registration = registration.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            methods::gateway,
        ));
    }
    if policy.interaction_id_on_gateway_errors {
        registration = registration.layer(axum::middleware::from_fn(methods::interaction_id));
    }
    if state.defect(Defect::RegistrationErrorsAsText) || state.defect(Defect::UkErrorsAsText) {
        registration = registration.layer(axum::middleware::map_response(errors_as_text));
    }
    if state.defect(Defect::UkSuccessAsText) {
        registration = registration.layer(axum::middleware::map_response(success_as_text));
    }
    if state.variation(Variation::AllowListsMoreMethods) {
        registration = registration.layer(axum::middleware::map_response(allow_more));
    }
    let router = Router::new()
        .merge(discovery::routes())
        .merge(registration)
        .merge(token::routes())
        .fallback(not_found);
    let late = [Variation::CertRefused401, Variation::CertRefused403];
    let router = if late.iter().any(|v| state.variation(*v)) {
        router.layer(axum::middleware::from_fn(refuse_untrusted_certificate))
    } else {
        router
    };
    let without_allow = state.defect(Defect::MethodNotAllowedWithoutAllow);
    let router = router.with_state(state);
    if without_allow {
        // Around the whole router: axum's method router adds an `Allow` of its own to a 405
        // that has none, after every layer inside it has run.
        return Router::new()
            .fallback_service(router)
            .layer(axum::middleware::map_response(drop_allow));
    }
    router
}

/// The `cert-refused-401` and `cert-refused-403` variations: a request on a connection whose
/// client certificate was refused after the handshake is answered with that status.
async fn refuse_untrusted_certificate(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::response::IntoResponse;
    let refused = request
        .extensions()
        .get::<ClientCert>()
        .and_then(|c| c.refused);
    match refused.and_then(|s| StatusCode::from_u16(s).ok()) {
        Some(status) => {
            let mut response = OAuthError::flavoured(
                status,
                "invalid_client",
                "A client certificate issued by the CDR CA is required",
            )
            .into_response();
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_client\""),
                );
            }
            response
        }
        None => next.run(request).await,
    }
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

/// The `uk-success-as-text` defect: a successful answer keeps its JSON body but is labelled
/// `text/plain`.
async fn success_as_text(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    response
}

/// The `method-not-allowed-without-allow` defect: a 405 is answered without its `Allow`.
async fn drop_allow(mut response: Response) -> Response {
    response.headers_mut().remove(header::ALLOW);
    response
}

/// The `allow-lists-more-methods` variation: the `Allow` of a 405 also lists HEAD and OPTIONS,
/// on a second line.
async fn allow_more(mut response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .append(header::ALLOW, HeaderValue::from_static("HEAD,OPTIONS"));
    }
    response
}

async fn not_found(method: Method, uri: Uri) -> OAuthError {
    tracing::debug!(%method, %uri, "no route");
    OAuthError::NotFound
}

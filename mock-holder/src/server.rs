//! Starting a holder: binding both listeners, their TLS acceptors, the tower layers every
//! request passes (request id, tracing span), and the handle that stops it ([`RunningHolder`]).
//! Connection-level hardening is applied here from the settings' `ConnectionLimits`: the
//! connection limit, TLS handshake and idle timeouts and the request timeout
//! (`crate::connection`), and hyper's own HTTP/1.1 header-read timeout and HTTP/2 limits.

use std::net::SocketAddr;

use anyhow::Context;
use axum_server::Handle;

use crate::connection::{self, Guarded};
use crate::defect::Defect;
use crate::flavour::Policy;
use crate::limits;
use crate::routes;
use crate::settings::Settings;
use crate::state::{AppState, Urls};
use crate::tls;
use crate::variation::Variation;
use crate::wire;

/// A holder started by [`start`]; dropping it does not stop it, [`RunningHolder::shutdown`] does.
#[derive(Debug)]
pub struct RunningHolder {
    /// Where the public listener is bound.
    pub public_addr: SocketAddr,
    /// Where the mTLS listener is bound.
    pub mtls_addr: SocketAddr,
    /// The URLs the holder advertises.
    pub urls: Urls,
    state: AppState,
    handles: [Handle<SocketAddr>; 2],
}

impl RunningHolder {
    /// The settings the holder runs with.
    pub fn settings(&self) -> &Settings {
        self.state.settings()
    }

    /// The `kid` of the holder's token-signing key (the key its `/jwks` publishes).
    pub fn token_kid(&self) -> &str {
        self.state.token_key().key().kid()
    }

    /// Signs `claims` with the holder's token-signing key, as its access tokens are signed.
    /// For tests that need tokens the holder would not issue (expired, another issuer, other
    /// claims) but whose signature verifies.
    ///
    /// # Errors
    /// Fails only when signing fails.
    pub fn sign_token_claims(
        &self,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> anyhow::Result<String> {
        let token = dcr_vectors::jose::sign_claims(claims, self.state.token_key().key())?;
        // A holder whose tokens are opaque (`opaque-access-token`) hands out its own handle.
        if self.state.variation(Variation::OpaqueAccessToken) {
            return Ok(self.state.opaque_token(token));
        }
        Ok(token)
    }

    /// From now on, access tokens issued to `client_id` live `lifetime` instead of the
    /// configured `token_lifetime`, to the millisecond (their `exp` has a fraction; their
    /// `expires_in` is `lifetime` in seconds, rounded up); other clients keep the configured
    /// lifetime. This lets an embedding program wait out the real expiry of a real token in a
    /// second without making every client's tokens short-lived: the conformance suite's
    /// embedded environment gives it to the client of an expired-token scenario. It is not
    /// reachable over the network.
    pub fn set_token_lifetime(&self, client_id: &str, lifetime: std::time::Duration) {
        self.state.set_client_token_lifetime(client_id, lifetime);
    }

    /// Stops both listeners, letting in-flight requests finish for up to a second.
    pub fn shutdown(&self) {
        for h in &self.handles {
            h.graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        }
    }
}

/// Adds a request id (`x-request-id`, generated unless the client sent one, echoed in the
/// response) and a tracing span per request carrying it. The span records the method and the
/// path only: never headers, query strings or bodies, so tokens, assertions and keys stay out of
/// the log.
fn observed(router: axum::Router) -> axum::Router {
    use axum::http::{HeaderName, Request};
    use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::trace::TraceLayer;

    let header = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
    });
    router
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(header, NewRequestId))
}

/// Makes request ids: a random UUID, marked sensitive so that HTTP/2 sends it as a literal
/// rather than adding it to the connection's HPACK table. An id never repeats, so indexing it
/// would only churn the table (its lookups and evictions showed in the benchmark's profile).
#[derive(Debug, Clone, Copy)]
struct NewRequestId;

impl tower_http::request_id::MakeRequestId for NewRequestId {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let mut id = axum::http::HeaderValue::try_from(uuid::Uuid::new_v4().to_string()).ok()?;
        id.set_sensitive(true);
        Some(tower_http::request_id::RequestId::new(id))
    }
}

fn bind(addr: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Binds both listeners, opens the store and serves, in the flavour `settings.flavour`, until
/// [`RunningHolder::shutdown`].
///
/// # Errors
/// Fails when the settings do not fit the flavour (a switch it does not have), an address
/// cannot be bound, the TLS material is invalid or the database cannot be opened (or holds
/// another flavour's registrations).
pub async fn start(mut settings: Settings) -> anyhow::Result<RunningHolder> {
    let mut policy = Policy::new(settings.flavour, settings.ssa_signature_validation)
        .and_then(|p| {
            p.with_registration_attributes(settings.append_registration_attributes_in_response)
        })
        .map_err(anyhow::Error::msg)?;
    Variation::check_set(&settings.variations, settings.flavour).map_err(anyhow::Error::msg)?;
    for v in &settings.variations {
        tracing::info!(
            variation = v.name(),
            "variation: {} (allowed by {})",
            v.description(),
            v.clause()
        );
    }
    // The variations that change settings or the policy, before anything is built from them.
    if settings.variations.contains(&Variation::TokenLifetime300) {
        settings.token_lifetime = std::time::Duration::from_secs(300);
    }
    if settings.variations.contains(&Variation::TokenLifetime3600) {
        settings.token_lifetime = std::time::Duration::from_secs(3600);
    }
    if settings.variations.contains(&Variation::NoJarmEncryption) {
        settings.jarm_encryption = false;
    }
    if settings
        .variations
        .contains(&Variation::AcceleratorRegistrationAttributes)
    {
        policy = policy
            .with_registration_attributes(true)
            .map_err(anyhow::Error::msg)?;
    }
    if settings
        .variations
        .contains(&Variation::AcceleratorGetPutWithoutToken)
    {
        policy.echo_registration_access_token = false;
    }
    if settings
        .variations
        .contains(&Variation::RegistrationPathConnect)
    {
        policy.registration_path = "/connect/register";
    }
    tracing::info!(
        flavour = settings.flavour.name(),
        "emulating DCR flavour {}: {}",
        settings.flavour,
        settings.flavour.description()
    );
    if let Some(defect) = settings.defect {
        tracing::warn!(
            defect = defect.name(),
            rules = defect.rules().join(", "),
            "DEFECT INJECTED: {}; this holder breaks the rules named on purpose and is not a reference",
            defect.description()
        );
    }
    let public = bind(settings.public_addr)?;
    let mtls = bind(settings.mtls_addr)?;
    let (public_addr, mtls_addr) = (public.local_addr()?, mtls.local_addr()?);
    let public_base = settings
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("https://{public_addr}"));
    let mtls_base = settings
        .mtls_base_url
        .clone()
        .unwrap_or_else(|| format!("https://{mtls_addr}"));
    let urls = Urls {
        issuer: public_base.trim_end_matches('/').to_string(),
        registration_endpoint: format!(
            "{}{}",
            mtls_base.trim_end_matches('/'),
            policy.registration_path
        ),
        token_endpoint: format!("{}/token", mtls_base.trim_end_matches('/')),
        jwks_uri: format!("{}/jwks", public_base.trim_end_matches('/')),
    };
    let mut public_tls = tls::server_config(&settings.tls, tls::ClientAuth::None)?;
    let late = [
        (
            Variation::CertRefusedAfterHandshake,
            tls::LateRefusal::Close,
        ),
        (Variation::CertRefused401, tls::LateRefusal::Status(401)),
        (Variation::CertRefused403, tls::LateRefusal::Status(403)),
    ]
    .into_iter()
    .find(|(v, _)| settings.variations.contains(v))
    .map(|(_, refusal)| refusal);
    let mut mtls_tls = tls::server_config(
        &settings.tls,
        if settings.defect == Some(Defect::OptionalClientCertificate)
            || settings.defect == Some(Defect::UkOptionalClientCertificate)
        {
            tls::ClientAuth::Optional
        } else if late.is_some() {
            tls::ClientAuth::Late
        } else {
            tls::ClientAuth::Required
        },
    )?;
    for config in [&mut public_tls, &mut mtls_tls] {
        // Connection: close and chunked bodies exist in HTTP/1.1 only (RFC 9113 §8.2.2): the
        // variations that use them speak it.
        let http1 = [
            Variation::Http1Only,
            Variation::ConnectionClose,
            Variation::ChunkedResponses,
            Variation::OversizedClose,
        ];
        if http1.iter().any(|v| settings.variations.contains(v)) {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        if settings.variations.contains(&Variation::Http2Only) {
            config.alpn_protocols = vec![b"h2".to_vec()];
        }
    }
    let limits = settings.connections.clone();
    let max_connections =
        limits::effective_max_connections(limits.max_connections, 2, limits::open_files_limit());
    if max_connections < limits.max_connections {
        tracing::warn!(
            configured = limits.max_connections,
            effective = max_connections,
            "the process may not open enough files for connections.max_connections on both listeners; using fewer (raise ulimit -n to keep the configured limit)"
        );
    }
    let settings_tls = settings.tls.clone();
    let state = AppState::new(settings, policy, urls.clone())?;

    let handles = [Handle::new(), Handle::new()];
    let servers = [
        (
            "public",
            public,
            public_tls,
            observed(wire::layer(routes::public(state.clone()), &state)),
        ),
        (
            "mtls",
            mtls,
            mtls_tls,
            observed(wire::layer(routes::mtls(state.clone()), &state)),
        ),
    ];
    for ((name, listener, tls, app), handle) in servers.into_iter().zip(handles.iter().cloned()) {
        let app = connection::request_timeout(app, limits.request_timeout);
        let mut client_certs = tls::ClientCertAcceptor::new(tls, limits.tls_handshake_timeout);
        if name == "mtls"
            && let Some(refusal) = late
        {
            client_certs = client_certs.judged_late(tls::client_verifier(&settings_tls)?, refusal);
        }
        let acceptor = Guarded::new(client_certs, &limits, max_connections, name);
        let mut server = axum_server::from_tcp(listener)?
            .acceptor(acceptor)
            .handle(handle);
        let builder = server.http_builder();
        builder
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        builder
            .http2()
            .timer(hyper_util::rt::TokioTimer::new())
            .max_concurrent_streams(limits.http2_max_concurrent_streams)
            .max_header_list_size(limits.http2_max_header_list_bytes);
        tokio::spawn(async move {
            if let Err(e) = server.serve(app.into_make_service()).await {
                tracing::error!(error = %e, "listener stopped");
            }
        });
    }
    Ok(RunningHolder {
        public_addr,
        mtls_addr,
        urls,
        state,
        handles,
    })
}

//! A short, bounded run of the holder's fuzzer (`fuzz/engine.rs`; the long run is
//! `cargo bench -p mock-holder --bench fuzz`, see the README): every request sent through an
//! HTTP client gets an answer, none is a 5xx, and no URL from a JOSE header (`jku`, `x5u`, in
//! `jwk`) is ever fetched: the canary that every such URL names receives nothing.

use std::sync::Arc;

use crate::fuzz_engine::{Target, run};
use crate::helpers::spawn_app;

/// Cases of the bounded run: enough to reach every family many times, a few seconds long.
const CASES: u64 = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_requests_get_answers_never_5xx_and_never_fetch_header_urls() {
    let app = spawn_app().await;
    let canary = wiremock::MockServer::start().await;
    let client_id = app.register_new().await;
    let access_token = app.token(&client_id, "cdr:registration").await;
    let target = Arc::new(Target {
        mtls_addr: app.holder.mtls_addr,
        issuer: app.holder.urls.issuer.clone(),
        registration_endpoint: app.holder.urls.registration_endpoint.clone(),
        token_endpoint: app.holder.urls.token_endpoint.clone(),
        ca_pem: app.pki.ca.cert_pem.clone(),
        identity_pem: app.pki.client_a.identity_pem(),
        register_key: app.register_key.clone(),
        recipient_key: app.recipient_key.clone(),
        recipient_jwks_uri: format!("{}/jwks", app.recipient_jwks.uri()),
        canary: canary.uri(),
        client_id,
        access_token,
    });
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let tally = run(target, CASES, seed, 8).await;
    let fetched = canary.received_requests().await.unwrap_or_default();
    let report = format!(
        "seed {seed}\n{}\ncanary fetches: {}\nexamples: {:#?}",
        tally.render(),
        fetched.len(),
        tally.examples
    );
    assert_eq!(tally.cases, CASES, "{report}");
    assert_eq!(tally.five_xx(), 0, "{report}");
    assert_eq!(tally.dropped, 0, "{report}");
    assert!(fetched.is_empty(), "{report}");
    // The cases reached the holder's validation, not only its framing.
    assert!(
        tally.statuses.get(&400).copied().unwrap_or(0) > 100,
        "{report}"
    );
}

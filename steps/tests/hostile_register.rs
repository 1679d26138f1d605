//! A hostile Register (and a hostile JWKS host) answering 307 to another listener: the suite
//! follows no redirect, so nothing, neither the client certificate, the client assertion nor
//! the bearer token, reaches the second listener, and the message names the redirect.

use std::time::Duration;

use dcr_conformance::environment::register::fetch_ssa;
use dcr_conformance::environment::target::SsaSource;
use dcr_conformance::http::{self, Request};
use dcr_vectors::{SigningAlg, SigningKey, TestPki};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn redirect_to(elsewhere: &MockServer, to: &str) -> ResponseTemplate {
    ResponseTemplate::new(307).insert_header("location", format!("{}{to}", elsewhere.uri()))
}

/// The second listener answers everything as the first should have, so a client that followed
/// the redirect would succeed there (and be counted).
async fn elsewhere() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"access_token": "stolen", "token_type": "Bearer"}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("eyJhbGciOiJub25lIn0.e30."))
        .mount(&server)
        .await;
    server
}

fn source(register: &MockServer) -> SsaSource {
    SsaSource::RegisterApi {
        token_endpoint: format!("{}/idp/connect/token", register.uri()),
        ssa_endpoint: format!("{}/cdr-register/v1/banking/ssa", register.uri()),
        client_id: "brand-1".into(),
        ca_pem: None,
        scope: "cdr-register:read".into(),
    }
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

#[tokio::test]
async fn a_redirect_from_the_register_token_endpoint_is_not_followed_and_is_reported() {
    let pki = TestPki::generate(&[]).expect("pki");
    let key = SigningKey::generate(SigningAlg::Es256, "adr-1").expect("key");
    let (register, second) = (MockServer::start().await, elsewhere().await);
    Mock::given(method("POST"))
        .and(path("/idp/connect/token"))
        .respond_with(redirect_to(&second, "/token"))
        .mount(&register)
        .await;

    let err = fetch_ssa(
        &source(&register),
        &pki.client_a.identity_pem(),
        &key,
        Duration::from_secs(5),
    )
    .await
    .expect_err("a redirect is not a token");
    let message = format!("{err:#}");
    assert!(
        message.contains(&format!(
            "the Register answered 307 → {}/token",
            second.uri()
        )),
        "{message}"
    );
    assert_eq!(
        requests(&second).await,
        0,
        "nothing reached the second listener"
    );
    assert_eq!(requests(&register).await, 1);
}

#[tokio::test]
async fn a_redirect_from_the_register_ssa_endpoint_does_not_carry_the_token_away() {
    let pki = TestPki::generate(&[]).expect("pki");
    let key = SigningKey::generate(SigningAlg::Es256, "adr-1").expect("key");
    let (register, second) = (MockServer::start().await, elsewhere().await);
    Mock::given(method("POST"))
        .and(path("/idp/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"access_token": "REGISTERTOKEN12345", "token_type": "Bearer"}),
        ))
        .mount(&register)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdr-register/v1/banking/ssa"))
        .respond_with(redirect_to(&second, "/ssa"))
        .mount(&register)
        .await;

    let err = fetch_ssa(
        &source(&register),
        &pki.client_a.identity_pem(),
        &key,
        Duration::from_secs(5),
    )
    .await
    .expect_err("a redirect is not an SSA");
    let message = format!("{err:#}");
    assert!(
        message.contains("the Register answered 307 →") && message.contains("SSA endpoint"),
        "{message}"
    );
    assert!(!message.contains("REGISTERTOKEN12345"), "{message}");
    assert_eq!(requests(&second).await, 0, "the bearer token stayed home");
}

/// Every client the suite builds (`http::client`, `http::client_trusting`, which doctor's JWKS
/// check uses) reports a 307 as such and does not follow it.
#[tokio::test]
async fn no_client_of_the_suite_follows_a_redirect() {
    let pki = TestPki::generate(&[]).expect("pki");
    let (first, second) = (MockServer::start().await, elsewhere().await);
    Mock::given(method("GET"))
        .respond_with(redirect_to(&second, "/jwks"))
        .mount(&first)
        .await;
    let timeout = Duration::from_secs(5);
    let clients = [
        http::client_trusting(None, None, timeout).expect("public client"),
        http::client_trusting(None, Some(&pki.client_a.identity_pem()), timeout)
            .expect("mTLS client, platform roots"),
        http::client(
            &pki.ca.cert_pem,
            Some(&pki.client_a.identity_pem()),
            timeout,
        )
        .expect("mTLS client"),
    ];
    for client in &clients {
        let e = http::send(
            client,
            "recipient A",
            Request::new(reqwest::Method::GET, format!("{}/jwks", first.uri())),
            timeout,
        )
        .await;
        assert_eq!(e.status(), Some(307));
        assert!(
            e.summary()
                .contains(&format!("redirect to {}/jwks, not followed", second.uri())),
            "{}",
            e.summary()
        );
    }
    assert_eq!(requests(&second).await, 0);
}

/// The Register API path still works when the Register behaves: a client credentials grant
/// with a client assertion, then the Get SSA call with the token.
#[tokio::test]
async fn a_well_behaved_register_gives_its_ssa() {
    let pki = TestPki::generate(&[]).expect("pki");
    let key = SigningKey::generate(SigningAlg::Es256, "adr-1").expect("key");
    let register = MockServer::start().await;
    let ssa = dcr_vectors::jose::sign_claims(
        serde_json::json!({"iss": "cdr-register"})
            .as_object()
            .expect("obj"),
        &key,
    )
    .expect("sign");
    Mock::given(method("POST"))
        .and(path("/idp/connect/token"))
        .and(wiremock::matchers::body_string_contains(
            "client_assertion=",
        ))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=client_credentials",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"access_token": "T0KEN", "token_type": "Bearer"}),
            ),
        )
        .mount(&register)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdr-register/v1/banking/ssa"))
        .and(wiremock::matchers::header("authorization", "Bearer T0KEN"))
        .and(wiremock::matchers::header("x-v", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{ssa}\n")))
        .mount(&register)
        .await;
    let got = fetch_ssa(
        &source(&register),
        &pki.client_a.identity_pem(),
        &key,
        Duration::from_secs(5),
    )
    .await
    .expect("the SSA");
    assert_eq!(got, ssa);
}

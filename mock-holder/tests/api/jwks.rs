//! Outbound JWKS failures: each gives a 400 with a description that says what went wrong.

use std::time::Duration;

use rstest::rstest;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::helpers::{error_of, spawn_app};

#[rstest]
#[case::unreachable(None, "could not reach")]
#[case::slow(Some(ResponseTemplate::new(200).set_body_json(json!({"keys": []})).set_delay(Duration::from_secs(3))), "did not answer within")]
#[case::server_error(Some(ResponseTemplate::new(500)), "HTTP 500")]
#[case::malformed(Some(ResponseTemplate::new(200).set_body_string("<html>")), "did not return a JWKS")]
#[case::too_large(Some(ResponseTemplate::new(200).set_body_string("x".repeat(300 * 1024))), "more than")]
#[tokio::test]
async fn a_recipient_jwks_failure_is_invalid_client_metadata(
    #[case] response: Option<ResponseTemplate>,
    #[case] description: &str,
) {
    let app = spawn_app().await;
    let jwks_uri = match response {
        Some(response) => {
            Mock::given(method("GET"))
                .and(path("/broken"))
                .respond_with(response)
                .mount(&app.recipient_jwks)
                .await;
            format!("{}/broken", app.recipient_jwks.uri())
        }
        None => "http://127.0.0.1:1/jwks".to_string(),
    };
    let software_id = uuid::Uuid::new_v4().to_string();
    let mut ssa = app.ssa_claims(&software_id);
    ssa.insert("jwks_uri".into(), json!(jwks_uri));
    let ssa = app.sign_ssa(&ssa);
    let jwt = app.sign_request(&app.request_claims(&software_id, &ssa));

    let started = std::time::Instant::now();
    let (status, error, text) = error_of(app.post_register(&jwt).await).await;

    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_client_metadata"),
        "{text}"
    );
    assert!(text.contains("Data Recipient JWKS"), "{text}");
    assert!(text.contains(description), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the timeout"
    );
}

#[tokio::test]
async fn a_register_jwks_failure_is_invalid_software_statement() {
    let app = spawn_app().await;
    app.register_jwks.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&app.register_jwks)
        .await;

    let (status, error, text) = error_of(
        app.post_register(&app.registration_jwt(&uuid::Uuid::new_v4().to_string()))
            .await,
    )
    .await;

    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_software_statement")
    );
    assert!(
        text.contains("CDR Register JWKS") && text.contains("503"),
        "{text}"
    );
}

/// How many times `server` was asked for anything.
async fn fetches(server: &wiremock::MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

/// 50 registrations at once whose SSA names a `kid` the holder has not seen, against a Register
/// JWKS that hangs: one fetch, not 50; and the failure is remembered, so 50 more right after
/// make no fetch at all.
#[tokio::test]
async fn concurrent_unknown_kids_make_one_fetch_of_a_hanging_register_jwks() {
    // A 2 s fetch timeout, so that all 50 requests join the fetch before it fails, even on a
    // loaded machine; the second 50 come within the 2 s the failure is remembered.
    let app = crate::helpers::spawn_app_with(|s| s.jwks_timeout = Duration::from_secs(2)).await;
    app.register_jwks.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&app.register_jwks)
        .await;
    let stranger =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "unknown-kid").unwrap();
    let app = &app;
    let batch = || {
        futures::future::join_all((0..50).map(|_| {
            let software_id = uuid::Uuid::new_v4().to_string();
            let ssa =
                dcr_vectors::jose::sign_claims(&app.ssa_claims(&software_id), &stranger).unwrap();
            let jwt = app.sign_request(&app.request_claims(&software_id, &ssa));
            async move { error_of(app.post_register(&jwt).await).await }
        }))
    };
    for (round, answers) in [("first", batch().await), ("second", batch().await)] {
        for (status, error, text) in answers {
            assert_eq!(
                (status, error.as_str()),
                (400, "invalid_software_statement"),
                "{round}: {text}"
            );
            assert!(text.contains("did not answer within"), "{round}: {text}");
        }
        assert_eq!(fetches(&app.register_jwks).await, 1, "after the {round} 50");
    }
}

/// The token endpoint picks the client's `jwks_uri` from the assertion's unverified `iss`, and
/// the `kid` from its header: 50 assertions at once with an unknown `kid` make one refresh of
/// that JWKS, and a failing JWKS is not asked again by each request.
#[tokio::test]
async fn concurrent_unknown_kids_at_the_token_endpoint_make_one_fetch() {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let before = fetches(&app.recipient_jwks).await;
    let stranger =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "not-registered")
            .unwrap();
    let (app, client_id) = (&app, &client_id);
    let batch = || {
        futures::future::join_all((0..50).map(|_| {
            let assertion =
                dcr_vectors::jose::sign_claims(&app.assertion_claims(client_id), &stranger)
                    .unwrap();
            async move {
                error_of(
                    app.post_token(&crate::helpers::TestApp::token_form(
                        &assertion,
                        "cdr:registration",
                    ))
                    .await,
                )
                .await
            }
        }))
    };
    for (status, error, text) in batch().await {
        assert_eq!((status, error.as_str()), (400, "invalid_client"), "{text}");
        assert!(text.contains("No key with kid not-registered"), "{text}");
    }
    assert_eq!(fetches(&app.recipient_jwks).await - before, 1);

    // Now the client's JWKS fails: one fetch learns it, and the next 50 hear it from memory.
    app.recipient_jwks.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&app.recipient_jwks)
        .await;
    for round in ["first", "second"] {
        for (status, error, text) in batch().await {
            assert_eq!((status, error.as_str()), (400, "invalid_client"), "{text}");
            assert!(text.contains("HTTP 500"), "{round}: {text}");
        }
        assert_eq!(
            fetches(&app.recipient_jwks).await,
            1,
            "after the {round} 50"
        );
    }
}

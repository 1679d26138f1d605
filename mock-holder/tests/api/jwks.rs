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

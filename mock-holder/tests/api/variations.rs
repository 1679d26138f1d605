//! Variations: behaviours the standards allow, shown only when asked for; the default holder's
//! answers stay as they were.

use mock_holder::Variation;

use crate::helpers::*;

async fn discovery(app: &TestApp) -> reqwest::Response {
    app.client_a
        .get(format!(
            "https://{}/.well-known/openid-configuration",
            app.holder.mtls_addr
        ))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wire_variations_rewrite_the_answer_and_the_default_holder_does_not() {
    let plain = spawn_app().await;
    let response = discovery(&plain).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().get("x-mock-holder-note").is_none());
    let text = response.text().await.unwrap();
    assert!(!text.contains('\n') && !text.contains("mock_holder_extension"));
    plain.holder.shutdown();

    let varied = spawn_app_with(|s| {
        s.variations = vec![
            Variation::PrettyJson,
            Variation::CharsetUtf8,
            Variation::ExtraDiscoveryMembers,
            Variation::ExtraResponseHeaders,
        ];
    })
    .await;
    let response = discovery(&varied).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(response.headers().get("x-mock-holder-note").is_some());
    let text = response.text().await.unwrap();
    assert!(text.contains("\n  \""), "pretty-printed: {text}");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(body["mock_holder_extension"].is_string());
    assert!(body["registration_endpoint"].is_string());
    varied.holder.shutdown();
}

#[tokio::test]
async fn another_registration_path_is_what_discovery_advertises() {
    let app = spawn_app_with(|s| s.variations = vec![Variation::RegistrationPathConnect]).await;
    assert!(
        app.holder
            .urls
            .registration_endpoint
            .ends_with("/connect/register")
    );
    app.holder.shutdown();
}

#[tokio::test]
async fn an_incompatible_set_is_refused_at_start() {
    let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let tls = mock_holder::tls::TlsMaterial {
        client_ca_pem: pki.ca.cert_pem.clone(),
        cert_pem: pki.server.cert_pem.clone(),
        key_pem: pki.server.key_pem.clone(),
    };
    let mut settings =
        mock_holder::Settings::new(loopback, loopback, tls, "http://127.0.0.1:9/jwks".into());
    settings.variations = vec![Variation::Http1Only, Variation::Http2Only];
    let err = mock_holder::start(settings).await.expect_err("refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("http1-only") && text.contains("http2-only"),
        "{text}"
    );
}

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

/// Posts a registration asking for JARM encryption (RSA-OAEP with A256GCM); the answer's
/// status and body.
async fn post_with_jarm_encryption(app: &TestApp) -> (u16, serde_json::Value) {
    let ssa = app.ssa("jarm-encryption-product");
    let mut claims = app.request_claims("jarm-encryption-product", &ssa);
    claims.insert(
        "authorization_encrypted_response_alg".into(),
        "RSA-OAEP".into(),
    );
    claims.insert(
        "authorization_encrypted_response_enc".into(),
        "A256GCM".into(),
    );
    let response = app.post_register(&app.sign_request(&claims)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn without_jarm_encryption_discovery_offers_none_and_registrations_carry_none() {
    const OFFER: [&str; 2] = [
        "authorization_encryption_alg_values_supported",
        "authorization_encryption_enc_values_supported",
    ];
    const MEMBERS: [&str; 2] = [
        "authorization_encrypted_response_alg",
        "authorization_encrypted_response_enc",
    ];
    let plain = spawn_app().await;
    let doc = plain.discovery().await;
    assert!(OFFER.iter().all(|m| doc[m].is_array()), "{doc}");
    let (status, body) = post_with_jarm_encryption(&plain).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body[MEMBERS[0]], "RSA-OAEP");
    assert_eq!(body[MEMBERS[1]], "A256GCM");
    plain.holder.shutdown();

    let varied = spawn_app_with(|s| s.variations = vec![Variation::NoJarmEncryption]).await;
    let doc = varied.discovery().await;
    assert!(OFFER.iter().all(|m| doc.get(m).is_none()), "{doc}");
    let (status, body) = post_with_jarm_encryption(&varied).await;
    assert_eq!(status, 201, "{body}");
    assert!(MEMBERS.iter().all(|m| body.get(m).is_none()), "{body}");
    varied.holder.shutdown();

    // The defect that the DCR-REQ-045 scenario (MET-036) catches: no offer, yet registered.
    let defective = spawn_app_with(|s| {
        s.defect = Some(mock_holder::Defect::JarmEncryptionUnadvertised);
    })
    .await;
    let doc = defective.discovery().await;
    assert!(OFFER.iter().all(|m| doc.get(m).is_none()), "{doc}");
    let (status, body) = post_with_jarm_encryption(&defective).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body[MEMBERS[0]], "RSA-OAEP");
    defective.holder.shutdown();
}

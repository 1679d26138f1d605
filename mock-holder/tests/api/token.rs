//! POST /token: client_credentials with private_key_jwt.

use rstest::rstest;
use serde_json::{Map, Value, json};

use mock_holder::Variation;

use crate::helpers::{JWT_BEARER, TestApp, error_of, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_valid_assertion_gets_a_certificate_bound_token() {
    let app = spawn_app().await;
    let client_id = app.register_new().await;

    let r = app
        .post_token(&TestApp::token_form(
            &app.assertion(&client_id),
            "cdr:registration",
        ))
        .await;

    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "cdr:registration");
    assert_eq!(body["expires_in"], 600);
    assert!(body.get("refresh_token").is_none());
    let token =
        dcr_vectors::jose::decode_unverified(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(token.claims["client_id"], json!(client_id));
    assert_eq!(token.claims["sub"], json!(client_id));
    assert_eq!(token.claims["iss"], json!(app.issuer()));
    assert_eq!(
        token.claims["cnf"]["x5t#S256"],
        json!(app.pki.client_a.thumbprint())
    );
}

#[tokio::test]
async fn aud_may_be_the_issuer_in_an_array_and_client_id_may_be_sent() {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let mut claims = app.assertion_claims(&client_id);
    claims.insert("aud".into(), json!(["https://other.example", app.issuer()]));
    claims.remove("iat");
    let mut form = TestApp::token_form(&app.sign_request(&claims), "openid cdr:registration");
    form.push(("client_id".into(), client_id));

    let r = app.post_token(&form).await;

    assert_eq!(r.status(), 200);
}

type Mutate = fn(&TestApp, &mut Map<String, Value>);

#[rstest]
#[case::wrong_aud((|_, c| { c.insert("aud".into(), json!("https://elsewhere.example/token")); }) as Mutate, "aud")]
#[case::expired((|_, c| { c.insert("exp".into(), json!(dcr_vectors::time::now() - 600)); }) as Mutate, "expired")]
#[case::no_exp((|_, c| { c.remove("exp"); }) as Mutate, "exp")]
#[case::no_jti((|_, c| { c.remove("jti"); }) as Mutate, "jti")]
#[case::sub_differs((|_, c| { c.insert("sub".into(), json!("someone-else")); }) as Mutate, "sub")]
#[case::unknown_client((|_, c| { c.insert("iss".into(), json!("nobody")); c.insert("sub".into(), json!("nobody")); }) as Mutate, "unknown")]
#[tokio::test]
async fn a_bad_assertion_is_invalid_client(#[case] mutate: Mutate, #[case] description: &str) {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let mut claims = app.assertion_claims(&client_id);
    mutate(&app, &mut claims);

    let r = app
        .post_token(&TestApp::token_form(
            &app.sign_request(&claims),
            "cdr:registration",
        ))
        .await;

    let (status, error, text) = error_of(r).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client"), "{text}");
    assert!(text.contains(description), "{text}");
}

#[tokio::test]
async fn an_assertion_signed_by_another_key_is_invalid_client() {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let other =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "recipient-1").unwrap();
    let forged = dcr_vectors::jose::sign_claims(&app.assertion_claims(&client_id), &other).unwrap();

    let (status, error, text) = error_of(
        app.post_token(&TestApp::token_form(&forged, "cdr:registration"))
            .await,
    )
    .await;

    assert_eq!((status, error.as_str()), (400, "invalid_client"), "{text}");
    assert!(text.contains("signature"), "{text}");
}

#[tokio::test]
async fn a_replayed_assertion_jti_is_invalid_client() {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let form = TestApp::token_form(&app.assertion(&client_id), "cdr:registration");
    assert_eq!(app.post_token(&form).await.status(), 200);

    let (status, error, text) = error_of(app.post_token(&form).await).await;

    assert_eq!((status, error.as_str()), (400, "invalid_client"));
    assert!(text.contains("jti"), "{text}");
}

#[rstest]
#[case::other_grant("grant_type", "authorization_code", 400, "unsupported_grant_type")]
#[case::no_grant("grant_type", "", 400, "invalid_request")]
#[case::assertion_type("client_assertion_type", "urn:other", 400, "invalid_client")]
#[case::unregistered_scope("scope", "cdr:registration bank:nothing", 400, "invalid_scope")]
#[case::empty_scope("scope", "", 400, "invalid_scope")]
#[case::client_id_mismatch("client_id", "someone-else", 400, "invalid_client")]
#[tokio::test]
async fn form_errors_use_rfc_6749_codes(
    #[case] name: &str,
    #[case] value: &str,
    #[case] status: u16,
    #[case] code: &str,
) {
    let app = spawn_app().await;
    let client_id = app.register_new().await;
    let mut form = TestApp::token_form(&app.assertion(&client_id), "cdr:registration");
    form.retain(|(k, _)| k != name);
    form.push((name.into(), value.into()));

    let (got_status, error, text) = error_of(app.post_token(&form).await).await;

    assert_eq!((got_status, error.as_str()), (status, code), "{text}");
}

/// Variation `token-drops-unregistered-scope`: the registered part of the scope is granted and
/// named; a scope with nothing registered in it is still refused.
#[tokio::test]
async fn the_drop_variation_grants_the_registered_scope_and_names_it() {
    let app = spawn_app_with(|s| s.variations.push(Variation::TokenDropsUnregisteredScope)).await;
    let client_id = app.register_new().await;
    let form = TestApp::token_form(&app.assertion(&client_id), "cdr:registration bank:nothing");
    let r = app.post_token(&form).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["scope"], json!("cdr:registration"));

    let form = TestApp::token_form(&app.assertion(&client_id), "bank:nothing");
    let (status, error, _) = error_of(app.post_token(&form).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_scope"));
}

#[tokio::test]
async fn a_token_request_must_be_form_encoded() {
    let app = spawn_app().await;
    let r = app
        .client_a
        .post(&app.holder.urls.token_endpoint)
        .json(&json!({"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

/// OIDC Core §9: an assertion must use the registered `token_endpoint_auth_signing_alg`.
#[tokio::test]
async fn an_assertion_with_an_algorithm_other_than_the_registered_one_is_invalid_client() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    let mut claims = app.request_claims(&software_id, &ssa);
    // The recipient's key is ES256; it registers PS256 instead.
    claims.insert("token_endpoint_auth_signing_alg".into(), json!("PS256"));
    let r = app.post_register(&app.sign_request(&claims)).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let client_id = body["client_id"].as_str().unwrap();

    let r = app
        .post_token(&TestApp::token_form(
            &app.assertion(client_id),
            "cdr:registration",
        ))
        .await;

    let (status, error, description) = error_of(r).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client"));
    assert!(
        description.contains("registered token_endpoint_auth_signing_alg PS256"),
        "{description}"
    );
}

/// RFC 8705 §3.4's `tls_client_certificate_bound_access_tokens: false` is a member the CDS
/// does not define: the holder ignores it and binds every token to the certificate; the
/// `honour-unbound-tokens` defect issues that client unbound tokens, usable over B's
/// certificate.
#[tokio::test]
async fn a_client_asking_for_unbound_tokens_still_gets_bound_ones() {
    for defect in [None, Some(mock_holder::Defect::HonourUnboundTokens)] {
        let app = crate::helpers::spawn_app_with(|s| s.defect = defect).await;
        let software_id = uuid::Uuid::new_v4().to_string();
        let ssa = app.ssa(&software_id);
        let mut claims = app.request_claims(&software_id, &ssa);
        claims.insert(
            "tls_client_certificate_bound_access_tokens".into(),
            json!(false),
        );
        let r = app.post_register(&app.sign_request(&claims)).await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        let client_id = body["client_id"].as_str().unwrap().to_string();
        let token = app.token(&client_id, "cdr:registration").await;
        let over_b = app
            .get_registration_with(&app.client_b, &client_id, &token)
            .await
            .status();
        match defect {
            None => assert_eq!(over_b, 401, "bound to A's certificate"),
            Some(_) => assert_eq!(over_b, 200, "the defect's token is bound to none"),
        }
    }
    // Variation `refuse-unbound-tokens-request`: the request is refused instead.
    let app = crate::helpers::spawn_app_with(|s| {
        s.variations = vec![mock_holder::Variation::RefuseUnboundTokensRequest]
    })
    .await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    let mut claims = app.request_claims(&software_id, &ssa);
    claims.insert(
        "tls_client_certificate_bound_access_tokens".into(),
        json!(false),
    );
    let (status, error, _) = error_of(app.post_register(&app.sign_request(&claims)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
}

/// The `cnf-hex-thumbprint` defect writes `cnf.x5t#S256` in hex (not base64url), and still
/// takes its tokens over the certificate they were issued to and no other.
#[tokio::test]
async fn the_cnf_hex_defect_writes_hex_and_still_binds() {
    let app =
        crate::helpers::spawn_app_with(|s| s.defect = Some(mock_holder::Defect::CnfHexThumbprint))
            .await;
    let client_id = app.register_new().await;
    let token = app.token(&client_id, "cdr:registration").await;
    let claims = dcr_vectors::jose::decode_unverified(&token).unwrap().claims;
    let cnf = claims["cnf"]["x5t#S256"].as_str().unwrap().to_string();
    assert_ne!(cnf, app.pki.client_a.thumbprint());
    assert!(
        cnf.len() == 64 && cnf.chars().all(|c| c.is_ascii_hexdigit()),
        "{cnf}"
    );
    let own = app.get_registration(&client_id, &token).await.status();
    assert_eq!(own, 200);
    let over_b = app
        .get_registration_with(&app.client_b, &client_id, &token)
        .await
        .status();
    assert_eq!(over_b, 401);
}

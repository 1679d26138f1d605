//! POST /register: the happy path and one case per validation family (the conformance suite
//! covers the catalogue in depth).

use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, spawn_app};

#[tokio::test]
async fn a_valid_request_is_registered_with_201_and_echoes_the_ssa() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    let jwt = app.sign_request(&app.request_claims(&software_id, &ssa));

    let r = app.post_register(&jwt).await;

    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let request_id = r.headers().get("x-request-id").expect("a request id");
    assert!(
        uuid::Uuid::parse_str(request_id.to_str().unwrap()).is_ok(),
        "request id is a UUID: {request_id:?}"
    );
    let body: Value = r.json().await.unwrap();
    assert!(!body["client_id"].as_str().unwrap().is_empty());
    assert!(body["client_id_issued_at"].is_i64());
    assert_eq!(body["software_statement"], json!(ssa), "byte-for-byte");
    assert_eq!(body["software_id"], json!(software_id));
    assert_eq!(body["response_types"], json!(["code"]));
    assert!(body.get("iss").is_none() && body.get("jti").is_none());
}

type Mutation = fn(&TestApp, &str) -> String;

fn forged_ssa(app: &TestApp, software_id: &str) -> String {
    // Signed by a key that is not the Register's, under the Register key's kid.
    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "cdr-register-1")
            .unwrap();
    let ssa = dcr_vectors::jose::sign_claims(&app.ssa_claims(software_id), &impostor).unwrap();
    app.sign_request(&app.request_claims(software_id, &ssa))
}

fn expired_request(app: &TestApp, software_id: &str) -> String {
    let ssa = app.ssa(software_id);
    let mut c = app.request_claims(software_id, &ssa);
    let now = dcr_vectors::time::now();
    c.insert("iat".into(), json!(now - 1000));
    c.insert("exp".into(), json!(now - 500));
    app.sign_request(&c)
}

fn foreign_redirect(app: &TestApp, software_id: &str) -> String {
    let ssa = app.ssa(software_id);
    let mut c = app.request_claims(software_id, &ssa);
    c.insert(
        "redirect_uris".into(),
        json!(["https://evil.example/callback"]),
    );
    app.sign_request(&c)
}

fn no_auth_method(app: &TestApp, software_id: &str) -> String {
    let ssa = app.ssa(software_id);
    let mut c = app.request_claims(software_id, &ssa);
    c.remove("token_endpoint_auth_method");
    app.sign_request(&c)
}

fn wrong_audience(app: &TestApp, software_id: &str) -> String {
    let ssa = app.ssa(software_id);
    let mut c = app.request_claims(software_id, &ssa);
    c.insert("aud".into(), json!("https://another.holder.example"));
    app.sign_request(&c)
}

fn not_a_jws(_: &TestApp, _: &str) -> String {
    "not.a-jwt".into()
}

#[rstest]
#[case::not_a_jws(not_a_jws as Mutation, "invalid_client_metadata", "compact JWS")]
#[case::forged_ssa(forged_ssa as Mutation, "invalid_software_statement", "signature")]
#[case::expired_request(expired_request as Mutation, "invalid_client_metadata", "expired")]
#[case::wrong_audience(wrong_audience as Mutation, "invalid_client_metadata", "aud")]
#[case::redirect_not_in_ssa(foreign_redirect as Mutation, "invalid_redirect_uri", "evil.example")]
#[case::missing_metadata(no_auth_method as Mutation, "invalid_client_metadata", "token_endpoint_auth_method")]
#[tokio::test]
async fn an_invalid_request_is_refused_with_400_and_the_right_code(
    #[case] mutation: Mutation,
    #[case] code: &str,
    #[case] description: &str,
) {
    let app = spawn_app().await;
    let jwt = mutation(&app, &uuid::Uuid::new_v4().to_string());

    let (status, error, text) = error_of(app.post_register(&jwt).await).await;

    assert_eq!((status, error.as_str()), (400, code), "{text}");
    assert!(text.contains(description), "{text}");
}

#[tokio::test]
async fn a_second_registration_of_a_software_id_is_a_duplicate() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    app.register(&software_id).await;

    let (status, error, text) =
        error_of(app.post_register(&app.registration_jwt(&software_id)).await).await;

    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(text.contains("Duplicate"), "{text}");
}

#[tokio::test]
async fn a_replayed_request_jti_is_refused() {
    let app = spawn_app().await;
    let jwt = app.registration_jwt(&uuid::Uuid::new_v4().to_string());
    assert_eq!(app.post_register(&jwt).await.status(), 201);

    let (status, error, text) = error_of(app.post_register(&jwt).await).await;

    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(text.contains("jti"), "{text}");
}

#[tokio::test]
async fn a_json_body_is_415() {
    let app = spawn_app().await;
    let r = app
        .client_a
        .post(&app.holder.urls.registration_endpoint)
        .json(&json!({"software_statement": "x"}))
        .send()
        .await
        .unwrap();
    let (status, _, text) = error_of(r).await;
    assert_eq!(status, 415);
    assert!(text.contains("application/jwt"), "{text}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let r = app.post_register(&"a".repeat(70 * 1024)).await;
    let (status, _, text) = error_of(r).await;
    assert_eq!(status, 413);
    assert!(text.contains("65536"), "{text}");
}

#[rstest]
#[case::register_get("GET", "/register", "POST")]
#[case::register_put("PUT", "/register", "POST")]
#[case::token_get("GET", "/token", "POST")]
#[case::client_post("POST", "/register/abc", "GET, PUT, DELETE")]
#[case::client_patch("PATCH", "/register/abc", "GET, PUT, DELETE")]
#[case::discovery_post("POST", "/.well-known/openid-configuration", "GET")]
#[tokio::test]
async fn other_methods_are_405_with_allow(
    #[case] verb: &str,
    #[case] route: &str,
    #[case] allow: &str,
) {
    let app = spawn_app().await;
    let url = format!("https://{}{route}", app.holder.mtls_addr);
    let r = app
        .client_a
        .request(verb.parse().unwrap(), url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], allow);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn discovery_advertises_the_endpoints_and_algorithms() {
    let app = spawn_app().await;
    let doc: Value = app
        .client_a
        .get(format!(
            "https://{}/.well-known/openid-configuration",
            app.holder.mtls_addr
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["registration_endpoint"],
        json!(app.holder.urls.registration_endpoint)
    );
    assert_eq!(doc["token_endpoint"], json!(app.holder.urls.token_endpoint));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(
        doc["tls_client_certificate_bound_access_tokens"],
        json!(true)
    );
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert!(
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("cdr:registration"))
    );
}

/// Near-misses of an SSA redirect URI (a trailing slash, a longer path, dot segments) are other
/// strings, refused by the simple string comparison RFC 6749 §3.1.2.3 asks for; each lenient
/// matcher of the defects `redirect-prefix-match` and `redirect-normalised` takes its own.
#[tokio::test]
async fn redirect_near_misses_are_refused_and_each_lenient_defect_takes_its_own() {
    use mock_holder::Defect;
    let listed = crate::helpers::spawn_app().await.recipient.redirect_uris[0].clone();
    assert_eq!(listed, "https://a.recipient.example/callback");
    // (uri, registered by: the correct holder, the prefix matcher, the normaliser)
    let cases = [
        (format!("{listed}/"), [false, true, true]),
        (format!("{listed}/extra"), [false, true, false]),
        (
            "https://a.recipient.example/x/../callback".to_string(),
            [false, false, true],
        ),
    ];
    let defects = [
        None,
        Some(Defect::RedirectPrefixMatch),
        Some(Defect::RedirectNormalised),
    ];
    for (i, defect) in defects.into_iter().enumerate() {
        let app = crate::helpers::spawn_app_with(|s| s.defect = defect).await;
        for (uri, taken) in &cases {
            let software_id = uuid::Uuid::new_v4().to_string();
            let ssa = app.ssa(&software_id);
            let mut claims = app.request_claims(&software_id, &ssa);
            claims.insert("redirect_uris".into(), json!([uri]));
            let status = app.post_register(&app.sign_request(&claims)).await.status();
            assert_eq!(status == 201, taken[i], "{defect:?} {uri}: {status}");
        }
    }
}

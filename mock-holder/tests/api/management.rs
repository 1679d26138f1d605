//! GET / PUT / DELETE /register/{ClientId}: bearer checks and the operations themselves.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of, object, spawn_app};

async fn challenge_of(r: reqwest::Response) -> (u16, String, String) {
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let (status, error, _) = error_of(r).await;
    (status, challenge, error)
}

/// A token signed with the holder's own key, with claims changed by `tweak`.
fn holder_signed(
    app: &TestApp,
    client_id: &str,
    tweak: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> String {
    let now = dcr_vectors::time::now();
    let mut claims = object(json!({
        "iss": app.issuer(), "sub": client_id, "client_id": client_id,
        "scope": "cdr:registration", "iat": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
        "cnf": {"x5t#S256": app.pki.client_a.thumbprint()},
    }));
    tweak(&mut claims);
    app.holder.sign_token_claims(&claims).unwrap()
}

#[tokio::test]
async fn get_returns_the_registration_as_created() {
    let app = spawn_app().await;
    let created = app.register(&uuid::Uuid::new_v4().to_string()).await;
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;

    let r = app.get_registration(id, &token).await;

    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(r.json::<Value>().await.unwrap(), created);
}

#[tokio::test]
async fn a_missing_token_is_401_with_a_bare_bearer_challenge() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let r = app.client_a.get(app.client_url(&id)).send().await.unwrap();
    let (status, challenge, _) = challenge_of(r).await;
    assert_eq!((status, challenge.as_str()), (401, "Bearer"));
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_invalid_token() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, app.holder.token_kid())
            .unwrap();
    let genuine = holder_signed(&app, &id, |_| {});
    let forged = {
        let claims = dcr_vectors::jose::decode_unverified(&genuine)
            .unwrap()
            .claims;
        dcr_vectors::jose::sign_claims(&claims, &impostor).unwrap()
    };
    let expired = holder_signed(&app, &id, |c| {
        c.insert("exp".into(), json!(dcr_vectors::time::now() - 1));
    });
    let wrong_issuer = holder_signed(&app, &id, |c| {
        c.insert("iss".into(), json!("https://other-holder.example"));
    });
    assert_eq!(app.get_registration(&id, &genuine).await.status(), 200);

    for (name, token) in [
        ("forged", forged),
        ("expired", expired),
        ("wrong issuer", wrong_issuer),
        ("garbage", "abc.def.ghi".to_string()),
    ] {
        let (status, challenge, error) =
            challenge_of(app.get_registration(&id, &token).await).await;
        assert_eq!(status, 401, "{name}");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{name}: {challenge}"
        );
        assert_eq!(error, "invalid_token", "{name}");
    }
}

#[tokio::test]
async fn a_token_presented_with_another_certificate_is_invalid_token() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let token = app.token(&id, "cdr:registration").await;

    let r = app.get_registration_with(&app.client_b, &id, &token).await;

    let (status, challenge, _) = challenge_of(r).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");
}

#[tokio::test]
async fn a_token_without_cdr_registration_is_403_insufficient_scope() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let token = app.token(&id, "openid profile").await;

    let (status, challenge, error) = challenge_of(app.get_registration(&id, &token).await).await;

    assert_eq!((status, error.as_str()), (403, "insufficient_scope"));
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
}

#[tokio::test]
async fn another_clients_id_is_401_and_revokes_the_token() {
    let app = spawn_app().await;
    let mine = app.register_new().await;
    let theirs = app.register_new().await;
    let token = app.token(&mine, "cdr:registration").await;

    let (status, challenge, _) = challenge_of(app.get_registration(&theirs, &token).await).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");

    let (status, challenge, _) = challenge_of(app.get_registration(&mine, &token).await).await;
    assert_eq!(status, 401, "the token was revoked");
    assert!(challenge.contains("revoked"), "{challenge}");
}

#[tokio::test]
async fn put_replaces_metadata_and_keeps_client_id_and_issued_at() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let created = app.register(&software_id).await;
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;
    let ssa = app.ssa(&software_id);
    let mut claims = app.request_claims(&software_id, &ssa);
    claims.insert(
        "redirect_uris".into(),
        json!([app.recipient.redirect_uris[0]]),
    );
    claims.insert("authorization_signed_response_alg".into(), json!("ES256"));

    let r = app
        .put_registration(id, &token, &app.sign_request(&claims))
        .await;

    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["client_id"], created["client_id"]);
    assert_eq!(
        updated["client_id_issued_at"],
        created["client_id_issued_at"]
    );
    assert_eq!(
        updated["redirect_uris"],
        json!([app.recipient.redirect_uris[0]])
    );
    assert_eq!(updated["authorization_signed_response_alg"], "ES256");
    assert_eq!(updated["software_statement"], json!(ssa));
    let fetched: Value = app.get_registration(id, &token).await.json().await.unwrap();
    assert_eq!(fetched, updated);
}

#[tokio::test]
async fn put_may_reuse_the_ssa_that_was_posted() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    let r = app
        .post_register(&app.sign_request(&app.request_claims(&software_id, &ssa)))
        .await;
    let id = r.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = app.token(&id, "cdr:registration").await;

    let r = app
        .put_registration(
            &id,
            &token,
            &app.sign_request(&app.request_claims(&software_id, &ssa)),
        )
        .await;

    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn put_with_another_software_id_is_refused() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let token = app.token(&id, "cdr:registration").await;

    let r = app
        .put_registration(
            &id,
            &token,
            &app.registration_jwt("another-software-product"),
        )
        .await;

    let (status, error, text) = error_of(r).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_software_statement"),
        "{text}"
    );
}

#[tokio::test]
async fn put_checks_the_token_before_the_body() {
    let app = spawn_app().await;
    let id = app.register_new().await;
    let unauthenticated = app
        .client_a
        .put(app.client_url(&id))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let token = app.token(&id, "cdr:registration").await;
    let wrong_type = app
        .client_a
        .put(app.client_url(&id))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let invalid = app.put_registration(&id, &token, "not-a-jwt").await;
    assert_eq!(error_of(invalid).await.1, "invalid_client_metadata");
}

#[tokio::test]
async fn delete_removes_the_client_and_everything_it_could_do() {
    let app = spawn_app().await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let created = app.register(&software_id).await;
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;

    let r = app.delete_registration(id, &token).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty(), "204 has no body");

    assert_eq!(app.get_registration(id, &token).await.status(), 401);
    let put = app
        .put_registration(id, &token, &app.registration_jwt(&software_id))
        .await;
    assert_eq!(put.status(), 401);
    let (status, error, _) = error_of(
        app.post_token(&TestApp::token_form(&app.assertion(id), "cdr:registration"))
            .await,
    )
    .await;
    assert_eq!((status, error.as_str()), (400, "invalid_client"));
    let again = app.post_register(&app.registration_jwt(&software_id)).await;
    assert_eq!(
        again.status(),
        201,
        "the software product may register again"
    );
    let again: Value = again.json().await.unwrap();
    assert_ne!(again["client_id"], created["client_id"]);
}

#[tokio::test]
async fn tokens_survive_only_while_unexpired() {
    // Two seconds, not one: clocks count whole seconds, so a one-second token issued late in a
    // second has expired by the next one, and the first GET failed under load.
    let app =
        crate::helpers::spawn_app_with(|s| s.token_lifetime = std::time::Duration::from_secs(2))
            .await;
    let id = app.register_new().await;
    let token = app.token(&id, "cdr:registration").await;
    assert_eq!(app.get_registration(&id, &token).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (status, challenge, _) = challenge_of(app.get_registration(&id, &token).await).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("expired"), "{challenge}");
}

/// A lifetime given to one client (the embedded suite's expired-token scenarios) makes that
/// client's tokens expire after it, to the millisecond, and leaves every other client's alone.
#[tokio::test]
async fn a_client_given_its_own_token_lifetime_sees_its_tokens_expire_and_no_other() {
    let app = spawn_app().await;
    let short = app.register_new().await;
    let other = app.register_new().await;
    app.holder
        .set_token_lifetime(&short, std::time::Duration::from_secs(1));

    let r = app
        .post_token(&TestApp::token_form(
            &app.assertion(&short),
            "cdr:registration",
        ))
        .await;
    let obtained = std::time::Instant::now();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_string();
    let claims = dcr_vectors::jose::decode_unverified(&token).unwrap().claims;
    let exp = claims["exp"].as_f64().expect("exp is a number");
    let now = dcr_vectors::time::now_millis() as f64 / 1000.0;
    assert!(
        exp > now && exp <= now + 1.0,
        "exp {exp} is within a second of {now}"
    );
    let long = app.token(&other, "cdr:registration").await;

    assert_eq!(app.get_registration(&short, &token).await.status(), 200);
    tokio::time::sleep_until((obtained + std::time::Duration::from_millis(1050)).into()).await;
    let (status, challenge, _) = challenge_of(app.get_registration(&short, &token).await).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("expired"), "{challenge}");
    assert_eq!(
        app.get_registration(&other, &long).await.status(),
        200,
        "another client's token keeps the configured lifetime"
    );
}

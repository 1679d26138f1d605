//! Flavour `cds-au-hybrid`: CDS DCR of the era when `code id_token` was allowed beside
//! Authorization Code Flow + JARM (cdr-dcr.md §1.4, CDS v1.22 to the retirement of 12 May 2025).

use mock_holder::Flavour;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, spawn_flavour};

/// A request for `software_id` asking for `response_types`, with the id_token encryption pair
/// `enc` (or none).
fn request(
    app: &TestApp,
    software_id: &str,
    response_types: Value,
    enc: Option<(&str, &str)>,
) -> Map<String, Value> {
    let ssa = app.ssa(software_id);
    let mut c = app.request_claims(software_id, &ssa);
    c.insert("response_types".into(), response_types);
    if let Some((alg, enc)) = enc {
        c.insert("id_token_encrypted_response_alg".into(), json!(alg));
        c.insert("id_token_encrypted_response_enc".into(), json!(enc));
    }
    c
}

/// Discovery lists `code id_token` beside `code` and the id_token encryption algorithms the
/// holder supports (cdr-dcr.md §2.2 id_token encryption rows; CDS-AF: until 12 May 2025 DHs
/// MAY support hybrid).
#[tokio::test]
async fn discovery_lists_the_hybrid_response_type_and_id_token_encryption() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let doc = app.discovery().await;
    assert_eq!(
        doc["response_types_supported"],
        json!(["code", "code id_token"])
    );
    assert_eq!(
        doc["id_token_encryption_alg_values_supported"],
        json!(["RSA-OAEP", "RSA-OAEP-256"])
    );
    assert_eq!(
        doc["id_token_encryption_enc_values_supported"],
        json!(["A256GCM", "A128CBC-HS256"])
    );
    assert_eq!(doc["response_modes_supported"], json!(["jwt", "fragment"]));
}

/// `code id_token` with a valid id_token encryption pair registers, and the pair is stored and
/// echoed (DCR-REQ-050; MDH22's request builder: RSA-OAEP / A256GCM). Without `code` the JARM
/// member does not apply: it is not echoed (MAS v2.1.0 AC44).
#[tokio::test]
async fn a_hybrid_registration_stores_and_echoes_id_token_encryption() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let claims = request(
        &app,
        &software_id,
        json!(["code id_token"]),
        Some(("RSA-OAEP", "A256GCM")),
    );

    let r = app.post_register(&app.sign_request(&claims)).await;

    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["response_types"], json!(["code id_token"]));
    assert_eq!(
        created["id_token_encrypted_response_alg"],
        json!("RSA-OAEP")
    );
    assert_eq!(created["id_token_encrypted_response_enc"], json!("A256GCM"));
    assert!(created.get("authorization_signed_response_alg").is_none());
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;
    let read: Value = app.get_registration(id, &token).await.json().await.unwrap();
    assert_eq!(read, created, "stored as answered");
}

/// Both flows at once: the JARM member (required with `code`, cdr-dcr.md §2.2) and the id_token
/// encryption pair (required with `code id_token`) are both registered.
#[tokio::test]
async fn code_and_code_id_token_need_jarm_and_id_token_encryption() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let mut claims = request(
        &app,
        &software_id,
        json!(["code", "code id_token"]),
        Some(("RSA-OAEP-256", "A128CBC-HS256")),
    );
    let r = app.post_register(&app.sign_request(&claims)).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["authorization_signed_response_alg"], json!("PS256"));
    assert_eq!(
        body["id_token_encrypted_response_alg"],
        json!("RSA-OAEP-256")
    );

    claims.remove("authorization_signed_response_alg");
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    let other = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&other);
    claims.insert("iss".into(), json!(other));
    claims.insert("software_statement".into(), json!(ssa));
    let (status, error, text) = error_of(app.post_register(&app.sign_request(&claims)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(text.contains("authorization_signed_response_alg"), "{text}");
}

/// With `code id_token`, a missing or unsupported id_token encryption member is refused with
/// 400 `invalid_client_metadata` (DCR-REQ-050; WSO2 TC0101014/15 refuse invalid values).
#[tokio::test]
async fn a_hybrid_registration_without_valid_id_token_encryption_is_refused() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let cases = [
        (None, "id_token_encrypted_response_alg is required"),
        (
            Some(("RSA1_5", "A256GCM")),
            "id_token_encrypted_response_alg must be one of",
        ),
        (
            Some(("RSA-OAEP", "A192GCM")),
            "id_token_encrypted_response_enc must be one of",
        ),
    ];
    for (enc, want) in cases {
        let software_id = uuid::Uuid::new_v4().to_string();
        let claims = request(&app, &software_id, json!(["code id_token"]), enc);
        let (status, error, text) =
            error_of(app.post_register(&app.sign_request(&claims)).await).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_client_metadata"),
            "{enc:?}: {text}"
        );
        assert!(text.contains(want), "{enc:?}: {text}");
    }
}

/// An ACF-only registration in the hybrid era ignores id_token encryption members: not stored,
/// not echoed (CDS v1.22 "must be ignored for ACF", DCR-REQ-049), as `cds-au` does.
#[tokio::test]
async fn id_token_encryption_is_ignored_for_code_only() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let claims = request(
        &app,
        &software_id,
        json!(["code"]),
        Some(("RSA-OAEP", "A256GCM")),
    );
    let r = app.post_register(&app.sign_request(&claims)).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(
        body.get("id_token_encrypted_response_alg").is_none(),
        "{body}"
    );
    assert_eq!(body["authorization_signed_response_alg"], json!("PS256"));
}

/// Response types other than `code` and `code id_token` stay refused (cdr-dcr.md §2.2).
#[tokio::test]
async fn other_response_types_are_refused() {
    let app = spawn_flavour(Flavour::CdsAuHybrid).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let claims = request(&app, &software_id, json!(["code token"]), None);
    let (status, error, text) = error_of(app.post_register(&app.sign_request(&claims)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(text.contains("code id_token"), "{text}");
}

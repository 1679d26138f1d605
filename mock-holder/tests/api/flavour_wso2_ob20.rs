//! Flavour `wso2-ob20-au-0.1`: WSO2 Open Banking 2.0's AU DCR v0.1 (wso2-flavours §3, the
//! OB 2.0 rows; §6 d1 for the product family's error helper and validator order).

use mock_holder::Flavour;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, names, spawn_flavour, spawn_flavour_with};

/// The 0.1 swagger's response members, in its order (wso2-flavours §3 "Response member
/// names").
const SWAGGER_MEMBERS: &[&str] = &[
    "client_id",
    "client_id_issued_at",
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "redirect_uris",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "revocation_uri",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "software_statement",
    "software_id",
    "software_roles",
    "scope",
];

/// A DCR 0.1 request for `software_id` carrying `ssa`: the holder's template with
/// `response_types` `[code id_token]` (the only value 0.1 knows).
fn request(app: &TestApp, software_id: &str, ssa: &str) -> Map<String, Value> {
    let mut c = app.request_claims(software_id, ssa);
    c.insert("response_types".into(), json!(["code id_token"]));
    c
}

fn jwt(app: &TestApp, software_id: &str) -> String {
    app.sign_request(&request(app, software_id, &app.ssa(software_id)))
}

/// An SSA signed by a key that is not the Register's, under the Register key's `kid`.
fn forged_ssa(app: &TestApp, software_id: &str) -> String {
    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "cdr-register-1")
            .unwrap();
    dcr_vectors::jose::sign_claims(&app.ssa_claims(software_id), &impostor).unwrap()
}

/// The snake_case model (wso2-flavours §3 "Response member names": the swagger's members, the
/// OB 2.0 model's Integer `client_id_issued_at`), nothing else: no `legal_entity_*`, no
/// `recipient_base_uri`, no `registration_access_token`.
#[tokio::test]
async fn the_answer_has_the_swagger_s_members_and_an_integer_issued_at() {
    let app = spawn_flavour(Flavour::Wso2Ob20Au01).await;
    let r = app
        .post_register(&jwt(&app, &uuid::Uuid::new_v4().to_string()))
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(names(&body), SWAGGER_MEMBERS);
    assert!(body["client_id_issued_at"].is_i64());
    assert_eq!(body["response_types"], json!(["code id_token"]));

    let id = body["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;
    let read: Value = app.get_registration(id, &token).await.json().await.unwrap();
    assert_eq!(read, body);
}

/// `ssa_signature_validation.enable=false` as shipped (wso2-flavours §3): an SSA the Register
/// did not sign registers; with the switch on it is `signature_validation_failed` (the custom
/// code, §3 "Error shape"; text §6 d1 item 3), and a genuine one still registers.
#[tokio::test]
async fn the_ssa_signature_is_checked_only_when_switched_on() {
    let off = spawn_flavour(Flavour::Wso2Ob20Au01).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let forged = off.sign_request(&request(
        &off,
        &software_id,
        &forged_ssa(&off, &software_id),
    ));
    assert_eq!(off.post_register(&forged).await.status(), 201);

    let on = spawn_flavour_with(Flavour::Wso2Ob20Au01, |s| s.ssa_signature_validation = true).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let forged = on.sign_request(&request(&on, &software_id, &forged_ssa(&on, &software_id)));
    let (status, error, text) = error_of(on.post_register(&forged).await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            400,
            "signature_validation_failed",
            "Failed to validate SSA signature"
        )
    );
    assert_eq!(
        on.post_register(&jwt(&on, &software_id)).await.status(),
        201
    );
}

/// `request_jti_validation.enable=true` (wso2-flavours §3): the same request again is a replay,
/// refused before the duplicate check; another request for a registered software product is
/// 409 `resource_already_exists` (§6 d1 "Errors", the product family's helper).
#[tokio::test]
async fn a_replay_is_refused_and_a_duplicate_is_409() {
    let app = spawn_flavour(Flavour::Wso2Ob20Au01).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let first = jwt(&app, &software_id);
    assert_eq!(app.post_register(&first).await.status(), 201);

    let (status, error, text) = error_of(app.post_register(&first).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert!(text.contains("replayed"), "{text}");

    let (status, error, text) = error_of(app.post_register(&jwt(&app, &software_id)).await).await;
    assert_eq!((status, error.as_str()), (409, "resource_already_exists"));
    assert!(
        text.starts_with("An application created with the given SSA is already available"),
        "{text}"
    );
}

/// The product family's request checks (§6 d1 items 2 and 4; the malformed-JWT helper): a
/// badly signed request, an `iss` that is not the SSA's `software_id`, a body that is no JWT.
#[tokio::test]
async fn request_signature_issuer_and_malformed_bodies() {
    let app = spawn_flavour(Flavour::Wso2Ob20Au01).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "recipient-1").unwrap();
    let claims = request(&app, &software_id, &app.ssa(&software_id));
    let forged = dcr_vectors::jose::sign_claims(&claims, &impostor).unwrap();
    let (status, error, text) = error_of(app.post_register(&forged).await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            400,
            "signature_validation_failed",
            "Failed to validate jwt signature"
        )
    );

    let mut claims = request(&app, &software_id, &app.ssa(&software_id));
    claims.insert("iss".into(), json!("Mock Company"));
    let (_, error, text) = error_of(app.post_register(&app.sign_request(&claims)).await).await;
    assert_eq!(error, "invalid_client_metadata");
    assert_eq!(
        text,
        "ISS claim of the request JWT does not match with the SSA's software ID"
    );

    let (_, error, text) = error_of(app.post_register("not.a-jwt").await).await;
    assert_eq!(
        (error.as_str(), text.as_str()),
        (
            "invalid_client_metadata",
            "Provided jwt is malformed and cannot be decoded"
        )
    );
}

/// Management errors of the product family (§3 "Unknown ClientId"; §6 d1 "Errors"): an unknown
/// client is 401 `invalid_client_metadata` "Request failed due to unknown or invalid Client", a
/// token bound to another certificate 401 "Request failed due to invalid TLS certificate", a
/// token without `cdr:registration` (the 0.1 swagger's scope, §3 "Management auth") 403
/// `resource_forbidden`.
#[tokio::test]
async fn management_errors_use_the_product_s_codes() {
    let app = spawn_flavour(Flavour::Wso2Ob20Au01).await;
    let created: Value = app
        .post_register(&jwt(&app, &uuid::Uuid::new_v4().to_string()))
        .await
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;

    let (status, error, text) =
        error_of(app.get_registration("no-such-client", &token).await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            401,
            "invalid_client_metadata",
            "Request failed due to unknown or invalid Client"
        )
    );
    let r = app.get_registration_with(&app.client_b, id, &token).await;
    let (status, error, text) = error_of(r).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            401,
            "invalid_client_metadata",
            "Request failed due to invalid TLS certificate"
        )
    );
    let openid = app.token(id, "openid").await;
    let (status, error, _) = error_of(app.get_registration(id, &openid).await).await;
    assert_eq!((status, error.as_str()), (403, "resource_forbidden"));
    assert_eq!(
        app.get_registration(id, &token).await.status(),
        200,
        "not revoked"
    );
}

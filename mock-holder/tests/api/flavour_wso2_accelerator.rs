//! Flavour `wso2-accelerator-3`: WSO2 Open Banking Accelerator 3.x's generic DCR
//! (shared/spec/wso2-flavours.md §2, §5; seed 004), with OB Directory SSAs signed by the test
//! "Directory" key (the wiremock standing in for the Register serves its keystore) and requests
//! signed with the TPP key at the SSA's `software_jwks_endpoint`.

use dcr_vectors::{SigningAlg, SigningKey, time};
use mock_holder::{Defect, Flavour, Variation};
use reqwest::Response;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, names, object, spawn_flavour, spawn_flavour_with};

const FLAVOUR: Flavour = Flavour::Wso2Accelerator3;
const REDIRECT: &str = "https://tpp.example/cb";
const MGMT: &str = "cdr-registration openid";

/// The POST answer's members in order, for a request without `jwks_uri` (§5, seed 004).
const MEMBERS: &[&str] = &[
    "client_id",
    "client_id_issued_at",
    "redirect_uris",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "scope",
    "software_id",
    "token_endpoint_auth_method",
    "software_statement",
];

fn software_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..22].to_string()
}

/// OB Directory SSA claims (seed 004's decoded SSA) for `software_id`, named `name`.
fn ssa_claims(app: &TestApp, software_id: &str, name: &str) -> Map<String, Value> {
    object(json!({
        "iss": "OpenBanking Ltd",
        "iat": time::now(),
        "jti": "ec4bd6c5fb35407a",
        "software_environment": "sandbox",
        "software_mode": "Test",
        "software_id": software_id,
        "software_client_id": software_id,
        "software_client_name": name,
        "software_client_description": "A mock TPP",
        "software_version": 1.5,
        "software_redirect_uris": [REDIRECT, "https://tpp.example/cb2"],
        "software_roles": ["AISP", "PISP", "CBPII"],
        "org_status": "Active",
        "org_id": "0015800001HQQrZAAX",
        "org_name": "Mock TPP Ltd",
        "software_jwks_endpoint": format!("{}/jwks", app.recipient_jwks.uri()),
    }))
}

/// The same SSA with the AU names the SSA model also maps (§5 "SSA model mapping"); the
/// gateway still needs `software_jwks_endpoint` (`JWKSEndpointName`), so it stays.
fn au_ssa_claims(app: &TestApp, software_id: &str, name: &str) -> Map<String, Value> {
    let mut c = ssa_claims(app, software_id, name);
    c.remove("software_client_name");
    c.remove("software_redirect_uris");
    c.insert("client_name".into(), name.into());
    c.insert("redirect_uris".into(), json!([REDIRECT]));
    c.insert(
        "jwks_uri".into(),
        format!("{}/jwks", app.recipient_jwks.uri()).into(),
    );
    c
}

/// Seed 004's sample request claims, carrying `ssa`.
fn request_claims(software_id: &str, ssa: &str) -> Map<String, Value> {
    let now = time::now();
    object(json!({
        "iss": software_id,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
        "aud": "https://secure.api.dataholder.com/issuer",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_signing_alg": "PS256",
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["client_credentials", "authorization_code", "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "response_types": ["code id_token"],
        "application_type": "web",
        "id_token_signed_response_alg": "PS256",
        "id_token_encrypted_response_alg": "RSA-OAEP",
        "id_token_encrypted_response_enc": "A256GCM",
        "request_object_signing_alg": "PS256",
        "scope": "accounts",
        "software_statement": ssa,
    }))
}

/// A request for a new software product, SSA and request claims changed by `ssa` and `req`.
fn jwt_with(
    app: &TestApp,
    ssa: impl FnOnce(&mut Map<String, Value>),
    req: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let id = software_id();
    let mut s = ssa_claims(app, &id, &format!("App {id}"));
    ssa(&mut s);
    let mut r = request_claims(&id, &app.sign_ssa(&s));
    req(&mut r);
    app.sign_request(&r)
}

fn jwt(app: &TestApp) -> String {
    jwt_with(app, |_| {}, |_| {})
}

async fn post(app: &TestApp, body: &str) -> Response {
    app.post_register(body).await
}

async fn register(app: &TestApp, body: &str) -> Value {
    let r = post(app, body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

async fn spawn() -> TestApp {
    spawn_flavour(FLAVOUR).await
}

async fn spawn_defect(defect: Defect) -> TestApp {
    spawn_flavour_with(FLAVOUR, |s| s.defect = Some(defect)).await
}

/// Status, Code, Title and Message of a gateway error (`errors[]` with one entry).
async fn gateway_error_of(r: Response) -> (u16, String, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("JSON");
    let errors = body["errors"].as_array().expect("an errors array");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(names(&body), ["errors"], "{body}");
    let e = &errors[0];
    let s = |n: &str| e[n].as_str().unwrap_or_default().to_string();
    (status, s("Code"), s("Title"), s("Message"))
}

fn client_id(body: &Value) -> String {
    body["client_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_registration_endpoint_is_the_gateway_s_0_1_path() {
    let app = spawn().await;
    assert!(
        app.holder
            .urls
            .registration_endpoint
            .ends_with("/open-banking/0.1/register")
    );
    let d = app.discovery().await;
    assert_eq!(
        d["registration_endpoint"],
        json!(app.holder.urls.registration_endpoint)
    );
    assert!(
        d["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("cdr-registration"))
    );
}

#[tokio::test]
async fn a_uk_named_ssa_registers_with_the_base_members_and_a_string_issued_at() {
    let app = spawn().await;
    let id = software_id();
    let ssa = app.sign_ssa(&ssa_claims(&app, &id, "Mock TPP"));
    let body = register(&app, &app.sign_request(&request_claims(&id, &ssa))).await;
    assert_eq!(names(&body), MEMBERS, "{body}");
    let issued = body["client_id_issued_at"].as_str().expect("a string");
    assert!(issued.parse::<i64>().unwrap() >= time::now() - 60);
    assert_eq!(body["software_id"], json!(id));
    assert_eq!(body["software_statement"], json!(ssa));
    assert_eq!(body["redirect_uris"], json!([REDIRECT]));
    assert_eq!(body["scope"], json!("accounts"));
    for absent in [
        "token_endpoint_auth_signing_alg",
        "software_roles",
        "client_name",
        "software_client_name",
        "jwks_uri",
        "registration_access_token",
        "registration_client_uri",
        "id_token_encrypted_response_alg",
        "iss",
        "software_jwks_endpoint",
    ] {
        assert!(body.get(absent).is_none(), "{absent}: {body}");
    }
}

#[tokio::test]
async fn an_au_named_ssa_registers_and_its_jwks_uri_is_answered() {
    let app = spawn().await;
    let id = software_id();
    let ssa = au_ssa_claims(&app, &id, "Mock AU TPP");
    let mut req = request_claims(&id, &app.sign_ssa(&ssa));
    req.remove("redirect_uris");
    let body = register(&app, &app.sign_request(&req)).await;
    // The SSA's (AU-named) redirect URIs are registered when the request has none.
    assert_eq!(body["redirect_uris"], ssa["redirect_uris"]);
    assert_eq!(body["jwks_uri"], ssa["jwks_uri"]);
    let at = |n: &str| names(&body).iter().position(|m| m == n).unwrap();
    assert!(
        at("software_id") < at("jwks_uri") && at("jwks_uri") < at("token_endpoint_auth_method")
    );
    // The AU name `client_name` names the application: a second one is a duplicate.
    let mut again = au_ssa_claims(&app, &software_id(), "Mock AU TPP");
    again.insert("software_id".into(), json!(id));
    let (status, error, text) = error_of(
        post(
            &app,
            &app.sign_request(&request_claims(&id, &app.sign_ssa(&again))),
        )
        .await,
    )
    .await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert_eq!(
        text,
        "Application with the name Mock AU TPP already exist in the system"
    );
}

/// The choices where the sources are silent: seed 004's sample registers redirect URIs that
/// its SSA does not list, with an iat of 2019; the default validator checks neither.
#[tokio::test]
async fn the_default_validator_checks_no_lifetime_no_redirect_subset_and_no_aud_value() {
    let app = spawn().await;
    let body = register(
        &app,
        &jwt_with(
            &app,
            |_| {},
            |r| {
                r.insert(
                    "redirect_uris".into(),
                    json!(["https://www.mockcompany.com.au/redirects/redirect1"]),
                );
                r.insert("iat".into(), json!(1_571_808_167));
                r.insert("exp".into(), json!(time::now() - 600));
                r.remove("jti");
                r.insert("aud".into(), json!("https://elsewhere.example"));
            },
        ),
    )
    .await;
    assert_eq!(
        body["redirect_uris"],
        json!(["https://www.mockcompany.com.au/redirects/redirect1"])
    );
    // A jti used twice is no replay either.
    let id = software_id();
    let mut req = request_claims(&id, &app.sign_ssa(&ssa_claims(&app, &id, "Jti A")));
    req.insert("jti".into(), json!("same"));
    register(&app, &app.sign_request(&req)).await;
    let id = software_id();
    let mut req = request_claims(&id, &app.sign_ssa(&ssa_claims(&app, &id, "Jti B")));
    req.insert("jti".into(), json!("same"));
    register(&app, &app.sign_request(&req)).await;
}

#[tokio::test]
async fn gateway_failures_are_answered_in_the_gateway_s_errors_shape() {
    let app = spawn().await;
    let other = SigningKey::generate(SigningAlg::Ps256, "recipient-1").unwrap();
    let id = software_id();
    let ssa = app.sign_ssa(&ssa_claims(&app, &id, "Gw"));
    let foreign = dcr_vectors::jose::sign_claims(&request_claims(&id, &ssa), &other).unwrap();
    let mut no_ssa = request_claims(&id, &ssa);
    no_ssa.remove("software_statement");
    let mut bad_ssa = request_claims(&id, &ssa);
    bad_ssa.insert("software_statement".into(), json!("not-a-jwt"));
    let jwks_uri_only = jwt_with(
        &app,
        |s| {
            let k = s.remove("software_jwks_endpoint").unwrap();
            s.insert("jwks_uri".into(), k);
        },
        |_| {},
    );
    for (body, message) in [
        ("garbage".to_string(), "Malformed request JWT"),
        (app.sign_request(&bad_ssa), "Malformed request JWT"),
        (
            app.sign_request(&no_ssa),
            "Required parameter software statement cannot be null",
        ),
        (foreign, "Invalid request signature"),
        (jwks_uri_only, "Invalid request signature"),
    ] {
        let got = gateway_error_of(post(&app, &body).await).await;
        assert_eq!(
            got,
            (
                400,
                "Bad request".into(),
                "invalid_client_metadata".into(),
                message.into()
            )
        );
    }
}

#[tokio::test]
async fn identity_server_failures_are_error_and_error_description_with_bean_names() {
    let app = spawn().await;
    let mut cases: Vec<(String, &str, String)> = Vec::new();
    for (claim, bean) in [
        ("grant_types", "grantTypes"),
        ("iss", "issuer"),
        ("aud", "audience"),
        ("token_endpoint_auth_method", "tokenEndPointAuthentication"),
        ("id_token_signed_response_alg", "idTokenSignedResponseAlg"),
    ] {
        cases.push((
            jwt_with(
                &app,
                |_| {},
                |r| {
                    r.remove(claim);
                },
            ),
            "invalid_client_metadata",
            format!("Required parameter {bean} cannot be null"),
        ));
    }
    for claim in [
        "id_token_signed_response_alg",
        "request_object_signing_alg",
        "token_endpoint_auth_signing_alg",
    ] {
        cases.push((
            jwt_with(
                &app,
                |_| {},
                |r| {
                    r.insert(claim.into(), json!("RS256"));
                },
            ),
            "invalid_client_metadata",
            "Invalid signing algorithm sent".into(),
        ));
    }
    cases.push((
        jwt_with(
            &app,
            |_| {},
            |r| {
                r.insert("iss".into(), json!("someone-else"));
            },
        ),
        "invalid_client_metadata",
        "Invalid issuer".into(),
    ));
    // Order: MandatoryChecks before AttributeChecks before SignatureCheck.
    cases.push((
        jwt_with(
            &app,
            |_| {},
            |r| {
                r.remove("grant_types");
                r.insert("iss".into(), json!("someone-else"));
            },
        ),
        "invalid_client_metadata",
        "Required parameter grantTypes cannot be null".into(),
    ));
    let other = SigningKey::generate(SigningAlg::Ps256, "cdr-register-1").unwrap();
    let id = software_id();
    let forged = dcr_vectors::jose::sign_claims(&ssa_claims(&app, &id, "Forged"), &other).unwrap();
    cases.push((
        app.sign_request(&request_claims(&id, &forged)),
        "invalid_software_statement",
        "Invalid signature for SSA".into(),
    ));
    let mut both = request_claims(&id, &forged);
    both.insert("iss".into(), json!("someone-else"));
    cases.push((
        app.sign_request(&both),
        "invalid_client_metadata",
        "Invalid issuer".into(),
    ));
    for (body, code, text) in cases {
        let r = post(&app, &body).await;
        let (status, error, description) = error_of(r).await;
        assert_eq!((status, error.as_str()), (400, code), "{text}");
        assert_eq!(description, text);
        assert!(!description.contains(':'), "{description}");
    }
    // Not a gateway answer.
    let r = post(
        &app,
        &jwt_with(
            &app,
            |_| {},
            |r| {
                r.remove("aud");
            },
        ),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(names(&body), ["error", "error_description"]);
}

async fn token(app: &TestApp, id: &str, scope: &str) -> String {
    app.token(id, scope).await
}

#[tokio::test]
async fn the_switch_is_off_by_default_and_get_and_put_echo_the_caller_s_token() {
    let app = spawn().await;
    let body = register(&app, &jwt(&app)).await;
    assert!(body.get("registration_access_token").is_none());
    assert!(body.get("registration_client_uri").is_none());
    let id = client_id(&body);
    let t = token(&app, &id, MGMT).await;
    let r = app.get_registration(&id, &t).await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["registration_access_token"], json!(t));
    assert_eq!(names(&got)[0], "registration_access_token");
    assert!(got["client_id_issued_at"].is_string());
    assert!(got.get("registration_client_uri").is_none());
}

async fn switch_on_answers_a_usable_token(app: &TestApp) {
    let body = register(app, &jwt(app)).await;
    let id = client_id(&body);
    let minted = body["registration_access_token"].as_str().expect("a token");
    assert_eq!(
        body["registration_client_uri"],
        json!(app.client_url(&id)),
        "{body}"
    );
    let n = names(&body);
    assert_eq!(
        n.first().map(String::as_str),
        Some("registration_access_token")
    );
    assert_eq!(n[n.len() - 2], "registration_client_uri");
    assert_eq!(n[n.len() - 1], "software_statement");
    let r = app.get_registration(&id, minted).await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert!(got.get("registration_client_uri").is_none(), "POST only");
    // Bound to the certificate it was minted over.
    let r = app.get_registration_with(&app.client_b, &id, minted).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_switch_on_adds_a_fresh_cert_bound_token_and_the_client_uri() {
    let app = spawn_flavour_with(FLAVOUR, |s| {
        s.append_registration_attributes_in_response = true;
    })
    .await;
    switch_on_answers_a_usable_token(&app).await;
}

#[tokio::test]
async fn the_variations_turn_the_switch_on_and_stop_the_echo() {
    let app = spawn_flavour_with(FLAVOUR, |s| {
        s.variations = vec![Variation::AcceleratorRegistrationAttributes];
    })
    .await;
    switch_on_answers_a_usable_token(&app).await;
    let app = spawn_flavour_with(FLAVOUR, |s| {
        s.variations = vec![Variation::AcceleratorGetPutWithoutToken];
    })
    .await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, MGMT).await;
    let got: Value = app.get_registration(&id, &t).await.json().await.unwrap();
    assert!(got.get("registration_access_token").is_none(), "{got}");
}

#[tokio::test]
async fn the_switch_is_refused_for_another_flavour() {
    let mut settings = mock_holder::Settings::new(
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        mock_holder::tls::TlsMaterial {
            client_ca_pem: String::new(),
            cert_pem: String::new(),
            key_pem: String::new(),
        },
        "http://127.0.0.1:9/jwks".into(),
    );
    settings.flavour = Flavour::Wso2Uk33;
    settings.append_registration_attributes_in_response = true;
    let Err(err) = mock_holder::start(settings).await else {
        panic!("the switch must be refused for wso2-uk-3.3");
    };
    assert!(
        err.to_string()
            .starts_with("append_registration_attributes_in_response"),
        "{err}"
    );
}

#[tokio::test]
async fn management_needs_the_hyphenated_scope_and_an_unknown_client_gets_a_bare_401() {
    let app = spawn().await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let other = client_id(&register(&app, &jwt(&app)).await);
    // The docs' `accounts openid` token is not a management token.
    let t = token(&app, &id, "accounts openid").await;
    let (status, _, title, _) = gateway_error_of(app.get_registration(&id, &t).await).await;
    assert_eq!((status, title.as_str()), (403, "insufficient_scope"));
    let t = token(&app, &id, MGMT).await;
    for path in ["no-such-client", other.as_str()] {
        let r = app.get_registration(path, &t).await;
        assert_eq!(r.status(), 401);
        assert!(r.bytes().await.unwrap().is_empty(), "no body");
    }
    // No revocation on an unknown ClientId (§9.5): the token still works.
    assert_eq!(app.get_registration(&id, &t).await.status(), 200);
    // Without a token: the gateway's shape with a challenge.
    let r = app.client_a.get(app.client_url(&id)).send().await.unwrap();
    assert!(r.headers().get("www-authenticate").is_some());
    let (status, ..) = gateway_error_of(r).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn put_answers_200_and_delete_204_revokes_the_client_s_tokens() {
    let app = spawn().await;
    let sid = software_id();
    let name = format!("App {sid}");
    let ssa = app.sign_ssa(&ssa_claims(&app, &sid, &name));
    let id = client_id(&register(&app, &app.sign_request(&request_claims(&sid, &ssa))).await);
    let t = token(&app, &id, MGMT).await;
    let mut update = request_claims(&sid, &ssa);
    update.insert("scope".into(), json!("accounts payments"));
    let r = app
        .put_registration(&id, &t, &app.sign_request(&update))
        .await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["scope"], json!("accounts payments"));
    assert_eq!(got["client_id"], json!(id));
    assert_eq!(got["registration_access_token"], json!(t));
    // Another application name is IS's "Invalid application name".
    let renamed = app.sign_ssa(&ssa_claims(&app, &sid, "Renamed"));
    let r = app
        .put_registration(&id, &t, &app.sign_request(&request_claims(&sid, &renamed)))
        .await;
    assert_eq!(
        error_of(r).await,
        (
            400,
            "invalid_client_metadata".into(),
            "Invalid application name".into()
        )
    );
    let r = app.delete_registration(&id, &t).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());
    let (status, _, _, message) = gateway_error_of(app.get_registration(&id, &t).await).await;
    assert_eq!(status, 401);
    assert!(message.contains("revoked"), "{message}");
}

#[tokio::test]
async fn a_second_post_for_the_same_application_is_is_s_duplicate() {
    let app = spawn().await;
    let sid = software_id();
    let ssa = app.sign_ssa(&ssa_claims(&app, &sid, "Dup TPP"));
    let body = app.sign_request(&request_claims(&sid, &ssa));
    register(&app, &body).await;
    let r = post(&app, &body).await;
    assert_eq!(
        error_of(r).await,
        (
            400,
            "invalid_client_metadata".into(),
            "Application with the name Dup TPP already exist in the system".into()
        )
    );
    // The application is named by the SSA's client name, not by its software_id.
    let sid = software_id();
    let ssa = app.sign_ssa(&ssa_claims(&app, &sid, "Dup TPP"));
    let r = post(&app, &app.sign_request(&request_claims(&sid, &ssa))).await;
    assert_eq!(r.status(), 400);
    // An SSA without a client name names the application by its software_id.
    let sid = software_id();
    let mut unnamed = ssa_claims(&app, &sid, "");
    unnamed.remove("software_client_name");
    let body = app.sign_request(&request_claims(&sid, &app.sign_ssa(&unnamed)));
    register(&app, &body).await;
    let (_, _, text) = error_of(post(&app, &body).await).await;
    assert_eq!(
        text,
        format!("Application with the name {sid} already exist in the system")
    );
}

#[tokio::test]
async fn tokens_are_had_with_private_key_jwt_and_the_docs_scope() {
    let app = spawn().await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let r = app
        .post_token(&TestApp::token_form(&app.assertion(&id), "accounts openid"))
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_token(&TestApp::token_form(&app.assertion(&id), "payments"))
        .await;
    assert_eq!(r.status(), 400, "payments is not registered");
}

// ------------------------------------------------------------------ defects

/// Each new defect changes the behaviour it claims.
#[tokio::test]
async fn the_gateway_and_is_shape_defects_swap_the_shapes() {
    let app = spawn_defect(Defect::AcceleratorGatewayErrorsAsIs).await;
    let (status, error, text) = error_of(post(&app, "garbage").await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (400, "invalid_client_metadata", "Malformed request JWT")
    );
    let app = spawn_defect(Defect::AcceleratorIsErrorsAsGateway).await;
    let r = post(
        &app,
        &jwt_with(
            &app,
            |_| {},
            |r| {
                r.remove("aud");
            },
        ),
    )
    .await;
    let (status, _, title, message) = gateway_error_of(r).await;
    assert_eq!(
        (status, title.as_str(), message.as_str()),
        (
            400,
            "invalid_client_metadata",
            "Required parameter audience cannot be null"
        )
    );
}

#[tokio::test]
async fn the_issued_at_integer_defect_writes_a_number() {
    let app = spawn_defect(Defect::AcceleratorIssuedAtInteger).await;
    let body = register(&app, &jwt(&app)).await;
    assert!(body["client_id_issued_at"].is_i64(), "{body}");
}

#[tokio::test]
async fn the_duplicate_defect_registers_the_application_twice() {
    let app = spawn_defect(Defect::AcceleratorDuplicateRegistered).await;
    let body = jwt(&app);
    let a = register(&app, &body).await;
    let b = register(&app, &body).await;
    assert_ne!(a["client_id"], b["client_id"]);
}

#[tokio::test]
async fn the_unknown_client_body_defect_answers_a_body() {
    let app = spawn_defect(Defect::AcceleratorUnknownClientBody).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, MGMT).await;
    let (status, error, _) = error_of(app.get_registration("no-such-client", &t).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
}

#[tokio::test]
async fn the_scope_defect_takes_a_token_without_cdr_registration() {
    let app = spawn_defect(Defect::AcceleratorScopeUnchecked).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, "accounts openid").await;
    assert_eq!(app.get_registration(&id, &t).await.status(), 200);
}

#[tokio::test]
async fn the_client_uri_defect_answers_the_uri_without_the_token() {
    let app = spawn_defect(Defect::AcceleratorClientUriWithoutToken).await;
    let body = register(&app, &jwt(&app)).await;
    assert!(body["registration_client_uri"].is_string(), "{body}");
    assert!(body.get("registration_access_token").is_none(), "{body}");
    let correct = spawn().await;
    let body = register(&correct, &jwt(&correct)).await;
    assert!(body.get("registration_client_uri").is_none(), "{body}");
}

/// A request signed by a key the SSA's JWKS lacks, carrying that key as its own `jwks`: the
/// correct holder refuses it, the `uk-request-jwks-used` holder registers it.
#[tokio::test]
async fn the_request_jwks_defect_verifies_with_the_key_the_request_carries() {
    for on in [false, true] {
        let app = if on {
            spawn_defect(Defect::UkRequestJwksUsed).await
        } else {
            spawn().await
        };
        let attacker = SigningKey::generate(SigningAlg::Ps256, app.recipient_key.kid()).unwrap();
        let jwk: Value = serde_json::from_str(&attacker.public_jwk().unwrap().to_string()).unwrap();
        let id = software_id();
        let ssa = app.sign_ssa(&ssa_claims(&app, &id, &format!("App {id}")));
        let mut claims = request_claims(&id, &ssa);
        claims.insert("jwks".into(), json!({ "keys": [jwk] }));
        let body = dcr_vectors::jose::sign_claims(&claims, &attacker).unwrap();
        let status = post(&app, &body).await.status();
        assert_eq!(status == 201, on, "defect {on}: {status}");
    }
}

type Fault = fn(&mut Map<String, Value>, &mut Map<String, Value>);

/// The existing UK defects extended to this flavour: the fault is refused by the correct
/// holder and registered by the defective one.
#[tokio::test]
async fn the_extended_uk_defects_pervert_the_accelerator_pipeline() {
    let cases: [(Defect, Fault); 4] = [
        (Defect::UkRequestIssUnchecked, |r, _| {
            r.insert("iss".into(), json!("someone-else"));
        }),
        (Defect::UkRs256MetadataAccepted, |r, _| {
            r.insert("id_token_signed_response_alg".into(), json!("RS256"));
        }),
        (Defect::UkSsaSignatureUnchecked, |_, s| {
            s.insert("forged".into(), json!(true));
        }),
        (Defect::UkRequestSignatureUnchecked, |r, _| {
            r.insert("forged".into(), json!(true));
        }),
    ];
    for (defect, fault) in cases {
        for on in [false, true] {
            let app = if on {
                spawn_defect(defect).await
            } else {
                spawn().await
            };
            let id = software_id();
            let mut s = ssa_claims(&app, &id, &format!("App {id}"));
            let mut r = request_claims(&id, "");
            fault(&mut r, &mut s);
            let forged_ssa = s.remove("forged").is_some();
            let forged_req = r.remove("forged").is_some();
            let other = SigningKey::generate(SigningAlg::Ps256, "cdr-register-1").unwrap();
            let ssa = if forged_ssa {
                dcr_vectors::jose::sign_claims(&s, &other).unwrap()
            } else {
                app.sign_ssa(&s)
            };
            r.insert("software_statement".into(), json!(ssa));
            let body = if forged_req {
                let key = SigningKey::generate(SigningAlg::Ps256, "recipient-1").unwrap();
                dcr_vectors::jose::sign_claims(&r, &key).unwrap()
            } else {
                app.sign_request(&r)
            };
            let status = post(&app, &body).await.status().as_u16();
            assert_eq!(status == 201, on, "{defect}: {status}");
        }
    }
}

#[tokio::test]
async fn the_extended_uk_gateway_and_management_defects_reach_this_flavour() {
    let app = spawn_defect(Defect::UkMalformedBody500).await;
    assert_eq!(post(&app, "garbage").await.status(), 500);
    let app = spawn_defect(Defect::UkMissingSsaInvalidRequest).await;
    let (_, _, title, _) = gateway_error_of(
        post(
            &app,
            &jwt_with(
                &app,
                |_| {},
                |r| {
                    r.remove("software_statement");
                },
            ),
        )
        .await,
    )
    .await;
    assert_eq!(title, "invalid_request");
    let app = spawn_defect(Defect::UkRegisterAnswers200).await;
    assert_eq!(post(&app, &jwt(&app)).await.status(), 200);
    let app = spawn_defect(Defect::UkUnknownClient404).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, MGMT).await;
    assert_eq!(app.get_registration("nobody", &t).await.status(), 404);
    let app = spawn_defect(Defect::UkOtherClientAllowed).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let other = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, MGMT).await;
    assert_eq!(app.get_registration(&other, &t).await.status(), 200);
    let app = spawn_defect(Defect::UkDeleteKeepsClient).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let t = token(&app, &id, MGMT).await;
    assert_eq!(app.delete_registration(&id, &t).await.status(), 204);
    let t = token(&app, &id, MGMT).await;
    assert_eq!(app.get_registration(&id, &t).await.status(), 200);
    let app = spawn_defect(Defect::UkMissingToken403).await;
    let id = client_id(&register(&app, &jwt(&app)).await);
    let r = app.client_a.get(app.client_url(&id)).send().await.unwrap();
    assert_eq!(r.status(), 403);
}

/// An unsecured JWS (`alg: none`) of `claims`.
fn unsigned(claims: &Map<String, Value>) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}

/// The unsigned-request, unsigned-SSA and key-set-failure defects: refused by the correct
/// holder, taken (or a 500) by the defective one.
#[tokio::test]
async fn the_extended_unsigned_and_key_set_defects_reach_this_flavour() {
    for on in [false, true] {
        let app = if on {
            spawn_defect(Defect::UkUnsignedRequestAccepted).await
        } else {
            spawn().await
        };
        let id = software_id();
        let ssa = app.sign_ssa(&ssa_claims(&app, &id, "Unsigned req"));
        let status = post(&app, &unsigned(&request_claims(&id, &ssa)))
            .await
            .status();
        assert_eq!(status == 201, on, "unsigned request: {status}");

        let app = if on {
            spawn_defect(Defect::UkUnsignedSsaAccepted).await
        } else {
            spawn().await
        };
        let id = software_id();
        let ssa = unsigned(&ssa_claims(&app, &id, "Unsigned SSA"));
        let status = post(&app, &app.sign_request(&request_claims(&id, &ssa)))
            .await
            .status();
        assert_eq!(status == 201, on, "unsigned SSA: {status}");

        let app = if on {
            spawn_defect(Defect::UkJwksFailure500).await
        } else {
            spawn().await
        };
        let body = jwt_with(
            &app,
            |s| {
                s.insert(
                    "software_jwks_endpoint".into(),
                    json!("http://127.0.0.1:9/jwks"),
                );
            },
            |_| {},
        );
        let status = post(&app, &body).await.status().as_u16();
        assert_eq!(status, if on { 500 } else { 400 }, "key set failure");
    }
}

#[tokio::test]
async fn the_extended_media_type_post_token_and_put_defects_reach_this_flavour() {
    let app = spawn_defect(Defect::UkJwtRefused).await;
    let (status, ..) = gateway_error_of(post(&app, &jwt(&app)).await).await;
    assert_eq!(status, 415);
    let app = spawn_defect(Defect::UkPostNeedsToken).await;
    assert_eq!(post(&app, &jwt(&app)).await.status(), 401);
    for defect in [Defect::UkPutIssUnchecked, Defect::UkPutClientIdChanges] {
        for on in [false, true] {
            let app = if on {
                spawn_defect(defect).await
            } else {
                spawn().await
            };
            let sid = software_id();
            let ssa = app.sign_ssa(&ssa_claims(&app, &sid, &format!("Put {sid}")));
            let id =
                client_id(&register(&app, &app.sign_request(&request_claims(&sid, &ssa))).await);
            let t = token(&app, &id, MGMT).await;
            let mut update = request_claims(&sid, &ssa);
            if defect == Defect::UkPutIssUnchecked {
                update.insert("iss".into(), json!("someone-else"));
            }
            let r = app
                .put_registration(&id, &t, &app.sign_request(&update))
                .await;
            let status = r.status().as_u16();
            if defect == Defect::UkPutIssUnchecked {
                assert_eq!(status == 200, on, "{defect}: {status}");
            } else {
                let got: Value = r.json().await.unwrap();
                assert_eq!(got["client_id"] != json!(id), on, "{defect}: {got}");
            }
        }
    }
}

/// Every defect claimed for this flavour is exercised here.
#[test]
fn every_defect_of_the_flavour_is_exercised_here() {
    let text = include_str!("flavour_wso2_accelerator.rs");
    for d in mock_holder::Defect::ALL {
        if d.applies_to(FLAVOUR) {
            assert!(
                text.contains(&format!("Defect::{d:?}")),
                "{d} is not exercised"
            );
        }
    }
}

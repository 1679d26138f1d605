//! Flavours `uk-obie-3.2` and `uk-obie-3.3`: UK Open Banking DCR (shared/spec/uk-dcr.md),
//! with OB Directory SSAs signed by a test "Directory" key (the wiremock standing in for the
//! Register serves its keystore) and requests signed with the TPP key of the SSA's
//! `software_jwks_endpoint` (the recipient wiremock).

use dcr_vectors::jose::{header_for, sign_claims, sign_compact};
use dcr_vectors::{SigningAlg, SigningKey, time};
use mock_holder::{Flavour, Operations, Variation};
use reqwest::{Client, Response};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, names, object, spawn_flavour, spawn_flavour_with};

/// The holder's default OB organisation id (README "Settings").
const ORG_ID: &str = "0015800001MockHAAX";
const REDIRECT: &str = "https://tpp.example/cb";
const CIBA: &str = "urn:openid:params:grant-type:ciba";

/// A 22-character Base62 software_id (uk-dcr.md §2.2 `software_id`).
fn software_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..22].to_string()
}

/// OB Directory SSA claims (uk-dcr.md §3.1) for `software_id`, roles AISP and PISP.
fn ssa_claims(app: &TestApp, software_id: &str) -> Map<String, Value> {
    object(json!({
        "iss": "OpenBanking Ltd",
        "iat": time::now(),
        "jti": "1a2b3c4d5e6f7081",
        "software_environment": "sandbox",
        "software_mode": "Test",
        "software_id": software_id,
        "software_client_id": software_id,
        "software_client_name": "Mock TPP",
        "software_jwks_endpoint": format!("{}/jwks", app.recipient_jwks.uri()),
        "software_redirect_uris": [REDIRECT, "https://tpp.example/cb2"],
        "software_roles": ["AISP", "PISP"],
        "org_status": "Active",
        "org_id": "0015800001HQQrZAAX",
        "org_name": "Mock TPP Ltd",
    }))
}

/// A registration request (uk-dcr.md §2.2) carrying `ssa`, as CT sends it.
fn request_claims(software_id: &str, ssa: &str) -> Map<String, Value> {
    let now = time::now();
    object(json!({
        "iss": software_id,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid::Uuid::new_v4().to_string(),
        "aud": ORG_ID,
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "PS256",
        "grant_types": ["authorization_code", "client_credentials"],
        "software_statement": ssa,
        "scope": "accounts openid",
        "application_type": "web",
        "id_token_signed_response_alg": "PS256",
        "request_object_signing_alg": "PS256",
    }))
}

/// A UK holder of `flavour` with `tweak`ed settings.
async fn spawn_uk(flavour: Flavour) -> TestApp {
    spawn_flavour(flavour).await
}

/// The request of `software_id`, its SSA and request claims changed by `ssa` and `req`.
fn jwt_with(
    app: &TestApp,
    software_id: &str,
    ssa: impl FnOnce(&mut Map<String, Value>),
    req: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let mut s = ssa_claims(app, software_id);
    ssa(&mut s);
    let mut r = request_claims(software_id, &app.sign_ssa(&s));
    req(&mut r);
    app.sign_request(&r)
}

fn jwt(app: &TestApp, software_id: &str) -> String {
    jwt_with(app, software_id, |_| {}, |_| {})
}

async fn post(app: &TestApp, jwt: &str, content_type: &str) -> Response {
    app.client_a
        .post(&app.holder.urls.registration_endpoint)
        .header("content-type", content_type)
        .body(jwt.to_string())
        .send()
        .await
        .unwrap()
}

async fn post_jose(app: &TestApp, jwt: &str) -> Response {
    post(app, jwt, "application/jose").await
}

/// Registers a request and returns the 201 body.
async fn register(app: &TestApp, jwt: &str) -> Value {
    let r = post_jose(app, jwt).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// A client assertion for `client_id` as CT signs it: PS256 without `kid` (uk-dcr.md §1.3).
fn kidless_assertion(app: &TestApp, client_id: &str) -> String {
    let mut header = header_for(&app.recipient_key);
    header.remove("kid");
    let claims = app.assertion_claims(client_id);
    let signer = app.recipient_key.signer().unwrap();
    sign_compact(
        &header,
        &serde_json::to_vec(&claims).unwrap(),
        signer.as_ref(),
    )
    .unwrap()
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A management token as CT asks for it: client credentials, `scope=` empty.
async fn management_token(app: &TestApp, client_id: &str) -> String {
    let assertion = kidless_assertion(app, client_id);
    let r = app
        .post_token(&form(&[
            ("grant_type", "client_credentials"),
            ("scope", ""),
            ("client_assertion_type", crate::helpers::JWT_BEARER),
            ("client_assertion", &assertion),
        ]))
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.get("scope").is_none(), "no scope granted: {body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, client: &Client, id: &str, token: &str) -> Response {
    client
        .get(app.client_url(id))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Discovery per uk-dcr.md §8; the CIBA grant and members only in 3.3.
#[tokio::test]
async fn discovery_advertises_the_uk_document() {
    for flavour in [Flavour::UkObie32, Flavour::UkObie33] {
        let app = spawn_uk(flavour).await;
        let doc = app.discovery().await;
        assert_eq!(
            doc["registration_endpoint"],
            json!(format!("https://{}/register", app.holder.mtls_addr))
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(["tls_client_auth", "private_key_jwt", "client_secret_basic"])
        );
        for member in [
            "token_endpoint_auth_signing_alg_values_supported",
            "request_object_signing_alg_values_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert_eq!(doc[member], json!(["PS256", "ES256"]), "{member}");
        }
        assert_eq!(
            doc["response_types_supported"],
            json!(["code id_token", "code"])
        );
        assert_eq!(
            doc["scopes_supported"],
            json!(["openid", "accounts", "payments", "fundsconfirmations"])
        );
        assert_eq!(
            doc["tls_client_certificate_bound_access_tokens"],
            json!(true)
        );
        let grants = doc["grant_types_supported"].as_array().unwrap().clone();
        let v33 = flavour == Flavour::UkObie33;
        assert_eq!(grants.contains(&json!(CIBA)), v33, "{flavour}");
        assert_eq!(
            doc.get("backchannel_user_code_parameter_supported"),
            v33.then_some(&json!(false))
        );
        if v33 {
            assert_eq!(
                doc["backchannel_token_delivery_modes_supported"],
                json!(["poll", "ping"])
            );
            assert_eq!(
                doc["backchannel_authentication_request_signing_alg_values_supported"],
                json!(["PS256", "ES256"])
            );
        }
    }
}

/// UK-REQ-007/008/048/049/054: jose and jwt (with parameters) register with 201 and the
/// response members of §4.1; other types are 415.
#[tokio::test]
async fn a_valid_request_registers_as_jose_or_jwt() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let sid = software_id();
    let request = jwt(&app, &sid);
    let r = post(&app, &request, "application/jose").await;
    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        names(&body),
        [
            "client_id",
            "client_id_issued_at",
            "redirect_uris",
            "token_endpoint_auth_method",
            "token_endpoint_auth_signing_alg",
            "grant_types",
            "response_types",
            "software_id",
            "scope",
            "software_statement",
            "application_type",
            "id_token_signed_response_alg",
            "request_object_signing_alg",
        ]
    );
    assert!(uuid::Uuid::parse_str(body["client_id"].as_str().unwrap()).is_ok());
    assert!(body["client_id_issued_at"].is_i64());
    assert_eq!(
        body["response_types"],
        json!(["code id_token"]),
        "UK-REQ-039"
    );
    assert_eq!(body["software_id"], json!(sid));
    assert_eq!(body["scope"], json!("accounts openid"));

    for content_type in ["application/jwt", "application/jose; charset=ISO-8859-1"] {
        let r = post(&app, &jwt(&app, &software_id()), content_type).await;
        assert_eq!(r.status(), 201, "{content_type}");
    }
    let r = post(&app, &jwt(&app, &software_id()), "application/json").await;
    assert_eq!(r.status(), 415);
}

/// UK-REQ-057: several registrations per software statement.
#[tokio::test]
async fn a_software_id_registers_more_than_once() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let sid = software_id();
    let first = register(&app, &jwt(&app, &sid)).await;
    let second = register(&app, &jwt(&app, &sid)).await;
    assert_ne!(first["client_id"], second["client_id"]);
    for body in [first, second] {
        let id = body["client_id"].as_str().unwrap();
        let token = management_token(&app, id).await;
        let read: Value = get(&app, &app.client_a, id, &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(read["software_id"], json!(sid));
    }
}

type Mutation = fn(&TestApp, &mut Map<String, Value>, &mut Map<String, Value>);

/// Every refusal of the pipeline with its code (uk-dcr.md §5.1), and its error body holding
/// `error` and `error_description` only.
#[tokio::test]
async fn each_broken_rule_is_refused_with_its_code() {
    const ICM: &str = "invalid_client_metadata";
    const ISS: &str = "invalid_software_statement";
    const IRU: &str = "invalid_redirect_uri";
    let cases: Vec<(&str, &str, Mutation)> = vec![
        ("ssa issuer", "unapproved_software_statement", |_, s, _| {
            s.insert("iss".into(), json!("Some Directory"));
        }),
        ("stale ssa", ISS, |_, s, _| {
            s.insert("iat".into(), json!(time::now() - 31 * 60));
        }),
        ("future ssa", ISS, |_, s, _| {
            s.insert("iat".into(), json!(time::now() + 600));
        }),
        ("ssa without iat", ISS, |_, s, _| {
            s.remove("iat");
        }),
        ("expired ssa exp", ISS, |_, s, _| {
            s.insert("exp".into(), json!(time::now() - 600));
        }),
        ("ssa without jwks endpoint", ISS, |_, s, _| {
            s.remove("software_jwks_endpoint");
        }),
        ("ssa without org_id", ISS, |_, s, _| {
            s.remove("org_id");
        }),
        ("ssa roles not an array", ISS, |_, s, _| {
            s.insert("software_roles".into(), json!("AISP"));
        }),
        ("iss foo.is/invalid", ICM, |_, _, r| {
            r.insert("iss".into(), json!("foo.is/invalid"));
        }),
        ("empty iss", ICM, |_, _, r| {
            r.insert("iss".into(), json!(""));
        }),
        ("30-char iss", ICM, |_, _, r| {
            r.insert("iss".into(), json!("a".repeat(30)));
        }),
        ("no iat", ICM, |_, _, r| {
            r.remove("iat");
        }),
        ("no exp", ICM, |_, _, r| {
            r.remove("exp");
        }),
        ("expired exp", ICM, |_, _, r| {
            r.insert("exp".into(), json!(time::now() - 3600));
        }),
        ("no jti", ICM, |_, _, r| {
            r.remove("jti");
        }),
        ("no aud", ICM, |_, _, r| {
            r.remove("aud");
        }),
        ("other aud", ICM, |_, _, r| {
            r.insert("aud".into(), json!("0015800001OtherAAX"));
        }),
        ("software_id mismatch", ICM, |_, _, r| {
            r.insert("software_id".into(), json!("AnotherSoftwareId0000"));
        }),
        ("no redirect_uris", IRU, |_, _, r| {
            r.remove("redirect_uris");
        }),
        ("empty redirect_uris", IRU, |_, _, r| {
            r.insert("redirect_uris".into(), json!([]));
        }),
        ("http redirect", IRU, |_, s, r| {
            s.insert(
                "software_redirect_uris".into(),
                json!(["http://tpp.example/cb"]),
            );
            r.insert("redirect_uris".into(), json!(["http://tpp.example/cb"]));
        }),
        ("localhost redirect", IRU, |_, s, r| {
            s.insert(
                "software_redirect_uris".into(),
                json!(["https://localhost/cb"]),
            );
            r.insert("redirect_uris".into(), json!(["https://localhost/cb"]));
        }),
        ("redirect with fragment", IRU, |_, s, r| {
            s.insert(
                "software_redirect_uris".into(),
                json!(["https://tpp.example/cb#f"]),
            );
            r.insert("redirect_uris".into(), json!(["https://tpp.example/cb#f"]));
        }),
        ("redirect not in ssa", IRU, |_, _, r| {
            r.insert(
                "redirect_uris".into(),
                json!(["https://elsewhere.example/cb"]),
            );
        }),
        ("no auth method", ICM, |_, _, r| {
            r.remove("token_endpoint_auth_method");
        }),
        ("client_secret_post", ICM, |_, _, r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("client_secret_post"),
            );
        }),
        ("pkj without signing alg", ICM, |_, _, r| {
            r.remove("token_endpoint_auth_signing_alg");
        }),
        ("RS256 auth signing alg", ICM, |_, _, r| {
            r.insert("token_endpoint_auth_signing_alg".into(), json!("RS256"));
        }),
        ("tls_client_auth without dn", ICM, |_, _, r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("tls_client_auth"),
            );
        }),
        ("dn with private_key_jwt", ICM, |_, _, r| {
            r.insert("tls_client_auth_subject_dn".into(), json!("CN=recipient A"));
        }),
        ("no grant_types", ICM, |_, _, r| {
            r.remove("grant_types");
        }),
        ("implicit grant", ICM, |_, _, r| {
            r.insert("grant_types".into(), json!(["implicit"]));
        }),
        ("ciba grant in 3.2", ICM, |_, _, r| {
            r.insert("grant_types".into(), json!(["client_credentials", CIBA]));
            r.insert("backchannel_token_delivery_mode".into(), json!("poll"));
            r.insert(
                "backchannel_authentication_request_signing_alg".into(),
                json!("PS256"),
            );
        }),
        ("response_types id_token token", ICM, |_, _, r| {
            r.insert("response_types".into(), json!(["id_token", "token"]));
        }),
        ("no scope", ICM, |_, _, r| {
            r.remove("scope");
        }),
        ("scope as array", ICM, |_, _, r| {
            r.insert("scope".into(), json!(["accounts"]));
        }),
        ("scope beyond roles", ICM, |_, _, r| {
            r.insert("scope".into(), json!("openid fundsconfirmations"));
        }),
        ("unknown scope", ICM, |_, _, r| {
            r.insert("scope".into(), json!("openid cdr:registration"));
        }),
        ("no application_type", ICM, |_, _, r| {
            r.remove("application_type");
        }),
        ("native application_type", ICM, |_, _, r| {
            r.insert("application_type".into(), json!("native"));
        }),
        ("RS256 id token alg", ICM, |_, _, r| {
            r.insert("id_token_signed_response_alg".into(), json!("RS256"));
        }),
        ("request object alg none", ICM, |_, _, r| {
            r.insert("request_object_signing_alg".into(), json!("none"));
        }),
        ("no request object alg", ICM, |_, _, r| {
            r.remove("request_object_signing_alg");
        }),
    ];
    let app = spawn_uk(Flavour::UkObie32).await;
    for (name, code, mutate) in cases {
        let sid = software_id();
        let mut s = ssa_claims(&app, &sid);
        let mut r = request_claims(&sid, "");
        mutate(&app, &mut s, &mut r);
        r.insert("software_statement".into(), json!(app.sign_ssa(&s)));
        let resp = post_jose(&app, &app.sign_request(&r)).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            (status, body["error"].as_str().unwrap_or_default()),
            (400, code),
            "{name}: {body}"
        );
        assert_eq!(
            names(&body),
            ["error", "error_description"],
            "{name}: RFC 7591 §3.2.2 members only"
        );
    }
}

/// UK-REQ-010..015, UK-REQ-022, UK-REQ-024: signatures and their algorithms.
#[tokio::test]
async fn signatures_are_verified_with_the_right_keys() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let expect = |code: &'static str| {
        move |(status, error, _): (u16, String, String)| {
            assert_eq!((status, error.as_str()), (400, code));
        }
    };
    // The SSA re-signed with another key under the Directory key's kid.
    let impostor = SigningKey::generate(SigningAlg::Ps256, app.register_key.kid()).unwrap();
    let sid = software_id();
    let forged = sign_claims(&ssa_claims(&app, &sid), &impostor).unwrap();
    let r = app.sign_request(&request_claims(&sid, &forged));
    expect("invalid_software_statement")(error_of(post_jose(&app, &r).await).await);
    // An unsigned SSA, three segments and two (CT-SAG DCR-013).
    let unsigned = dcr_vectors::jose::unsecured(&ssa_claims(&app, &sid), None).unwrap();
    let two = unsigned.trim_end_matches('.').to_string();
    for ssa in [unsigned, two] {
        let r = app.sign_request(&request_claims(&sid, &ssa));
        expect("invalid_software_statement")(error_of(post_jose(&app, &r).await).await);
    }
    // An SSA header typ other than JWT.
    let mut header = header_for(&app.register_key);
    header.insert("typ".into(), json!("JOSE+JSON"));
    let signer = app.register_key.signer().unwrap();
    let payload = serde_json::to_vec(&ssa_claims(&app, &sid)).unwrap();
    let odd = sign_compact(&header, &payload, signer.as_ref()).unwrap();
    let r = app.sign_request(&request_claims(&sid, &odd));
    expect("invalid_software_statement")(error_of(post_jose(&app, &r).await).await);

    let claims = request_claims(&sid, &app.sign_ssa(&ssa_claims(&app, &sid)));
    // A request signed RS256 with the TPP's own RSA key (CT DCR-004).
    let pem = app.recipient_key.private_pem().unwrap();
    let rs256 = josekit::jws::RS256.signer_from_pem(pem.as_bytes()).unwrap();
    let mut header = header_for(&app.recipient_key);
    header.insert("alg".into(), json!("RS256"));
    let body = serde_json::to_vec(&claims).unwrap();
    let r = sign_compact(&header, &body, &rs256).unwrap();
    expect("invalid_client_metadata")(error_of(post_jose(&app, &r).await).await);
    // alg none, and HS256 with the key's kid.
    let none = dcr_vectors::jose::unsecured(&claims, Some(app.recipient_key.kid())).unwrap();
    expect("invalid_client_metadata")(error_of(post_jose(&app, &none).await).await);
    let hs = dcr_vectors::jose::hs256(&claims, b"a shared secret of 32 bytes!!!!!", "recipient-1")
        .unwrap();
    expect("invalid_client_metadata")(error_of(post_jose(&app, &hs).await).await);
    // Signed by an attacker key embedded in the header (UK-REQ-014), under the TPP's kid.
    let attacker = SigningKey::generate(SigningAlg::Ps256, app.recipient_key.kid()).unwrap();
    let mut header = header_for(&attacker);
    let jwk: Value = serde_json::from_str(&attacker.public_jwk().unwrap().to_string()).unwrap();
    header.insert("jwk".into(), jwk);
    let signer = attacker.signer().unwrap();
    let r = sign_compact(&header, &body, signer.as_ref()).unwrap();
    expect("invalid_client_metadata")(error_of(post_jose(&app, &r).await).await);
    // Unknown kid (UK-REQ-015).
    let stranger = SigningKey::generate(SigningAlg::Ps256, "no-such-kid").unwrap();
    let r = sign_claims(&claims, &stranger).unwrap();
    expect("invalid_client_metadata")(error_of(post_jose(&app, &r).await).await);
    // Not a JWS at all (UK-REQ-010).
    expect("invalid_client_metadata")(error_of(post_jose(&app, "garbage").await).await);
    // The genuine request still registers, and a replay of it is refused.
    let genuine = app.sign_request(&claims);
    assert_eq!(post_jose(&app, &genuine).await.status(), 201);
    expect("invalid_client_metadata")(error_of(post_jose(&app, &genuine).await).await);
}

/// UK-REQ-020 (the issuer URL is an accepted aud too), UK-REQ-045 (unknown claims ignored),
/// UK-REQ-019 (a lower-case UUID jti), an ES256-signed request.
#[tokio::test]
async fn accepted_variants_register() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let issuer = app.issuer().to_string();
    let sid = software_id();
    let by_issuer = jwt_with(
        &app,
        &sid,
        |_| {},
        |r| {
            r.insert("aud".into(), json!([issuer]));
            r.insert("subject_type".into(), json!("public"));
            r.insert(
                "tls_client_certificate_bound_access_tokens".into(),
                json!(true),
            );
            r.insert("client_id".into(), json!("chosen-by-the-tpp"));
            r.insert("response_types".into(), json!(["code"]));
            r.insert("software_id".into(), json!(sid.clone()));
        },
    );
    let body = register(&app, &by_issuer).await;
    assert_ne!(body["client_id"], json!("chosen-by-the-tpp"));
    assert_eq!(body["response_types"], json!(["code"]));
    assert!(body.get("subject_type").is_none());
}

/// UK-REQ-058/059: a management token with `scope=` and a kid-less assertion; UK-REQ-064/066/
/// 069/062: GET, PUT (client_id kept), DELETE, then the same token refused.
#[tokio::test]
async fn management_with_a_scope_less_token() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let sid = software_id();
    let created = register(&app, &jwt(&app, &sid)).await;
    let id = created["client_id"].as_str().unwrap();
    let token = management_token(&app, id).await;

    let r = get(&app, &app.client_a, id, &token).await;
    assert_eq!(r.status(), 200);
    let read: Value = r.json().await.unwrap();
    assert_eq!(read, created);

    let update = jwt_with(
        &app,
        &sid,
        |_| {},
        |r| {
            r.insert("scope".into(), json!("openid payments"));
        },
    );
    let r = app
        .client_a
        .put(app.client_url(id))
        .bearer_auth(&token)
        .header("content-type", "application/jose")
        .body(update)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["client_id"], json!(id));
    assert_eq!(updated["scope"], json!("openid payments"));
    assert_eq!(
        updated["client_id_issued_at"],
        created["client_id_issued_at"]
    );

    let bad = jwt_with(
        &app,
        &sid,
        |_| {},
        |r| {
            r.insert("application_type".into(), json!("native"));
        },
    );
    let r = app
        .client_a
        .put(app.client_url(id))
        .bearer_auth(&token)
        .header("content-type", "application/jose")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1, "invalid_client_metadata");

    let r = app.delete_registration(id, &token).await;
    assert_eq!(r.status(), 204);
    let r = get(&app, &app.client_a, id, &token).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

/// UK-REQ-061/062/063: no token, an unknown ClientId (401, and the token is revoked), and
/// another client's token (401, the token stays usable for its own client).
#[tokio::test]
async fn unknown_and_other_clients() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let a = register(&app, &jwt(&app, &software_id())).await;
    let b = register(&app, &jwt(&app, &software_id())).await;
    let (a, b) = (
        a["client_id"].as_str().unwrap(),
        b["client_id"].as_str().unwrap(),
    );

    let r = app.client_a.get(app.client_url(a)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let token_a = management_token(&app, a).await;
    let r = get(&app, &app.client_a, b, &token_a).await;
    assert_eq!(r.status(), 401, "another client's registration");
    assert_eq!(get(&app, &app.client_a, a, &token_a).await.status(), 200);

    let r = get(&app, &app.client_a, "no-such-client", &token_a).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    assert_eq!(
        get(&app, &app.client_a, a, &token_a).await.status(),
        401,
        "the token was revoked"
    );
}

/// The `uk-other-client-403` variation (uk-dcr.md §9.10).
#[tokio::test]
async fn another_client_s_token_is_403_under_the_variation() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.variations.push(Variation::UkOtherClient403)
    })
    .await;
    let a = register(&app, &jwt(&app, &software_id())).await;
    let b = register(&app, &jwt(&app, &software_id())).await;
    let token = management_token(&app, a["client_id"].as_str().unwrap()).await;
    let r = get(
        &app,
        &app.client_a,
        b["client_id"].as_str().unwrap(),
        &token,
    )
    .await;
    assert_eq!(r.status(), 403);
}

/// The `revoke-tokens-on-auth-change` variation (SOURCES.md#uk-9-11): a PUT that changes the
/// authentication method ends the tokens obtained with the old one; a PUT that keeps it does not.
#[tokio::test]
async fn tokens_end_with_the_auth_method_under_the_variation() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.variations.push(Variation::RevokeTokensOnAuthChange)
    })
    .await;
    let sid = software_id();
    let body = register(&app, &jwt(&app, &sid)).await;
    let id = body["client_id"].as_str().unwrap().to_string();
    let token = management_token(&app, &id).await;
    let same = app.put_registration(&id, &token, &jwt(&app, &sid)).await;
    assert_eq!(same.status(), 200, "the method kept: the token serves");
    let basic = client_secret_basic_request(&app, &sid);
    let r = app.put_registration(&id, &token, &basic).await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    let r = get(&app, &app.client_a, &id, &token).await;
    assert_eq!(
        r.status(),
        401,
        "the token obtained with private_key_jwt ended"
    );
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let r = app
        .client_a
        .post(&app.holder.urls.token_endpoint)
        .basic_auth(&id, updated["client_secret"].as_str())
        .form(&form(&[("grant_type", "client_credentials")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let renewed: Value = r.json().await.unwrap();
    let renewed = renewed["access_token"].as_str().unwrap();
    assert_eq!(get(&app, &app.client_a, &id, renewed).await.status(), 200);
}

/// Recipient A's certificate subject (C, O, CN in the DER sequence), written in another RDN
/// order, with lower-case type names and spaces after the commas.
const SUBJECT_A_REORDERED: &str = "c=GB, cn=recipient A, o=dcr-conformance test recipients";

/// UK-REQ-060: tls_client_auth, the certificate's subject DN compared with the registered one
/// (order, case of the type and spaces ignored).
#[tokio::test]
async fn tls_client_auth_matches_the_certificate_subject() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let request = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("tls_client_auth"),
            );
            r.remove("token_endpoint_auth_signing_alg");
            r.insert(
                "tls_client_auth_subject_dn".into(),
                json!(SUBJECT_A_REORDERED),
            );
        },
    );
    let body = register(&app, &request).await;
    assert_eq!(
        body["tls_client_auth_subject_dn"],
        json!(SUBJECT_A_REORDERED)
    );
    assert!(body.get("token_endpoint_auth_signing_alg").is_none());
    let id = body["client_id"].as_str().unwrap();
    let tls_form = form(&[("grant_type", "client_credentials"), ("client_id", id)]);
    let r = app.post_token_with(&app.client_a, &tls_form).await;
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    assert_eq!(get(&app, &app.client_a, id, token).await.status(), 200);

    let (status, error, _) = error_of(app.post_token_with(&app.client_b, &tls_form).await).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_client"),
        "a wrong certificate"
    );
    // Another method than the registered one.
    let r = app
        .post_token(&form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", crate::helpers::JWT_BEARER),
            ("client_assertion", &kidless_assertion(&app, id)),
        ]))
        .await;
    assert_eq!(error_of(r).await.1, "invalid_client");
}

/// A registration request of software `sid` for client_secret_basic (no signing alg).
fn client_secret_basic_request(app: &TestApp, sid: &str) -> String {
    jwt_with(
        app,
        sid,
        |_| {},
        |r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("client_secret_basic"),
            );
            r.remove("token_endpoint_auth_signing_alg");
        },
    )
}

/// UK-REQ-056: client_secret_basic gets a secret that never expires, and authenticates with
/// it at the token endpoint.
#[tokio::test]
async fn client_secret_basic_gets_a_secret() {
    let app = spawn_uk(Flavour::UkObie32).await;
    let request = client_secret_basic_request(&app, &software_id());
    let body = register(&app, &request).await;
    let secret = body["client_secret"].as_str().unwrap();
    assert!(secret.len() <= 36);
    assert_eq!(body["client_secret_expires_at"], json!(0));
    let id = body["client_id"].as_str().unwrap();
    let grant = form(&[("grant_type", "client_credentials")]);
    let r = app
        .client_a
        .post(&app.holder.urls.token_endpoint)
        .basic_auth(id, Some(secret))
        .form(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client_a
        .post(&app.holder.urls.token_endpoint)
        .basic_auth(id, Some("wrong"))
        .form(&grant)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// UK-REQ-070/071: operations switched off answer 405 with the ones left in `Allow`.
#[tokio::test]
async fn operations_switched_off_answer_405() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.operations = Operations {
            get: true,
            put: false,
            delete: false,
        }
    })
    .await;
    let body = register(&app, &jwt(&app, &software_id())).await;
    let id = body["client_id"].as_str().unwrap();
    let token = management_token(&app, id).await;
    let r = app.delete_registration(id, &token).await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET");
    assert_eq!(get(&app, &app.client_a, id, &token).await.status(), 200);
}

/// UK-REQ-046/047: 3.3 registers the CIBA grant with valid backchannel members, and refuses
/// broken ones; 3.2 refuses the grant (in `each_broken_rule_is_refused_with_its_code`).
#[tokio::test]
async fn uk_3_3_takes_the_ciba_grant() {
    let app = spawn_uk(Flavour::UkObie33).await;
    let ciba = |r: &mut Map<String, Value>| {
        r.insert("grant_types".into(), json!(["client_credentials", CIBA]));
        r.insert("backchannel_token_delivery_mode".into(), json!("ping"));
        r.insert(
            "backchannel_client_notification_endpoint".into(),
            json!("https://tpp.example/ciba"),
        );
        r.insert(
            "backchannel_authentication_request_signing_alg".into(),
            json!("PS256"),
        );
        r.insert(
            "backchannel_user_code_parameter_supported".into(),
            json!(false),
        );
    };
    let body = register(&app, &jwt_with(&app, &software_id(), |_| {}, ciba)).await;
    assert_eq!(body["grant_types"], json!(["client_credentials", CIBA]));
    assert_eq!(body["backchannel_token_delivery_mode"], json!("ping"));
    assert_eq!(
        body["backchannel_user_code_parameter_supported"],
        json!(false)
    );

    let broken: Vec<fn(&mut Map<String, Value>)> = vec![
        |r| {
            r.remove("backchannel_token_delivery_mode");
        },
        |r| {
            r.insert("backchannel_token_delivery_mode".into(), json!("push"));
        },
        |r| {
            r.remove("backchannel_client_notification_endpoint");
        },
        |r| {
            r.insert(
                "backchannel_client_notification_endpoint".into(),
                json!("http://tpp.example/ciba"),
            );
        },
        |r| {
            r.insert(
                "backchannel_authentication_request_signing_alg".into(),
                json!("RS256"),
            );
        },
        |r| {
            r.insert(
                "backchannel_user_code_parameter_supported".into(),
                json!(true),
            );
        },
    ];
    for (i, breaking) in broken.into_iter().enumerate() {
        let request = jwt_with(
            &app,
            &software_id(),
            |_| {},
            |r| {
                ciba(r);
                breaking(r);
            },
        );
        let (status, error, text) = error_of(post_jose(&app, &request).await).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_client_metadata"),
            "{i}: {text}"
        );
    }
    // poll needs no notification endpoint.
    let poll = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            ciba(r);
            r.insert("backchannel_token_delivery_mode".into(), json!("poll"));
            r.remove("backchannel_client_notification_endpoint");
        },
    );
    assert_eq!(post_jose(&app, &poll).await.status(), 201);
}

/// The `uk-aud-unchecked` and `uk-redirect-omitted-uses-ssa` variations.
#[tokio::test]
async fn the_uk_request_variations() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.variations.extend([
            Variation::UkAudUnchecked,
            Variation::UkRedirectOmittedUsesSsa,
        ])
    })
    .await;
    let request = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.insert("aud".into(), json!("https://someone.else.example"));
            r.remove("redirect_uris");
        },
    );
    let body = register(&app, &request).await;
    assert_eq!(
        body["redirect_uris"],
        json!([REDIRECT, "https://tpp.example/cb2"])
    );
    let no_aud = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.remove("aud");
        },
    );
    assert_eq!(
        error_of(post_jose(&app, &no_aud).await).await.0,
        400,
        "aud is still required"
    );
}

/// The `uk-client-secret-basic-token-only` variation: client_secret_basic stays advertised for
/// the token endpoint, and a registration for it is refused.
#[tokio::test]
async fn client_secret_basic_token_only_refuses_the_registration() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.variations.push(Variation::UkClientSecretBasicTokenOnly)
    })
    .await;
    assert!(
        app.discovery().await["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_secret_basic"))
    );
    let request = client_secret_basic_request(&app, &software_id());
    let (status, code, _) = error_of(post_jose(&app, &request).await).await;
    assert_eq!((status, code.as_str()), (400, "invalid_client_metadata"));
}

/// A request signed by `key` (PS256) over `claims`, with `header` changed by `tweak`.
fn signed_by(
    key: &SigningKey,
    claims: &Map<String, Value>,
    tweak: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let mut header = header_for(key);
    tweak(&mut header);
    let signer = key.signer().unwrap();
    sign_compact(
        &header,
        &serde_json::to_vec(claims).unwrap(),
        signer.as_ref(),
    )
    .unwrap()
}

fn claims_for(app: &TestApp, sid: &str) -> Map<String, Value> {
    request_claims(sid, &app.sign_ssa(&ssa_claims(app, sid)))
}

fn mutated(
    app: &TestApp,
    sid: &str,
    ssa: impl FnOnce(&mut Map<String, Value>),
    req: impl FnOnce(&mut Map<String, Value>),
) -> String {
    jwt_with(app, sid, ssa, req)
}

type Request = fn(&TestApp, &str) -> String;

/// Every UK defect of the registration pipeline lets through a request the correct holder
/// refuses (so that none is dead code; the self-check then proves the suite catches each).
#[tokio::test]
async fn each_uk_request_defect_lets_its_request_through() {
    use mock_holder::Defect;
    let cases: Vec<(Defect, Flavour, Request)> = vec![
        (Defect::UkRs256Accepted, Flavour::UkObie32, |app, sid| {
            let pem = app.recipient_key.private_pem().unwrap();
            let rs256 = josekit::jws::RS256.signer_from_pem(pem.as_bytes()).unwrap();
            let mut header = header_for(&app.recipient_key);
            header.insert("alg".into(), json!("RS256"));
            let body = serde_json::to_vec(&claims_for(app, sid)).unwrap();
            sign_compact(&header, &body, &rs256).unwrap()
        }),
        (
            Defect::UkRequestSignatureUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                let stranger =
                    SigningKey::generate(SigningAlg::Ps256, app.recipient_key.kid()).unwrap();
                signed_by(&stranger, &claims_for(app, sid), |_| {})
            },
        ),
        (Defect::UkHeaderJwkUsed, Flavour::UkObie32, |app, sid| {
            let attacker =
                SigningKey::generate(SigningAlg::Ps256, app.recipient_key.kid()).unwrap();
            let jwk: Value =
                serde_json::from_str(&attacker.public_jwk().unwrap().to_string()).unwrap();
            signed_by(&attacker, &claims_for(app, sid), |h| {
                h.insert("jwk".into(), jwk);
            })
        }),
        (Defect::UkRequestJwksUsed, Flavour::UkObie32, |app, sid| {
            let attacker =
                SigningKey::generate(SigningAlg::Ps256, app.recipient_key.kid()).unwrap();
            let jwk: Value =
                serde_json::from_str(&attacker.public_jwk().unwrap().to_string()).unwrap();
            let mut claims = claims_for(app, sid);
            claims.insert("jwks".into(), json!({ "keys": [jwk] }));
            signed_by(&attacker, &claims, |_| {})
        }),
        (
            Defect::UkRequestIssUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert("iss".into(), json!("foo.is/invalid"));
                    },
                )
            },
        ),
        (
            Defect::UkRequestIatOptional,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.remove("iat");
                    },
                )
            },
        ),
        (
            Defect::UkRequestExpUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert("exp".into(), json!(time::now() - 3600));
                    },
                )
            },
        ),
        (
            Defect::UkRequestJtiOptional,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.remove("jti");
                    },
                )
            },
        ),
        (
            Defect::UkRequestAudOptional,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.remove("aud");
                    },
                )
            },
        ),
        (
            Defect::UkSsaSignatureUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                let impostor =
                    SigningKey::generate(SigningAlg::Ps256, app.register_key.kid()).unwrap();
                let forged = sign_claims(&ssa_claims(app, sid), &impostor).unwrap();
                app.sign_request(&request_claims(sid, &forged))
            },
        ),
        (Defect::UkAnySsaIssuer, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |s| {
                    s.insert("iss".into(), json!("Some Directory"));
                },
                |_| {},
            )
        }),
        (
            Defect::UkUnsignedSsaAccepted,
            Flavour::UkObie32,
            |app, sid| {
                let unsigned = dcr_vectors::jose::unsecured(&ssa_claims(app, sid), None).unwrap();
                app.sign_request(&request_claims(sid, &unsigned))
            },
        ),
        (Defect::UkStaleSsaAccepted, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |s| {
                    s.insert("iat".into(), json!(time::now() - 3600));
                },
                |_| {},
            )
        }),
        (
            Defect::UkSoftwareIdMismatchAccepted,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert("software_id".into(), json!("AnotherSoftwareId0000"));
                    },
                )
            },
        ),
        (
            Defect::UkRedirectHttpAllowed,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |s| {
                        s.insert(
                            "software_redirect_uris".into(),
                            json!(["http://localhost/cb"]),
                        );
                    },
                    |r| {
                        r.insert("redirect_uris".into(), json!(["http://localhost/cb"]));
                    },
                )
            },
        ),
        (Defect::UkRedirectNotInSsa, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert(
                        "redirect_uris".into(),
                        json!(["https://elsewhere.example/cb"]),
                    );
                },
            )
        }),
        (Defect::UkAnyAuthMethod, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert(
                        "token_endpoint_auth_method".into(),
                        json!("client_secret_post"),
                    );
                },
            )
        }),
        (Defect::UkAuthAlgUnchecked, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.remove("token_endpoint_auth_signing_alg");
                },
            )
        }),
        (
            Defect::UkDnRequiredUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert(
                            "token_endpoint_auth_method".into(),
                            json!("tls_client_auth"),
                        );
                    },
                )
            },
        ),
        (Defect::UkAnyGrantType, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert("grant_types".into(), json!(["implicit"]));
                },
            )
        }),
        (Defect::UkAnyResponseType, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert("response_types".into(), json!(["id_token", "token"]));
                },
            )
        }),
        (Defect::UkScopeOptional, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.remove("scope");
                },
            )
        }),
        (Defect::UkScopeBeyondRoles, Flavour::UkObie32, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert("scope".into(), json!("openid fundsconfirmations"));
                },
            )
        }),
        (
            Defect::UkApplicationTypeUnchecked,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert("application_type".into(), json!("native"));
                    },
                )
            },
        ),
        (
            Defect::UkRs256MetadataAccepted,
            Flavour::UkObie32,
            |app, sid| {
                mutated(
                    app,
                    sid,
                    |_| {},
                    |r| {
                        r.insert("id_token_signed_response_alg".into(), json!("RS256"));
                    },
                )
            },
        ),
        (
            Defect::UkUnsignedRequestAccepted,
            Flavour::UkObie32,
            |app, sid| {
                dcr_vectors::jose::unsecured(&claims_for(app, sid), Some(app.recipient_key.kid()))
                    .unwrap()
            },
        ),
        (Defect::UkUnknownKidAnyKey, Flavour::UkObie32, |app, sid| {
            signed_by(&app.recipient_key, &claims_for(app, sid), |h| {
                h.insert("kid".into(), json!("not-in-the-key-set"));
            })
        }),
        (Defect::UkCibaUnchecked, Flavour::UkObie33, |app, sid| {
            mutated(
                app,
                sid,
                |_| {},
                |r| {
                    r.insert("grant_types".into(), json!(["client_credentials", CIBA]));
                    r.insert("backchannel_token_delivery_mode".into(), json!("push"));
                },
            )
        }),
    ];
    for (defect, flavour, request) in cases {
        assert!(defect.applies_to(flavour) && !defect.applies_to(Flavour::CdsAu));
        let correct = spawn_uk(flavour).await;
        let refused = post_jose(&correct, &request(&correct, &software_id())).await;
        assert_eq!(
            refused.status(),
            400,
            "{defect}: the correct holder refuses it"
        );
        let app = spawn_flavour_with(flavour, |s| s.defect = Some(defect)).await;
        let resp = post_jose(&app, &request(&app, &software_id())).await;
        assert_eq!(resp.status(), 201, "{defect}");
    }
}

/// The UK defects of content types, responses, the token endpoint and management, each seen
/// where it acts.
#[tokio::test]
async fn each_uk_answer_defect_shows() {
    use mock_holder::Defect;
    let with = |d: Defect| spawn_flavour_with(Flavour::UkObie32, move |s| s.defect = Some(d));

    let app = with(Defect::UkJoseRefused).await;
    assert_eq!(
        post_jose(&app, &jwt(&app, &software_id())).await.status(),
        415
    );
    let app = with(Defect::UkJwtRefused).await;
    let r = post(&app, &jwt(&app, &software_id()), "application/jwt").await;
    assert_eq!(r.status(), 415);
    let app = with(Defect::UkRegisterAnswers200).await;
    assert_eq!(
        post_jose(&app, &jwt(&app, &software_id())).await.status(),
        200
    );

    let app = with(Defect::UkResponseMissingRequired).await;
    assert!(
        register(&app, &jwt(&app, &software_id()))
            .await
            .get("application_type")
            .is_none()
    );
    let app = with(Defect::UkScopeStringAsArray).await;
    let body = register(&app, &jwt(&app, &software_id())).await;
    assert_eq!(body["scope"], json!(["accounts", "openid"]));
    let app = with(Defect::UkResponseTypesDefaultMissing).await;
    assert!(
        register(&app, &jwt(&app, &software_id()))
            .await
            .get("response_types")
            .is_none()
    );
    let app = with(Defect::UkSecretNotReturned).await;
    let request = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("client_secret_basic"),
            );
        },
    );
    assert!(
        register(&app, &request)
            .await
            .get("client_secret")
            .is_none()
    );

    let app = with(Defect::UkKidlessAssertionRefused).await;
    let id = register(&app, &jwt(&app, &software_id())).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_token(&form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", crate::helpers::JWT_BEARER),
            ("client_assertion", &kidless_assertion(&app, &id)),
        ]))
        .await;
    assert_eq!(r.status(), 400);

    let app = with(Defect::UkTlsClientAuthDnUnchecked).await;
    let request = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("tls_client_auth"),
            );
            r.insert("tls_client_auth_subject_dn".into(), json!("CN=recipient A"));
        },
    );
    let id = register(&app, &request).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let tls_form = form(&[("grant_type", "client_credentials"), ("client_id", &id)]);
    assert_eq!(
        app.post_token_with(&app.client_b, &tls_form).await.status(),
        200
    );

    let app = with(Defect::UkManagementNeedsScope).await;
    let id = register(&app, &jwt(&app, &software_id())).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = management_token(&app, &id).await;
    assert_eq!(get(&app, &app.client_a, &id, &token).await.status(), 403);

    for (defect, want_after) in [
        (Defect::UkUnknownClientNoRevoke, 200),
        (Defect::UkUnknownClient404, 401),
    ] {
        let app = with(defect).await;
        let id = register(&app, &jwt(&app, &software_id())).await["client_id"]
            .as_str()
            .unwrap()
            .to_string();
        let token = management_token(&app, &id).await;
        let unknown = get(&app, &app.client_a, "no-such-client", &token)
            .await
            .status();
        let after = get(&app, &app.client_a, &id, &token).await.status();
        let want_unknown = if defect == Defect::UkUnknownClient404 {
            404
        } else {
            401
        };
        assert_eq!(
            (unknown.as_u16(), after.as_u16()),
            (want_unknown, want_after),
            "{defect}"
        );
    }

    let app = with(Defect::UkOtherClientAllowed).await;
    let a = register(&app, &jwt(&app, &software_id())).await;
    let b = register(&app, &jwt(&app, &software_id())).await;
    let token = management_token(&app, a["client_id"].as_str().unwrap()).await;
    let r = get(
        &app,
        &app.client_a,
        b["client_id"].as_str().unwrap(),
        &token,
    )
    .await;
    assert_eq!(r.status(), 200);

    let app = with(Defect::UkPutClientIdChanges).await;
    let sid = software_id();
    let id = register(&app, &jwt(&app, &sid)).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = management_token(&app, &id).await;
    let r = app
        .client_a
        .put(app.client_url(&id))
        .bearer_auth(&token)
        .header("content-type", "application/jose")
        .body(jwt(&app, &sid))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_ne!(body["client_id"], json!(id));

    let app = with(Defect::UkDiscoveryWithoutRegistrationEndpoint).await;
    assert!(app.discovery().await.get("registration_endpoint").is_none());
    let app = with(Defect::UkDiscoveryWithoutAuthMethods).await;
    let doc = app.discovery().await;
    assert!(doc.get("token_endpoint_auth_methods_supported").is_none());
    let app = with(Defect::UkPostNeedsToken).await;
    assert_eq!(
        post_jose(&app, &jwt(&app, &software_id())).await.status(),
        401
    );
    let app = with(Defect::UkSuccessAsText).await;
    let r = post_jose(&app, &jwt(&app, &software_id())).await;
    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let app = with(Defect::UkErrorsAsText).await;
    let r = post_jose(&app, "garbage").await;
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let app = with(Defect::UkMalformedBody500).await;
    assert_eq!(post_jose(&app, "garbage").await.status(), 500);
    let app = with(Defect::UkMissingSsaInvalidRequest).await;
    let mut claims = request_claims(&software_id(), "");
    claims.remove("software_statement");
    let (status, error, _) = error_of(post_jose(&app, &app.sign_request(&claims)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    for (defect, want) in [(None, 400), (Some(Defect::UkJwksFailure500), 500)] {
        let app = spawn_flavour_with(Flavour::UkObie32, |s| s.defect = defect).await;
        let request = jwt_with(
            &app,
            &software_id(),
            |s| {
                s.insert(
                    "software_jwks_endpoint".into(),
                    json!("http://127.0.0.1:1/jwks"),
                );
            },
            |_| {},
        );
        assert_eq!(post_jose(&app, &request).await.status(), want, "{defect:?}");
    }
    let app = with(Defect::UkResponseDnMissing).await;
    let request = jwt_with(
        &app,
        &software_id(),
        |_| {},
        |r| {
            r.insert(
                "token_endpoint_auth_method".into(),
                json!("tls_client_auth"),
            );
            r.insert("tls_client_auth_subject_dn".into(), json!("CN=recipient A"));
        },
    );
    assert!(
        register(&app, &request)
            .await
            .get("tls_client_auth_subject_dn")
            .is_none()
    );
    let app = with(Defect::UkMissingToken403).await;
    let id = register(&app, &jwt(&app, &software_id())).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.client_a.get(app.client_url(&id)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let app = with(Defect::UkPutIssUnchecked).await;
    let sid = software_id();
    let id = register(&app, &jwt(&app, &sid)).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = management_token(&app, &id).await;
    let update = jwt_with(
        &app,
        &sid,
        |_| {},
        |r| {
            r.insert("iss".into(), json!("foo.is/invalid"));
        },
    );
    let r = app
        .client_a
        .put(app.client_url(&id))
        .bearer_auth(&token)
        .header("content-type", "application/jose")
        .body(update)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let app = with(Defect::UkDeleteKeepsClient).await;
    let id = register(&app, &jwt(&app, &software_id())).await["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = management_token(&app, &id).await;
    assert_eq!(app.delete_registration(&id, &token).await.status(), 204);
    assert_eq!(get(&app, &app.client_a, &id, &token).await.status(), 200);
}

/// Scope values are a set (RFC 6749 §3.3): the correct holder registers them in any order; the
/// defect `uk-scope-order-sensitive` refuses an order other than its own.
#[tokio::test]
async fn scopes_in_another_order_are_registered_unless_the_defect_is_on() {
    let reordered = |app: &TestApp, sid: &str| {
        mutated(
            app,
            sid,
            |_| {},
            |r| {
                r.insert("scope".into(), json!("payments openid accounts"));
            },
        )
    };
    let correct = spawn_uk(Flavour::UkObie32).await;
    let answer = post_jose(&correct, &reordered(&correct, &software_id())).await;
    assert_eq!(answer.status(), 201);
    let defective = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.defect = Some(mock_holder::Defect::UkScopeOrderSensitive)
    })
    .await;
    let answer = post_jose(&defective, &reordered(&defective, &software_id())).await;
    assert_eq!(answer.status(), 400);
}

/// UK-REQ-070: the defect `uk-delete-off-404` takes DELETE away and answers it 404.
#[tokio::test]
async fn the_delete_off_defect_answers_404() {
    let app = spawn_flavour_with(Flavour::UkObie32, |s| {
        s.defect = Some(mock_holder::Defect::UkDeleteOff404)
    })
    .await;
    let body = register(&app, &jwt(&app, &software_id())).await;
    let id = body["client_id"].as_str().unwrap();
    let token = management_token(&app, id).await;
    assert_eq!(app.delete_registration(id, &token).await.status(), 404);
}

/// UK-REQ-006: a registration is taken only over a transport certificate the SSA's software
/// JWKS publishes for tls (certificate A; B is trusted by the listener but not listed), on
/// POST and PUT; the defect takes it over any trusted certificate.
#[tokio::test]
async fn a_registration_needs_a_transport_certificate_of_the_ssa() {
    for defect in [None, Some(mock_holder::Defect::UkTransportCertUnchecked)] {
        let app = spawn_flavour_with(Flavour::UkObie33, |s| s.defect = defect).await;
        let over_b = app
            .client_b
            .post(&app.holder.urls.registration_endpoint)
            .header("content-type", "application/jose")
            .body(jwt(&app, &software_id()))
            .send()
            .await
            .unwrap();
        if defect.is_some() {
            assert_eq!(over_b.status(), 201, "the defect registers over B");
            continue;
        }
        let (status, error, text) = error_of(over_b).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_software_statement")
        );
        assert!(text.contains("transport certificate"), "{text}");
        // Over A the same request registers, and a PUT over A is taken too.
        let sid = software_id();
        let body = register(&app, &jwt(&app, &sid)).await;
        let id = body["client_id"].as_str().unwrap();
        let token = management_token(&app, id).await;
        let put = app
            .client_a
            .put(format!("{}/{id}", app.holder.urls.registration_endpoint))
            .bearer_auth(&token)
            .header("content-type", "application/jose")
            .body(jwt(&app, &sid))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
    }
}

/// UK-REQ-032: an SSA redirect URI with a trailing slash or a longer path is another URI; the
/// `uk-redirect-prefix-match` defect takes both.
#[tokio::test]
async fn redirect_near_misses_are_refused_unless_the_prefix_defect_takes_them() {
    for defect in [None, Some(mock_holder::Defect::UkRedirectPrefixMatch)] {
        let app = spawn_flavour_with(Flavour::UkObie32, |s| s.defect = defect).await;
        for uri in [format!("{REDIRECT}/"), format!("{REDIRECT}/extra")] {
            let r = jwt_with(
                &app,
                &software_id(),
                |_| {},
                |r| {
                    r.insert("redirect_uris".into(), json!([uri]));
                },
            );
            let status = post_jose(&app, &r).await.status();
            match defect {
                None => assert_eq!(status, 400, "{uri}"),
                Some(_) => assert_eq!(status, 201, "{uri}"),
            }
        }
    }
}

/// Every UK defect is exercised by one of the tests above.
#[test]
fn every_uk_defect_is_exercised_here() {
    let text = include_str!("flavour_uk.rs");
    for d in mock_holder::Defect::ALL {
        // The `accelerator-*` defects: tests/api/flavour_wso2_accelerator.rs.
        if d.rules().iter().all(|r| r.starts_with("UK-REQ-"))
            && !d.name().starts_with("accelerator-")
        {
            assert!(
                text.contains(&format!("Defect::{d:?}")),
                "{d} is not exercised"
            );
        }
    }
}

/// The self-check runs all compatible variations of a flavour together: a UK holder with them
/// still registers, issues a management token and answers GET and DELETE.
#[tokio::test]
async fn the_uk_flows_work_with_every_compatible_variation() {
    for flavour in [Flavour::UkObie32, Flavour::UkObie33] {
        let set = Variation::compatible_set(flavour);
        assert!(set.contains(&Variation::UkOtherClient403));
        assert!(!set.contains(&Variation::ExtraErrorMembers));
        let app = spawn_flavour_with(flavour, |s| s.variations = set).await;
        let request = jwt_with(
            &app,
            &software_id(),
            |_| {},
            |r| {
                r.remove("redirect_uris");
            },
        );
        let body = register(&app, &request).await;
        let id = body["client_id"].as_str().unwrap();
        let token = management_token(&app, id).await;
        assert_eq!(get(&app, &app.client_a, id, &token).await.status(), 200);
        assert_eq!(app.delete_registration(id, &token).await.status(), 204);
        assert_eq!(get(&app, &app.client_a, id, &token).await.status(), 401);
    }
}

/// UK-REQ-005: a POST without a client certificate fails the handshake; the
/// `uk-optional-client-certificate` defect registers it.
#[tokio::test]
async fn a_client_without_certificate_is_refused_unless_the_defect_is_on() {
    use mock_holder::Defect;
    for defect in [None, Some(Defect::UkOptionalClientCertificate)] {
        let app = spawn_flavour_with(Flavour::UkObie32, |s| s.defect = defect).await;
        let anonymous = Client::builder()
            .tls_certs_only([
                reqwest::Certificate::from_pem(app.pki.ca.cert_pem.as_bytes()).unwrap(),
            ])
            .build()
            .unwrap();
        let sent = anonymous
            .post(&app.holder.urls.registration_endpoint)
            .header("content-type", "application/jose")
            .body(jwt(&app, &software_id()))
            .send()
            .await;
        match defect {
            None => assert!(sent.is_err() || sent.unwrap().status() != 201),
            Some(_) => assert_eq!(sent.unwrap().status(), 201),
        }
    }
}

/// `wso2-uk-3.3` (wso2-flavours §6 d2): UK 3.3 at the gateway's path, taking the documented
/// `application/jwt; charset=ISO-8859-1`, answering with the sample's member order
/// (`token_endpoint_auth_signing_alg` first) and a string `client_id_issued_at`, on POST and GET,
/// without `registration_access_token`; DELETE 204.
#[tokio::test]
async fn the_wso2_uk_toolkit_answers_as_its_documentation_shows() {
    let app = spawn_uk(Flavour::Wso2Uk33).await;
    assert!(
        app.holder
            .urls
            .registration_endpoint
            .ends_with("/open-banking/v3.3.0/register"),
        "{}",
        app.holder.urls.registration_endpoint
    );
    let r = post(
        &app,
        &jwt(&app, &software_id()),
        "application/jwt; charset=ISO-8859-1",
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(
        names(&created),
        [
            "token_endpoint_auth_signing_alg",
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
        ]
    );
    let issued = created["client_id_issued_at"].as_str().expect("a string");
    assert!(issued.parse::<i64>().is_ok(), "{issued}");

    let id = created["client_id"].as_str().unwrap();
    let token = management_token(&app, id).await;
    let r = get(&app, &app.client_a, id, &token).await;
    assert_eq!(r.status(), 200);
    let read: Value = r.json().await.unwrap();
    assert_eq!(read, created);
    assert!(read.get("registration_access_token").is_none());

    let r = app.delete_registration(id, &token).await;
    assert_eq!(r.status(), 204);
    let r = get(&app, &app.client_a, id, &token).await;
    assert_eq!(r.status(), 401);
}

//! Flavour `wso2-cds-0.2`: the WSO2 CDS toolkit's DCR API 0.2 on Accelerator 3.x (seed 003;
//! wso2-flavours §2, §4, §4.1), registration. The requests are seed 003's sample, made usable
//! here. Management and the gateway's method answers: `flavour_wso2_cds_02_management`.

use mock_holder::Flavour;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, names, sample, spawn_flavour};

const SAMPLE: &str = "wso2-cds-toolkit-dcr-0.2-registration-request.jwt";

/// Seed 003's POST sample response, member by member (l.190-228).
const SEED_003_POST_MEMBERS: &[&str] = &[
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "sector_identifier_uri",
    "revocation_uri",
    "recipient_base_uri",
    "token_endpoint_auth_signing_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "software_roles",
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

/// Seed 003's sample request: the claims of the JWT of l.144 and of its SSA, with what a test
/// holder needs changed: a fresh `software_id` (= `iss`), the SSA's `jwks_uri` at the test
/// recipient's JWKS, `aud` the holder's token endpoint (the sample's is WSO2 IS's
/// `https://localhost:9446/oauth2/token`), fresh `iat`/`exp`/`jti`, and `response_types`
/// `[code]` as the decoded payload shows (l.170-172; the JWT itself says `code id_token`).
pub struct Seed003 {
    pub claims: Map<String, Value>,
    pub ssa: Map<String, Value>,
}

impl Seed003 {
    pub fn new(app: &TestApp) -> Self {
        let mut claims = sample(SAMPLE).claims;
        let ssa_jwt = claims.remove("software_statement").unwrap();
        let mut ssa = dcr_vectors::jose::decode_unverified(ssa_jwt.as_str().unwrap())
            .unwrap()
            .claims;
        let software_id = uuid::Uuid::new_v4().to_string();
        ssa.insert("software_id".into(), json!(software_id));
        ssa.insert(
            "jwks_uri".into(),
            json!(format!("{}/jwks", app.recipient_jwks.uri())),
        );
        let now = dcr_vectors::time::now();
        claims.insert("iss".into(), json!(software_id));
        claims.insert("aud".into(), json!(app.holder.urls.token_endpoint));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert("response_types".into(), json!(["code"]));
        Self { claims, ssa }
    }

    pub fn software_id(&self) -> String {
        self.ssa["software_id"].as_str().unwrap().to_string()
    }

    /// The SSA signed by the test Register, and the request carrying it (unless the claims
    /// already have a `software_statement` member) signed by the recipient.
    pub fn jwt(&self, app: &TestApp) -> String {
        let mut claims = self.claims.clone();
        if !claims.contains_key("software_statement") {
            claims.insert("software_statement".into(), json!(app.sign_ssa(&self.ssa)));
        }
        app.sign_request(&claims)
    }
}

pub fn interaction_id(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("x-fapi-interaction-id")
        .map(|v| v.to_str().unwrap().to_string())
}

/// Seed 003's sample request registers: 201 with the sample response's members in its order,
/// `client_id_issued_at` a JSON string (wso2-flavours §2 "Success response"), the id_token
/// encryption members echoed with `code` (§4 "Response members"), and no
/// `registration_access_token` on POST (§4 "registration_access_token / _client_uri").
#[tokio::test]
async fn seed_003_s_sample_request_registers_with_the_sample_response_s_shape() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let seed = Seed003::new(&app);

    let r = app.post_register(&seed.jwt(&app)).await;

    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(names(&body), SEED_003_POST_MEMBERS);
    let issued_at = body["client_id_issued_at"].as_str().expect("a JSON string");
    assert!(issued_at.parse::<i64>().unwrap() > 1_600_000_000);
    assert_eq!(body["id_token_encrypted_response_alg"], json!("RSA-OAEP"));
    assert_eq!(
        body["id_token_encrypted_response_enc"],
        json!("A128CBC-HS256")
    );
    assert_eq!(body["redirect_uris"], json!(["https://wso2.com"]));
    assert_eq!(body["software_id"], json!(seed.software_id()));
    assert_eq!(
        body["software_roles"],
        json!("data-recipient-software-product")
    );
}

/// JARM members are not part of the 0.2 model: ignored, never stored (wso2-flavours §4
/// "Response members" lists none); `request_object_signing_alg` is forced to PS256 when absent
/// (§4, `CDSRegistrationValidatorImpl`); `application_type` is not provisioned.
#[tokio::test]
async fn jarm_members_are_ignored_and_request_object_alg_defaults_to_ps256() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let mut seed = Seed003::new(&app);
    seed.claims
        .insert("authorization_signed_response_alg".into(), json!("none"));
    seed.claims.remove("request_object_signing_alg");
    seed.claims.remove("application_type");

    let r = app.post_register(&seed.jwt(&app)).await;

    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("authorization_signed_response_alg").is_none());
    assert_eq!(body["request_object_signing_alg"], json!("PS256"));
    assert!(body.get("application_type").is_none());
}

/// The JWT seed 003 actually prints asks for `code id_token`: refused with
/// `Invalid responseTypes provided` (§4.1; CDS-651 "hybrid response type").
#[tokio::test]
async fn the_printed_sample_s_hybrid_response_type_is_refused() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let mut seed = Seed003::new(&app);
    seed.claims
        .insert("response_types".into(), json!(["code id_token"]));

    let (status, error, text) = error_of(app.post_register(&seed.jwt(&app)).await).await;

    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert_eq!(text, "Invalid responseTypes provided");
}

type Change = fn(&mut Map<String, Value>, &mut Map<String, Value>);

/// §4.1's exact strings, each for the one change to seed 003's request that triggers it, with
/// its `error` code; `gateway` says whether the gateway (`DCRExecutor`) raised it, and so
/// whether the answer carries `x-fapi-interaction-id` (§4 "Error shape").
#[tokio::test]
async fn each_refusal_has_its_exact_string() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let cases: Vec<(Change, &str, &str, bool)> = vec![
        // no_ssa
        (
            |c, _| {
                c.insert("software_statement".into(), Value::Null);
            },
            "Required parameter software statement cannot be null",
            "invalid_client_metadata",
            true,
        ),
        // no_signing_alg
        (
            |c, _| {
                c.remove("token_endpoint_auth_signing_alg");
            },
            "Required parameter tokenEndPointAuthSigningAlg cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // no_auth_method
        (
            |c, _| {
                c.remove("token_endpoint_auth_method");
            },
            "Required parameter tokenEndPointAuthentication cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // no_grant_types
        (
            |c, _| {
                c.remove("grant_types");
            },
            "Required parameter grantTypes cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // no_response_types
        (
            |c, _| {
                c.remove("response_types");
            },
            "Required parameter responseTypes cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // no_id_token_alg
        (
            |c, _| {
                c.remove("id_token_signed_response_alg");
            },
            "Required parameter idTokenSignedResponseAlg cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // no_aud
        (
            |c, _| {
                c.remove("aud");
            },
            "Required parameter audience cannot be null",
            "invalid_client_metadata",
            false,
        ),
        // wrong_aud
        (
            |c, _| {
                c.insert("aud".into(), json!("https://localhost:9446/oauth2/token"));
            },
            "Invalid audience provided",
            "invalid_client_metadata",
            false,
        ),
        // grant_type
        (
            |c, _| {
                c.insert("grant_types".into(), json!(["implicit"]));
            },
            "Invalid grantTypes provided",
            "invalid_client_metadata",
            false,
        ),
        // application_type
        (
            |c, _| {
                c.insert("application_type".into(), json!("native"));
            },
            "Invalid applicationType provided",
            "invalid_client_metadata",
            false,
        ),
        // auth_method
        (
            |c, _| {
                c.insert(
                    "token_endpoint_auth_method".into(),
                    json!("client_secret_basic"),
                );
            },
            "Invalid tokenEndPointAuthentication provided",
            "invalid_client_metadata",
            false,
        ),
        // id_token_enc_alg
        (
            |c, _| {
                c.insert("id_token_encrypted_response_alg".into(), json!("RSA1_5"));
            },
            "Invalid idTokenEncryptionResponseAlg provided",
            "invalid_client_metadata",
            false,
        ),
        // id_token_enc_enc
        (
            |c, _| {
                c.insert("id_token_encrypted_response_enc".into(), json!("A192GCM"));
            },
            "Invalid idTokenEncryptionResponseEnc provided",
            "invalid_client_metadata",
            false,
        ),
        // signing_alg
        (
            |c, _| {
                c.insert("token_endpoint_auth_signing_alg".into(), json!("ES512"));
            },
            "Invalid signing algorithm sent",
            "invalid_client_metadata",
            false,
        ),
        // issuer
        (
            |c, _| {
                c.insert("iss".into(), json!("another-software-product"));
            },
            "Invalid issuer",
            "invalid_client_metadata",
            false,
        ),
        // callback
        (
            |c, _| {
                c.insert("redirect_uris".into(), json!(["https://evil.example/cb"]));
            },
            "Invalid callback uris",
            "invalid_client_metadata",
            false,
        ),
        // ssa_redirect_not_https
        (
            |c, s| {
                s.insert("redirect_uris".into(), json!(["http://wso2.com"]));
                c.insert("redirect_uris".into(), json!(["http://wso2.com"]));
            },
            "Invalid redirect_uris found in the SSA",
            "invalid_redirect_uri",
            false,
        ),
        // ssa_redirect_hosts
        (
            |_, s| {
                s.insert(
                    "redirect_uris".into(),
                    json!(["https://wso2.com", "https://other.example"]),
                );
            },
            "Redirect URIs do not contain the same hostname",
            "invalid_client_metadata",
            false,
        ),
        // ssa_no_redirects
        (
            |_, s| {
                s.remove("redirect_uris");
            },
            "Redirect URIs can not be null or empty in SSA",
            "invalid_client_metadata",
            false,
        ),
        // ssa_issuer
        (
            |_, s| {
                s.insert("iss".into(), json!("OpenBanking Ltd"));
            },
            "Invalid Issuer in software statement",
            "invalid_client_metadata",
            false,
        ),
        // ssa_roles
        (
            |_, s| {
                s.insert("software_roles".into(), json!("PISP"));
            },
            "Invalid Software Roles in software statement",
            "invalid_client_metadata",
            false,
        ),
        // ssa_scopes
        (
            |_, s| {
                s.insert("scope".into(), json!("openid bank:accounts.basic:read"));
            },
            "Mandatory scopes are not given in the software statement",
            "invalid_client_metadata",
            false,
        ),
    ];
    for (change, description, code, gateway) in cases {
        let mut seed = Seed003::new(&app);
        change(&mut seed.claims, &mut seed.ssa);

        let r = app.post_register(&seed.jwt(&app)).await;
        let id = interaction_id(&r);
        let (status, error, text) = error_of(r).await;

        assert_eq!(
            (status, error.as_str(), text.as_str()),
            (400, code, description)
        );
        assert_eq!(
            id.is_some(),
            gateway,
            "{description}: x-fapi-interaction-id on gateway errors only"
        );
    }
}

/// A body or SSA that is not a JWT is `Malformed request JWT`; a request signed with another
/// key is `Invalid request signature`, both from the gateway (§4.1); an SSA not signed by the
/// Register is `invalid_software_statement` / `Invalid signature for SSA`, checked last
/// (§2 "SignatureCheck"; §4.1).
#[tokio::test]
async fn malformed_and_badly_signed_requests_and_ssas() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let (status, error, text) = error_of(app.post_register("not.a-jwt").await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (400, "invalid_client_metadata", "Malformed request JWT")
    );

    let seed = Seed003::new(&app);
    let mut claims = seed.claims.clone();
    claims.insert("software_statement".into(), json!("abc"));
    let (_, _, text) = error_of(app.post_register(&app.sign_request(&claims)).await).await;
    assert_eq!(text, "Malformed request JWT");

    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "recipient-1").unwrap();
    let mut claims = seed.claims.clone();
    claims.insert("software_statement".into(), json!(app.sign_ssa(&seed.ssa)));
    let forged = dcr_vectors::jose::sign_claims(&claims, &impostor).unwrap();
    let (_, _, text) = error_of(app.post_register(&forged).await).await;
    assert_eq!(text, "Invalid request signature");

    let register_impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "cdr-register-1")
            .unwrap();
    let mut claims = seed.claims.clone();
    claims.insert(
        "software_statement".into(),
        json!(dcr_vectors::jose::sign_claims(&seed.ssa, &register_impostor).unwrap()),
    );
    let r = app.post_register(&app.sign_request(&claims)).await;
    assert!(interaction_id(&r).is_none(), "an Identity Server error");
    let (status, error, text) = error_of(r).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            400,
            "invalid_software_statement",
            "Invalid signature for SSA"
        )
    );
}

/// A replayed request `jti` (§4.1 "JTI replay", TC0101017) and a second registration of a
/// software product (§4.1 "Duplicate registration", TC0101011: IS DCRM's message naming the
/// application after the software_id).
#[tokio::test]
async fn replayed_jti_and_duplicate_registration() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let seed = Seed003::new(&app);
    let jwt = seed.jwt(&app);
    assert_eq!(app.post_register(&jwt).await.status(), 201);

    let (_, error, text) = error_of(app.post_register(&jwt).await).await;
    assert_eq!(
        (error.as_str(), text.as_str()),
        (
            "invalid_client_metadata",
            "JTI value of the registration request has been replayed"
        )
    );

    let mut again = Seed003 {
        claims: seed.claims.clone(),
        ssa: seed.ssa.clone(),
    };
    again
        .claims
        .insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    let (status, error, text) = error_of(app.post_register(&again.jwt(&app)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    assert_eq!(
        text,
        format!(
            "Application with the name {} already exist in the system",
            seed.software_id()
        )
    );
}

/// A JSON body is 415 with the CDS tests' text (§4.1 "415 wrong content type", CDS-1111),
/// raised at the gateway: the `x-fapi-interaction-id` sent is answered back.
#[tokio::test]
async fn a_json_body_is_415_with_wso2_s_text() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let r = app
        .client_a
        .post(&app.holder.urls.registration_endpoint)
        .header(
            "x-fapi-interaction-id",
            "c8f1e8d2-0d5e-4b8a-9b0e-3f6f0a1b2c3d",
        )
        .json(&json!({"software_statement": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        interaction_id(&r).as_deref(),
        Some("c8f1e8d2-0d5e-4b8a-9b0e-3f6f0a1b2c3d")
    );
    let (status, _, text) = error_of(r).await;
    assert_eq!(
        (status, text.as_str()),
        (
            415,
            "Request Content-Type header does not match any allowed types"
        )
    );
}

/// The tests post to `/open-banking/0.2/register/`: the trailing slash registers too (§4 "Base
/// path").
#[tokio::test]
async fn a_trailing_slash_registers_too() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let r = app
        .client_a
        .post(format!("{}/", app.holder.urls.registration_endpoint))
        .header("content-type", "application/jwt")
        .body(Seed003::new(&app).jwt(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

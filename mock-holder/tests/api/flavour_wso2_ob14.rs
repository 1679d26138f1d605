//! Flavour `wso2-ob-au-0.1`: WSO2 Open Banking 1.4's CDS DCR v0.1. Seeds 000 and 002 are
//! first-hand; the requests are seed 000's sample, made usable here.

use mock_holder::Flavour;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, error_of, names, sample, spawn_flavour};

const SAMPLE: &str = "wso2-ob14-dcr-0.1-registration-request.jwt";

/// Seed 000's sample response (l.170-200), as printed.
fn seed_000_response() -> Value {
    json!({
        "clientId": "fZ1nESbD3xwqkXhchy6NHMqeBvMa",
        "clientIdIssuedAt": 1574233558,
        "clientName": "MockSoftware",
        "clientDescription": "A mock software product for testing SSA",
        "clientUri": "https://www.google.com",
        "orgId": "3B0B0A7B-3E7B-4A2C-9497-E357A71D07C8",
        "orgName": "Mock Company Inc.",
        "redirectUris": [
            "https://www.google.com/redirects/redirect1",
            "https://www.google.com/redirects/redirect2"
        ],
        "logoUri": "https://www.google.com/logos/logo1.png",
        "tosUri": "https://www.google.com/tos.html",
        "policyUri": "https://www.google.com/policy.html",
        "jwksUri": "https://keystore.openbankingtest.org.uk/0015800001HQQrZAAX/VgQOIBMehPnlLUQw0BFM5S.jwks",
        "revocationUri": "https://keystore.openbankingtest.org.uk/0015800001HQQrZAAX/revoked/VgQOIBMehPnlLUQw0BFM5S.jwks",
        "softwareId": "740C368F-ECF9-4D29-A2EA-0514A66B0CDE",
        "softwareRoles": "data-recipient-software-product",
        "scope": "accounts",
        "tokenEndpointAuthSigningAlg": "PS256",
        "tokenEndpointAuthMethod": "private_key_jwt",
        "grantTypes": [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ],
        "applicationType": "web",
        "idTokenSignedResponseAlg": "PS256",
        "requestObjectSigningAlg": "PS256"
    })
}

/// Seed 000's sample request (the JWT of l.109, with its SSA): its claims as they are, `iss`
/// "Mock Company" and `aud` the CDR infosec token URL included, with fresh `iat`/`exp`/`jti`
/// (the sample expired in 2020), and its SSA's `jwks_uri` at the test recipient's JWKS. The SSA
/// keeps the seed's own header and signature: the signature no longer matches the payload, and
/// that is the point (seed 000 l.98: "the signature of the SSA is not currently validated").
struct Seed000 {
    claims: Map<String, Value>,
    ssa: Map<String, Value>,
    ssa_jwt: String,
}

impl Seed000 {
    fn new(app: &TestApp) -> Self {
        let mut claims = sample(SAMPLE).claims;
        let ssa_jwt = claims
            .remove("software_statement")
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        let mut ssa = dcr_vectors::jose::decode_unverified(&ssa_jwt)
            .unwrap()
            .claims;
        ssa.insert(
            "jwks_uri".into(),
            json!(format!("{}/jwks", app.recipient_jwks.uri())),
        );
        let now = dcr_vectors::time::now();
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + 300));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        Self {
            claims,
            ssa,
            ssa_jwt,
        }
    }

    /// The request, its SSA payload replaced (seed signature kept), signed by the recipient.
    fn jwt(&self, app: &TestApp) -> String {
        let ssa = dcr_vectors::jose::with_payload_replaced(&self.ssa_jwt, &self.ssa).unwrap();
        let mut claims = self.claims.clone();
        claims.insert("software_statement".into(), json!(ssa));
        app.sign_request(&claims)
    }
}

/// POSTs `jwt` as seed 000's curl does (l.105-109): `accept`, `Content-Type: application/jwt`
/// and `x-v: 0.1`.
async fn post_as_seed_000(app: &TestApp, jwt: &str) -> reqwest::Response {
    app.client_a
        .post(&app.holder.urls.registration_endpoint)
        .header("accept", "application/json")
        .header("content-type", "application/jwt")
        .header("x-v", "0.1")
        .body(jwt.to_string())
        .send()
        .await
        .unwrap()
}

/// Seed 000's sample request registers (l.105-142), and the answer has the sample response's
/// members, in its order, with its types (l.170-200): camelCase, `clientIdIssuedAt` a number,
/// nothing else (no `responseTypes`, no `softwareStatement`). Every value the request decides
/// is the sample's, `scope` the SSA's `accounts` as it is.
#[tokio::test]
async fn seed_000_s_sample_request_gets_the_sample_response_s_members_and_types() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let seed = Seed000::new(&app);

    let r = post_as_seed_000(&app, &seed.jwt(&app)).await;

    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    let sample = seed_000_response();
    assert_eq!(names(&body), names(&sample));
    for (name, want) in sample.as_object().unwrap() {
        let got = &body[name];
        let same_type = (got.is_string() && want.is_string())
            || (got.is_i64() && want.is_i64())
            || (got.is_array() && want.is_array());
        assert!(same_type, "{name}: {got} is not of the type of {want}");
        if !matches!(name.as_str(), "clientId" | "clientIdIssuedAt" | "jwksUri") {
            assert_eq!(got, want, "{name}");
        }
    }
}

/// Management as seed 000 shows it: a client-credentials token asked for with `scope=openid`
/// (l.207; the SSA's scope is `accounts`) reads the client (l.211-213) and updates it with all
/// claims again (l.221); an unknown ClientId is Unauthorized (l.214, with the 0.1 swagger's
/// text, wso2-flavours §3 "Responses declared").
#[tokio::test]
async fn an_openid_token_manages_the_client_and_an_unknown_client_is_401() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let seed = Seed000::new(&app);
    let created: Value = post_as_seed_000(&app, &seed.jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["clientId"].as_str().unwrap();
    let token = app.token(id, "openid").await;

    let r = app.get_registration(id, &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), created);

    let mut update = Seed000::new(&app);
    update.claims.insert(
        "redirect_uris".into(),
        json!(["https://www.google.com/redirects/redirect1"]),
    );
    let r = app.put_registration(id, &token, &update.jwt(&app)).await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        updated["redirectUris"],
        json!(["https://www.google.com/redirects/redirect1"])
    );
    assert_eq!(updated["clientIdIssuedAt"], created["clientIdIssuedAt"]);

    let r = app
        .get_registration("fZ1nESbD3xwqkXhchy6NHMqeBvMa", &token)
        .await;
    let (status, error, text) = error_of(r).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
    assert_eq!(
        text,
        "Request failed due to unknown or invalid Client or invalid access token"
    );
}

/// OB 1.4 keeps no request `jti` cache (the switch first appears in OB 2.0, wso2-flavours §3):
/// the same update can be sent twice.
#[tokio::test]
async fn the_same_update_can_be_sent_twice() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let created: Value = post_as_seed_000(&app, &Seed000::new(&app).jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["clientId"].as_str().unwrap();
    let token = app.token(id, "openid").await;
    let jwt = Seed000::new(&app).jwt(&app);
    assert_eq!(app.put_registration(id, &token, &jwt).await.status(), 200);
    assert_eq!(app.put_registration(id, &token, &jwt).await.status(), 200);
}

/// DELETE (l.231-236): 204, the client is deleted and its tokens invalidated: the token that
/// deleted it is refused, and the client gets no new one.
#[tokio::test]
async fn delete_removes_the_client_and_invalidates_its_tokens() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let created: Value = post_as_seed_000(&app, &Seed000::new(&app).jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["clientId"].as_str().unwrap();
    let token = app.token(id, "openid").await;

    assert_eq!(app.delete_registration(id, &token).await.status(), 204);

    assert_eq!(app.get_registration(id, &token).await.status(), 401);
    let r = app
        .post_token(&TestApp::token_form(&app.assertion(id), "openid"))
        .await;
    let (status, error, _) = error_of(r).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client"));
}

type Change = fn(&mut Map<String, Value>);

/// The claim table's rules (l.145-160), each refused with 400 and its `error` code.
#[tokio::test]
async fn the_claim_table_s_rules_are_enforced() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let cases: [(Change, &str, &str); 6] = [
        (
            |c| {
                c.remove("jti");
            },
            "invalid_client_metadata",
            "Required parameter jti not found in the request",
        ),
        (
            |c| {
                c.insert("response_types".into(), json!(["code"]));
            },
            "invalid_client_metadata",
            "Invalid response_types: the only supported value is [code id_token]",
        ),
        (
            |c| {
                c.insert("id_token_signed_response_alg".into(), json!("ES256"));
            },
            "invalid_client_metadata",
            "Invalid id_token_signed_response_alg: the only supported algorithm is PS256",
        ),
        (
            |c| {
                c.insert(
                    "token_endpoint_auth_method".into(),
                    json!("tls_client_auth"),
                );
            },
            "invalid_client_metadata",
            "Invalid token_endpoint_auth_method: the only supported method is private_key_jwt",
        ),
        (
            |c| {
                c.insert("application_type".into(), json!("native"));
            },
            "invalid_client_metadata",
            "Invalid application_type: the only supported application type is web",
        ),
        (
            |c| {
                c.insert("redirect_uris".into(), json!(["https://evil.example/cb"]));
            },
            "invalid_redirect_uri",
            "Provided redirect uris does not match with the SSA",
        ),
    ];
    for (change, code, description) in cases {
        let mut seed = Seed000::new(&app);
        change(&mut seed.claims);
        let (status, error, text) = error_of(post_as_seed_000(&app, &seed.jwt(&app)).await).await;
        assert_eq!(
            (status, error.as_str(), text.as_str()),
            (400, code, description)
        );
    }
}

/// The request JWT's signature is checked with the key at the SSA's `jwks_uri` (l.92: a
/// changed request must be signed with the page's test keys), though the SSA's is not.
#[tokio::test]
async fn the_request_signature_is_checked() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let seed = Seed000::new(&app);
    let impostor =
        dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Ps256, "recipient-1").unwrap();
    let mut claims = seed.claims.clone();
    let ssa = dcr_vectors::jose::with_payload_replaced(&seed.ssa_jwt, &seed.ssa).unwrap();
    claims.insert("software_statement".into(), json!(ssa));
    let forged = dcr_vectors::jose::sign_claims(&claims, &impostor).unwrap();

    let (status, error, text) = error_of(post_as_seed_000(&app, &forged).await).await;

    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            400,
            "invalid_client_metadata",
            "Failed to validate jwt signature"
        )
    );
}

/// Discovery advertises what DCR 0.1 takes: `code id_token` (l.154), PS256 (l.157-160) and the
/// grant types of l.153.
#[tokio::test]
async fn discovery_advertises_dcr_0_1() {
    let app = spawn_flavour(Flavour::Wso2ObAu01).await;
    let doc = app.discovery().await;
    assert_eq!(doc["response_types_supported"], json!(["code id_token"]));
    assert_eq!(
        doc["token_endpoint_auth_signing_alg_values_supported"],
        json!(["PS256"])
    );
    assert!(
        doc["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("urn:ietf:params:oauth:grant-type:jwt-bearer"))
    );
    assert!(
        doc.get("authorization_signing_alg_values_supported")
            .is_none()
    );
}

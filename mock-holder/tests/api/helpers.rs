//! `spawn_app()`: a holder on loopback ports with wiremock standing in for the CDR Register's
//! JWKS and the Data Recipient's JWKS, plus one mTLS client per test certificate and one method
//! per endpoint.

use std::net::SocketAddr;
use std::time::Duration;

use dcr_vectors::jose::sign_claims;
use dcr_vectors::{
    RegistrationTemplate, SigningAlg, SigningKey, SoftwareProduct, SsaTemplate, TestPki, time,
};
use mock_holder::{Flavour, RunningHolder, Settings};
use reqwest::{Certificate, Client, Identity, Response};
use serde_json::{Map, Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub struct TestApp {
    pub holder: RunningHolder,
    pub pki: TestPki,
    /// Signs SSAs (published by `register_jwks` at `/jwks`).
    pub register_key: SigningKey,
    /// The recipient's key (published by `recipient_jwks` at `/jwks`).
    pub recipient_key: SigningKey,
    pub register_jwks: MockServer,
    pub recipient_jwks: MockServer,
    /// mTLS client with recipient A's transport certificate.
    pub client_a: Client,
    /// mTLS client with recipient B's transport certificate.
    pub client_b: Client,
    pub recipient: SoftwareProduct,
    ssa_template: SsaTemplate,
    registration_template: RegistrationTemplate,
}

pub fn mtls_client(ca_pem: &str, identity_pem: &str) -> Client {
    Client::builder()
        .tls_certs_only([Certificate::from_pem(ca_pem.as_bytes()).expect("CA")])
        .identity(Identity::from_pem(identity_pem.as_bytes()).expect("identity"))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(SigningAlg::Es256, tweak).await
}

/// A holder emulating `flavour`. The recipient signs with PS256 under the WSO2 flavours: DCR
/// 0.1 allows no other algorithm, and the WSO2 samples are PS256.
pub async fn spawn_flavour(flavour: Flavour) -> TestApp {
    spawn_flavour_with(flavour, |_| {}).await
}

/// [`spawn_flavour`], with the settings changed by `tweak`.
pub async fn spawn_flavour_with(flavour: Flavour, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let alg = match flavour {
        Flavour::CdsAu | Flavour::CdsAuHybrid => SigningAlg::Es256,
        _ => SigningAlg::Ps256,
    };
    spawn(alg, |s| {
        s.flavour = flavour;
        tweak(s);
    })
    .await
}

async fn spawn(recipient_alg: SigningAlg, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let pki = TestPki::generate(&[]).expect("pki");
    let register_key = SigningKey::generate(SigningAlg::Ps256, "cdr-register-1").expect("key");
    let recipient_key = SigningKey::generate(recipient_alg, "recipient-1").expect("key");
    let register_jwks = MockServer::start().await;
    let recipient_jwks = MockServer::start().await;
    // The recipient's JWKS also publishes certificate A for tls, as an OB Directory software
    // JWKS does (a UK holder registers only over it, UK-REQ-006); certificate B is not listed.
    let transport_a = pki.client_a.transport_jwk("tls-a").expect("transport jwk");
    for (server, key, transport) in [
        (&register_jwks, &register_key, None),
        (&recipient_jwks, &recipient_key, Some(transport_a)),
    ] {
        let mut jwks = dcr_vectors::keys::public_jwks([key]).expect("jwks");
        if let Some(jwk) = transport {
            jwks["keys"].as_array_mut().expect("keys").push(jwk);
        }
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks))
            .mount(server)
            .await;
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let tls = mock_holder::tls::TlsMaterial {
        client_ca_pem: pki.ca.cert_pem.clone(),
        cert_pem: pki.server.cert_pem.clone(),
        key_pem: pki.server.key_pem.clone(),
    };
    let mut settings = Settings::new(
        loopback,
        loopback,
        tls,
        format!("{}/jwks", register_jwks.uri()),
    );
    settings.jwks_timeout = Duration::from_millis(700);
    tweak(&mut settings);
    let holder = mock_holder::start(settings).await.expect("holder starts");
    let client_a = mtls_client(&pki.ca.cert_pem, &pki.client_a.identity_pem());
    let client_b = mtls_client(&pki.ca.cert_pem, &pki.client_b.identity_pem());
    TestApp {
        holder,
        client_a,
        client_b,
        recipient: dcr_vectors::templates::software_products()
            .expect("recipients")
            .remove(0),
        pki,
        register_key,
        recipient_key,
        register_jwks,
        recipient_jwks,
        ssa_template: SsaTemplate::load().expect("ssa template"),
        registration_template: RegistrationTemplate::load().expect("template"),
    }
}

pub fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("a JSON object")
}

/// A sample JWT of `vectors/samples/` (the seed pages' own), decoded without verification.
pub fn sample(name: &str) -> dcr_vectors::jose::Unverified {
    let path = format!("{}/../vectors/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("a sample JWT");
    dcr_vectors::jose::decode_unverified(&text).expect("a compact JWS")
}

/// The member names of a JSON object, in order.
pub fn names(body: &Value) -> Vec<String> {
    body.as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect()
}

impl TestApp {
    pub fn issuer(&self) -> &str {
        &self.holder.urls.issuer
    }

    /// SSA claims for recipient A under `software_id`, keys at the recipient JWKS mock.
    pub fn ssa_claims(&self, software_id: &str) -> Map<String, Value> {
        let mut c = self
            .ssa_template
            .claims(
                &self.recipient,
                &format!("{}/jwks", self.recipient_jwks.uri()),
                "https://a.recipient.example",
                time::now(),
            )
            .expect("ssa claims");
        c.insert("software_id".into(), software_id.into());
        c
    }

    pub fn sign_ssa(&self, claims: &Map<String, Value>) -> String {
        sign_claims(claims, &self.register_key).expect("sign ssa")
    }

    pub fn ssa(&self, software_id: &str) -> String {
        self.sign_ssa(&self.ssa_claims(software_id))
    }

    /// Registration request claims for `software_id` carrying `ssa`.
    /// The registered token endpoint signing algorithm is the recipient key's, since the
    /// holder insists that client assertions use the registered algorithm.
    pub fn request_claims(&self, software_id: &str, ssa: &str) -> Map<String, Value> {
        let mut claims = self
            .registration_template
            .claims(
                software_id,
                self.issuer(),
                &self.recipient.redirect_uris,
                ssa,
                time::now(),
            )
            .expect("request claims");
        claims.insert(
            "token_endpoint_auth_signing_alg".into(),
            self.recipient_key.alg().as_str().into(),
        );
        claims
    }

    pub fn sign_request(&self, claims: &Map<String, Value>) -> String {
        sign_claims(claims, &self.recipient_key).expect("sign request")
    }

    /// A valid registration request JWT for `software_id`.
    pub fn registration_jwt(&self, software_id: &str) -> String {
        let ssa = self.ssa(software_id);
        self.sign_request(&self.request_claims(software_id, &ssa))
    }

    pub async fn post_register(&self, jwt: &str) -> Response {
        self.client_a
            .post(&self.holder.urls.registration_endpoint)
            .header("content-type", "application/jwt")
            .body(jwt.to_string())
            .send()
            .await
            .expect("POST /register")
    }

    /// `method` on `path` of the mTLS listener, with client certificate A.
    pub async fn call(&self, method: &str, path: &str) -> Response {
        let url = format!("https://{}{path}", self.holder.mtls_addr);
        self.client_a
            .request(method.parse().expect("method"), url)
            .send()
            .await
            .expect("a response")
    }

    /// The discovery document of the mTLS listener.
    pub async fn discovery(&self) -> Value {
        self.call("GET", "/.well-known/openid-configuration")
            .await
            .json()
            .await
            .expect("JSON")
    }

    /// Registers `software_id` and returns the 201 body.
    pub async fn register(&self, software_id: &str) -> Value {
        let r = self
            .post_register(&self.registration_jwt(software_id))
            .await;
        assert_eq!(r.status(), 201, "registration must succeed");
        r.json().await.expect("json")
    }

    /// Registers a fresh software product; returns its client_id.
    pub async fn register_new(&self) -> String {
        let body = self.register(&uuid::Uuid::new_v4().to_string()).await;
        body["client_id"].as_str().expect("client_id").to_string()
    }

    /// Client assertion claims for `client_id`, addressed to the token endpoint.
    pub fn assertion_claims(&self, client_id: &str) -> Map<String, Value> {
        let now = time::now();
        object(json!({
            "iss": client_id,
            "sub": client_id,
            "aud": self.holder.urls.token_endpoint,
            "iat": now,
            "exp": now + 60,
            "jti": uuid::Uuid::new_v4().to_string(),
        }))
    }

    pub fn assertion(&self, client_id: &str) -> String {
        self.sign_request(&self.assertion_claims(client_id))
    }

    /// The usual token request form for `assertion` and `scope`.
    pub fn token_form(assertion: &str, scope: &str) -> Vec<(String, String)> {
        [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
            ("scope", scope),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    pub async fn post_token(&self, form: &[(String, String)]) -> Response {
        self.post_token_with(&self.client_a, form).await
    }

    pub async fn post_token_with(&self, client: &Client, form: &[(String, String)]) -> Response {
        client
            .post(&self.holder.urls.token_endpoint)
            .form(form)
            .send()
            .await
            .expect("POST /token")
    }

    /// A `scope` access token for `client_id`, bound to certificate A.
    pub async fn token(&self, client_id: &str, scope: &str) -> String {
        let r = self
            .post_token(&Self::token_form(&self.assertion(client_id), scope))
            .await;
        assert_eq!(r.status(), 200, "token request must succeed");
        let body: Value = r.json().await.expect("json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub fn client_url(&self, client_id: &str) -> String {
        format!("{}/{client_id}", self.holder.urls.registration_endpoint)
    }

    pub async fn get_registration(&self, client_id: &str, token: &str) -> Response {
        self.get_registration_with(&self.client_a, client_id, token)
            .await
    }

    pub async fn get_registration_with(
        &self,
        client: &Client,
        client_id: &str,
        token: &str,
    ) -> Response {
        client
            .get(self.client_url(client_id))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /register/{id}")
    }

    pub async fn put_registration(&self, client_id: &str, token: &str, jwt: &str) -> Response {
        self.client_a
            .put(self.client_url(client_id))
            .bearer_auth(token)
            .header("content-type", "application/jwt")
            .body(jwt.to_string())
            .send()
            .await
            .expect("PUT /register/{id}")
    }

    pub async fn delete_registration(&self, client_id: &str, token: &str) -> Response {
        self.client_a
            .delete(self.client_url(client_id))
            .bearer_auth(token)
            .send()
            .await
            .expect("DELETE /register/{id}")
    }
}

/// Status, `error` and `error_description` of an error response.
pub async fn error_of(r: Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("JSON error body");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

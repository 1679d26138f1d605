//! The holder's fuzzer: generated requests to every endpoint, counted by answer.
//!
//! Shared (by `#[path]`) by the short bounded run of `tests/api/fuzz.rs` and the long run of
//! `benches/fuzz.rs` (`scripts/fuzz-holder`). Cases are generated with proptest strategies from
//! a seeded RNG (so a run can be repeated by its seed), in these families:
//!
//! * **bytes**: any endpoint and method, any `Content-Type`, a body of random bytes, random
//!   JSON (nested, large), or random dot-separated base64 (JWS-shaped);
//! * **registration**: POST or PUT of a request JWT carrying an SSA, each with JOSE headers
//!   mixing `alg` values (including `none`, `HS256`), `kid` of every type and size, and `jku`,
//!   `x5u`, `jwk` and `x5c`; signed with the real keys or not; claims of random type and size;
//! * **assertion**: the token endpoint with random form parameters and client assertions
//!   mutated the same way;
//! * **bearer**: management calls with random tokens, forged JWTs and headers;
//! * **framing**: raw HTTP/1.1 heads and bodies (random methods, paths, header lines, chunk
//!   sizes, oversized lines) and raw HTTP/2 frames after the preface, over TLS.
//!
//! What a run counts: answers by status, connections dropped without an answer (for requests
//! sent through a real HTTP client: every one must get an answer), and, for raw framing, how
//! the holder ended the exchange. Every `jku`/`x5u` (and every URL in `jwk`/`x5c` members)
//! points at a canary server, which must receive no request: the holder fetches keys only from
//! the Register's JWKS and an SSA's `jwks_uri`.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dcr_vectors::jose::{b64, sign_compact};
use dcr_vectors::{RegistrationTemplate, SigningKey, SoftwareProduct, SsaTemplate};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value, json};

/// Everything the fuzzer needs to reach a holder.
pub struct Target {
    /// mTLS listener.
    pub mtls_addr: SocketAddr,
    /// The issuer (the `aud` of requests).
    pub issuer: String,
    pub registration_endpoint: String,
    pub token_endpoint: String,
    /// CA of the holder's certificate; a client certificate chained to it (PEM cert + key).
    pub ca_pem: String,
    pub identity_pem: String,
    /// The Register's signing key, and the recipient's (published at `recipient_jwks_uri`).
    pub register_key: SigningKey,
    pub recipient_key: SigningKey,
    pub recipient_jwks_uri: String,
    /// Base URL of the canary: any request to it is a JOSE header URL the holder fetched.
    pub canary: String,
    /// A registered client and a `cdr:registration` token of it (for token and management
    /// cases that should get past their first checks).
    pub client_id: String,
    pub access_token: String,
}

/// The h2 crate's abuse limit: four times the holder's default `http2_max_header_list_bytes`
/// (16 KiB); a header list over it ends the connection (GOAWAY `ENHANCE_YOUR_CALM`).
const ABUSE_LIMIT: usize = 4 * 16 * 1024;

/// Counts of one run.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub cases: u64,
    /// Answers by status, for requests sent with an HTTP client.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests sent with an HTTP client that got no answer (connection reset, closed, timed out).
    pub dropped: u64,
    /// Raw framing cases by how the holder ended them (`HTTP/1.1 400`, `h2 GOAWAY`, `closed`).
    pub raw: BTreeMap<String, u64>,
    /// The first few cases answered 5xx or dropped, described.
    pub examples: Vec<String>,
}

impl Tally {
    pub fn five_xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| *n)
            .sum()
    }

    fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.dropped += other.dropped;
        for (k, v) in other.raw {
            *self.raw.entry(k).or_default() += v;
        }
        for e in other.examples {
            if self.examples.len() < 10 {
                self.examples.push(e);
            }
        }
    }

    /// One line per figure.
    pub fn render(&self) -> String {
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        let raw: Vec<String> = self.raw.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        format!(
            "cases {}\nanswers by status: {}\n5xx: {}\ndropped: {}\nraw framing endings: {}",
            self.cases,
            statuses.join(", "),
            self.five_xx(),
            self.dropped,
            raw.join(", ")
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Generation

/// A JOSE header: which members to set, and to what.
#[derive(Debug, Clone)]
pub struct HeaderSpec {
    alg: Option<Value>,
    kid: Option<Value>,
    extra: Vec<(String, Value)>,
}

/// A change to a claim set: set a member to a value, or remove it.
#[derive(Debug, Clone)]
pub struct ClaimChange {
    name: String,
    value: Option<Value>,
}

/// How a JWS is signed.
#[derive(Debug, Clone, Copy)]
pub enum Signature {
    /// With the real key (its `alg` and `kid` overwrite the spec's, so that it verifies).
    Real,
    /// With the real key, keeping the spec's header (alg/kid may not match).
    RealKeyOwnHeader,
    /// Random bytes.
    Random,
    /// Empty.
    Empty,
}

#[derive(Debug, Clone)]
pub struct JwsSpec {
    header: HeaderSpec,
    claims: Vec<ClaimChange>,
    signature: Signature,
}

#[derive(Debug, Clone, Copy)]
pub enum Endpoint {
    Register,
    Client,
    OtherClient,
    Token,
    Discovery,
    Jwks,
    Unknown,
}

#[derive(Debug, Clone)]
pub enum Case {
    Bytes {
        method: &'static str,
        endpoint: Endpoint,
        content_type: Option<String>,
        body: Vec<u8>,
        bearer: bool,
    },
    Registration {
        ssa: JwsSpec,
        request: JwsSpec,
        put: bool,
    },
    Assertion {
        assertion: JwsSpec,
        form: Vec<(String, String)>,
    },
    Bearer {
        method: &'static str,
        own_client: bool,
        token: BearerSpec,
        scheme: String,
    },
    Raw {
        http2: bool,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
pub enum BearerSpec {
    Text(String),
    Jws(JwsSpec),
    Issued,
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        // URLs on loopback only, at a port where nothing listens: an SSA's `jwks_uri` is
        // fetched (once its signature verifies), and a fuzzer sends nothing off this machine.
        "https?://127\\.0\\.0\\.1:1/[a-z/]{0,12}".prop_map(Value::from),
        (0usize..20_000).prop_map(|n| Value::from("x".repeat(n))),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Members a JOSE header may carry; URLs point at `canary`.
fn header_spec(canary: String, valid_kids: Vec<String>) -> impl Strategy<Value = HeaderSpec> {
    let url_member = prop::sample::select(vec!["jku", "x5u"]);
    let canary2 = canary.clone();
    let extra = prop::collection::vec(
        prop_oneof![
            url_member.prop_map(move |m| (m.to_string(), json!(format!("{canary}/{m}")))),
            Just((
                "jwk".to_string(),
                json!({"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "jku": format!("{canary2}/jwk-jku")}),
            )),
            Just((
                "x5c".to_string(),
                json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"])
            )),
            Just(("crit".to_string(), json!(["jku"]))),
            Just(("b64".to_string(), json!(false))),
            (".{0,8}", json_leaf()).prop_map(|(k, v)| (k, v)),
        ],
        0..4,
    );
    let kid = prop_oneof![
        3 => prop::sample::select(valid_kids).prop_map(|k| Some(json!(k))),
        1 => json_leaf().prop_map(Some),
        1 => (0usize..5000).prop_map(|n| Some(json!("k".repeat(n)))),
        1 => Just(None),
    ];
    let alg = prop_oneof![
        4 => prop::sample::select(vec!["PS256", "ES256"]).prop_map(|a| Some(json!(a))),
        2 => prop::sample::select(vec!["none", "HS256", "RS256", "EdDSA", "", "ps256"])
            .prop_map(|a| Some(json!(a))),
        1 => json_leaf().prop_map(Some),
        1 => Just(None),
    ];
    (alg, kid, extra).prop_map(|(alg, kid, extra)| HeaderSpec { alg, kid, extra })
}

const CLAIM_NAMES: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "iat",
    "exp",
    "nbf",
    "jti",
    "software_statement",
    "software_id",
    "jwks_uri",
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "authorization_signed_response_alg",
    "authorization_encrypted_response_alg",
    "authorization_encrypted_response_enc",
    "scope",
    "software_roles",
    "org_id",
    "client_name",
    "logo_uri",
    "sector_identifier_uri",
    "x-unknown",
];

fn claim_changes() -> impl Strategy<Value = Vec<ClaimChange>> {
    prop::collection::vec(
        (
            prop_oneof![
                5 => prop::sample::select(CLAIM_NAMES).prop_map(str::to_string),
                1 => ".{0,16}",
            ],
            prop_oneof![4 => json_value().prop_map(Some), 1 => Just(None)],
        )
            .prop_map(|(name, value)| ClaimChange { name, value }),
        0..4,
    )
}

fn jws_spec(canary: String, kids: Vec<String>) -> impl Strategy<Value = JwsSpec> {
    let signature = prop_oneof![
        6 => Just(Signature::Real),
        2 => Just(Signature::RealKeyOwnHeader),
        1 => Just(Signature::Random),
        1 => Just(Signature::Empty),
    ];
    (header_spec(canary, kids), claim_changes(), signature).prop_map(
        |(header, claims, signature)| JwsSpec {
            header,
            claims,
            signature,
        },
    )
}

fn raw_http1() -> impl Strategy<Value = Vec<u8>> {
    let method = prop_oneof![
        prop::sample::select(vec![
            "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT"
        ])
        .prop_map(str::to_string),
        "[A-Z]{0,10}",
        ".{0,10}",
    ];
    let path = prop_oneof![
        prop::sample::select(vec![
            "/register",
            "/register/x",
            "/token",
            "/.well-known/openid-configuration",
            "*",
            "//",
            "/%00",
        ])
        .prop_map(str::to_string),
        ".{0,64}",
        (0usize..20_000).prop_map(|n| format!("/{}", "a".repeat(n))),
    ];
    let version = prop::sample::select(vec!["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", ""]);
    let header = prop_oneof![
        Just("transfer-encoding: chunked".to_string()),
        (0u64..u64::MAX).prop_map(|n| format!("content-length: {n}")),
        Just("content-length: 1\r\ncontent-length: 2".to_string()),
        Just("content-type: application/jwt".to_string()),
        Just("expect: 100-continue".to_string()),
        Just("upgrade: h2c".to_string()),
        ".{0,40}: .{0,40}",
        "[\\x00-\\xff]{0,40}",
        (0usize..70_000).prop_map(|n| format!("x-big: {}", "b".repeat(n))),
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "([0-9a-fA-F]{1,17}(;[a-z=]{0,8})?\r\n[a-z]{0,16}\r\n){0,4}(0\r\n\r\n)?"
            .prop_map(String::into_bytes),
    ];
    (
        method,
        path,
        version,
        prop::collection::vec(header, 0..6),
        body,
    )
        .prop_map(|(m, p, v, headers, body)| {
            let mut out = format!("{m} {p} {v}\r\nhost: holder\r\n").into_bytes();
            for h in headers {
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&body);
            out
        })
}

fn raw_http2() -> impl Strategy<Value = Vec<u8>> {
    let frame = (
        any::<u8>().prop_map(|t| t % 12),
        any::<u8>(),
        prop_oneof![Just(0u32), Just(1u32), Just(3u32), any::<u32>()],
        prop::collection::vec(any::<u8>(), 0..256),
        prop::option::of(0u32..(1 << 24)),
    )
        .prop_map(|(kind, flags, stream, payload, claimed_len)| {
            let len = claimed_len.unwrap_or(payload.len() as u32);
            let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
            f.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
            f.extend_from_slice(&payload);
            f
        });
    (any::<bool>(), prop::collection::vec(frame, 0..8)).prop_map(|(settings_first, frames)| {
        let mut out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        if settings_first {
            out.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        }
        for f in frames {
            out.extend_from_slice(&f);
        }
        out
    })
}

/// The strategy of one case: JOSE header URLs point at `canary`; `kids` are the real keys'.
pub fn case_strategy(canary: String, kids: Vec<String>) -> impl Strategy<Value = Case> {
    let jws = move || jws_spec(canary.clone(), kids.clone());
    let endpoint = prop::sample::select(vec![
        Endpoint::Register,
        Endpoint::Client,
        Endpoint::OtherClient,
        Endpoint::Token,
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Unknown,
    ]);
    let method = prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]);
    let content_type = prop_oneof![
        prop::sample::select(vec![
            "application/jwt",
            "application/json",
            "application/x-www-form-urlencoded",
            "application/jwt; charset=utf-8",
            "text/plain",
        ])
        .prop_map(|s| Some(s.to_string())),
        "[ -~]{0,40}".prop_map(Some),
        Just(None),
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        "[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,400}\\.[A-Za-z0-9_-]{0,100}"
            .prop_map(String::into_bytes),
        "([a-z_]{1,24}=[ -~]{0,40}&){0,6}".prop_map(String::into_bytes),
    ];
    let form = prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(vec![
                    "grant_type",
                    "client_assertion_type",
                    "client_id",
                    "scope",
                    "client_assertion",
                ])
                .prop_map(str::to_string),
                "[a-z_]{0,12}",
            ],
            prop_oneof![json_leaf().prop_map(|v| v.to_string()), ".{0,40}"],
        ),
        0..3,
    );
    let bearer = prop_oneof![
        2 => "[ -~]{0,2000}".prop_map(BearerSpec::Text),
        3 => jws().prop_map(BearerSpec::Jws),
        1 => Just(BearerSpec::Issued),
    ];
    prop_oneof![
        2 => (method.clone(), endpoint, content_type, body, any::<bool>()).prop_map(
            |(method, endpoint, content_type, body, bearer)| Case::Bytes {
                method,
                endpoint,
                content_type,
                body,
                bearer,
            }
        ),
        4 => (jws(), jws(), any::<bool>())
            .prop_map(|(ssa, request, put)| Case::Registration { ssa, request, put }),
        2 => (jws(), form).prop_map(|(assertion, form)| Case::Assertion { assertion, form }),
        2 => (
            prop::sample::select(vec!["GET", "PUT", "DELETE"]),
            any::<bool>(),
            bearer,
            prop::sample::select(vec!["Bearer", "bearer", "DPoP", "Basic", ""]).prop_map(str::to_string)
        )
            .prop_map(|(method, own_client, token, scheme)| Case::Bearer {
                method,
                own_client,
                token,
                scheme,
            }),
        1 => raw_http1().prop_map(|bytes| Case::Raw { http2: false, bytes }),
        1 => raw_http2().prop_map(|bytes| Case::Raw { http2: true, bytes }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Materialising cases

/// Claim templates, loaded once.
pub struct Templates {
    ssa: SsaTemplate,
    registration: RegistrationTemplate,
    product: SoftwareProduct,
}

impl Templates {
    pub fn load() -> Self {
        Self {
            ssa: SsaTemplate::load().expect("ssa template"),
            registration: RegistrationTemplate::load().expect("registration template"),
            product: dcr_vectors::templates::software_products()
                .expect("products")
                .remove(0),
        }
    }
}

fn sign(spec: &JwsSpec, claims: &mut Map<String, Value>, key: &SigningKey) -> String {
    for change in &spec.claims {
        match &change.value {
            Some(v) => claims.insert(change.name.clone(), v.clone()),
            None => claims.remove(&change.name),
        };
    }
    let mut header = dcr_vectors::jose::header_for(key);
    if !matches!(spec.signature, Signature::Real) {
        for (name, value) in [("alg", &spec.header.alg), ("kid", &spec.header.kid)] {
            match value {
                Some(v) => header.insert(name.to_string(), v.clone()),
                None => header.remove(name),
            };
        }
    }
    for (k, v) in &spec.header.extra {
        if !(matches!(spec.signature, Signature::Real) && (k == "alg" || k == "kid")) {
            header.insert(k.clone(), v.clone());
        }
    }
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    match spec.signature {
        Signature::Real | Signature::RealKeyOwnHeader => key
            .signer()
            .ok()
            .and_then(|s| sign_compact(&header, &payload, s.as_ref()).ok())
            .unwrap_or_default(),
        Signature::Random => format!(
            "{}.{}.{}",
            b64(&serde_json::to_vec(&header).unwrap_or_default()),
            b64(&payload),
            b64(uuid::Uuid::new_v4().as_bytes())
        ),
        Signature::Empty => format!(
            "{}.{}.",
            b64(&serde_json::to_vec(&header).unwrap_or_default()),
            b64(&payload)
        ),
    }
}

/// An HTTP request to send: method, URL, headers, body.
struct Http {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A case ready to send: through an HTTP client, or raw bytes over TLS.
enum Prepared {
    Http(Http),
    Raw { http2: bool, bytes: Vec<u8> },
}

fn prepare(target: &Target, templates: &Templates, case: Case) -> Prepared {
    let now = dcr_vectors::time::now();
    let client_url = format!("{}/{}", target.registration_endpoint, target.client_id);
    let base = format!("https://{}", target.mtls_addr);
    let url_of = |e: Endpoint| match e {
        Endpoint::Register => target.registration_endpoint.clone(),
        Endpoint::Client => client_url.clone(),
        Endpoint::OtherClient => {
            format!("{}/{}", target.registration_endpoint, uuid::Uuid::new_v4())
        }
        Endpoint::Token => target.token_endpoint.clone(),
        Endpoint::Discovery => format!("{base}/.well-known/openid-configuration"),
        Endpoint::Jwks => format!("{base}/jwks"),
        Endpoint::Unknown => format!("{base}/{}", uuid::Uuid::new_v4()),
    };
    let bearer = (
        "authorization".to_string(),
        format!("Bearer {}", target.access_token),
    );
    Prepared::Http(match case {
        Case::Raw { http2, bytes } => return Prepared::Raw { http2, bytes },
        Case::Bytes {
            method,
            endpoint,
            content_type,
            body,
            bearer: with_token,
        } => {
            let mut headers = Vec::new();
            if let Some(ct) = content_type {
                headers.push(("content-type".to_string(), ct));
            }
            if with_token {
                headers.push(bearer);
            }
            Http {
                method: reqwest::Method::from_bytes(method.as_bytes())
                    .unwrap_or(reqwest::Method::GET),
                url: url_of(endpoint),
                headers,
                body,
            }
        }
        Case::Registration { ssa, request, put } => {
            let software_id = uuid::Uuid::new_v4().to_string();
            let mut ssa_claims = templates
                .ssa
                .claims(
                    &templates.product,
                    &target.recipient_jwks_uri,
                    "https://a.recipient.example",
                    now,
                )
                .unwrap_or_default();
            ssa_claims.insert("software_id".into(), json!(software_id));
            let ssa_jwt = sign(&ssa, &mut ssa_claims, &target.register_key);
            let mut claims = templates
                .registration
                .claims(
                    &software_id,
                    &target.issuer,
                    &templates.product.redirect_uris,
                    &ssa_jwt,
                    now,
                )
                .unwrap_or_default();
            claims.insert(
                "token_endpoint_auth_signing_alg".into(),
                json!(target.recipient_key.alg().as_str()),
            );
            let jwt = sign(&request, &mut claims, &target.recipient_key);
            let mut headers = vec![("content-type".to_string(), "application/jwt".to_string())];
            let (method, url) = if put {
                headers.push(bearer);
                (reqwest::Method::PUT, client_url)
            } else {
                (reqwest::Method::POST, target.registration_endpoint.clone())
            };
            Http {
                method,
                url,
                headers,
                body: jwt.into_bytes(),
            }
        }
        Case::Assertion { assertion, form } => {
            let mut claims = dcr_vectors::jose::client_assertion_claims(
                &target.client_id,
                &target.token_endpoint,
                now,
            );
            let jwt = sign(&assertion, &mut claims, &target.recipient_key);
            let mut params: Vec<(String, String)> = vec![
                ("grant_type".into(), "client_credentials".into()),
                (
                    "client_assertion_type".into(),
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ),
                ("client_assertion".into(), jwt),
                ("scope".into(), "cdr:registration".into()),
            ];
            for (k, v) in form {
                match params.iter_mut().find(|(n, _)| *n == k) {
                    Some(p) => p.1 = v,
                    None => params.push((k, v)),
                }
            }
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            Http {
                method: reqwest::Method::POST,
                url: target.token_endpoint.clone(),
                headers: vec![(
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                )],
                body: body.into_bytes(),
            }
        }
        Case::Bearer {
            method,
            own_client,
            token,
            scheme,
        } => {
            let token = match token {
                BearerSpec::Text(t) => t,
                BearerSpec::Issued => target.access_token.clone(),
                BearerSpec::Jws(spec) => {
                    let mut claims = Map::new();
                    claims.insert("iss".into(), json!(target.issuer));
                    claims.insert("client_id".into(), json!(target.client_id));
                    claims.insert("exp".into(), json!(now + 60));
                    sign(&spec, &mut claims, &target.recipient_key)
                }
            };
            let url = if own_client {
                client_url
            } else {
                url_of(Endpoint::OtherClient)
            };
            let mut headers = vec![("authorization".to_string(), format!("{scheme} {token}"))];
            if method == "PUT" {
                headers.push(("content-type".to_string(), "application/jwt".to_string()));
            }
            Http {
                method: reqwest::Method::from_bytes(method.as_bytes())
                    .unwrap_or(reqwest::Method::GET),
                url,
                headers,
                body: b"a.b.c".to_vec(),
            }
        }
    })
}

/// Sends `request`; `Ok(status)` or `Err(why no answer)`.
async fn send(client: &reqwest::Client, request: Http) -> Result<u16, String> {
    let mut builder = client.request(request.method, &request.url);
    for (k, v) in request.headers {
        // A header value the client cannot send is the client's refusal, not the holder's.
        match reqwest::header::HeaderValue::from_bytes(v.as_bytes()) {
            Ok(value) => builder = builder.header(k, value),
            Err(_) => return Ok(0),
        }
    }
    let response = builder
        .body(request.body)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| format!("body: {e:?}"))?;
    Ok(status)
}

/// A TLS connector presenting `identity_pem`, offering `alpn`.
fn connector(target: &Target, alpn: &[u8]) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(target.ca_pem.as_bytes()).flatten() {
        let _ = roots.add(c);
    }
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(target.identity_pem.as_bytes())
            .flatten()
            .collect();
    let key = PrivateKeyDer::from_pem_slice(target.identity_pem.as_bytes()).expect("key");
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .expect("client config");
    config.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Writes raw `bytes` over TLS and classifies how the holder ended the exchange.
async fn raw(
    connectors: &(tokio_rustls::TlsConnector, tokio_rustls::TlsConnector),
    addr: SocketAddr,
    http2: bool,
    bytes: &[u8],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else {
        return "connect failed".into();
    };
    let connector = if http2 { &connectors.1 } else { &connectors.0 };
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let Ok(mut tls) = connector.connect(name, tcp).await else {
        return "TLS failed".into();
    };
    let _ = tls.write_all(bytes).await;
    let _ = tls.flush().await;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    if seen.len() > 64 * 1024 {
                        break;
                    }
                    if !http2 && seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    };
    // The holder answers or closes; a connection left open past this is noted as such (the
    // holder's idle and header timeouts close it later).
    let timed_out = tokio::time::timeout(Duration::from_secs(2), read)
        .await
        .is_err();
    if http2 {
        // Frames: find a GOAWAY (type 7) among them.
        let mut i = 0;
        let mut goaway = false;
        while i + 9 <= seen.len() {
            let len =
                ((seen[i] as usize) << 16) | ((seen[i + 1] as usize) << 8) | seen[i + 2] as usize;
            if seen[i + 3] == 7 {
                goaway = true;
            }
            i += 9 + len;
        }
        return match (goaway, seen.is_empty(), timed_out) {
            (true, _, _) => "h2 GOAWAY".into(),
            (false, false, true) => "h2 frames, connection kept open".into(),
            (false, false, false) => "h2 frames, then closed".into(),
            (false, true, true) => "h2 nothing yet, connection kept open".into(),
            (false, true, false) => "h2 closed".into(),
        };
    }
    let text = String::from_utf8_lossy(&seen);
    match text.split_whitespace().nth(1) {
        Some(code) if text.starts_with("HTTP/") => format!("HTTP/1.1 {code}"),
        _ if timed_out => "h1 connection kept open (waiting for more)".into(),
        _ => "h1 closed without an answer".into(),
    }
}

/// Generates `count` cases from `seed` on a thread of its own (proptest's strategies are not
/// `Send`), into a bounded channel.
fn generate(
    target: &Target,
    seed: u64,
    worker: u64,
    count: u64,
) -> tokio::sync::mpsc::Receiver<Case> {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let (canary, kids) = (
        target.canary.clone(),
        [
            target.register_key.kid().to_string(),
            target.recipient_key.kid().to_string(),
        ],
    );
    std::thread::spawn(move || {
        let strategy = case_strategy(canary, kids.to_vec());
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        seed_bytes[8..16].copy_from_slice(&worker.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let mut made = 0;
        while made < count {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            if tx.blocking_send(tree.current()).is_err() {
                return;
            }
            made += 1;
        }
    });
    rx
}

/// Runs `cases` cases from `seed` with `concurrency` workers against `target`.
pub async fn run(target: Arc<Target>, cases: u64, seed: u64, concurrency: usize) -> Tally {
    let templates = Arc::new(Templates::load());
    let tally = Arc::new(Mutex::new(Tally::default()));
    let workers_n = concurrency.max(1) as u64;
    let mut workers = Vec::new();
    for worker in 0..workers_n {
        let count = cases / workers_n + u64::from(worker < cases % workers_n);
        let mut cases_rx = generate(&target, seed, worker, count);
        let (target, templates, tally) = (target.clone(), templates.clone(), tally.clone());
        workers.push(tokio::spawn(async move {
            let ca = reqwest::Certificate::from_pem(target.ca_pem.as_bytes()).expect("ca");
            let identity =
                reqwest::Identity::from_pem(target.identity_pem.as_bytes()).expect("identity");
            let builder = || {
                reqwest::Client::builder()
                    .tls_certs_only([ca.clone()])
                    .identity(identity.clone())
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(30))
            };
            let client = builder().build().expect("client");
            let h2 = builder().http2_prior_knowledge().build().expect("client");
            let connectors = (connector(&target, b"http/1.1"), connector(&target, b"h2"));
            let mut mine = Tally::default();
            while let Some(case) = cases_rx.recv().await {
                mine.cases += 1;
                match prepare(&target, &templates, case) {
                    Prepared::Http(request) => {
                        let description = format!("{} {}", request.method, request.url);
                        // RFC 9113 §6.5.2's size of the header list this request sends.
                        let header_bytes: usize = request
                            .headers
                            .iter()
                            .map(|(k, v)| k.len() + v.len() + 32)
                            .sum();
                        let via = if mine.cases % 3 == 0 { &h2 } else { &client };
                        match send(via, request).await {
                            Ok(0) => {
                                *mine
                                    .raw
                                    .entry("not sendable by the client".into())
                                    .or_default() += 1
                            }
                            Ok(status) => {
                                *mine.statuses.entry(status).or_default() += 1;
                                if status >= 500 && mine.examples.len() < 10 {
                                    mine.examples.push(format!("{description} → {status}"));
                                }
                            }
                            // HTTP/2's abuse limit: a header list several times over the
                            // holder's limit ends the connection with GOAWAY
                            // ENHANCE_YOUR_CALM (a list just over it is answered 431). That is
                            // an answer, counted apart, not a dropped connection.
                            // A list that large is often still being written when the holder
                            // ends the connection: the client then sees a broken pipe instead of
                            // the GOAWAY. Counted with them, by the list's size.
                            Err(why)
                                if (why.contains("GoAway(") && why.contains("ENHANCE_YOUR_CALM"))
                                    || (header_bytes > ABUSE_LIMIT && why.contains("BrokenPipe")) =>
                            {
                                *mine
                                    .raw
                                    .entry("h2 header list over the abuse limit: GOAWAY ENHANCE_YOUR_CALM or broken pipe".into())
                                    .or_default() += 1
                            }
                            Err(why) => {
                                mine.dropped += 1;
                                if mine.examples.len() < 10 {
                                    mine.examples.push(format!(
                                        "{description} (header list {header_bytes} bytes) → dropped: {why}"
                                    ));
                                }
                            }
                        }
                    }
                    Prepared::Raw { http2, bytes } => {
                        let ending = raw(&connectors, target.mtls_addr, http2, &bytes).await;
                        *mine.raw.entry(ending).or_default() += 1;
                    }
                }
            }
            if let Ok(mut t) = tally.lock() {
                t.merge(mine);
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    tally.lock().map(|t| t.clone()).unwrap_or_default()
}

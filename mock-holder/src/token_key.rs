//! The holder's own access-token key and what it has verified: the ES256 key (generated on
//! first start and kept in the store, so tokens survive a restart), its signer and verifier
//! (built once: access tokens are checked on every management call), the claims of a token
//! that the management checks read, and the cache of tokens whose signature was verified.
//!
//! Issuing tokens and checking them on a request is [`crate::tokens`]'s job; this module only
//! holds the material, so that [`crate::state`] can own it without depending on those checks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use dcr_vectors::SigningKey;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jws::{ES256, JwsSigner, JwsVerifier};
use serde_json::{Map, Value};

use crate::jose::{millis_claim, str_claim};
use crate::store::Store;

/// What the token-signing key is stored under.
const TOKEN_KEY_PURPOSE: &str = "access-token-signing";

/// A new ES256 private JWK (with `kid`, `alg`, `use`) as JSON.
fn new_token_jwk() -> anyhow::Result<String> {
    // to_jwk_key_pair keeps x/y (to_jwk_private_key would drop them).
    let mut jwk = EcKeyPair::generate(EcCurve::P256)?.to_jwk_key_pair();
    let kid = format!(
        "holder-token-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    jwk.set_key_id(&kid);
    jwk.set_algorithm("ES256");
    jwk.set_key_use("sig");
    Ok(jwk.to_string())
}

/// The holder's token-signing key with its signer, verifier and verified-token cache.
#[derive(Debug)]
pub(crate) struct TokenKey {
    key: SigningKey,
    signer: Arc<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    verified: VerifiedTokens,
}

impl TokenKey {
    /// Loads the key from `store`, generating and storing it on first start.
    ///
    /// # Errors
    /// Fails when the key cannot be loaded, generated or stored.
    pub(crate) fn load(store: &Store) -> anyhow::Result<Self> {
        let jwk = store.holder_key(TOKEN_KEY_PURPOSE, dcr_vectors::time::now(), new_token_jwk)?;
        let key = SigningKey::from_private_jwk(&jwk, None, None)
            .context("the stored token-signing key is not usable")?;
        let signer = key.signer()?;
        let verifier = Box::new(ES256.verifier_from_jwk(&key.public_jwk()?)?);
        Ok(Self {
            key,
            signer,
            verifier,
            verified: VerifiedTokens::default(),
        })
    }

    /// The key (its `kid`, public JWK, JWS header).
    pub(crate) fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs access tokens.
    pub(crate) fn signer(&self) -> &dyn JwsSigner {
        self.signer.as_ref()
    }

    /// Verifies access tokens.
    pub(crate) fn verifier(&self) -> &dyn JwsVerifier {
        self.verifier.as_ref()
    }

    /// Access tokens already verified.
    pub(crate) fn verified(&self) -> &VerifiedTokens {
        &self.verified
    }
}

/// The private claim of variation `revoke-tokens-on-auth-change`: the client's
/// `token_endpoint_auth_method` when the token was issued.
pub(crate) const AUTH_METHOD_CLAIM: &str = "mock_holder_auth_method";

/// The claims of an access token that the management checks read, taken out of its payload
/// once (a missing or mistyped claim is `None`).
#[derive(Debug)]
pub(crate) struct TokenClaims {
    /// `jti`.
    pub(crate) jti: Option<String>,
    /// `exp`, in milliseconds since the epoch (a NumericDate may have a fraction, RFC 7519
    /// §2: the holder's tokens of a client with its own short lifetime do).
    pub(crate) exp_ms: Option<i64>,
    /// `client_id`.
    pub(crate) client_id: Option<String>,
    /// `scope` (empty when absent).
    pub(crate) scope: String,
    /// `cnf.x5t#S256`.
    pub(crate) bound: Option<String>,
    /// The client's authentication method at issue (variation `revoke-tokens-on-auth-change`).
    pub(crate) auth_method: Option<String>,
}

impl TokenClaims {
    /// Reads the claims out of a token's payload.
    pub(crate) fn from_payload(claims: &Map<String, Value>) -> Self {
        let string = |name: &str| str_claim(claims, name).map(str::to_string);
        Self {
            jti: string("jti"),
            exp_ms: millis_claim(claims, "exp"),
            client_id: string("client_id"),
            scope: string("scope").unwrap_or_default(),
            bound: claims
                .get("cnf")
                .and_then(|c| c.get("x5t#S256"))
                .and_then(Value::as_str)
                .map(str::to_string),
            auth_method: string(AUTH_METHOD_CLAIM),
        }
    }
}

/// A bounded cache of access tokens whose signature and issuer were verified, so that repeated
/// management calls with one token cost one signature verification. Only tokens that passed
/// the signature check are stored (see [`crate::tokens`]); cleared when full.
#[derive(Debug, Default)]
pub(crate) struct VerifiedTokens(Mutex<HashMap<String, Arc<TokenClaims>>>);

const VERIFIED_TOKENS_MAX: usize = 4096;

impl VerifiedTokens {
    /// The claims of `token`, if it was verified before.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<TokenClaims>> {
        self.0.lock().ok()?.get(token).cloned()
    }

    /// Remembers that `token`, with `claims`, passed the signature check.
    pub(crate) fn put(&self, token: &str, claims: Arc<TokenClaims>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= VERIFIED_TOKENS_MAX {
                map.clear();
            }
            map.insert(token.to_string(), claims);
        }
    }
}

//! Shared state handed to every handler.

use std::sync::Arc;

use anyhow::Context;
use dcr_vectors::SigningKey;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jws::{ES256, JwsSigner, JwsVerifier};

use crate::jwks::JwksCache;
use crate::settings::Settings;
use crate::store::Store;

/// The URLs the holder advertises, fixed once the listeners are bound.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The issuer (public base URL).
    pub issuer: String,
    /// `registration_endpoint` (mTLS host).
    pub registration_endpoint: String,
    /// `token_endpoint` (mTLS host).
    pub token_endpoint: String,
    /// The holder's own JWKS (public host).
    pub jwks_uri: String,
}

/// State shared by all handlers; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    /// Resolved settings.
    pub settings: Settings,
    /// Advertised URLs.
    pub urls: Urls,
    /// Registrations, replay caches, revocations.
    pub store: Store,
    /// Register and recipient JWKS documents.
    pub jwks: JwksCache,
    /// The holder's own key: signs access tokens (ES256, persisted in the store).
    pub token_key: SigningKey,
    /// Signer for [`Inner::token_key`], built once.
    pub token_signer: Box<dyn JwsSigner>,
    /// Verifier for [`Inner::token_key`], built once (access tokens are checked on every
    /// management call).
    pub token_verifier: Box<dyn JwsVerifier>,
    /// Access tokens already verified (see [`crate::tokens::VerifiedTokens`]).
    pub verified_tokens: crate::tokens::VerifiedTokens,
}

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

impl AppState {
    /// Builds the state; opens the database and loads the holder's token-signing key, generating
    /// and storing it on first start.
    ///
    /// # Errors
    /// Fails when the database cannot be opened or the key cannot be loaded or generated.
    pub fn new(settings: Settings, urls: Urls) -> anyhow::Result<Self> {
        let store = Store::open(&settings.database)?;
        let jwks = JwksCache::new(
            settings.jwks_cache_ttl,
            settings.jwks_timeout,
            settings.jwks_max_bytes,
        )?;
        let jwk = store.holder_key(TOKEN_KEY_PURPOSE, dcr_vectors::time::now(), new_token_jwk)?;
        let token_key = SigningKey::from_private_jwk(&jwk, None, None)
            .context("the stored token-signing key is not usable")?;
        let token_signer = token_key.signer()?;
        let token_verifier = Box::new(ES256.verifier_from_jwk(&token_key.public_jwk()?)?);
        Ok(Self(Arc::new(Inner {
            settings,
            urls,
            store,
            jwks,
            token_key,
            token_signer,
            token_verifier,
            verified_tokens: Default::default(),
        })))
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        dcr_vectors::time::now()
    }

    /// Whether the holder runs with `defect` (see [`crate::defect`]). Without a defect this is
    /// a comparison of `None` with a constant.
    #[inline]
    pub fn defect(&self, defect: crate::Defect) -> bool {
        self.0.settings.defect == Some(defect)
    }

    /// The clock skew in seconds.
    pub fn skew(&self) -> i64 {
        self.0.settings.clock_skew.as_secs() as i64
    }
}

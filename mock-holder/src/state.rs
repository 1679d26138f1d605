//! Shared state handed to every handler.

use std::sync::Arc;

use dcr_vectors::{SigningAlg, SigningKey};

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
    /// The holder's own key: signs access tokens.
    pub token_key: SigningKey,
}

impl AppState {
    /// Builds the state; opens the database and generates the holder's token-signing key.
    ///
    /// # Errors
    /// Fails when the database cannot be opened or a key cannot be generated.
    pub fn new(settings: Settings, urls: Urls) -> anyhow::Result<Self> {
        let store = Store::open(&settings.database)?;
        let jwks = JwksCache::new(
            settings.jwks_cache_ttl,
            settings.jwks_timeout,
            settings.jwks_max_bytes,
        )?;
        let token_key = SigningKey::generate(SigningAlg::Ps256, "holder-token-1")?;
        Ok(Self(Arc::new(Inner {
            settings,
            urls,
            store,
            jwks,
            token_key,
        })))
    }

    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        dcr_vectors::time::now()
    }

    /// The clock skew in seconds.
    pub fn skew(&self) -> i64 {
        self.0.settings.clock_skew.as_secs() as i64
    }
}

//! Shared state handed to every handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::Policy;
use crate::jwks::JwksCache;
use crate::lifetime::Clock;
use crate::settings::Settings;
use crate::store::Store;
use crate::token_key::TokenKey;
use crate::variation::Variation;

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

/// State shared by all handlers; cheap to clone (one `Arc`). Its parts are reached through
/// accessors, so what it holds can change without touching every handler.
#[derive(Debug, Clone)]
pub(crate) struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
struct Inner {
    /// Resolved settings.
    settings: Settings,
    /// How the flavour of `settings` behaves where flavours differ.
    policy: Policy,
    /// Advertised URLs.
    urls: Urls,
    /// Registrations, replay caches, revocations.
    store: Store,
    /// Register and recipient JWKS documents.
    jwks: JwksCache,
    /// The holder's own key: signs access tokens (ES256, persisted in the store), with the
    /// tokens it verified.
    token_key: TokenKey,
    /// Access-token lifetimes given to single clients by the embedding program
    /// ([`crate::RunningHolder::set_token_lifetime`]), in place of `settings.token_lifetime`.
    /// Usually empty.
    client_token_lifetimes: Mutex<HashMap<String, Duration>>,
    /// The `opaque-access-token` variation: each opaque token handed out, and the signed token
    /// it stands for. Empty without that variation.
    opaque_tokens: Mutex<HashMap<String, String>>,
}

impl AppState {
    /// Builds the state for the flavour `policy` of `settings`; opens the database (bound to
    /// that flavour, see [`Store::claim_flavour`]) and loads the holder's token-signing key,
    /// generating and storing it on first start.
    ///
    /// # Errors
    /// Fails when the database cannot be opened, belongs to another flavour, or the key cannot
    /// be loaded or generated.
    pub(crate) fn new(settings: Settings, policy: Policy, urls: Urls) -> anyhow::Result<Self> {
        let store = Store::open(&settings.database)?;
        store.claim_flavour(policy.flavour.name())?;
        let jwks = JwksCache::new(
            settings.jwks_cache_ttl,
            settings.jwks_timeout,
            settings.jwks_max_bytes,
        )?;
        let token_key = TokenKey::load(&store)?;
        Ok(Self(Arc::new(Inner {
            settings,
            policy,
            urls,
            store,
            jwks,
            token_key,
            client_token_lifetimes: Mutex::default(),
            opaque_tokens: Mutex::default(),
        })))
    }

    /// The resolved settings.
    pub(crate) fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// How the holder's flavour behaves where flavours differ.
    pub(crate) fn policy(&self) -> &Policy {
        &self.0.policy
    }

    /// The URLs the holder advertises.
    pub(crate) fn urls(&self) -> &Urls {
        &self.0.urls
    }

    /// Registrations, replay caches, revocations.
    pub(crate) fn store(&self) -> &Store {
        &self.0.store
    }

    /// The Register's and the recipients' JWKS documents.
    pub(crate) fn jwks(&self) -> &JwksCache {
        &self.0.jwks
    }

    /// The holder's token-signing key (and the tokens it verified).
    pub(crate) fn token_key(&self) -> &TokenKey {
        &self.0.token_key
    }

    /// The access-token lifetime `client_id` was given in place of the configured one, if any.
    pub(crate) fn client_token_lifetime(&self, client_id: &str) -> Option<Duration> {
        let lifetimes = self.0.client_token_lifetimes.lock().ok()?;
        if lifetimes.is_empty() {
            return None;
        }
        lifetimes.get(client_id).copied()
    }

    /// Gives the access tokens issued to `client_id` from now on `lifetime`.
    pub(crate) fn set_client_token_lifetime(&self, client_id: &str, lifetime: Duration) {
        if let Ok(mut lifetimes) = self.0.client_token_lifetimes.lock() {
            lifetimes.insert(client_id.to_string(), lifetime);
        }
    }

    /// Hands out an opaque token standing for the signed `token` (the `opaque-access-token`
    /// variation).
    pub(crate) fn opaque_token(&self, token: String) -> String {
        let opaque = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(mut tokens) = self.0.opaque_tokens.lock() {
            tokens.insert(opaque.clone(), token);
        }
        opaque
    }

    /// The signed token an opaque one stands for, if this holder handed it out.
    pub(crate) fn signed_token(&self, opaque: &str) -> Option<String> {
        self.0.opaque_tokens.lock().ok()?.get(opaque).cloned()
    }

    /// Seconds since the Unix epoch.
    pub(crate) fn now(&self) -> i64 {
        dcr_vectors::time::now()
    }

    /// Milliseconds since the Unix epoch.
    pub(crate) fn now_millis(&self) -> i64 {
        dcr_vectors::time::now_millis()
    }

    /// Whether the holder runs with `defect` (see [`crate::defect`]). Without a defect this is
    /// a comparison of `None` with a constant.
    #[inline]
    pub(crate) fn defect(&self, defect: Defect) -> bool {
        self.settings().defect == Some(defect)
    }

    /// Whether the holder runs with `variation` (see [`crate::variation`]). Without
    /// variations this tests an empty list.
    #[inline]
    pub(crate) fn variation(&self, variation: Variation) -> bool {
        self.settings().variations.contains(&variation)
    }

    /// The clock a JWT's times are compared with: now, the skew and the longest lifetime
    /// accepted.
    pub(crate) fn clock(&self) -> Clock {
        let s = self.settings();
        Clock::new(self.now(), s.clock_skew, s.max_jwt_lifetime)
    }
}

/// Runs a store operation. SQLite calls here are short (indexed single-row reads and writes
/// in WAL mode), so they run inline: handing each one to the blocking pool cost more in thread
/// wake-ups than the query itself (measured with the benchmark).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OAuthError> + Send + 'static,
) -> Result<T, OAuthError> {
    f()
}

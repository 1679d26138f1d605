//! What a scenario may need from the environment, and what an environment cannot provide
//! (each gap with the reason and the fix).

use std::collections::BTreeSet;

use serde::Serialize;

/// Something a scenario needs from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Mints software statements (valid ones for fresh software products, or mutated ones):
    /// the Register's signing key.
    RegisterKey,
    /// Rotates the Register's keys: the suite must serve the Register's JWKS itself.
    RegisterJwksHost,
    /// Acts as two Data Recipients (cross-client and certificate-binding checks).
    SecondRecipient,
    /// Reads a registration (the holder must offer GET; optional in UK DCR).
    Read,
    /// Updates a registration (the holder must offer PUT; optional in UK DCR).
    Update,
    /// Deletes a registration (the holder must support DELETE).
    Delete,
    /// Builds requests relative to the holder's allowed clock skew, which must be declared.
    ClockSkew,
    /// Waits for an access token to expire: the token lifetime must be declared and short.
    TokenExpiry,
    /// Creates registrations: with fixed software products (SSAs not minted by the suite) the
    /// suite must delete what it created before the next scenario.
    Isolation,
    /// Leaves a registration the recipient's own key cannot delete (e.g. one registered for
    /// another signing algorithm): only a software product minted for the scenario will do.
    FreshProduct,
    /// Moves a recipient to a second signing key at a second `jwks_uri`: the suite must serve
    /// that key set (the embedded run does).
    RecipientNextKey,
    /// Registers JARM encryption: the holder's discovery document advertises
    /// `authorization_encryption_alg_values_supported` (CDS-AF: JARM encryption is optional, and
    /// a holder that supports it says so there; SOURCES.md §8.19).
    JarmEncryption,
    /// Does not register JARM encryption: the holder's discovery document advertises no
    /// `authorization_encryption_alg_values_supported` (DCR-REQ-045).
    NoJarmEncryption,
    /// Authenticates at the token endpoint with `client_secret_basic`: the holder's discovery
    /// document lists it in `token_endpoint_auth_methods_supported` (UK DCR lists the methods a
    /// TPP may register, UK-REQ-034; an ASPSP takes those it advertises).
    ClientSecretBasic,
}

impl Need {
    /// Every need, in order.
    pub const ALL: [Need; 14] = [
        Need::RegisterKey,
        Need::RegisterJwksHost,
        Need::SecondRecipient,
        Need::Read,
        Need::Update,
        Need::Delete,
        Need::ClockSkew,
        Need::TokenExpiry,
        Need::Isolation,
        Need::FreshProduct,
        Need::RecipientNextKey,
        Need::JarmEncryption,
        Need::NoJarmEncryption,
        Need::ClientSecretBasic,
    ];

    /// Whether the holder itself decides it, by what it advertises (an optional feature it
    /// offers or not): a scenario skipped for such a need is not applicable to this holder,
    /// whatever the target file says, and a correct holder's run may skip it.
    pub fn is_holder_choice(self) -> bool {
        matches!(
            self,
            Need::JarmEncryption | Need::NoJarmEncryption | Need::ClientSecretBasic
        )
    }

    /// The name used in `@needs:` tags and reports.
    pub fn name(self) -> &'static str {
        match self {
            Need::RegisterKey => "register-key",
            Need::RegisterJwksHost => "register-jwks-host",
            Need::SecondRecipient => "second-recipient",
            Need::Read => "read",
            Need::Update => "update",
            Need::Delete => "delete",
            Need::ClockSkew => "clock-skew",
            Need::TokenExpiry => "token-expiry",
            Need::Isolation => "isolation",
            Need::FreshProduct => "fresh-product",
            Need::RecipientNextKey => "recipient-next-key",
            Need::JarmEncryption => "jarm-encryption",
            Need::NoJarmEncryption => "no-jarm-encryption",
            Need::ClientSecretBasic => "client-secret-basic",
        }
    }

    /// The need a `@needs:` tag value names.
    pub fn from_name(name: &str) -> Option<Need> {
        Need::ALL.into_iter().find(|n| n.name() == name)
    }
}

/// What the environment can provide; each missing capability carries the reason and the fix.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    missing: Vec<(Need, String)>,
}

impl Capabilities {
    /// An environment that provides everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Records that `need` cannot be met, and why (naming the target-file field that would
    /// provide it).
    pub fn lacks(&mut self, need: Need, why: impl Into<String>) {
        self.missing.retain(|(n, _)| *n != need);
        self.missing.push((need, why.into()));
    }

    /// Why `need` cannot be met, if it cannot.
    pub fn missing(&self, need: Need) -> Option<&str> {
        self.missing
            .iter()
            .find(|(n, _)| *n == need)
            .map(|(_, why)| why.as_str())
    }

    /// The needs of `needs` that cannot be met.
    pub fn unmet_of(&self, needs: &BTreeSet<Need>) -> Vec<Need> {
        needs
            .iter()
            .copied()
            .filter(|n| self.missing(*n).is_some())
            .collect()
    }

    /// The skip reason for a scenario with `needs`, if any need is unmet.
    pub fn skip_reason(&self, needs: &BTreeSet<Need>) -> Option<String> {
        let unmet: Vec<String> = needs
            .iter()
            .filter_map(|n| {
                self.missing(*n)
                    .map(|why| format!("needs {}: {why}", n.name()))
            })
            .collect();
        (!unmet.is_empty()).then(|| format!("not run on this target: {}", unmet.join("; ")))
    }

    /// Adds what the holder's discovery document `doc` advertises (or why it could not be
    /// read): whether the scenarios of an optional feature it offers, or of its absence, apply.
    pub fn advertised(&mut self, doc: Result<&serde_json::Map<String, serde_json::Value>, String>) {
        const JARM_ENC: &str = "authorization_encryption_alg_values_supported";
        const AUTH_METHODS: &str = "token_endpoint_auth_methods_supported";
        match doc {
            Err(why) => {
                for need in [Need::JarmEncryption, Need::NoJarmEncryption] {
                    self.lacks(
                        need,
                        format!("whether the holder offers JARM encryption is read from its discovery document ({JARM_ENC}), which could not be read: {why}"),
                    );
                }
                self.lacks(
                    Need::ClientSecretBasic,
                    format!("whether the holder takes client_secret_basic is read from its discovery document ({AUTH_METHODS}), which could not be read: {why}"),
                );
            }
            Ok(doc) => {
                let basic = doc
                    .get(AUTH_METHODS)
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|methods| {
                        methods
                            .iter()
                            .any(|m| m.as_str() == Some("client_secret_basic"))
                    });
                if !basic {
                    self.lacks(
                        Need::ClientSecretBasic,
                        format!("the holder does not take client_secret_basic (its discovery document's {AUTH_METHODS} does not list it)"),
                    );
                }
                let offered = doc
                    .get(JARM_ENC)
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|algs| !algs.is_empty());
                if offered {
                    self.lacks(
                        Need::NoJarmEncryption,
                        format!("the holder offers JARM encryption (its discovery document lists {JARM_ENC})"),
                    );
                } else {
                    self.lacks(
                        Need::JarmEncryption,
                        format!("the holder does not offer JARM encryption (its discovery document lists no {JARM_ENC}; CDS-AF makes it optional)"),
                    );
                }
            }
        }
    }

    /// Every unmet need with its reason (for the run's preamble and reports).
    pub fn unmet(&self) -> &[(Need, String)] {
        &self.missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_reason_names_every_unmet_need() {
        let mut caps = Capabilities::all();
        caps.lacks(Need::Delete, "holder.supports_delete is false");
        caps.lacks(Need::RegisterKey, "no register.signing_key");
        let reason = caps
            .skip_reason(&BTreeSet::from([
                Need::Delete,
                Need::RegisterKey,
                Need::Isolation,
            ]))
            .expect("skipped");
        assert!(
            reason.contains("needs register-key: no register.signing_key"),
            "{reason}"
        );
        assert!(
            reason.contains("needs delete: holder.supports_delete is false"),
            "{reason}"
        );
        assert!(
            caps.skip_reason(&BTreeSet::from([Need::Isolation]))
                .is_none()
        );
    }

    #[test]
    fn jarm_encryption_is_what_discovery_advertises() {
        let doc = |v: serde_json::Value| v.as_object().cloned().expect("an object");
        let offering = doc(serde_json::json!({
            "authorization_encryption_alg_values_supported": ["RSA-OAEP"]
        }));
        let mut caps = Capabilities::all();
        caps.advertised(Ok(&offering));
        assert!(caps.missing(Need::JarmEncryption).is_none());
        assert!(caps.missing(Need::NoJarmEncryption).is_some());

        for silent in [
            serde_json::json!({}),
            serde_json::json!({"authorization_encryption_alg_values_supported": []}),
            serde_json::json!({"authorization_encryption_alg_values_supported": "RSA-OAEP"}),
        ] {
            let mut caps = Capabilities::all();
            caps.advertised(Ok(&doc(silent.clone())));
            assert!(caps.missing(Need::JarmEncryption).is_some(), "{silent}");
            assert!(caps.missing(Need::NoJarmEncryption).is_none(), "{silent}");
        }

        let mut caps = Capabilities::all();
        caps.advertised(Err("status 503".into()));
        let why = caps.missing(Need::JarmEncryption).expect("lacked");
        assert!(why.contains("status 503"), "{why}");
        assert!(caps.missing(Need::NoJarmEncryption).is_some());
    }

    #[test]
    fn client_secret_basic_is_what_the_token_endpoint_lists() {
        let doc = |v: serde_json::Value| v.as_object().cloned().expect("an object");
        let mut caps = Capabilities::all();
        caps.advertised(Ok(&doc(serde_json::json!({
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"]
        }))));
        assert!(caps.missing(Need::ClientSecretBasic).is_none());
        for without in [
            serde_json::json!({}),
            serde_json::json!({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}),
            serde_json::json!({"token_endpoint_auth_methods_supported": "client_secret_basic"}),
        ] {
            let mut caps = Capabilities::all();
            caps.advertised(Ok(&doc(without.clone())));
            assert!(caps.missing(Need::ClientSecretBasic).is_some(), "{without}");
        }
        let mut caps = Capabilities::all();
        caps.advertised(Err("status 503".into()));
        assert!(caps.missing(Need::ClientSecretBasic).is_some());
    }
}

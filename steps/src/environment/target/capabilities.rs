//! What a target can provide to the scenarios, decided from its file: each gap names the
//! field that would fill it.

use crate::environment::capabilities::{Capabilities, Need};

use super::Target;

impl Target {
    /// What this target can provide; each gap names the field that would fill it.
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        let Some(register) = &self.register else {
            caps.lacks(
                Need::RegisterKey,
                "minting software statements needs the Register's key (register.signing_key), which only a sandbox Register gives",
            );
            caps.lacks(
                Need::RegisterJwksHost,
                "rotating the Register's keys needs register.signing_key and register.jwks_host",
            );
            caps.lacks(
                Need::FreshProduct,
                "the scenario leaves a registration the recipient's key cannot delete, so it needs a software product minted for it (register.signing_key)",
            );
            self.isolation(&mut caps);
            self.common(&mut caps);
            return caps;
        };
        if register.jwks_host.is_none() {
            caps.lacks(
                Need::RegisterJwksHost,
                "rotating the Register's keys needs the suite to serve the Register's JWKS (register.jwks_host)",
            );
        }
        self.common(&mut caps);
        caps
    }

    fn isolation(&self, caps: &mut Capabilities) {
        if !self.supports_delete {
            caps.lacks(
                Need::Isolation,
                "with fixed software statements each scenario must delete the registration it made, and holder.supports_delete is false",
            );
        }
    }

    fn common(&self, caps: &mut Capabilities) {
        if let Some(r) = self
            .recipients
            .iter()
            .find(|r| !matches!(r.jwks, super::Jwks::Served(_)))
        {
            caps.lacks(
                Need::RecipientNextKey,
                format!(
                    "moving recipient {} to a new key at a new jwks_uri needs the suite to serve its key sets (its jwks.serve)",
                    r.name
                ),
            );
        }
        if self.recipients.len() < 2 {
            caps.lacks(
                Need::SecondRecipient,
                "cross-client checks need a second recipient (recipients[1], name B)",
            );
        }
        if !self.supports_delete {
            caps.lacks(Need::Delete, "holder.supports_delete is false");
        }
        if !self.supports_read {
            caps.lacks(Need::Read, "holder.supports_read is false");
        }
        if !self.supports_update {
            caps.lacks(Need::Update, "holder.supports_update is false");
        }
        if self.clock_skew.is_none() {
            caps.lacks(
                Need::ClockSkew,
                "boundary checks need the holder's allowed clock skew (holder.clock_skew_seconds)",
            );
        }
        match self.token_lifetime {
            None => caps.lacks(
                Need::TokenExpiry,
                "waiting for a token to expire needs the holder's token lifetime (holder.token_lifetime_seconds)",
            ),
            Some(l) if l > self.max_token_wait => caps.lacks(
                Need::TokenExpiry,
                format!(
                    "tokens live {} s, longer than run.max_token_wait_seconds ({} s)",
                    l.as_secs(),
                    self.max_token_wait.as_secs()
                ),
            ),
            Some(_) => {}
        }
    }
}

//! The target file: how to reach a Data Holder the user does not control, and what the suite
//! may act as there (`run --target FILE`, `doctor --target FILE`).
//!
//! The file is YAML. Every string may hold `${NAME}` references to environment variables, so
//! keys and certificates need never sit in the file: a field holding key material takes a file
//! path (relative to the target file) or, through an environment variable, the material itself
//! (PEM, JWK JSON or a compact JWT). Everything is checked and loaded before anything runs; a
//! bad file is a usage error (exit 2) listing every problem with its field and what is
//! expected. Nothing from the file except `name` and the discovery URL reaches a report.
//!
//! See `vectors/targets/example-bank.yaml` for a commented example and the README for the
//! walk-through.

mod capabilities;
mod load;
mod schema;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use dcr_vectors::SigningKey;

/// A loaded, checked target: everything the environment needs, material included.
pub struct Target {
    /// The file it was read from.
    pub path: PathBuf,
    /// Names the snapshot folder and the reports.
    pub name: String,
    /// The holder's discovery document.
    pub discovery_url: String,
    /// The registration endpoint, when the file names it (instead of discovery or the
    /// profile's fixed path).
    pub registration_endpoint: Option<String>,
    /// Whether the holder offers GET /register/{ClientId} (optional in UK DCR).
    pub supports_read: bool,
    /// Whether the holder offers PUT /register/{ClientId} (optional in UK DCR).
    pub supports_update: bool,
    /// Whether the holder supports DELETE /register/{ClientId}.
    pub supports_delete: bool,
    /// The `aud` of registration requests, when the file sets it (a UK ASPSP's Directory
    /// organisation id); otherwise the holder's issuer from discovery.
    pub registration_aud: Option<String>,
    /// The holder's allowed clock skew, when declared.
    pub clock_skew: Option<Duration>,
    /// The holder's access-token lifetime, when declared.
    pub token_lifetime: Option<Duration>,
    /// CA bundle (PEM) the holder's server certificates chain to.
    pub ca_pem: String,
    /// The Register's key and where to serve its JWKS, when the user controls the Register.
    pub register: Option<RegisterKey>,
    /// Recipients, "A" first.
    pub recipients: Vec<TargetRecipient>,
    /// Profile to check against, when set in the file.
    pub profile: Option<String>,
    /// Scenarios at once, when set in the file.
    pub concurrency: Option<u16>,
    /// Request-rate limit over the whole run, when set.
    pub requests_per_second: Option<f64>,
    /// Per-request timeout, when set in the file.
    pub timeout: Option<Duration>,
    /// Longest wait for an access token to expire.
    pub max_token_wait: Duration,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("discovery_url", &self.discovery_url)
            .field("register", &self.register)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

/// The Register as the target file provides it.
#[derive(Debug)]
pub struct RegisterKey {
    /// The key that signs SSAs.
    pub key: SigningKey,
    /// Where the suite serves the Register's JWKS, if it does.
    pub jwks_host: Option<Host>,
}

/// A listener the suite runs, and the URL others reach it at.
#[derive(Debug, Clone)]
pub struct Host {
    /// Address to bind.
    pub bind: SocketAddr,
    /// Public URL; its path is where the document is served.
    pub public_url: url::Url,
}

/// Where a recipient's JWKS is.
#[derive(Debug, Clone)]
pub enum Jwks {
    /// Published by the recipient already.
    Published(String),
    /// Served by the suite during the run.
    Served(Host),
}

impl Jwks {
    /// The `jwks_uri` the holder fetches.
    pub fn uri(&self) -> String {
        match self {
            Jwks::Published(uri) => uri.clone(),
            Jwks::Served(host) => host.public_url.to_string(),
        }
    }
}

/// How a recipient obtains its software statement.
#[derive(Debug, Clone)]
pub enum SsaSource {
    /// A compact JWT read from the file (or given through the environment).
    Fixed(String),
    /// A command whose standard output is the SSA.
    Command(Vec<String>),
    /// The CDR Register's Get Software Statement Assertion endpoint.
    RegisterApi {
        /// The Register's token endpoint (private_key_jwt, client credentials).
        token_endpoint: String,
        /// The SSA endpoint (brand and software product in the path).
        ssa_endpoint: String,
        /// The recipient's client id at the Register (its brand id).
        client_id: String,
        /// CA bundle for the Register's TLS, if not the holder's.
        ca_pem: Option<String>,
        /// Scope requested.
        scope: String,
    },
}

/// One recipient as the target file provides it.
pub struct TargetRecipient {
    /// "A" or "B".
    pub name: String,
    /// Transport certificate chain and key (PEM), the form reqwest takes.
    pub identity_pem: String,
    /// RFC 8705 thumbprint of the certificate.
    pub thumbprint: String,
    /// The certificate's subject, an RFC 4514 string.
    pub subject_dn: String,
    /// The certificate as a `use` = `tls` key with `x5c`, added to the JWKS the suite serves
    /// for the recipient (an OB Directory software JWKS publishes its transport certificates).
    pub transport_jwk: Option<serde_json::Value>,
    /// Request-signing key.
    pub key: SigningKey,
    /// Where its JWKS is.
    pub jwks: Jwks,
    /// How it obtains its SSA (None when the suite mints them with the Register's key).
    pub ssa: Option<SsaSource>,
}

impl std::fmt::Debug for TargetRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetRecipient")
            .field("name", &self.name)
            .field("thumbprint", &self.thumbprint)
            .field("key", &self.key)
            .field("jwks", &self.jwks)
            .finish_non_exhaustive()
    }
}

/// Problems found in a target file, one per line, each naming its field.
#[derive(Debug)]
pub struct TargetError {
    /// The file.
    pub path: PathBuf,
    /// `field: what is wrong; what is expected`.
    pub problems: Vec<String>,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "target file {} is not usable:\n  {}",
            self.path.display(),
            self.problems.join("\n  ")
        )
    }
}

impl std::error::Error for TargetError {}

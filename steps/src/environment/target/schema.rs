//! The target file as written: its sections, deserialised after `${ENV}` expansion with
//! unknown fields refused (serde reports the field path).

use serde::Deserialize;

/// The file as written (after `${ENV}` expansion).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub(super) name: String,
    pub(super) holder: HolderSection,
    pub(super) tls: TlsSection,
    /// The SSA issuer the suite acts for: the CDR Register, or (`directory:`, the same keys)
    /// the UK Open Banking Directory.
    #[serde(default, alias = "directory")]
    pub(super) register: Option<RegisterSection>,
    pub(super) recipients: Vec<RecipientSection>,
    #[serde(default)]
    pub(super) run: RunSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HolderSection {
    pub(super) discovery_url: String,
    #[serde(default)]
    pub(super) registration_endpoint: Option<String>,
    #[serde(default = "yes")]
    pub(super) supports_read: bool,
    #[serde(default = "yes")]
    pub(super) supports_update: bool,
    #[serde(default = "yes")]
    pub(super) supports_delete: bool,
    #[serde(default)]
    pub(super) registration_aud: Option<String>,
    #[serde(default)]
    pub(super) clock_skew_seconds: Option<u64>,
    #[serde(default)]
    pub(super) token_lifetime_seconds: Option<u64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TlsSection {
    pub(super) ca_bundle: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterSection {
    pub(super) signing_key: KeySection,
    #[serde(default)]
    pub(super) jwks_host: Option<HostSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeySection {
    #[serde(default)]
    pub(super) jwk: Option<String>,
    #[serde(default)]
    pub(super) pem: Option<String>,
    #[serde(default)]
    pub(super) kid: Option<String>,
    #[serde(default)]
    pub(super) alg: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HostSection {
    pub(super) bind: String,
    pub(super) public_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RecipientSection {
    pub(super) name: String,
    pub(super) certificate: String,
    pub(super) private_key: String,
    pub(super) signing_key: KeySection,
    pub(super) jwks: JwksSection,
    #[serde(default)]
    pub(super) ssa: Option<SsaSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JwksSection {
    #[serde(default)]
    pub(super) uri: Option<String>,
    #[serde(default)]
    pub(super) serve: Option<HostSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SsaSection {
    #[serde(default)]
    pub(super) file: Option<String>,
    #[serde(default)]
    pub(super) command: Option<Vec<String>>,
    #[serde(default)]
    pub(super) register_api: Option<RegisterApiSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterApiSection {
    pub(super) token_endpoint: String,
    pub(super) ssa_endpoint: String,
    pub(super) client_id: String,
    #[serde(default)]
    pub(super) ca_bundle: Option<String>,
    #[serde(default = "register_scope")]
    pub(super) scope: String,
}

fn register_scope() -> String {
    "cdr-register:read".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunSection {
    #[serde(default)]
    pub(super) profile: Option<String>,
    #[serde(default)]
    pub(super) concurrency: Option<u16>,
    #[serde(default)]
    pub(super) requests_per_second: Option<f64>,
    #[serde(default)]
    pub(super) timeout_seconds: Option<u64>,
    #[serde(default = "default_token_wait")]
    pub(super) max_token_wait_seconds: u64,
}

impl Default for RunSection {
    fn default() -> Self {
        Self {
            profile: None,
            concurrency: None,
            requests_per_second: None,
            timeout_seconds: None,
            max_token_wait_seconds: default_token_wait(),
        }
    }
}

fn default_token_wait() -> u64 {
    30
}

//! Runtime settings of a holder instance, after the config file (or the embedding program)
//! has been resolved: addresses, TLS material, the Register's JWKS URL, limits and clocks, and
//! the behaviour selected at start-up (the flavour emulated, a defect, variations).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::defect::Defect;
use crate::flavour::Flavour;
use crate::limits::ConnectionLimits;
use crate::tls::TlsMaterial;
use crate::variation::Variation;

// The defaults, written once: `Settings::new` and the config file's serde defaults
// (`crate::config`) both take them from here.

/// Allowed clock difference for `iat`/`exp`/`nbf` checks (MDH22's; MAS uses 0).
pub(crate) const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Access token lifetime.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(600);
/// Whole-exchange timeout of a JWKS fetch.
pub(crate) const DEFAULT_JWKS_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest JWKS document accepted.
pub(crate) const DEFAULT_JWKS_MAX_BYTES: usize = 256 * 1024;
/// How long a fetched JWKS is trusted.
pub(crate) const DEFAULT_JWKS_CACHE_TTL: Duration = Duration::from_secs(300);
/// Largest accepted request body.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest remaining lifetime accepted for a JWT's `exp` (SSA, registration request, client
/// assertion): CDR Register SSAs live 10 minutes, requests and assertions minutes. One day
/// leaves room for any real sender, and bounds replay-cache entries.
pub(crate) const DEFAULT_MAX_JWT_LIFETIME: Duration = Duration::from_secs(86_400);
/// JARM response encryption is supported (and advertised) unless switched off.
pub(crate) const DEFAULT_JARM_ENCRYPTION: bool = true;
/// WSO2 OB 2.0 ships `ssa_signature_validation.enable=false` (wso2-flavours §3).
pub(crate) const DEFAULT_SSA_SIGNATURE_VALIDATION: bool = false;

/// WSO2 Accelerator 3.x ships `append_registration_attributes_in_response = false`
/// (wso2-flavours §2 "registration_access_token").
pub(crate) const DEFAULT_APPEND_REGISTRATION_ATTRIBUTES: bool = false;

/// The holder's OB Directory organisation id, an accepted `aud` of UK registration requests
/// (uk-dcr.md §2.2 `aud`: the ASPSP's id "as issued by the SSA issuer", 18-char Base62).
pub(crate) const DEFAULT_OB_ORGANISATION_ID: &str = "0015800001MockHAAX";
/// The oldest OB Directory SSA accepted, by its `iat` (OB SSAs have no `exp`; uk-dcr.md §3.2
/// item 4: the DIR's example window for manual registration is 30 minutes).
pub(crate) const DEFAULT_SSA_MAX_AGE: Duration = Duration::from_secs(30 * 60);

/// Which of the optional registration management operations the holder serves (UK DCR makes
/// GET, PUT and DELETE "wholly optional", uk-dcr.md §1.1, UK-REQ-070/071). An operation
/// switched off is answered 405 with an `Allow` header naming the ones left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operations {
    /// `GET {registration path}/{ClientId}`.
    pub get: bool,
    /// `PUT {registration path}/{ClientId}`.
    pub put: bool,
    /// `DELETE {registration path}/{ClientId}`.
    pub delete: bool,
}

impl Default for Operations {
    fn default() -> Self {
        Self {
            get: true,
            put: true,
            delete: true,
        }
    }
}

/// Scopes the mock holder supports; SSA scopes outside this set are dropped (CDS: a holder MUST
/// ignore unsupported scopes in the SSA).
pub(crate) const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "cdr:registration",
    "common:customer.basic:read",
    "common:customer.detail:read",
    "bank:accounts.basic:read",
    "bank:accounts.detail:read",
    "bank:transactions:read",
    "bank:regular_payments:read",
    "bank:payees:read",
    "energy:accounts.basic:read",
    "energy:accounts.detail:read",
    "energy:billing:read",
];

/// Everything a holder instance needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address of the public (server-authenticated TLS) listener: discovery and JWKS.
    pub public_addr: SocketAddr,
    /// Address of the mutual-TLS listener: token and registration endpoints.
    pub mtls_addr: SocketAddr,
    /// Public base URL (the issuer); derived from the bound address when absent.
    pub public_base_url: Option<String>,
    /// mTLS base URL; derived from the bound address when absent.
    pub mtls_base_url: Option<String>,
    /// TLS material for both listeners.
    pub tls: TlsMaterial,
    /// The JWKS that verifies SSAs: the CDR Register's (CDS and WSO2 flavours), the OB
    /// Directory keystore (UK flavours).
    pub register_jwks_uri: String,
    /// SQLite database file, or `:memory:`.
    pub database: PathBuf,
    /// Allowed clock difference for `iat`/`exp`/`nbf` checks.
    pub clock_skew: Duration,
    /// Lifetime of access tokens issued for `cdr:registration`.
    pub token_lifetime: Duration,
    /// Timeout for outbound JWKS fetches.
    pub jwks_timeout: Duration,
    /// Size limit for outbound JWKS documents.
    pub jwks_max_bytes: usize,
    /// How long a fetched JWKS is trusted before it is fetched again.
    pub jwks_cache_ttl: Duration,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Scopes the holder supports.
    pub supported_scopes: Vec<String>,
    /// Whether the holder supports JARM response encryption (CDS: optional for holders). Only
    /// the CDS flavours know JARM; the WSO2 ones ignore its members whatever this says.
    pub jarm_encryption: bool,
    /// The DCR flavour emulated ([`Flavour::CdsAu`] unless set): paths, validation, response
    /// shape, error wording (see `mock-holder/README.md`, "Flavours").
    pub flavour: Flavour,
    /// WSO2 OB 2.0's switch `ssa_signature_validation.enable` (default off, as shipped): verify
    /// the SSA's signature with the Register's JWKS. Only flavour `wso2-ob20-au-0.1` has it;
    /// [`crate::start`] refuses it for another flavour.
    pub ssa_signature_validation: bool,
    /// WSO2 Accelerator 3.x's switch `[open_banking.dcr] append_registration_attributes_in_response`
    /// (default off, as shipped): POST answers add a fresh `registration_access_token` and
    /// `registration_client_uri`. Only flavour `wso2-accelerator-3` has it; [`crate::start`]
    /// refuses it for another flavour.
    pub append_registration_attributes_in_response: bool,
    /// A behaviour deliberately broken (see [`Defect`]); `None` for a correct holder.
    pub defect: Option<Defect>,
    /// Behaviours the standards allow that the holder does not show by default (see
    /// [`Variation`]), any compatible set; empty for the default behaviour. [`crate::start`]
    /// refuses a set that does not fit the flavour or holds two incompatible variations.
    pub variations: Vec<Variation>,
    /// Longest remaining lifetime accepted for a JWT: an `exp` further than this (plus the
    /// skew) beyond now is refused.
    pub max_jwt_lifetime: Duration,
    /// Connection limits and timeouts of both listeners.
    pub connections: ConnectionLimits,
    /// The holder's OB Directory organisation id (UK flavours): a registration request's
    /// `aud` may be it or the issuer URL.
    pub ob_organisation_id: String,
    /// The oldest OB Directory SSA accepted, measured from its `iat` (UK flavours).
    pub ssa_max_age: Duration,
    /// The registration management operations served (all by default).
    pub operations: Operations,
}

impl Settings {
    /// Settings with the defaults for everything but the addresses, TLS and Register: flavour
    /// `cds-au`, no defect. The database is in memory (the standalone binary's config file
    /// defaults to a file).
    pub fn new(
        public_addr: SocketAddr,
        mtls_addr: SocketAddr,
        tls: TlsMaterial,
        register_jwks_uri: String,
    ) -> Self {
        Self {
            public_addr,
            mtls_addr,
            public_base_url: None,
            mtls_base_url: None,
            tls,
            register_jwks_uri,
            database: PathBuf::from(":memory:"),
            clock_skew: DEFAULT_CLOCK_SKEW,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            jwks_timeout: DEFAULT_JWKS_TIMEOUT,
            jwks_max_bytes: DEFAULT_JWKS_MAX_BYTES,
            jwks_cache_ttl: DEFAULT_JWKS_CACHE_TTL,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            supported_scopes: default_scopes(),
            jarm_encryption: DEFAULT_JARM_ENCRYPTION,
            flavour: Flavour::CdsAu,
            ssa_signature_validation: DEFAULT_SSA_SIGNATURE_VALIDATION,
            append_registration_attributes_in_response: DEFAULT_APPEND_REGISTRATION_ATTRIBUTES,
            defect: None,
            variations: Vec::new(),
            max_jwt_lifetime: DEFAULT_MAX_JWT_LIFETIME,
            connections: ConnectionLimits::default(),
            ob_organisation_id: DEFAULT_OB_ORGANISATION_ID.to_string(),
            ssa_max_age: DEFAULT_SSA_MAX_AGE,
            operations: Operations::default(),
        }
    }
}

/// [`DEFAULT_SCOPES`], owned.
pub(crate) fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
}

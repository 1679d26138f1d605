//! The standalone holder's config file (YAML), validated up front so that a mistake is reported
//! with the field's name and what is expected, before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::defect::Defect;
use crate::flavour::{Flavour, Policy};
use crate::limits::ConnectionLimits;
use crate::settings::{self, Operations, Settings};
use crate::tls::TlsMaterial;
use crate::variation::Variation;

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listen addresses.
    pub(crate) listen: Listen,
    /// Public base URL (the issuer); default `https://<listen.public>`.
    pub(crate) public_base_url: Option<String>,
    /// mTLS base URL; default `https://<listen.mtls>`.
    pub(crate) mtls_base_url: Option<String>,
    /// TLS files, or a directory to generate a test PKI into.
    pub(crate) tls: TlsFiles,
    /// The CDR Register's JWKS URL.
    pub(crate) register_jwks_uri: String,
    /// SQLite database path (default `mock-holder.db`).
    #[serde(default = "default_db")]
    pub(crate) database: PathBuf,
    /// Allowed clock difference in seconds (default 60).
    #[serde(default = "default_skew")]
    pub(crate) clock_skew_seconds: u64,
    /// Access token lifetime in seconds (default 600).
    #[serde(default = "default_token_lifetime")]
    pub(crate) token_lifetime_seconds: u64,
    /// Outbound JWKS fetch timeout in milliseconds (default 3000; 1..=60000).
    #[serde(default = "default_jwks_timeout")]
    pub(crate) jwks_timeout_ms: u64,
    /// Largest JWKS document accepted from the Register or a recipient, in bytes (default
    /// 262144; 1024..=16777216).
    #[serde(default = "default_jwks_max_bytes")]
    pub(crate) jwks_max_bytes: usize,
    /// How long a fetched JWKS is trusted before it is fetched again, in seconds (default 300;
    /// 0..=86400). An unknown `kid` always triggers one refresh.
    #[serde(default = "default_jwks_cache")]
    pub(crate) jwks_cache_seconds: u64,
    /// Largest accepted request body in bytes (default 65536; 1024..=10485760).
    #[serde(default = "default_max_body")]
    pub(crate) max_body_bytes: usize,
    /// Scopes the holder supports (default: the CDS scopes of `settings::DEFAULT_SCOPES`); SSA
    /// scopes outside this list are dropped. Must contain `cdr:registration`.
    #[serde(default = "settings::default_scopes")]
    pub(crate) supported_scopes: Vec<String>,
    /// Whether JARM response encryption is supported and advertised (default true).
    #[serde(default = "default_jarm_encryption")]
    pub(crate) jarm_encryption: bool,
    /// The DCR flavour to emulate, by name (default `cds-au`); `--flavour` overrides it.
    pub(crate) flavour: Option<String>,
    /// WSO2 OB 2.0's SSA signature switch (default false, as shipped); only for flavour
    /// `wso2-ob20-au-0.1`.
    #[serde(default = "default_ssa_signature_validation")]
    pub(crate) ssa_signature_validation: bool,
    /// WSO2 Accelerator 3.x's `append_registration_attributes_in_response` (default false, as
    /// shipped); only for flavour `wso2-accelerator-3`.
    #[serde(default = "default_append_registration_attributes")]
    pub(crate) append_registration_attributes_in_response: bool,
    /// A defect to start with, by name (see `defects.yaml`): the holder then breaks one rule on
    /// purpose. Absent (the default) for a correct holder.
    pub(crate) defect: Option<String>,
    /// Variations to start with, by name (see `variations.yaml`): behaviours the standards
    /// allow that the holder does not show by default. Empty (the default) for the default
    /// behaviour; `--variation` adds to it.
    #[serde(default)]
    pub(crate) variations: Vec<String>,
    /// Longest remaining lifetime accepted for a JWT's `exp`, in seconds (default 86400;
    /// 60..=31536000).
    #[serde(default = "default_max_jwt_lifetime")]
    pub(crate) max_jwt_lifetime_seconds: u64,
    /// Connection limits and timeouts (see [`ConnectionsFile`]).
    #[serde(default)]
    pub(crate) connections: ConnectionsFile,
    /// UK flavours: the holder's OB Directory organisation id, accepted as a registration
    /// request's `aud` beside the issuer URL (default `0015800001MockHAAX`; 1 to 35
    /// characters 0-9 a-z A-Z).
    #[serde(default = "default_ob_organisation_id")]
    pub(crate) ob_organisation_id: String,
    /// UK flavours: the oldest OB Directory SSA accepted, in seconds after its `iat`
    /// (default 1800; 60..=86400).
    #[serde(default = "default_ssa_max_age")]
    pub(crate) ssa_max_age_seconds: u64,
    /// The registration management operations served (see [`OperationsFile`]).
    #[serde(default)]
    pub(crate) operations: OperationsFile,
}

/// The `operations` block: which of GET, PUT and DELETE `{registration path}/{ClientId}` the
/// holder serves (each default true); one switched off is answered 405.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OperationsFile {
    /// Serve GET (default true).
    pub(crate) get: bool,
    /// Serve PUT (default true).
    pub(crate) put: bool,
    /// Serve DELETE (default true).
    pub(crate) delete: bool,
}

impl Default for OperationsFile {
    fn default() -> Self {
        let d = Operations::default();
        Self {
            get: d.get,
            put: d.put,
            delete: d.delete,
        }
    }
}

/// The `connections` block: limits and timeouts of both listeners, each optional (default:
/// those of [`ConnectionLimits::default`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ConnectionsFile {
    /// Most connections open at once per listener (default 1024; 1..=1000000).
    pub(crate) max_connections: usize,
    /// TLS handshake timeout in milliseconds (default 10000).
    pub(crate) tls_handshake_timeout_ms: u64,
    /// Time to receive an HTTP/1.1 request head, in milliseconds (default 10000).
    pub(crate) header_read_timeout_ms: u64,
    /// Time from a request's head to its response, in milliseconds (default 30000).
    pub(crate) request_timeout_ms: u64,
    /// A connection without a request in progress and without traffic is closed after this
    /// many milliseconds (default 60000).
    pub(crate) idle_timeout_ms: u64,
    /// HTTP/2 streams in progress at once per connection (default 128; 1..=10000).
    pub(crate) http2_max_concurrent_streams: u32,
    /// Largest HTTP/2 header list in bytes (default 16384; 1024..=1048576).
    pub(crate) http2_max_header_list_bytes: u32,
}

impl Default for ConnectionsFile {
    fn default() -> Self {
        let d = ConnectionLimits::default();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self {
            max_connections: d.max_connections,
            tls_handshake_timeout_ms: ms(d.tls_handshake_timeout),
            header_read_timeout_ms: ms(d.header_read_timeout),
            request_timeout_ms: ms(d.request_timeout),
            idle_timeout_ms: ms(d.idle_timeout),
            http2_max_concurrent_streams: d.http2_max_concurrent_streams,
            http2_max_header_list_bytes: d.http2_max_header_list_bytes,
        }
    }
}

impl ConnectionsFile {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            tls_handshake_timeout: Duration::from_millis(self.tls_handshake_timeout_ms),
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            http2_max_concurrent_streams: self.http2_max_concurrent_streams,
            http2_max_header_list_bytes: self.http2_max_header_list_bytes,
        }
    }
}

/// Listen addresses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Listen {
    /// Public listener (discovery, JWKS).
    pub(crate) public: SocketAddr,
    /// mTLS listener (registration, token).
    pub(crate) mtls: SocketAddr,
}

/// TLS files: either all of `ca`, `cert`, `key`, or `generate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsFiles {
    /// CA bundle trusted for client certificates.
    pub(crate) ca: Option<PathBuf>,
    /// Server certificate chain.
    pub(crate) cert: Option<PathBuf>,
    /// Server private key.
    pub(crate) key: Option<PathBuf>,
    /// Generate a test PKI into this directory instead (reused if the directory already holds
    /// one, so restarts keep the same CA and certificates).
    pub(crate) generate: Option<PathBuf>,
}

// Defaults of the file's fields: those of `Settings::new` (crate::settings), in the file's
// units; only the database differs (a file here, in memory for an embedded holder).

fn default_db() -> PathBuf {
    PathBuf::from("mock-holder.db")
}
fn default_skew() -> u64 {
    settings::DEFAULT_CLOCK_SKEW.as_secs()
}
fn default_token_lifetime() -> u64 {
    settings::DEFAULT_TOKEN_LIFETIME.as_secs()
}
fn default_jwks_timeout() -> u64 {
    settings::DEFAULT_JWKS_TIMEOUT.as_millis() as u64
}
fn default_jwks_max_bytes() -> usize {
    settings::DEFAULT_JWKS_MAX_BYTES
}
fn default_jwks_cache() -> u64 {
    settings::DEFAULT_JWKS_CACHE_TTL.as_secs()
}
fn default_max_body() -> usize {
    settings::DEFAULT_MAX_BODY_BYTES
}
fn default_jarm_encryption() -> bool {
    settings::DEFAULT_JARM_ENCRYPTION
}
fn default_ssa_signature_validation() -> bool {
    settings::DEFAULT_SSA_SIGNATURE_VALIDATION
}
fn default_append_registration_attributes() -> bool {
    settings::DEFAULT_APPEND_REGISTRATION_ATTRIBUTES
}
fn default_max_jwt_lifetime() -> u64 {
    settings::DEFAULT_MAX_JWT_LIFETIME.as_secs()
}
fn default_ob_organisation_id() -> String {
    settings::DEFAULT_OB_ORGANISATION_ID.to_string()
}
fn default_ssa_max_age() -> u64 {
    settings::DEFAULT_SSA_MAX_AGE.as_secs()
}

/// Fails with "`field`: must be between `min` and `max` `unit`, got `value`".
fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
    unit: &str,
) -> anyhow::Result<()> {
    if value < min || value > max {
        bail!("{field}: must be between {min} and {max} {unit}, got {value}");
    }
    Ok(())
}

impl Config {
    /// Reads and validates the file at `path`.
    ///
    /// # Errors
    /// Names the file, the field and what is expected.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let config: Self = serde_yaml::from_str(&text)
            .with_context(|| format!("config file {}", path.display()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        match url::Url::parse(&self.register_jwks_uri) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => bail!(
                "register_jwks_uri: expected an absolute http(s) URL, got {:?}",
                self.register_jwks_uri
            ),
        }
        for (name, value) in [
            ("public_base_url", &self.public_base_url),
            ("mtls_base_url", &self.mtls_base_url),
        ] {
            if let Some(v) = value
                && !url::Url::parse(v).is_ok_and(|u| u.scheme() == "https")
            {
                bail!("{name}: expected an absolute https URL, got {v:?}");
            }
        }
        if self.database.as_os_str().is_empty() {
            bail!("database: give a file path (e.g. mock-holder.db) or :memory:");
        }
        in_range(
            "clock_skew_seconds",
            self.clock_skew_seconds,
            0,
            600,
            "seconds",
        )?;
        in_range(
            "token_lifetime_seconds",
            self.token_lifetime_seconds,
            1,
            86_400,
            "seconds",
        )?;
        in_range(
            "jwks_timeout_ms",
            self.jwks_timeout_ms,
            1,
            60_000,
            "milliseconds",
        )?;
        in_range(
            "jwks_max_bytes",
            self.jwks_max_bytes,
            1024,
            16 << 20,
            "bytes",
        )?;
        in_range(
            "jwks_cache_seconds",
            self.jwks_cache_seconds,
            0,
            86_400,
            "seconds",
        )?;
        in_range(
            "max_body_bytes",
            self.max_body_bytes,
            1024,
            10 << 20,
            "bytes",
        )?;
        in_range(
            "max_jwt_lifetime_seconds",
            self.max_jwt_lifetime_seconds,
            60,
            31_536_000,
            "seconds",
        )?;
        self.connections
            .limits()
            .check("connections.")
            .map_err(anyhow::Error::msg)?;
        if let Some(bad) = self
            .supported_scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            bail!("supported_scopes: each entry is one scope without spaces, got {bad:?}");
        }
        in_range(
            "ssa_max_age_seconds",
            self.ssa_max_age_seconds,
            60,
            86_400,
            "seconds",
        )?;
        let id = &self.ob_organisation_id;
        if id.is_empty() || id.len() > 35 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!(
                "ob_organisation_id: expected 1 to 35 characters 0-9 a-z A-Z (an OB Directory organisation id such as 0015800001MockHAAX), got {id:?}"
            );
        }
        self.parsed_defect()?;
        let flavour = self.parsed_flavour()?;
        let policy = Policy::new(flavour, self.ssa_signature_validation)
            .and_then(|p| {
                p.with_registration_attributes(self.append_registration_attributes_in_response)
            })
            .map_err(anyhow::Error::msg)?;
        if let Some(scope) = policy.management.scope
            && !policy.token.always_grantable.contains(&scope)
            && !self.supported_scopes.iter().any(|s| s == scope)
        {
            bail!(
                "supported_scopes: must contain {scope} (registration management needs it); add it to the list"
            );
        }
        Variation::check_set(&self.parsed_variations()?, flavour)
            .map_err(|e| anyhow::anyhow!("variations: {e}; remove one of them"))?;
        let t = &self.tls;
        match (&t.ca, &t.cert, &t.key, &t.generate) {
            (Some(_), Some(_), Some(_), None) | (None, None, None, Some(_)) => Ok(()),
            _ => bail!(
                "tls: give either all of tls.ca, tls.cert and tls.key, or only tls.generate (a directory)"
            ),
        }
    }

    /// The `defect` field, parsed.
    ///
    /// # Errors
    /// Names the field and lists the defects when the name is unknown.
    pub(crate) fn parsed_defect(&self) -> anyhow::Result<Option<Defect>> {
        self.defect
            .as_deref()
            .map(|name| {
                name.parse::<Defect>()
                    .map_err(|e| anyhow::anyhow!("defect: {e}"))
            })
            .transpose()
    }

    /// The `variations` field, parsed.
    ///
    /// # Errors
    /// Names the field and lists the variations when a name is unknown.
    pub(crate) fn parsed_variations(&self) -> anyhow::Result<Vec<Variation>> {
        let mut out: Vec<Variation> = Vec::new();
        for name in &self.variations {
            let v = name
                .parse::<Variation>()
                .map_err(|e| anyhow::anyhow!("variations: {e}"))?;
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The `flavour` field, parsed (`cds-au` when absent).
    ///
    /// # Errors
    /// Names the field and lists the flavours when the name is unknown.
    pub(crate) fn parsed_flavour(&self) -> anyhow::Result<Flavour> {
        self.flavour
            .as_deref()
            .map_or(Ok(Flavour::default()), |name| {
                name.parse::<Flavour>()
                    .map_err(|e| anyhow::anyhow!("flavour: {e}"))
            })
    }

    /// Resolves the config into runtime settings, generating the test PKI if asked to.
    ///
    /// # Errors
    /// Fails when a TLS file cannot be read or the PKI cannot be written.
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        let defect = self.parsed_defect()?;
        let flavour = self.parsed_flavour()?;
        let variations = self.parsed_variations()?;
        let tls = match (
            &self.tls.generate,
            &self.tls.ca,
            &self.tls.cert,
            &self.tls.key,
        ) {
            (Some(dir), ..) if dir.join("ca.pem").exists() => {
                // Reuse the PKI generated by an earlier start, so clients holding its CA and
                // client certificates keep working across restarts.
                let read = |name: &str| {
                    let p = dir.join(name);
                    std::fs::read_to_string(&p).with_context(|| {
                        format!(
                            "tls.generate: cannot read {} (delete the directory to generate a new PKI)",
                            p.display()
                        )
                    })
                };
                TlsMaterial {
                    client_ca_pem: read("ca.pem")?,
                    cert_pem: read("server.pem")?,
                    key_pem: read("server.key")?,
                }
            }
            (Some(dir), ..) => {
                let pki = dcr_vectors::TestPki::generate(&[])?;
                pki.write_to_dir(dir)?;
                eprintln!(
                    "mock-holder: generated a test PKI in {} (trust ca.pem; client-a.pem/.key is a client certificate)",
                    dir.display()
                );
                TlsMaterial {
                    client_ca_pem: pki.ca.cert_pem,
                    cert_pem: pki.server.cert_pem,
                    key_pem: pki.server.key_pem,
                }
            }
            (None, Some(ca), Some(cert), Some(key)) => {
                let read = |field: &str, p: &Path| {
                    std::fs::read_to_string(p)
                        .with_context(|| format!("tls.{field}: cannot read {}", p.display()))
                };
                TlsMaterial {
                    client_ca_pem: read("ca", ca)?,
                    cert_pem: read("cert", cert)?,
                    key_pem: read("key", key)?,
                }
            }
            _ => {
                bail!("tls: give either all of tls.ca, tls.cert and tls.key, or only tls.generate")
            }
        };
        let mut s = Settings::new(
            self.listen.public,
            self.listen.mtls,
            tls,
            self.register_jwks_uri,
        );
        s.public_base_url = self.public_base_url;
        s.mtls_base_url = self.mtls_base_url;
        s.database = self.database;
        s.clock_skew = Duration::from_secs(self.clock_skew_seconds);
        s.token_lifetime = Duration::from_secs(self.token_lifetime_seconds);
        s.jwks_timeout = Duration::from_millis(self.jwks_timeout_ms);
        s.jwks_max_bytes = self.jwks_max_bytes;
        s.jwks_cache_ttl = Duration::from_secs(self.jwks_cache_seconds);
        s.max_body_bytes = self.max_body_bytes;
        s.supported_scopes = self.supported_scopes;
        s.jarm_encryption = self.jarm_encryption;
        s.flavour = flavour;
        s.ssa_signature_validation = self.ssa_signature_validation;
        s.append_registration_attributes_in_response =
            self.append_registration_attributes_in_response;
        s.defect = defect;
        s.variations = variations;
        s.max_jwt_lifetime = Duration::from_secs(self.max_jwt_lifetime_seconds);
        s.connections = self.connections.limits();
        s.ob_organisation_id = self.ob_organisation_id;
        s.ssa_max_age = Duration::from_secs(self.ssa_max_age_seconds);
        s.operations = Operations {
            get: self.operations.get,
            put: self.operations.put,
            delete: self.operations.delete,
        };
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const GOOD: &str = "listen: {public: '127.0.0.1:0', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://127.0.0.1:1/jwks\n";

    #[test]
    fn a_minimal_config_parses() {
        let c: Config = serde_yaml::from_str(GOOD).expect("parse");
        c.check().expect("valid");
        assert_eq!(c.clock_skew_seconds, 60);
        assert_eq!(
            c.database,
            PathBuf::from("mock-holder.db"),
            "a file by default"
        );
        assert_eq!(c.max_body_bytes, 65536);
        assert!(c.jarm_encryption);
    }

    #[test]
    fn the_file_s_defaults_are_the_settings_defaults() {
        let c: Config = serde_yaml::from_str(GOOD).expect("parse");
        let dir = std::env::temp_dir().join(format!("mh-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            tls: TlsFiles {
                generate: Some(dir.clone()),
                ..c.tls
            },
            ..c
        };
        let from_file = c.into_settings().expect("settings");
        let embedded = Settings::new(
            from_file.public_addr,
            from_file.mtls_addr,
            from_file.tls.clone(),
            from_file.register_jwks_uri.clone(),
        );
        assert_eq!(from_file.clock_skew, embedded.clock_skew);
        assert_eq!(from_file.token_lifetime, embedded.token_lifetime);
        assert_eq!(from_file.jwks_timeout, embedded.jwks_timeout);
        assert_eq!(from_file.jwks_max_bytes, embedded.jwks_max_bytes);
        assert_eq!(from_file.jwks_cache_ttl, embedded.jwks_cache_ttl);
        assert_eq!(from_file.max_body_bytes, embedded.max_body_bytes);
        assert_eq!(from_file.supported_scopes, embedded.supported_scopes);
        assert_eq!(from_file.jarm_encryption, embedded.jarm_encryption);
        assert_eq!(from_file.defect, embedded.defect);
        assert_eq!(from_file.flavour, embedded.flavour);
        assert_eq!(from_file.flavour, Flavour::CdsAu);
        assert_eq!(
            from_file.ssa_signature_validation,
            embedded.ssa_signature_validation
        );
        assert_eq!(
            from_file.append_registration_attributes_in_response,
            embedded.append_registration_attributes_in_response
        );
        assert_eq!(from_file.max_jwt_lifetime, embedded.max_jwt_lifetime);
        assert_eq!(from_file.connections, embedded.connections);
        assert_eq!(from_file.ob_organisation_id, embedded.ob_organisation_id);
        assert_eq!(from_file.ssa_max_age, embedded.ssa_max_age);
        assert_eq!(from_file.operations, embedded.operations);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn every_option_reaches_the_settings() {
        let yaml = format!(
            "{GOOD}jwks_timeout_ms: 250\njwks_max_bytes: 2048\njwks_cache_seconds: 5\nmax_body_bytes: 4096\nsupported_scopes: [openid, cdr:registration]\njarm_encryption: false\nclock_skew_seconds: 0\ntoken_lifetime_seconds: 30\nmax_jwt_lifetime_seconds: 600\nconnections: {{max_connections: 7, tls_handshake_timeout_ms: 100, header_read_timeout_ms: 200, request_timeout_ms: 300, idle_timeout_ms: 400, http2_max_concurrent_streams: 5, http2_max_header_list_bytes: 4096}}\n"
        );
        let c: Config = serde_yaml::from_str(&yaml).expect("parse");
        c.check().expect("valid");
        let dir = std::env::temp_dir().join(format!("mh-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            tls: TlsFiles {
                generate: Some(dir.clone()),
                ..c.tls
            },
            ..c
        };
        let s = c.into_settings().expect("settings");
        assert_eq!(s.jwks_timeout, Duration::from_millis(250));
        assert_eq!(s.jwks_max_bytes, 2048);
        assert_eq!(s.jwks_cache_ttl, Duration::from_secs(5));
        assert_eq!(s.max_body_bytes, 4096);
        assert_eq!(s.supported_scopes, vec!["openid", "cdr:registration"]);
        assert!(!s.jarm_encryption);
        assert_eq!(s.clock_skew, Duration::ZERO);
        assert_eq!(s.token_lifetime, Duration::from_secs(30));
        assert_eq!(s.defect, None, "no defect unless one is named");
        assert_eq!(s.max_jwt_lifetime, Duration::from_secs(600));
        assert_eq!(
            s.connections,
            ConnectionLimits {
                max_connections: 7,
                tls_handshake_timeout: Duration::from_millis(100),
                header_read_timeout: Duration::from_millis(200),
                request_timeout: Duration::from_millis(300),
                idle_timeout: Duration::from_millis(400),
                http2_max_concurrent_streams: 5,
                http2_max_header_list_bytes: 4096,
            }
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_named_defect_reaches_the_settings_and_an_unknown_one_lists_the_defects() {
        let c: Config =
            serde_yaml::from_str(&format!("{GOOD}defect: accept-expired-ssa\n")).expect("parse");
        c.check().expect("valid");
        assert_eq!(
            c.parsed_defect().expect("known"),
            Some(Defect::AcceptExpiredSsa)
        );
        let c: Config = serde_yaml::from_str(&format!("{GOOD}defect: nope\n")).expect("parse");
        let err = c.check().expect_err("unknown").to_string();
        assert!(
            err.starts_with("defect: unknown defect \"nope\"") && err.contains("skip-jti-replay"),
            "{err}"
        );
    }

    #[test]
    fn the_uk_settings_reach_the_settings_and_need_no_cdr_registration_scope() {
        let yaml = format!(
            "{GOOD}flavour: uk-obie-3.3\nsupported_scopes: [openid]\nob_organisation_id: 0015800001ABCDEAAX\nssa_max_age_seconds: 60\noperations: {{put: false}}\n"
        );
        let c: Config = serde_yaml::from_str(&yaml).expect("parse");
        c.check().expect("valid");
        let dir = std::env::temp_dir().join(format!("mh-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            tls: TlsFiles {
                generate: Some(dir.clone()),
                ..c.tls
            },
            ..c
        };
        let s = c.into_settings().expect("settings");
        assert_eq!(s.flavour, Flavour::UkObie33);
        assert_eq!(s.ob_organisation_id, "0015800001ABCDEAAX");
        assert_eq!(s.ssa_max_age, Duration::from_secs(60));
        assert_eq!(
            s.operations,
            Operations {
                get: true,
                put: false,
                delete: true
            }
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_accelerator_switch_reaches_the_settings() {
        let yaml = format!(
            "{GOOD}flavour: wso2-accelerator-3\nappend_registration_attributes_in_response: true\n"
        );
        let c: Config = serde_yaml::from_str(&yaml).expect("parse");
        c.check()
            .expect("valid: cdr-registration is always grantable there");
        let dir = std::env::temp_dir().join(format!("mh-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            tls: TlsFiles {
                generate: Some(dir.clone()),
                ..c.tls
            },
            ..c
        };
        let s = c.into_settings().expect("settings");
        assert_eq!(s.flavour, Flavour::Wso2Accelerator3);
        assert!(s.append_registration_attributes_in_response);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_named_flavour_and_its_switch_reach_the_settings() {
        let yaml = format!("{GOOD}flavour: wso2-ob20-au-0.1\nssa_signature_validation: true\n");
        let c: Config = serde_yaml::from_str(&yaml).expect("parse");
        c.check().expect("valid");
        let dir = std::env::temp_dir().join(format!("mh-cfg-{}", uuid::Uuid::new_v4()));
        let c = Config {
            tls: TlsFiles {
                generate: Some(dir.clone()),
                ..c.tls
            },
            ..c
        };
        let s = c.into_settings().expect("settings");
        assert_eq!(s.flavour, Flavour::Wso2Ob20Au01);
        assert!(s.ssa_signature_validation);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[rstest]
    #[case::unknown_field(
        "listen: {public: '127.0.0.1:0', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://x/\nport: 1\n",
        "port"
    )]
    #[case::unknown_connections_field(
        "listen: {public: '127.0.0.1:0', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://x/\nconnections: {max: 1}\n",
        "max"
    )]
    #[case::unknown_operation(
        "listen: {public: '127.0.0.1:0', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://x/\noperations: {patch: true}\n",
        "patch"
    )]
    #[case::bad_address(
        "listen: {public: 'nope', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://x/\n",
        "listen.public"
    )]
    fn parse_errors_name_the_field(#[case] yaml: &str, #[case] field: &str) {
        let err = serde_yaml::from_str::<Config>(yaml)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains(field), "{err}");
    }

    #[rstest]
    #[case::relative_register("register_jwks_uri: jwks\n", "register_jwks_uri")]
    #[case::half_tls("register_jwks_uri: http://x/\n", "tls")]
    #[case::zero_timeout(
        "register_jwks_uri: http://x/\njwks_timeout_ms: 0\n",
        "jwks_timeout_ms"
    )]
    #[case::tiny_jwks_limit("register_jwks_uri: http://x/\njwks_max_bytes: 10\n", "jwks_max_bytes")]
    #[case::long_cache(
        "register_jwks_uri: http://x/\njwks_cache_seconds: 100000\n",
        "jwks_cache_seconds"
    )]
    #[case::huge_body(
        "register_jwks_uri: http://x/\nmax_body_bytes: 99999999\n",
        "max_body_bytes"
    )]
    #[case::no_registration_scope(
        "register_jwks_uri: http://x/\nsupported_scopes: [openid]\n",
        "supported_scopes"
    )]
    #[case::scope_with_space(
        "register_jwks_uri: http://x/\nsupported_scopes: ['a b', cdr:registration]\n",
        "supported_scopes"
    )]
    #[case::zero_token_lifetime(
        "register_jwks_uri: http://x/\ntoken_lifetime_seconds: 0\n",
        "token_lifetime_seconds"
    )]
    #[case::short_jwt_lifetime(
        "register_jwks_uri: http://x/\nmax_jwt_lifetime_seconds: 1\n",
        "max_jwt_lifetime_seconds"
    )]
    #[case::no_connections(
        "register_jwks_uri: http://x/\nconnections: {max_connections: 0}\n",
        "connections.max_connections"
    )]
    #[case::zero_idle_timeout(
        "register_jwks_uri: http://x/\nconnections: {idle_timeout_ms: 0}\n",
        "connections.idle_timeout_ms"
    )]
    #[case::tiny_header_list(
        "register_jwks_uri: http://x/\nconnections: {http2_max_header_list_bytes: 10}\n",
        "connections.http2_max_header_list_bytes"
    )]
    #[case::empty_database("register_jwks_uri: http://x/\ndatabase: ''\n", "database")]
    #[case::unknown_defect("register_jwks_uri: http://x/\ndefect: no-such-defect\n", "defect")]
    #[case::unknown_variation(
        "register_jwks_uri: http://x/\nvariations: [no-such]\n",
        "variations"
    )]
    #[case::incompatible_variations(
        "register_jwks_uri: http://x/\nvariations: [http1-only, http2-only]\n",
        "variations"
    )]
    #[case::unknown_flavour("register_jwks_uri: http://x/\nflavour: uk-obie-3.4\n", "flavour")]
    #[case::bad_org_id(
        "register_jwks_uri: http://x/\nob_organisation_id: 'not an id'\n",
        "ob_organisation_id"
    )]
    #[case::short_ssa_age(
        "register_jwks_uri: http://x/\nssa_max_age_seconds: 5\n",
        "ssa_max_age_seconds"
    )]
    #[case::switch_of_another_flavour(
        "register_jwks_uri: http://x/\nflavour: wso2-cds-0.2\nssa_signature_validation: true\n",
        "ssa_signature_validation"
    )]
    #[case::accelerator_switch_of_another_flavour(
        "register_jwks_uri: http://x/\nflavour: wso2-uk-3.3\nappend_registration_attributes_in_response: true\n",
        "append_registration_attributes_in_response"
    )]
    fn semantic_errors_name_the_field(#[case] tail: &str, #[case] field: &str) {
        let tls = if field == "tls" {
            "tls: {ca: /a}\n"
        } else {
            "tls: {generate: /tmp/x}\n"
        };
        let yaml = format!("listen: {{public: '127.0.0.1:0', mtls: '127.0.0.1:0'}}\n{tls}{tail}");
        let c: Config = serde_yaml::from_str(&yaml).expect("parse");
        let err = c.check().expect_err("invalid").to_string();
        assert!(err.starts_with(field), "{err}");
    }
}

//! The standalone holder's config file (YAML), validated up front so that a mistake is reported
//! with the field's name and what is expected, before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::settings::Settings;
use crate::tls::TlsMaterial;

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Listen addresses.
    pub listen: Listen,
    /// Public base URL (the issuer); default `https://<listen.public>`.
    pub public_base_url: Option<String>,
    /// mTLS base URL; default `https://<listen.mtls>`.
    pub mtls_base_url: Option<String>,
    /// TLS files, or a directory to generate a test PKI into.
    pub tls: TlsFiles,
    /// The CDR Register's JWKS URL.
    pub register_jwks_uri: String,
    /// SQLite database path (default `mock-holder.db`).
    #[serde(default = "default_db")]
    pub database: PathBuf,
    /// Allowed clock difference in seconds (default 60).
    #[serde(default = "default_skew")]
    pub clock_skew_seconds: u64,
    /// Access token lifetime in seconds (default 600).
    #[serde(default = "default_token_lifetime")]
    pub token_lifetime_seconds: u64,
    /// Outbound JWKS fetch timeout in milliseconds (default 3000).
    #[serde(default = "default_jwks_timeout")]
    pub jwks_timeout_ms: u64,
}

/// Listen addresses.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Public listener (discovery, JWKS).
    pub public: SocketAddr,
    /// mTLS listener (registration, token).
    pub mtls: SocketAddr,
}

/// TLS files: either all of `ca`, `cert`, `key`, or `generate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// CA bundle trusted for client certificates.
    pub ca: Option<PathBuf>,
    /// Server certificate chain.
    pub cert: Option<PathBuf>,
    /// Server private key.
    pub key: Option<PathBuf>,
    /// Generate a test PKI into this directory instead.
    pub generate: Option<PathBuf>,
}

fn default_db() -> PathBuf {
    PathBuf::from("mock-holder.db")
}
fn default_skew() -> u64 {
    60
}
fn default_token_lifetime() -> u64 {
    600
}
fn default_jwks_timeout() -> u64 {
    3000
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
        let t = &self.tls;
        match (&t.ca, &t.cert, &t.key, &t.generate) {
            (Some(_), Some(_), Some(_), None) | (None, None, None, Some(_)) => Ok(()),
            _ => bail!(
                "tls: give either all of tls.ca, tls.cert and tls.key, or only tls.generate (a directory)"
            ),
        }
    }

    /// Resolves the config into runtime settings, generating the test PKI if asked to.
    ///
    /// # Errors
    /// Fails when a TLS file cannot be read or the PKI cannot be written.
    pub fn into_settings(self) -> anyhow::Result<Settings> {
        let tls = match (
            &self.tls.generate,
            &self.tls.ca,
            &self.tls.cert,
            &self.tls.key,
        ) {
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
    }

    #[rstest]
    #[case::unknown_field(
        "listen: {public: '127.0.0.1:0', mtls: '127.0.0.1:0'}\ntls: {generate: /tmp/x}\nregister_jwks_uri: http://x/\nport: 1\n",
        "port"
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

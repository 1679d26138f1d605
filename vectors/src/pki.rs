//! A test PKI generated at start-up, so that nothing in the repository can expire.
//!
//! The embedded run needs: a CA that the mock holder trusts for client certificates and that
//! clients trust for the server; a server certificate for `localhost` / `127.0.0.1`; one client
//! (transport) certificate per Data Recipient; and one "rogue" client certificate issued by a
//! different CA, which a correct holder must refuse.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use sha2::{Digest, Sha256};

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertAndKey {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The PKCS#8 private key, PEM. Never written to reports or logs.
    pub key_pem: String,
    /// The certificate's DER bytes (for thumbprints).
    pub cert_der: Vec<u8>,
    /// The subject's distinguished name as an RFC 4514 string (the last RDN of the DER
    /// sequence first), as a `tls_client_auth_subject_dn` names it (RFC 8705 §2.1.2).
    pub subject_dn: String,
}

impl std::fmt::Debug for CertAndKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertAndKey")
            .field("x5t#S256", &self.thumbprint())
            .field("key_pem", &"[redacted]")
            .finish()
    }
}

impl CertAndKey {
    /// RFC 8705 `x5t#S256`: base64url (no padding) of the SHA-256 of the certificate's DER.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.cert_der)
    }

    /// Certificate followed by key, the form reqwest's `Identity::from_pem` takes.
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }

    /// The certificate as a transport key of a software JWKS ([`transport_jwk`]).
    ///
    /// # Errors
    /// As [`transport_jwk`].
    pub fn transport_jwk(&self, kid: &str) -> anyhow::Result<serde_json::Value> {
        transport_jwk(&self.cert_der, &self.key_pem, kid)
    }
}

/// A transport certificate as the OB Directory publishes it in a software JWKS: the public
/// half of `key_pem` (EC or RSA, PKCS#8 or traditional PEM) with `use` = `tls`, key id `kid`
/// and the certificate `cert_der` as `x5c`. Holds no private member.
///
/// # Errors
/// Fails when the key is neither an EC nor an RSA private key.
pub fn transport_jwk(
    cert_der: &[u8],
    key_pem: &str,
    kid: &str,
) -> anyhow::Result<serde_json::Value> {
    use josekit::jwk::KeyPair as _;
    let mut jwk = match josekit::jwk::alg::ec::EcKeyPair::from_pem(key_pem.as_bytes(), None) {
        Ok(pair) => pair.to_jwk_public_key(),
        Err(_) => josekit::jwk::alg::rsa::RsaKeyPair::from_pem(key_pem.as_bytes())
            .context("the transport key is neither an EC nor an RSA private key")?
            .to_jwk_public_key(),
    };
    jwk.set_key_id(kid);
    jwk.set_key_use("tls");
    jwk.set_x509_certificate_chain(&vec![cert_der.to_vec()]);
    Ok(serde_json::Value::Object(jwk.as_ref().clone()))
}

/// The subject of a DER certificate as an RFC 4514 string: RDNs from the last of the DER
/// sequence to the first, attribute types by their short names (CN, O, OU, C, L, ST, ...) or
/// dotted OIDs, values escaped as RFC 4514 §2.4 says.
///
/// # Errors
/// The bytes are not an X.509 certificate, or an attribute value is not a string.
pub fn subject_dn(cert_der: &[u8]) -> anyhow::Result<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))?;
    let registry = x509_parser::objects::oid_registry();
    let mut rdns = Vec::new();
    for rdn in cert.subject().iter_rdn() {
        let mut attrs = Vec::new();
        for attr in rdn.iter() {
            let kind = x509_parser::objects::oid2abbrev(attr.attr_type(), registry)
                .map(str::to_string)
                .unwrap_or_else(|_| attr.attr_type().to_id_string());
            let value = attr
                .as_str()
                .map_err(|e| anyhow::anyhow!("the subject's {kind} is not a string: {e}"))?;
            attrs.push(format!("{kind}={}", escape_dn_value(value)));
        }
        rdns.push(attrs.join("+"));
    }
    rdns.reverse();
    Ok(rdns.join(","))
}

/// `value` escaped for an RFC 4514 string (§2.4).
fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// RFC 8705 `x5t#S256` of a DER certificate.
pub fn thumbprint(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(cert_der))
}

/// The whole test PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that issues the server and recipient certificates (stands in for the CDR CA).
    pub ca: CertAndKey,
    /// The holder's server certificate (SANs: `localhost`, `127.0.0.1` and any extra hosts).
    pub server: CertAndKey,
    /// Transport certificate of recipient A.
    pub client_a: CertAndKey,
    /// Transport certificate of recipient B.
    pub client_b: CertAndKey,
    /// A client certificate issued by another CA, which the holder must not trust.
    pub rogue: CertAndKey,
}

impl TestPki {
    /// Generates a fresh PKI. `extra_hosts` are added to the server certificate's SANs.
    ///
    /// # Errors
    /// Fails only if key generation or certificate signing fails.
    pub fn generate(extra_hosts: &[String]) -> anyhow::Result<Self> {
        let (ca, ca_issuer) = new_ca("dcr-conformance test CA")?;
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        hosts.extend(extra_hosts.iter().cloned());
        let server = leaf(
            &ca_issuer,
            "mock data holder",
            hosts,
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let client_a = leaf(
            &ca_issuer,
            "recipient A",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        let client_b = leaf(
            &ca_issuer,
            "recipient B",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        let (_rogue_ca, rogue_issuer) = new_ca("rogue CA")?;
        let rogue = leaf(
            &rogue_issuer,
            "recipient A",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        Ok(Self {
            ca,
            server,
            client_a,
            client_b,
            rogue,
        })
    }

    /// Writes every certificate and key as PEM files into `dir` (created if needed):
    /// `ca.pem`, `server.pem`, `server.key`, `client-a.pem`, `client-a.key`, ...
    ///
    /// # Errors
    /// Fails when the directory or a file cannot be written.
    pub fn write_to_dir(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let write = |name: &str, body: &str| {
            let path = dir.join(name);
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))
        };
        write("ca.pem", &self.ca.cert_pem)?;
        for (name, ck) in [
            ("server", &self.server),
            ("client-a", &self.client_a),
            ("client-b", &self.client_b),
            ("rogue", &self.rogue),
        ] {
            write(&format!("{name}.pem"), &ck.cert_pem)?;
            write(&format!("{name}.key"), &ck.key_pem)?;
        }
        Ok(())
    }
}

fn new_ca(name: &str) -> anyhow::Result<(CertAndKey, Issuer<'static, KeyPair>)> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name = dn(name);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let out = CertAndKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
        subject_dn: subject_dn(cert.der())?,
    };
    Ok((out, Issuer::new(params, key)))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    cn: &str,
    sans: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
) -> anyhow::Result<CertAndKey> {
    let mut params = CertificateParams::new(sans)?;
    // A recipient's transport certificate names its organisation and country too, as the UK
    // Directory's do (C, O, then CN in the DER sequence): a holder that matches a registered
    // tls_client_auth_subject_dn has more than one attribute to compare.
    if usage == ExtendedKeyUsagePurpose::ClientAuth {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "GB");
        dn.push(DnType::OrganizationName, RECIPIENT_ORGANISATION);
        dn.push(DnType::CommonName, cn);
        params.distinguished_name = dn;
    } else {
        params.distinguished_name = dn(cn);
    }
    params.extended_key_usages.push(usage);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok(CertAndKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
        subject_dn: subject_dn(cert.der())?,
    })
}

/// The organisation (O) of the recipients' transport certificates.
const RECIPIENT_ORGANISATION: &str = "dcr-conformance test recipients";

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_jwk_publishes_the_public_key_and_the_certificate_for_tls() {
        let pki = TestPki::generate(&[]).expect("pki");
        let jwk = pki.client_a.transport_jwk("tls-a").expect("jwk");
        assert_eq!(jwk["use"], "tls");
        assert_eq!(jwk["kid"], "tls-a");
        assert_eq!(jwk["kty"], "EC");
        assert!(jwk.get("d").is_none(), "no private member: {jwk}");
        let x5c = jwk["x5c"][0].as_str().expect("x5c");
        let der = base64::engine::general_purpose::STANDARD
            .decode(x5c)
            .expect("base64");
        assert_eq!(der, pki.client_a.cert_der);
    }

    #[test]
    fn generated_pki_has_distinct_client_certificates() {
        let pki = TestPki::generate(&[]).expect("pki");
        assert_ne!(pki.client_a.thumbprint(), pki.client_b.thumbprint());
        assert_ne!(pki.client_a.thumbprint(), pki.rogue.thumbprint());
        assert!(
            pki.server
                .cert_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(pki.client_a.key_pem.contains("PRIVATE KEY"));
    }

    #[test]
    fn subject_dns_are_rfc_4514_strings() {
        let pki = TestPki::generate(&[]).expect("pki");
        assert_eq!(
            pki.client_a.subject_dn,
            "CN=recipient A,O=dcr-conformance test recipients,C=GB"
        );
        assert_eq!(
            subject_dn(&pki.ca.cert_der).expect("dn"),
            "CN=dcr-conformance test CA"
        );
        assert_eq!(escape_dn_value("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape_dn_value(" #x "), "\\ #x\\ ");
        assert!(subject_dn(b"junk").is_err());
    }

    #[test]
    fn thumbprint_is_base64url_sha256() {
        // SHA-256 is 32 bytes: 43 base64url characters without padding.
        let t = thumbprint(b"not really a certificate");
        assert_eq!(t.len(), 43);
        assert!(!t.contains('=') && !t.contains('+') && !t.contains('/'));
    }
}

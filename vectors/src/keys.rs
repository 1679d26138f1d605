//! JOSE signing keys and the JWKS documents that publish them.
//!
//! RSA-2048 generation takes a hundred milliseconds or more (aws-lc generates them, in about
//! a third of OpenSSL's time here); callers that need many keys should generate them once and
//! share them (the embedded environment generates one set per process).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, bail};
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};
use josekit::jwk::alg::rsa::RsaKeyPair;
use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::{ES256, JwsSigner, PS256};

/// The asymmetric algorithms the CDS allows for signing (FAPI 1.0 Advanced §8.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// ECDSA P-256 with SHA-256.
    Es256,
}

impl SigningAlg {
    /// The JOSE `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ps256 => "PS256",
            Self::Es256 => "ES256",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "PS256" => Ok(Self::Ps256),
            "ES256" => Ok(Self::Es256),
            other => bail!("unsupported signing algorithm {other:?}: expected PS256 or ES256"),
        }
    }
}

/// A private signing key with its `kid` and algorithm.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    /// Private JWK (all members). Never serialised into reports.
    jwk: Jwk,
    /// Its signer, built once: building one from the JWK (an RSA key's blinding set-up
    /// included) costs a good part of a signature. Shared by clones.
    signer: Arc<dyn JwsSigner>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("private", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// Generates a new key for `alg` (RSA-2048 for PS256, P-256 for ES256).
    ///
    /// # Errors
    /// Fails when OpenSSL cannot generate the key.
    pub fn generate(alg: SigningAlg, kid: impl Into<String>) -> anyhow::Result<Self> {
        let mut jwk = match alg {
            SigningAlg::Ps256 => {
                RsaKeyPair::from_der(generate_rsa_2048_pkcs8()?)?.to_jwk_key_pair()
            }
            // to_jwk_key_pair keeps x/y; to_jwk_private_key would drop them.
            SigningAlg::Es256 => EcKeyPair::generate(EcCurve::P256)?.to_jwk_key_pair(),
        };
        let kid = kid.into();
        jwk.set_key_id(&kid);
        jwk.set_algorithm(alg.as_str());
        jwk.set_key_use("sig");
        Self::new(kid, alg, jwk)
    }

    fn new(kid: String, alg: SigningAlg, jwk: Jwk) -> anyhow::Result<Self> {
        let signer: Arc<dyn JwsSigner> = match alg {
            SigningAlg::Ps256 => Arc::new(PS256.signer_from_jwk(&jwk)?),
            SigningAlg::Es256 => Arc::new(ES256.signer_from_jwk(&jwk)?),
        };
        Ok(Self {
            kid,
            alg,
            jwk,
            signer,
        })
    }

    /// Loads a private key from a JWK (JSON). `alg` and `kid` must be present in the JWK or given.
    ///
    /// # Errors
    /// Fails when the JWK is not valid JSON, has no usable `kid`/`alg`, or is not a private key.
    pub fn from_private_jwk(
        json: &str,
        kid: Option<&str>,
        alg: Option<SigningAlg>,
    ) -> anyhow::Result<Self> {
        let mut jwk = Jwk::from_bytes(json.as_bytes()).context("not a JWK")?;
        let kid = match kid
            .map(str::to_string)
            .or_else(|| jwk.key_id().map(str::to_string))
        {
            Some(k) => k,
            None => bail!("the JWK has no kid; give one"),
        };
        let alg = match alg {
            Some(a) => a,
            None => jwk
                .algorithm()
                .context("the JWK has no alg; give PS256 or ES256")?
                .parse()?,
        };
        jwk.set_key_id(&kid);
        jwk.set_algorithm(alg.as_str());
        Self::new(kid, alg, jwk)
            .context("the JWK cannot sign (is it a private key of the right type?)")
    }

    /// Loads a private key from PEM (PKCS#8, or the traditional RSA/EC forms) for `alg` (RSA
    /// for PS256, P-256 for ES256), with `kid`.
    ///
    /// # Errors
    /// Fails when the PEM is not a private key of the type `alg` needs.
    pub fn from_private_pem(pem: &str, kid: &str, alg: SigningAlg) -> anyhow::Result<Self> {
        let mut jwk = match alg {
            SigningAlg::Ps256 => RsaKeyPair::from_pem(pem.as_bytes())
                .context("not an RSA private key in PEM (PS256 needs RSA)")?
                .to_jwk_key_pair(),
            SigningAlg::Es256 => EcKeyPair::from_pem(pem.as_bytes(), Some(EcCurve::P256))
                .context("not a P-256 private key in PEM (ES256 needs P-256)")?
                .to_jwk_key_pair(),
        };
        jwk.set_key_id(kid);
        jwk.set_algorithm(alg.as_str());
        jwk.set_key_use("sig");
        Self::new(kid.to_string(), alg, jwk)
    }

    /// The private key as PKCS#8 PEM (for writing test key files). Never write it into a report.
    ///
    /// # Errors
    /// Fails only for a malformed private key.
    pub fn private_pem(&self) -> anyhow::Result<String> {
        let pem = match self.alg {
            SigningAlg::Ps256 => RsaKeyPair::from_jwk(&self.jwk)?.to_pem_private_key(),
            SigningAlg::Es256 => EcKeyPair::from_jwk(&self.jwk)?.to_pem_private_key(),
        };
        Ok(String::from_utf8(pem)?)
    }

    /// The key id published in the JWKS and sent in JWS headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signing algorithm.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public JWK, with `kid`, `alg` and `use` kept (josekit drops them in `to_public_key`).
    ///
    /// # Errors
    /// Fails only for a malformed private key.
    pub fn public_jwk(&self) -> anyhow::Result<Jwk> {
        let mut public = self.jwk.to_public_key()?;
        public.set_key_id(&self.kid);
        public.set_algorithm(self.alg.as_str());
        public.set_key_use("sig");
        Ok(public)
    }

    /// The signer for this key's algorithm (built once, when the key was made).
    ///
    /// # Errors
    /// Never today (a key that cannot sign is refused when it is made); kept fallible so that
    /// callers need not change if building it moves here again.
    pub fn signer(&self) -> anyhow::Result<Arc<dyn JwsSigner>> {
        Ok(self.signer.clone())
    }

    /// The private JWK as JSON, for signing with another algorithm of the same key type (the
    /// RS256 mutation re-uses a PS256 RSA key). Never write this anywhere.
    ///
    /// # Errors
    /// Never in practice; serialisation of a JWK cannot fail.
    pub fn private_jwk_json(&self) -> anyhow::Result<String> {
        Ok(self.jwk.to_string())
    }

    /// The public key as PEM (SubjectPublicKeyInfo). Used by the "HS256 keyed with the public
    /// key" mutation, which reproduces the classic algorithm-confusion attack.
    ///
    /// # Errors
    /// Fails only for a malformed private key.
    pub fn public_pem(&self) -> anyhow::Result<Vec<u8>> {
        Ok(match self.alg {
            SigningAlg::Ps256 => RsaKeyPair::from_jwk(&self.jwk)?.to_pem_public_key(),
            SigningAlg::Es256 => EcKeyPair::from_jwk(&self.jwk)?.to_pem_public_key(),
        })
    }
}

/// A fresh RSA-2048 private key (public exponent 65537) as PKCS#8 DER, generated by aws-lc
/// (already linked for TLS), which generates RSA keys in about a third of OpenSSL's time.
fn generate_rsa_2048_pkcs8() -> anyhow::Result<Vec<u8>> {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let der = pair
        .as_der()
        .map_err(|_| anyhow::anyhow!("the generated RSA key cannot be encoded"))?;
    Ok(der.as_ref().to_vec())
}

/// A JWKS document (`{"keys": [...]}`) with the public halves of `keys`.
///
/// # Errors
/// Fails only for a malformed private key.
pub fn public_jwks<'a>(
    keys: impl IntoIterator<Item = &'a SigningKey>,
) -> anyhow::Result<serde_json::Value> {
    let mut set = JwkSet::new();
    for key in keys {
        set.push_key(key.public_jwk()?);
    }
    Ok(serde_json::Value::Object(set.as_ref().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::ps256(SigningAlg::Ps256, "RSA")]
    #[case::es256(SigningAlg::Es256, "EC")]
    fn public_jwk_keeps_kid_and_alg_and_drops_private_members(
        #[case] alg: SigningAlg,
        #[case] kty: &str,
    ) {
        let key = SigningKey::generate(alg, "k1").expect("key");
        let public = key.public_jwk().expect("public");
        assert_eq!(public.key_id(), Some("k1"));
        assert_eq!(public.algorithm(), Some(alg.as_str()));
        assert_eq!(public.key_type(), kty);
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                public.parameter(private).is_none(),
                "{private} leaked into the public JWK"
            );
        }
    }

    #[rstest]
    #[case(SigningAlg::Ps256)]
    #[case(SigningAlg::Es256)]
    fn a_key_survives_a_pem_round_trip(#[case] alg: SigningAlg) {
        let key = SigningKey::generate(alg, "k1").expect("key");
        let pem = key.private_pem().expect("pem");
        let back = SigningKey::from_private_pem(&pem, "k1", alg).expect("from pem");
        assert_eq!(
            back.public_jwk().expect("jwk"),
            key.public_jwk().expect("jwk")
        );
    }

    #[test]
    fn a_generated_rsa_key_is_2048_bits_with_exponent_65537_and_signs() {
        let key = SigningKey::generate(SigningAlg::Ps256, "k1").expect("key");
        let public = key.public_jwk().expect("public");
        let n = public.parameter("n").and_then(|v| v.as_str()).expect("n");
        assert_eq!(
            n.len(),
            342,
            "2048 bits are 256 bytes: 342 base64url characters"
        );
        assert_eq!(public.parameter("e").and_then(|v| v.as_str()), Some("AQAB"));
        let jwt = crate::jose::sign_claims(&serde_json::Map::new(), &key).expect("signs");
        let verifier = PS256.verifier_from_jwk(&public).expect("verifier");
        josekit::jws::deserialize_compact(&jwt, &verifier).expect("verifies");
    }

    #[test]
    fn a_pem_of_the_wrong_key_type_is_refused() {
        let ec = SigningKey::generate(SigningAlg::Es256, "k1").expect("key");
        let err =
            SigningKey::from_private_pem(&ec.private_pem().expect("pem"), "k1", SigningAlg::Ps256)
                .expect_err("EC key for PS256");
        assert!(err.to_string().contains("PS256 needs RSA"), "{err}");
    }

    #[test]
    fn jwks_lists_every_key() {
        let a = SigningKey::generate(SigningAlg::Es256, "a").expect("a");
        let b = SigningKey::generate(SigningAlg::Es256, "b").expect("b");
        let jwks = public_jwks([&a, &b]).expect("jwks");
        let kids: Vec<_> = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["kid"].clone())
            .collect();
        assert_eq!(kids, vec![serde_json::json!("a"), serde_json::json!("b")]);
    }

    #[test]
    fn unknown_algorithm_names_the_allowed_ones() {
        let err = "RS256"
            .parse::<SigningAlg>()
            .expect_err("RS256 is not allowed");
        assert!(err.to_string().contains("PS256 or ES256"), "{err}");
    }
}

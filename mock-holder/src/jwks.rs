//! Fetching and caching the JWKS documents the holder verifies signatures with.
//!
//! Two kinds of JWKS are fetched: the CDR Register's (verifies SSAs) and each Data Recipient's
//! `jwks_uri` from its SSA (verifies registration requests and client assertions). Fetches are
//! bounded by a timeout and a size limit, so a slow or hostile endpoint cannot stall the holder.
//! Documents are cached per URL; a `kid` missing from a cached document triggers one refresh,
//! which is how key rotation at the Register is picked up without waiting for expiry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use josekit::jwk::Jwk;
use josekit::jws::{ES256, JwsVerifier, PS256};
use tokio::sync::RwLock;

/// Why a key could not be obtained.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JwksError {
    /// Connection refused, DNS failure, TLS failure...
    #[error("could not reach {url}: {reason}")]
    Unreachable {
        /// The JWKS URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The endpoint did not answer within the timeout.
    #[error("{url} did not answer within {seconds:.1} s")]
    Timeout {
        /// The JWKS URL.
        url: String,
        /// The timeout.
        seconds: f64,
    },
    /// Non-2xx answer.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The JWKS URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The document exceeded the size limit.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The JWKS URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// Not a JWKS document.
    #[error("{url} did not return a JWKS document: {reason}")]
    Malformed {
        /// The JWKS URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The document has no key with this `kid`, even after a refresh.
    #[error("no key with kid {kid:?} at {url}")]
    UnknownKid {
        /// The JWKS URL.
        url: String,
        /// The requested key id.
        kid: String,
    },
}

/// Signature verifiers built once per fetched document: `(kid, alg, verifier)`. Building a
/// verifier from a JWK (OpenSSL key import) costs more than verifying a signature, so it is not
/// done per request.
type Verifiers = Vec<(String, &'static str, Arc<dyn JwsVerifier>)>;

#[derive(Debug)]
struct Entry {
    fetched: Instant,
    keys: Arc<Vec<Jwk>>,
    verifiers: Arc<Verifiers>,
}

/// The verifiers a key may be used with: its own `alg` if it names one (PS256 or ES256 only),
/// else by key type (RSA: PS256, EC: ES256).
fn build_verifiers(keys: &[Jwk]) -> Verifiers {
    let mut out: Verifiers = Vec::new();
    for jwk in keys {
        let Some(kid) = jwk.key_id() else { continue };
        let alg = match (jwk.algorithm(), jwk.key_type()) {
            (Some("PS256"), _) | (None, "RSA") => "PS256",
            (Some("ES256"), _) | (None, "EC") => "ES256",
            _ => continue,
        };
        let verifier: Option<Arc<dyn JwsVerifier>> = match alg {
            "PS256" => PS256
                .verifier_from_jwk(jwk)
                .ok()
                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
            _ => ES256
                .verifier_from_jwk(jwk)
                .ok()
                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
        };
        if let Some(v) = verifier {
            out.push((kid.to_string(), alg, v));
        }
    }
    out
}

fn pick(verifiers: &Verifiers, kid: &str, alg: &str) -> Option<Arc<dyn JwsVerifier>> {
    verifiers
        .iter()
        .find(|(k, a, _)| k == kid && *a == alg)
        .map(|(_, _, v)| v.clone())
}

/// A bounded, caching JWKS fetcher.
#[derive(Debug)]
pub(crate) struct JwksCache {
    http: reqwest::Client,
    ttl: Duration,
    timeout: Duration,
    max_bytes: usize,
    entries: RwLock<HashMap<String, Entry>>,
}

impl JwksCache {
    /// A cache whose entries live `ttl`, whose fetches time out after `timeout` and may not
    /// exceed `max_bytes`.
    ///
    /// # Errors
    /// Fails only when the HTTP client cannot be built.
    pub(crate) fn new(ttl: Duration, timeout: Duration, max_bytes: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            ttl,
            timeout,
            max_bytes,
            entries: RwLock::new(HashMap::new()),
        })
    }

    /// A (cached) verifier for `alg` with the key `kid` of the JWKS at `url`, fetching the
    /// document when it is missing or stale. A `kid` missing from a fresh cached document
    /// triggers one refresh, unless `refresh_on_unknown_kid` is false (only the
    /// `no-register-jwks-refresh` defect: see [`crate::defect`]).
    ///
    /// # Errors
    /// `Err(Ok(text))`: the key exists but cannot verify `alg` (another algorithm or key type),
    /// described for the `what` being verified; `Err(Err(e))`: why the JWKS could not be used
    /// (see [`JwksError`]).
    pub(crate) async fn verifier_for(
        &self,
        url: &str,
        kid: &str,
        alg: &str,
        what: &str,
        refresh_on_unknown_kid: bool,
    ) -> Result<Arc<dyn JwsVerifier>, Result<String, JwksError>> {
        match self.lookup(url, kid, alg, refresh_on_unknown_kid).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Ok(format!(
                "The {what} signature is not valid: alg {alg} does not match the key {kid}"
            ))),
            Err(e) => Err(Err(e)),
        }
    }

    async fn lookup(
        &self,
        url: &str,
        kid: &str,
        alg: &str,
        refresh_on_unknown_kid: bool,
    ) -> Result<Option<Arc<dyn JwsVerifier>>, JwksError> {
        if let Some(entry) = self.entries.read().await.get(url)
            && entry.fetched.elapsed() < self.ttl
        {
            if find(&entry.keys, kid).is_some() {
                return Ok(pick(&entry.verifiers, kid, alg));
            }
            if !refresh_on_unknown_kid {
                return Err(JwksError::UnknownKid {
                    url: url.to_string(),
                    kid: kid.to_string(),
                });
            }
        }
        let (keys, verifiers) = self.refresh(url).await?;
        if find(&keys, kid).is_none() {
            return Err(JwksError::UnknownKid {
                url: url.to_string(),
                kid: kid.to_string(),
            });
        }
        Ok(pick(&verifiers, kid, alg))
    }

    async fn refresh(&self, url: &str) -> Result<(Arc<Vec<Jwk>>, Arc<Verifiers>), JwksError> {
        let keys = self.fetch(url).await?;
        let verifiers = Arc::new(build_verifiers(&keys));
        self.entries.write().await.insert(
            url.to_string(),
            Entry {
                fetched: Instant::now(),
                keys: keys.clone(),
                verifiers: verifiers.clone(),
            },
        );
        Ok((keys, verifiers))
    }

    async fn fetch(&self, url: &str) -> Result<Arc<Vec<Jwk>>, JwksError> {
        let timeout = |_| JwksError::Timeout {
            url: url.to_string(),
            seconds: self.timeout.as_secs_f64(),
        };
        let fetch = async {
            let mut response = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| classify(url, e, self.timeout))?;
            let status = response.status();
            if !status.is_success() {
                return Err(JwksError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            if response
                .content_length()
                .is_some_and(|n| n > self.max_bytes as u64)
            {
                return Err(JwksError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_bytes,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(url, e, self.timeout))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > self.max_bytes {
                    return Err(JwksError::TooLarge {
                        url: url.to_string(),
                        limit: self.max_bytes,
                    });
                }
            }
            Ok(body)
        };
        // The client timeout covers each phase; this bounds the whole exchange, including a
        // server that drips bytes slowly.
        let body = tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(timeout)??;
        parse_jwks(&body)
            .map(Arc::new)
            .map_err(|reason| JwksError::Malformed {
                url: url.to_string(),
                reason,
            })
    }
}

fn classify(url: &str, e: reqwest::Error, timeout: Duration) -> JwksError {
    if e.is_timeout() {
        JwksError::Timeout {
            url: url.to_string(),
            seconds: timeout.as_secs_f64(),
        }
    } else {
        JwksError::Unreachable {
            url: url.to_string(),
            reason: e.without_url().to_string(),
        }
    }
}

fn find(keys: &[Jwk], kid: &str) -> Option<Jwk> {
    keys.iter().find(|k| k.key_id() == Some(kid)).cloned()
}

/// Parses a JWKS document, keeping only keys usable for signature verification.
fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or("no \"keys\" array")?;
    let mut out = Vec::new();
    for key in keys {
        let Some(map) = key.as_object() else { continue };
        if map
            .get("use")
            .and_then(|u| u.as_str())
            .is_some_and(|u| u != "sig")
        {
            continue;
        }
        if let Ok(jwk) = Jwk::from_map(map.clone()) {
            out.push(jwk);
        }
    }
    if out.is_empty() {
        return Err("no usable signing keys".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn each_key_verifies_only_its_own_algorithm() {
        let es =
            dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "e").expect("key");
        let mut bare = es.public_jwk().expect("jwk");
        bare.set_key_id("bare");
        bare.set_parameter("alg", None).expect("remove alg");
        let verifiers = build_verifiers(&[es.public_jwk().expect("jwk"), bare]);
        assert!(pick(&verifiers, "e", "ES256").is_some());
        assert!(
            pick(&verifiers, "e", "PS256").is_none(),
            "no algorithm confusion"
        );
        assert!(
            pick(&verifiers, "bare", "ES256").is_some(),
            "EC without alg: ES256"
        );
        assert!(pick(&verifiers, "nope", "ES256").is_none());
    }

    #[rstest]
    #[case::not_json(b"<html>".as_slice(), "not JSON")]
    #[case::no_keys(br#"{"k":[]}"#.as_slice(), "no \"keys\"")]
    #[case::empty(br#"{"keys":[]}"#.as_slice(), "no usable")]
    #[case::only_encryption_keys(br#"{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","kid":"x"}]}"#.as_slice(), "no usable")]
    fn malformed_documents_are_refused_with_a_reason(#[case] body: &[u8], #[case] reason: &str) {
        let err = parse_jwks(body).expect_err("must be refused");
        assert!(err.contains(reason), "{err}");
    }
}

//! SSA, registration-request and recipient templates (YAML under `vectors/templates/`).
//!
//! The files are embedded at compile time so the binaries work from any directory. A template
//! value that is exactly `"${name}"` is replaced by the input called `name`; a value that merely
//! contains `${name}` gets a string substitution. Unknown names are an error, so a typo in a
//! template cannot silently produce a literal `${...}` claim.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

const RECIPIENTS_YAML: &str = include_str!("../templates/recipients.yaml");
const SSA_YAML: &str = include_str!("../templates/ssa.yaml");
const REGISTRATION_YAML: &str = include_str!("../templates/registration.yaml");

/// A Data Recipient software product as the Register knows it.
#[derive(Debug, Clone, Deserialize)]
pub struct SoftwareProduct {
    /// Short name used in scenarios ("A", "B").
    pub name: String,
    /// Software Product ID.
    pub software_id: String,
    /// Brand id.
    pub org_id: String,
    /// Brand name.
    pub org_name: String,
    /// Legal entity id.
    pub legal_entity_id: String,
    /// Legal entity name.
    pub legal_entity_name: String,
    /// Software product name.
    pub client_name: String,
    /// Software product description.
    pub client_description: String,
    /// Redirect URIs registered with the Register (the SSA's list).
    pub redirect_uris: Vec<String>,
}

#[derive(Deserialize)]
struct RecipientsFile {
    recipients: Vec<SoftwareProduct>,
}

/// The software products of the recipients in `vectors/templates/recipients.yaml`.
///
/// # Errors
/// Fails only if the embedded file is malformed (caught by the unit tests).
pub fn software_products() -> anyhow::Result<Vec<SoftwareProduct>> {
    let file: RecipientsFile =
        serde_yaml::from_str(RECIPIENTS_YAML).context("templates/recipients.yaml")?;
    Ok(file.recipients)
}

#[derive(Debug, Clone, Deserialize)]
struct JwtTemplate {
    header: Map<String, Value>,
    lifetime_seconds: i64,
    claims: Map<String, Value>,
}

/// Inputs for `${name}` substitution.
pub type Inputs = BTreeMap<String, Value>;

fn substitute(value: &Value, inputs: &Inputs) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                && !name.contains("${")
                && !name.contains('}')
            {
                return inputs
                    .get(name)
                    .cloned()
                    .with_context(|| format!("template input {name:?} not given"));
            }
            let mut out = s.clone();
            while let Some(start) = out.find("${") {
                let end = out[start..]
                    .find('}')
                    .map(|e| start + e)
                    .context("unterminated ${")?;
                let name = &out[start + 2..end];
                let replacement = match inputs.get(name) {
                    Some(Value::String(v)) => v.clone(),
                    Some(other) => other.to_string(),
                    None => bail!("template input {name:?} not given"),
                };
                out.replace_range(start..=end, &replacement);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, inputs))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), substitute(v, inputs)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => other.clone(),
    })
}

fn instantiate(t: &JwtTemplate, inputs: &Inputs, now: i64) -> anyhow::Result<Map<String, Value>> {
    let Value::Object(mut claims) = substitute(&Value::Object(t.claims.clone()), inputs)? else {
        bail!("template claims are not an object")
    };
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + t.lifetime_seconds).into());
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    Ok(claims)
}

/// The SSA template (`templates/ssa.yaml`).
#[derive(Debug, Clone)]
pub struct SsaTemplate(JwtTemplate);

impl SsaTemplate {
    /// Loads the embedded template.
    ///
    /// # Errors
    /// Fails only if the embedded file is malformed.
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self(
            serde_yaml::from_str(SSA_YAML).context("templates/ssa.yaml")?,
        ))
    }

    /// SSA lifetime in seconds (10 minutes in the CDS).
    pub fn lifetime(&self) -> i64 {
        self.0.lifetime_seconds
    }

    /// Claims of an SSA for `product`, whose keys are published at `jwks_uri` and whose
    /// endpoints live under `recipient_base_uri`, issued at `now`.
    ///
    /// # Errors
    /// Fails when the template names an input this function does not provide.
    pub fn claims(
        &self,
        product: &SoftwareProduct,
        jwks_uri: &str,
        recipient_base_uri: &str,
        now: i64,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut inputs = Inputs::new();
        for (k, v) in [
            ("software_id", &product.software_id),
            ("org_id", &product.org_id),
            ("org_name", &product.org_name),
            ("legal_entity_id", &product.legal_entity_id),
            ("legal_entity_name", &product.legal_entity_name),
            ("client_name", &product.client_name),
            ("client_description", &product.client_description),
        ] {
            inputs.insert(k.into(), Value::String(v.clone()));
        }
        inputs.insert(
            "redirect_uris".into(),
            serde_json::to_value(&product.redirect_uris)?,
        );
        inputs.insert("jwks_uri".into(), Value::String(jwks_uri.into()));
        inputs.insert(
            "recipient_base_uri".into(),
            Value::String(recipient_base_uri.into()),
        );
        instantiate(&self.0, &inputs, now)
    }
}

/// The registration request template (`templates/registration.yaml`).
#[derive(Debug, Clone)]
pub struct RegistrationTemplate(JwtTemplate);

impl RegistrationTemplate {
    /// Loads the embedded template.
    ///
    /// # Errors
    /// Fails only if the embedded file is malformed.
    pub fn load() -> anyhow::Result<Self> {
        Ok(Self(
            serde_yaml::from_str(REGISTRATION_YAML).context("templates/registration.yaml")?,
        ))
    }

    /// Request lifetime in seconds.
    pub fn lifetime(&self) -> i64 {
        self.0.lifetime_seconds
    }

    /// The template's JWS header (before the signing key's `kid` is added).
    pub fn header(&self) -> &Map<String, Value> {
        &self.0.header
    }

    /// Claims of a registration request for `software_id` addressed to `issuer`, carrying
    /// `software_statement` and asking for `redirect_uris`, issued at `now`.
    ///
    /// # Errors
    /// Fails when the template names an input this function does not provide.
    pub fn claims(
        &self,
        software_id: &str,
        issuer: &str,
        redirect_uris: &[String],
        software_statement: &str,
        now: i64,
    ) -> anyhow::Result<Map<String, Value>> {
        let mut inputs = Inputs::new();
        inputs.insert("software_id".into(), Value::String(software_id.into()));
        inputs.insert("issuer".into(), Value::String(issuer.into()));
        inputs.insert("redirect_uris".into(), serde_json::to_value(redirect_uris)?);
        inputs.insert(
            "software_statement".into(),
            Value::String(software_statement.into()),
        );
        instantiate(&self.0, &inputs, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_templates_load() {
        assert_eq!(software_products().expect("recipients").len(), 2);
        assert_eq!(SsaTemplate::load().expect("ssa").lifetime(), 600);
        assert!(
            RegistrationTemplate::load()
                .expect("registration")
                .lifetime()
                > 0
        );
    }

    #[test]
    fn ssa_claims_substitute_every_input() {
        let r = software_products().expect("recipients").remove(0);
        let c = SsaTemplate::load()
            .expect("t")
            .claims(&r, "https://jwks", "https://base", 1000)
            .expect("claims");
        assert_eq!(c["software_id"], json!(r.software_id));
        assert_eq!(c["redirect_uris"], json!(r.redirect_uris));
        assert_eq!(c["logo_uri"], json!("https://base/logo.png"));
        assert_eq!(c["exp"], json!(1600));
        assert!(
            !serde_json::to_string(&c).expect("json").contains("${"),
            "unsubstituted input: {c:?}"
        );
    }

    #[test]
    fn missing_input_is_an_error_not_a_literal() {
        let err = substitute(&json!("${nope}"), &Inputs::new()).expect_err("must fail");
        assert!(err.to_string().contains("nope"));
        let err = substitute(&json!("x/${nope}/y"), &Inputs::new()).expect_err("must fail");
        assert!(err.to_string().contains("nope"));
    }
}

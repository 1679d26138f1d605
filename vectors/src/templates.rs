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
/// The SSA templates, by name: the CDR Register's (the default) and the UK Open Banking
/// Directory's.
const SSA_TEMPLATES: &[(&str, &str)] = &[
    ("cdr-register", include_str!("../templates/ssa.yaml")),
    (
        "ob-directory",
        include_str!("../templates/ssa-ob-directory.yaml"),
    ),
];
/// The registration request templates, by name: the CDS's (the default) and UK OBIE DCR's.
const REGISTRATION_TEMPLATES: &[(&str, &str)] = &[
    ("cds", include_str!("../templates/registration.yaml")),
    (
        "uk-obie",
        include_str!("../templates/registration-uk-obie.yaml"),
    ),
];

/// The name of the default SSA template (the CDR Register's).
pub const DEFAULT_SSA_TEMPLATE: &str = "cdr-register";
/// The name of the default registration request template (the CDS's).
pub const DEFAULT_REGISTRATION_TEMPLATE: &str = "cds";

/// The YAML of template `name` in `list`, or an error naming the templates there are.
fn template_text(
    list: &[(&str, &'static str)],
    what: &str,
    name: &str,
) -> anyhow::Result<&'static str> {
    list.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .with_context(|| {
            format!(
                "no {what} template named {name:?}; the templates are {}",
                list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )
        })
}

/// Whether `name` is an SSA template.
pub fn is_ssa_template(name: &str) -> bool {
    SSA_TEMPLATES.iter().any(|(n, _)| *n == name)
}

/// Whether `name` is a registration request template.
pub fn is_registration_template(name: &str) -> bool {
    REGISTRATION_TEMPLATES.iter().any(|(n, _)| *n == name)
}

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
    /// The organisation's id in the UK Open Banking Directory (Directory-style SSAs).
    pub ob_org_id: String,
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

impl SoftwareProduct {
    /// The name of this one piece of software: the product's name and its software id, so that
    /// every software product minted for a scenario has a name of its own (a holder may name
    /// its application after it and refuse a second one, as WSO2's accelerator does with its
    /// `app_name_claim`). Directory-style SSAs carry it as `software_client_name`.
    pub fn software_client_name(&self) -> String {
        format!("{} {}", self.client_name, self.software_id)
    }
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
    /// `exp` is `iat` plus this; without it the JWT has no `exp` (OB Directory SSAs).
    #[serde(default)]
    lifetime_seconds: Option<i64>,
    /// How fresh software ids for this issuer are written.
    #[serde(default)]
    software_ids: SoftwareIds,
    claims: Map<String, Value>,
}

/// How the software ids an issuer assigns are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SoftwareIds {
    /// A UUID (CDR Register Software Product IDs).
    #[default]
    Uuid,
    /// Base62, 22 characters (UK OB Directory software ids: `^[0-9a-zA-Z]{1,22}$`).
    Base62,
}

impl SoftwareIds {
    /// A fresh, random software id in this form.
    pub fn fresh(self) -> String {
        let id = uuid::Uuid::new_v4();
        match self {
            SoftwareIds::Uuid => id.to_string(),
            SoftwareIds::Base62 => {
                const DIGITS: &[u8] =
                    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
                let mut n = id.as_u128();
                let mut out = Vec::with_capacity(22);
                for _ in 0..22 {
                    out.push(DIGITS[(n % 62) as usize]);
                    n /= 62;
                }
                out.reverse();
                String::from_utf8(out).unwrap_or_default()
            }
        }
    }
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
    if let Some(lifetime) = t.lifetime_seconds {
        claims.insert("exp".into(), (now + lifetime).into());
    }
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    Ok(claims)
}

/// An SSA template (`templates/ssa*.yaml`).
#[derive(Debug, Clone)]
pub struct SsaTemplate(JwtTemplate);

impl SsaTemplate {
    /// Loads the embedded default template (the CDR Register's, `templates/ssa.yaml`).
    ///
    /// # Errors
    /// Fails only if the embedded file is malformed.
    pub fn load() -> anyhow::Result<Self> {
        Self::named(DEFAULT_SSA_TEMPLATE)
    }

    /// Loads the embedded template `name` (`cdr-register`, `ob-directory`).
    ///
    /// # Errors
    /// An unknown name, or a malformed embedded file.
    pub fn named(name: &str) -> anyhow::Result<Self> {
        let text = template_text(SSA_TEMPLATES, "SSA", name)?;
        Ok(Self(
            serde_yaml::from_str(text).with_context(|| format!("SSA template {name}"))?,
        ))
    }

    /// SSA lifetime in seconds (10 minutes in the CDS); `None` when the issuer's SSAs have no
    /// `exp` (the OB Directory's).
    pub fn lifetime(&self) -> Option<i64> {
        self.0.lifetime_seconds
    }

    /// How this issuer writes software ids.
    pub fn software_ids(&self) -> SoftwareIds {
        self.0.software_ids
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
            ("ob_org_id", &product.ob_org_id),
            ("legal_entity_id", &product.legal_entity_id),
            ("legal_entity_name", &product.legal_entity_name),
            ("client_name", &product.client_name),
            ("client_description", &product.client_description),
        ] {
            inputs.insert(k.into(), Value::String(v.clone()));
        }
        inputs.insert(
            "software_client_name".into(),
            Value::String(product.software_client_name()),
        );
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

/// A registration request template (`templates/registration*.yaml`).
#[derive(Debug, Clone)]
pub struct RegistrationTemplate(JwtTemplate);

impl RegistrationTemplate {
    /// Loads the embedded default template (the CDS's, `templates/registration.yaml`).
    ///
    /// # Errors
    /// Fails only if the embedded file is malformed.
    pub fn load() -> anyhow::Result<Self> {
        Self::named(DEFAULT_REGISTRATION_TEMPLATE)
    }

    /// Loads the embedded template `name` (`cds`, `uk-obie`).
    ///
    /// # Errors
    /// An unknown name, a malformed embedded file, or a template without a lifetime (a
    /// registration request always has an `exp`).
    pub fn named(name: &str) -> anyhow::Result<Self> {
        let text = template_text(REGISTRATION_TEMPLATES, "registration request", name)?;
        let t: JwtTemplate = serde_yaml::from_str(text)
            .with_context(|| format!("registration request template {name}"))?;
        if t.lifetime_seconds.is_none() {
            bail!("registration request template {name}: lifetime_seconds is missing");
        }
        Ok(Self(t))
    }

    /// Request lifetime in seconds.
    pub fn lifetime(&self) -> i64 {
        self.0.lifetime_seconds.unwrap_or_default()
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
        assert_eq!(SsaTemplate::load().expect("ssa").lifetime(), Some(600));
        let directory = SsaTemplate::named("ob-directory").expect("ob-directory");
        assert_eq!(directory.lifetime(), None);
        assert_eq!(directory.software_ids(), SoftwareIds::Base62);
        assert!(
            RegistrationTemplate::named("uk-obie")
                .expect("uk")
                .lifetime()
                > 0
        );
        let err = SsaTemplate::named("nope").expect_err("unknown");
        assert!(
            err.to_string().contains("cdr-register, ob-directory"),
            "{err}"
        );
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
    fn directory_ssas_have_no_exp_and_base62_software_ids() {
        let r = software_products().expect("recipients").remove(0);
        let t = SsaTemplate::named("ob-directory").expect("t");
        let mut product = r.clone();
        product.software_id = t.software_ids().fresh();
        assert_eq!(product.software_id.len(), 22);
        assert!(
            product
                .software_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        let c = t
            .claims(&product, "https://jwks", "https://base", 1000)
            .expect("claims");
        assert_eq!(c["iss"], json!("OpenBanking Ltd"));
        assert_eq!(c["software_redirect_uris"], json!(r.redirect_uris));
        assert_eq!(c["software_roles"], json!(["AISP", "PISP", "CBPII"]));
        assert_eq!(c["org_id"], json!(r.ob_org_id));
        assert!(c.get("exp").is_none() && c["iat"] == json!(1000));
        assert!(!serde_json::to_string(&c).expect("json").contains("${"));
    }

    #[test]
    fn missing_input_is_an_error_not_a_literal() {
        let err = substitute(&json!("${nope}"), &Inputs::new()).expect_err("must fail");
        assert!(err.to_string().contains("nope"));
        let err = substitute(&json!("x/${nope}/y"), &Inputs::new()).expect_err("must fail");
        assert!(err.to_string().contains("nope"));
    }
}

//! Named mutations of a software statement or a registration request, kept as data
//! (`vectors/mutations/*.yaml`, in the spirit of Wycheproof's vector files).
//!
//! A mutation changes claims and header members, may choose who signs, and may alter the
//! payload after signing (keeping the old signature). Values of the form `"${expr}"` are
//! computed when the mutation is applied: `now`, `skew` (the target's allowed clock skew) and
//! integers combined with `+`/`-` give a NumericDate; any other name is looked up in the
//! variables the caller provides (e.g. `software_id`, `issuer`).
//!
//! This module only *builds* inputs. What the holder must answer is not here: the catalogue
//! (`features/catalogue.yaml`) says which outcomes a rule accepts.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

const SSA_YAML: &str = include_str!("../mutations/ssa.yaml");
const REGISTRATION_YAML: &str = include_str!("../mutations/registration.yaml");
const UK_SSA_YAML: &str = include_str!("../mutations/ssa-ob-directory.yaml");
const UK_REGISTRATION_YAML: &str = include_str!("../mutations/registration-uk-obie.yaml");

/// What the mutated input is expected to be, as the vector's author classifies it (a hint for
/// readers and reports; scenarios take their expectations from the catalogue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// A conforming holder accepts it.
    Valid,
    /// A conforming holder refuses it.
    Invalid,
    /// Either outcome is allowed.
    Acceptable,
}

/// One named mutation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    /// Stable name, unique in its file.
    pub id: String,
    /// What it does and why.
    pub comment: String,
    /// Catalogue rules it exercises.
    #[serde(default)]
    pub rules: Vec<String>,
    /// Flags defined in the file's `notes`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Claims to set.
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Claims to remove.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Header members to set.
    #[serde(default)]
    pub header_set: Map<String, Value>,
    /// Header members to remove.
    #[serde(default)]
    pub header_remove: Vec<String>,
    /// Who signs (see the file's `signers`); default: the legitimate signer.
    #[serde(default)]
    pub signer: Option<String>,
    /// Claims changed after signing, keeping the original signature.
    #[serde(default)]
    pub tamper_set: Map<String, Value>,
    /// The author's classification.
    pub expect: Expect,
}

/// A file of mutations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MutationFile {
    /// `dcr-conformance/mutations`.
    pub schema: String,
    /// Format version.
    pub version: u32,
    /// What the mutations apply to.
    pub applies_to: String,
    /// Spec references.
    #[serde(default)]
    pub spec: Vec<String>,
    /// Signer names and what they mean.
    pub signers: BTreeMap<String, String>,
    /// Flag definitions.
    pub notes: BTreeMap<String, String>,
    /// The mutations.
    pub tests: Vec<Mutation>,
}

impl MutationFile {
    fn parse(text: &str, name: &str) -> anyhow::Result<Self> {
        let file: Self = serde_yaml::from_str(text).with_context(|| format!("mutations/{name}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for m in &file.tests {
            if !seen.insert(m.id.as_str()) {
                bail!("mutations/{name}: id {} appears twice", m.id);
            }
            for flag in &m.flags {
                if !file.notes.contains_key(flag) {
                    bail!(
                        "mutations/{name}: {} uses flag {flag} that notes does not define",
                        m.id
                    );
                }
            }
            if let Some(s) = &m.signer
                && !file.signers.contains_key(s)
            {
                bail!(
                    "mutations/{name}: {} uses signer {s} that signers does not define",
                    m.id
                );
            }
        }
        Ok(file)
    }

    /// The SSA mutations.
    ///
    /// # Errors
    /// Only if the embedded file is malformed (caught by the unit tests).
    pub fn ssa() -> anyhow::Result<Self> {
        Self::parse(SSA_YAML, "ssa.yaml")
    }

    /// The registration request mutations.
    ///
    /// # Errors
    /// Only if the embedded file is malformed (caught by the unit tests).
    pub fn registration() -> anyhow::Result<Self> {
        Self::parse(REGISTRATION_YAML, "registration.yaml")
    }

    /// The mutations of an OB Directory SSA (UK Open Banking): the changes only such an SSA
    /// can have. Their ids differ from every id of [`MutationFile::ssa`], so a scenario names
    /// either kind the same way.
    ///
    /// # Errors
    /// Only if the embedded file is malformed (caught by the unit tests).
    pub fn uk_ssa() -> anyhow::Result<Self> {
        Self::parse(UK_SSA_YAML, "ssa-ob-directory.yaml")
    }

    /// The mutations of a UK OBIE registration request (the changes only its claims can have);
    /// ids unique beside [`MutationFile::registration`]'s.
    ///
    /// # Errors
    /// Only if the embedded file is malformed (caught by the unit tests).
    pub fn uk_registration() -> anyhow::Result<Self> {
        Self::parse(UK_REGISTRATION_YAML, "registration-uk-obie.yaml")
    }

    /// Every SSA mutation file, the CDS's first.
    ///
    /// # Errors
    /// Only if an embedded file is malformed.
    pub fn all_ssa() -> anyhow::Result<Vec<Self>> {
        Ok(vec![Self::ssa()?, Self::uk_ssa()?])
    }

    /// Every registration request mutation file, the CDS's first.
    ///
    /// # Errors
    /// Only if an embedded file is malformed.
    pub fn all_registration() -> anyhow::Result<Vec<Self>> {
        Ok(vec![Self::registration()?, Self::uk_registration()?])
    }

    /// The mutation called `id`.
    ///
    /// # Errors
    /// When there is none.
    pub fn get(&self, id: &str) -> anyhow::Result<&Mutation> {
        self.tests
            .iter()
            .find(|m| m.id == id)
            .with_context(|| format!("no {} mutation named {id:?}", self.applies_to))
    }
}

/// Inputs for `${...}` values.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// Current time.
    pub now: i64,
    /// The target's clock skew in seconds.
    pub skew: i64,
    /// Named values.
    pub values: BTreeMap<String, Value>,
}

fn arithmetic(expr: &str, vars: &Vars) -> Option<i64> {
    let mut total = 0i64;
    let mut sign = 1i64;
    let mut term = String::new();
    let flush = |term: &mut String, sign: i64, total: &mut i64| -> Option<()> {
        let t = term.trim();
        let v = match t {
            "now" => vars.now,
            "skew" => vars.skew,
            n => n.parse::<i64>().ok()?,
        };
        *total += sign * v;
        term.clear();
        Some(())
    };
    for c in expr.chars() {
        match c {
            '+' | '-' => {
                flush(&mut term, sign, &mut total)?;
                sign = if c == '+' { 1 } else { -1 };
            }
            c => term.push(c),
        }
    }
    flush(&mut term, sign, &mut total)?;
    Some(total)
}

/// Resolves `${...}` values (recursively in arrays and objects).
///
/// # Errors
/// When a name is neither arithmetic nor a known variable.
pub fn resolve(value: &Value, vars: &Vars) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(s) => match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(expr) => match arithmetic(expr, vars) {
                Some(n) => Value::from(n),
                None => vars
                    .values
                    .get(expr)
                    .cloned()
                    .with_context(|| format!("unknown mutation value ${{{expr}}}"))?,
            },
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, vars)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        other => other.clone(),
    })
}

impl Mutation {
    /// Whether a value of this mutation is relative to the target's allowed clock skew
    /// (`${skew}`), which the target must then declare.
    pub fn uses_skew(&self) -> bool {
        [&self.set, &self.tamper_set, &self.header_set]
            .iter()
            .flat_map(|m| m.values())
            .filter_map(Value::as_str)
            .any(|s| s.starts_with("${") && s.contains("skew"))
    }

    /// Whether the mutation asks for JARM encryption (it sets
    /// `authorization_encrypted_response_alg` or `_enc`), which only a holder offering JARM
    /// encryption registers or refuses as the JARM rules say (SOURCES.md §8.19).
    pub fn uses_jarm_encryption(&self) -> bool {
        self.set
            .keys()
            .any(|k| k.starts_with("authorization_encrypted_response_"))
    }

    /// Whether the mutation can be made from a token someone else signed, without their private
    /// key: it changes no claim and no header member, and it either signs with a key that is not
    /// the legitimate one (`impostor`), drops the signature (`none`), or only alters the payload
    /// after signing. An SSA issued by the real CDR Register can be mutated this way; a mutation
    /// that needs the Register's key (an expired SSA, a missing kid) cannot be faked faithfully.
    pub fn works_on_issued_token(&self) -> bool {
        let unchanged = self.set.is_empty()
            && self.remove.is_empty()
            && self.header_set.is_empty()
            && self.header_remove.is_empty();
        unchanged
            && match self.signer.as_deref() {
                None => !self.tamper_set.is_empty(),
                Some("impostor" | "none") => self.tamper_set.is_empty(),
                Some(_) => false,
            }
    }

    /// Applies `set` and `remove` to claims.
    ///
    /// # Errors
    /// When a value cannot be resolved.
    pub fn apply_claims(&self, claims: &mut Map<String, Value>, vars: &Vars) -> anyhow::Result<()> {
        for (k, v) in &self.set {
            claims.insert(k.clone(), resolve(v, vars)?);
        }
        for k in &self.remove {
            claims.remove(k);
        }
        Ok(())
    }

    /// Applies `header_set` and `header_remove` to a JWS header.
    ///
    /// # Errors
    /// When a value cannot be resolved.
    pub fn apply_header(&self, header: &mut Map<String, Value>, vars: &Vars) -> anyhow::Result<()> {
        for (k, v) in &self.header_set {
            header.insert(k.clone(), resolve(v, vars)?);
        }
        for k in &self.header_remove {
            header.remove(k);
        }
        Ok(())
    }

    /// The claims to put in place of the signed payload, if this mutation tampers after signing.
    ///
    /// # Errors
    /// When a value cannot be resolved.
    pub fn tampered(
        &self,
        signed: &Map<String, Value>,
        vars: &Vars,
    ) -> anyhow::Result<Option<Map<String, Value>>> {
        if self.tamper_set.is_empty() {
            return Ok(None);
        }
        let mut claims = signed.clone();
        for (k, v) in &self.tamper_set {
            claims.insert(k.clone(), resolve(v, vars)?);
        }
        Ok(Some(claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[test]
    fn only_signature_level_ssa_mutations_work_on_an_issued_ssa() {
        let file = MutationFile::ssa().expect("ssa.yaml");
        let works: Vec<&str> = file
            .tests
            .iter()
            .filter(|m| m.works_on_issued_token())
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(
            works,
            ["impostor-signature", "alg-none", "tampered-payload"]
        );
    }

    #[test]
    fn embedded_mutation_files_are_consistent() {
        let ssa = MutationFile::ssa().expect("ssa");
        let reg = MutationFile::registration().expect("registration");
        assert_eq!(ssa.applies_to, "software_statement");
        assert_eq!(reg.applies_to, "registration_request");
        assert!(ssa.get("expired").is_ok() && reg.get("alg-none").is_ok());
        let uk_ssa = MutationFile::uk_ssa().expect("uk ssa");
        let uk_reg = MutationFile::uk_registration().expect("uk registration");
        assert_eq!(uk_ssa.applies_to, "software_statement");
        assert_eq!(uk_reg.applies_to, "registration_request");
        // Ids are unique across the CDS and UK files, so a scenario names either kind alike.
        for (a, b) in [(&ssa, &uk_ssa), (&reg, &uk_reg)] {
            for m in &b.tests {
                assert!(
                    a.get(&m.id).is_err(),
                    "{} is in both {} files",
                    m.id,
                    a.applies_to
                );
            }
        }
    }

    #[rstest]
    #[case("now", 1000)]
    #[case("now-600", 400)]
    #[case("now+skew+30", 1090)]
    #[case("now-skew-30", 910)]
    fn time_expressions_resolve(#[case] expr: &str, #[case] want: i64) {
        let vars = Vars {
            now: 1000,
            skew: 60,
            values: BTreeMap::new(),
        };
        assert_eq!(
            resolve(&json!(format!("${{{expr}}}")), &vars).expect("resolve"),
            json!(want)
        );
    }

    #[test]
    fn names_resolve_and_unknown_names_fail() {
        let mut vars = Vars::default();
        vars.values.insert("issuer".into(), json!("https://dh"));
        assert_eq!(
            resolve(&json!("${issuer}"), &vars).expect("issuer"),
            json!("https://dh")
        );
        assert!(resolve(&json!("${nope}"), &vars).is_err());
    }

    #[test]
    fn set_remove_and_tamper_apply() {
        let m: Mutation = serde_yaml::from_str(
            "id: x\ncomment: c\nexpect: invalid\nset: {a: 1}\nremove: [b]\ntamper_set: {c: 3}\n",
        )
        .expect("mutation");
        let mut claims = json!({"b": 2, "c": 0}).as_object().cloned().expect("obj");
        m.apply_claims(&mut claims, &Vars::default())
            .expect("apply");
        assert_eq!(Value::Object(claims.clone()), json!({"a": 1, "c": 0}));
        let t = m
            .tampered(&claims, &Vars::default())
            .expect("tamper")
            .expect("some");
        assert_eq!(t["c"], json!(3));
    }
}

//! The requirement catalogue (`features/catalogue.yaml`): what each rule requires and which
//! outcomes it accepts. Scenario expectations for refusals come from here, so that where the
//! sources disagree the suite accepts exactly the set the catalogue documents.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

/// A rule's level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Normative; a failure fails the run.
    Must,
    /// Normative recommendation; a failure is a warning unless `--strict`.
    Should,
    /// Permitted behaviour; never fails a run.
    May,
    /// Our recommendation where the sources are silent; warning unless `--strict`.
    Rec,
    /// Reference-implementation behaviour; only under `--profile mock-compat`.
    Impl,
}

impl Level {
    /// The level as written in tags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
            Self::May => "MAY",
            Self::Rec => "REC",
            Self::Impl => "IMPL",
        }
    }

    /// Whether a failure at this level is only a warning (SHOULD/REC unless `strict`; MAY
    /// always).
    pub fn failure_is_warning(self, strict: bool) -> bool {
        match self {
            Self::Must | Self::Impl => false,
            Self::Should | Self::Rec => !strict,
            Self::May => true,
        }
    }
}

/// The outcomes a rule accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepts {
    /// Accepted HTTP statuses.
    #[serde(default)]
    pub status: Vec<u16>,
    /// Accepted OAuth `error` codes.
    #[serde(default)]
    pub error: Vec<String>,
    /// Whether a refused TLS handshake also passes.
    #[serde(default)]
    pub tls_refusal: bool,
}

/// One requirement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `DCR-REQ-NNN`.
    pub id: String,
    /// Area (discovery, registration, ...).
    pub area: String,
    /// Level.
    pub level: Level,
    /// One-line rule.
    pub rule: String,
    /// Operations it exercises.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Sources.
    #[serde(default)]
    pub source: Vec<String>,
    /// Profiles it applies to.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Accepted outcomes.
    #[serde(default)]
    pub accepts: Option<Accepts>,
    /// Notes (disagreements, preconditions).
    #[serde(default)]
    pub note: Option<String>,
    /// Whether a black-box client can check it.
    pub testable: bool,
    /// Why not, when it cannot.
    #[serde(default)]
    pub untestable_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    schema: String,
    #[allow(dead_code)]
    version: u32,
    #[serde(default)]
    profiles: BTreeMap<String, String>,
    rules: Vec<Rule>,
}

/// The loaded catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    rules: BTreeMap<String, Rule>,
    /// Profile names and descriptions.
    pub profiles: BTreeMap<String, String>,
}

impl Catalogue {
    /// Loads `catalogue.yaml` from `path`.
    ///
    /// # Errors
    /// Fails when the file is missing or malformed, or an ID is duplicated.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read catalogue {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("catalogue {}", path.display()))
    }

    /// Parses catalogue YAML.
    ///
    /// # Errors
    /// Fails when the text is malformed or an ID is duplicated.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = serde_yaml::from_str(text)?;
        if file.schema != "dcr-conformance/catalogue" {
            bail!(
                "schema: expected dcr-conformance/catalogue, got {}",
                file.schema
            );
        }
        let mut rules = BTreeMap::new();
        for rule in file.rules {
            if !rule.testable && rule.untestable_reason.is_none() {
                bail!(
                    "{}: testable is false but untestable_reason is missing",
                    rule.id
                );
            }
            if let Some(old) = rules.insert(rule.id.clone(), rule) {
                bail!("rule {} appears twice", old.id);
            }
        }
        Ok(Self {
            rules,
            profiles: file.profiles,
        })
    }

    /// Checks that `profile` is one the catalogue defines.
    ///
    /// # Errors
    /// `--profile NAME: unknown profile; the catalogue defines ...`.
    pub fn check_profile(&self, profile: &str) -> anyhow::Result<()> {
        if self.profiles.contains_key(profile) {
            return Ok(());
        }
        anyhow::bail!(
            "--profile {profile}: unknown profile; the catalogue defines {}",
            self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    }

    /// The rule with `id`.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.get(id)
    }

    /// All rules in ID order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_catalogue() -> Catalogue {
        Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/catalogue.yaml"))
            .expect("catalogue")
    }

    #[test]
    fn the_repository_catalogue_has_all_94_rules() {
        let c = repo_catalogue();
        assert_eq!(c.rules().count(), 94);
        assert!(c.rule("DCR-REQ-001").is_some() && c.rule("DCR-REQ-094").is_some());
    }

    #[test]
    fn every_refusal_rule_with_a_400_names_its_error_codes() {
        for rule in repo_catalogue().rules() {
            if let Some(a) = &rule.accepts
                && a.status == [400]
            {
                assert!(
                    !a.error.is_empty(),
                    "{} accepts 400 without naming an error code",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let yaml = "schema: dcr-conformance/catalogue\nversion: 1\nrules:\n- {id: A, area: x, level: MUST, rule: r, testable: true}\n- {id: A, area: x, level: MUST, rule: r, testable: true}\n";
        assert!(
            Catalogue::parse(yaml)
                .expect_err("dup")
                .to_string()
                .contains("twice")
        );
    }
}

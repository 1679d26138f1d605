//! The requirement catalogue (`features/catalogue.yaml`) and the profiles
//! (`features/profiles/*.yaml`): what each rule requires, which outcomes it accepts, and which
//! rules a DCR flavour is checked against. Scenario expectations for refusals come from here,
//! so that where the sources disagree the suite accepts exactly the set the catalogue (or the
//! profile) documents.
//!
//! * [`profile`]: profile files, `extends`, and a profile resolved against the catalogue.
//! * [`source`]: where the features and the catalogue are read from: the tree built into the
//!   binary, or `--features DIR`.

pub mod profile;
pub mod source;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

pub use profile::{Profile, ProfileFiles, Treatment};

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
    /// Reference-implementation behaviour; only under profiles that include it (`mock-compat`).
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

/// An expected text (an `error_description`), matched exactly or in part. Written as a map with
/// one of `is`, `starts_with`, `contains`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "TextFile")]
pub enum Text {
    /// Exactly this text.
    Is(String),
    /// Text starting with this.
    StartsWith(String),
    /// Text containing this.
    Contains(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFile {
    #[serde(default)]
    is: Option<String>,
    #[serde(default)]
    starts_with: Option<String>,
    #[serde(default)]
    contains: Option<String>,
}

impl TryFrom<TextFile> for Text {
    type Error = String;
    fn try_from(f: TextFile) -> Result<Self, String> {
        match (f.is, f.starts_with, f.contains) {
            (Some(t), None, None) => Ok(Text::Is(t)),
            (None, Some(t), None) => Ok(Text::StartsWith(t)),
            (None, None, Some(t)) => Ok(Text::Contains(t)),
            _ => Err("give exactly one of is, starts_with or contains".into()),
        }
    }
}

impl Text {
    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Text::Is(t) => text == t,
            Text::StartsWith(t) => text.starts_with(t.as_str()),
            Text::Contains(t) => text.contains(t.as_str()),
        }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Text::Is(t) => write!(f, "{t:?}"),
            Text::StartsWith(t) => write!(f, "starting with {t:?}"),
            Text::Contains(t) => write!(f, "containing {t:?}"),
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
    /// The `error_description` expected (a release's exact string), when one is.
    #[serde(default)]
    pub description: Option<Text>,
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
#[serde(deny_unknown_fields)]
struct File {
    schema: String,
    #[allow(dead_code)]
    version: u32,
    #[allow(dead_code)]
    spec: Option<String>,
    #[allow(dead_code)]
    #[serde(default)]
    levels: BTreeMap<String, String>,
    rules: Vec<Rule>,
}

/// The loaded catalogues and profiles.
///
/// The features folder holds one catalogue per family of standards: `catalogue.yaml` at its
/// root (the CDS family, [`DEFAULT_CATALOGUE`]) and `<family>/catalogue.yaml` in a folder of its
/// own (e.g. `uk-obie/catalogue.yaml`: UK Open Banking). A profile checks the rules of one
/// family (its `catalogue:` key); rule IDs are unique across all of them, so a scenario's tags
/// say which family it belongs to.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Each family's own rules, by family name.
    families: BTreeMap<String, BTreeMap<String, Rule>>,
    /// Every family's rules and every profile's own rules.
    rules: BTreeMap<String, Rule>,
    /// The profile files.
    profiles: ProfileFiles,
}

/// The profile a run checks when none is named.
pub const DEFAULT_PROFILE: &str = "cds-au";

/// The family of the root `catalogue.yaml` (the Consumer Data Standards), which a profile
/// without a `catalogue:` key checks.
pub const DEFAULT_CATALOGUE: &str = "cds";

impl Catalogue {
    /// Loads `catalogue.yaml`, every `<family>/catalogue.yaml` one folder down, and the profiles
    /// of `profiles/` from the features folder `dir`.
    ///
    /// # Errors
    /// Fails when a file is missing or malformed, or an ID is duplicated (within a file or
    /// across families).
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join("catalogue.yaml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read catalogue {}", path.display()))?;
        let mut catalogue =
            Self::parse(&text).with_context(|| format!("catalogue {}", path.display()))?;
        let mut folders: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read features folder {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir() && p.join("catalogue.yaml").is_file())
            .collect();
        folders.sort();
        for folder in folders {
            let family = folder
                .file_name()
                .and_then(|n| n.to_str())
                .context("a catalogue folder's name is not UTF-8")?
                .to_string();
            let path = folder.join("catalogue.yaml");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read catalogue {}", path.display()))?;
            let other =
                Self::parse(&text).with_context(|| format!("catalogue {}", path.display()))?;
            catalogue
                .add_family(&family, other)
                .with_context(|| format!("catalogue {}", path.display()))?;
        }
        catalogue.with_profiles(ProfileFiles::read_dir(&dir.join("profiles"))?)
    }

    /// Adds the rules of `other` (parsed alone, as the default family) as family `family`.
    ///
    /// # Errors
    /// The family exists already, or one of its IDs is another family's.
    pub fn add_family(&mut self, family: &str, other: Catalogue) -> anyhow::Result<()> {
        if self.families.contains_key(family) {
            bail!("catalogue family {family} is defined twice");
        }
        let rules = other.families.into_values().next().unwrap_or_default();
        for (id, rule) in &rules {
            if self.rules.insert(id.clone(), rule.clone()).is_some() {
                bail!(
                    "rule {id} is defined in two catalogues; rule IDs are unique across families"
                );
            }
        }
        self.families.insert(family.to_string(), rules);
        Ok(())
    }

    /// The names of the catalogue families, in order.
    pub fn families(&self) -> impl Iterator<Item = &str> {
        self.families.keys().map(String::as_str)
    }

    /// The rules of family `family` (without any profile's own), in ID order.
    pub fn family_rules(&self, family: &str) -> impl Iterator<Item = &Rule> {
        self.families
            .get(family)
            .into_iter()
            .flat_map(|r| r.values())
    }

    /// Adds `profiles`, and every profile's own rules to the rules scenarios may name.
    ///
    /// # Errors
    /// A profile's own rules that do not parse, or whose IDs clash.
    pub fn with_profiles(mut self, profiles: ProfileFiles) -> anyhow::Result<Self> {
        for rule in profiles.own_rules()? {
            if let Some(old) = self.rules.insert(rule.id.clone(), rule) {
                bail!(
                    "rule {} is defined twice (catalogue or profile_rules)",
                    old.id
                );
            }
        }
        self.profiles = profiles;
        Ok(self)
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
            families: BTreeMap::from([(DEFAULT_CATALOGUE.to_string(), rules.clone())]),
            rules,
            profiles: ProfileFiles::default(),
        })
    }

    /// The profile `name`, resolved.
    ///
    /// # Errors
    /// `--profile NAME: unknown profile; the profiles are ...`, or the profile's problems.
    pub fn profile(&self, name: &str) -> anyhow::Result<Profile> {
        if !self.profiles.names().any(|n| n == name) {
            bail!(
                "--profile {name}: unknown profile; the profiles are {}",
                self.profile_names().collect::<Vec<_>>().join(", ")
            );
        }
        self.profiles.resolve(name, &self.families)
    }

    /// The names of the profiles, in order.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.names()
    }

    /// The rule with `id`.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.get(id)
    }

    /// Every rule scenarios may name, in ID order: the catalogue's and every profile's own.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.values()
    }

    /// The rules of a requirement matrix under `profile`: its catalogue family's, then the
    /// profile's own.
    pub fn matrix_rules<'a>(&'a self, profile: &'a Profile) -> impl Iterator<Item = &'a Rule> {
        self.family_rules(&profile.catalogue)
            .chain(profile.rules().filter(|c| c.own).map(|c| &c.rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_catalogue() -> Catalogue {
        Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../features"))
            .expect("catalogue")
    }

    #[test]
    fn every_profile_of_the_repository_resolves() {
        let c = repo_catalogue();
        let names: Vec<String> = c.profile_names().map(str::to_string).collect();
        assert!(names.contains(&"cds-au".to_string()), "{names:?}");
        for name in names {
            c.profile(&name).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn cds_au_checks_every_rule_but_impl_and_the_hybrid_legacy_rule() {
        let c = repo_catalogue();
        let p = c.profile("cds-au").expect("cds-au");
        let ids: Vec<&str> = p.rules().map(|r| r.rule.id.as_str()).collect();
        assert_eq!(ids.len(), 89);
        assert!(!p.applies("DCR-REQ-050") && !p.applies("DCR-REQ-013"));
        let m = c.profile("mock-compat").expect("mock-compat");
        assert_eq!(m.rules().count(), 96);
        assert!(m.applies("DCR-REQ-013") && !m.applies("DCR-REQ-050"));
        assert_eq!(m.flavour, "cds-au");
    }

    #[test]
    fn the_repository_catalogue_has_all_97_rules() {
        let c = repo_catalogue();
        assert_eq!(
            c.rules().filter(|r| r.id.starts_with("DCR-REQ-")).count(),
            97
        );
        assert!(c.rule("DCR-REQ-001").is_some() && c.rule("DCR-REQ-097").is_some());
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

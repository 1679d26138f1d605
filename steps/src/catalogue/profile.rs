//! Profiles: one file per DCR flavour under `features/profiles/`, the suite's expectations of a
//! holder of that flavour.
//!
//! A profile says which standard and version it checks and from which sources; which catalogue
//! rules apply and at which level; the accepted outcomes per rule where the flavour differs;
//! rules only that flavour has (a release's exact strings); the rules its release documents as
//! not checked (reported with a status of their own, never excused silently); where the sources
//! could not settle a behaviour (the candidates are accepted and the rule is marked unsettled);
//! and how the suite talks to such a holder ([`Wire`]).
//!
//! A profile may `extends` another: maps are merged key by key (the child wins), lists are
//! replaced, and a rule's setting in `rules.set` replaces the parent's setting of that rule; a
//! key set to null (`~`) removes the parent's entry (a rule back to the catalogue's setting, a
//! scenario no longer unsettled). Every file is checked when it is loaded, and a problem names the file and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value;

use super::{Accepts, Level, Rule};

/// The schema name of a profile file.
pub const SCHEMA: &str = "dcr-conformance/profile";

/// A profile file as written (after `extends` is merged in).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    schema: String,
    #[allow(dead_code)]
    version: u32,
    name: String,
    title: String,
    standard: Standard,
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    catalogue: Option<String>,
    #[serde(default)]
    flavour: Option<String>,
    #[serde(default)]
    snapshots: Option<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    rules: RulesSection,
    #[serde(default)]
    profile_rules: Vec<Rule>,
    #[serde(default)]
    scenarios: BTreeMap<String, ScenarioSetting>,
    #[serde(default)]
    wire: Wire,
}

/// A scenario the profile treats apart: `off` (its assertion does not hold for the release,
/// which the sources settle: it does not run) or `unsettled` (the sources leave its assertion
/// open: its failure is a warning that says so, never a failure of the run and never a pass);
/// `rows` limits the setting to the outline rows whose names contain one of the texts.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSetting {
    /// Not run under the profile, and why.
    #[serde(default)]
    pub off: Option<String>,
    /// Why the sources leave it open.
    #[serde(default)]
    pub unsettled: Option<String>,
    /// The outline rows it applies to (by text in the scenario's name); all when empty.
    #[serde(default)]
    pub rows: Vec<String>,
}

impl ScenarioSetting {
    /// Whether the setting applies to the scenario (or outline row) named `name`.
    pub fn covers(&self, name: &str) -> bool {
        self.rows.is_empty() || self.rows.iter().any(|r| name.contains(r.as_str()))
    }
}

/// The standard a profile checks.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    /// Its name.
    pub name: String,
    /// The version (or release) checked.
    pub version: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    /// Catalogue rules of these levels apply, unless `set` turns one off.
    include: Vec<Level>,
    /// Per-rule settings.
    #[serde(default)]
    set: BTreeMap<String, RuleSettingFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSettingFile {
    /// Not checked under this profile, and why (e.g. a rule of another era).
    #[serde(default)]
    off: Option<String>,
    /// The level the rule is checked at under this profile.
    #[serde(default)]
    level: Option<Level>,
    /// The outcomes accepted under this profile (replaces the catalogue's).
    #[serde(default)]
    accepts: Option<Accepts>,
    /// The sources could not settle the behaviour: `accepts` holds every candidate, and
    /// reports mark the rule unsettled with this reason.
    #[serde(default)]
    unsettled: Option<String>,
    /// The release documents that it does not make this check.
    #[serde(default)]
    not_checked: Option<NotChecked>,
    /// Where the setting comes from.
    #[serde(default)]
    source: Option<String>,
    /// Per input (a mutation's name), outcomes that differ from the rule's: where the sources
    /// settle the rule but not one of its inputs.
    #[serde(default)]
    cases: BTreeMap<String, Case>,
}

/// The outcomes a rule accepts for one input (a named mutation) under a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The outcomes accepted for this input.
    pub accepts: Accepts,
    /// The sources could not settle this input: `accepts` holds every candidate.
    #[serde(default)]
    pub unsettled: Option<String>,
    /// Where the setting comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// A check a release documents as not made: its scenarios still run; a failure is reported as
/// "not checked by this release", never as a pass and never hidden.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NotChecked {
    /// What the release documents, quoted or paraphrased.
    pub why: String,
    /// Where it says so.
    pub source: String,
    /// What that means for a bank, in one line.
    pub meaning: String,
}

/// How a rule is treated under a profile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "treatment")]
pub enum Treatment {
    /// Checked as the level says.
    Checked,
    /// The sources could not settle the behaviour; every candidate is accepted.
    Unsettled {
        /// Why, citing the source.
        why: String,
    },
    /// The release documents that it does not check this.
    NotChecked(NotChecked),
}

/// A rule as a profile checks it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The rule (from the catalogue, or the profile's own).
    pub rule: Rule,
    /// The level it is checked at.
    pub level: Level,
    /// The outcomes accepted.
    pub accepts: Option<Accepts>,
    /// How it is treated.
    pub treatment: Treatment,
    /// Where the profile's setting comes from, when it changes the catalogue's.
    pub source: Option<String>,
    /// Whether the rule is the profile's own (not in the catalogue).
    pub own: bool,
    /// Outcomes for particular inputs (by mutation name).
    pub cases: BTreeMap<String, Case>,
}

/// Where the registration endpoint is. Written `discovery`, or `{path: /…}`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(try_from = "EndpointFile")]
pub enum Endpoint {
    /// `registration_endpoint` of the discovery document.
    #[default]
    Discovery,
    /// A fixed path on the holder's mutual-TLS host (the origin of the discovery document's
    /// `token_endpoint`), unless a target file names the URL.
    Path(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EndpointFile {
    Word(String),
    Path { path: String },
}

impl TryFrom<EndpointFile> for Endpoint {
    type Error = String;
    fn try_from(f: EndpointFile) -> Result<Self, String> {
        match f {
            EndpointFile::Word(w) if w == "discovery" => Ok(Endpoint::Discovery),
            EndpointFile::Word(w) => Err(format!(
                "{w:?}; expected discovery, or {{path: /…}} for a fixed path"
            )),
            EndpointFile::Path { path } => Ok(Endpoint::Path(path)),
        }
    }
}

/// How response members are named on the wire.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// RFC 7591 names (`client_id`).
    #[default]
    SnakeCase,
    /// camelCase (`clientId`), as WSO2 OB 1.4's sample response shows.
    CamelCase,
}

impl Naming {
    /// The wire name of the RFC 7591 member `name`.
    pub fn wire(self, name: &str) -> String {
        match self {
            Naming::SnakeCase => name.to_string(),
            Naming::CamelCase => {
                let mut out = String::with_capacity(name.len());
                let mut upper = false;
                for c in name.chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// The JSON type of `client_id_issued_at`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IssuedAt {
    /// A JSON number (RFC 7591 §3.2.1).
    #[default]
    Number,
    /// A JSON string of decimal digits (WSO2 accelerator releases).
    String,
}

/// Shapes an error body may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorShape {
    /// `{"error": code, "error_description": text}` (RFC 6749 §5.2, RFC 7591 §3.2.2).
    Oauth,
    /// `{"errors": [{"Code", "Title", "Message"}]}` (WSO2 API gateway), the OAuth code in
    /// `Title`.
    Gateway,
    /// `{"error": code, "errorDescription": text}`: a release that writes every member in
    /// camelCase.
    OauthCamelCase,
}

/// How the suite talks to a holder of the flavour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wire {
    /// Where the registration endpoint is.
    #[serde(default)]
    pub registration_endpoint: Endpoint,
    /// The algorithms the release takes for request and client-assertion signatures; the
    /// embedded environment gives its recipients keys of these, in turn (A the first).
    #[serde(default = "fapi_algs")]
    pub signing_algs: Vec<String>,
    /// Registration requests.
    #[serde(default)]
    pub request: RequestWire,
    /// Software statements the suite mints.
    #[serde(default)]
    pub ssa: SsaWire,
    /// The management token.
    #[serde(default)]
    pub token: TokenWire,
    /// Registration responses.
    #[serde(default)]
    pub response: ResponseWire,
    /// Error bodies.
    #[serde(default)]
    pub errors: ErrorWire,
}

fn fapi_algs() -> Vec<String> {
    vec!["PS256".into(), "ES256".into()]
}

impl Default for Wire {
    fn default() -> Self {
        Self {
            registration_endpoint: Endpoint::default(),
            signing_algs: fapi_algs(),
            request: RequestWire::default(),
            ssa: SsaWire::default(),
            token: TokenWire::default(),
            response: ResponseWire::default(),
            errors: ErrorWire::default(),
        }
    }
}

/// Registration requests (POST and PUT).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestWire {
    /// The registration request template (`vectors/templates/`): `cds` (the default) or
    /// `uk-obie`.
    #[serde(default = "default_registration_template")]
    pub template: String,
    /// `Content-Type` of a registration request.
    #[serde(default = "jwt_content_type")]
    pub content_type: String,
    /// Extra headers sent with every registration call.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Members set on every registration request (after the template, before mutations).
    #[serde(default)]
    pub set: serde_json::Map<String, Json>,
    /// Members removed from every registration request.
    #[serde(default)]
    pub remove: Vec<String>,
}

fn jwt_content_type() -> String {
    "application/jwt".into()
}

impl Default for RequestWire {
    fn default() -> Self {
        Self {
            template: default_registration_template(),
            content_type: jwt_content_type(),
            headers: BTreeMap::new(),
            set: serde_json::Map::new(),
            remove: Vec::new(),
        }
    }
}

/// Software statements the suite mints (with the Register's key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsaWire {
    /// The SSA template the suite mints from (`vectors/templates/`): `cdr-register` (the
    /// default) or `ob-directory` (UK Open Banking Directory).
    #[serde(default = "default_ssa_template")]
    pub template: String,
    /// Claims added with the value of another claim (`new: existing`), for a release that reads
    /// a claim under another name (e.g. `software_jwks_endpoint` for `jwks_uri`).
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
}

fn default_ssa_template() -> String {
    dcr_vectors::templates::DEFAULT_SSA_TEMPLATE.into()
}

fn default_registration_template() -> String {
    dcr_vectors::templates::DEFAULT_REGISTRATION_TEMPLATE.into()
}

impl Default for SsaWire {
    fn default() -> Self {
        Self {
            template: default_ssa_template(),
            copy: BTreeMap::new(),
        }
    }
}

/// The client-credentials token of management calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenWire {
    /// `scope` of the token request.
    #[serde(default = "registration_scope")]
    pub scope: String,
}

fn registration_scope() -> String {
    "cdr:registration".into()
}

impl Default for TokenWire {
    fn default() -> Self {
        Self {
            scope: registration_scope(),
        }
    }
}

/// Registration responses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseWire {
    /// Member naming.
    #[serde(default)]
    pub naming: Naming,
    /// The type of `client_id_issued_at`.
    #[serde(default)]
    pub client_id_issued_at: IssuedAt,
    /// Members GET and PUT answers may carry beyond the registration (e.g. the caller's
    /// `registration_access_token` echoed back); ignored when comparing a registration.
    #[serde(default)]
    pub management_members: Vec<String>,
}

/// Error bodies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorWire {
    /// The shapes an error body may take, where the OAuth code is read from.
    #[serde(default = "oauth_only")]
    pub shapes: Vec<ErrorShape>,
}

fn oauth_only() -> Vec<ErrorShape> {
    vec![ErrorShape::Oauth]
}

impl Default for ErrorWire {
    fn default() -> Self {
        Self {
            shapes: oauth_only(),
        }
    }
}

impl ErrorWire {
    /// The OAuth error code of a JSON error body, in any of the profile's shapes.
    pub fn code(&self, body: &Json) -> Option<String> {
        self.shapes.iter().find_map(|shape| match shape {
            ErrorShape::Oauth | ErrorShape::OauthCamelCase => {
                body.get("error")?.as_str().map(str::to_string)
            }
            ErrorShape::Gateway => body
                .get("errors")?
                .as_array()?
                .first()?
                .get("Title")?
                .as_str()
                .map(str::to_string),
        })
    }

    /// The error description of a JSON error body, in any of the profile's shapes.
    pub fn description(&self, body: &Json) -> Option<String> {
        self.shapes.iter().find_map(|shape| match shape {
            ErrorShape::Oauth => body.get("error_description")?.as_str().map(str::to_string),
            ErrorShape::OauthCamelCase => {
                body.get("errorDescription")?.as_str().map(str::to_string)
            }
            ErrorShape::Gateway => body
                .get("errors")?
                .as_array()?
                .first()?
                .get("Message")?
                .as_str()
                .map(str::to_string),
        })
    }
}

/// A profile, resolved: its `extends` chain merged, its rules chosen from the catalogue.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Its name (the file name without `.yaml`).
    pub name: String,
    /// One line saying what it is.
    pub title: String,
    /// The standard and version it checks.
    pub standard: Standard,
    /// The profile it extends.
    pub extends: Option<String>,
    /// The catalogue family whose rules it checks (`cds`, `uk-obie`).
    pub catalogue: String,
    /// The mock holder flavour an embedded run of this profile starts.
    pub flavour: String,
    /// The folder (inside the target's snapshot folder) holding this profile's snapshots:
    /// its own name, or that of a profile sending the same requests.
    pub snapshots: String,
    /// Where its expectations come from (clauses, seed documents, reference code).
    pub sources: Vec<String>,
    /// What a bank should know about a holder of this flavour, in a few lines.
    pub summary: Option<String>,
    rules: BTreeMap<String, Checked>,
    /// Scenarios (by `@id:`) whose assertion the sources leave open under this profile.
    pub scenarios: BTreeMap<String, ScenarioSetting>,
    /// How the suite talks to such a holder.
    pub wire: Wire,
    /// The templates of `wire.ssa.template` and `wire.request.template`, loaded.
    pub templates: Templates,
}

/// The SSA and registration request templates a profile's requests are built from.
#[derive(Debug, Clone)]
pub struct Templates {
    /// Software statements the suite mints.
    pub ssa: dcr_vectors::SsaTemplate,
    /// Registration requests.
    pub registration: dcr_vectors::RegistrationTemplate,
}

impl Profile {
    /// The profile's setting of scenario `id` named `name` (an outline row's name), if any.
    pub fn scenario(&self, id: &str, name: &str) -> Option<&ScenarioSetting> {
        self.scenarios.get(id).filter(|s| s.covers(name))
    }

    /// The rule `id` as this profile checks it, if it applies.
    pub fn rule(&self, id: &str) -> Option<&Checked> {
        self.rules.get(id)
    }

    /// Whether rule `id` applies under this profile.
    pub fn applies(&self, id: &str) -> bool {
        self.rules.contains_key(id)
    }

    /// Whether a scenario proving `rules` runs under this profile: it proves some rule, and
    /// every one of them applies (a scenario asserting a rule the profile does not check would
    /// fail a holder the profile describes).
    pub fn applies_to_all(&self, rules: &[String]) -> bool {
        !rules.is_empty() && rules.iter().all(|r| self.applies(r))
    }

    /// Every rule this profile checks, in ID order.
    pub fn rules(&self) -> impl Iterator<Item = &Checked> {
        self.rules.values()
    }

    /// Rules the release documents as not checked.
    pub fn not_checked(&self) -> impl Iterator<Item = (&Checked, &NotChecked)> {
        self.rules.values().filter_map(|c| match &c.treatment {
            Treatment::NotChecked(n) => Some((c, n)),
            _ => None,
        })
    }
}

/// `profile` described for people (`dcr-conformance profiles`): its name, title, standard,
/// what it extends, the mock flavour of its embedded run, its sources, counts of what it
/// checks, the checks its release documents as not made; with `verbose`, every rule whose
/// level, outcomes or treatment differ from the catalogue's.
pub fn describe(profile: &Profile, verbose: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", profile.name, profile.title);
    let _ = writeln!(
        out,
        "  standard: {} ({})",
        profile.standard.name, profile.standard.version
    );
    if let Some(parent) = &profile.extends {
        let _ = writeln!(out, "  extends:  {parent}");
    }
    let _ = writeln!(out, "  embedded: mock holder flavour {}", profile.flavour);
    for source in &profile.sources {
        let _ = writeln!(out, "  source:   {source}");
    }
    let count = |f: &dyn Fn(&Checked) -> bool| profile.rules().filter(|c| f(c)).count();
    let _ = writeln!(
        out,
        "  checks:   {} rules ({} of its own, {} unsettled, {} not checked by the release)",
        profile.rules().count(),
        count(&|c| c.own),
        count(&|c| matches!(c.treatment, Treatment::Unsettled { .. })),
        count(&|c| matches!(c.treatment, Treatment::NotChecked(_))),
    );
    for (c, n) in profile.not_checked() {
        let _ = writeln!(
            out,
            "  NOT CHECKED by this release: {} {} ({}): {}",
            c.rule.id, n.why, n.source, n.meaning
        );
    }
    if let Some(summary) = &profile.summary {
        let _ = writeln!(out, "  {summary}");
    }
    if verbose {
        for c in profile.rules() {
            let level = (c.level != c.rule.level).then(|| {
                format!(
                    " level {} (catalogue {})",
                    c.level.as_str(),
                    c.rule.level.as_str()
                )
            });
            let accepts = c.source.as_ref().map(|s| format!(" [{s}]"));
            let treatment = match &c.treatment {
                Treatment::Checked => None,
                Treatment::Unsettled { why } => Some(format!(" unsettled: {why}")),
                Treatment::NotChecked(n) => Some(format!(" not checked: {}", n.why)),
            };
            if c.own || level.is_some() || treatment.is_some() || c.source.is_some() {
                let _ = writeln!(
                    out,
                    "    {}{}{}{}{}",
                    c.rule.id,
                    if c.own { " (profile's own)" } else { "" },
                    level.unwrap_or_default(),
                    treatment.unwrap_or_default(),
                    accepts.unwrap_or_default()
                );
            }
        }
    }
    out
}

/// Merges `child` into `parent`: maps key by key (the child wins; a key the child sets to
/// null is removed), anything else replaced.
fn merge(parent: &mut Value, child: Value) {
    match (parent, child) {
        (Value::Mapping(p), Value::Mapping(c)) => {
            for (k, v) in c {
                if v.is_null() {
                    p.remove(&k);
                    continue;
                }
                match p.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        p.insert(k, v);
                    }
                }
            }
        }
        (p, c) => *p = c,
    }
}

/// Profile files by name, as YAML values (before `extends` is resolved).
#[derive(Debug, Clone, Default)]
pub struct ProfileFiles {
    files: BTreeMap<String, (String, Value)>,
}

impl ProfileFiles {
    /// Reads every `*.yaml` of `dir` (none is fine: the folder may not exist).
    ///
    /// # Errors
    /// A file that cannot be read or is not YAML, named with its path.
    pub fn read_dir(dir: &Path) -> anyhow::Result<Self> {
        let mut out = Self::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(out);
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read profile {}", path.display()))?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.add(&name, &path.display().to_string(), &text)?;
        }
        Ok(out)
    }

    /// Adds the profile `name` read from `origin` (a path, for messages).
    ///
    /// # Errors
    /// When the text is not YAML.
    pub fn add(&mut self, name: &str, origin: &str, text: &str) -> anyhow::Result<()> {
        let value: Value = serde_yaml::from_str(text)
            .with_context(|| format!("profile {origin} is not valid YAML"))?;
        self.files
            .insert(name.to_string(), (origin.to_string(), value));
        Ok(())
    }

    /// The names of the profiles.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The profile `name` with its `extends` chain merged in, as a value, and the chain.
    fn merged(&self, name: &str) -> anyhow::Result<(Value, Vec<String>)> {
        let mut chain = vec![name.to_string()];
        let mut value = self.value(name)?.clone();
        let mut current = name.to_string();
        loop {
            let parent = match self.value(&current)?.get("extends") {
                None | Some(Value::Null) => break,
                Some(Value::String(p)) => p.clone(),
                Some(_) => bail!(
                    "{}: extends: expected a profile name",
                    self.origin(&current)
                ),
            };
            if chain.contains(&parent) {
                bail!(
                    "{}: extends: {} forms a circle ({})",
                    self.origin(&current),
                    parent,
                    chain.join(" → ")
                );
            }
            if !self.files.contains_key(&parent) {
                bail!(
                    "{}: extends: no profile {parent:?} (known: {})",
                    self.origin(&current),
                    self.names().collect::<Vec<_>>().join(", ")
                );
            }
            chain.push(parent.clone());
            let mut base = self.value(&parent)?.clone();
            // A rule's setting is replaced as a whole: a child that sets a level for a rule its
            // parent turned off means the rule is on.
            if let (Some(Value::Mapping(child_set)), Some(Value::Mapping(base_set))) = (
                value.get("rules").and_then(|r| r.get("set")).cloned(),
                base.get_mut("rules").and_then(|r| r.get_mut("set")),
            ) {
                for id in child_set.keys() {
                    base_set.remove(id);
                }
            }
            merge(&mut base, value);
            value = base;
            current = parent;
        }
        // The merged document is the child's: its own name and extends.
        if let Value::Mapping(m) = &mut value {
            m.insert("name".into(), Value::String(name.to_string()));
            match self.value(name)?.get("extends") {
                Some(e) => m.insert("extends".into(), e.clone()),
                None => m.remove("extends"),
            };
        }
        Ok((value, chain))
    }

    fn value(&self, name: &str) -> anyhow::Result<&Value> {
        self.files
            .get(name)
            .map(|(_, v)| v)
            .with_context(|| format!("no profile {name:?}"))
    }

    fn origin(&self, name: &str) -> String {
        self.files
            .get(name)
            .map_or_else(|| name.to_string(), |(o, _)| o.clone())
    }

    /// Resolves profile `name` against the catalogue `rules`.
    ///
    /// # Errors
    /// Every problem with its file and field: an unknown key, a rule ID the catalogue does not
    /// know, an `extends` circle, a setting that contradicts itself.
    pub fn resolve(
        &self,
        name: &str,
        families: &BTreeMap<String, BTreeMap<String, Rule>>,
    ) -> anyhow::Result<Profile> {
        let (value, chain) = self.merged(name)?;
        let origin = self.origin(name);
        let file: File = serde_path_to_error::deserialize(value).map_err(|e| {
            anyhow::anyhow!(
                "{origin}: {}: {} (profiles extend {})",
                e.path(),
                e.inner(),
                chain.join(" → ")
            )
        })?;
        let mut problems = Vec::new();
        let family = file
            .catalogue
            .clone()
            .unwrap_or_else(|| super::DEFAULT_CATALOGUE.to_string());
        let empty = BTreeMap::new();
        let rules = match families.get(&family) {
            Some(rules) => rules,
            None => {
                problems.push(format!(
                    "catalogue: {family:?}; the catalogues are {} (features/<name>/catalogue.yaml)",
                    families.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                &empty
            }
        };
        let foreign = |id: &str| families.values().any(|f| f.contains_key(id));
        if file.schema != SCHEMA {
            problems.push(format!("schema: {:?}; expected {SCHEMA}", file.schema));
        }
        if file.name != name {
            problems.push(format!(
                "name: {:?}; expected {name:?} (the file name)",
                file.name
            ));
        }
        let own: BTreeMap<String, Rule> = file
            .profile_rules
            .iter()
            .map(|r| (r.id.clone(), r.clone()))
            .collect();
        for r in &file.profile_rules {
            if foreign(&r.id) {
                problems.push(format!(
                    "profile_rules: {} is a catalogue rule; a profile's own rule needs an ID of its own",
                    r.id
                ));
            }
        }
        let include: BTreeSet<Level> = file.rules.include.iter().copied().collect();
        let mut checked = BTreeMap::new();
        for (id, rule) in rules.iter().chain(own.iter()) {
            let is_own = own.contains_key(id);
            let setting = file.rules.set.get(id).cloned().unwrap_or_default();
            if setting.off.is_some() {
                continue;
            }
            if !is_own && !include.contains(&rule.level) && setting.level.is_none() {
                continue;
            }
            let treatment = match (&setting.unsettled, &setting.not_checked) {
                (Some(_), Some(_)) => {
                    problems.push(format!(
                        "rules.set.{id}: unsettled and not_checked exclude each other"
                    ));
                    Treatment::Checked
                }
                (Some(why), None) => Treatment::Unsettled { why: why.clone() },
                (None, Some(n)) => Treatment::NotChecked(n.clone()),
                (None, None) => Treatment::Checked,
            };
            if matches!(treatment, Treatment::Unsettled { .. }) && setting.accepts.is_none() {
                problems.push(format!(
                    "rules.set.{id}: unsettled needs accepts listing every candidate outcome"
                ));
            }
            checked.insert(
                id.clone(),
                Checked {
                    rule: rule.clone(),
                    level: setting.level.unwrap_or(rule.level),
                    accepts: setting.accepts.clone().or_else(|| rule.accepts.clone()),
                    treatment,
                    source: setting.source.clone(),
                    own: is_own,
                    cases: setting.cases.clone(),
                },
            );
        }
        let mutations: BTreeSet<String> = [
            dcr_vectors::mutation::MutationFile::all_ssa(),
            dcr_vectors::mutation::MutationFile::all_registration(),
        ]
        .into_iter()
        .filter_map(Result::ok)
        .flatten()
        .flat_map(|f| f.tests.into_iter().map(|m| m.id))
        .collect();
        for (id, setting) in &file.rules.set {
            for case in setting.cases.keys() {
                if !mutations.contains(case) {
                    problems.push(format!(
                        "rules.set.{id}.cases.{case}: no mutation of that name in vectors/mutations/"
                    ));
                }
            }
            if !rules.contains_key(id) && !own.contains_key(id) {
                problems.push(format!(
                    "rules.set.{id}: no such rule in catalogue {family} or in profile_rules"
                ));
            }
            if setting.off.is_some()
                && (setting.level.is_some()
                    || setting.accepts.is_some()
                    || setting.unsettled.is_some()
                    || setting.not_checked.is_some()
                    || !setting.cases.is_empty())
            {
                problems.push(format!(
                    "rules.set.{id}: off cannot be combined with other settings"
                ));
            }
        }
        for (id, s) in &file.scenarios {
            if s.off.is_some() == s.unsettled.is_some() {
                problems.push(format!(
                    "scenarios.{id}: give exactly one of off or unsettled"
                ));
            }
        }
        for alg in &file.wire.signing_algs {
            if !matches!(alg.as_str(), "PS256" | "ES256") {
                problems.push(format!(
                    "wire.signing_algs: {alg:?}; expected PS256 or ES256"
                ));
            }
        }
        if file.wire.signing_algs.is_empty() {
            problems.push("wire.signing_algs: empty; expected PS256 and/or ES256".into());
        }
        if let Endpoint::Path(p) = &file.wire.registration_endpoint
            && !p.starts_with('/')
        {
            problems.push(format!(
                "wire.registration_endpoint.path: {p:?}; expected an absolute path such as /open-banking/0.2/register"
            ));
        }
        let ssa_template = dcr_vectors::SsaTemplate::named(&file.wire.ssa.template)
            .map_err(|e| problems.push(format!("wire.ssa.template: {e:#}")))
            .ok();
        let registration_template =
            dcr_vectors::RegistrationTemplate::named(&file.wire.request.template)
                .map_err(|e| problems.push(format!("wire.request.template: {e:#}")))
                .ok();
        if file.wire.errors.shapes.is_empty() {
            problems.push("wire.errors.shapes: empty; expected oauth and/or gateway".into());
        }
        if !problems.is_empty() {
            bail!(
                "profile {origin} is not usable:\n  {}",
                problems.join("\n  ")
            );
        }
        let (Some(ssa), Some(registration)) = (ssa_template, registration_template) else {
            bail!("profile {origin}: its templates did not load");
        };
        Ok(Profile {
            templates: Templates { ssa, registration },
            catalogue: family,
            flavour: file.flavour.unwrap_or_else(|| name.to_string()),
            snapshots: file.snapshots.unwrap_or_else(|| name.to_string()),
            name: file.name,
            title: file.title,
            standard: file.standard,
            extends: file.extends,
            sources: file.sources,
            summary: file.summary,
            rules: checked,
            scenarios: file.scenarios,
            wire: file.wire,
        })
    }

    /// The profile-only rules of every profile (so that scenarios of any profile trace to a
    /// rule), without resolving the profiles.
    ///
    /// # Errors
    /// A profile whose `profile_rules` do not parse.
    pub fn own_rules(&self) -> anyhow::Result<Vec<Rule>> {
        let mut out = Vec::new();
        for (name, (origin, value)) in &self.files {
            let Some(rules) = value.get("profile_rules") else {
                continue;
            };
            let rules: Vec<Rule> = serde_path_to_error::deserialize(rules.clone())
                .map_err(|e| anyhow::anyhow!("{origin}: profile_rules{}: {}", e.path(), e.inner()))
                .with_context(|| format!("profile {name}"))?;
            out.extend(rules);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(yaml: &str) -> BTreeMap<String, Rule> {
        serde_yaml::from_str::<Vec<Rule>>(yaml)
            .expect("rules")
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect()
    }

    /// Two families: the default one (R-001..003) and `other` (O-001).
    fn rules() -> BTreeMap<String, BTreeMap<String, Rule>> {
        let cds = "- {id: R-001, area: a, level: MUST, rule: r1, testable: true, accepts: {status: [400], error: [x]}}\n\
                    - {id: R-002, area: a, level: SHOULD, rule: r2, testable: true}\n\
                    - {id: R-003, area: a, level: IMPL, rule: r3, testable: true}\n";
        let other = "- {id: O-001, area: a, level: MUST, rule: o1, testable: true}\n";
        BTreeMap::from([
            (crate::catalogue::DEFAULT_CATALOGUE.to_string(), family(cds)),
            ("other".to_string(), family(other)),
        ])
    }

    #[test]
    fn a_profile_checks_the_rules_of_its_catalogue_family_only() {
        let head = "schema: dcr-conformance/profile\nversion: 1\ntitle: t\nstandard: {name: s, version: '1'}\nrules: {include: [MUST, SHOULD]}\n";
        let files = files(&[
            ("base", &format!("{head}name: base\n")),
            ("uk", &format!("{head}name: uk\ncatalogue: other\n")),
            ("bad", &format!("{head}name: bad\ncatalogue: nowhere\n")),
        ]);
        let base = files.resolve("base", &rules()).expect("base");
        assert_eq!(base.catalogue, "cds");
        assert!(base.applies("R-001") && !base.applies("O-001"));
        let uk = files.resolve("uk", &rules()).expect("uk");
        assert_eq!(uk.catalogue, "other");
        assert!(uk.applies("O-001") && !uk.applies("R-001") && !uk.applies("R-002"));
        let err = files.resolve("bad", &rules()).expect_err("unknown family");
        assert!(
            format!("{err:#}").contains("catalogue: \"nowhere\"; the catalogues are cds, other"),
            "{err:#}"
        );
    }

    fn files(list: &[(&str, &str)]) -> ProfileFiles {
        let mut f = ProfileFiles::default();
        for (name, text) in list {
            f.add(name, &format!("{name}.yaml"), text).expect("yaml");
        }
        f
    }

    const BASE: &str = "schema: dcr-conformance/profile\nversion: 1\nname: base\ntitle: t\nstandard: {name: s, version: '1'}\nrules:\n  include: [MUST, SHOULD]\n";

    #[test]
    fn a_profile_checks_the_levels_it_includes() {
        let p = files(&[("base", BASE)])
            .resolve("base", &rules())
            .expect("base");
        assert!(p.applies("R-001") && p.applies("R-002") && !p.applies("R-003"));
        assert_eq!(p.flavour, "base");
        assert_eq!(p.wire.token.scope, "cdr:registration");
    }

    #[test]
    fn a_child_extends_its_parent_and_overrides_rules_and_wire() {
        let child = "schema: dcr-conformance/profile\nversion: 1\nname: child\ntitle: c\nstandard: {name: s, version: '2'}\nextends: base\nflavour: base\nrules:\n  include: [MUST, SHOULD, IMPL]\n  set:\n    R-002: {off: other era}\n    R-001: {level: SHOULD, accepts: {status: [400, 401], error: [x, y]}, unsettled: 'sources disagree'}\nwire:\n  response: {naming: camel_case, client_id_issued_at: string}\n";
        let p = files(&[("base", BASE), ("child", child)])
            .resolve("child", &rules())
            .expect("child");
        assert!(!p.applies("R-002"));
        assert!(p.applies("R-003"));
        let r1 = p.rule("R-001").expect("R-001");
        assert_eq!(r1.level, Level::Should);
        assert_eq!(
            r1.accepts.as_ref().map(|a| a.status.clone()),
            Some(vec![400, 401])
        );
        assert!(matches!(r1.treatment, Treatment::Unsettled { .. }));
        assert_eq!(p.wire.response.naming, Naming::CamelCase);
        assert_eq!(
            p.wire.response.naming.wire("client_id_issued_at"),
            "clientIdIssuedAt"
        );
        assert_eq!(p.extends.as_deref(), Some("base"));
    }

    #[test]
    fn a_child_may_turn_on_a_rule_its_parent_turned_off() {
        let parent = BASE.replace(
            "include: [MUST, SHOULD]",
            "include: [MUST, SHOULD]\n  set:\n    R-001: {off: not here}",
        );
        let child = "schema: dcr-conformance/profile\nversion: 1\nname: child\ntitle: c\nstandard: {name: s, version: '2'}\nextends: base\nrules:\n  set:\n    R-001: {level: SHOULD}\n";
        let files = files(&[("base", &parent), ("child", child)]);
        assert!(
            !files
                .resolve("base", &rules())
                .expect("base")
                .applies("R-001")
        );
        let c = files.resolve("child", &rules()).expect("child");
        assert_eq!(c.rule("R-001").map(|r| r.level), Some(Level::Should));
        assert!(c.applies("R-002"), "include is inherited");
    }

    #[test]
    fn problems_name_the_file_and_the_field() {
        let bad = "schema: dcr-conformance/profile\nversion: 1\nname: bad\ntitle: b\nstandard: {name: s, version: '1'}\nrules:\n  include: [MUST]\n  set:\n    R-999: {level: MUST}\n    R-001: {off: x, level: MUST}\n";
        let e = files(&[("bad", bad)])
            .resolve("bad", &rules())
            .expect_err("bad");
        let text = format!("{e:#}");
        assert!(text.contains("bad.yaml"), "{text}");
        assert!(text.contains("rules.set.R-999: no such rule"), "{text}");
        assert!(
            text.contains("rules.set.R-001: off cannot be combined"),
            "{text}"
        );
        let typo = BASE.replace("rules:", "wire: {requst: {}}\nrules:");
        let e = files(&[("base", &typo)])
            .resolve("base", &rules())
            .expect_err("typo");
        assert!(
            format!("{e:#}").contains("wire.requst: unknown field `requst`"),
            "{e:#}"
        );
    }

    #[test]
    fn an_extends_circle_and_a_missing_parent_are_refused() {
        let a = BASE
            .replace("name: base", "name: a")
            .replace("rules:", "extends: b\nrules:");
        let b = BASE
            .replace("name: base", "name: b")
            .replace("rules:", "extends: a\nrules:");
        let e = files(&[("a", &a), ("b", &b)])
            .resolve("a", &rules())
            .expect_err("circle");
        assert!(format!("{e:#}").contains("forms a circle"), "{e:#}");
        let c = BASE
            .replace("name: base", "name: c")
            .replace("rules:", "extends: nowhere\nrules:");
        let e = files(&[("c", &c)])
            .resolve("c", &rules())
            .expect_err("missing");
        assert!(format!("{e:#}").contains("no profile \"nowhere\""), "{e:#}");
    }

    #[test]
    fn unsettled_needs_its_candidates() {
        let p = BASE.replace(
            "include: [MUST, SHOULD]",
            "include: [MUST, SHOULD]\n  set:\n    R-002: {unsettled: why}",
        );
        let e = files(&[("base", &p)])
            .resolve("base", &rules())
            .expect_err("no accepts");
        assert!(
            format!("{e:#}").contains("unsettled needs accepts"),
            "{e:#}"
        );
    }

    #[test]
    fn error_codes_are_read_from_every_shape_the_profile_names() {
        let both = ErrorWire {
            shapes: vec![ErrorShape::Oauth, ErrorShape::Gateway],
        };
        let gateway = serde_json::json!({"errors": [{"Code": "Bad request", "Title": "invalid_client_metadata", "Message": "Malformed request JWT"}]});
        assert_eq!(
            both.code(&gateway).as_deref(),
            Some("invalid_client_metadata")
        );
        assert_eq!(
            both.description(&gateway).as_deref(),
            Some("Malformed request JWT")
        );
        assert_eq!(ErrorWire::default().code(&gateway), None);
        let oauth = serde_json::json!({"error": "invalid_redirect_uri"});
        assert_eq!(both.code(&oauth).as_deref(), Some("invalid_redirect_uri"));
    }
}

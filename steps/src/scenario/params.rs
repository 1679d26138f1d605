//! Cucumber parameter types: the recurring values of step texts, each with the regular
//! expression that recognises it. A step whose text does not fit (a recipient "C", a mistyped
//! status list, an unknown operation) matches no step definition and fails as undefined
//! instead of being read loosely; values that come from data (mutation names) are checked
//! against that data when the plan is loaded.
//!
//! Each type also says what it needs from the environment ([`StepArg`]), so that a step's
//! needs follow from its arguments (recipient B needs a second recipient, deleting needs
//! DELETE, a mutation of the SSA's signed claims needs the Register's key).

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::LazyLock;

use cucumber::Parameter;
use dcr_vectors::mutation::{Mutation, MutationFile};

use crate::environment::capabilities::Need;

/// A Data Recipient the suite acts as: `{recipient}`, A or B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Parameter)]
#[param(regex = "A|B", name = "recipient")]
pub enum Recipient {
    /// Recipient A, present in every environment.
    A,
    /// Recipient B, for cross-client checks (a target file may not have one).
    B,
}

impl Recipient {
    /// The name the environment knows the recipient by.
    pub fn name(self) -> &'static str {
        match self {
            Recipient::A => "A",
            Recipient::B => "B",
        }
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Recipient {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "A" => Ok(Recipient::A),
            "B" => Ok(Recipient::B),
            other => Err(format!("no recipient {other:?}; expected A or B")),
        }
    }
}

/// The TLS client identity a request is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Certificate {
    /// A recipient's transport certificate.
    Of(Recipient),
    /// No client certificate at all.
    None,
    /// A certificate issued by a CA no holder trusts.
    Rogue,
}

impl Certificate {
    /// The key of this identity in the environment's clients and TLS identities.
    pub fn key(self) -> &'static str {
        match self {
            Certificate::Of(r) => r.name(),
            Certificate::None => "none",
            Certificate::Rogue => "rogue",
        }
    }
}

impl From<Recipient> for Certificate {
    fn from(r: Recipient) -> Self {
        Certificate::Of(r)
    }
}

/// A transport without the recipient's own certificate: `{transport}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(
    regex = "without-a-client-certificate|with-a-certificate-from-another-CA",
    name = "transport"
)]
pub struct Transport(pub Certificate);

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "without-a-client-certificate" => Ok(Transport(Certificate::None)),
            "with-a-certificate-from-another-CA" => Ok(Transport(Certificate::Rogue)),
            other => Err(format!("unknown transport {other:?}")),
        }
    }
}

/// A management operation on a registration: `{operation}` (reads, updates, deletes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(regex = "reads|updates|deletes", name = "operation")]
pub enum Operation {
    /// GET /register/{ClientId}.
    Read,
    /// PUT /register/{ClientId} with a freshly signed request.
    Update,
    /// DELETE /register/{ClientId}.
    Delete,
}

impl FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reads" => Ok(Operation::Read),
            "updates" => Ok(Operation::Update),
            "deletes" => Ok(Operation::Delete),
            other => Err(format!("unknown operation {other:?}")),
        }
    }
}

impl Operation {
    /// The HTTP method of the operation.
    pub fn method(self) -> reqwest::Method {
        match self {
            Operation::Read => reqwest::Method::GET,
            Operation::Update => reqwest::Method::PUT,
            Operation::Delete => reqwest::Method::DELETE,
        }
    }
}

/// An HTTP method named in a step: `{method}`.
#[derive(Debug, Clone, PartialEq, Eq, Parameter)]
#[param(
    regex = "GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE",
    name = "method"
)]
pub struct Method(pub reqwest::Method);

impl FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        reqwest::Method::from_bytes(s.as_bytes())
            .map(Method)
            .map_err(|_| format!("{s:?} is not an HTTP method"))
    }
}

/// A quoted, comma-separated list of HTTP statuses: `{statuses}`, e.g. `"400, 401"`.
#[derive(Debug, Clone, PartialEq, Eq, Parameter)]
#[param(regex = r#""\d{3}(?:, ?\d{3})*""#, name = "statuses")]
pub struct Statuses(pub Vec<u16>);

impl FromStr for Statuses {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.trim_matches('"')
            .split(',')
            .map(|c| {
                c.trim()
                    .parse::<u16>()
                    .map_err(|e| format!("{c:?} in {s}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Statuses)
    }
}

/// A catalogue rule ID named in a step: `{rule_id}`, e.g. `DCR-REQ-030`.
#[derive(Debug, Clone, PartialEq, Eq, Parameter)]
#[param(regex = r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-\d{3}", name = "rule_id")]
pub struct RuleId(pub String);

impl FromStr for RuleId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(RuleId(s.to_string()))
    }
}

/// How a client assertion differs from a valid one: `{assertion_flaw}`. Each changes one
/// thing and keeps the rest valid (signed with the client's registered key and algorithm, a
/// fresh `jti`, `exp` five minutes ahead), so that a refusal is for that one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(
    regex = "(?:names|lacks|has|is|expires) [a-z0-9-]+",
    name = "assertion_flaw"
)]
pub enum AssertionFlaw {
    /// The JWS header has no `kid` (UK DCR: the conformance tool signs its assertions so; a
    /// holder finds the key among the client's): not a flaw where the standard allows it.
    NoKid,
    /// `iss` is not the client (`sub` still is).
    WrongIss,
    /// `iss` and `sub` (both the client, RFC 7523 §3) are the client_id with a suffix: a
    /// lookup that accepts what starts with a client_id finds the client.
    IssWithSuffix,
    /// `iss` and `sub` are the client_id without its last character: a lookup that accepts a
    /// prefix finds the client.
    IssPrefix,
    /// `sub` is not the client (`iss` still is).
    WrongSub,
    /// `aud` is neither the token endpoint nor the issuer.
    WrongAud,
    /// `aud` is the token endpoint URL with a trailing slash.
    AudTrailingSlash,
    /// `aud` is the token endpoint URL with more after it.
    AudWithSuffix,
    /// `aud` is the token endpoint URL without its last character.
    AudPrefix,
    /// `aud` is the token endpoint URL with its path in upper case.
    AudUpperCasePath,
    /// `aud` is the token endpoint URL with a `.` segment (`/./token`).
    AudDotSegment,
    /// `aud` is the holder's issuer (allowed).
    AudIssuer,
    /// No `iss`.
    NoIss,
    /// No `sub`.
    NoSub,
    /// No `aud`.
    NoAud,
    /// No `jti`.
    NoJti,
    /// No `exp`.
    NoExp,
    /// `exp` in the past (beyond any sane clock skew).
    Expired,
    /// `nbf` in the future (beyond any sane clock skew).
    NotYetValid,
    /// `nbf` a little in the past (allowed).
    PastNbf,
    /// `exp` 30 seconds ahead (allowed: a short-lived assertion).
    ShortLived,
    /// Signed with a key the client did not register.
    WrongKey,
    /// `alg: none`, no signature.
    Unsigned,
    /// HS256 with the client's public key as the MAC secret (algorithm confusion).
    Hs256WithPublicKey,
    /// Signed with the recipient's first key after it moved to its successor at a new
    /// `jwks_uri` (DCR-REQ-084): the key the registration no longer names.
    PreviousKey,
}

/// The phrase of each [`AssertionFlaw`] in feature files.
const ASSERTION_FLAWS: &[(&str, AssertionFlaw)] = &[
    ("names another-issuer", AssertionFlaw::WrongIss),
    (
        "names a-client-id-with-a-suffix",
        AssertionFlaw::IssWithSuffix,
    ),
    ("names a-prefix-of-the-client-id", AssertionFlaw::IssPrefix),
    ("names another-subject", AssertionFlaw::WrongSub),
    ("names another-audience", AssertionFlaw::WrongAud),
    (
        "names the-token-endpoint-with-a-trailing-slash",
        AssertionFlaw::AudTrailingSlash,
    ),
    (
        "names the-token-endpoint-with-a-suffix",
        AssertionFlaw::AudWithSuffix,
    ),
    (
        "names a-prefix-of-the-token-endpoint",
        AssertionFlaw::AudPrefix,
    ),
    (
        "names the-token-endpoint-in-upper-case",
        AssertionFlaw::AudUpperCasePath,
    ),
    (
        "names the-token-endpoint-with-a-dot-segment",
        AssertionFlaw::AudDotSegment,
    ),
    ("names the-issuer", AssertionFlaw::AudIssuer),
    ("lacks iss", AssertionFlaw::NoIss),
    ("lacks sub", AssertionFlaw::NoSub),
    ("lacks aud", AssertionFlaw::NoAud),
    ("lacks jti", AssertionFlaw::NoJti),
    ("lacks exp", AssertionFlaw::NoExp),
    ("lacks kid", AssertionFlaw::NoKid),
    ("has expired", AssertionFlaw::Expired),
    ("has a-future-nbf", AssertionFlaw::NotYetValid),
    ("has a-past-nbf", AssertionFlaw::PastNbf),
    ("expires in-30-seconds", AssertionFlaw::ShortLived),
    ("is wrongly-signed", AssertionFlaw::WrongKey),
    ("is unsigned", AssertionFlaw::Unsigned),
    (
        "is hs256-signed-with-the-public-key",
        AssertionFlaw::Hs256WithPublicKey,
    ),
    (
        "is signed-with-its-previous-key",
        AssertionFlaw::PreviousKey,
    ),
];

impl FromStr for AssertionFlaw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ASSERTION_FLAWS
            .iter()
            .find(|(phrase, _)| *phrase == s)
            .map(|(_, flaw)| *flaw)
            .ok_or_else(|| {
                let known: Vec<&str> = ASSERTION_FLAWS.iter().map(|(p, _)| *p).collect();
                format!(
                    "unknown client assertion flaw {s:?}; known: {}",
                    known.join(", ")
                )
            })
    }
}

static SSA_MUTATIONS: LazyLock<Result<Vec<MutationFile>, String>> =
    LazyLock::new(|| MutationFile::all_ssa().map_err(|e| format!("{e:#}")));
static REQUEST_MUTATIONS: LazyLock<Result<Vec<MutationFile>, String>> =
    LazyLock::new(|| MutationFile::all_registration().map_err(|e| format!("{e:#}")));

/// The mutation named `quoted` in any of `files` (the CDS's and the UK's; ids are unique
/// across them).
fn lookup(
    files: &'static Result<Vec<MutationFile>, String>,
    quoted: &str,
) -> Result<&'static Mutation, String> {
    let files = files.as_ref().map_err(Clone::clone)?;
    let id = quoted.trim_matches('"');
    files.iter().find_map(|f| f.get(id).ok()).ok_or_else(|| {
        let names: Vec<&str> = files.iter().map(|f| f.applies_to.as_str()).collect();
        format!(
            "no mutation named {id:?} among the {} mutations",
            names.join(" and ")
        )
    })
}

/// A named mutation of a software statement (`vectors/mutations/ssa.yaml`):
/// `{ssa_mutation}`, quoted.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(regex = r#""[a-z0-9][a-z0-9_-]*""#, name = "ssa_mutation")]
pub struct SsaMutation(pub &'static Mutation);

impl FromStr for SsaMutation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        lookup(&SSA_MUTATIONS, s).map(SsaMutation)
    }
}

/// A named mutation of a registration request (`vectors/mutations/registration.yaml`):
/// `{request_mutation}`, quoted.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(regex = r#""[a-z0-9][a-z0-9_-]*""#, name = "request_mutation")]
pub struct RequestMutation(pub &'static Mutation);

impl FromStr for RequestMutation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        lookup(&REQUEST_MUTATIONS, s).map(RequestMutation)
    }
}

/// A step function argument, as far as the needs of its step are concerned: how many
/// captured values it takes from the step text, and what its value needs.
pub trait StepArg {
    /// Takes this argument's captured value(s) from `captured` and adds what the value needs.
    ///
    /// # Errors
    /// When the captured text is not a valid value (e.g. an unknown mutation name).
    fn add_needs(
        captured: &mut dyn Iterator<Item = &str>,
        needs: &mut BTreeSet<Need>,
    ) -> Result<(), String>;
}

/// Takes one captured value and parses it as `T`.
fn one<T: FromStr<Err = String>>(captured: &mut dyn Iterator<Item = &str>) -> Result<T, String> {
    let text = captured
        .next()
        .ok_or("the step text has fewer values than the step function has arguments")?;
    text.parse()
}

/// Arguments whose value never needs anything: plain captures.
macro_rules! needs_nothing {
    ($($t:ty),*) => {$(
        impl StepArg for $t {
            fn add_needs(
                captured: &mut dyn Iterator<Item = &str>,
                _: &mut BTreeSet<Need>,
            ) -> Result<(), String> {
                captured
                    .next()
                    .map(|_| ())
                    .ok_or_else(|| "the step text has fewer values than the step function has arguments".into())
            }
        }
    )*};
}
needs_nothing!(
    String,
    u16,
    u32,
    u64,
    usize,
    i64,
    Statuses,
    RuleId,
    Method,
    Transport,
    AssertionFlaw
);

impl StepArg for &cucumber::gherkin::Step {
    /// The step itself (its table or docstring) is not a captured value.
    fn add_needs(_: &mut dyn Iterator<Item = &str>, _: &mut BTreeSet<Need>) -> Result<(), String> {
        Ok(())
    }
}

impl StepArg for Recipient {
    fn add_needs(
        captured: &mut dyn Iterator<Item = &str>,
        needs: &mut BTreeSet<Need>,
    ) -> Result<(), String> {
        if one::<Recipient>(captured)? == Recipient::B {
            needs.insert(Need::SecondRecipient);
        }
        Ok(())
    }
}

impl StepArg for Operation {
    fn add_needs(
        captured: &mut dyn Iterator<Item = &str>,
        needs: &mut BTreeSet<Need>,
    ) -> Result<(), String> {
        needs.insert(match one::<Operation>(captured)? {
            Operation::Read => Need::Read,
            Operation::Update => Need::Update,
            Operation::Delete => Need::Delete,
        });
        Ok(())
    }
}

impl StepArg for SsaMutation {
    fn add_needs(
        captured: &mut dyn Iterator<Item = &str>,
        needs: &mut BTreeSet<Need>,
    ) -> Result<(), String> {
        let SsaMutation(m) = one(captured)?;
        // Re-signing with an impostor key, dropping the signature or tampering after signing
        // can be done to an SSA the Register issued; every other change needs its key.
        if !m.works_on_issued_token() {
            needs.insert(Need::RegisterKey);
        }
        if m.uses_skew() {
            needs.insert(Need::ClockSkew);
        }
        Ok(())
    }
}

impl StepArg for RequestMutation {
    fn add_needs(
        captured: &mut dyn Iterator<Item = &str>,
        needs: &mut BTreeSet<Need>,
    ) -> Result<(), String> {
        let RequestMutation(m) = one(captured)?;
        if m.uses_skew() {
            needs.insert(Need::ClockSkew);
        }
        if m.uses_jarm_encryption() {
            needs.insert(Need::JarmEncryption);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_list_parses_and_a_mistyped_one_does_not_match() {
        assert_eq!(
            "\"400, 401,403\"".parse::<Statuses>(),
            Ok(Statuses(vec![400, 401, 403]))
        );
        let re = regex::Regex::new(&format!("^{}$", <Statuses as cucumber::Parameter>::REGEX))
            .expect("regex");
        assert!(re.is_match("\"400, 401\""));
        assert!(!re.is_match("\"400, 4O1\""));
        assert!(!re.is_match("\"400;401\""));
    }

    #[test]
    fn an_unknown_mutation_is_refused_with_its_name() {
        let e = "\"no-such-mutation\""
            .parse::<SsaMutation>()
            .expect_err("unknown");
        assert!(e.contains("no-such-mutation"), "{e}");
        assert!("\"alg-none\"".parse::<SsaMutation>().is_ok());
    }

    #[test]
    fn argument_values_carry_their_needs() {
        let mut needs = BTreeSet::new();
        let mut values = ["B", "deletes"].into_iter();
        Recipient::add_needs(&mut values, &mut needs).expect("B");
        Operation::add_needs(&mut values, &mut needs).expect("deletes");
        assert_eq!(needs, BTreeSet::from([Need::SecondRecipient, Need::Delete]));
        let mut values = ["A", "reads"].into_iter();
        let mut read = BTreeSet::new();
        Recipient::add_needs(&mut values, &mut read).expect("A");
        Operation::add_needs(&mut values, &mut read).expect("reads");
        assert_eq!(read, BTreeSet::from([Need::Read]));
    }

    #[test]
    fn a_mutation_asking_for_jarm_encryption_needs_a_holder_offering_it() {
        let needs_of = |name: &str| {
            let mut needs = BTreeSet::new();
            RequestMutation::add_needs(&mut [name].into_iter(), &mut needs).expect(name);
            needs
        };
        for name in [
            "jarm-enc-without-alg",
            "jarm-enc-alg-rsa1-5",
            "jarm-enc-enc-a128gcm",
            "jarm-alg-without-enc",
        ] {
            assert_eq!(
                needs_of(name),
                BTreeSet::from([Need::JarmEncryption]),
                "{name}"
            );
        }
        assert!(needs_of("authz-signed-alg-none").is_empty());
    }
}

//! What a scenario needs from the environment, declared where each step is defined.
//!
//! Every step definition is written inside [`step!`], which places the cucumber attribute and
//! the step's declared needs side by side: needs that the step always has (`needs [..]`), and
//! needs that follow from its arguments' values ([`StepArg`]: recipient B, a deletion, a
//! mutation needing the Register's key). A scenario's needs are found by matching each of its
//! concrete steps (outline rows expanded, backgrounds included) with cucumber's own step
//! matcher, so the wording lives in one place: reword a step and its needs go with it. An
//! explicit `@needs:<name>` tag adds a need the steps cannot show.
//!
//! Before the run, every scenario whose needs the target cannot meet is taken out and
//! reported as **skipped, with the reason**: never run half-way, never counted as passed.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use cucumber::World as _;
use cucumber::gherkin;

pub use crate::environment::capabilities::{Capabilities, Need};
use crate::scenario::world::DcrWorld;

/// Tag prefix of explicit needs.
pub const NEEDS_PREFIX: &str = "needs:";

/// The declared needs of one step definition, registered beside it by [`step!`].
#[derive(Debug)]
pub struct Declared {
    /// `file!()` of the definition (as cucumber records it).
    pub file: &'static str,
    /// `line!()` of the definition (as cucumber records it: the `step!` invocation).
    pub line: u32,
    /// The needs of a use of the step, from its captured values in order.
    pub needs: fn(&[String]) -> Result<BTreeSet<Need>, String>,
}

inventory::collect!(Declared);

/// Defines a cucumber step and declares its needs beside it:
///
/// ```text
/// step! {
///     needs [Need::TokenExpiry];
///     #[given(expr = "the access token of recipient {recipient} has expired")]
///     async fn wait_for_expiry(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> { .. }
/// }
/// ```
///
/// Each argument type after the World implements [`StepArg`](crate::scenario::params::StepArg),
/// which adds what its value needs. One step per invocation: the step and its declaration
/// share the invocation's line, which is how a matched step finds its declaration.
macro_rules! step {
    (
        needs [$($need:expr),* $(,)?];
        #[$kind:ident $($attr:tt)*]
        $(#[$meta:meta])*
        $vis:vis async fn $name:ident ($($args:tt)*) $($rest:tt)*
    ) => {
        #[$kind $($attr)*]
        $(#[$meta])*
        $vis async fn $name($($args)*) $($rest)*
        $crate::scenario::needs::declare_needs!([$($need),*]; $($args)*);
    };
    (
        needs [$($need:expr),* $(,)?];
        #[$kind:ident $($attr:tt)*]
        $(#[$meta:meta])*
        $vis:vis fn $name:ident ($($args:tt)*) $($rest:tt)*
    ) => {
        #[$kind $($attr)*]
        $(#[$meta])*
        $vis fn $name($($args)*) $($rest)*
        $crate::scenario::needs::declare_needs!([$($need),*]; $($args)*);
    };
}

/// The registration half of [`step!`].
macro_rules! declare_needs {
    (
        [$($need:expr),*];
        $w:ident : &mut $world:ty $(, $(#[$am:meta])* $arg:ident : $ty:ty)* $(,)?
    ) => {
        ::inventory::submit! {
            $crate::scenario::needs::Declared {
                file: ::std::file!(),
                line: ::std::line!(),
                needs: |captured: &[::std::string::String]| {
                    #[allow(unused_mut)]
                    let mut needs: ::std::collections::BTreeSet<$crate::scenario::needs::Need> =
                        [$($need),*].into_iter().collect();
                    #[allow(unused_mut, unused_variables)]
                    let mut values = captured.iter().map(::std::string::String::as_str);
                    $(
                        <$ty as $crate::scenario::params::StepArg>::add_needs(
                            &mut values,
                            &mut needs,
                        )?;
                    )*
                    ::std::result::Result::Ok(needs)
                },
            }
        }
    };
}

pub(crate) use {declare_needs, step};

/// Every declaration, by the definition's file and line.
static DECLARED: LazyLock<HashMap<(&'static str, u32), &'static Declared>> = LazyLock::new(|| {
    inventory::iter::<Declared>
        .into_iter()
        .map(|d| ((d.file, d.line), d))
        .collect()
});

/// Cucumber's step matcher, built once.
static STEPS: LazyLock<cucumber::step::Collection<DcrWorld>> = LazyLock::new(DcrWorld::collection);

/// The values a matched step captured, one per parameter in order (a `{string}` is one value
/// however it was quoted).
fn captured_values(matches: &[(Option<String>, String)]) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    let mut group: Option<(String, usize)> = None;
    for (name, value) in matches.iter().skip(1) {
        // cucumber names the alternatives of one parameter `__<param>_<n>`.
        let param = name
            .as_deref()
            .and_then(|n| n.strip_prefix("__"))
            .and_then(|n| n.split_once('_'))
            .map(|(p, _)| p.to_string());
        match (param, &mut group) {
            (Some(p), Some((current, index))) if *current == p => {
                if values[*index].is_empty() {
                    values[*index] = value.clone();
                }
            }
            (Some(p), _) => {
                group = Some((p, values.len()));
                values.push(value.clone());
            }
            (None, _) => {
                group = None;
                values.push(value.clone());
            }
        }
    }
    values
}

/// The needs of one step, from its definition's declaration.
///
/// # Errors
/// When the step matches no definition or several, when its definition declares no needs (it
/// was not defined with [`step!`]), or when a captured value is not valid (an unknown mutation
/// name).
pub fn of_step(step: &gherkin::Step) -> Result<BTreeSet<Need>, String> {
    match STEPS.find(step) {
        Ok(None) => Err(format!(
            "step {:?} matches no step definition (check its wording and values: recipients are A or B, statuses a quoted list like \"400, 401\")",
            step.value
        )),
        Err(e) => Err(format!(
            "step {:?} matches several step definitions: {e}",
            step.value
        )),
        Ok(Some((_, _, location, context))) => {
            let Some(location) = location else {
                return Err(format!("step {:?} has no definition location", step.value));
            };
            let declared = DECLARED.get(&(location.path, location.line)).ok_or_else(|| {
                format!(
                    "the definition of step {:?} ({location}) declares no needs: define it with step!",
                    step.value
                )
            })?;
            (declared.needs)(&captured_values(&context.matches))
                .map_err(|e| format!("step {:?}: {e}", step.value))
        }
    }
}

/// The needs of a scenario with these steps (background first) and tags. Unknown `@needs:`
/// tags are the plan's business ([`unknown_need_tags`]), not this function's.
///
/// # Errors
/// As [`of_step`], for the first step in error.
pub fn of_scenario<'a>(
    steps: impl IntoIterator<Item = &'a gherkin::Step>,
    tags: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeSet<Need>, String> {
    let mut needs = BTreeSet::new();
    for step in steps {
        needs.extend(of_step(step)?);
    }
    needs.extend(
        tags.into_iter()
            .filter_map(|t| t.strip_prefix(NEEDS_PREFIX))
            .filter_map(Need::from_name),
    );
    Ok(needs)
}

/// `@needs:` tags that name no need.
pub fn unknown_need_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    tags.into_iter()
        .filter(|t| {
            t.strip_prefix(NEEDS_PREFIX)
                .is_some_and(|n| Need::from_name(n).is_none())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn step(text: &str) -> gherkin::Step {
        let (keyword, value) = text.split_once(' ').expect("keyword and text");
        gherkin::Step {
            keyword: format!("{keyword} "),
            ty: match keyword {
                "Given" => gherkin::StepType::Given,
                "When" => gherkin::StepType::When,
                _ => gherkin::StepType::Then,
            },
            value: value.to_string(),
            docstring: None,
            table: None,
            span: Default::default(),
            position: Default::default(),
        }
    }

    fn needs(text: &str) -> BTreeSet<Need> {
        of_step(&step(text)).expect("declared")
    }

    #[rstest]
    #[case(
        "When recipient B posts the registration request",
        Need::SecondRecipient
    )]
    #[case(
        "When recipient A reads its registration over the certificate of recipient B",
        Need::SecondRecipient
    )]
    #[case(
        r#"Given recipient A holds a software statement with mutation "expired""#,
        Need::RegisterKey
    )]
    #[case(
        r#"When recipient A updates its registration with a software statement with mutation "kid-missing""#,
        Need::RegisterKey
    )]
    #[case(
        "When recipient A updates its registration with a software statement for another software product",
        Need::RegisterKey
    )]
    #[case(
        "Given the CDR Register publishes a new signing key",
        Need::RegisterJwksHost
    )]
    #[case(
        "Given recipient A moves to a new signing key at a new jwks_uri",
        Need::RecipientNextKey
    )]
    #[case(
        "When recipient A updates its registration with a newly issued software statement",
        Need::RegisterKey
    )]
    #[case("When recipient A deletes its registration", Need::Delete)]
    #[case("When recipient A reads its registration", Need::Read)]
    #[case("When recipient A updates its registration", Need::Update)]
    #[case(
        r#"When recipient A updates its registration with a software statement with mutation "impostor-signature""#,
        Need::Update
    )]
    #[case(
        "When recipient A deletes its registration without a token",
        Need::Delete
    )]
    #[case("Given the access token of recipient A has expired", Need::TokenExpiry)]
    #[case("When recipient A posts the registration request", Need::Isolation)]
    #[case(
        "Given recipient A is registered and holds a registration access token",
        Need::Isolation
    )]
    #[case(
        "When 20 registration requests of recipient A for the same software product are posted at once",
        Need::Isolation
    )]
    fn a_step_reveals_its_need(#[case] text: &str, #[case] need: Need) {
        assert!(needs(text).contains(&need), "{text}: {:?}", needs(text));
    }

    #[rstest]
    #[case("When the discovery document is fetched")]
    #[case("Given recipient A holds a software statement issued by the Register")]
    #[case(r#"Given recipient A signs a registration request with mutation "alg-none""#)]
    #[case(
        "Given recipient A holds a software statement signed by a key that is not the Register's"
    )]
    #[case(r#"Given recipient A holds a software statement with mutation "alg-none""#)]
    #[case(r#"Given recipient A holds a software statement with mutation "tampered-payload""#)]
    fn a_plain_step_needs_nothing(#[case] text: &str) {
        assert!(needs(text).is_empty(), "{text}: {:?}", needs(text));
    }

    #[test]
    fn a_skew_relative_mutation_needs_the_clock_skew() {
        let file = dcr_vectors::mutation::MutationFile::registration().expect("mutations");
        let skewed = file
            .tests
            .iter()
            .find(|m| m.uses_skew())
            .expect("a skew mutation exists");
        let text = format!(
            r#"Given recipient A signs a registration request with mutation "{}""#,
            skewed.id
        );
        assert!(needs(&text).contains(&Need::ClockSkew));
    }

    #[test]
    fn an_unknown_mutation_fails_the_plan_with_its_name() {
        let e = of_step(&step(
            r#"Given recipient A signs a registration request with mutation "no-such-thing""#,
        ))
        .expect_err("unknown mutation");
        assert!(e.contains("no-such-thing"), "{e}");
    }

    #[test]
    fn an_undefined_step_is_refused_with_its_text() {
        for text in [
            "When recipient C posts the registration request",
            r#"Then the response status is one of "400, 4O1""#,
        ] {
            let e = of_step(&step(text)).expect_err("undefined");
            assert!(e.contains("matches no step definition"), "{e}");
        }
    }

    #[test]
    fn explicit_tags_add_needs_and_unknown_ones_are_found() {
        let tags = ["needs:delete", "needs:teleport", "MUST"];
        assert_eq!(
            of_scenario([], tags).expect("no steps"),
            BTreeSet::from([Need::Delete])
        );
        assert_eq!(unknown_need_tags(tags), vec!["needs:teleport"]);
    }

    #[test]
    fn a_quoted_value_is_one_value_however_it_is_quoted() {
        let m = |n: Option<&str>, v: &str| (n.map(str::to_string), v.to_string());
        let matches = [
            m(None, "whole"),
            m(None, "B"),
            m(Some("__1_0"), ""),
            m(Some("__1_1"), "single"),
            m(Some("__2_0"), "double"),
            m(Some("__2_1"), ""),
            m(None, "3"),
        ];
        assert_eq!(captured_values(&matches), ["B", "single", "double", "3"]);
    }
}

//! Every check on every operation it applies to: each registration-request and SSA mutation
//! that a POST scenario refuses at MUST has a row in the PUT outlines (MGT-041 and MGT-042 for
//! the CDS, UK-MGT-050 to UK-MGT-054 for UK DCR) under the same rule, so that a new POST case
//! cannot be added without its PUT twin.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cucumber::gherkin::{Feature, GherkinEnv, Scenario};

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// Every feature file under `dir`, outside `profiles/` (a profile's own scenarios).
fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("features folder").flatten() {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "profiles") {
            feature_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
}

/// What a scenario sends: a request or an SSA with this mutation (`<column>` placeholders
/// as written), and the rule whose accepts set judges it.
fn mutation_and_rule(scenario: &Scenario) -> Option<(&'static str, String, String)> {
    let steps: Vec<&str> = scenario.steps.iter().map(|s| s.value.as_str()).collect();
    let quoted = |text: &str, after: &str| {
        text.split_once(after)
            .and_then(|(_, rest)| rest.strip_prefix('"'))
            .and_then(|rest| rest.split_once('"'))
            .map(|(m, _)| m.to_string())
    };
    let (kind, mutation) = steps.iter().find_map(|s| {
        quoted(s, "signs a registration request with mutation ")
            .map(|m| ("request", m))
            .or_else(|| quoted(s, "with a software statement with mutation ").map(|m| ("ssa", m)))
            .or_else(|| quoted(s, "and a software statement with mutation ").map(|m| ("ssa", m)))
            .or_else(|| quoted(s, "holds a software statement with mutation ").map(|m| ("ssa", m)))
            .or_else(|| {
                quoted(s, "updates its registration with mutation ").map(|m| ("request", m))
            })
    })?;
    let (at, rule) = steps.iter().enumerate().find_map(|(i, s)| {
        s.split_once("the outcome is one that ")
            .and_then(|(_, rest)| rest.strip_suffix(" accepts"))
            .map(|r| (i, r.to_string()))
    })?;
    // Only an outcome that judges the registration call itself is a refusal of the mutated
    // input: a later call (a token used over another certificate, say) is judged by its own
    // rule, on another operation.
    let last_call = steps[..at].iter().rev().find(|s| {
        [
            "posts",
            "is posted",
            "updates its registration",
            "reads",
            "deletes",
            "obtains",
            "requests an access token",
            "is sent over",
        ]
        .iter()
        .any(|verb| s.contains(verb))
    })?;
    let judges_registration = ["posts", "is posted", "updates its registration"]
        .iter()
        .any(|verb| last_call.contains(verb));
    judges_registration.then_some((kind, mutation, rule))
}

/// The (kind, rule, mutation) cases of `scenario`, its outline rows expanded.
fn cases(scenario: &Scenario) -> Vec<(&'static str, String, String)> {
    let Some((kind, mutation, rule)) = mutation_and_rule(scenario) else {
        return Vec::new();
    };
    if scenario.examples.is_empty() {
        return vec![(kind, rule, mutation)];
    }
    let mut out = Vec::new();
    for examples in &scenario.examples {
        let Some(table) = &examples.table else {
            continue;
        };
        let header = &table.rows[0];
        for row in &table.rows[1..] {
            let fill = |text: &str| {
                header.iter().zip(row).fold(text.to_string(), |t, (h, v)| {
                    t.replace(&format!("<{h}>"), v)
                })
            };
            out.push((kind, fill(&rule), fill(&mutation)));
        }
    }
    out
}

/// The PUT outlines that mirror the POST cases: the CDS's and the UK's.
const PUT_OUTLINES: [&str; 7] = [
    "id:MGT-041",
    "id:MGT-042",
    "id:UK-MGT-050",
    "id:UK-MGT-051",
    "id:UK-MGT-052",
    "id:UK-MGT-053",
    "id:UK-MGT-054",
];

#[test]
fn every_mutation_post_refuses_is_refused_on_put_too() {
    let mut files = Vec::new();
    feature_files(&features(), &mut files);
    let (mut post, mut put) = (BTreeSet::new(), BTreeSet::new());
    for file in files {
        let feature = Feature::parse_path(&file, GherkinEnv::default()).expect("feature parses");
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            let is = |tag: &str| scenario.tags.iter().any(|t| t == tag);
            let sends_put = scenario
                .steps
                .iter()
                .any(|s| s.value.contains("updates its registration"));
            if PUT_OUTLINES.iter().any(|id| is(id)) {
                put.extend(cases(scenario));
            } else if is("MUST") && !sends_put {
                post.extend(cases(scenario));
            }
        }
    }
    assert!(post.len() > 50, "only {} POST cases were found", post.len());
    let missing: Vec<_> = post.difference(&put).collect();
    assert!(
        missing.is_empty(),
        "POST refuses these at MUST but no PUT outline ({PUT_OUTLINES:?}) has a row for them (kind, rule, mutation): {missing:#?}"
    );
}

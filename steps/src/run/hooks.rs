//! The after-scenario hook: each scenario's HTTP exchanges out of its World and into the
//! result model, and the clean-up of what it registered.
//!
//! The runner's cucumber `after` hook copies the finished World's `exchanges` into an
//! [`ExchangeStore`], keyed by the scenario's location (`<feature path>:<line>`, the same key
//! the result [`Collector`](crate::run::collect::Collector) uses). The collector takes them out
//! when it records the scenario as finished; the hook always runs before that event.

use cucumber::event::ScenarioFinished;
use cucumber::gherkin;
use futures::future::LocalBoxFuture;

use std::sync::Arc;

use crate::run::collect::{ExchangeStore, location};
use crate::run::plan::Plan;
use crate::scenario::snapshot::{self, Matched};
use crate::scenario::world::DcrWorld;

/// The type of cucumber's `after` hook for [`DcrWorld`].
pub trait AfterHook:
    for<'a> Fn(
        &'a gherkin::Feature,
        Option<&'a gherkin::Rule>,
        &'a gherkin::Scenario,
        &'a ScenarioFinished,
        Option<&'a mut DcrWorld>,
    ) -> LocalBoxFuture<'a, ()>
    + 'static
{
}

impl<T> AfterHook for T where
    T: for<'a> Fn(
            &'a gherkin::Feature,
            Option<&'a gherkin::Rule>,
            &'a gherkin::Scenario,
            &'a ScenarioFinished,
            Option<&'a mut DcrWorld>,
        ) -> LocalBoxFuture<'a, ()>
        + 'static
{
}

/// The `after` hook of every scenario: it hands the finished World's exchanges to `store`,
/// fails a passed scenario in which the holder answered 500 ([`no_server_error`]), compares
/// a passed scenario's exchanges with its snapshot (see [`scenario_snapshot`]) and,
/// with `cleanup` (targets with fixed software statements), deletes what the scenario
/// registered, outside the scenario's recorded exchanges.
///
/// A snapshot that differs fails the scenario: the hook panics with the diff, which cucumber
/// reports as the scenario's failed `After` hook (in its own summary, and in the collector's
/// results as a failed step), so every report counts it alike.
pub fn after_scenario(store: ExchangeStore, cleanup: bool, plan: Arc<Plan>) -> impl AfterHook {
    move |feature: &gherkin::Feature,
          _rule: Option<&gherkin::Rule>,
          scenario: &gherkin::Scenario,
          finished: &ScenarioFinished,
          world: Option<&mut DcrWorld>| {
        let location = location(feature, scenario);
        if let Some(world) = &world {
            store.put(location.clone(), world.exchanges.clone());
        }
        let passed = matches!(finished, ScenarioFinished::StepPassed);
        let name = snapshot_name(&plan, scenario, &location);
        Box::pin(async move {
            let Some(world) = world else { return };
            let compared = match (&name, passed) {
                (Some(name), true) => {
                    no_server_error(world).and_then(|()| scenario_snapshot(world, name))
                }
                (None, true) => no_server_error(world),
                _ => Ok(()),
            };
            if cleanup {
                crate::scenario::clean_up(world).await;
            }
            if let Err(e) = compared {
                panic!("{e:#}");
            }
        }) as LocalBoxFuture<'_, ()>
    }
}

/// A passed scenario saw no HTTP 500: whatever the suite sent (a deliberately wrong request
/// above all), a holder answers what it cannot accept with a 4xx; a 500 is its own failure
/// (RFC 9110 §15.6.1), even where the step that sent the request accepted any refusal.
///
/// # Errors
/// The first exchange answered 500.
fn no_server_error(world: &DcrWorld) -> anyhow::Result<()> {
    match world.exchanges.iter().find(|e| e.status() == Some(500)) {
        Some(e) => Err(anyhow::anyhow!(
            "HTTP 500 to {} {}: a holder answers a request it cannot accept with a 4xx, and a 500 is the holder's own failure (RFC 9110 §15.6.1)\n{}",
            e.method,
            e.url,
            e.render()
        )),
        None => Ok(()),
    }
}

/// The snapshot name of a scenario: its key (`REG-021`, or `REG-021-row3` for an outline
/// row: `#` is not a file name character everywhere); none without an `@id:` tag.
fn snapshot_name(plan: &Plan, scenario: &gherkin::Scenario, location: &str) -> Option<String> {
    let id = scenario.tags.iter().find_map(|t| t.strip_prefix("id:"))?;
    let row = plan.scenarios.get(id).and_then(|d| d.row(location));
    Some(match row {
        Some(n) => format!("{id}-row{n}"),
        None => id.to_string(),
    })
}

/// Compares the exchanges of a passed scenario with its stored snapshot
/// (`<target snapshots>/scenarios/<name>.snap`), recording it when none is stored yet (a first
/// run's baseline, listed at the end of the run).
///
/// # Errors
/// The snapshot differs (with the diff), or cannot be read or written.
fn scenario_snapshot(world: &DcrWorld, name: &str) -> anyhow::Result<()> {
    let pinned: Vec<_> = world
        .exchanges
        .iter()
        .enumerate()
        .filter(|(i, _)| !world.unpinned.iter().any(|r| r.contains(i)))
        .map(|(_, e)| e.clone())
        .collect();
    if pinned.is_empty() {
        return Ok(());
    }
    let document =
        snapshot::exchanges_document(&pinned, Some(world.ctx.env.discovery_url.as_str()));
    let dir = world.ctx.snapshot_dir.join(SCENARIO_SNAPSHOTS);
    let matched = snapshot::assert_matches(&dir, name, &document, world.ctx.scenario_snapshots)
        .map_err(|e| anyhow::anyhow!("the holder's answers in this scenario changed: {e:#}"))?;
    if let Matched::Recorded(path) = matched
        && let Ok(mut recorded) = world.ctx.new_snapshots.lock()
    {
        recorded.push(path);
    }
    Ok(())
}

/// The folder, inside a target's snapshots under a profile, of the scenarios' snapshots.
pub const SCENARIO_SNAPSHOTS: &str = "scenarios";

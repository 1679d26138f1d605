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

use crate::run::collect::{ExchangeStore, location};
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

/// The `after` hook of every scenario: it hands the finished World's exchanges to `store`
/// and, with `cleanup` (targets with fixed software statements), deletes what the scenario
/// registered, outside the scenario's recorded exchanges.
pub fn after_scenario(store: ExchangeStore, cleanup: bool) -> impl AfterHook {
    move |feature: &gherkin::Feature,
          _rule: Option<&gherkin::Rule>,
          scenario: &gherkin::Scenario,
          _finished: &ScenarioFinished,
          world: Option<&mut DcrWorld>| {
        if let Some(world) = &world {
            store.put(location(feature, scenario), world.exchanges.clone());
        }
        Box::pin(async move {
            if cleanup && let Some(world) = world {
                crate::scenario::clean_up(world).await;
            }
        }) as LocalBoxFuture<'_, ()>
    }
}

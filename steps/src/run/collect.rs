//! The cucumber writer that builds the result model ([`RunResults`]) from the run's events;
//! it runs beside the console, Cucumber JSON and progress writers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cucumber::event::{self, Cucumber, RetryableScenario, Scenario, Step};
use cucumber::{Event, World, cli, gherkin, parser, writer};

use crate::http::Exchange;
use crate::run::results::{RunResults, ScenarioResult, Status, StepResult};

/// Exchanges of finished scenarios, waiting to be collected.
#[derive(Debug, Clone, Default)]
pub struct ExchangeStore(Arc<Mutex<HashMap<String, Vec<Exchange>>>>);

impl ExchangeStore {
    /// Stores the exchanges of the scenario at `location` (a retried scenario keeps its last
    /// attempt's).
    pub fn put(&self, location: String, exchanges: Vec<Exchange>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(location, exchanges);
        }
    }

    /// Takes the exchanges of the scenario at `location` (none if the World never existed).
    pub fn take(&self, location: &str) -> Vec<Exchange> {
        self.0
            .lock()
            .ok()
            .and_then(|mut map| map.remove(location))
            .unwrap_or_default()
    }
}

/// The key of a scenario: `<feature path>:<line>`, as [`ScenarioResult`]'s `location`.
pub fn location(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
    format!(
        "{}:{}",
        feature
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        scenario.position.line
    )
}

/// A cucumber writer that records [`RunResults`].
#[derive(Debug, Default)]
pub struct Collector {
    results: Arc<Mutex<RunResults>>,
    running: HashMap<String, ScenarioResult>,
    started: HashMap<String, SystemTime>,
    exchanges: Option<ExchangeStore>,
}

impl Collector {
    /// A collector and a handle to read its results after the run.
    pub fn new() -> (Self, Arc<Mutex<RunResults>>) {
        let results = Arc::new(Mutex::new(RunResults::default()));
        (
            Self {
                results: results.clone(),
                running: HashMap::new(),
                started: HashMap::new(),
                exchanges: None,
            },
            results,
        )
    }

    /// Takes each finished scenario's exchanges from `store` (filled by the runner's `after`
    /// hook, keyed by the scenario's location).
    #[must_use]
    pub fn with_exchanges(mut self, store: ExchangeStore) -> Self {
        self.exchanges = Some(store);
        self
    }

    fn on_scenario<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: Scenario<W>,
        at: SystemTime,
    ) {
        let key = location(feature, scenario);
        match ev {
            Scenario::Started => {
                let mut tags = feature.tags.clone();
                if let Some(r) = rule {
                    tags.extend(r.tags.iter().cloned());
                }
                tags.extend(scenario.tags.iter().cloned());
                let location = key.clone();
                self.started.insert(key.clone(), at);
                self.running.insert(
                    key,
                    ScenarioResult {
                        feature: feature.name.clone(),
                        rule: rule.map(|r| r.name.clone()),
                        name: scenario.name.clone(),
                        tags,
                        location,
                        status: Status::Passed,
                        steps: Vec::new(),
                        duration_ms: 0.0,
                        unmet_needs: Vec::new(),
                        exchanges: Vec::new(),
                    },
                );
            }
            Scenario::Step(step, ev) | Scenario::Background(step, ev) => {
                let Some(current) = self.running.get_mut(&key) else {
                    return;
                };
                let text = format!("{}{}", step.keyword, step.value);
                match ev {
                    Step::Started => {}
                    Step::Passed(..) => current.steps.push(StepResult {
                        text,
                        status: Status::Passed,
                        error: None,
                    }),
                    Step::Skipped => {
                        current.steps.push(StepResult {
                            text,
                            status: Status::Skipped,
                            error: None,
                        });
                        if current.status == Status::Passed {
                            current.status = Status::Skipped;
                        }
                    }
                    Step::Failed(_, _, _, err) => {
                        current.steps.push(StepResult {
                            text,
                            status: Status::Failed,
                            error: Some(err.to_string()),
                        });
                        current.status = Status::Failed;
                    }
                }
            }
            Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                if let Some(current) = self.running.get_mut(&key) {
                    let msg = info
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "hook panicked".into());
                    current.steps.push(StepResult {
                        text: format!("{kind:?} hook"),
                        status: Status::Failed,
                        error: Some(msg),
                    });
                    current.status = Status::Failed;
                }
            }
            Scenario::Finished => {
                let started = self.started.remove(&key);
                if let Some(mut done) = self.running.remove(&key)
                    && let Ok(mut r) = self.results.lock()
                {
                    done.duration_ms = started
                        .and_then(|s| at.duration_since(s).ok())
                        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                    if let Some(store) = &self.exchanges {
                        done.exchanges = store.take(&done.location);
                    }
                    r.scenarios.push(done);
                }
            }
            Scenario::Hook(..) | Scenario::Log(_) => {}
        }
    }
}

impl<W: World> writer::Writer<W> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _: &Self::Cli) {
        let (ev, at) = match event {
            Ok(ev) => (ev.value, ev.at),
            Err(e) => {
                if let Ok(mut r) = self.results.lock() {
                    r.parse_errors.push(e.to_string());
                }
                return;
            }
        };
        if let Cucumber::Feature(feature, ev) = ev {
            match ev {
                event::Feature::Scenario(sc, RetryableScenario { event, .. }) => {
                    self.on_scenario(&feature, None, &sc, event, at)
                }
                event::Feature::Rule(
                    rule,
                    event::Rule::Scenario(sc, RetryableScenario { event, .. }),
                ) => self.on_scenario(&feature, Some(&rule), &sc, event, at),
                _ => {}
            }
        }
    }
}

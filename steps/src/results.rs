//! The run's result model, collected from cucumber's events by [`Collector`], a writer that
//! runs beside the console, JUnit and JSON writers. Reports and the exit code are computed from
//! this model, once, after the run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cucumber::event::{self, Cucumber, RetryableScenario, Scenario, Step};
use cucumber::{Event, World, cli, gherkin, parser, writer};
use serde::Serialize;

/// The status of a scenario or step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every step passed.
    Passed,
    /// A step failed.
    Failed,
    /// Skipped (with a reason).
    Skipped,
}

/// One executed step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Keyword and text, e.g. `When recipient A posts the registration request`.
    pub text: String,
    /// Outcome.
    pub status: Status,
    /// The failure message, when it failed.
    pub error: Option<String>,
}

/// One executed scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Feature name.
    pub feature: String,
    /// Rule name, when the scenario sits under a `Rule:`.
    pub rule: Option<String>,
    /// Scenario name.
    pub name: String,
    /// Tags of the feature, rule and scenario (without `@`).
    pub tags: Vec<String>,
    /// Feature file and line.
    pub location: String,
    /// Outcome.
    pub status: Status,
    /// Steps, background first.
    pub steps: Vec<StepResult>,
}

impl ScenarioResult {
    /// The first failure message.
    pub fn failure(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| s.error.as_deref())
    }

    /// The scenario's `@id:` tag.
    pub fn id(&self) -> Option<&str> {
        self.tags.iter().find_map(|t| t.strip_prefix("id:"))
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResults {
    /// Scenarios in completion order.
    pub scenarios: Vec<ScenarioResult>,
    /// Feature files that failed to parse.
    pub parse_errors: Vec<String>,
}

impl RunResults {
    /// Number of scenarios with `status`.
    pub fn count(&self, status: Status) -> usize {
        self.scenarios.iter().filter(|s| s.status == status).count()
    }
}

/// A cucumber writer that records [`RunResults`].
#[derive(Debug, Default)]
pub struct Collector {
    results: Arc<Mutex<RunResults>>,
    running: HashMap<(String, u32), ScenarioResult>,
}

impl Collector {
    /// A collector and a handle to read its results after the run.
    pub fn new() -> (Self, Arc<Mutex<RunResults>>) {
        let results = Arc::new(Mutex::new(RunResults::default()));
        (
            Self {
                results: results.clone(),
                running: HashMap::new(),
            },
            results,
        )
    }

    fn on_scenario<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: Scenario<W>,
    ) {
        let key = (
            feature
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            scenario.position.line as u32,
        );
        match ev {
            Scenario::Started => {
                let mut tags = feature.tags.clone();
                if let Some(r) = rule {
                    tags.extend(r.tags.iter().cloned());
                }
                tags.extend(scenario.tags.iter().cloned());
                let location = format!("{}:{}", key.0, key.1);
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
                if let Some(done) = self.running.remove(&key)
                    && let Ok(mut r) = self.results.lock()
                {
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
        let ev = match event {
            Ok(ev) => ev.value,
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
                    self.on_scenario(&feature, None, &sc, event)
                }
                event::Feature::Rule(
                    rule,
                    event::Rule::Scenario(sc, RetryableScenario { event, .. }),
                ) => self.on_scenario(&feature, Some(&rule), &sc, event),
                _ => {}
            }
        }
    }
}

//! Console progress while a run executes.
//!
//! * `bar` (default on a terminal outside CI): an indicatif bar on stderr, scenarios done /
//!   total and failures so far; cucumber's scenario-by-scenario transcript is not printed
//!   (it would fight with the bar), and each failed or warning scenario is printed above the
//!   bar instead, with its failed step and message. `-v` does not change this; use
//!   `--progress lines` for the full transcript on a terminal.
//! * `lines` (default without a terminal, or with `CI=true`): cucumber's transcript as
//!   before, plus one plain line per finished scenario: `[3/5] passed REG-001 … (failed so
//!   far: 0)`.
//! * `off`: cucumber's transcript only.
//!
//! While a step waits for a token to expire, `bar` counts the wait down in its message and
//! `lines` prints a line when a wait of 5 s or more begins and every 30 s while it lasts.
//!
//! Everything printed goes through `scrub` first, like every report.

use std::collections::HashMap;
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cucumber::event::{self, Cucumber, RetryableScenario, Scenario, Step};
use cucumber::{Event, World, cli, gherkin, parser, writer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::catalogue::{Level, Profile};
use crate::redact::scrub;
use crate::run::console::Shown;
use crate::run::results::Status;
use crate::run::verdict::Verdict;
use crate::scenario::waits::{self, LineCountdown, Waits};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProgressMode {
    /// `bar` on a terminal outside CI, else `lines`.
    #[default]
    Auto,
    /// A progress bar; failures printed above it; no step transcript.
    Bar,
    /// The step transcript plus a plain progress line per scenario.
    Lines,
    /// The step transcript only.
    Off,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

impl ProgressMode {
    /// `Auto` decided for this process: `Bar` when stdout and stderr are terminals and `CI` is
    /// not set, else `Lines`.
    pub fn resolve(self) -> Self {
        match self {
            Self::Auto => {
                if std::io::stdout().is_terminal() && std::io::stderr().is_terminal() && !in_ci() {
                    Self::Bar
                } else {
                    Self::Lines
                }
            }
            other => other,
        }
    }
}

#[derive(Debug)]
struct Running {
    id: String,
    name: String,
    location: String,
    /// How a failure counts under the run's profile (as the assessment will count it).
    weight: crate::run::verdict::FailureWeight,
    failed_step: Option<(String, String)>,
}

/// A cucumber writer that shows progress (see the module docs).
#[derive(Debug)]
pub struct Progress {
    mode: ProgressMode,
    strict: bool,
    profile: Arc<Profile>,
    bar: Option<ProgressBar>,
    total: Option<usize>,
    done: usize,
    failed: usize,
    warnings: usize,
    not_checked: usize,
    running: HashMap<String, Running>,
    shown: Shown,
    /// The bar's message without the countdown (the ticker adds it).
    counts: Arc<Mutex<String>>,
    /// Stops the countdown's ticker thread.
    stop: Arc<AtomicBool>,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How often the countdown is brought up to date.
const TICK: Duration = Duration::from_millis(250);

/// The countdown's ticker: every [`TICK`], the bar's message (counts and waits) or, without a
/// bar, the countdown lines on stdout; until `stop`.
fn tick(bar: Option<ProgressBar>, counts: Arc<Mutex<String>>, waits: Waits, stop: Arc<AtomicBool>) {
    let mut lines = LineCountdown::default();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let now = Instant::now();
        let current = waits.current();
        match &bar {
            Some(bar) if bar.is_finished() => return,
            Some(bar) => {
                let counts = counts.lock().map(|c| c.clone()).unwrap_or_default();
                bar.set_message(match waits::summary(&current, now) {
                    Some(w) => format!("{counts}  {w}"),
                    None => counts,
                });
            }
            None => {
                for line in lines.lines(&current, now) {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
            }
        }
    }
}

impl Progress {
    /// A progress writer for `mode` (resolved here); `profile` and `strict` decide how a
    /// failure counts (failure, warning, or not checked by the profile's release), as the
    /// run's assessment counts it.
    /// `waits` are counted down (see the module docs); `shown` names the feature files in
    /// failure lines.
    pub fn new(
        mode: ProgressMode,
        profile: Arc<Profile>,
        strict: bool,
        waits: Waits,
        shown: Shown,
    ) -> Self {
        let mode = mode.resolve();
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] [{bar:40.cyan/blue}] {pos}/{len} scenarios  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message("failed: 0  warnings: 0");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        let counts = Arc::new(Mutex::new("failed: 0  warnings: 0".to_string()));
        let stop = Arc::new(AtomicBool::new(false));
        if mode != ProgressMode::Off {
            let (bar, counts, stop) = (bar.clone(), counts.clone(), stop.clone());
            let _ = std::thread::Builder::new()
                .name("progress countdown".into())
                .spawn(move || tick(bar, counts, waits, stop));
        }
        Self {
            mode,
            strict,
            profile,
            bar,
            total: None,
            done: 0,
            failed: 0,
            warnings: 0,
            not_checked: 0,
            running: HashMap::new(),
            shown,
            counts,
            stop,
        }
    }

    /// `prefix` and the number of scenarios whose failure the profile's release documents as a
    /// check it does not make, when there are any (most profiles have none).
    fn not_checked_note(&self, prefix: &str) -> String {
        if self.not_checked == 0 {
            String::new()
        } else {
            format!("{prefix}{}", self.not_checked)
        }
    }

    fn print(&self, text: &str) {
        let text = scrub::text(text);
        match &self.bar {
            Some(bar) => bar.println(text.trim_end()),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", text.trim_end());
            }
        }
    }

    fn on_scenario<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: &Scenario<W>,
    ) {
        let key = crate::run::collect::location(feature, scenario);
        match ev {
            Scenario::Started => {
                let tags: Vec<&String> = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| r.tags.iter()))
                    .chain(scenario.tags.iter())
                    .collect();
                let id = tags
                    .iter()
                    .find_map(|t| t.strip_prefix("id:"))
                    .unwrap_or("?")
                    .to_string();
                let declared = tags
                    .iter()
                    .find_map(|t| crate::run::plan::level_tag(t))
                    .unwrap_or(Level::Must);
                let mut rules: Vec<String> = tags
                    .iter()
                    .filter(|t| crate::run::plan::is_rule_tag(t))
                    .map(|t| t.to_string())
                    .collect();
                rules.dedup();
                let weight = crate::run::verdict::failure_weight(
                    &self.profile,
                    &id,
                    &scenario.name,
                    declared,
                    &rules,
                    scenario.steps.iter().map(|s| s.value.as_str()),
                );
                self.running.insert(
                    key.clone(),
                    Running {
                        id,
                        name: scenario.name.clone(),
                        location: key.clone(),
                        weight,
                        failed_step: None,
                    },
                );
            }
            Scenario::Step(step, Step::Failed(_, _, _, err))
            | Scenario::Background(step, Step::Failed(_, _, _, err)) => {
                if let Some(r) = self.running.get_mut(&key)
                    && r.failed_step.is_none()
                {
                    r.failed_step = Some((
                        format!("{}{}", step.keyword, step.value),
                        crate::run::results::message(&err.to_string()),
                    ));
                }
            }
            Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                if let Some(r) = self.running.get_mut(&key)
                    && r.failed_step.is_none()
                {
                    let message = info
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "the hook panicked".into());
                    r.failed_step = Some((
                        format!("{kind:?} hook"),
                        crate::run::results::message(&message),
                    ));
                }
            }
            Scenario::Finished => {
                let Some(done) = self.running.remove(&key) else {
                    return;
                };
                self.done += 1;
                let verdict = match done.failed_step {
                    None => "passed",
                    Some(_) => match done.weight.verdict(Status::Failed, self.strict) {
                        Verdict::Warning => {
                            self.warnings += 1;
                            "warning"
                        }
                        Verdict::NotChecked => {
                            self.not_checked += 1;
                            "not checked by this release"
                        }
                        _ => {
                            self.failed += 1;
                            "FAILED"
                        }
                    },
                };
                let total = self.total.map_or("?".to_string(), |t| t.to_string());
                match &self.bar {
                    Some(bar) => {
                        bar.inc(1);
                        let counts = format!(
                            "failed: {}  warnings: {}{}",
                            self.failed,
                            self.warnings,
                            self.not_checked_note("  not checked: ")
                        );
                        bar.set_message(counts.clone());
                        if let Ok(mut c) = self.counts.lock() {
                            *c = counts;
                        }
                        if let Some((step, message)) = &done.failed_step {
                            let indented: String =
                                message.lines().map(|l| format!("      {l}\n")).collect();
                            self.print(&format!(
                                "{} {} {} ({})\n    ✘ {step}\n{indented}",
                                match verdict {
                                    "warning" => "⚠",
                                    "FAILED" => "✘",
                                    _ => "○ not checked by this release:",
                                },
                                done.id,
                                done.name,
                                self.shown.location(&done.location)
                            ));
                        }
                    }
                    None if self.mode == ProgressMode::Lines => self.print(&format!(
                        "[{}/{total}] {verdict} {} {} (failed so far: {}, warnings: {}{})",
                        self.done,
                        done.id,
                        done.name,
                        self.failed,
                        self.warnings,
                        self.not_checked_note(", not checked by this release: ")
                    )),
                    None => {}
                }
            }
            _ => {}
        }
    }
}

impl<W: World> writer::Writer<W> for Progress {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _: &Self::Cli) {
        let Ok(ev) = event else {
            return;
        };
        match &ev.value {
            Cucumber::ParsingFinished { scenarios, .. } => {
                self.total = Some(*scenarios);
                if let Some(bar) = &self.bar {
                    bar.set_length(*scenarios as u64);
                }
            }
            Cucumber::Feature(
                feature,
                event::Feature::Scenario(sc, RetryableScenario { event, .. }),
            ) => {
                self.on_scenario(feature, None, sc, event);
            }
            Cucumber::Feature(
                feature,
                event::Feature::Rule(
                    rule,
                    event::Rule::Scenario(sc, RetryableScenario { event, .. }),
                ),
            ) => self.on_scenario(feature, Some(rule), sc, event),
            Cucumber::Finished => {
                self.stop.store(true, Ordering::Relaxed);
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
            _ => {}
        }
    }
}

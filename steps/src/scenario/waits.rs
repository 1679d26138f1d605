//! Waits in progress: a step that sleeps for something the holder decides (a token's
//! expiry) registers it here, so that the console can count it down while nothing else moves.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The waits of one run (cheap to clone; every clone sees the same waits).
#[derive(Debug, Clone, Default)]
pub struct Waits {
    running: Arc<Mutex<BTreeMap<u64, Wait>>>,
    next: Arc<AtomicU64>,
}

/// One wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// What is awaited, e.g. `recipient A's access token to expire`.
    pub what: String,
    /// When it is over.
    pub until: Instant,
}

/// Ends its wait when dropped.
#[derive(Debug)]
pub struct WaitGuard {
    waits: Waits,
    id: u64,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if let Ok(mut running) = self.waits.running.lock() {
            running.remove(&self.id);
        }
    }
}

impl Waits {
    /// Registers a wait until `until`; it ends when the guard is dropped.
    pub fn begin(&self, what: impl Into<String>, until: Instant) -> WaitGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut running) = self.running.lock() {
            running.insert(
                id,
                Wait {
                    what: what.into(),
                    until,
                },
            );
        }
        WaitGuard {
            waits: self.clone(),
            id,
        }
    }

    /// The waits in progress, by id (the order they began).
    pub fn current(&self) -> Vec<(u64, Wait)> {
        self.running
            .lock()
            .map(|r| r.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default()
    }
}

/// Whole seconds left until `until` (rounded up, so a wait shows 1 s until it is over).
fn seconds_left(until: Instant, now: Instant) -> u64 {
    let left = until.saturating_duration_since(now);
    left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// A one-line account of the waits in progress, for a progress bar's message: the wait that
/// ends last (every scenario waiting is done then) and how many there are.
pub fn summary(waits: &[(u64, Wait)], now: Instant) -> Option<String> {
    let (_, last) = waits.iter().max_by_key(|(_, w)| w.until)?;
    let left = seconds_left(last.until, now);
    Some(match waits.len() {
        1 => format!("waiting {left} s for {}", last.what),
        n => format!("{n} waits, the last over in {left} s ({})", last.what),
    })
}

/// Waits shorter than this are not announced on their own line.
const ANNOUNCE_FROM: Duration = Duration::from_secs(5);
/// How often a long wait is counted down on its own line.
const REPEAT_EVERY: Duration = Duration::from_secs(30);

/// The plain-line countdown (`--progress lines`, CI logs): one line when a wait of 5 s or more
/// begins, and one every 30 s while it lasts.
#[derive(Debug, Default)]
pub struct LineCountdown {
    announced: HashMap<u64, Instant>,
}

impl LineCountdown {
    /// The lines to print at `now` for `waits`.
    pub fn lines(&mut self, waits: &[(u64, Wait)], now: Instant) -> Vec<String> {
        self.announced
            .retain(|id, _| waits.iter().any(|(w, _)| w == id));
        let mut out = Vec::new();
        for (id, wait) in waits {
            let left = wait.until.saturating_duration_since(now);
            match self.announced.get(id) {
                None if left >= ANNOUNCE_FROM => {
                    out.push(format!(
                        "waiting {} s for {}",
                        seconds_left(wait.until, now),
                        wait.what
                    ));
                    self.announced.insert(*id, now);
                }
                Some(at) if now.duration_since(*at) >= REPEAT_EVERY && !left.is_zero() => {
                    out.push(format!(
                        "still waiting {} s for {}",
                        seconds_left(wait.until, now),
                        wait.what
                    ));
                    self.announced.insert(*id, now);
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_lasts_as_long_as_its_guard() {
        let waits = Waits::default();
        let now = Instant::now();
        let a = waits.begin("A", now + Duration::from_secs(3));
        let b = waits.clone().begin("B", now + Duration::from_secs(9));
        assert_eq!(waits.current().len(), 2);
        assert_eq!(
            summary(&waits.current(), now).as_deref(),
            Some("2 waits, the last over in 9 s (B)")
        );
        drop(b);
        assert_eq!(
            summary(&waits.current(), now + Duration::from_millis(500)).as_deref(),
            Some("waiting 3 s for A")
        );
        drop(a);
        assert_eq!(summary(&waits.current(), now), None);
    }

    #[test]
    fn long_waits_are_announced_then_counted_down_every_thirty_seconds() {
        let waits = Waits::default();
        let t0 = Instant::now();
        let _long = waits.begin(
            "recipient A's access token to expire",
            t0 + Duration::from_secs(70),
        );
        let _short = waits.begin(
            "recipient B's access token to expire",
            t0 + Duration::from_secs(2),
        );
        let mut countdown = LineCountdown::default();
        assert_eq!(
            countdown.lines(&waits.current(), t0),
            ["waiting 70 s for recipient A's access token to expire"]
        );
        assert!(
            countdown
                .lines(&waits.current(), t0 + Duration::from_secs(10))
                .is_empty()
        );
        assert_eq!(
            countdown.lines(&waits.current(), t0 + Duration::from_secs(30)),
            ["still waiting 40 s for recipient A's access token to expire"]
        );
        assert!(
            countdown
                .lines(&waits.current(), t0 + Duration::from_secs(59))
                .is_empty()
        );
        assert_eq!(
            countdown.lines(&waits.current(), t0 + Duration::from_secs(60)),
            ["still waiting 10 s for recipient A's access token to expire"]
        );
        assert!(
            countdown
                .lines(&waits.current(), t0 + Duration::from_secs(95))
                .is_empty()
        );
    }
}

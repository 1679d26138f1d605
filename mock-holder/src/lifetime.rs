//! Time claims (`iat`, `nbf`, `exp`) read and compared without overflow.
//!
//! Every JWT the holder accepts carries times chosen by its sender, so none of them is trusted
//! to fit an arithmetic expression: a validly signed token whose `exp` is near `i64::MAX` (or a
//! float that saturates to it) once made `exp + skew` panic in a debug build and wrap to a past
//! expiry in a release build, storing its `jti` as already expired, so that the token could be
//! replayed. Here every sum saturates, and an `exp` further in the future than the longest
//! lifetime the holder accepts is refused with a message saying so, which also bounds how long
//! a replay-cache entry lives.

use std::time::Duration;

use serde_json::{Map, Value};

/// Whole seconds of `d`, saturated to `i64::MAX` (a `Duration` can exceed `i64` seconds).
pub(crate) fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// A NumericDate claim (RFC 7519 §2): absent is `Ok(None)`; an integer is taken as is; a
/// float is truncated, saturating at the ends of `i64`; anything else (a string, a boolean, an
/// object) is an error naming `subject` (e.g. "the software_statement") and the claim.
///
/// # Errors
/// The claim is present but not a number.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
    subject: &str,
) -> Result<Option<i64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            // `as` saturates (and maps NaN, which JSON cannot carry, to 0).
            .or_else(|| n.as_f64().map(|f| f as i64))),
        Some(other) => Err(format!(
            "{subject} {name} must be a NumericDate (a number of seconds since 1970), not {}",
            kind(other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The clock a token's times are compared with: now, the allowed skew, and the longest
/// lifetime accepted (how far beyond now, plus skew, an `exp` may lie).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// Seconds since the Unix epoch.
    pub(crate) now: i64,
    /// Allowed clock difference, seconds (never negative).
    pub(crate) skew: i64,
    /// Longest accepted remaining lifetime, seconds (never negative).
    pub(crate) max_lifetime: i64,
}

impl Clock {
    /// A clock at `now` with `skew` and `max_lifetime`.
    pub(crate) fn new(now: i64, skew: Duration, max_lifetime: Duration) -> Self {
        Self {
            now,
            skew: seconds(skew),
            max_lifetime: seconds(max_lifetime),
        }
    }

    /// `t` (an `iat` or `nbf`) is later than now plus the skew.
    pub(crate) fn is_future(&self, t: i64) -> bool {
        t > self.now.saturating_add(self.skew)
    }

    /// `exp` is earlier than now minus the skew.
    pub(crate) fn is_past(&self, exp: i64) -> bool {
        exp < self.now.saturating_sub(self.skew)
    }

    /// `exp` lies further in the future than the longest lifetime accepted (plus the skew).
    pub(crate) fn is_too_far(&self, exp: i64) -> bool {
        exp > self
            .now
            .saturating_add(self.skew)
            .saturating_add(self.max_lifetime)
    }

    /// The message for an `exp` that [`Clock::is_too_far`]: `subject` is e.g. "the
    /// software_statement".
    pub(crate) fn too_far_message(&self, subject: &str, exp: i64) -> String {
        format!(
            "{subject} expires too far in the future (exp {exp}, now {}; the longest lifetime accepted is {} s)",
            self.now, self.max_lifetime
        )
    }

    /// Until when a `jti` of a token expiring at `exp` must be remembered: `exp` plus the
    /// skew, saturating (a token accepted by this clock is never remembered for less).
    pub(crate) fn replay_until(&self, exp: i64) -> i64 {
        exp.saturating_add(self.skew)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[rstest]
    #[case::int(json!(5), Some(5))]
    #[case::negative(json!(-5), Some(-5))]
    #[case::min(json!(i64::MIN), Some(i64::MIN))]
    #[case::beyond_i64(json!(u64::MAX), Some(i64::MAX))]
    #[case::float(json!(5.9), Some(5))]
    #[case::huge_float(json!(1e300), Some(i64::MAX))]
    #[case::huge_negative_float(json!(-1e300), Some(i64::MIN))]
    fn numbers_are_read_saturating(#[case] v: Value, #[case] want: Option<i64>) {
        assert_eq!(
            numeric_date(&claims(json!({ "exp": v })), "exp", "the x"),
            Ok(want)
        );
    }

    #[rstest]
    #[case::string(json!("1700000000"), "a string")]
    #[case::boolean(json!(true), "a boolean")]
    #[case::null(json!(null), "null")]
    fn other_types_are_refused_by_name(#[case] v: Value, #[case] kind: &str) {
        let err = numeric_date(&claims(json!({ "exp": v })), "exp", "the x").expect_err("refused");
        assert!(err.contains("the x exp must be a NumericDate") && err.contains(kind));
    }

    #[test]
    fn comparisons_saturate_at_the_ends_of_i64() {
        let clock = Clock::new(i64::MAX - 1, Duration::MAX, Duration::MAX);
        assert!(!clock.is_future(i64::MAX));
        assert!(!clock.is_too_far(i64::MAX));
        assert_eq!(clock.replay_until(i64::MAX), i64::MAX);
        let clock = Clock::new(100, Duration::from_secs(60), Duration::from_secs(3600));
        assert!(clock.is_too_far(i64::MAX));
        assert!(!clock.is_too_far(100 + 60 + 3600));
        assert!(clock.is_too_far(100 + 60 + 3601));
        assert!(clock.is_past(i64::MIN));
        assert!(!clock.is_future(i64::MIN));
    }
}

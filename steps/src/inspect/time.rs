//! NumericDates shown in UTC and relative to the time reference, and `--now` parsing.

use std::time::{Duration, UNIX_EPOCH};

/// The last second humantime can format (9999-12-31T23:59:59Z).
const LAST_FORMATTABLE: i64 = 253_402_300_799;

/// `t` (Unix seconds) as RFC 3339 UTC, or the raw number when outside years 1970..=9999.
pub(crate) fn utc(t: i64) -> String {
    match u64::try_from(t) {
        Ok(secs) if t <= LAST_FORMATTABLE => {
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
        }
        _ => format!("{t} (Unix seconds, outside 1970..9999)"),
    }
}

/// A length of time in its two largest units, a zero second one left out: `5m`, `6y 67d`,
/// `59s`.
pub(crate) fn span(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let units = [
        ("y", 365 * 86_400),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ];
    let Some(first) = units.iter().position(|(_, n)| s >= *n) else {
        return "0s".into();
    };
    let (name, n) = units[first];
    let mut out = format!("{}{name}", s / n);
    if let Some((next, m)) = units.get(first + 1)
        && (s % n) / m > 0
    {
        out.push_str(&format!(" {}{next}", (s % n) / m));
    }
    out
}

/// `t` in UTC with its distance from `now`: `2020-10-28T01:15:31Z (5y 65d ago)`.
pub(crate) fn when(t: i64, now: i64) -> String {
    let relative = match t.cmp(&now) {
        std::cmp::Ordering::Equal => "now".to_string(),
        std::cmp::Ordering::Less => format!("{} ago", span(now - t)),
        std::cmp::Ordering::Greater => format!("in {}", span(t - now)),
    };
    format!("{} ({relative})", utc(t))
}

/// The system clock in Unix seconds.
pub(crate) fn system_now() -> i64 {
    dcr_vectors::time::now()
}

/// Parses `--now`: Unix seconds, or an RFC 3339 date-time (`Z` or a `±HH:MM` offset).
///
/// # Errors
/// A message saying what was expected.
pub fn parse_now(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Ok(secs);
    }
    let expected = || {
        format!(
            "{text:?} is neither Unix seconds nor an RFC 3339 date-time such as 2026-01-01T00:00:00Z"
        )
    };
    // humantime reads UTC only, so an offset is taken off first and applied afterwards.
    let (utc_text, offset) = match text.len().checked_sub(6).map(|i| text.split_at(i)) {
        Some((head, tail))
            if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes()[3] == b':' =>
        {
            let hours: i64 = tail[1..3].parse().map_err(|_| expected())?;
            let minutes: i64 = tail[4..6].parse().map_err(|_| expected())?;
            let sign = if tail.starts_with('-') { -1 } else { 1 };
            (format!("{head}Z"), sign * (hours * 3_600 + minutes * 60))
        }
        _ => (text.to_string(), 0),
    };
    let time = humantime::parse_rfc3339(&utc_text).map_err(|_| expected())?;
    let secs = match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).map_err(|_| expected())?,
        Err(e) => -i64::try_from(e.duration().as_secs()).map_err(|_| expected())?,
    };
    Ok(secs - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::seconds("1700000000", 1_700_000_000)]
    #[case::utc("2023-11-14T22:13:20Z", 1_700_000_000)]
    #[case::offset("2023-11-15T08:13:20+10:00", 1_700_000_000)]
    #[case::negative_offset("2023-11-14T20:13:20-02:00", 1_700_000_000)]
    fn now_parses_seconds_and_rfc3339(#[case] text: &str, #[case] want: i64) {
        assert_eq!(parse_now(text), Ok(want));
    }

    #[rstest]
    #[case("yesterday")]
    #[case("2023-11-14")]
    #[case("2023-11-14T22:13:20+1000")]
    fn now_refuses_other_text(#[case] text: &str) {
        let err = parse_now(text).expect_err("must fail");
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[rstest]
    #[case(0, "0s")]
    #[case(59, "59s")]
    #[case(300, "5m")]
    #[case(301, "5m 1s")]
    #[case(3_661, "1h 1m")]
    #[case(400 * 86_400, "1y 35d")]
    fn spans_show_two_units(#[case] secs: i64, #[case] want: &str) {
        assert_eq!(span(secs), want);
    }

    #[test]
    fn times_show_utc_and_distance() {
        assert_eq!(
            when(1_700_000_300, 1_700_000_000),
            "2023-11-14T22:18:20Z (in 5m)"
        );
        assert_eq!(
            when(1_700_000_000, 1_700_000_060),
            "2023-11-14T22:13:20Z (1m ago)"
        );
        assert!(utc(-1).contains("outside"));
    }
}

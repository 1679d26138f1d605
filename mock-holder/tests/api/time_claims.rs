//! Every time claim over its whole range, on every endpoint: `iat`, `nbf` and `exp` of the SSA,
//! of the registration request (POST and PUT), of the client assertion at the token endpoint,
//! and of the holder's own access tokens, set to integers (both ends of `i64`, beyond it, near
//! now), floats (finite, huge), strings, booleans, null, or left out.
//!
//! Properties: the holder always answers (no panic, no dropped connection, no 5xx) with the
//! endpoint's RFC error; it accepts exactly the validly timed tokens (an oracle computes which,
//! allowing either outcome a few seconds around a boundary, where the clock may tick); an
//! `exp` further than the longest lifetime is refused saying so; and an accepted request or
//! assertion can never be replayed (its `jti` is remembered for at least its lifetime).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Skew and longest lifetime of the holder under test (the defaults).
const SKEW: i64 = 60;
const MAX_LIFETIME: i64 = 86_400;
const TOKEN_LIFETIME: i64 = 600;
/// Either outcome is accepted this close to a boundary.
const TOLERANCE: i64 = 5;

/// A value for a time claim, or `None` to leave the claim out.
fn time_value(now: i64) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => (-2 * MAX_LIFETIME..2 * MAX_LIFETIME).prop_map(move |d| Some(json!(now + d))),
        2 => any::<i64>().prop_map(|v| Some(json!(v))),
        1 => any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| Some(json!(f))),
        1 => (-2 * MAX_LIFETIME..2 * MAX_LIFETIME)
            .prop_map(move |d| Some(json!(now as f64 + d as f64 + 0.5))),
        2 => prop::sample::select(vec![
            json!(i64::MAX),
            json!(i64::MAX - SKEW),
            json!(i64::MIN),
            json!(i64::MIN + SKEW),
            json!(u64::MAX),
            json!(9.3e18),
            json!(-9.3e18),
            json!(1e300),
            json!(-1e300),
            json!(0),
            json!(-1),
        ])
        .prop_map(Some),
        1 => "[0-9]{0,12}".prop_map(|s| Some(json!(s))),
        1 => any::<bool>().prop_map(|b| Some(json!(b))),
        1 => Just(Some(Value::Null)),
        1 => Just(None),
    ]
}

/// The claims to change: one of `iat`, `nbf`, `exp`, with a value each.
fn mutation(now: i64) -> impl Strategy<Value = Vec<(&'static str, Option<Value>)>> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["iat", "nbf", "exp"]),
            time_value(now),
        ),
        1..=3,
    )
}

fn apply(claims: &mut Map<String, Value>, changes: &[(&'static str, Option<Value>)]) {
    for (name, value) in changes {
        match value {
            Some(v) => claims.insert((*name).to_string(), v.clone()),
            None => claims.remove(*name),
        };
    }
}

/// A NumericDate as the holder reads it, or `Err` when it is not a number.
fn numeric(v: Option<&Value>) -> Result<Option<i64>, ()> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n
            .as_i64()
            .or_else(|| n.as_u64().map(|_| i64::MAX))
            .or_else(|| n.as_f64().map(|f| f as i64))),
        Some(_) => Err(()),
    }
}

/// What the holder must do with these times: `Some(true)` accept, `Some(false)` refuse,
/// `None` either (a value within [`TOLERANCE`] of a boundary).
#[derive(Debug, Clone, Copy)]
struct Rules {
    iat_required: bool,
    /// Longest lifetime beyond now + skew.
    longest: i64,
    /// Access tokens: `exp <= now` is expired, without skew, and `iat`/`nbf` are not read.
    strict_expiry: bool,
}

fn oracle(claims: &Map<String, Value>, now: i64, rules: Rules) -> Option<bool> {
    let times = if rules.strict_expiry {
        (Ok(None), Ok(None), numeric(claims.get("exp")))
    } else {
        (
            numeric(claims.get("iat")),
            numeric(claims.get("nbf")),
            numeric(claims.get("exp")),
        )
    };
    let (Ok(iat), Ok(nbf), Ok(exp)) = times else {
        return Some(false);
    };
    let Some(exp) = exp else { return Some(false) };
    if rules.iat_required && iat.is_none() {
        return Some(false);
    }
    let near = |v: i64, bound: i64| v.abs_diff(bound) <= TOLERANCE as u64;
    let mut boundary = false;
    let mut ok = true;
    let future_bound = now.saturating_add(SKEW);
    for t in [iat, nbf].into_iter().flatten() {
        boundary |= near(t, future_bound);
        ok &= t <= future_bound;
    }
    if rules.strict_expiry {
        boundary |= near(exp, now);
        ok &= exp > now;
    } else {
        let past_bound = now.saturating_sub(SKEW);
        boundary |= near(exp, past_bound);
        ok &= exp >= past_bound;
    }
    let far_bound = now.saturating_add(SKEW).saturating_add(rules.longest);
    boundary |= near(exp, far_bound);
    ok &= exp <= far_bound;
    if boundary { None } else { Some(ok) }
}

/// Runs `cases` cases of `property` on a fresh holder, on a runtime of its own.
fn check<S, F>(cases: u32, strategy: S, property: F)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(&TestApp, &tokio::runtime::Runtime, S::Value) -> Result<(), TestCaseError>,
{
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(spawn_app());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |value| property(&app, &rt, value));
    rt.block_on(async { app.holder.shutdown() });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Status, error code and description; a dropped connection or a non-JSON body fails.
async fn answer(r: reqwest::Response) -> Result<(u16, String, String), TestCaseError> {
    let status = r.status().as_u16();
    let text = r
        .text()
        .await
        .map_err(|e| TestCaseError::fail(format!("no whole response: {e}")))?;
    prop_assert!(status < 500, "HTTP {status}: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_default();
    Ok((
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
        text,
    ))
}

/// The answer is `ok` when `want` says accept, `refused` with `code` when it says refuse.
fn expect(
    want: Option<bool>,
    (status, error, text): &(u16, String, String),
    (ok, refused, code): (u16, u16, &str),
) -> Result<(), TestCaseError> {
    match want {
        Some(true) => prop_assert_eq!(*status, ok, "{}", text),
        Some(false) => {
            prop_assert_eq!(*status, refused, "{}", text);
            prop_assert_eq!(error.as_str(), code, "{}", text);
        }
        None => prop_assert!(*status == ok || error == code, "{}", text),
    }
    Ok(())
}

/// When `exp` is beyond the longest lifetime and the checks before it pass (`iat` absent or a
/// number not in the future; `exp` is checked right after `iat`), the refusal says so.
fn refused_as_too_far(claims: &Map<String, Value>, now: i64, rules: Rules, text: &str) -> bool {
    let far = numeric(claims.get("exp"))
        .ok()
        .flatten()
        .is_some_and(|e| e > now.saturating_add(SKEW + rules.longest + TOLERANCE));
    let iat_passes = match numeric(claims.get("iat")) {
        Ok(Some(iat)) => iat < now + SKEW - TOLERANCE,
        Ok(None) => !rules.iat_required,
        Err(()) => false,
    };
    !far || !iat_passes || text.contains("too far in the future")
}

const REQUEST_RULES: Rules = Rules {
    iat_required: true,
    longest: MAX_LIFETIME,
    strict_expiry: false,
};

/// The SSA's times, through POST /register.
#[test]
fn ssa_times_over_their_whole_range() {
    let now = dcr_vectors::time::now();
    check(64, mutation(now), |app, rt, changes| {
        rt.block_on(async {
            let software_id = uuid::Uuid::new_v4().to_string();
            let mut ssa = app.ssa_claims(&software_id);
            apply(&mut ssa, &changes);
            let want = oracle(&ssa, now, REQUEST_RULES);
            let ssa_jwt = app.sign_ssa(&ssa);
            let jwt = app.sign_request(&app.request_claims(&software_id, &ssa_jwt));
            let got = answer(app.post_register(&jwt).await).await?;
            expect(want, &got, (201, 400, "invalid_software_statement"))?;
            prop_assert!(
                refused_as_too_far(&ssa, now, REQUEST_RULES, &got.2),
                "{}",
                got.2
            );
            Ok(())
        })
    });
}

/// The registration request's times (POST), and no replay of an accepted one.
#[test]
fn registration_request_times_over_their_whole_range() {
    let now = dcr_vectors::time::now();
    check(64, mutation(now), |app, rt, changes| {
        rt.block_on(async {
            let software_id = uuid::Uuid::new_v4().to_string();
            let ssa = app.ssa(&software_id);
            let mut claims = app.request_claims(&software_id, &ssa);
            apply(&mut claims, &changes);
            let want = oracle(&claims, now, REQUEST_RULES);
            let jwt = app.sign_request(&claims);
            let got = answer(app.post_register(&jwt).await).await?;
            expect(want, &got, (201, 400, "invalid_client_metadata"))?;
            prop_assert!(
                refused_as_too_far(&claims, now, REQUEST_RULES, &got.2),
                "{}",
                got.2
            );
            if got.0 == 201 {
                let replay = answer(app.post_register(&jwt).await).await?;
                prop_assert_eq!(replay.0, 400, "replayed: {}", replay.2);
                prop_assert!(
                    replay.2.contains("jti has been used before"),
                    "{}",
                    replay.2
                );
            }
            Ok(())
        })
    });
}

/// The registration request's times on PUT, and no replay of an accepted one.
#[test]
fn update_request_times_over_their_whole_range() {
    let now = dcr_vectors::time::now();
    check(32, mutation(now), |app, rt, changes| {
        rt.block_on(async {
            let software_id = uuid::Uuid::new_v4().to_string();
            let created = app.register(&software_id).await;
            let client_id = created["client_id"].as_str().unwrap().to_string();
            let token = app.token(&client_id, "cdr:registration").await;
            let ssa = app.ssa(&software_id);
            let mut claims = app.request_claims(&software_id, &ssa);
            apply(&mut claims, &changes);
            let want = oracle(&claims, now, REQUEST_RULES);
            let jwt = app.sign_request(&claims);
            let got = answer(app.put_registration(&client_id, &token, &jwt).await).await?;
            expect(want, &got, (200, 400, "invalid_client_metadata"))?;
            if got.0 == 200 {
                let replay = answer(app.put_registration(&client_id, &token, &jwt).await).await?;
                prop_assert_eq!(replay.0, 400, "replayed: {}", replay.2);
            }
            Ok(())
        })
    });
}

/// The client assertion's times at the token endpoint, and no replay of an accepted one.
#[test]
fn client_assertion_times_over_their_whole_range() {
    let now = dcr_vectors::time::now();
    let rules = Rules {
        iat_required: false,
        ..REQUEST_RULES
    };
    let client_id = std::sync::OnceLock::new();
    check(64, mutation(now), |app, rt, changes| {
        rt.block_on(async {
            if client_id.get().is_none() {
                let _ = client_id.set(app.register_new().await);
            }
            let id = client_id.get().unwrap();
            let mut claims = app.assertion_claims(id);
            apply(&mut claims, &changes);
            let want = oracle(&claims, now, rules);
            let assertion = app.sign_request(&claims);
            let form = TestApp::token_form(&assertion, "cdr:registration");
            let got = answer(app.post_token(&form).await).await?;
            expect(want, &got, (200, 400, "invalid_client"))?;
            prop_assert!(refused_as_too_far(&claims, now, rules, &got.2), "{}", got.2);
            if got.0 == 200 {
                let replay = answer(app.post_token(&form).await).await?;
                prop_assert_eq!(replay.0, 400, "replayed: {}", replay.2);
                prop_assert!(
                    replay.2.contains("jti has been used before"),
                    "{}",
                    replay.2
                );
            }
            Ok(())
        })
    });
}

/// The holder's own access tokens (signed with its key, so only their times are wrong) on a
/// management call.
#[test]
fn access_token_times_over_their_whole_range() {
    let now = dcr_vectors::time::now();
    let rules = Rules {
        iat_required: false,
        longest: TOKEN_LIFETIME.max(MAX_LIFETIME),
        strict_expiry: true,
    };
    let fixture = std::sync::OnceLock::new();
    check(64, mutation(now), |app, rt, changes| {
        rt.block_on(async {
            if fixture.get().is_none() {
                let id = app.register_new().await;
                let token = app.token(&id, "cdr:registration").await;
                let claims = dcr_vectors::jose::decode_unverified(&token).unwrap().claims;
                let _ = fixture.set((id, claims));
            }
            let (id, issued) = fixture.get().unwrap();
            let mut claims = issued.clone();
            claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
            apply(&mut claims, &changes);
            let want = oracle(&claims, now, rules);
            let token = app.holder.sign_token_claims(&claims).unwrap();
            let got = answer(app.get_registration(id, &token).await).await?;
            expect(want, &got, (200, 401, "invalid_token"))?;
            Ok(())
        })
    });
}

/// The overflow that once let a request be replayed: a validly signed request whose `exp` is
/// `i64::MAX` (or a float saturating to it) is refused with a message, and so is its replay.
#[tokio::test]
async fn an_exp_at_the_end_of_i64_is_refused_not_wrapped() {
    let app = spawn_app().await;
    for exp in [json!(i64::MAX), json!(1e19), json!(i64::MAX - 30)] {
        let software_id = uuid::Uuid::new_v4().to_string();
        let ssa = app.ssa(&software_id);
        let mut claims = app.request_claims(&software_id, &ssa);
        claims.insert("exp".into(), exp.clone());
        let jwt = app.sign_request(&claims);
        for attempt in ["first", "replay"] {
            let (status, error, text) = answer(app.post_register(&jwt).await).await.unwrap();
            assert_eq!(
                (status, error.as_str()),
                (400, "invalid_client_metadata"),
                "{exp} {attempt}: {text}"
            );
            assert!(text.contains("too far in the future"), "{text}");
        }
    }
}

//! Latency per DCR endpoint across a run, from each exchange's wall time, compared with the
//! CDS performance tier for DCR calls (DCR-REQ-007: 1000 ms, "High Priority").
//!
//! Exchanges are classified by method and by which discovered endpoint their URL is: the
//! discovery document's own URL, its `registration_endpoint` (POST) or a client URL under it
//! (GET, PUT, DELETE), its `token_endpoint`. The endpoints come from the discovery responses
//! seen in the run, so a holder with unusual paths is classified correctly.
//!
//! Timing is client-side (TLS set-up and network included), so it overstates the holder's own
//! figure. It is reported, and flagged, but does not change the verdict; a scenario for
//! DCR-REQ-007 decides that.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::http::Exchange;

/// The CDS performance tier for DCR calls, in milliseconds.
pub const TIER_MS: f64 = 1000.0;

/// The rule the tier comes from.
pub const TIER_RULE: &str = "DCR-REQ-007";

/// The endpoints latency is reported for, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// GET of the discovery document.
    Discovery,
    /// POST /register.
    RegisterPost,
    /// GET /register/{ClientId}.
    RegisterGet,
    /// PUT /register/{ClientId}.
    RegisterPut,
    /// DELETE /register/{ClientId}.
    RegisterDelete,
    /// POST to the token endpoint.
    Token,
    /// Anything else (JWKS, other methods).
    Other,
}

impl Endpoint {
    /// The label used in reports, e.g. `POST /register`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Discovery => "GET discovery",
            Self::RegisterPost => "POST /register",
            Self::RegisterGet => "GET /register/{ClientId}",
            Self::RegisterPut => "PUT /register/{ClientId}",
            Self::RegisterDelete => "DELETE /register/{ClientId}",
            Self::Token => "POST token",
            Self::Other => "other",
        }
    }
}

/// The discovered endpoints an exchange is compared with.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    discovery: BTreeSet<String>,
    registration: BTreeSet<String>,
    token: BTreeSet<String>,
}

fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

impl Endpoints {
    /// Learns the endpoints from the discovery responses among `exchanges`.
    pub fn learn<'a>(exchanges: impl IntoIterator<Item = &'a Exchange>) -> Self {
        let mut found = Self::default();
        for exchange in exchanges {
            let url = without_query(&exchange.url);
            if !url.ends_with("/.well-known/openid-configuration") {
                continue;
            }
            found.discovery.insert(url.to_string());
            if let Some(Value::Object(doc)) = exchange.json() {
                let member = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
                found.registration.extend(member("registration_endpoint"));
                found.token.extend(member("token_endpoint"));
            }
        }
        found
    }

    /// Which endpoint `exchange` called.
    pub fn classify(&self, exchange: &Exchange) -> Endpoint {
        let url = without_query(&exchange.url).trim_end_matches('/');
        let method = exchange.method.to_ascii_uppercase();
        if self.discovery.contains(url) || url.ends_with("/.well-known/openid-configuration") {
            return if method == "GET" {
                Endpoint::Discovery
            } else {
                Endpoint::Other
            };
        }
        if self.token.iter().any(|t| t.trim_end_matches('/') == url) {
            return if method == "POST" {
                Endpoint::Token
            } else {
                Endpoint::Other
            };
        }
        for reg in &self.registration {
            let reg = reg.trim_end_matches('/');
            if url == reg {
                return if method == "POST" {
                    Endpoint::RegisterPost
                } else {
                    Endpoint::Other
                };
            }
            if url
                .strip_prefix(reg)
                .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/'))
            {
                return match method.as_str() {
                    "GET" => Endpoint::RegisterGet,
                    "PUT" => Endpoint::RegisterPut,
                    "DELETE" => Endpoint::RegisterDelete,
                    _ => Endpoint::Other,
                };
            }
        }
        Endpoint::Other
    }
}

/// How an endpoint's timings compare with the tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TierFlag {
    /// p95 within the tier.
    Within,
    /// The median is within the tier, the 95th percentile is not.
    SlowTail,
    /// The median exceeds the tier.
    Over,
}

/// Latency of one endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointLatency {
    /// Endpoint.
    pub endpoint: Endpoint,
    /// Human label.
    pub label: &'static str,
    /// Number of exchanges that got an HTTP response.
    pub count: usize,
    /// Exchanges without an HTTP response (not timed).
    pub no_response: usize,
    /// Median, ms.
    pub p50_ms: f64,
    /// 95th percentile, ms.
    pub p95_ms: f64,
    /// Maximum, ms.
    pub max_ms: f64,
    /// Exchanges slower than the tier.
    pub over_tier: usize,
    /// Comparison with the tier.
    pub flag: TierFlag,
}

/// The latency section of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// The tier, ms.
    pub tier_ms: f64,
    /// The rule the tier comes from.
    pub rule: &'static str,
    /// How the figures were measured.
    pub basis: &'static str,
    /// Per endpoint, in a fixed order; endpoints not called are left out.
    pub endpoints: Vec<EndpointLatency>,
}

/// Nearest-rank percentile of sorted `values` (`p` in 0..=100).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}

/// Latency of every endpoint called in `exchanges`.
pub fn measure<'a>(exchanges: impl IntoIterator<Item = &'a Exchange> + Clone) -> Latency {
    let endpoints = Endpoints::learn(exchanges.clone());
    let mut by: std::collections::BTreeMap<Endpoint, (Vec<f64>, usize)> = Default::default();
    for exchange in exchanges {
        let entry = by.entry(endpoints.classify(exchange)).or_default();
        if exchange.status().is_some() {
            entry.0.push(exchange.elapsed_ms);
        } else {
            entry.1 += 1;
        }
    }
    let endpoints = by
        .into_iter()
        .map(|(endpoint, (mut times, no_response))| {
            times.sort_by(f64::total_cmp);
            let (p50, p95) = (percentile(&times, 50.0), percentile(&times, 95.0));
            EndpointLatency {
                endpoint,
                label: endpoint.label(),
                count: times.len(),
                no_response,
                p50_ms: round(p50),
                p95_ms: round(p95),
                max_ms: round(times.last().copied().unwrap_or(0.0)),
                over_tier: times.iter().filter(|t| **t > TIER_MS).count(),
                flag: if p50 > TIER_MS {
                    TierFlag::Over
                } else if p95 > TIER_MS {
                    TierFlag::SlowTail
                } else {
                    TierFlag::Within
                },
            }
        })
        .collect();
    Latency {
        tier_ms: TIER_MS,
        rule: TIER_RULE,
        basis: "client-side wall time per exchange (TLS set-up and network included); nearest-rank percentiles over the run",
        endpoints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Outcome;

    fn exchange(method: &str, url: &str, ms: f64, body: &str) -> Exchange {
        Exchange {
            method: method.into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            certificate: "recipient A".into(),
            outcome: Outcome::Response {
                status: 200,
                headers: Vec::new(),
                body: body.into(),
            },
            elapsed_ms: ms,
        }
    }

    const DISCOVERY: &str = r#"{"registration_endpoint":"https://h:2/connect/register","token_endpoint":"https://h:2/connect/token"}"#;

    #[test]
    fn exchanges_are_classified_by_method_and_discovered_endpoint() {
        let all = [
            exchange(
                "GET",
                "https://h:1/.well-known/openid-configuration",
                5.0,
                DISCOVERY,
            ),
            exchange("POST", "https://h:2/connect/register", 10.0, "{}"),
            exchange("GET", "https://h:2/connect/register/abc", 10.0, "{}"),
            exchange("PUT", "https://h:2/connect/register/abc", 10.0, "{}"),
            exchange("DELETE", "https://h:2/connect/register/abc", 10.0, "{}"),
            exchange("POST", "https://h:2/connect/token", 10.0, "{}"),
            exchange("GET", "https://h:3/jwks", 10.0, "{}"),
        ];
        let known = Endpoints::learn(&all);
        let kinds: Vec<Endpoint> = all.iter().map(|e| known.classify(e)).collect();
        assert_eq!(
            kinds,
            vec![
                Endpoint::Discovery,
                Endpoint::RegisterPost,
                Endpoint::RegisterGet,
                Endpoint::RegisterPut,
                Endpoint::RegisterDelete,
                Endpoint::Token,
                Endpoint::Other
            ]
        );
    }

    #[test]
    fn percentiles_are_nearest_rank_and_flagged_against_the_tier() {
        let mut all = vec![exchange(
            "GET",
            "https://h:1/.well-known/openid-configuration",
            1.0,
            DISCOVERY,
        )];
        for ms in 1..=20 {
            let ms = if ms == 20 {
                1500.0
            } else {
                f64::from(ms) * 10.0
            };
            all.push(exchange("POST", "https://h:2/connect/register", ms, "{}"));
        }
        let latency = measure(&all);
        let post = latency
            .endpoints
            .iter()
            .find(|e| e.endpoint == Endpoint::RegisterPost)
            .expect("post");
        assert_eq!((post.count, post.p50_ms, post.p95_ms), (20, 100.0, 190.0));
        assert_eq!((post.max_ms, post.over_tier), (1500.0, 1));
        assert_eq!(post.flag, TierFlag::Within);
    }
}

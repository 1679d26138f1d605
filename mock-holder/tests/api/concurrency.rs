//! One active registration per software product, under concurrency.

use std::time::Duration;

use crate::helpers::spawn_app_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_200_simultaneous_posts_for_one_software_id_exactly_one_wins() {
    // The 200 requests share one fetch of the Register JWKS (and a failed fetch is remembered
    // for all of them): on a loaded machine the other tests' 0.7 s timeout can be too short.
    let app = spawn_app_with(|s| s.jwks_timeout = Duration::from_secs(10)).await;
    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    // Distinct jti each (the template adds a fresh one), one SSA.
    let jwts: Vec<String> = (0..200)
        .map(|_| app.sign_request(&app.request_claims(&software_id, &ssa)))
        .collect();

    let responses = futures::future::join_all(jwts.iter().map(|jwt| app.post_register(jwt))).await;

    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        199,
        "{statuses:?}"
    );
}

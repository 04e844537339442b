//! The JWKS client against a real HTTP server on 127.0.0.1: fetched once, refreshed when a
//! token names an unknown key (rotation), not more often than the refresh interval, and
//! refetched once the set is older than its `Cache-Control: max-age` (clamped), so a key the
//! issuer withdrew stops verifying. The cache's ages pass on a clock the tests move by hand.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_auth::{KeySource, Rejection, RemoteJwks, Verifier, VerifierConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::RwLock;

/// What the endpoint answers; tests change it to play an issuer that rotates, withdraws keys
/// or fails.
struct Answer {
    status: &'static str,
    cache_control: Option<String>,
    body: String,
}

/// A JWKS endpoint on a free port, counting requests.
struct Endpoint {
    url: String,
    answer: Arc<RwLock<Answer>>,
    hits: Arc<AtomicUsize>,
}

impl Endpoint {
    async fn start(keys: &[&DevIssuer], cache_control: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
        let endpoint = Self::on(listener, url, keys).await;
        endpoint.answer.write().await.cache_control = cache_control.map(str::to_owned);
        endpoint
    }

    async fn on(listener: TcpListener, url: String, keys: &[&DevIssuer]) -> Self {
        let answer =
            Arc::new(RwLock::new(Answer { status: "200 OK", cache_control: None, body: jwks(keys) }));
        let hits = Arc::new(AtomicUsize::new(0));
        serve_on(listener, answer.clone(), hits.clone());
        Self { url, answer, hits }
    }

    /// The issuer publishes exactly these keys from now on.
    async fn publish(&self, keys: &[&DevIssuer]) {
        let mut answer = self.answer.write().await;
        answer.status = "200 OK";
        answer.body = jwks(keys);
    }

    /// The issuer answers 503 from now on.
    async fn fail(&self) {
        self.answer.write().await.status = "503 Service Unavailable";
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve_on(listener: TcpListener, answer: Arc<RwLock<Answer>>, hits: Arc<AtomicUsize>) {
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 2048];
            let _ = socket.read(&mut request).await;
            hits.fetch_add(1, Ordering::SeqCst);
            let answer = answer.read().await;
            let cache_control = answer
                .cache_control
                .as_deref()
                .map(|value| format!("cache-control: {value}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 {}\r\ncontent-type: application/json\r\n{cache_control}content-length: {}\r\nconnection: close\r\n\r\n{}",
                answer.status,
                answer.body.len(),
                answer.body
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
}

/// One JWKS with every key of these issuers.
fn jwks(issuers: &[&DevIssuer]) -> String {
    let keys: Vec<_> = issuers.iter().flat_map(|issuer| issuer.jwks().keys.iter()).collect();
    serde_json::json!({ "keys": keys }).to_string()
}

/// A clock the test moves by hand, so ages of minutes pass without sleeping.
#[derive(Clone)]
struct TestClock {
    start: Instant,
    elapsed: Arc<Mutex<Duration>>,
}

impl TestClock {
    fn new() -> Self {
        Self { start: Instant::now(), elapsed: Arc::new(Mutex::new(Duration::ZERO)) }
    }

    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }

    fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }
}

/// The client under test, on the test's clock, its set fetched as at init.
async fn cached(endpoint: &Endpoint, clock: &TestClock) -> (Arc<RemoteJwks>, Verifier) {
    let clock = clock.clone();
    let jwks = RemoteJwks::with_client(endpoint.url.clone(), reqwest::Client::new(), RemoteJwks::MIN_REFRESH)
        .with_clock(move || clock.now());
    let jwks = Arc::new(jwks);
    jwks.prefetch().await.unwrap();
    (jwks.clone(), Verifier::new(config(), jwks))
}

fn config() -> VerifierConfig {
    VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 }
}

fn token(issuer: &DevIssuer) -> String {
    let request = TokenRequest { sub: "u".into(), ttl_seconds: 60, ..Default::default() };
    issuer.token("iss", "aud", &request).unwrap()
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn keys_are_fetched_once_and_refreshed_for_a_rotated_key_at_most_once_per_interval() {
    let old = DevIssuer::generate().unwrap();
    let new = DevIssuer::generate().unwrap();
    let endpoint = Endpoint::start(&[&old], None).await;

    let jwks =
        Arc::new(RemoteJwks::with_client(&endpoint.url, reqwest::Client::new(), Duration::from_millis(300)));
    jwks.prefetch().await.unwrap();
    let verifier = Verifier::new(config(), jwks.clone());
    for _ in 0..5 {
        verifier.verify(&token(&old)).await.expect("known key");
    }
    assert_eq!(endpoint.hits(), 1, "cached after the first fetch");

    // The issuer rotates to a new key: the first token naming it triggers one refresh.
    endpoint.publish(&[&new]).await;
    tokio::time::sleep(Duration::from_millis(350)).await;
    verifier.verify(&token(&new)).await.expect("rotated key");
    assert_eq!(endpoint.hits(), 2);

    // Forged kids right after cannot make it fetch again within the interval.
    for _ in 0..10 {
        assert!(jwks.key("forged-kid").await.unwrap().is_none());
    }
    assert_eq!(endpoint.hits(), 2, "rate-limited");
    assert_eq!(verifier.verify(&token(&old)).await.err(), Some(Rejection::UnknownKey), "the old key is gone");
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_a_bad_token() {
    let issuer = DevIssuer::generate().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener); // nothing listens there now
    let jwks = Arc::new(RemoteJwks::with_client(url, reqwest::Client::new(), Duration::ZERO));
    let verifier = Verifier::new(config(), jwks);
    assert!(matches!(verifier.verify(&token(&issuer)).await, Err(Rejection::KeysUnavailable(_))));
}

#[tokio::test]
async fn a_failed_fetch_at_init_is_retried_by_a_request_a_moment_later_not_an_interval_later() {
    let issuer = DevIssuer::generate().unwrap();
    // The issuer is down at init: nothing listens on the port yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{address}/.well-known/jwks.json");
    let jwks = Arc::new(RemoteJwks::with_client(&url, reqwest::Client::new(), RemoteJwks::MIN_REFRESH));
    assert!(matches!(jwks.prefetch().await, Err(Rejection::KeysUnavailable(_))));
    let verifier = Verifier::new(config(), jwks.clone());
    // At once: still waiting out the short backoff, so the issuer is not hammered.
    assert!(matches!(verifier.verify(&token(&issuer)).await, Err(Rejection::KeysUnavailable(_))));

    // It comes up on the same port; a second later the next request fetches and passes.
    let endpoint = Endpoint::on(TcpListener::bind(address).await.unwrap(), url, &[&issuer]).await;
    tokio::time::sleep(RemoteJwks::RETRY_AFTER_FAILURE).await;
    verifier.verify(&token(&issuer)).await.expect("fetched after the backoff, well within MIN_REFRESH");
    assert_eq!(endpoint.hits(), 1);
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_once_the_set_is_older_than_its_max_age() {
    let (a, b) = (DevIssuer::generate().unwrap(), DevIssuer::generate().unwrap());
    let endpoint = Endpoint::start(&[&a, &b], Some("public, max-age=60")).await;
    let clock = TestClock::new();
    let (_, verifier) = cached(&endpoint, &clock).await;
    for _ in 0..10 {
        verifier.verify(&token(&a)).await.expect("A is published");
        verifier.verify(&token(&b)).await.expect("B is published");
    }
    assert_eq!(endpoint.hits(), 1, "one fetch for many verifications");

    // The issuer withdraws A. Until the set is 60 s old the cache is trusted as it is...
    endpoint.publish(&[&b]).await;
    clock.advance(59 * SECOND);
    verifier.verify(&token(&a)).await.expect("within its max age the cached set is trusted");
    assert_eq!(endpoint.hits(), 1, "no fetch per verification within the age");

    // ...and once it is, the next verification refetches before trusting any key.
    clock.advance(SECOND);
    assert_eq!(verifier.verify(&token(&a)).await.err(), Some(Rejection::UnknownKey), "A was withdrawn");
    assert_eq!(endpoint.hits(), 2);
    for _ in 0..10 {
        verifier.verify(&token(&b)).await.expect("B is still published");
        assert_eq!(verifier.verify(&token(&a)).await.err(), Some(Rejection::UnknownKey));
    }
    assert_eq!(endpoint.hits(), 2, "the fresh set is cached again: no fetch per verification");
}

/// Serves {A, B} with this `Cache-Control`, withdraws A, and checks that the set is trusted
/// for exactly `age`: A verifies a second before, is refused at `age`, one fetch each.
async fn assert_the_set_is_trusted_for(cache_control: Option<&str>, age: Duration) {
    let (a, b) = (DevIssuer::generate().unwrap(), DevIssuer::generate().unwrap());
    let endpoint = Endpoint::start(&[&a, &b], cache_control).await;
    let clock = TestClock::new();
    let (jwks, verifier) = cached(&endpoint, &clock).await;
    for _ in 0..5 {
        verifier.verify(&token(&a)).await.expect("A is published");
    }
    endpoint.publish(&[&b]).await;

    clock.advance(age - SECOND);
    verifier
        .verify(&token(&a))
        .await
        .unwrap_or_else(|error| panic!("{cache_control:?}: trusted until {age:?}: {error}"));
    assert_eq!(endpoint.hits(), 1, "{cache_control:?}: no refetch before {age:?}");

    clock.advance(SECOND);
    assert_eq!(
        verifier.verify(&token(&a)).await.err(),
        Some(Rejection::UnknownKey),
        "{cache_control:?} at {age:?}"
    );
    verifier.verify(&token(&b)).await.expect("B is still published");
    for _ in 0..5 {
        assert!(jwks.key("forged-kid").await.unwrap().is_none());
    }
    assert_eq!(endpoint.hits(), 2, "{cache_control:?}: one refetch at {age:?}");
}

#[tokio::test]
async fn a_max_age_above_an_hour_is_clamped_to_an_hour() {
    for cache_control in ["max-age=3601", "public, max-age=86400", "max-age=99999999999999999999999"] {
        assert_the_set_is_trusted_for(Some(cache_control), Duration::from_secs(3600)).await;
    }
}

#[tokio::test]
async fn without_a_usable_max_age_the_set_is_trusted_for_ten_minutes() {
    for cache_control in [None, Some("public"), Some("max-age=soon"), Some("max-age=-5"), Some("max-age=")] {
        assert_the_set_is_trusted_for(cache_control, Duration::from_secs(600)).await;
    }
}

#[tokio::test]
async fn no_store_no_cache_and_tiny_ages_are_raised_to_30_s_not_a_fetch_per_verification() {
    for cache_control in ["no-store", "no-cache", "max-age=0", "max-age=1", "private, no-cache, max-age=600"]
    {
        assert_the_set_is_trusted_for(Some(cache_control), Duration::from_secs(30)).await;
    }
}

#[tokio::test]
async fn concurrent_verifications_of_an_expired_set_refetch_it_once() {
    let (a, b) = (DevIssuer::generate().unwrap(), DevIssuer::generate().unwrap());
    let endpoint = Endpoint::start(&[&a, &b], Some("max-age=60")).await;
    let clock = TestClock::new();
    let (_, verifier) = cached(&endpoint, &clock).await;
    endpoint.publish(&[&b]).await;
    clock.advance(60 * SECOND);

    let verifier = Arc::new(verifier);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20 {
        let (verifier, token) = (verifier.clone(), token(if n % 2 == 0 { &a } else { &b }));
        tasks.spawn(async move { (n, verifier.verify(&token).await.err()) });
    }
    while let Some(result) = tasks.join_next().await {
        let (n, error) = result.unwrap();
        assert_eq!(error, if n % 2 == 0 { Some(Rejection::UnknownKey) } else { None }, "verification {n}");
    }
    assert_eq!(endpoint.hits(), 2, "one refetch for all of them");
}

#[tokio::test]
async fn when_a_refetch_fails_the_old_set_serves_for_an_hour_retried_every_5_s_then_keys_are_unavailable() {
    let (a, b) = (DevIssuer::generate().unwrap(), DevIssuer::generate().unwrap());
    let endpoint = Endpoint::start(&[&a], Some("max-age=60")).await;
    let clock = TestClock::new();
    let (jwks, verifier) = cached(&endpoint, &clock).await;

    // The issuer goes down; the set expires. The refetch fails, and the old set still serves.
    endpoint.fail().await;
    clock.advance(60 * SECOND);
    verifier.verify(&token(&a)).await.expect("the stale set serves while the issuer is down");
    assert_eq!(endpoint.hits(), 2, "it tried to refetch");

    // Not again for a few seconds: neither genuine tokens nor forged kids make it hammer the issuer.
    for _ in 0..10 {
        verifier.verify(&token(&a)).await.expect("stale set");
        assert!(jwks.key("forged-kid").await.unwrap().is_none());
    }
    assert_eq!(endpoint.hits(), 2, "backing off");
    clock.advance(5 * SECOND);
    verifier.verify(&token(&a)).await.expect("stale set");
    assert_eq!(endpoint.hits(), 3, "retried after 5 s");

    // An hour after the set expired, it is no longer trusted: keys are unavailable, not the token bad.
    clock.advance(Duration::from_secs(3600) - 5 * SECOND - SECOND);
    verifier.verify(&token(&a)).await.expect("still within the hour's grace");
    clock.advance(SECOND);
    assert!(matches!(verifier.verify(&token(&a)).await, Err(Rejection::KeysUnavailable(_))));
    assert!(
        matches!(verifier.verify(&token(&a)).await, Err(Rejection::KeysUnavailable(_))),
        "locked out, backing off"
    );
    let hits = endpoint.hits();

    // Everyone is locked out now, so the retry comes sooner: a second later the issuer is back.
    endpoint.publish(&[&b]).await;
    clock.advance(SECOND);
    verifier.verify(&token(&b)).await.expect("the issuer is back");
    assert_eq!(verifier.verify(&token(&a)).await.err(), Some(Rejection::UnknownKey));
    assert_eq!(endpoint.hits(), hits + 1);
}

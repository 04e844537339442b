//! Where verification keys come from: a fixed set (the local issuer, tests) or an issuer's
//! JWKS over HTTPS, cached per environment ([`RemoteJwks`]).
//!
//! How long a cached JWKS is trusted, so that a key the issuer withdraws stops verifying:
//!
//! - as long as the response's `Cache-Control: max-age` says (less its `Age`), but never more
//!   than [an hour](RemoteJwks::LONGEST_MAX_AGE) whatever the issuer sends;
//!   [10 minutes](RemoteJwks::DEFAULT_MAX_AGE) when it states no max age we can read; and at
//!   least [30 s](RemoteJwks::SHORTEST_MAX_AGE), so `no-store`, `no-cache` or `max-age=0`
//!   cannot turn every verification into a fetch;
//! - once the set is older than that, the next verification refetches it before trusting any
//!   key (concurrent verifications wait for that one fetch);
//! - a token naming a key the set lacks (the issuer rotated) refetches early, but at most
//!   [once a minute](RemoteJwks::MIN_REFRESH), so forged `kid`s cannot hammer the issuer;
//! - when a refetch fails, the old set goes on serving for a
//!   [grace of an hour](RemoteJwks::STALE_GRACE) past its age, with a warning logged, and the
//!   fetch is retried [at most every 5 s](RemoteJwks::RETRY_WITH_OLD_KEYS): an issuer outage
//!   should not log everyone out, but neither should a withdrawn key live on for as long as the
//!   issuer stays unreachable. An hour covers the life of a typical access token (Cognito's
//!   default; Keycloak's is 5 minutes), so tokens issued before an outage keep working to their
//!   end; a withdrawn key verifies at most two hours after its withdrawal;
//! - with no set to serve (never fetched, e.g. the issuer was down at init, or past the grace),
//!   tokens are refused as "keys unavailable", not as bad tokens, and the fetch is retried
//!   [a second](RemoteJwks::RETRY_AFTER_FAILURE) after a failure, by the next request.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use reqwest::header::{AGE, CACHE_CONTROL, HeaderMap};
use tokio::sync::{Mutex, RwLock};

use crate::{Rejection, cache_control};

#[async_trait]
pub trait KeySource: Send + Sync {
    /// The key with this `kid`, if the issuer has one.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, Rejection>;
}

/// Decodes every usable key of a set, by `kid`; keys without a `kid` cannot be chosen.
fn decode_set(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => Some((kid, key)),
                Err(error) => {
                    tracing::warn!(kid, %error, "skipping a JWKS key we cannot use");
                    None
                }
            }
        })
        .collect()
}

/// A fixed key set.
pub struct StaticKeys(HashMap<String, DecodingKey>);

impl StaticKeys {
    pub fn new(set: &JwkSet) -> Self {
        Self(decode_set(set))
    }
}

#[async_trait]
impl KeySource for StaticKeys {
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, Rejection> {
        Ok(self.0.get(kid).cloned())
    }
}

/// TLS for the issuer: Mozilla's root program (Cognito, Keycloak behind a public CA, Firebase),
/// compiled in. reqwest's default reads and parses the system's certificate directory when the
/// client is built: 2.7 ms of the authorizer's 4.4 ms init on the bench machine.
/// (None only if aws-lc lacked TLS 1.2 and 1.3; reqwest's own TLS set-up is then the fallback.)
fn tls_config() -> Option<rustls::ClientConfig> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let builder = rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions();
    Some(builder.ok()?.with_root_certificates(roots).with_no_client_auth())
}

/// An issuer's JWKS endpoint, cached: see the module docs for how long and what happens when
/// the issuer cannot be reached.
pub struct RemoteJwks {
    url: String,
    client: reqwest::Client,
    cache: RwLock<Cache>,
    /// Held while fetching, so concurrent misses and expiries fetch once.
    fetching: Mutex<()>,
    min_refresh: Duration,
    /// The time the cache's ages are measured on: the monotonic clock, or a test's.
    clock: Box<dyn Fn() -> Instant + Send + Sync>,
}

/// The set as last fetched, and how the fetches so far went.
#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    /// The last successful fetch; none: the set was never fetched.
    fetched: Option<Fetched>,
    /// When the last fetch failed, unless one succeeded since.
    failed_at: Option<Instant>,
}

#[derive(Clone, Copy)]
struct Fetched {
    /// When the fetch started: ages run from the request, as for an HTTP cache.
    at: Instant,
    /// From then on the set is stale: no key in it is trusted before a refetch is tried.
    expires: Instant,
}

/// What the cached set is worth at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    /// Never fetched.
    Missing,
    /// Within its max age: trusted.
    Fresh,
    /// Past its max age, within the grace: served only while refetching fails.
    Stale,
    /// Past the grace too: not trusted at all.
    Expired,
}

impl Cache {
    fn standing(&self, now: Instant) -> Standing {
        match self.fetched {
            None => Standing::Missing,
            Some(fetched) if now < fetched.expires => Standing::Fresh,
            Some(fetched) if now < fetched.expires + RemoteJwks::STALE_GRACE => Standing::Stale,
            Some(_) => Standing::Expired,
        }
    }

    /// The key, if the set is fresh and has it: the one case that needs no fetch.
    fn fresh_key(&self, kid: &str, now: Instant) -> Option<DecodingKey> {
        (self.standing(now) == Standing::Fresh).then(|| self.keys.get(kid).cloned()).flatten()
    }

    /// Whether a verification that found no fresh key may fetch now.
    fn fetch_due(&self, now: Instant, min_refresh: Duration) -> bool {
        let standing = self.standing(now);
        // With a set still serving, callers are not locked out: back off longer.
        let backoff = match standing {
            Standing::Fresh | Standing::Stale => RemoteJwks::RETRY_WITH_OLD_KEYS,
            Standing::Missing | Standing::Expired => RemoteJwks::RETRY_AFTER_FAILURE,
        };
        if self.failed_at.is_some_and(|failed| now < failed + backoff.min(min_refresh)) {
            return false;
        }
        match (standing, self.fetched) {
            // A fresh set without the kid: a rotation, or a forged kid; rate-limited.
            (Standing::Fresh, Some(fetched)) => now >= fetched.at + min_refresh,
            _ => true,
        }
    }
}

/// How long a set fetched with these response headers is trusted (see the module docs).
fn max_age(headers: &HeaderMap) -> Duration {
    let cache_control = headers.get_all(CACHE_CONTROL).into_iter().filter_map(|value| value.to_str().ok());
    let age = headers.get(AGE).and_then(|value| value.to_str().ok());
    match cache_control::fresh_for(cache_control, age) {
        Some(seconds) => {
            Duration::from_secs(seconds).clamp(RemoteJwks::SHORTEST_MAX_AGE, RemoteJwks::LONGEST_MAX_AGE)
        }
        None => RemoteJwks::DEFAULT_MAX_AGE,
    }
}

impl RemoteJwks {
    /// How often an unknown `kid` may trigger a fetch: forged kids cannot hammer the issuer.
    pub const MIN_REFRESH: Duration = Duration::from_secs(60);
    /// How soon after a failed fetch another may be tried when there is no set to serve (at most
    /// `min_refresh`): a JWKS that could not be fetched at init must not lock every caller out
    /// for a whole interval.
    pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);
    /// How soon after a failed fetch another may be tried while the old set still serves (at most
    /// `min_refresh`): nobody is locked out, so a struggling issuer is spared.
    pub const RETRY_WITH_OLD_KEYS: Duration = Duration::from_secs(5);
    /// How long a set is trusted when its response states no max age we can read.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10 * 60);
    /// The longest a set is trusted, whatever its response says: a withdrawn key must stop
    /// verifying within the hour.
    pub const LONGEST_MAX_AGE: Duration = Duration::from_secs(60 * 60);
    /// The shortest: `no-store`, `no-cache` or `max-age=0` must not mean a fetch per request.
    pub const SHORTEST_MAX_AGE: Duration = Duration::from_secs(30);
    /// How long past its max age a set still serves while refetching it fails.
    pub const STALE_GRACE: Duration = Duration::from_secs(60 * 60);

    pub fn new(url: impl Into<String>) -> Self {
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(3));
        if let Some(tls) = tls_config() {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let client = builder.build().unwrap_or_else(|_| reqwest::Client::new());
        Self::with_client(url, client, Self::MIN_REFRESH)
    }

    pub fn with_client(url: impl Into<String>, client: reqwest::Client, min_refresh: Duration) -> Self {
        Self {
            url: url.into(),
            client,
            cache: RwLock::new(Cache::default()),
            fetching: Mutex::new(()),
            min_refresh,
            clock: Box::new(Instant::now),
        }
    }

    /// Measures the cache's ages on this clock instead of the monotonic one, so tests can let
    /// minutes pass without sleeping.
    pub fn with_clock(mut self, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    fn now(&self) -> Instant {
        (self.clock)()
    }

    /// Fetches the set now (at init, so the first request does not pay for it).
    pub async fn prefetch(&self) -> Result<(), Rejection> {
        let _fetching = self.fetching.lock().await;
        self.fetch(self.now()).await
    }

    /// Fetches the set and records how that went; the caller holds `fetching`.
    async fn fetch(&self, started: Instant) -> Result<(), Rejection> {
        let result = self.fetch_set().await;
        let mut cache = self.cache.write().await;
        match result {
            Ok((keys, max_age)) => {
                tracing::info!(
                    keys = keys.len(),
                    max_age_seconds = max_age.as_secs(),
                    "fetched the issuer's JWKS"
                );
                cache.keys = keys;
                cache.fetched = Some(Fetched { at: started, expires: started + max_age });
                cache.failed_at = None;
                Ok(())
            }
            Err(error) => {
                // Backoff runs from the failure, not the start: a fetch that timed out after
                // seconds must not be followed at once by another.
                cache.failed_at = Some(self.now());
                Err(error)
            }
        }
    }

    async fn fetch_set(&self) -> Result<(HashMap<String, DecodingKey>, Duration), Rejection> {
        let unavailable = |error: reqwest::Error| Rejection::KeysUnavailable(error.without_url().to_string());
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?;
        let max_age = max_age(response.headers());
        let set: JwkSet = response.json().await.map_err(unavailable)?;
        Ok((decode_set(&set), max_age))
    }
}

#[async_trait]
impl KeySource for RemoteJwks {
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, Rejection> {
        if let Some(key) = self.cache.read().await.fresh_key(kid, self.now()) {
            return Ok(Some(key));
        }
        let _fetching = self.fetching.lock().await;
        let now = self.now();
        let due = {
            let cache = self.cache.read().await;
            // Another request may have refreshed the set while this one waited.
            if let Some(key) = cache.fresh_key(kid, now) {
                return Ok(Some(key));
            }
            cache.fetch_due(now, self.min_refresh)
        };
        let fetch_error = if due { self.fetch(now).await.err() } else { None };
        let cache = self.cache.read().await;
        let standing = cache.standing(now);
        match (standing, fetch_error) {
            (Standing::Missing, None) => {
                // The last try failed and the next is not due: not the token's fault.
                Err(Rejection::KeysUnavailable("the issuer's keys are not loaded yet".into()))
            }
            (Standing::Expired, None) => {
                Err(Rejection::KeysUnavailable("the issuer's keys expired and could not be refetched".into()))
            }
            // Fetched just now, or still trusted (a fresh set without the kid is rate-limited),
            // or stale but within the grace while the retry is not due.
            (Standing::Fresh | Standing::Stale, None) => Ok(cache.keys.get(kid).cloned()),
            (Standing::Stale, Some(error)) if cache.keys.contains_key(kid) => {
                let expired_seconds_ago = cache
                    .fetched
                    .map_or(0, |fetched| now.saturating_duration_since(fetched.expires).as_secs());
                tracing::warn!(
                    %error,
                    expired_seconds_ago,
                    "could not refetch the issuer's JWKS: serving the expired set, for up to an hour"
                );
                Ok(cache.keys.get(kid).cloned())
            }
            // Nothing we trust has the kid, and the issuer could not be asked: not the token's fault.
            (_, Some(error)) => {
                tracing::warn!(%error, ?standing, "could not fetch the issuer's JWKS");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_tls_config_builds_on_aws_lc_with_the_compiled_in_roots() {
        let config = tls_config().expect("aws-lc supports TLS 1.2 and 1.3");
        // Every public CA an issuer is likely behind: Amazon (Cognito), Google (Firebase), Let's Encrypt.
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
        assert!(config.alpn_protocols.is_empty(), "HTTP/1.1 only, as reqwest is built here");
        let _client = RemoteJwks::new("https://issuer.example/.well-known/jwks.json");
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        headers
    }

    #[test]
    fn the_max_age_is_the_responses_within_30_s_and_an_hour_and_10_minutes_when_it_states_none() {
        let seconds = |pairs: &[(&str, &str)]| max_age(&headers(pairs)).as_secs();
        assert_eq!(seconds(&[("cache-control", "public, max-age=300")]), 300);
        assert_eq!(seconds(&[("cache-control", "max-age=21600")]), 3600, "Google's JWKS: six hours");
        assert_eq!(seconds(&[("cache-control", "no-store")]), 30);
        assert_eq!(seconds(&[("cache-control", "max-age=0")]), 30);
        assert_eq!(seconds(&[]), 600);
        assert_eq!(seconds(&[("cache-control", "max-age=later")]), 600);
        assert_eq!(seconds(&[("cache-control", "max-age=600"), ("age", "120")]), 480, "a CDN's copy");
        assert_eq!(seconds(&[("cache-control", "max-age=600"), ("cache-control", "max-age=60")]), 60);
    }
}

//! Where verification keys come from: a fixed set (the local issuer, tests) or an issuer's
//! JWKS over HTTPS, fetched once per environment and refreshed, at most once a minute, when a
//! token names a key we have not seen (the issuer rotated its keys).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::{Mutex, RwLock};

use crate::Rejection;

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

/// An issuer's JWKS endpoint, cached.
pub struct RemoteJwks {
    url: String,
    client: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the next fetch may happen (none yet: now); held while fetching, so concurrent
    /// misses fetch once.
    next_fetch: Mutex<Option<Instant>>,
    min_refresh: Duration,
}

impl RemoteJwks {
    /// How often an unknown `kid` may trigger a fetch: forged kids cannot hammer the issuer.
    pub const MIN_REFRESH: Duration = Duration::from_secs(60);
    /// How soon after a failed fetch another may be tried (at most `min_refresh`): a JWKS that
    /// could not be fetched at init must not lock every caller out for a whole interval.
    pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

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
            keys: RwLock::new(HashMap::new()),
            next_fetch: Mutex::new(None),
            min_refresh,
        }
    }

    /// Fetches the set now (at init, so the first request does not pay for it).
    pub async fn prefetch(&self) -> Result<(), Rejection> {
        let mut next_fetch = self.next_fetch.lock().await;
        self.fetch(&mut next_fetch).await
    }

    async fn fetch(&self, next_fetch: &mut Option<Instant>) -> Result<(), Rejection> {
        let started = Instant::now();
        let result = self.fetch_set().await;
        let wait =
            if result.is_ok() { self.min_refresh } else { Self::RETRY_AFTER_FAILURE.min(self.min_refresh) };
        *next_fetch = Some(started + wait);
        result
    }

    async fn fetch_set(&self) -> Result<(), Rejection> {
        let unavailable = |error: reqwest::Error| Rejection::KeysUnavailable(error.without_url().to_string());
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)?;
        let keys = decode_set(&set);
        tracing::info!(keys = keys.len(), "fetched the issuer's JWKS");
        *self.keys.write().await = keys;
        Ok(())
    }
}

#[async_trait]
impl KeySource for RemoteJwks {
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, Rejection> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(Some(key.clone()));
        }
        let mut next_fetch = self.next_fetch.lock().await;
        // Another request may have refreshed the set while this one waited.
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(Some(key.clone()));
        }
        if next_fetch.is_none_or(|at| Instant::now() >= at) {
            self.fetch(&mut next_fetch).await?;
        }
        let keys = self.keys.read().await;
        if keys.is_empty() {
            // Never fetched (the last try failed, the next is not due): not the token's fault.
            return Err(Rejection::KeysUnavailable("the issuer's keys are not loaded yet".into()));
        }
        Ok(keys.get(kid).cloned())
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
}

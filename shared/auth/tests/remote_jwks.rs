//! The JWKS client against a real HTTP server on 127.0.0.1: fetched once, refreshed when a
//! token names an unknown key (rotation), and not more often than the refresh interval.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_auth::{KeySource, Rejection, RemoteJwks, Verifier, VerifierConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::RwLock;

/// Serves `keys` as a JWKS on a free port, counting requests.
async fn jwks_server(keys: Arc<RwLock<String>>, hits: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    serve_jwks_on(listener, keys, hits);
    url
}

fn serve_jwks_on(listener: TcpListener, keys: Arc<RwLock<String>>, hits: Arc<AtomicUsize>) {
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 2048];
            let _ = socket.read(&mut request).await;
            hits.fetch_add(1, Ordering::SeqCst);
            let body = keys.read().await.clone();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
}

fn token(issuer: &DevIssuer) -> String {
    let request = TokenRequest { sub: "u".into(), ttl_seconds: 60, ..Default::default() };
    issuer.token("iss", "aud", &request).unwrap()
}

#[tokio::test]
async fn keys_are_fetched_once_and_refreshed_for_a_rotated_key_at_most_once_per_interval() {
    let old = DevIssuer::generate().unwrap();
    let new = DevIssuer::generate().unwrap();
    let keys = Arc::new(RwLock::new(serde_json::to_string(old.jwks()).unwrap()));
    let hits = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(keys.clone(), hits.clone()).await;

    let jwks = Arc::new(RemoteJwks::with_client(url, reqwest::Client::new(), Duration::from_millis(300)));
    jwks.prefetch().await.unwrap();
    let config = VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 };
    let verifier = Verifier::new(config, jwks.clone());
    for _ in 0..5 {
        verifier.verify(&token(&old)).await.expect("known key");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "cached after the first fetch");

    // The issuer rotates to a new key: the first token naming it triggers one refresh.
    *keys.write().await = serde_json::to_string(new.jwks()).unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    verifier.verify(&token(&new)).await.expect("rotated key");
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    // Forged kids right after cannot make it fetch again within the interval.
    for _ in 0..10 {
        assert!(jwks.key("forged-kid").await.unwrap().is_none());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2, "rate-limited");
    assert_eq!(verifier.verify(&token(&old)).await.err(), Some(Rejection::UnknownKey), "the old key is gone");
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_a_bad_token() {
    let issuer = DevIssuer::generate().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener); // nothing listens there now
    let jwks = Arc::new(RemoteJwks::with_client(url, reqwest::Client::new(), Duration::ZERO));
    let config = VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 };
    let verifier = Verifier::new(config, jwks);
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
    let jwks = Arc::new(RemoteJwks::with_client(url, reqwest::Client::new(), RemoteJwks::MIN_REFRESH));
    assert!(matches!(jwks.prefetch().await, Err(Rejection::KeysUnavailable(_))));
    let config = VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 };
    let verifier = Verifier::new(config, jwks.clone());
    // At once: still waiting out the short backoff, so the issuer is not hammered.
    assert!(matches!(verifier.verify(&token(&issuer)).await, Err(Rejection::KeysUnavailable(_))));

    // It comes up on the same port; a second later the next request fetches and passes.
    let keys = Arc::new(RwLock::new(serde_json::to_string(issuer.jwks()).unwrap()));
    let hits = Arc::new(AtomicUsize::new(0));
    serve_jwks_on(TcpListener::bind(address).await.unwrap(), keys, hits.clone());
    tokio::time::sleep(RemoteJwks::RETRY_AFTER_FAILURE).await;
    verifier.verify(&token(&issuer)).await.expect("fetched after the backoff, well within MIN_REFRESH");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

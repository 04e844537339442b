//! Lambda wiring for the authorizer: issuer settings from the environment, the JWKS fetched
//! once at init, refreshed when it is older than its Cache-Control max-age (10 minutes by default,
//! an hour at most) or when a token names an unknown key (at most once a minute).

use std::sync::Arc;

use bookworm_auth::{RemoteJwks, Verifier, VerifierConfig};
use bookworm_http::entry::{self, Error};

/// The issuer the authorizer trusts, from the function's environment.
struct Settings {
    issuer: String,
    audience: String,
    jwks_url: String,
}

impl Settings {
    fn from_env() -> Result<Self, Error> {
        let setting = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            issuer: setting("AUTH_ISSUER")?,
            audience: setting("AUTH_AUDIENCE")?,
            jwks_url: setting("AUTH_JWKS_URL")?,
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let settings = Settings::from_env()?;
    let jwks = Arc::new(RemoteJwks::new(settings.jwks_url));
    if let Err(error) = jwks.prefetch().await {
        // Not fatal: the first request retries, and a transient outage should not crash-loop.
        tracing::warn!(%error, "could not fetch the JWKS at init");
    }
    let config = VerifierConfig {
        issuer: settings.issuer,
        audience: settings.audience,
        leeway_seconds: Verifier::DEFAULT_LEEWAY_SECONDS,
    };
    let verifier = Verifier::new(config, jwks);
    entry::serve_events("authorizer", |event| async {
        Ok::<_, Error>(authorizer::answer(&verifier, event.payload).await)
    })
    .await
}

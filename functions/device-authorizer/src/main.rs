//! Lambda wiring for the device authorizer: the same issuer settings and JWKS handling as the
//! API's authorizer (see its main.rs), and where the policy's resources live.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bookworm_auth::{RemoteJwks, Verifier, VerifierConfig};
use bookworm_http::entry::{self, Error};
use device_authorizer::IotArns;

fn setting(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let jwks = Arc::new(RemoteJwks::new(setting("AUTH_JWKS_URL")?));
    if let Err(error) = jwks.prefetch().await {
        // Not fatal: the first connection retries, and a transient outage should not crash-loop.
        tracing::warn!(%error, "could not fetch the JWKS at init");
    }
    let config = VerifierConfig {
        issuer: setting("AUTH_ISSUER")?,
        audience: setting("AUTH_AUDIENCE")?,
        leeway_seconds: Verifier::DEFAULT_LEEWAY_SECONDS,
    };
    let verifier = Verifier::new(config, jwks);
    // `arn:<partition>:iot:<region>:<account>`, set by the template.
    let arns = IotArns { prefix: setting("IOT_ARN_PREFIX")? };
    entry::serve_events("device-authorizer", |event| async {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
        Ok::<_, Error>(device_authorizer::answer(&verifier, &arns, now, event.payload).await)
    })
    .await
}

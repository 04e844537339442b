//! Lambda wiring for the authorizer: issuer settings from the environment, the JWKS fetched
//! once at init, refreshed when it is older than its Cache-Control max-age (10 minutes by default,
//! an hour at most) or when a token names an unknown key (at most once a minute).

use std::sync::Arc;

use bookworm_auth::{RemoteJwks, Verifier, VerifierConfig};
use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bookworm_metrics::init(Arc::new(bookworm_metrics::Stdout), true);
    lambda_runtime::tracing::init_default_subscriber();
    let setting = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = VerifierConfig {
        issuer: setting("AUTH_ISSUER")?,
        audience: setting("AUTH_AUDIENCE")?,
        leeway_seconds: Verifier::DEFAULT_LEEWAY_SECONDS,
    };
    let jwks = Arc::new(RemoteJwks::new(setting("AUTH_JWKS_URL")?));
    if let Err(error) = jwks.prefetch().await {
        // Not fatal: the first request retries, and a transient outage should not crash-loop.
        tracing::warn!(%error, "could not fetch the JWKS at init");
    }
    let verifier = Verifier::new(config, jwks);
    let verifier = &verifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        bookworm_metrics::invocation(
            "authorizer",
            event.context.request_id.clone(),
            event.context.xray_trace_id.clone(),
            async move {
                // One function serves both APIs; the WebSocket API's events carry a `methodArn`.
                let response = if event.payload.get("methodArn").is_some() {
                    serde_json::to_value(
                        authorizer::handle_websocket(verifier, serde_json::from_value(event.payload)?).await,
                    )?
                } else {
                    serde_json::to_value(
                        authorizer::handle(verifier, serde_json::from_value(event.payload)?).await,
                    )?
                };
                Ok::<_, Error>(response)
            },
        )
    }))
    .await
}

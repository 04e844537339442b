//! Lambda wiring for the MCP server: the catalog, reviews and shop tables and the published
//! search index, once; the token verifier with the authorizer's three settings.

use std::sync::Arc;

use bookworm_auth::{RemoteJwks, Verifier, VerifierConfig};
use bookworm_dynamodb::{DynamoCatalog, DynamoReviews, DynamoShop};
use bookworm_http::entry::{self, Error};
use bookworm_s3::S3IndexStore;
use bookworm_search::{PublishedIndex, check_every_from_env, embedder_from_env};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    entry::init();
    let setting = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let config = bookworm_aws::config_from_env()?;
    let catalog = Arc::new(DynamoCatalog::from_config(&config)?);
    // The model (the search layer's, BOOKWORM_MODEL_DIR) is required, as in the search function:
    // search_catalog ranks by meaning too, and similar_books needs it.
    let embedder = embedder_from_env()?.ok_or("BOOKWORM_MODEL_DIR is not set")?;
    let index = PublishedIndex::new(S3IndexStore::from_env(&config)?, check_every_from_env()?)
        .with_embedder(Some(embedder));
    if let Err(error) = index.warm_up().await {
        // As the search function: without an index yet, search_catalog answers "unavailable".
        tracing::warn!(%error, "no search index loaded at init");
    }
    let jwks = Arc::new(RemoteJwks::new(setting("AUTH_JWKS_URL")?));
    if let Err(error) = jwks.prefetch().await {
        // Not fatal: the first request with a token fetches again.
        tracing::warn!(%error, "could not fetch the JWKS at init");
    }
    let verifier = Verifier::new(
        VerifierConfig {
            issuer: setting("AUTH_ISSUER")?,
            audience: setting("AUTH_AUDIENCE")?,
            leeway_seconds: Verifier::DEFAULT_LEEWAY_SECONDS,
        },
        jwks,
    );
    catalog.warm_up().await;
    let stores = mcp::Stores {
        books: catalog.clone(),
        lookups: catalog,
        reviews: Arc::new(DynamoReviews::new(&config)?),
        search: Arc::new(index),
        baskets: Arc::new(DynamoShop::new(&config)?),
    };
    let server = mcp::Mcp::new(stores, Arc::new(verifier));
    entry::serve("mcp", |request| server.handle(request)).await
}

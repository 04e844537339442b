//! The stack: template routes, resolved to functions, over the configured stores.

use std::path::PathBuf;
use std::sync::Arc;

use bookworm_auth::dev_issuer::{DevIssuer, DevIssuerError};
use bookworm_auth::{StaticKeys, Verifier, VerifierConfig};
use bookworm_domain::ports::{CatalogStore, CatalogWriter};
use bookworm_dynamodb::DynamoCatalog;
use bookworm_embedded::outbox::LocalOutbox;
use bookworm_embedded::{
    EmbeddedCatalog, EmbeddedCoPurchases, EmbeddedFigures, EmbeddedReviews, EmbeddedShop, EmbeddedSupport,
    seed,
};
use bookworm_search::{LiveIndex, ObservedCatalog};

use crate::figures::BookCounter;
use crate::functions::Function;
use crate::stores::Stores;
use crate::template::{self, Route, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogBackend {
    /// The embedded store under the data folder.
    Embedded,
    /// DynamoDB (or moto, DynamoDB Local) from the AWS environment: `CATALOG_TABLE`,
    /// `AWS_ENDPOINT_URL`, `AWS_REGION` and credentials.
    Dynamodb,
}

/// How fan-out reaches the local WebSockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PushBackend {
    /// Straight into the socket.
    #[default]
    Embedded,
    /// Through the stack's own `@connections` API with the AWS SDK client, as in Lambda.
    ManagementApi,
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    pub data_dir: PathBuf,
    pub template: PathBuf,
    pub catalog: CatalogBackend,
    pub push: PushBackend,
    pub auth: AuthConfig,
    /// The model search ranks by meaning with ([`search_model`]); `None`: keywords only.
    pub search_model: Option<std::sync::Arc<bookworm_embed::Embedder>>,
}

/// The development issuer's identity: what its tokens carry and the authorizer demands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    /// Lifetime of the tokens the sign-in flow issues (`/oauth2/token`), in seconds.
    pub token_ttl: u64,
}

impl AuthConfig {
    pub const DEFAULT_ISSUER: &str = "bookworm-local";
    pub const DEFAULT_AUDIENCE: &str = "bookworm";
    /// Access and ID tokens' lifetime, unless the stack is configured otherwise.
    pub const DEFAULT_TOKEN_TTL: u64 = 3600;
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: Self::DEFAULT_ISSUER.into(),
            audience: Self::DEFAULT_AUDIENCE.into(),
            token_ttl: Self::DEFAULT_TOKEN_TTL,
        }
    }
}

pub struct Stack {
    pub routes: Vec<(Route, Function)>,
    /// The WebSocket API's route keys (`$connect`, `ping`, …).
    pub websocket_routes: Vec<String>,
    pub stores: Stores,
    pub data_dir: PathBuf,
    /// The development issuer whose key lives in the data folder.
    pub issuer: DevIssuer,
    pub auth: AuthConfig,
    /// The authorizer's verifier, trusting the development issuer's key only.
    pub verifier: Verifier,
    /// The authorizer's verdicts per `Authorization` header, for the template's cache time.
    pub verdicts: crate::verdicts::Verdicts,
    /// What the functions recorded (`/_local/metrics`), as CloudWatch gets it from their EMF lines.
    pub metrics: Arc<bookworm_metrics::Registry>,
    pub push: PushBackend,
    /// What the fan-out and email functions' SNS subscriptions deliver (their filter policies).
    pub subscriptions: Subscriptions,
    /// The HTTP API's CORS configuration, for its routes, if the template gives one.
    pub cors: Option<tower_http::cors::CorsLayer>,
}

/// The template's SNS subscriptions to shop events, as the local bus applies them.
#[derive(Debug, Clone)]
pub struct Subscriptions {
    pub fanout: template::TypeFilter,
    pub email: template::TypeFilter,
}

/// Where the development issuer keeps its private key.
pub fn issuer_key_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("issuer-key.p8")
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("template.yaml routes {method} {path} to `{function}`, which the local stack cannot run")]
    UnknownFunction { method: String, path: String, function: String },
    #[error(
        "no function named `{0}` in template.yaml (try a binary name such as catalog-books, or a logical id)"
    )]
    NoSuchFunction(String),
    #[error(transparent)]
    Store(#[from] bookworm_domain::Error),
    #[error(transparent)]
    Issuer(#[from] DevIssuerError),
}

impl Stack {
    /// Reads the template, opens (and on first start seeds) the stores.
    pub async fn open(config: &StackConfig) -> Result<Self, StackError> {
        let text = std::fs::read_to_string(&config.template)
            .map_err(|source| StackError::Read { path: config.template.clone(), source })?;
        let template = Template::parse(&text)?;
        let routes = template
            .http_routes()?
            .into_iter()
            .map(|route| match Function::from_name(&route.function) {
                Some(function) => Ok((route, function)),
                None => Err(StackError::UnknownFunction {
                    method: route.method,
                    path: route.path,
                    function: route.function,
                }),
            })
            .collect::<Result<_, _>>()?;
        // Read before any store is opened: a template the stack cannot serve stops it first.
        let subscriptions =
            Subscriptions { fanout: template.sns_filter("fanout")?, email: template.sns_filter("email")? };
        let cors = template.http_api_cors()?.as_ref().map(crate::cors::layer).transpose()?;
        let catalog = open_catalog(config.catalog, &config.data_dir).await?;
        let search = Arc::new(
            open_search_index(&config.data_dir, catalog.as_ref(), config.search_model.clone()).await?,
        );
        let issuer = DevIssuer::load_or_create(&issuer_key_path(&config.data_dir))?;
        let verifier_config = VerifierConfig {
            issuer: config.auth.issuer.clone(),
            audience: config.auth.audience.clone(),
            leeway_seconds: Verifier::DEFAULT_LEEWAY_SECONDS,
        };
        let keys = Arc::new(StaticKeys::new(issuer.jwks()));
        let verifier = Verifier::new(verifier_config.clone(), keys.clone());
        let shop_path = config.data_dir.join("shop.redb");
        let new_shop = !shop_path.exists();
        let shop = Arc::new(EmbeddedShop::open(&shop_path)?);
        // The figures count every book the catalog writes, as the stats function does from
        // the catalog's stream; a catalog they never counted is counted now.
        let figures = Arc::new(EmbeddedFigures::open(shop.clone())?);
        let co_purchases = Arc::new(EmbeddedCoPurchases::open(shop.clone())?);
        let counter = Arc::new(BookCounter::new(figures.clone(), co_purchases.clone(), shop.clone()));
        counter.count_once(catalog.as_ref()).await?;
        let catalog: Arc<dyn CatalogStore> =
            Arc::new(ObservedCatalog::new(catalog, vec![counter, search.clone()]));
        if new_shop {
            // What the sample events under events/ refer to besides the catalog.
            shop.seed_order(&seed::sample_order()?).await?;
        }
        let reviews = Arc::new(EmbeddedReviews::open(shop.clone(), catalog.clone())?);
        let support = Arc::new(EmbeddedSupport::open(shop.clone())?);
        if new_shop {
            let (conversation, first) = seed::sample_conversation()?;
            bookworm_domain::ports::SupportStore::open(support.as_ref(), &conversation, &first).await?;
        }
        let mcp = mcp::Mcp::new(
            mcp::Stores {
                books: catalog.clone(),
                lookups: catalog.clone(),
                reviews: reviews.clone(),
                search: search.clone(),
                baskets: shop.clone(),
            },
            Arc::new(Verifier::new(verifier_config, keys)),
        );
        Ok(Self {
            routes,
            websocket_routes: template.websocket_routes(),
            stores: Stores {
                catalog,
                search,
                shop,
                outbox: Arc::new(LocalOutbox::new(&config.data_dir.join("outbox"), "orders@bookworm.local")?),
                push: Arc::new(bookworm_embedded::push_outbox::LocalPush::new(
                    &config.data_dir.join("push-outbox"),
                )?),
                reviews,
                review_policy: reviews::Policy::from_env()?,
                support,
                figures,
                co_purchases,
                reminders: Default::default(),
                away_delay: bookworm_domain::support::away_delay(
                    std::env::var("SUPPORT_AWAY_DELAY_SECONDS").ok().as_deref(),
                )?,
                sockets: Default::default(),
                mcp,
            },
            data_dir: config.data_dir.clone(),
            issuer,
            auth: config.auth.clone(),
            verifier,
            verdicts: crate::verdicts::Verdicts::new(std::time::Duration::from_secs(
                template.authorizer_ttl(),
            )),
            metrics: Default::default(),
            push: config.push,
            subscriptions,
            cors,
        })
    }

    /// Runs `work` with the invocations it records going to this stack's registry.
    pub async fn record<F: Future>(&self, work: F) -> F::Output {
        bookworm_metrics::with_sink(self.metrics.clone(), work).await
    }

    /// A function by binary name (`catalog-books`) or template logical id (`CatalogBooksFunction`).
    pub fn function(&self, name: &str) -> Result<Function, StackError> {
        self.routes
            .iter()
            .find(|(route, _)| route.function == name || route.logical_id == name)
            .map(|(_, function)| *function)
            .ok_or_else(|| StackError::NoSuchFunction(name.to_owned()))
    }
}

/// The configured catalog store, as the functions' writes reach it before the index.
pub async fn open_catalog(
    backend: CatalogBackend,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn CatalogStore>, StackError> {
    Ok(match backend {
        CatalogBackend::Embedded => Arc::new(open_embedded_catalog(data_dir).await?),
        CatalogBackend::Dynamodb => Arc::new(DynamoCatalog::from_env()?),
    })
}

/// Where the local search index lives.
pub fn search_index_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("search-index")
}

/// The search index of `data_dir`, built from `catalog` when empty (a first start, or a data
/// folder from before search). Writes elsewhere (another process, a shared DynamoDB table)
/// do not reach it: `bookworm-local reindex` rebuilds it.
pub async fn open_search_index(
    data_dir: &std::path::Path,
    catalog: &dyn CatalogStore,
    model: Option<std::sync::Arc<bookworm_embed::Embedder>>,
) -> Result<LiveIndex, StackError> {
    let index = LiveIndex::open(&search_index_path(data_dir), model)?;
    if index.books() == 0 {
        let books = index.rebuild(catalog).await?;
        if books > 0 {
            tracing::info!(books, "built the search index");
        }
    }
    Ok(index)
}

/// The model `BOOKWORM_MODEL_DIR` names (`scripts/dev` and `scripts/test` set it). Without it
/// the stack searches by keywords only: `mode=semantic` and similar books answer 503.
pub fn search_model() -> Result<Option<std::sync::Arc<bookworm_embed::Embedder>>, StackError> {
    let model = bookworm_search::embedder_from_env()?;
    if model.is_none() {
        tracing::warn!("BOOKWORM_MODEL_DIR is not set: search ranks by keywords only");
    }
    Ok(model)
}

/// The embedded catalog in `data_dir`, seeded with the repository's catalog when new.
pub async fn open_embedded_catalog(data_dir: &std::path::Path) -> Result<EmbeddedCatalog, StackError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|source| StackError::Read { path: data_dir.to_owned(), source })?;
    let catalog = EmbeddedCatalog::open(&data_dir.join("catalog.redb"))?;
    if catalog.is_empty() {
        let data = seed::catalog()?;
        catalog.import(&data).await?;
        tracing::info!(books = data.books.len(), authors = data.authors.len(), "seeded the catalog");
    }
    Ok(catalog)
}

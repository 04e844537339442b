//! `bookworm-local`: the local stack's command line. See README.md.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_domain::ports::{CatalogStore, CatalogWriter};
use bookworm_dynamodb::DynamoCatalog;
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_local::dev_routes::{DevRoutes, EXPOSE_FLAG};
use bookworm_local::stack::{StackError, issuer_key_path, open_catalog, search_index_path, search_model};
use bookworm_local::{
    AuthConfig, CatalogBackend, PushBackend, Stack, StackConfig, invoke, mqtt, running, server,
};
use bookworm_search::{LiveIndex, ObservedCatalog};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bookworm-local",
    version,
    about = "BookWorm's local stack: the whole API on one port, no AWS needed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every HTTP route of template.yaml (seeding the catalog, and the sample events'
    /// order, on first start). While it runs, DATA_DIR/stack.json says where.
    ///
    /// Besides the API it serves development-only routes, which have no authentication:
    /// /_local/outbox (the mail and texts the stack sent), /_local/invoke/{function} (what
    /// `invoke` on this data folder uses), /@connections/{id} (the WebSocket management API:
    /// post to, inspect or close any socket) and /oauth2/* (the development issuer's sign-in). They answer only requests whose
    /// Host is localhost, 127.0.0.1, [::1] or the --host address (any port), and none sent by a
    /// web page of another origin: a guard against DNS rebinding and cross-site requests. On a
    /// --host that is not loopback they are off (404) unless --expose-dev-routes.
    Serve {
        #[command(flatten)]
        stack: StackArgs,
        /// Port to listen on.
        #[arg(long, env = "PORT", default_value_t = 3000)]
        port: u16,
        /// Address to listen on. The default keeps the stack private to this machine; any other
        /// address serves the API to the network, without /_local/* and /@connections/* unless
        /// --expose-dev-routes.
        #[arg(long, env = "HOST", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
        host: IpAddr,
        /// Serve /_local/* and /@connections/* on a --host that is not loopback too, with a
        /// warning on stderr: anyone who can reach the port can then read the sent mail and post
        /// to or close any merchant's WebSocket. On loopback they are always served.
        #[arg(long)]
        expose_dev_routes: bool,
        /// Port of the MQTT broker for in-store devices (on the --host address; 0: any free
        /// port, printed in the banner). Without it 1883, or no broker if 1883 is taken.
        #[arg(long, env = "MQTT_PORT")]
        mqtt_port: Option<u16>,
    },
    /// Run one function's handler on an API Gateway event file and print its response. When a
    /// stack serves the data folder (it holds its files), the event is sent to that stack.
    Invoke {
        #[command(flatten)]
        stack: StackArgs,
        /// Binary name (catalog-books) or template logical id (CatalogBooksFunction).
        function: String,
        /// An API Gateway HTTP API (payload 2.0) event, e.g. events/catalog-books/list-books.json.
        #[arg(long, short)]
        event: String,
    },
    /// Connect to the WebSocket API (ws://, e.g. the local stack's /ws) and print each message it
    /// sends, a line each: a shop's live events, without websocat or wscat.
    Listen {
        /// The URL, e.g. "ws://127.0.0.1:3000/ws?shop_id=SHOP&token=TOKEN" (quoted: it has `&`).
        url: String,
        /// A message to send once connected, e.g. '{"action":"ping"}'. Repeat for several.
        #[arg(long)]
        send: Vec<String>,
        /// Stop after this many messages (default: until the server closes, or Ctrl-C).
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds; an error if --count messages have not come by then.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Load the seed catalog, or a synthetic one, into the configured catalog store.
    /// Writes are upserts by id, so running it again is harmless.
    Seed {
        /// Where the catalog goes (the embedded data folder, or DynamoDB from the environment).
        #[arg(long, env = "CATALOG_BACKEND", value_enum, default_value_t = CatalogBackend::Embedded)]
        catalog: CatalogBackend,
        /// Folder of the embedded store.
        #[arg(long, env = "DATA_DIR", default_value = ".local-data")]
        data_dir: PathBuf,
        /// Generate this many synthetic books (for load tests) instead of the real seed.
        #[arg(long)]
        synthetic: Option<usize>,
    },
    /// Rebuild the search index of the data folder from the configured catalog store: after
    /// writes that did not go through this stack (another process, a shared DynamoDB table).
    /// Stop the stack first: the index has one writer.
    Reindex {
        #[arg(long, env = "CATALOG_BACKEND", value_enum, default_value_t = CatalogBackend::Embedded)]
        catalog: CatalogBackend,
        #[arg(long, env = "DATA_DIR", default_value = ".local-data")]
        data_dir: PathBuf,
    },
    /// Create every table in the DynamoDB of the environment (AWS_ENDPOINT_URL, e.g. moto), named
    /// by the variables template.yaml's Globals give the functions (CATALOG_TABLE … FIGURES_TABLE),
    /// as template.yaml defines them. Fails if one already exists.
    CreateTables,
    /// Print an access token signed by the development issuer of the data folder, and nothing else.
    Token {
        /// Folder whose issuer key signs (the same one `serve` uses; created if missing).
        #[arg(long, env = "DATA_DIR", default_value = ".local-data")]
        data_dir: PathBuf,
        #[command(flatten)]
        auth: AuthArgs,
        /// The user id (`sub`).
        #[arg(long, default_value = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f")]
        sub: String,
        /// A role: customer, merchant, support or admin; or device (an in-store device: one
        /// --shop, and --sub as its MQTT client id). Repeat for several.
        #[arg(long = "role", value_parser = ["customer", "merchant", "support", "admin", "device"])]
        roles: Vec<String>,
        /// A shop the merchant works for (UUID). Repeat for several.
        #[arg(long = "shop")]
        shops: Vec<uuid::Uuid>,
        #[arg(long)]
        email: Option<String>,
        /// Mark the email and phone number unverified: order mail and texts then skip them.
        #[arg(long)]
        unverified: bool,
        /// `preferred_username`, e.g. a phone number.
        #[arg(long)]
        username: Option<String>,
        /// The `name` claim: who apps and emails greet.
        #[arg(long)]
        name: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        /// Print this many tokens, a line each, for as many users (load tests): the first for
        /// `--sub`, the others for users whose ids derive from it.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        count: u32,
    },
}

/// Who the development issuer is: what its tokens carry and the authorizer demands.
#[derive(Args)]
struct AuthArgs {
    /// The issuer (`iss`) of local tokens.
    #[arg(long, env = "AUTH_ISSUER", default_value = AuthConfig::DEFAULT_ISSUER)]
    issuer: String,
    /// The client id (`aud`) of local tokens.
    #[arg(long, env = "AUTH_AUDIENCE", default_value = AuthConfig::DEFAULT_AUDIENCE)]
    audience: String,
    /// Lifetime in seconds of the tokens the sign-in flow (/oauth2/token) issues.
    #[arg(long, env = "TOKEN_TTL", default_value_t = bookworm_local::stack::AuthConfig::DEFAULT_TOKEN_TTL)]
    token_ttl: u64,
}

impl AuthArgs {
    fn config(self) -> AuthConfig {
        AuthConfig { issuer: self.issuer, audience: self.audience, token_ttl: self.token_ttl }
    }
}

#[derive(Args)]
struct StackArgs {
    /// Folder for the local stack's data (created if missing).
    #[arg(long, env = "DATA_DIR", default_value = ".local-data")]
    data_dir: PathBuf,
    /// The SAM template whose routes are served.
    #[arg(long, env = "TEMPLATE", default_value = "template.yaml")]
    template: PathBuf,
    /// Where the catalog lives.
    #[arg(long, env = "CATALOG_BACKEND", value_enum, default_value_t = CatalogBackend::Embedded)]
    catalog: CatalogBackend,
    #[command(flatten)]
    auth: AuthArgs,
    /// How fan-out reaches the WebSockets.
    #[arg(long, env = "PUSH_BACKEND", value_enum, default_value_t = PushBackend::Embedded)]
    push: PushBackend,
}

impl StackArgs {
    fn config(self) -> Result<StackConfig, StackError> {
        Ok(StackConfig {
            data_dir: self.data_dir,
            template: self.template,
            catalog: self.catalog,
            auth: self.auth.config(),
            push: self.push,
            search_model: search_model()?,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr: stdout carries what the commands print (routes, invoke responses).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bookworm-local: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The devices' MQTT broker: on `port`, or on 1883 if it is free (no broker if not: stacks
/// started side by side, as the tests do, need not each have one).
async fn start_broker(
    stack: &Arc<Stack>,
    host: IpAddr,
    port: Option<u16>,
) -> Result<Option<SocketAddr>, Box<dyn std::error::Error>> {
    let address = SocketAddr::new(host, port.unwrap_or(mqtt::DEFAULT_PORT));
    match mqtt::start(stack.clone(), address).await {
        Ok(broker) => Ok(Some(broker.address)),
        Err(error) if port.is_none() => {
            eprintln!("bookworm-local: no MQTT broker: {address}: {error} (--mqtt-port picks another)");
            Ok(None)
        }
        Err(error) => Err(format!("the MQTT broker cannot listen on {address}: {error}").into()),
    }
}

fn mqtt_banner(broker: Option<SocketAddr>) -> String {
    match broker {
        Some(address) => {
            format!(
                "  {:<6} {:<24} -> device-actions (mqtt://{address})\n",
                "MQTT", "shops/{shop_id}/actions"
            )
        }
        None => String::new(),
    }
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve { stack, port, host, expose_dev_routes, mqtt_port } => {
            let config = stack.config()?;
            let dev_routes = DevRoutes::new(host, expose_dev_routes);
            // The stack's own fan-out would post to a route that answers 404: refuse now
            // rather than fail on every event.
            if config.push == PushBackend::ManagementApi && !dev_routes.served() {
                return Err(format!(
                    "--push management-api posts through /@connections, which is off on {host} (not a \
                     loopback address); add {EXPOSE_FLAG} to serve it there, or use --push embedded"
                )
                .into());
            }
            let stack = Arc::new(Stack::open(&config).await?);
            let shutdown = shutdown_signal()?;
            let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port)).await?;
            let address = listener.local_addr()?;
            // For `invoke` on this data folder, whose files the stack now holds; removed on return.
            let _recorded = running::record(&config.data_dir, running::reachable(address))?;
            // Before the banner, so that whoever reads that the stack is up has been told.
            if let Some(notice) = dev_routes.notice(address) {
                eprint!("{notice}");
            }
            let dev_route = |what: &str| {
                if dev_routes.served() {
                    format!("local stack ({what})")
                } else {
                    format!("off on {host}: not loopback ({EXPOSE_FLAG})")
                }
            };
            let mut banner =
                format!("BookWorm local stack on http://{address} (data: {})\n", config.data_dir.display());
            for (route, function) in &stack.routes {
                banner += &format!("  {:<6} {:<24} -> {}\n", route.method, route.path, function.name());
            }
            banner += &mqtt_banner(start_broker(&stack, host, mqtt_port).await?);
            let websocket_routes = stack.websocket_routes.join(", ");
            banner +=
                &format!("  {:<6} {:<24} -> websocket ({websocket_routes})\n", "WS", "/ws?shop_id=&token=");
            banner +=
                &format!("  {:<6} {:<24} -> {}\n", "POST", "/@connections/{id}", dev_route("management API"));
            banner += &format!("  {:<6} {:<24} -> {}\n", "GET", "/_local/outbox", dev_route("sent mail"));
            banner += &format!("  {:<6} {:<24} -> {}\n", "GET", "/_local/push", dev_route("sent pushes"));
            banner += &format!("  {:<6} {:<24} -> {}\n", "POST", "/_local/invoke/{fn}", dev_route("invoke"));
            banner += &format!("  {:<6} {:<24} -> local stack\n", "GET", "/health");
            // Whoever reads the banner may stop reading (`| head -1`); a closed stdout is no failure.
            let mut stdout = std::io::stdout();
            let _ = stdout.write_all(banner.as_bytes()).and_then(|()| stdout.flush());
            server::serve_with(listener, stack, dev_routes, bookworm_local::Limits::default(), shutdown)
                .await?;
            let _ = writeln!(std::io::stdout(), "stopped");
            Ok(())
        }
        Command::Invoke { stack, function, event } => {
            let config = stack.config()?;
            if let Some(running) = running::find(&config.data_dir).await {
                eprintln!(
                    "bookworm-local: the stack at http://{} holds {}; the event runs there",
                    running.address,
                    config.data_dir.display()
                );
                let response = running.invoke(&function, &invoke::read_event(&event)?).await?;
                println!("{}", serde_json::to_string_pretty(&response)?);
                return Ok(());
            }
            let stack = Stack::open(&config).await?;
            // What the function recorded goes to stderr as the EMF lines Lambda would log.
            let sink: std::sync::Arc<dyn bookworm_metrics::Sink> =
                std::sync::Arc::new(bookworm_metrics::Stderr);
            let invoked = bookworm_metrics::scope(&function, None, invoke::invoke(&stack, &function, &event));
            let response = bookworm_metrics::with_sink(sink, invoked).await?;
            println!("{}", serde_json::to_string_pretty(&response)?);
            Ok(())
        }
        Command::Token {
            data_dir,
            auth,
            sub,
            roles,
            shops,
            email,
            unverified,
            username,
            name,
            ttl,
            count,
        } => {
            let mut request = TokenRequest {
                sub: sub.clone(),
                roles,
                shop_ids: shops.iter().map(ToString::to_string).collect(),
                email,
                username,
                name,
                ttl_seconds: ttl,
                unverified,
            };
            let issuer = DevIssuer::load_or_create(&issuer_key_path(&data_dir))?;
            let auth = auth.config();
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            for user in 0..count {
                if user > 0 {
                    let name = format!("{sub}/{user}");
                    request.sub = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string();
                }
                writeln!(stdout, "{}", issuer.token(&auth.issuer, &auth.audience, &request)?)?;
            }
            stdout.flush()?;
            Ok(())
        }
        Command::Listen { url, send, count, timeout } => {
            let timeout = timeout.map(std::time::Duration::from_secs);
            Ok(bookworm_local::listen::Listen { url, send, count, timeout }.run().await?)
        }
        Command::CreateTables => {
            bookworm_dynamodb::schema::create_tables_from_env().await?;
            println!("created the catalog and shop tables");
            Ok(())
        }
        Command::Reindex { catalog, data_dir } => {
            let catalog = open_catalog(catalog, &data_dir).await?;
            let started = std::time::Instant::now();
            let books = LiveIndex::open(&search_index_path(&data_dir), search_model()?)?
                .rebuild(catalog.as_ref())
                .await?;
            println!("indexed {books} books in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Seed { catalog, data_dir, synthetic } => {
            let data = match synthetic {
                Some(books) => seed::synthetic(books)?,
                None => seed::catalog()?,
            };
            match catalog {
                CatalogBackend::Embedded => {
                    std::fs::create_dir_all(&data_dir)?;
                    let catalog: Arc<dyn CatalogStore> =
                        Arc::new(EmbeddedCatalog::open(&data_dir.join("catalog.redb"))?);
                    let index = Arc::new(LiveIndex::open(&search_index_path(&data_dir), search_model()?)?);
                    // Through the index, so what was seeded is searchable at the next start.
                    ObservedCatalog::new(catalog, vec![index]).import(&data).await?;
                }
                CatalogBackend::Dynamodb => DynamoCatalog::from_env()?.import(&data).await?,
            }
            println!("seeded {} books, {} authors", data.books.len(), data.authors.len());
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish what is in flight, exit. The handlers are
/// installed now, before the banner tells anyone the stack is up: a signal sent right after it
/// must not find the default handler (which would kill the process).
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}

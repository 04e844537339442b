//! Test harness: a real local stack on a free 127.0.0.1 port with its own data folder,
//! stopped when the handle is dropped.

use std::path::PathBuf;
use std::sync::Arc;

use bookworm_auth::dev_issuer::TokenRequest;
use bookworm_local::dev_routes::DevRoutes;
use bookworm_local::{AuthConfig, CatalogBackend, Limits, PushBackend, Stack, StackConfig, server};
use reqwest::{Client, Response};
use serde_json::Value;
use tokio::sync::oneshot;

pub struct LocalStack {
    pub base: String,
    pub client: Client,
    pub stack: Arc<Stack>,
    _data: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

impl LocalStack {
    /// Starts the stack on the repository's template.yaml with a fresh, seeded data folder.
    pub async fn start() -> Self {
        Self::start_with(AuthConfig::default()).await
    }

    /// The same, with the development issuer speaking as `auth` (another issuer or client id).
    pub async fn start_with(auth: AuthConfig) -> Self {
        Self::start_configured(auth, PushBackend::Embedded).await
    }

    /// The same, with fan-out pushing through `push`.
    pub async fn start_configured(auth: AuthConfig, push: PushBackend) -> Self {
        Self::launch(auth, push, Limits::default()).await
    }

    /// The same, with `limits` on its connections.
    pub async fn start_limited(limits: Limits) -> Self {
        Self::launch(AuthConfig::default(), PushBackend::Embedded, limits).await
    }

    async fn launch(auth: AuthConfig, push: PushBackend, limits: Limits) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let config = StackConfig {
            data_dir: data.path().to_owned(),
            template: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml"),
            catalog: CatalogBackend::Embedded,
            auth,
            push,
            // Keywords only: embedding the seed catalog for every stack would cost seconds per
            // test; search by meaning is tested in bookworm-search and the search function.
            search_model: None,
        };
        let stack = Arc::new(Stack::open(&config).await.expect("open the local stack"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let dev_routes = DevRoutes::new(std::net::Ipv4Addr::LOCALHOST.into(), false);
        tokio::spawn(server::serve_with(listener, stack.clone(), dev_routes, limits, async {
            let _ = stopped.await;
        }));
        Self { base, client: Client::new(), stack, _data: data, _stop: stop }
    }

    /// Starts the stack's MQTT broker for devices on a free 127.0.0.1 port; returns the port.
    pub async fn start_broker(&self) -> u16 {
        let address = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0));
        let broker =
            bookworm_local::mqtt::start(self.stack.clone(), address).await.expect("start the broker");
        broker.address.port()
    }

    /// A token from the stack's development issuer with these roles (and shops).
    pub fn token(&self, roles: &[&str], shops: &[&str]) -> String {
        self.token_as(&format!("user-{}", roles.join("-")), roles, shops)
    }

    /// A token that expires in `ttl_seconds`.
    pub fn token_for(&self, roles: &[&str], shops: &[&str], ttl_seconds: u64) -> String {
        self.mint(&format!("user-{}", roles.join("-")), roles, shops, ttl_seconds)
    }

    /// A token for the user `sub`.
    pub fn token_as(&self, sub: &str, roles: &[&str], shops: &[&str]) -> String {
        self.mint(sub, roles, shops, 600)
    }

    /// A token for the user `sub` that expires in `ttl_seconds`.
    pub fn mint(&self, sub: &str, roles: &[&str], shops: &[&str], ttl_seconds: u64) -> String {
        let request = TokenRequest {
            sub: sub.to_owned(),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            shop_ids: shops.iter().map(|shop| (*shop).to_owned()).collect(),
            email: Some("reader@example.com".into()),
            username: None,
            name: Some(format!("Reader {}", roles.join(" "))),
            ttl_seconds,
            unverified: false,
        };
        self.stack
            .issuer
            .token(&self.stack.auth.issuer, &self.stack.auth.audience, &request)
            .expect("mint a token")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.base)).send().await.expect("request")
    }

    /// `method path` with `token` and a JSON `body`, if any: the status and the JSON answer
    /// (`null` when there is none).
    pub async fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = method.parse().expect("an HTTP method");
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Checks out the caller's basket at `shop` with an idempotency `key`, expecting 201;
    /// returns the order.
    pub async fn checkout(&self, token: &str, shop: &str, key: &str) -> Value {
        let response = self
            .client
            .post(self.url(&format!("/shops/{shop}/checkout")))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "checkout");
        response.json().await.expect("the order")
    }

    /// GET, expecting `status`; returns the JSON body.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        response.json().await.expect("a JSON body")
    }
}

/// Checks a message a merchant's socket received against the AsyncAPI document's message for
/// its `type` (a CloudEvent type, or `pong`), and panics naming every violation.
pub fn assert_conforms_to_asyncapi(message: &Value) {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static VALIDATORS: OnceLock<HashMap<String, jsonschema::Validator>> = OnceLock::new();
    let validators = VALIDATORS.get_or_init(|| {
        let document = bookworm_apidoc::deployed_asyncapi();
        let messages = document["components"]["messages"].as_object().cloned().unwrap_or_default();
        messages
            .keys()
            .map(|name| {
                let mut root = serde_json::json!({ "$ref": format!("#/components/messages/{name}/payload") });
                root["components"] = document["components"].clone();
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft7)
                    .should_validate_formats(true)
                    .build(&root)
                    .expect("the AsyncAPI payload schemas compile");
                (name.clone(), validator)
            })
            .collect()
    });
    // API Gateway's refusal of an unknown action is the one message without a `type`.
    let kind =
        message["type"].as_str().unwrap_or(if message.get("message").is_some() { "refused" } else { "" });
    let validator = validators.get(kind).unwrap_or_else(|| panic!("no AsyncAPI message for {message}"));
    let failures: Vec<String> = validator.iter_errors(message).map(|error| error.to_string()).collect();
    assert!(failures.is_empty(), "{message} breaks the AsyncAPI contract: {failures:?}");
}

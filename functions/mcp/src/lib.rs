//! The catalog as tools for AI agents: a Model Context Protocol server at `/mcp`, Streamable
//! HTTP in stateless mode (every POST is a whole exchange; no sessions, so any Lambda instance
//! answers any request; `GET` and `DELETE` answer 405).
//!
//! - `lib.rs`: the HTTP edge: who the caller is, then the SDK's transport.
//! - [`caller`]: the optional bearer token, verified as the authorizer verifies it.
//! - [`tools`]: the tools, their input schemas, and how each runs on the functions' use cases.
//! - [`server`]: the MCP handler the SDK calls (server info, `tools/list`, `tools/call`).
//!
//! `/mcp` has no authorizer in front (API Gateway would refuse a request without a token, and
//! the public tools need none), so the function verifies a token itself when one comes.

pub mod caller;
pub mod server;
pub mod tools;

use std::sync::Arc;

use bookworm_auth::Verifier;
use bookworm_domain::ports::{BasketStore, BookReader, CatalogSearch, LookupReader, ReviewStore};
use bookworm_http::access::Access;
use bookworm_http::{Routes, problem_response, request_id, route};
use http_body_util::BodyExt;
use lambda_http::{Body, Request, Response};
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::tower::StreamableHttpService;

use crate::server::Catalog;

/// The transport tells the methods apart itself; the routes say which reach it.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Transport,
}

/// Public: a token is optional, and verified here when given (see [`caller`]).
pub const ROUTES: Routes<Op> = Routes::new(&[
    route("POST /mcp", Access::Public, Op::Transport),
    route("GET /mcp", Access::Public, Op::Transport),
    route("DELETE /mcp", Access::Public, Op::Transport),
]);

/// The stores the tools read and (baskets only) write. `Arc`s: the SDK runs each request's
/// handler on a task of its own, which must own what it uses.
#[derive(Clone)]
pub struct Stores {
    pub books: Arc<dyn BookReader>,
    pub lookups: Arc<dyn LookupReader>,
    /// Reviews, and the ratings `get_book` shows.
    pub reviews: Arc<dyn ReviewStore>,
    pub search: Arc<dyn CatalogSearch>,
    pub baskets: Arc<dyn BasketStore>,
}

/// The MCP endpoint: the SDK's stateless transport over the tools, and the token verifier.
pub struct Mcp {
    service: StreamableHttpService<Catalog, NeverSessionManager>,
    verifier: Arc<Verifier>,
}

impl Mcp {
    pub fn new(stores: Stores, verifier: Arc<Verifier>) -> Self {
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            // One JSON answer per POST: nothing here streams, and Lambda returns whole bodies.
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .with_sse_retry(None)
            // The Host check guards servers on a developer's machine against DNS rebinding. This
            // one is reached through API Gateway's own domains (or the local stack's address),
            // and authority comes from a bearer token, never from cookies a browser would send.
            .disable_allowed_hosts();
        let catalog = Catalog::new(stores);
        let service = StreamableHttpService::new(
            move || Ok(catalog.clone()),
            Arc::new(NeverSessionManager::default()),
            config,
        );
        Self { service, verifier }
    }

    /// Answers one HTTP request to `/mcp`. A token that does not verify is refused with 401
    /// problem+json before any tool runs; no token makes an anonymous caller.
    pub async fn handle(&self, mut request: Request) -> Response<Body> {
        let identified = match ROUTES.resolve(&request) {
            Ok(_) => caller::identify(&self.verifier, request.headers()).await,
            Err(error) => Err(error),
        };
        let caller = match identified {
            Ok(caller) => caller,
            Err(error) => return problem_response(&error, request_id(&request).as_deref()),
        };
        request.extensions_mut().insert(caller);
        let response = self.service.handle(request).await;
        let (parts, body) = response.into_parts();
        // The body is whole once the handler has answered: the error is `Infallible`.
        let bytes = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
        let body = match String::from_utf8(bytes.to_vec()) {
            Ok(text) if text.is_empty() => Body::Empty,
            Ok(text) => Body::Text(text),
            Err(_) => Body::Binary(bytes.to_vec()),
        };
        Response::from_parts(parts, body)
    }
}

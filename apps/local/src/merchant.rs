//! The merchant dashboard's static files at `/merchant/`, compiled into the binary, and its
//! `config.json`: this stack's API and WebSocket URLs and its development issuer's endpoints.
//! Deployed elsewhere, the same three files are served with a config.json naming the real
//! API, WebSocket API and identity provider (README, "Merchant dashboard").

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::stack::Stack;

const INDEX: &str = include_str!("../merchant/index.html");
const SCRIPT: &str = include_str!("../merchant/app.js");
const STYLE: &str = include_str!("../merchant/style.css");
/// Scripts, styles and connections from this origin only (`'self'` covers its WebSocket).
const POLICY: &str = "default-src 'self'; img-src 'self' data:; \
                      frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn routes(stack: Arc<Stack>) -> Router {
    Router::new()
        .route("/merchant", get(|| async { Redirect::permanent("/merchant/") }))
        .route("/merchant/", get(|| async { file("text/html; charset=utf-8", INDEX) }))
        .route("/merchant/app.js", get(|| async { file("text/javascript; charset=utf-8", SCRIPT) }))
        .route("/merchant/style.css", get(|| async { file("text/css; charset=utf-8", STYLE) }))
        .route("/merchant/config.json", get(config).with_state(stack))
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The page's settings, for the origin the browser reached this stack at.
async fn config(State(stack): State<Arc<Stack>>, request: Request) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:3000");
    let body = serde_json::json!({
        "api_url": format!("http://{host}"),
        "websocket_url": format!("ws://{host}/ws"),
        "authorization_endpoint": format!("http://{host}/oauth2/authorize"),
        "token_endpoint": format!("http://{host}/oauth2/token"),
        "client_id": stack.auth.audience,
        "scope": "openid",
    });
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

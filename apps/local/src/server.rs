//! The HTTP side of the local stack, emulating API Gateway's HTTP API: each request becomes
//! the same payload-2.0 event API Gateway sends, converted by lambda_http exactly as in Lambda.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, Path, Request as AxumRequest, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, MethodRouter, get};
use base64::Engine;
use bookworm_domain::FieldError;
use bookworm_http::problem_response;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::LambdaRequest;

use crate::answers::{drained, problem, to_axum};
use crate::connections::Limits;
use crate::dev_routes::{self, DevRoutes};
use crate::functions::Function;
use crate::sockets::Sockets;
use crate::stack::Stack;

/// Lambda's own limit on a synchronous request payload.
const MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// Every template route (with the template's CORS), plus `GET /health`, the API contracts
/// (`/openapi.json`, `/asyncapi.json`), the development issuer's keys and the outbox
/// (unguarded here: [`app`] puts the guard in front of it).
pub fn router(stack: Arc<Stack>) -> Router {
    let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
    for (route, function) in &stack.routes {
        let Ok(method) = route.method.parse::<Method>() else {
            continue;
        };
        let Ok(filter) = MethodFilter::try_from(method) else {
            continue;
        };
        let (stack, function, route_key) =
            (stack.clone(), *function, format!("{} {}", route.method, route.path));
        let guarded = route.authorizer.is_some();
        let handler = move |parameters: Result<Path<HashMap<String, String>>, PathRejection>,
                            ConnectInfo(peer): ConnectInfo<SocketAddr>,
                            request: AxumRequest| {
            let (stack, route_key) = (stack.clone(), route_key.clone());
            let target = Target { function, route_key, guarded };
            async move {
                match parameters {
                    Ok(Path(parameters)) => invoke_route(&stack, &target, parameters, peer, request).await,
                    Err(rejection) => drained(request.into_body(), path_refusal(rejection)).await,
                }
            }
        };
        let path = axum_path(&route.path);
        let methods = by_path.remove(&path).unwrap_or_default();
        by_path.insert(path, methods.on(filter, handler));
    }
    let mut api = Router::new();
    for (path, methods) in by_path {
        api = api.route(&path, methods.fallback(method_not_allowed));
    }
    if let Some(cors) = stack.cors.clone() {
        api = api.layer(cors);
    }
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/asyncapi.json", get(asyncapi))
        .route("/_local/outbox", get(outbox).with_state(stack.clone()))
        .route("/_local/push", get(push_outbox).with_state(stack.clone()))
        .route("/_local/metrics", get(metrics).with_state(stack.clone()))
        .route("/_local/invoke/{function}", axum::routing::post(invoke_posted).with_state(stack.clone()))
        .route("/.well-known/jwks.json", get(jwks).with_state(stack.clone()))
        .route("/.well-known/openid-configuration", get(openid_configuration).with_state(stack.clone()))
        .merge(crate::oidc::routes(stack.clone()))
        .merge(api)
        .fallback(not_found)
}

/// A path parameter axum could not decode (`/books/%ff%fe`): a 400 naming it, as every other
/// invalid input, rather than axum's plain-text rejection.
fn path_refusal(rejection: PathRejection) -> AxumResponse {
    use axum::extract::path::ErrorKind;
    let error = match &rejection {
        PathRejection::FailedToDeserializePathParams(failed) => match failed.kind() {
            ErrorKind::InvalidUtf8InPathParam { key } => {
                FieldError::new(key, "must be percent-encoded UTF-8")
            }
            _ => FieldError::new("path", failed.body_text()),
        },
        _ => FieldError::new("path", rejection.body_text()),
    };
    to_axum(problem_response(&bookworm_domain::Error::Invalid(vec![error]), None))
}

/// API Gateway's greedy `{name+}` is axum's `{*name}`; plain `{name}` is the same in both.
fn axum_path(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            Some(name) => format!("{{*{name}}}"),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What a template route runs: its function, its key, and whether the authorizer goes first.
struct Target {
    function: Function,
    route_key: String,
    guarded: bool,
}

async fn invoke_route(
    stack: &Stack,
    target: &Target,
    path_parameters: HashMap<String, String>,
    peer: SocketAddr,
    request: AxumRequest,
) -> AxumResponse {
    let route_key = target.route_key.as_str();
    let (parts, body) = request.into_parts();
    // As API Gateway: the authorizer runs first; without the identity source (the
    // Authorization header) the request is refused before it.
    let mut authorizer = None;
    if target.guarded {
        let Some(identity) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            let refusal = to_axum(problem_response(&bookworm_domain::Error::Unauthenticated, None));
            return drained(body, refusal).await;
        };
        let verdict = match stack.verdicts.get(identity) {
            Some(verdict) => verdict,
            None => {
                let verify = authorizer::verdict(&stack.verifier, &parts.headers);
                let verdict = stack.record(bookworm_metrics::scope("authorizer", None, verify)).await;
                stack.verdicts.put(identity, &verdict);
                verdict
            }
        };
        let mut described = ApiGatewayRequestAuthorizer::default();
        described.fields = serde_json::from_value(verdict).unwrap_or_default();
        authorizer = Some(described);
    }
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        // The rest of the body is still on its way: this connection cannot carry another request.
        let mut refusal = problem(StatusCode::PAYLOAD_TOO_LARGE, "The request body is larger than 6 MB.");
        refusal.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return refusal;
    };
    let request_id = uuid::Uuid::new_v4().to_string();

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_owned());
    context.stage = Some("$default".to_owned());
    context.request_id = Some(request_id.clone());
    context.authorizer = authorizer;
    context.domain_name = parts.headers.get("host").and_then(|h| h.to_str().ok()).map(str::to_owned);
    context.time_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    context.http.method = parts.method.clone();
    context.http.path = Some(parts.uri.path().to_owned());
    context.http.protocol = Some(format!("{:?}", parts.version));
    context.http.source_ip = Some(peer.ip().to_string());
    context.http.user_agent =
        parts.headers.get("user-agent").and_then(|h| h.to_str().ok()).map(str::to_owned);

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(route_key.to_owned());
    event.raw_path = Some(parts.uri.path().to_owned());
    event.raw_query_string = Some(parts.uri.query().unwrap_or_default().to_owned());
    event.headers = parts.headers;
    event.path_parameters = path_parameters;
    event.request_context = context;
    if !bytes.is_empty() {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => event.body = Some(text),
            Err(_) => {
                event.body = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
                event.is_base64_encoded = true;
            }
        }
    }

    let request = lambda_http::Request::from(LambdaRequest::ApiGatewayV2(event));
    let function = target.function;
    let answered =
        bookworm_http::metered(function.name(), request, |request| function.call(&stack.stores, request));
    let mut response = to_axum(stack.record(answered).await);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    response
}

/// The development issuer's public keys, where an authorizer would fetch them.
async fn jwks(State(stack): State<Arc<Stack>>) -> impl IntoResponse {
    axum::Json(serde_json::to_value(stack.issuer.jwks()).unwrap_or_default())
}

async fn openid_configuration(State(stack): State<Arc<Stack>>, request: AxumRequest) -> impl IntoResponse {
    let host = request.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    axum::Json(serde_json::json!({
        "issuer": stack.auth.issuer,
        "jwks_uri": format!("http://{host}/.well-known/jwks.json"),
        "authorization_endpoint": format!("http://{host}/oauth2/authorize"),
        "token_endpoint": format!("http://{host}/oauth2/token"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

/// What the email function sent, oldest first (the `.eml` files are beside the listing).
/// `bookworm-local invoke` on the data folder this stack holds: the posted event file's text,
/// run by the named function on the stack's own stores (see [`crate::running`]).
async fn invoke_posted(
    State(stack): State<Arc<Stack>>,
    Path(function): Path<String>,
    event: String,
) -> AxumResponse {
    use crate::invoke::{InvokeError, invoke_text};
    let invoked =
        bookworm_metrics::scope(&function, None, invoke_text(&stack, &function, &event, "the event"));
    match stack.record(invoked).await {
        Ok(response) => axum::Json(response).into_response(),
        Err(error) => {
            let status = match error {
                InvokeError::Event { .. } => StatusCode::BAD_REQUEST,
                InvokeError::Failed(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::NOT_FOUND,
            };
            problem(status, &error.to_string())
        }
    }
}

async fn outbox(State(stack): State<Arc<Stack>>) -> AxumResponse {
    let outbox = &stack.stores.outbox;
    match outbox.list().and_then(|items| Ok((items, outbox.list_sms()?))) {
        Ok((items, sms)) => axum::Json(serde_json::json!({ "items": items, "sms": sms })).into_response(),
        Err(error) => to_axum(problem_response(&error, None)),
    }
}

/// Every push the stack sent to buyers' devices, newest first, as SNS would have sent it.
async fn push_outbox(State(stack): State<Arc<Stack>>) -> AxumResponse {
    match stack.stores.push.list() {
        Ok(items) => axum::Json(serde_json::json!({ "items": items })).into_response(),
        Err(error) => to_axum(problem_response(&error, None)),
    }
}

/// What the functions recorded, in Prometheus's text format, and the shop store's group commit.
async fn metrics(State(stack): State<Arc<Stack>>) -> AxumResponse {
    let mut text = stack.metrics.render();
    let stats = stack.stores.shop.write_stats();
    let (writes, commits) = (stats.writes.load(Ordering::Relaxed), stats.commits.load(Ordering::Relaxed));
    text.push_str(&format!(
        "# TYPE bookworm_local_shop_writes_total counter\nbookworm_local_shop_writes_total {writes}\n\
         # TYPE bookworm_local_shop_commits_total counter\nbookworm_local_shop_commits_total {commits}\n"
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The HTTPS API's contract, generated from the code (bookworm-apidoc); its server is this stack.
async fn openapi() -> impl IntoResponse {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    axum::Json(DOCUMENT.get_or_init(bookworm_apidoc::local_openapi).clone())
}

/// The WebSocket API's contract, with this stack (as the client reached it) as its server.
async fn asyncapi(request: AxumRequest) -> impl IntoResponse {
    let host = request.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:3000");
    axum::Json(bookworm_apidoc::local_asyncapi(host))
}

async fn health() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found(request: AxumRequest) -> AxumResponse {
    let detail = format!("No route for {} {}.", request.method(), request.uri().path());
    drained(request.into_body(), problem(StatusCode::NOT_FOUND, &detail)).await
}

async fn method_not_allowed(request: AxumRequest) -> AxumResponse {
    let detail = format!("{} is not allowed on {}.", request.method(), request.uri().path());
    drained(request.into_body(), problem(StatusCode::METHOD_NOT_ALLOWED, &detail)).await
}

/// Everything the stack serves: the template's routes, the WebSocket API and the
/// development-only routes, behind the guard that decides who reaches the latter, and
/// behind that the refusals API Gateway makes of any request (`strict`).
pub fn app(stack: Arc<Stack>, sockets: Arc<Sockets>, dev_routes: DevRoutes) -> Router {
    // One guard in front of every path rather than a layer on the development-only routes
    // alone: it matches them by prefix, so none can be routed around it.
    router(stack.clone())
        .merge(crate::pages::routes(stack.auth.audience.clone()))
        .merge(crate::websocket::routes(stack, sockets))
        .layer(axum::middleware::from_fn_with_state(dev_routes, dev_routes::guard))
        .layer(axum::middleware::from_fn(crate::strict::guard))
}

/// Serves until `shutdown` completes, then finishes the requests in flight. The
/// development-only routes are served (to loopback Hosts) when `listener` is on loopback.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stack: Arc<Stack>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let dev_routes = DevRoutes::new(listener.local_addr()?.ip(), false);
    serve_with(listener, stack, dev_routes, Limits::default(), shutdown).await
}

/// [`serve`], with the development-only routes as `dev_routes` says and `limits` on connections.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    stack: Arc<Stack>,
    dev_routes: DevRoutes,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sockets = stack.stores.sockets.clone();
    // The stack's own `@connections` client goes over loopback on a wildcard address.
    let own = crate::running::reachable(listener.local_addr()?);
    crate::bus::start(stack.clone(), &format!("http://{own}"), sockets.clone());
    crate::away::start(stack.clone());
    let app = app(stack, sockets.clone(), dev_routes);
    // Open WebSockets would keep a graceful shutdown waiting for ever: close them first.
    let shutdown = async move {
        shutdown.await;
        sockets.close_all();
    };
    crate::connections::serve(listener, app, limits, shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_parameters_become_wildcards() {
        assert_eq!(axum_path("/books/{id}"), "/books/{id}");
        assert_eq!(axum_path("/files/{path+}"), "/files/{*path}");
    }
}

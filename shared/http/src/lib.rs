//! HTTP glue shared by every API function: the one mapping from domain errors to RFC 9457
//! problem responses, strict query-parameter parsing, and JSON responses.

pub mod access;
mod body;
pub mod entry;
mod problem;
mod query;
pub mod routes;

pub use body::{MAX_BODY_BYTES, json_body, json_body_with_problems};
pub use problem::{Problem, problem_response};
pub use query::QueryParams;
pub use routes::{Call, Route, RouteRule, Routes, route};

use bookworm_domain::Error;
use bookworm_domain::ids::ShopId;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// What a route returns: a response, or a domain error that [`respond`] turns into one.
pub type Outcome = Result<Response<Body>, Error>;

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Outcome {
    // Text, not binary: API Gateway would otherwise carry the body base64-encoded.
    let body = serde_json::to_string(value).map_err(|e| Error::unavailable("encode the response", e))?;
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// A public catalog response that shared caches (CloudFront, browsers) may keep for a minute.
pub fn cacheable(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

/// Turns a route's outcome into the response the caller gets; errors become problem+json.
pub fn respond(request: &Request, outcome: Outcome) -> Response<Body> {
    match outcome {
        Ok(response) => response,
        Err(error) => problem_response(&error, request_id(request).as_deref()),
    }
}

/// The API Gateway request id, which also names the request in our logs.
pub fn request_id(request: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.request_id.clone(),
        _ => None,
    }
}

/// Runs one request of `function` as a metered invocation (see `bookworm_metrics`): its
/// route's `Requests`, `Latency`, `4xx` and `5xx`, with the API Gateway request id and the
/// X-Ray trace id as properties, so a metric's spike leads to its log lines.
pub async fn metered<F: Future<Output = Response<Body>>>(
    function: &str,
    request: Request,
    handle: impl FnOnce(Request) -> F,
) -> Response<Body> {
    let started = std::time::Instant::now();
    let route = route_key(&request);
    bookworm_metrics::scope(function, route.as_deref(), async move {
        if let Some(id) = request_id(&request) {
            bookworm_metrics::property("RequestId", id);
        }
        if let Ok(trace) = std::env::var("_X_AMZN_TRACE_ID") {
            bookworm_metrics::property("TraceId", trace);
        }
        let response = handle(request).await;
        bookworm_metrics::request(response.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
        response
    })
    .await
}

/// The API Gateway route key (`GET /books/{id}`) the request came in on.
pub fn route_key(request: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.route_key.clone(),
        _ => None,
    }
}

/// An empty 204 response.
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The route's `{shop_id}` of a shop to act in: a UUID, and not a feed's (no shop event may be
/// written where admins read the catalog or the orders of every shop).
pub fn shop_id(request: &Request) -> Result<ShopId, Error> {
    parse_shop_id(path_parameter(request, "shop_id").unwrap_or_default())
}

/// A `shop_id` to act in, from text (a path parameter, or a tool's argument): the rule of [`shop_id`].
pub fn parse_shop_id(text: &str) -> Result<ShopId, Error> {
    let shop = ShopId::parse("shop_id", text)?;
    if shop == bookworm_domain::events::CATALOG_FEED || shop == bookworm_domain::events::ORDERS_FEED {
        return Err(Error::invalid("shop_id", "is a feed's id, not a shop's"));
    }
    Ok(shop)
}

/// The route's `{shop_id}` of a feed to read: a shop's, or the catalog feed.
pub fn feed_id(request: &Request) -> Result<ShopId, Error> {
    ShopId::parse("shop_id", path_parameter(request, "shop_id").unwrap_or_default())
}

/// A path parameter the route declares, e.g. `{id}` of `/books/{id}`.
pub fn path_parameter<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.path_parameters_ref().and_then(|parameters| parameters.first(name))
}

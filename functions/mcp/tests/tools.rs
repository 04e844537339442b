//! The tools on the seed catalog in embedded stores: each answers as its HTTP route does, and
//! refuses bad input, a missing token and a non-customer by name; the HTTP edge refuses a token
//! that does not verify and answers MCP's JSON-RPC over POST.

use std::collections::BTreeSet;
use std::sync::Arc;

use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_auth::{StaticKeys, Verifier, VerifierConfig};
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ports::CatalogStore;
use bookworm_embedded::{EmbeddedCatalog, EmbeddedReviews, EmbeddedShop, seed};
use bookworm_search::{LiveIndex, ObservedCatalog};
use lambda_http::{Body, Request};
use mcp::caller::Caller;
use mcp::server::Catalog;
use mcp::{Mcp, Stores};
use rmcp::model::{CallToolResult, JsonObject};
use serde_json::{Value, json};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
/// Emma, in stock in the seed catalog (the basket's sample events use it).
const EMMA: &str = "b337fce4-aa98-5765-9ce8-703d4bac2567";

struct World {
    stores: Stores,
    _index_dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(LiveIndex::open(dir.path(), None).unwrap());
    let catalog: Arc<dyn CatalogStore> = Arc::new(ObservedCatalog::new(
        Arc::new(EmbeddedCatalog::in_memory().unwrap()) as Arc<dyn CatalogStore>,
        vec![index.clone()],
    ));
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let reviews = Arc::new(EmbeddedReviews::open(shop.clone(), catalog.clone()).unwrap());
    let stores = Stores { books: catalog.clone(), lookups: catalog, reviews, search: index, baskets: shop };
    World { stores, _index_dir: dir }
}

fn principal(user: &str, roles: &[Role]) -> Caller {
    Caller(Some(Principal {
        user_id: user.parse().unwrap(),
        username: None,
        email: None,
        name: None,
        roles: roles.iter().copied().collect(),
        shop_ids: BTreeSet::new(),
        email_verified: None,
        phone_number_verified: None,
    }))
}

async fn call(world: &World, caller: &Caller, name: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments are an object") };
    Catalog::new(world.stores.clone()).call(name, arguments as JsonObject, caller).await.unwrap()
}

async fn ok(world: &World, caller: &Caller, name: &str, arguments: Value) -> Value {
    let result = call(world, caller, name, arguments).await;
    assert_eq!(result.is_error, Some(false), "{name}: {:?}", result.structured_content);
    result.structured_content.unwrap()
}

/// The refusal's problem details: its status and the fields it names.
async fn refused(world: &World, caller: &Caller, name: &str, arguments: Value) -> (u64, Vec<String>) {
    let result = call(world, caller, name, arguments).await;
    assert_eq!(result.is_error, Some(true), "{name}: {:?}", result.structured_content);
    let problem = result.structured_content.unwrap();
    let fields = problem["errors"].as_array().map_or_else(Vec::new, |errors| {
        errors.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
    });
    (problem["status"].as_u64().unwrap(), fields)
}

#[tokio::test]
async fn the_catalog_tools_answer_as_their_routes() {
    let world = world().await;
    let anyone = Caller::default();
    let found = ok(&world, &anyone, "search_catalog", json!({ "q": "prejudise", "limit": 5 })).await;
    assert_eq!(found["hits"][0]["book"]["name"], "Pride and Prejudice", "typo-tolerant, as GET /search");
    let filtered = json!({ "q": "island", "in_stock": true, "max_price": 30, "limit": 5 });
    let filtered = ok(&world, &anyone, "search_catalog", filtered).await;
    assert!(filtered["hits"].as_array().unwrap().iter().all(|hit| hit["book"]["status"] != "out_of_stock"));

    let book = ok(&world, &anyone, "get_book", json!({ "book_id": EMMA })).await;
    assert_eq!((book["name"].as_str(), book["review_count"].as_u64()), (Some("Emma"), Some(0)));
    let reviews = ok(&world, &anyone, "get_book_reviews", json!({ "book_id": EMMA, "limit": 1 })).await;
    assert_eq!(reviews, json!({ "items": [], "next_cursor": null }));

    let categories = ok(&world, &anyone, "list_categories", json!({})).await;
    let authors = ok(&world, &anyone, "list_authors", json!({})).await;
    let seed = seed::catalog().unwrap();
    assert_eq!(categories["categories"].as_array().unwrap().len(), seed.categories.len());
    assert_eq!(authors["authors"].as_array().unwrap().len(), seed.authors.len());
}

#[tokio::test]
async fn bad_input_is_refused_naming_every_field() {
    let world = world().await;
    let anyone = Caller::default();
    let cases = [
        ("search_catalog", json!({}), vec!["q"]),
        ("search_catalog", json!({ "q": "a", "limit": 0, "in_stock": "yes" }), vec!["in_stock"]),
        ("search_catalog", json!({ "q": "a", "limit": 0, "min_price": -1 }), vec!["min_price", "limit"]),
        ("search_catalog", json!({ "q": "a", "min_price": 9, "max_price": 5 }), vec!["min_price"]),
        ("search_catalog", json!({ "q": "a", "cursor": "garbage" }), vec!["cursor"]),
        ("search_catalog", json!({ "q": "a", "limit": -3 }), vec!["limit"]),
        ("search_catalog", json!({ "q": "a", "page": 2 }), vec!["page"]),
        ("search_catalog", json!({ "q": "x".repeat(100_000) }), vec!["q"]),
        ("get_book", json!({}), vec!["book_id"]),
        ("get_book", json!({ "book_id": "emma" }), vec!["book_id"]),
        ("get_book", json!({ "book_id": 7 }), vec!["book_id"]),
        ("list_authors", json!({ "prefix": "a" }), vec!["prefix"]),
        ("get_book_reviews", json!({ "book_id": EMMA, "sort": "best", "rating": 6 }), vec!["sort", "rating"]),
        ("get_book_reviews", json!({ "book_id": EMMA, "cursor": "x" }), vec!["cursor"]),
    ];
    for (name, arguments, fields) in cases {
        let shown = arguments.to_string().chars().take(80).collect::<String>();
        assert_eq!(
            refused(&world, &anyone, name, arguments).await,
            (400, strings(&fields)),
            "{name} {shown}"
        );
    }
    let unknown = json!({ "book_id": "00000000-0000-4000-8000-000000000000" });
    assert_eq!(refused(&world, &anyone, "get_book", unknown.clone()).await, (404, vec![]));
    assert_eq!(refused(&world, &anyone, "get_book_reviews", unknown).await, (404, vec![]));
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|field| (*field).to_owned()).collect()
}

#[tokio::test]
async fn the_basket_tools_follow_the_basket_rules() {
    let world = world().await;
    let ann = principal("ann", &[Role::Customer]);
    let add = |quantity: Value| json!({ "shop_id": SHOP, "book_id": EMMA, "quantity": quantity });

    assert_eq!(ok(&world, &ann, "get_basket", json!({ "shop_id": SHOP })).await["lines"], json!([]));
    ok(&world, &ann, "add_to_basket", json!({ "shop_id": SHOP, "book_id": EMMA })).await;
    let basket = ok(&world, &ann, "add_to_basket", add(json!(97))).await;
    assert_eq!(basket["lines"][0]["quantity"], 98, "1, then 97 more");
    assert_eq!(ok(&world, &ann, "get_basket", json!({ "shop_id": SHOP })).await, basket);

    assert_eq!(
        refused(&world, &ann, "add_to_basket", add(json!(2))).await,
        (400, strings(&["quantity"])),
        "past 99"
    );
    assert_eq!(refused(&world, &ann, "add_to_basket", add(json!(0))).await, (400, strings(&["quantity"])));
    assert_eq!(refused(&world, &ann, "add_to_basket", add(json!(u32::MAX))).await.1, ["quantity"]);
    let no_book = json!({ "shop_id": SHOP, "book_id": "00000000-0000-4000-8000-000000000000" });
    assert_eq!(refused(&world, &ann, "add_to_basket", no_book).await, (404, vec![]));
    let feed = json!({ "shop_id": bookworm_domain::events::CATALOG_FEED.to_string() });
    assert_eq!(refused(&world, &ann, "get_basket", feed).await, (400, strings(&["shop_id"])));
    assert_eq!(refused(&world, &ann, "get_basket", json!({})).await, (400, strings(&["shop_id"])));

    // Another customer sees a basket of their own, not Ann's.
    let bob = principal("bob", &[Role::Customer]);
    assert_eq!(ok(&world, &bob, "get_basket", json!({ "shop_id": SHOP })).await["lines"], json!([]));
    // No token: 401; signed in without the customer role: 403, as the basket API answers.
    assert_eq!(refused(&world, &Caller::default(), "get_basket", json!({ "shop_id": SHOP })).await.0, 401);
    assert_eq!(refused(&world, &Caller::default(), "add_to_basket", add(json!(1))).await.0, 401);
    let merchant = principal("mia", &[Role::Merchant]);
    assert_eq!(refused(&world, &merchant, "add_to_basket", add(json!(1))).await.0, 403);
}

#[tokio::test]
async fn an_unknown_tool_is_a_protocol_error() {
    let world = world().await;
    let error = Catalog::new(world.stores.clone())
        .call("recommend_books", JsonObject::new(), &Caller::default())
        .await;
    assert!(error.is_err(), "not a tool result: MCP's invalid params");
}

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "bookworm";

fn endpoint(world: &World, issuer: &DevIssuer) -> Mcp {
    let config = VerifierConfig { issuer: ISSUER.into(), audience: AUDIENCE.into(), leeway_seconds: 0 };
    let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));
    Mcp::new(world.stores.clone(), Arc::new(verifier))
}

/// A request as API Gateway hands it on: with its route key.
fn routed(request: lambda_http::http::Request<Body>) -> Request {
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(format!("{} /mcp", request.method()));
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}

fn post(body: Value, token: Option<&str>) -> Request {
    let mut request = lambda_http::http::Request::builder()
        .method("POST")
        .uri("https://api.example.com/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    routed(request.body(Body::Text(body.to_string())).unwrap())
}

fn json_of(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

#[tokio::test]
async fn the_endpoint_speaks_json_rpc_and_verifies_tokens() {
    let world = world().await;
    let issuer = DevIssuer::generate().unwrap();
    let endpoint = endpoint(&world, &issuer);
    let request = TokenRequest {
        sub: "ann".into(),
        roles: vec!["customer".into()],
        ttl_seconds: 300,
        ..TokenRequest::default()
    };
    let token = issuer.token(ISSUER, AUDIENCE, &request).unwrap();

    let listing = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/list" });
    let response = endpoint.handle(post(listing.clone(), None)).await;
    assert_eq!(response.status(), 200);
    let names: Vec<String> = json_of(&response)["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].to_string())
        .collect();
    assert_eq!(names.len(), mcp::tools::NAMES.len(), "{names:?}");

    let basket = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": { "name": "get_basket", "arguments": { "shop_id": SHOP } } });
    let answer = json_of(&endpoint.handle(post(basket.clone(), Some(&token))).await);
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let anonymous = json_of(&endpoint.handle(post(basket, None)).await);
    assert_eq!(anonymous["result"]["structuredContent"]["status"], 401, "{anonymous}");

    // A token of another issuer's key, or one cut short, is refused before any tool runs.
    let stranger = DevIssuer::generate().unwrap().token(ISSUER, AUDIENCE, &request).unwrap();
    for token in [stranger.as_str(), &token[..token.len() - 2], "not-a-jwt"] {
        let response = endpoint.handle(post(listing.clone(), Some(token))).await;
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    // Stateless: no stream for the server to open, as the transport answers it.
    let get = lambda_http::http::Request::builder()
        .method("GET")
        .uri("https://api.example.com/mcp")
        .header("accept", "text/event-stream");
    let get = routed(get.body(Body::Empty).unwrap());
    let response = endpoint.handle(get).await;
    assert_eq!(response.status(), 405, "{:?}", response.body());
    // A route the function does not declare is not served.
    let put = lambda_http::http::Request::builder().method("PUT").uri("https://api.example.com/mcp");
    assert_eq!(endpoint.handle(routed(put.body(Body::Empty).unwrap())).await.status(), 404);
}

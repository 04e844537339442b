//! The OpenAPI 3.1 document of the HTTPS API.
//!
//! Each operation is listed once, with what code cannot tell (a summary, the refusals only its
//! handler makes). Everything else is derived: bodies and responses are the JSON Schemas of the
//! Rust types the handlers read and write, security and the 401/403 answers come from the
//! route's rule (its function's `ROUTES`), 400 from the route's parameters and body, 413 from its body, and
//! 429/503 are every route's. Tests hold the list to the functions' routes and to the routes of
//! `template.yaml`.

use bookworm_domain::Money;
use bookworm_domain::basket::PricedBasket;
use bookworm_domain::catalog::{Author, Book, Category, Publisher};
use bookworm_domain::events::CATALOG_FEED;
use bookworm_domain::events::CloudEvent;
use bookworm_domain::figures::MAX_USER_ID_CHARS;
use bookworm_domain::identity::Principal;
use bookworm_domain::mail::Preferences;
use bookworm_domain::orders::Order;
use bookworm_domain::profile::{FulfilmentChoice, Profile, ProfileInput};
use bookworm_domain::query::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, SEARCH_MAX};
use bookworm_domain::reviews::{OwnReview, PublicReview, RatedBook, Review, ReviewInput};
use bookworm_domain::search::{
    QUERY_MAX_CHARS, QUERY_WORDS_MAX, SIMILAR_DEFAULT, SIMILAR_MAX, SearchResults, SimilarBook, Suggestion,
};
use bookworm_domain::text::{self, Lines};
use bookworm_http::access::Access;

mod back_office;
mod devices;
mod mcp;
mod support;

use crate::routes::rule;
use bookworm_http::{MAX_BODY_BYTES, Problem};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// One operation of the API.
pub struct Operation {
    /// The route key, as in the functions' `ROUTES` and API Gateway: `GET /books/{id}`.
    pub key: &'static str,
    tag: &'static str,
    summary: &'static str,
    parameters: Vec<Value>,
    body: Option<Value>,
    /// Whether a request may leave the body out (`requestBody.required: false`).
    body_optional: bool,
    responses: Map<String, Value>,
    /// Refusals of the handler beyond those every route of its kind makes.
    refusals: &'static [Refusal],
}

/// A refusal some handlers make: its status and the shared response describing it.
#[derive(Clone, Copy)]
pub enum Refusal {
    /// For a route without parameters or body that still refuses input (any query string).
    BadRequest,
    Forbidden,
    NotFound,
    Conflict,
    /// A per-account cap of ours (problem+json with `Retry-After`), besides API Gateway's 429.
    TooMany,
}

impl Operation {
    fn new(key: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Self {
            key,
            tag,
            summary,
            parameters: Vec::new(),
            body: None,
            body_optional: false,
            responses: Map::new(),
            refusals: &[],
        }
    }

    fn query(mut self, parameters: impl IntoIterator<Item = Value>) -> Self {
        self.parameters.extend(parameters);
        self
    }

    fn header(mut self, parameter: Value) -> Self {
        self.parameters.push(parameter);
        self
    }

    fn body(mut self, schema: Value) -> Self {
        self.body = Some(schema);
        self
    }

    /// A body the request may leave out (clients from before it existed send none).
    fn optional_body(mut self, schema: Value) -> Self {
        self.body = Some(schema);
        self.body_optional = true;
        self
    }

    fn ok(mut self, status: u16, description: &str, schema: Value) -> Self {
        let content = json!({ "application/json": { "schema": schema } });
        self.responses.insert(status.to_string(), json!({ "description": description, "content": content }));
        self
    }

    /// A status answered without a body of ours (the MCP transport's own answers).
    fn status(mut self, status: u16, description: &str) -> Self {
        self.responses.insert(status.to_string(), json!({ "description": description }));
        self
    }

    fn no_content(mut self, description: &str) -> Self {
        self.responses.insert("204".into(), json!({ "description": description }));
        self
    }

    /// The created resource's address, on 201.
    fn located(mut self) -> Self {
        if let Some(created) = self.responses.get_mut("201") {
            created["headers"] = json!({ "Location": {
                "description": "Where the new resource is read.",
                "schema": { "type": "string", "format": "uri-reference" },
            }});
        }
        self
    }

    /// Public reads that shared caches may keep for a minute.
    fn cacheable(mut self) -> Self {
        if let Some(found) = self.responses.get_mut("200") {
            found["headers"] = json!({ "Cache-Control": {
                "description": "`public, max-age=60`",
                "schema": { "type": "string" },
            }});
        }
        self
    }

    fn refusing(mut self, refusals: &'static [Refusal]) -> Self {
        self.refusals = refusals;
        self
    }
}

/// Every operation of the HTTPS API.
pub fn operations(schemas: &mut SchemaGenerator) -> Vec<Operation> {
    use Refusal::{BadRequest, Conflict, Forbidden, NotFound, TooMany};
    let mut schema = |f: fn(&mut SchemaGenerator) -> schemars::Schema| f(schemas).to_value();
    let stored_book = schema(|g| g.subschema_for::<Book>());
    let book = schema(|g| g.subschema_for::<RatedBook>());
    let books = schema(|g| g.subschema_for::<Page<RatedBook>>());
    let review_input = schema(|g| g.subschema_for::<ReviewInput>());
    let report_input = schema(|g| g.subschema_for::<reviews::ReportInput>());
    let public_review = schema(|g| g.subschema_for::<PublicReview>());
    let public_reviews = schema(|g| g.subschema_for::<Page<PublicReview>>());
    let own_review = schema(|g| g.subschema_for::<OwnReview>());
    let review = schema(|g| g.subschema_for::<Review>());
    let moderated = schema(|g| g.subschema_for::<Page<Review>>());
    let author = schema(|g| g.subschema_for::<Author>());
    let category = schema(|g| g.subschema_for::<Category>());
    let publisher = schema(|g| g.subschema_for::<Publisher>());
    let book_input = schema(|g| g.subschema_for::<catalog_admin::BookInput>());
    let author_input = schema(|g| g.subschema_for::<catalog_admin::AuthorInput>());
    let category_input = schema(|g| g.subschema_for::<catalog_admin::CategoryInput>());
    let publisher_input = schema(|g| g.subschema_for::<catalog_admin::PublisherInput>());
    let principal = schema(|g| g.subschema_for::<Principal>());
    let preferences = schema(|g| g.subschema_for::<Preferences>());
    let preferences_input = schema(|g| g.subschema_for::<account::PreferencesInput>());
    let basket = schema(|g| g.subschema_for::<PricedBasket>());
    let profile = schema(|g| g.subschema_for::<Profile>());
    let profile_input = schema(|g| g.subschema_for::<ProfileInput>());
    let fulfilment = schema(|g| g.subschema_for::<FulfilmentChoice>());
    let quantity = schema(|g| g.subschema_for::<basket::QuantityInput>());
    let order = schema(|g| g.subschema_for::<Order>());
    let orders = schema(|g| g.subschema_for::<Page<Order>>());
    let action = schema(|g| g.subschema_for::<bookworm_domain::publish::CheckoutAction>());
    let events = schema(|g| g.subschema_for::<Page<CloudEvent<'static>>>());
    let money = schema(|g| g.subschema_for::<Money>());
    let search_results = schema(|g| g.subschema_for::<SearchResults>());
    let suggestions = schema(|g| g.subschema_for::<Vec<Suggestion>>());
    let similar_books = schema(|g| g.subschema_for::<Vec<SimilarBook>>());
    let also_bought = schema(|g| g.subschema_for::<Vec<bookworm_domain::copurchase::AlsoBought>>());
    let recommendations = schema(|g| g.subschema_for::<Vec<bookworm_domain::copurchase::Recommendation>>());
    let shelf_limit = || {
        use bookworm_domain::copurchase::{SHELF_DEFAULT, SHELF_MAX};
        query(
            "limit",
            &format!("How many books, 1 to {SHELF_MAX} ({SHELF_DEFAULT} by default)."),
            json!({ "type": "integer", "minimum": 1, "maximum": SHELF_MAX }),
        )
    };
    let search_text = |description: &str| {
        json!({ "name": "q", "in": "query", "required": true, "description": description,
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": QUERY_MAX_CHARS,
                "pattern": text::words_pattern(QUERY_WORDS_MAX),
                "not": { "pattern": text::blank_pattern() },
            } })
    };
    let list = |item: &Value| {
        json!({ "type": "object", "required": ["items"], "properties": {
            "items": { "type": "array", "items": item },
        }})
    };
    let published = json!({ "type": "object", "required": ["status"], "properties": {
        "status": { "type": "string", "description": "`Message sent to shop ID <shop_id>`, as the old service said." },
    }});
    let book_filters = [
        limit(),
        cursor(Cursor::Books),
        choice("sort", &["name", "price"], "Sort by name (the default) or selling price."),
        choice("order", &["asc", "desc"], "Ascending (the default) or descending."),
        id_query("category_id", "Only books of this category."),
        id_query("author_id", "Only books by this author."),
        id_query("publisher_id", "Only books from this publisher."),
        query("min_price", "Selling price at least this.", money.clone()),
        query("max_price", "Selling price at most this (not below `min_price`).", money.clone()),
        query(
            "q",
            "Words that must all occur in the title, in any case.",
            json!({
                "type": "string",
                "minLength": 1,
                "maxLength": SEARCH_MAX,
                "pattern": text::pattern(Lines::One, true),
            }),
        ),
    ];
    let search_filters = [
        search_text(
            "What to look for, at most 12 words between white space (where punctuation splits \
             words further, `a-b` being two, only the first 12 are searched): each must match a \
             title, author, category, publisher or description word, allowing one typo from 4 \
             letters and two from 8; the last may be the start of a word unless followed by a \
             space or punctuation. When no book matches every word, books matching some are \
             returned with `partial: true`.",
        ),
        choice(
            "mode",
            &["hybrid", "keyword", "semantic"],
            "How to rank: `hybrid` (the default) fuses the keyword ranking and the ranking by \
             meaning (reciprocal rank, k = 60); `keyword` ranks by the words alone; `semantic` by \
             meaning alone (books whose embedding's cosine with the query's is at least 0.25). \
             `total` and the facets count the books the mode finds: in `hybrid` those matching \
             the words or near in meaning. The filters apply in every mode.",
        ),
        id_query("category_id", "Only books of this category."),
        id_query("author_id", "Only books by this author."),
        id_query("publisher_id", "Only books from this publisher."),
        query("min_price", "Selling price at least this.", money.clone()),
        query("max_price", "Selling price at most this (not below `min_price`).", money),
        query(
            "in_stock",
            "Only books in stock (`true`) or out of stock (`false`).",
            json!({ "type": "boolean" }),
        ),
        limit(),
        cursor(Cursor::Search),
    ];
    let review_filters = [
        limit(),
        cursor(Cursor::Reviews),
        choice(
            "sort",
            &["newest", "highest", "lowest", "helpful"],
            "Newest first (the default), most or fewest stars first, or most helpful first; newest first within ties.",
        ),
        query(
            "rating",
            "Only reviews with this many stars.",
            json!({ "type": "integer", "minimum": 1, "maximum": 5 }),
        ),
    ];
    let queue_filters = [
        limit(),
        cursor(Cursor::Newest),
        choice(
            "status",
            &["reported", "hidden"],
            "Every review with open reports (the default), or only those reports hid.",
        ),
    ];
    let placed_day = |name: &str, description: &str| {
        query(name, description, json!({ "type": "string", "format": "date" }))
    };
    let order_filters = vec![
        limit(),
        cursor(Cursor::Newest),
        choice("status", &["new", "completed", "cancelled"], "Only orders with this status."),
        placed_day("from", "Only orders placed on this day (UTC) or later."),
        placed_day("to", "Only orders placed on this day (UTC) or earlier; not before `from`."),
    ];
    let mut customer_orders = order_filters.clone();
    customer_orders.push(query(
        "customer_id",
        "Admins: only this customer's orders (their user id, as in `GET /customers`). Anyone else is \
         refused with 403.",
        json!({ "type": "string", "minLength": 1, "maxLength": MAX_USER_ID_CHARS }),
    ));
    vec![
        Operation::new("GET /books", "catalog", "List books: filter, search, sort and page")
            .query(book_filters)
            .ok(200, "A page of books.", books)
            .cacheable(),
        Operation::new("GET /search", "search", "Search books: ranked, typo-tolerant, filtered, with facets")
            .query(search_filters)
            .ok(
                200,
                "Hits best first, each with its score and highlights; facet counts; the total.",
                search_results,
            )
            .cacheable()
            .refusing(&[BadRequest]),
        Operation::new("GET /search/suggest", "search", "Complete titles and authors as the shopper types")
            .query([search_text("What was typed so far; the last word is completed.")])
            .ok(200, "Up to 10 titles and authors containing every typed word, best first.", suggestions)
            .refusing(&[BadRequest]),
        Operation::new("GET /books/{id}/similar", "search", "Books nearest in meaning to a book")
            .query([query(
                "limit",
                &format!("How many books, 1 to {SIMILAR_MAX} ({SIMILAR_DEFAULT} by default)."),
                json!({ "type": "integer", "minimum": 1, "maximum": SIMILAR_MAX }),
            )])
            .ok(200, "Nearest first, never the book itself, at most two by any one author.", similar_books)
            .refusing(&[BadRequest, NotFound]),
        Operation::new("GET /books/{id}/also-bought", "search", "Books bought with a book")
            .query([shelf_limit()])
            .ok(
                200,
                "The books most often in the same placed orders (`co_purchase`, with the count), then \
                 similar books (`similar`) when there are fewer; never the book itself or a deleted book.",
                also_bought,
            )
            .refusing(&[BadRequest, NotFound]),
        Operation::new("GET /me/recommendations", "search", "Books recommended to the signed-in buyer")
            .query([shelf_limit()])
            .ok(
                200,
                "From the buyer's orders and 4- and 5-star reviews, best first, each naming the book it \
                 comes from; never a book they ordered or reviewed. Without history: the most ordered books.",
                recommendations,
            )
            .refusing(&[BadRequest]),
        Operation::new("GET /books/{id}", "catalog", "Read a book")
            .ok(200, "The book.", book.clone())
            .cacheable()
            .refusing(&[NotFound]),
        Operation::new("GET /authors", "catalog", "List every author")
            .ok(200, "All authors, by name.", list(&author))
            .cacheable()
            .refusing(&[BadRequest]),
        Operation::new("GET /categories", "catalog", "List every category")
            .ok(200, "All categories, by name.", list(&category))
            .cacheable()
            .refusing(&[BadRequest]),
        Operation::new("GET /publishers", "catalog", "List every publisher")
            .ok(200, "All publishers, by name.", list(&publisher))
            .cacheable()
            .refusing(&[BadRequest]),
        Operation::new("GET /authors/{id}", "catalog", "Read an author")
            .ok(200, "The author.", author.clone())
            .cacheable()
            .refusing(&[NotFound]),
        Operation::new("GET /categories/{id}", "catalog", "Read a category")
            .ok(200, "The category.", category.clone())
            .cacheable()
            .refusing(&[NotFound]),
        Operation::new("GET /publishers/{id}", "catalog", "Read a publisher")
            .ok(200, "The publisher.", publisher.clone())
            .cacheable()
            .refusing(&[NotFound]),
        Operation::new("GET /me", "account", "Who the token says the caller is").ok(
            200,
            "The caller, as every function sees them.",
            principal,
        ),
        Operation::new("GET /me/preferences", "account", "Read notification preferences").ok(
            200,
            "The caller's preferences (defaults if never set).",
            preferences.clone(),
        ),
        Operation::new("PUT /me/preferences", "account", "Choose notifications").body(preferences_input).ok(
            200,
            "The preferences now in force.",
            preferences,
        ),
        Operation::new("GET /me/profile", "account", "Read the buyer's profile").ok(
            200,
            "The caller's profile: an empty one (version 0) if never saved.",
            profile.clone(),
        ),
        Operation::new("PUT /me/profile", "account", "Write the buyer's profile: name, phone, addresses")
            .body(profile_input)
            .ok(200, "The profile as saved, with every address's id.", profile)
            .refusing(&[Conflict]),
        Operation::new("POST /books", "catalog administration", "Add a book")
            .body(book_input.clone())
            .ok(201, "The new book.", stored_book.clone())
            .located(),
        Operation::new("PUT /books/{id}", "catalog administration", "Replace a book's details")
            .body(book_input)
            .ok(200, "The book as stored (its rating comes from reviews, unchanged by an edit).", stored_book)
            .refusing(&[NotFound]),
        Operation::new("DELETE /books/{id}", "catalog administration", "Take a book out of the catalog")
            .no_content("Deleted; orders keep their lines.")
            .refusing(&[NotFound]),
        Operation::new("POST /authors", "catalog administration", "Add an author")
            .body(author_input.clone())
            .ok(201, "The new author.", author.clone())
            .located(),
        Operation::new("PUT /authors/{id}", "catalog administration", "Rename an author")
            .body(author_input)
            .ok(200, "The author.", author)
            .refusing(&[NotFound]),
        Operation::new("DELETE /authors/{id}", "catalog administration", "Delete an author without books")
            .no_content("Deleted.")
            .refusing(&[NotFound, Conflict]),
        Operation::new("POST /categories", "catalog administration", "Add a category")
            .body(category_input.clone())
            .ok(201, "The new category.", category.clone())
            .located(),
        Operation::new("PUT /categories/{id}", "catalog administration", "Rename a category")
            .body(category_input)
            .ok(200, "The category.", category)
            .refusing(&[NotFound]),
        Operation::new(
            "DELETE /categories/{id}",
            "catalog administration",
            "Delete a category without books",
        )
        .no_content("Deleted.")
        .refusing(&[NotFound, Conflict]),
        Operation::new("POST /publishers", "catalog administration", "Add a publisher")
            .body(publisher_input.clone())
            .ok(201, "The new publisher.", publisher.clone())
            .located(),
        Operation::new("PUT /publishers/{id}", "catalog administration", "Rename a publisher")
            .body(publisher_input)
            .ok(200, "The publisher.", publisher)
            .refusing(&[NotFound]),
        Operation::new(
            "DELETE /publishers/{id}",
            "catalog administration",
            "Delete a publisher without books",
        )
        .no_content("Deleted.")
        .refusing(&[NotFound, Conflict]),
        Operation::new("POST /publish/{shop_id}", "live events", "Publish an in-store checkout action")
            .body(action)
            .ok(200, "Stored, and on its way to the shop's merchants.", published)
            .refusing(&[Forbidden]),
        Operation::new("GET /shops/{shop_id}/basket", "basket", "Read the caller's basket in a shop")
            .ok(200, "The basket, priced from the catalog now.", basket.clone())
            .refusing(&[Conflict]),
        Operation::new("PUT /shops/{shop_id}/basket/items/{book_id}", "basket", "Put a book in the basket")
            .body(quantity)
            .ok(200, "The basket after the change.", basket.clone())
            .refusing(&[NotFound, Conflict]),
        Operation::new("DELETE /shops/{shop_id}/basket/items/{book_id}", "basket", "Take a book out")
            .ok(200, "The basket after the change.", basket)
            .refusing(&[NotFound, Conflict]),
        Operation::new("DELETE /shops/{shop_id}/basket", "basket", "Empty the basket")
            .no_content("The basket is empty.")
            .refusing(&[Conflict]),
        Operation::new("POST /shops/{shop_id}/checkout", "orders", "Check the basket out")
            .header(idempotency_key())
            .optional_body(fulfilment)
            .ok(201, "The order placed.", order.clone())
            .located()
            .ok(200, "The order an earlier call with this key placed.", order.clone())
            .refusing(&[Conflict]),
        Operation::new(
            "GET /orders",
            "orders",
            "List orders: the caller's, or everyone's (or one customer's) for admins",
        )
        .query(customer_orders)
        .ok(200, "A page of orders, newest first.", orders.clone())
        .refusing(&[Forbidden]),
        Operation::new(
            "GET /shops/{shop_id}/orders",
            "orders",
            "List a shop's orders (its merchants, admins)",
        )
        .query(order_filters)
        .ok(200, "A page of the shop's orders, newest first.", orders)
        .refusing(&[Forbidden]),
        Operation::new("GET /orders/{id}", "orders", "Read an order")
            .ok(200, "The order.", order.clone())
            .refusing(&[NotFound]),
        Operation::new("PATCH /orders/{id}/complete", "orders", "Mark an order completed (shipped)")
            .ok(200, "The order, completed (also when it already was).", order.clone())
            .refusing(&[NotFound, Conflict]),
        Operation::new("PATCH /orders/{id}/cancel", "orders", "Cancel an order")
            .ok(200, "The order, cancelled (also when it already was).", order)
            .refusing(&[NotFound, Conflict]),
        Operation::new("GET /shops/{shop_id}/events", "live events", "Read a shop's event history")
            .query([limit(), cursor(Cursor::Newest)])
            .ok(200, "A page of CloudEvents, newest first.", events),
        Operation::new(
            "GET /books/{id}/reviews",
            "reviews",
            "List a book's reviews: sort, filter by stars, page",
        )
        .query(review_filters)
        .ok(200, "A page of the book's visible reviews.", public_reviews)
        .refusing(&[NotFound]),
        Operation::new("POST /books/{id}/reviews", "reviews", "Review a book (once per account)")
            .body(review_input.clone())
            .ok(201, "The review, visible now and counted in the book's rating.", own_review.clone())
            .located()
            .refusing(&[NotFound, Conflict, TooMany]),
        Operation::new("GET /books/{id}/reviews/mine", "reviews", "Read one's own review of a book")
            .ok(200, "The caller's review, hidden or not.", own_review.clone())
            .refusing(&[NotFound]),
        Operation::new("PUT /books/{id}/reviews/mine", "reviews", "Edit one's own review")
            .body(review_input)
            .ok(200, "The review as edited.", own_review)
            .refusing(&[NotFound, Conflict]),
        Operation::new("DELETE /books/{id}/reviews/mine", "reviews", "Delete one's own review")
            .no_content("Deleted, and out of the book's rating.")
            .refusing(&[NotFound, Conflict]),
        Operation::new("POST /reviews/{id}/helpful", "reviews", "Mark a review helpful (once per account)")
            .ok(200, "The review with its new count.", public_review)
            .refusing(&[Forbidden, NotFound, Conflict]),
        Operation::new("POST /reviews/{id}/reports", "reviews", "Report a review (once per account)")
            .body(report_input)
            .no_content("Reported; enough distinct reports hide the review until a moderator looks.")
            .refusing(&[Forbidden, NotFound, Conflict]),
        Operation::new("GET /reviews", "review moderation", "List reviews with open reports")
            .query(queue_filters)
            .ok(200, "A page of reported reviews, latest report first, whole.", moderated),
        Operation::new(
            "POST /reviews/{id}/restore",
            "review moderation",
            "Keep a review: show it again, dismiss its reports",
        )
        .ok(200, "The review, visible and counted.", review)
        .refusing(&[NotFound, Conflict]),
        Operation::new("DELETE /reviews/{id}", "review moderation", "Remove a review")
            .no_content("Removed, and out of the book's rating.")
            .refusing(&[NotFound, Conflict]),
    ]
    .into_iter()
    .chain(devices::operations(schemas))
    .chain(support::operations(schemas))
    .chain(back_office::operations(schemas))
    .chain(mcp::operations())
    .collect()
}

/// The whole document; `servers` as OpenAPI `servers` entries.
pub fn document(servers: Value) -> Value {
    let mut schemas = SchemaGenerator::new(
        SchemaSettings::draft2020_12()
            .with(|settings| settings.definitions_path = "/components/schemas".into()),
    );
    let problem = schemas.subschema_for::<Problem>().to_value();
    let mut paths = Map::new();
    for operation in operations(&mut schemas) {
        let (method, path) = operation.key.split_once(' ').unwrap_or_default();
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[method.to_ascii_lowercase()] = render(operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "BookWorm HTTPS API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The bookstore's catalog, baskets, checkout and orders, and the in-store \
                checkout actions. Errors are RFC 9457 problem details (`application/problem+json`); \
                invalid input names each bad field in `errors`. Merchants' live events are in the \
                AsyncAPI document (`/asyncapi.json`).",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": servers,
        "tags": [
            { "name": "catalog", "description": "Public book catalog." },
            { "name": "catalog administration", "description": "Admins only." },
            { "name": "account", "description": "The signed-in caller." },
            { "name": "basket", "description": "A customer's basket in one shop." },
            { "name": "orders", "description": "Checkout and orders." },
            { "name": "live events", "description": "In-store actions and a shop's event history." },
            { "name": "reviews", "description": "Readers' reviews and ratings of books." },
            { "name": "review moderation", "description": "Support and admins." },
            { "name": "support chat", "description": "Customers' conversations with support (live: the AsyncAPI document's support channel)." },
            { "name": "support agents", "description": "The queue, canned replies and availability: support and admins." },
            { "name": "back office", "description": "Figures and the customer directory: admins only." },
        ],
        "paths": paths,
        "components": {
            "schemas": schemas.take_definitions(true),
            "responses": shared_responses(&problem),
            "securitySchemes": { "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token from the identity provider (in development, \
                    `scripts/token`). Roles (`customer`, `merchant`, `support`, `admin`) and a \
                    merchant's `shop_ids` come from its claims; each operation's `security` names \
                    the roles that may call it.",
            }},
        },
    })
}

fn render(operation: Operation) -> Value {
    let access = rule(operation.key);
    let mut parameters: Vec<Value> = path_parameters(operation.key);
    parameters.extend(operation.parameters);
    let mut responses = operation.responses;
    let mut refer = |status: u16, name: &str| {
        responses.insert(status.to_string(), json!({ "$ref": format!("#/components/responses/{name}") }));
    };
    if !parameters.is_empty() || operation.body.is_some() {
        refer(400, "BadRequest");
    }
    if !matches!(access, Some(Access::Public)) {
        refer(401, "Unauthorized");
    }
    if matches!(access, Some(Access::AnyOf(_) | Access::ShopStaff) | None) {
        refer(403, "Forbidden");
    }
    for refusal in operation.refusals {
        match refusal {
            Refusal::BadRequest => refer(400, "BadRequest"),
            Refusal::Forbidden => refer(403, "Forbidden"),
            Refusal::NotFound => refer(404, "NotFound"),
            Refusal::Conflict => refer(409, "Conflict"),
            Refusal::TooMany => {}
        }
    }
    if operation.body.is_some() {
        refer(413, "TooLarge");
    }
    if operation.refusals.iter().any(|refusal| matches!(refusal, Refusal::TooMany)) {
        refer(429, "ThrottledOrCapped");
    } else {
        refer(429, "Throttled");
    }
    refer(503, "Unavailable");
    let mut rendered = json!({
        "operationId": operation_id(operation.key),
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": access_text(access),
        "security": security(access),
        "responses": responses,
    });
    if !parameters.is_empty() {
        rendered["parameters"] = Value::Array(parameters);
    }
    if let Some(schema) = operation.body {
        rendered["requestBody"] = json!({
            "required": !operation.body_optional,
            "content": { "application/json": { "schema": schema } },
        });
    }
    rendered
}

/// `GET /books/{id}` → `get_books_id`: stable, unique, and usable as a generated method name.
fn operation_id(key: &str) -> String {
    key.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

fn security(access: Option<Access>) -> Value {
    let roles = |roles: &[&str]| roles.iter().map(|role| json!({ "bearer": [role] })).collect::<Vec<_>>();
    match access {
        Some(Access::Public) => json!([]),
        Some(Access::SignedIn) => json!([{ "bearer": [] }]),
        Some(Access::AnyOf(allowed)) => json!(roles(&allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>())),
        Some(Access::ShopStaff) => json!(roles(&["merchant", "admin"])),
        None => json!([{ "bearer": ["none"] }]),
    }
}

fn access_text(access: Option<Access>) -> String {
    match access {
        Some(Access::Public) => "Public: no token needed.".into(),
        Some(Access::SignedIn) => "Any signed-in caller.".into(),
        Some(Access::AnyOf(roles)) => {
            let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
            format!("Callers with the role {}.", names.join(" or "))
        }
        Some(Access::ShopStaff) => {
            "Merchants of the path's shop (its id in their `shop_ids`), and admins.".into()
        }
        None => "Refused: no access rule covers this route.".into(),
    }
}

/// The route's `{name}` segments: each an id, which must be a UUID. A `{shop_id}` is never the
/// nil UUID, the catalog feed's id (`bookworm_http::shop_id`), except where a feed is read
/// (`bookworm_http::feed_id`): there the nil UUID is the catalog feed.
fn path_parameters(key: &str) -> Vec<Value> {
    let (_, path) = key.split_once(' ').unwrap_or_default();
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let what = match (name, path.split('/').nth(1)) {
                ("shop_id", _) => "shop",
                ("book_id", _) | ("id", Some("books")) => "book",
                ("id", Some("authors")) => "author",
                ("id", Some("categories")) => "category",
                ("id", Some("publishers")) => "publisher",
                ("id", Some("orders")) => "order",
                ("id", Some("reviews")) => "review",
                ("id", Some("support")) => "conversation",
                ("id", Some("customers")) => "customer",
                _ => "resource",
            };
            let (description, schema) = match name {
                "code" => (
                    "The canned reply's short code.".to_owned(),
                    json!({ "type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[a-z0-9][a-z0-9-]*$" }),
                ),
                // A customer is a user: the token's `sub`, the issuer's text.
                "id" if what == "customer" => (
                    "The customer's user id (their token's `sub`).".to_owned(),
                    json!({ "type": "string", "minLength": 1, "maxLength": bookworm_domain::figures::MAX_USER_ID_CHARS }),
                ),
                "shop_id" if key == FEED_ROUTE => (
                    format!("The shop's id; the nil UUID ({CATALOG_FEED}) reads the catalog feed (admins)."),
                    uuid(),
                ),
                "shop_id" => {
                    (format!("The shop's id (not the nil UUID, {CATALOG_FEED}: the catalog feed's)."), {
                        let mut schema = uuid();
                        schema["not"] = json!({ "const": CATALOG_FEED.to_string() });
                        schema
                    })
                }
                _ => (format!("The {what}'s id."), uuid()),
            };
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": schema,
            })
        })
        .collect()
}

/// The one route that reads a feed by `{shop_id}`, the catalog feed's included.
const FEED_ROUTE: &str = "GET /shops/{shop_id}/events";

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid", "pattern": UUID_PATTERN })
}

/// The hyphenated form only: the one the API writes and reads (`bookworm_domain::ids`).
const UUID_PATTERN: &str = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
}

fn id_query(name: &str, description: &str) -> Value {
    query(name, description, uuid())
}

fn choice(name: &str, values: &[&str], description: &str) -> Value {
    query(name, description, json!({ "type": "string", "enum": values }))
}

fn limit() -> Value {
    query(
        "limit",
        "Items per page.",
        json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE }),
    )
}

/// The lists that page, by the cursors they hand out.
#[derive(Clone, Copy)]
enum Cursor {
    /// `GET /books`: the sort order and the last book's sort key.
    Books,
    /// `GET /search`: the offset into one query's ranking.
    Search,
    /// A book's reviews: the sort order and the last review's sort key.
    Reviews,
    /// Lists kept newest first (events, orders, reported reviews): the last item's time and id.
    Newest,
}

/// A cursor as the handlers decode it: unpadded base64url (RFC 4648 §5) of at most so many
/// characters (what `bookworm_domain` refuses beyond: `query::Cursor`, `search::SearchCursor`,
/// `reviews::ReviewCursor`, `events::EventCursor`). The pattern is base64url as the decoder
/// takes it: never one character over a multiple of 4, and no stray bits in the last one.
fn cursor(list: Cursor) -> Value {
    let (max, decoded) = match list {
        Cursor::Books => (1366, "the sort order and the last book's sort key"),
        Cursor::Search => (64, "the position in this query's ranking"),
        Cursor::Reviews => (200, "the sort order and the last review's sort key"),
        Cursor::Newest => (128, "the time and id of the last item"),
    };
    query(
        "cursor",
        &format!(
            "Where the page starts: the `next_cursor` of the page before, as returned \
             (unpadded base64url of {decoded}). A cursor this list did not hand out, or one \
             from another sort order, filter or query, is refused with 400."
        ),
        json!({
            "type": "string",
            "minLength": 2,
            "maxLength": max,
            "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$",
        }),
    )
}

fn idempotency_key() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": true,
        "description": "A value unique to this checkout (a UUID will do): a retry with the same \
            key returns the order placed, never a second one.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": checkout::IDEMPOTENCY_KEY_MAX,
            "pattern": "^[\\x21-\\x7E]([\\x20-\\x7E]*[\\x21-\\x7E])?$",
        },
    })
}

fn shared_responses(problem: &Value) -> Value {
    let problem_response = |description: &str| {
        json!({
            "description": description,
            "content": { "application/problem+json": { "schema": problem } },
        })
    };
    let mut unauthorized = problem_response("No valid bearer token: missing, malformed, forged or expired.");
    unauthorized["headers"] =
        json!({ "WWW-Authenticate": { "schema": { "type": "string", "const": "Bearer" } } });
    // In AWS a request with no Authorization header at all never reaches the authorizer:
    // API Gateway refuses it itself, in its own shape.
    unauthorized["content"]["application/json"] = json!({ "schema": gateway_message() });
    json!({
        "BadRequest": problem_response("Invalid input; `errors` names every bad field or parameter."),
        "Unauthorized": unauthorized,
        "Forbidden": problem_response("The token is valid, but its roles or shops do not allow this."),
        "NotFound": problem_response("No such resource (or not one the caller may see)."),
        "Conflict": problem_response("The current state does not allow this; `detail` says why."),
        "TooLarge": problem_response(&format!("The body is larger than {MAX_BODY_BYTES} bytes.")),
        "Throttled": {
            "description": "API Gateway's throttling (the stage's rate and burst limits): retry later.",
            "content": { "application/json": { "schema": gateway_message() } },
        },
        "ThrottledOrCapped": {
            "description": "API Gateway's throttling (`application/json`), or a per-account cap of \
                ours (`application/problem+json`): retry after `Retry-After` seconds.",
            "headers": { "Retry-After": {
                "description": "Seconds until the cap resets (ours only).",
                "schema": { "type": "integer", "minimum": 1 },
            }},
            "content": {
                "application/json": { "schema": gateway_message() },
                "application/problem+json": { "schema": problem },
            },
        },
        "Unavailable": problem_response("A dependency failed; retry. `request_id` names it in our logs."),
    })
}

/// What API Gateway itself answers with (throttling, a missing token): `{"message": "…"}`.
fn gateway_message() -> Value {
    json!({ "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } })
}

//! The tools: what each takes (a JSON Schema from its input type), and how it runs on the
//! same use cases and validation as the HTTP routes (functions/search, catalog-books,
//! reviews, basket). A refusal is a domain [`Error`], shown to the agent as the API's
//! problem details, naming every bad field.

use std::sync::Arc;

use bookworm_domain::Error;
use bookworm_domain::identity::Principal;
use bookworm_domain::ids::BookId;
use bookworm_http::{QueryParams, parse_shop_id};
use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::Stores;
use crate::caller::Caller;

/// Every tool, in the order `tools/list` gives them.
pub const NAMES: [&str; 8] = [
    "search_catalog",
    "similar_books",
    "get_book",
    "list_categories",
    "list_authors",
    "get_book_reviews",
    "get_basket",
    "add_to_basket",
];

/// The tools as `tools/list` describes them.
pub fn list() -> Vec<Tool> {
    let read_only = |tool: Tool| tool.with_annotations(ToolAnnotations::new().read_only(true));
    vec![
        read_only(Tool::new(
            "search_catalog",
            "Search the bookshop's catalog: books ranked by relevance to `q`, by its words (typos \
             tolerated) and by its meaning (a description of what a book is about finds it), with \
             optional filters; facets per category and publisher; `cursor` from one answer gives the next page.",
            schema_for_type::<SearchInput>(),
        )),
        read_only(Tool::new(
            "similar_books",
            "Books nearest in meaning to one book, nearest first: never the book itself, at most two \
             by any one author.",
            schema_for_type::<SimilarInput>(),
        )),
        read_only(Tool::new(
            "get_book",
            "One book by id: title, authors, category, publisher, price, stock status and its rating.",
            schema_for_type::<BookInput>(),
        )),
        read_only(Tool::new(
            "list_categories",
            "Every category of the catalog, by name.",
            schema_for_type::<NoInput>(),
        )),
        read_only(Tool::new(
            "list_authors",
            "Every author of the catalog, by name.",
            schema_for_type::<NoInput>(),
        )),
        read_only(Tool::new(
            "get_book_reviews",
            "A book's visible reviews, a page at a time: `sort`, `rating` filter, `cursor` for the next page.",
            schema_for_type::<ReviewsInput>(),
        )),
        read_only(Tool::new(
            "get_basket",
            "The signed-in customer's basket in a shop, priced from the catalog now. Needs a bearer token.",
            schema_for_type::<BasketInput>(),
        )),
        Tool::new(
            "add_to_basket",
            "Add copies of a book to the signed-in customer's basket in a shop (at most 99 of one \
             book); the basket, priced. Needs a bearer token.",
            schema_for_type::<AddInput>(),
        )
        .with_annotations(ToolAnnotations::new().read_only(false).destructive(false)),
    ]
}

/// Runs tool `name` (one of [`NAMES`]) for `caller`: its structured result, or why not.
pub async fn run(
    stores: &Stores,
    caller: &Caller,
    name: &str,
    arguments: JsonObject,
) -> Result<Value, Error> {
    match name {
        "search_catalog" => {
            let params = input::<SearchInput>(arguments)?.params()?;
            let query = search::search_query(&params)?;
            Ok(json!(stores.search.search(&query).await?))
        }
        "similar_books" => {
            let args = input::<SimilarInput>(arguments)?;
            let book = book_id(args.book_id)?;
            let limit =
                search::similar_limit(&query(&search::SIMILAR_PARAMETERS, &[("limit", text(&args.limit))])?)?;
            let similar = stores.search.similar(book, limit).await?;
            Ok(json!({ "books": similar.ok_or_else(|| Error::not_found("book", book))? }))
        }
        "get_book" => {
            let book = book_id(input::<BookInput>(arguments)?.book_id)?;
            Ok(json!(catalog_books::rated_book(stores.books.as_ref(), stores.reviews.as_ref(), book).await?))
        }
        "list_categories" => {
            input::<NoInput>(arguments)?;
            Ok(json!({ "categories": stores.lookups.list_categories().await? }))
        }
        "list_authors" => {
            input::<NoInput>(arguments)?;
            Ok(json!({ "authors": stores.lookups.list_authors().await? }))
        }
        "get_book_reviews" => {
            let args = input::<ReviewsInput>(arguments)?;
            let book = book_id(args.book_id.clone())?;
            let query = reviews::list_query(book, &args.params()?)?;
            Ok(json!(reviews::visible_reviews(stores.books.as_ref(), stores.reviews.as_ref(), &query).await?))
        }
        "get_basket" => {
            let shop = shop_id(input::<BasketInput>(arguments)?.shop_id)?;
            let customer = customer(caller)?;
            Ok(json!(
                basket::priced_basket(stores.books.as_ref(), stores.baskets.as_ref(), customer, shop).await?
            ))
        }
        "add_to_basket" => {
            let args = input::<AddInput>(arguments)?;
            let (shop, book) = (shop_id(args.shop_id)?, book_id(args.book_id));
            let change = basket::Change::Add(args.quantity.unwrap_or(1));
            let customer = customer(caller)?;
            let (books, baskets) = (stores.books.as_ref(), stores.baskets.as_ref());
            Ok(json!(basket::change_quantity(books, baskets, customer, shop, book?, change).await?))
        }
        other => Err(Error::invalid("name", format!("no tool is named {other}"))),
    }
}

/// The caller, if they may keep a basket: the basket API's own rule.
fn customer(caller: &Caller) -> Result<&Principal, Error> {
    let principal = caller.signed_in()?;
    if basket::BASKET_HOLDERS.iter().any(|role| principal.has(*role)) {
        Ok(principal)
    } else {
        Err(Error::Forbidden("Only customers keep baskets.".into()))
    }
}

fn book_id(text: Option<String>) -> Result<BookId, Error> {
    BookId::parse("book_id", &text.ok_or_else(|| Error::invalid("book_id", "is required"))?)
}

fn shop_id(text: Option<String>) -> Result<bookworm_domain::ids::ShopId, Error> {
    parse_shop_id(&text.ok_or_else(|| Error::invalid("shop_id", "is required"))?)
}

/// The arguments as `T`; a field of the wrong type, a missing or an unknown one is named.
fn input<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, Error> {
    serde_path_to_error::deserialize(Value::Object(arguments)).map_err(|error| {
        let message = error.inner().to_string();
        let path = error.path().to_string();
        // serde names a missing or unknown field in its message, not in the path.
        let field = match path.as_str() {
            "." | "" => message.split('`').nth(1).unwrap_or("arguments").to_owned(),
            path => path.to_owned(),
        };
        Error::invalid(field, message)
    })
}

/// The values of a tool's arguments as the HTTP route's query parameters, so that one parser
/// (the route's own) holds both to the same rules.
fn query(accepted: &[&str], pairs: &[(&str, Option<String>)]) -> Result<QueryParams, Error> {
    let mut text = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if let Some(value) = value {
            text.append_pair(name, value);
        }
    }
    QueryParams::from_query(&text.finish(), accepted)
}

fn text<T: ToString>(value: &Option<T>) -> Option<String> {
    value.as_ref().map(ToString::to_string)
}

/// The arguments of `search_catalog`: `GET /search`'s parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// What to look for: words of a title, an author's name, or what the book is about.
    #[schemars(required, with = "String")]
    q: Option<String>,
    /// `hybrid` (default: by words and by meaning), `keyword` (words only) or `semantic`
    /// (meaning only).
    #[schemars(extend("enum" = ["hybrid", "keyword", "semantic"]))]
    mode: Option<String>,
    /// Only books of this category (its id, a UUID: see `list_categories`).
    category_id: Option<String>,
    /// Only books by this author (its id, a UUID: see `list_authors`).
    author_id: Option<String>,
    /// Only books of this publisher (its id, a UUID).
    publisher_id: Option<String>,
    /// The lowest price, e.g. 5 or 9.99.
    #[schemars(range(min = 0))]
    min_price: Option<serde_json::Number>,
    /// The highest price, e.g. 20.
    #[schemars(range(min = 0))]
    max_price: Option<serde_json::Number>,
    /// `true`: only books in stock; `false`: only books out of stock.
    in_stock: Option<bool>,
    /// Books per page, 1 to 100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same query.
    cursor: Option<String>,
}

impl SearchInput {
    fn params(&self) -> Result<QueryParams, Error> {
        query(
            &search::SEARCH_PARAMETERS,
            &[
                ("q", self.q.clone()),
                ("mode", self.mode.clone()),
                ("category_id", self.category_id.clone()),
                ("author_id", self.author_id.clone()),
                ("publisher_id", self.publisher_id.clone()),
                ("min_price", text(&self.min_price)),
                ("max_price", text(&self.max_price)),
                ("in_stock", text(&self.in_stock)),
                ("limit", text(&self.limit)),
                ("cursor", self.cursor.clone()),
            ],
        )
    }
}

/// The arguments of `similar_books`: `GET /books/{id}/similar`'s.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarInput {
    /// The book's id (a UUID), as `search_catalog` gives it.
    #[schemars(required, with = "String")]
    book_id: Option<String>,
    /// How many books, 1 to 20 (default 6).
    #[schemars(range(min = 1, max = 20))]
    limit: Option<u32>,
}

/// The arguments of `get_book`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    /// The book's id (a UUID), as `search_catalog` gives it.
    #[schemars(required, with = "String")]
    book_id: Option<String>,
}

/// No arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// The arguments of `get_book_reviews`: `GET /books/{id}/reviews`'s parameters.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewsInput {
    /// The book's id (a UUID).
    #[schemars(required, with = "String")]
    book_id: Option<String>,
    /// `newest` (default), `highest`, `lowest` or `helpful`.
    #[schemars(extend("enum" = ["newest", "highest", "lowest", "helpful"]))]
    sort: Option<String>,
    /// Only reviews with this many stars, 1 to 5.
    #[schemars(range(min = 1, max = 5))]
    rating: Option<u32>,
    /// Reviews per page, 1 to 100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, with the same `sort` and `rating`.
    cursor: Option<String>,
}

impl ReviewsInput {
    fn params(&self) -> Result<QueryParams, Error> {
        query(
            &reviews::LIST_PARAMETERS,
            &[
                ("sort", self.sort.clone()),
                ("rating", text(&self.rating)),
                ("limit", text(&self.limit)),
                ("cursor", self.cursor.clone()),
            ],
        )
    }
}

/// The arguments of `get_basket`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasketInput {
    /// The shop's id (a UUID): a customer has one basket per shop.
    #[schemars(required, with = "String")]
    shop_id: Option<String>,
}

/// The arguments of `add_to_basket`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddInput {
    /// The shop's id (a UUID).
    #[schemars(required, with = "String")]
    shop_id: Option<String>,
    /// The book's id (a UUID).
    #[schemars(required, with = "String")]
    book_id: Option<String>,
    /// How many copies to add (default 1); the basket holds at most 99 of one book.
    #[schemars(range(min = 1, max = 99))]
    quantity: Option<u32>,
}

/// The tools' schemas, once: `tools/list` is asked often and they never change.
pub fn listed() -> Arc<Vec<Tool>> {
    static TOOLS: std::sync::OnceLock<Arc<Vec<Tool>>> = std::sync::OnceLock::new();
    TOOLS.get_or_init(|| Arc::new(list())).clone()
}

//! Catalog search (public).
//!
//! - `GET /search?q=…`: books ranked by relevance (BM25, title and author above the rest),
//!   typo-tolerant, the last word matched as a prefix; filters `category_id`, `author_id`,
//!   `publisher_id`, `min_price`, `max_price`, `in_stock`; facet counts per category and
//!   publisher; each hit with its score and highlights; `limit` and `cursor` paging.
//!   `mode=keyword|semantic|hybrid` (hybrid by default: the keyword ranking and the ranking by
//!   meaning fused).
//! - `GET /search/suggest?q=…`: up to 10 titles and authors completing what was typed.
//! - `GET /books/{id}/similar?limit=…`: the books nearest in meaning (404 for an unknown book).
//! - `GET /books/{id}/also-bought?limit=…`: the books most often ordered with it, filled from
//!   similar books (404 for an unknown book).
//! - `GET /me/recommendations?limit=…` (signed in): from the caller's orders and well-rated
//!   reviews; never a book they ordered or reviewed (`shelf`).
//!
//! Answers carry no `Cache-Control`: a cached answer would outlive the freshness promised
//! (a catalog change searchable within a minute on AWS, at once locally).
//!
//! The index is the published one (`bookworm_search::PublishedIndex`) in Lambda, and the live
//! one in the local stack: the handler only sees the [`CatalogSearch`] port, and the read
//! ports of [`Stores`].

pub mod shelf;

use bookworm_domain::Error;
use bookworm_domain::copurchase::{SHELF_DEFAULT, SHELF_MAX};
use bookworm_domain::error::Problems;
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{CatalogSearch, CoPurchaseStore, OrderStore, ReviewedBooks};
use bookworm_domain::search::{
    SIMILAR_DEFAULT, SIMILAR_MAX, SearchFilter, SearchMode, SearchQuery, check_text,
};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, json, path_parameter, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Search,
    Suggest,
    Similar,
    AlsoBought,
    Recommendations,
}

/// What the function reads.
pub struct Stores<'a> {
    pub search: &'a dyn CatalogSearch,
    pub co_purchases: &'a dyn CoPurchaseStore,
    /// The buyer's orders (`by_buyer`), for recommendations.
    pub orders: &'a dyn OrderStore,
    /// The buyer's reviews (`by_reviewer`), for recommendations.
    pub reviews: &'a dyn ReviewedBooks,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /search", Access::Public, Op::Search),
    route("GET /search/suggest", Access::Public, Op::Suggest),
    route("GET /books/{id}/similar", Access::Public, Op::Similar),
    route("GET /books/{id}/also-bought", Access::Public, Op::AlsoBought),
    route("GET /me/recommendations", Access::SignedIn, Op::Recommendations),
]);

/// The query parameters of `GET /search`; any other is refused by name.
pub const SEARCH_PARAMETERS: [&str; 10] = [
    "q",
    "mode",
    "category_id",
    "author_id",
    "publisher_id",
    "min_price",
    "max_price",
    "in_stock",
    "limit",
    "cursor",
];
/// The query parameters of `GET /search/suggest`.
pub const SUGGEST_PARAMETERS: [&str; 1] = ["q"];
/// The query parameters of `GET /books/{id}/similar`.
pub const SIMILAR_PARAMETERS: [&str; 1] = ["limit"];
/// The query parameters of `GET /books/{id}/also-bought` and `GET /me/recommendations`.
pub const SHELF_PARAMETERS: [&str; 1] = ["limit"];

pub async fn handle(stores: &Stores<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(stores, &request).await;
    respond(&request, outcome)
}

async fn dispatch(stores: &Stores<'_>, request: &Request) -> Outcome {
    let search = stores.search;
    let call = ROUTES.resolve(request)?;
    match call.op {
        Op::Search => {
            let query = search_query(&QueryParams::parse(request, &SEARCH_PARAMETERS)?)?;
            json(StatusCode::OK, &search.search(&query).await?)
        }
        Op::Suggest => {
            let params = QueryParams::parse(request, &SUGGEST_PARAMETERS)?;
            let prefix = params.get("q").unwrap_or_default();
            check_text("q", prefix)?;
            json(StatusCode::OK, &search.suggest(prefix).await?)
        }
        Op::Similar => {
            let limit = similar_limit(&QueryParams::parse(request, &SIMILAR_PARAMETERS)?)?;
            let id = BookId::parse("id", path_parameter(request, "id").unwrap_or_default())?;
            let similar = search.similar(id, limit).await?;
            json(StatusCode::OK, &similar.ok_or_else(|| Error::not_found("book", id))?)
        }
        Op::AlsoBought => {
            let limit = shelf_limit(&QueryParams::parse(request, &SHELF_PARAMETERS)?)?;
            let id = BookId::parse("id", path_parameter(request, "id").unwrap_or_default())?;
            let shelf = shelf::also_bought(stores, id, limit).await?;
            json(StatusCode::OK, &shelf.ok_or_else(|| Error::not_found("book", id))?)
        }
        Op::Recommendations => {
            let limit = shelf_limit(&QueryParams::parse(request, &SHELF_PARAMETERS)?)?;
            let caller = call.caller()?;
            json(StatusCode::OK, &shelf::recommendations(stores, &caller.user_id, limit).await?)
        }
    }
}

/// `limit` of also-bought and recommendations (1 to 20, 6 by default). Public: the MCP
/// server's `also_bought` tool holds it to the same rule.
pub fn shelf_limit(params: &QueryParams) -> Result<usize, Error> {
    let limit = params.parse_with("limit", |text| {
        text.parse()
            .ok()
            .filter(|n| (1..=SHELF_MAX).contains(n))
            .ok_or_else(|| format!("must be a whole number from 1 to {SHELF_MAX}"))
    })?;
    Ok(limit.unwrap_or(SHELF_DEFAULT))
}

/// `limit` of `GET /books/{id}/similar`, or its default. Public: the MCP server's
/// `similar_books` tool holds it to the same rule.
pub fn similar_limit(params: &QueryParams) -> Result<usize, Error> {
    let limit = params.parse_with("limit", |text| {
        text.parse()
            .ok()
            .filter(|n| (1..=SIMILAR_MAX).contains(n))
            .ok_or_else(|| format!("must be a whole number from 1 to {SIMILAR_MAX}"))
    })?;
    Ok(limit.unwrap_or(SIMILAR_DEFAULT))
}

/// Reads every parameter and reports every bad one at once. Public: the MCP server's
/// `search_catalog` tool takes the same parameters and holds them to the same rules.
pub fn search_query(params: &QueryParams) -> Result<SearchQuery, Error> {
    let mut problems = Problems::default();
    let in_stock = params.parse_with("in_stock", |text| match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    });
    let filter = SearchFilter {
        category: problems.check(params.id("category_id", CategoryId::parse)).flatten(),
        author: problems.check(params.id("author_id", AuthorId::parse)).flatten(),
        publisher: problems.check(params.id("publisher_id", PublisherId::parse)).flatten(),
        min_price: problems.check(params.money("min_price")).flatten(),
        max_price: problems.check(params.money("max_price")).flatten(),
        in_stock: problems.check(in_stock).flatten(),
    };
    let limit = problems.check(params.page_size()).flatten().unwrap_or_default();
    let mode = problems.check(params.id("mode", SearchMode::parse)).flatten().unwrap_or_default();
    let text = params.get("q").unwrap_or_default();
    let query = problems.check(SearchQuery::new(text, filter, limit));
    problems.into_result()?;
    let mut query = query.ok_or_else(|| Error::invalid("q", "is required"))?;
    query.mode = mode;
    match params.get("cursor") {
        Some(cursor) => query.resume(cursor),
        None => Ok(query),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::Money;

    fn fields(text: &str) -> Vec<String> {
        match QueryParams::from_query(text, &SEARCH_PARAMETERS).and_then(|p| search_query(&p)) {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{text}: expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn reads_every_parameter() {
        let author = AuthorId::derived("x");
        let params = QueryParams::from_query(
            &format!(
                "q=sea&author_id={author}&min_price=5&max_price=9.50&in_stock=true&limit=7&mode=semantic"
            ),
            &SEARCH_PARAMETERS,
        )
        .unwrap();
        let query = search_query(&params).unwrap();
        assert_eq!((query.text.as_str(), query.limit.get()), ("sea", 7));
        assert_eq!(query.filter.author, Some(author));
        assert_eq!(query.filter.max_price.map(Money::cents), Some(950));
        assert_eq!(query.filter.in_stock, Some(true));
        assert_eq!(query.mode, SearchMode::Semantic);
        let plain = search_query(&QueryParams::from_query("q=sea", &SEARCH_PARAMETERS).unwrap()).unwrap();
        assert_eq!(plain.mode, SearchMode::Hybrid, "hybrid by default");
    }

    #[test]
    fn each_bad_parameter_is_named() {
        assert_eq!(fields(""), ["q"]);
        assert_eq!(fields("q=%20"), ["q"]);
        assert_eq!(fields("q=a&in_stock=yes"), ["in_stock"]);
        assert_eq!(fields("q=a&category_id=fiction"), ["category_id"]);
        assert_eq!(fields("q=a&min_price=-1"), ["min_price"]);
        assert_eq!(fields("q=a&min_price=9&max_price=5"), ["min_price"]);
        assert_eq!(fields("q=a&limit=0"), ["limit"]);
        assert_eq!(fields("q=a&cursor=garbage"), ["cursor"]);
        assert_eq!(fields("q=a&page=2"), ["page"]);
        assert_eq!(fields("q=a&mode=vector"), ["mode"]);
        assert_eq!(fields("q=a&mode=Hybrid"), ["mode"]);
        assert_eq!(fields("q=a&mode=hybrid&mode=keyword"), ["mode"]);
        assert_eq!(fields("in_stock=maybe&limit=0"), ["in_stock", "limit", "q"]);
    }
}

//! `GET /books` and `GET /books/{id}`: the public book catalog, each book with its rating
//! (average, count and distribution) read from the review store's exact counts.

use bookworm_domain::Error;
use bookworm_domain::catalog::Book;
use bookworm_domain::error::Problems;
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, RatingReader};
use bookworm_domain::query::Page;
use bookworm_domain::query::{BookQuery, Cursor, SortField};
use bookworm_domain::reviews::RatedBook;
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, cacheable, json, path_parameter, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// The query parameters `GET /books` accepts; any other is refused by name.
pub const LIST_PARAMETERS: [&str; 10] = [
    "limit",
    "cursor",
    "sort",
    "order",
    "category_id",
    "author_id",
    "publisher_id",
    "min_price",
    "max_price",
    "q",
];

#[derive(Debug, Clone, Copy)]
pub enum Op {
    List,
    Get,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /books", Access::Public, Op::List),
    route("GET /books/{id}", Access::Public, Op::Get),
]);

pub async fn handle(books: &dyn BookReader, ratings: &dyn RatingReader, request: Request) -> Response<Body> {
    let outcome = dispatch(books, ratings, &request).await;
    respond(&request, outcome)
}

async fn dispatch(books: &dyn BookReader, ratings: &dyn RatingReader, request: &Request) -> Outcome {
    match ROUTES.resolve(request)?.op {
        Op::List => list_books(books, ratings, request).await,
        Op::Get => get_book(books, ratings, path_parameter(request, "id").unwrap_or_default()).await,
    }
}

async fn get_book(books: &dyn BookReader, ratings: &dyn RatingReader, id: &str) -> Outcome {
    let book = rated_book(books, ratings, BookId::parse("id", id)?).await?;
    json(StatusCode::OK, &book).map(cacheable)
}

/// One live book with its rating, as `GET /books/{id}` answers (the MCP tool `get_book` too).
pub async fn rated_book(
    books: &dyn BookReader,
    ratings: &dyn RatingReader,
    id: BookId,
) -> Result<RatedBook, Error> {
    let book = books.get_book(id).await?.ok_or_else(|| Error::not_found("book", id))?;
    let mut rated = rate(ratings, vec![book]).await?;
    rated.pop().ok_or_else(|| Error::not_found("book", id))
}

async fn list_books(books: &dyn BookReader, ratings: &dyn RatingReader, request: &Request) -> Outcome {
    let params = QueryParams::parse(request, &LIST_PARAMETERS)?;
    let page = books.list_books(&book_query(&params)?).await?;
    let page = Page { items: rate(ratings, page.items).await?, next_cursor: page.next_cursor };
    json(StatusCode::OK, &page).map(cacheable)
}

/// The books with their ratings: one batched read for the whole page.
async fn rate(ratings: &dyn RatingReader, books: Vec<Book>) -> Result<Vec<RatedBook>, Error> {
    let ids: Vec<BookId> = books.iter().map(|book| book.id).collect();
    let counts = ratings.ratings(&ids).await?;
    Ok(books
        .into_iter()
        .zip(counts)
        .map(|(book, counts)| RatedBook { book, rating: counts.summary() })
        .collect())
}

/// Reads every parameter and reports every bad one at once.
fn book_query(params: &QueryParams) -> Result<BookQuery, Error> {
    let mut problems = Problems::default();
    let mut query = BookQuery::default();

    let sort = params.parse_with("sort", |text| {
        SortField::parse(text).ok_or_else(|| "must be one of: name, price".to_owned())
    });
    query.sort = problems.check(sort).flatten().unwrap_or_default();
    let descending = params.parse_with("order", |text| match text {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err("must be asc or desc".to_owned()),
    });
    query.descending = problems.check(descending).flatten().unwrap_or(false);
    query.limit = problems.check(params.page_size()).flatten().unwrap_or_default();
    if let Some(cursor) = params.get("cursor") {
        query.after = problems.check(Cursor::decode(cursor, query.sort));
    }

    let filter = &mut query.filter;
    filter.category = problems.check(params.id("category_id", CategoryId::parse)).flatten();
    filter.author = problems.check(params.id("author_id", AuthorId::parse)).flatten();
    filter.publisher = problems.check(params.id("publisher_id", PublisherId::parse)).flatten();
    filter.min_price = problems.check(params.money("min_price")).flatten();
    filter.max_price = problems.check(params.money("max_price")).flatten();
    if let Some(text) = params.get("q") {
        problems.check(filter.set_search(text));
    }
    problems.into_result()?;
    query.validate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::Money;

    fn query(text: &str) -> Result<BookQuery, Error> {
        book_query(&QueryParams::from_query(text, &LIST_PARAMETERS)?)
    }

    fn fields(text: &str) -> Vec<String> {
        match query(text) {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{text}: expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_name_ascending_twenty() {
        let q = query("").unwrap();
        assert_eq!((q.sort, q.descending, q.limit.get()), (SortField::Name, false, 20));
    }

    #[test]
    fn reads_every_parameter() {
        let author = AuthorId::derived("x");
        let q = query(&format!(
            "sort=price&order=desc&limit=7&author_id={author}&min_price=5&max_price=9.50&q=sea"
        ))
        .unwrap();
        assert_eq!((q.sort, q.descending, q.limit.get()), (SortField::Price, true, 7));
        assert_eq!(q.filter.author, Some(author));
        assert_eq!(q.filter.max_price.map(Money::cents), Some(950));
        assert_eq!(q.filter.search.as_deref(), Some("sea"));
    }

    #[test]
    fn each_bad_parameter_is_named() {
        assert_eq!(fields("limit=0"), ["limit"]);
        assert_eq!(fields("limit=abc"), ["limit"]);
        assert_eq!(fields("limit=101"), ["limit"]);
        assert_eq!(fields("sort=bogus"), ["sort"]);
        assert_eq!(fields("order=up"), ["order"]);
        assert_eq!(fields("min_price=-1"), ["min_price"]);
        assert_eq!(fields("max_price=1.001"), ["max_price"]);
        assert_eq!(fields("cursor=garbage"), ["cursor"]);
        assert_eq!(fields("category_id=fiction"), ["category_id"]);
        assert_eq!(fields("q=%20%20"), ["q"]);
        assert_eq!(fields("q=%00"), ["q"], "the text rule, as /search has it");
        assert_eq!(fields("q=%E2%80%AEevil"), ["q"]);
        assert_eq!(fields("q=%EF%BB%BF"), ["q"], "invisible only");
        assert_eq!(fields("min_price=5&max_price=4"), ["min_price"]);
        assert_eq!(fields("limit=0&sort=bogus&page=2"), ["page"]);
        assert_eq!(fields("limit=0&sort=bogus"), ["sort", "limit"]);
    }
}

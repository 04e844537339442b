//! `GET /authors`, `GET /categories`, `GET /publishers`: the catalog's reference lists, each
//! ordered by name, for filter pickers; `GET /authors/{id}` and the like: one of them, for
//! book pages that show a book's author, category and publisher by name.

use bookworm_domain::Error;
use bookworm_domain::ids::{AuthorId, CategoryId, PublisherId};
use bookworm_domain::ports::LookupReader;
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, cacheable, json, path_parameter, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Authors,
    Categories,
    Publishers,
    Author,
    Category,
    Publisher,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /authors", Access::Public, Op::Authors),
    route("GET /categories", Access::Public, Op::Categories),
    route("GET /publishers", Access::Public, Op::Publishers),
    route("GET /authors/{id}", Access::Public, Op::Author),
    route("GET /categories/{id}", Access::Public, Op::Category),
    route("GET /publishers/{id}", Access::Public, Op::Publisher),
]);

pub async fn handle(lookups: &dyn LookupReader, request: Request) -> Response<Body> {
    let outcome = dispatch(lookups, &request).await;
    respond(&request, outcome)
}

async fn dispatch(lookups: &dyn LookupReader, request: &Request) -> Outcome {
    let op = ROUTES.resolve(request)?.op;
    QueryParams::parse(request, &[])?;
    let id = || path_parameter(request, "id").unwrap_or_default();
    match op {
        Op::Authors => items(lookups.list_authors().await?),
        Op::Categories => items(lookups.list_categories().await?),
        Op::Publishers => items(lookups.list_publishers().await?),
        Op::Author => {
            let id = AuthorId::parse("id", id())?;
            one(lookups.get_author(id).await?.ok_or_else(|| Error::not_found("author", id))?)
        }
        Op::Category => {
            let id = CategoryId::parse("id", id())?;
            one(lookups.get_category(id).await?.ok_or_else(|| Error::not_found("category", id))?)
        }
        Op::Publisher => {
            let id = PublisherId::parse("id", id())?;
            one(lookups.get_publisher(id).await?.ok_or_else(|| Error::not_found("publisher", id))?)
        }
    }
}

fn one<T: Serialize>(item: T) -> Outcome {
    json(StatusCode::OK, &item).map(cacheable)
}

/// Lists come wrapped (`{"items": [...]}`) like book pages, so paging can be added later
/// without breaking clients.
fn items<T: Serialize>(items: Vec<T>) -> Outcome {
    #[derive(Serialize)]
    struct Items<T> {
        items: Vec<T>,
    }
    json(StatusCode::OK, &Items { items }).map(cacheable)
}

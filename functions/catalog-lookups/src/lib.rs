//! `GET /authors`, `GET /categories`, `GET /publishers`: the catalog's reference lists, each
//! ordered by name, for filter pickers and book pages.

use bookworm_domain::ports::LookupReader;
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, cacheable, json, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Authors,
    Categories,
    Publishers,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /authors", Access::Public, Op::Authors),
    route("GET /categories", Access::Public, Op::Categories),
    route("GET /publishers", Access::Public, Op::Publishers),
]);

pub async fn handle(lookups: &dyn LookupReader, request: Request) -> Response<Body> {
    let outcome = dispatch(lookups, &request).await;
    respond(&request, outcome)
}

async fn dispatch(lookups: &dyn LookupReader, request: &Request) -> Outcome {
    let op = ROUTES.resolve(request)?.op;
    QueryParams::parse(request, &[])?;
    match op {
        Op::Authors => items(lookups.list_authors().await?),
        Op::Categories => items(lookups.list_categories().await?),
        Op::Publishers => items(lookups.list_publishers().await?),
    }
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

//! `GET /authors`, `GET /categories`, `GET /publishers`: the catalog's reference lists, each
//! ordered by name, for filter pickers and book pages.

use bookworm_domain::ports::LookupReader;
use bookworm_http::{Outcome, QueryParams, cacheable, json, respond};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

pub async fn handle(lookups: &dyn LookupReader, request: Request) -> Response<Body> {
    let outcome = route(lookups, &request).await;
    respond(&request, outcome)
}

async fn route(lookups: &dyn LookupReader, request: &Request) -> Outcome {
    QueryParams::parse(request, &[])?;
    // API Gateway routes only the three declared paths here; the last segment picks the list.
    match request.uri().path().trim_end_matches('/').rsplit('/').next() {
        Some("authors") => items(lookups.list_authors().await?),
        Some("categories") => items(lookups.list_categories().await?),
        Some("publishers") => items(lookups.list_publishers().await?),
        _ => Err(bookworm_domain::Error::not_found("route", request.uri().path())),
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

//! The back office's reads, for admins only (anyone else signed in: 403):
//!
//! - `GET /admin/stats?from=YYYY-MM-DD&to=YYYY-MM-DD`: orders placed, completed, cancelled,
//!   revenue and new customers for every day of the range (at most 366; given by one end, the
//!   30 days from or to it; by neither, the 30 days to today, UTC) and in total, with the catalog's books in stock, out of stock and per category;
//! - `GET /customers?q=…&by=name|email`: the customer directory, by name or email prefix (case
//!   and spacing ignored), paged with a cursor;
//! - `GET /customers/{id}`: one entry (order count, total spent, first and last order) and the
//!   buyer's profile (addresses, phone; empty when never saved); 404 when the figures have
//!   never seen that buyer order.
//!
//! Every figure is kept by the `stats` function from the tables' streams; nothing here counts,
//! and every read is a `GetItem` or a `Query`.

use bookworm_domain::Error;
use bookworm_domain::error::Problems;
use bookworm_domain::figures::{
    CatalogFigures, Customer, CustomerField, CustomerSearch, Day, DayFigures, DayRange, MAX_USER_ID_CHARS,
    Tally,
};
use bookworm_domain::identity::Role;
use bookworm_domain::ids::UserId;
use bookworm_domain::money::CURRENCY;
use bookworm_domain::ports::{FigureReader, LookupReader, ProfileStore};
use bookworm_domain::profile::Profile;
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, json, path_parameter, respond, route};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Stats,
    Customers,
    Customer,
}

const ADMIN: Access = Access::AnyOf(&[Role::Admin]);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /admin/stats", ADMIN, Op::Stats),
    route("GET /customers", ADMIN, Op::Customers),
    route("GET /customers/{id}", ADMIN, Op::Customer),
]);

/// The range when none is asked for: the 30 days to today.
const DEFAULT_DAYS: i64 = 30;

/// What the function reads.
pub struct Stores<'a> {
    pub figures: &'a dyn FigureReader,
    /// The catalog's categories, to name the per-category counts.
    pub lookups: &'a dyn LookupReader,
    /// Buyers' profiles (read only), shown with their directory entry.
    pub profiles: &'a dyn ProfileStore,
}

/// `GET /customers/{id}`: the directory entry and the buyer's profile as it is now.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CustomerView {
    #[serde(flatten)]
    pub customer: Customer,
    /// As `GET /me/profile` shows it to the buyer; one never saved reads as empty (version 0).
    pub profile: Profile,
}

/// `GET /admin/stats`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Stats {
    pub from: Day,
    pub to: Day,
    /// The currency of every amount, in minor units (cents).
    pub currency: String,
    /// Every day of the range, in order, days without orders included (all zero).
    pub days: Vec<DayFigures>,
    /// The range's days added up.
    pub total: Tally,
    /// The catalog now.
    pub catalog: CatalogFigures,
}

pub async fn handle(stores: &Stores<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(stores, &request).await;
    respond(&request, outcome)
}

async fn dispatch(stores: &Stores<'_>, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    call.caller()?;
    match call.op {
        Op::Stats => json(StatusCode::OK, &stats(stores, request).await?),
        Op::Customers => {
            let params = QueryParams::parse(request, &["q", "by", "limit", "cursor"])?;
            let field = params.parse_with("by", CustomerField::parse)?.unwrap_or_default();
            let limit = params.page_size()?.unwrap_or_default();
            let search =
                CustomerSearch::new(field, params.get("q").unwrap_or_default(), params.get("cursor"), limit)?;
            json(StatusCode::OK, &stores.figures.customers(&search).await?)
        }
        Op::Customer => {
            let id = UserId::parse("id", path_parameter(request, "id").unwrap_or_default())?;
            if id.as_str().chars().count() > MAX_USER_ID_CHARS {
                return Err(Error::invalid("id", format!("must be at most {MAX_USER_ID_CHARS} characters")));
            }
            let customer =
                stores.figures.find_customer(&id).await?.ok_or_else(|| Error::not_found("customer", &id))?;
            let profile = stores.profiles.profile(&id).await?.unwrap_or_else(|| Profile::empty(&id));
            json(StatusCode::OK, &CustomerView { customer, profile })
        }
    }
}

async fn stats(stores: &Stores<'_>, request: &Request) -> Result<Stats, Error> {
    let range = range(&QueryParams::parse(request, &["from", "to"])?)?;
    let stored = stores.figures.days(range).await?;
    let mut total = Tally::default();
    let days = range
        .days()
        .map(|day| {
            let tally = stored
                .iter()
                .find(|figures| figures.day == day)
                .map(|figures| figures.tally)
                .unwrap_or_default();
            total.add(&tally);
            DayFigures { day, tally }
        })
        .collect();
    let mut catalog = stores.figures.catalog_figures().await?;
    let categories = stores.lookups.list_categories().await?;
    for figure in &mut catalog.by_category {
        figure.name =
            categories.iter().find(|category| category.id == figure.category_id).map(|c| c.name.clone());
    }
    Ok(Stats { from: range.from, to: range.to, currency: CURRENCY.to_owned(), days, total, catalog })
}

/// `from` and `to`, each checked, then together. A range given by one end is the 30 days from
/// (or to) it; by neither, the 30 days to today (UTC).
fn range(params: &QueryParams) -> Result<DayRange, Error> {
    let mut problems = Problems::default();
    let from = params.get("from").and_then(|text| problems.check(Day::parse("from", text)));
    let to = params.get("to").and_then(|text| problems.check(Day::parse("to", text)));
    problems.into_result()?;
    let span = DEFAULT_DAYS - 1;
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, from.plus_days(span).unwrap_or(from)),
        (None, Some(to)) => (to.minus_days(span).unwrap_or(to), to),
        (None, None) => {
            let today = Day::of_time(&bookworm_domain::clock::now_rfc3339())?;
            (today.minus_days(span).unwrap_or(today), today)
        }
    };
    DayRange::new(from, to)
}

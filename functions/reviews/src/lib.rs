//! Book reviews.
//!
//! - `GET /books/{id}/reviews` (public): a live book's visible reviews, `sort=newest|highest|
//!   lowest|helpful`, `rating=1..5`, cursor paging.
//! - `POST /books/{id}/reviews` (signed in): one review per account per book (a second is 409),
//!   at most `REVIEWS_PER_DAY` new ones a day (429 with `Retry-After`). The name shown comes
//!   from the token; a completed order containing the book earns the verified-purchase mark.
//! - `GET`, `PUT`, `DELETE /books/{id}/reviews/mine`: the caller's own review.
//! - `POST /reviews/{id}/helpful` and `/reports` (signed in, once per account, not on one's own
//!   review). `REVIEW_REPORTS_TO_HIDE` distinct reports hide a review until a moderator looks.
//! - `GET /reviews?status=reported|hidden`, `POST /reviews/{id}/restore`, `DELETE
//!   /reviews/{id}` (support, admins).
//!
//! Every change is one store write with the book's rating counts and its event.

use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::events::{EventCursor, RemovedBy, ShopEvent};
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ids::{BookId, ReviewId};
use bookworm_domain::ports::ReviewWrite;
use bookworm_domain::ports::{BookReader, Purchases, ReviewStore};
use bookworm_domain::query::Page;
use bookworm_domain::reviews::{
    DEFAULT_REPORTS_TO_HIDE, DEFAULT_REVIEWS_PER_DAY, DailyQuota, Mark, OwnReview, PublicReview,
    ReportReason, ReportedQuery, Review, ReviewCursor, ReviewInput, ReviewQuery, ReviewSort, Saved,
};
use bookworm_http::access::Access;
use bookworm_http::{
    Outcome, QueryParams, Routes, json, json_body, no_content, path_parameter, respond, route,
};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    List,
    Create,
    GetMine,
    EditMine,
    DeleteMine,
    Vote,
    Report,
    Queue,
    Restore,
    Remove,
}

const MODERATORS: Access = Access::AnyOf(&[Role::Support, Role::Admin]);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /books/{id}/reviews", Access::Public, Op::List),
    route("POST /books/{id}/reviews", Access::SignedIn, Op::Create),
    route("GET /books/{id}/reviews/mine", Access::SignedIn, Op::GetMine),
    route("PUT /books/{id}/reviews/mine", Access::SignedIn, Op::EditMine),
    route("DELETE /books/{id}/reviews/mine", Access::SignedIn, Op::DeleteMine),
    route("POST /reviews/{id}/helpful", Access::SignedIn, Op::Vote),
    route("POST /reviews/{id}/reports", Access::SignedIn, Op::Report),
    route("GET /reviews", MODERATORS, Op::Queue),
    route("POST /reviews/{id}/restore", MODERATORS, Op::Restore),
    route("DELETE /reviews/{id}", MODERATORS, Op::Remove),
]);

/// Attempts of a change racing another change to the same review.
const ATTEMPTS: usize = 8;

/// The query parameters of `GET /books/{id}/reviews`.
pub const LIST_PARAMETERS: [&str; 4] = ["sort", "rating", "limit", "cursor"];
/// The query parameters of `GET /reviews`.
pub const QUEUE_PARAMETERS: [&str; 3] = ["status", "limit", "cursor"];

/// The moderation policy, from the function's environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Distinct accounts whose reports hide a review.
    pub reports_to_hide: u32,
    /// New reviews per account per UTC day.
    pub reviews_per_day: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self { reports_to_hide: DEFAULT_REPORTS_TO_HIDE, reviews_per_day: DEFAULT_REVIEWS_PER_DAY }
    }
}

impl Policy {
    /// `REVIEW_REPORTS_TO_HIDE` (1–100) and `REVIEWS_PER_DAY` (1–1000), defaults when unset.
    pub fn from_env() -> Result<Self, Error> {
        let read = |name: &'static str, default: u32, max: u32| match std::env::var(name) {
            Err(_) => Ok(default),
            Ok(text) => text.trim().parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                Error::unavailable("configuration", format!("{name} must be a number from 1 to {max}"))
            }),
        };
        Ok(Self {
            reports_to_hide: read("REVIEW_REPORTS_TO_HIDE", DEFAULT_REPORTS_TO_HIDE, 100)?,
            reviews_per_day: read("REVIEWS_PER_DAY", DEFAULT_REVIEWS_PER_DAY, 1000)?,
        })
    }
}

/// What the function works with.
pub struct Reviews<'a> {
    pub books: &'a dyn BookReader,
    pub reviews: &'a dyn ReviewStore,
    pub purchases: &'a dyn Purchases,
    pub policy: Policy,
}

/// Why a reader reports a review.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    // `Option` only so that a missing reason is reported by name; the schema requires it.
    #[schemars(required, with = "ReportReason")]
    reason: Option<ReportReason>,
}

pub async fn handle(service: &Reviews<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(service, &request).await;
    respond(&request, outcome)
}

async fn dispatch(service: &Reviews<'_>, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let signed_in = || call.caller();
    let id = || path_parameter(request, "id").unwrap_or_default();
    let review_id = || ReviewId::parse("id", id());
    match call.op {
        Op::List => list(service, BookId::parse("id", id())?, request).await,
        Op::Create => create(service, signed_in()?, BookId::parse("id", id())?, request).await,
        Op::GetMine => {
            let book = live_book(service, BookId::parse("id", id())?).await?;
            json(StatusCode::OK, &OwnReview::from(&own_review(service, signed_in()?, book).await?))
        }
        Op::EditMine => edit(service, signed_in()?, BookId::parse("id", id())?, request).await,
        Op::DeleteMine => delete_own(service, signed_in()?, BookId::parse("id", id())?).await,
        Op::Vote => vote(service, signed_in()?, review_id()?).await,
        Op::Report => report(service, signed_in()?, review_id()?, request).await,
        Op::Queue => queue(service, request).await,
        Op::Restore => restore(service, review_id()?).await,
        Op::Remove => remove(service, review_id()?).await,
    }
}

/// The book, if live: reviews of a deleted book are neither listed nor written.
async fn live_book(service: &Reviews<'_>, id: BookId) -> Result<BookId, Error> {
    service.books.get_book(id).await?.ok_or_else(|| Error::not_found("book", id))?;
    Ok(id)
}

async fn own_review(service: &Reviews<'_>, caller: &Principal, book: BookId) -> Result<Review, Error> {
    service
        .reviews
        .review_by(book, &caller.user_id)
        .await?
        .ok_or_else(|| Error::not_found("review of yours for book", book))
}

/// A review other readers may see and act on; a hidden one is not found.
async fn visible_review(service: &Reviews<'_>, id: ReviewId) -> Result<Review, Error> {
    match service.reviews.review(id).await? {
        Some(review) if review.is_visible() => Ok(review),
        _ => Err(Error::not_found("review", id)),
    }
}

async fn list(service: &Reviews<'_>, book: BookId, request: &Request) -> Outcome {
    let query = list_query(book, &QueryParams::parse(request, &LIST_PARAMETERS)?)?;
    json(StatusCode::OK, &visible_reviews(service.books, service.reviews, &query).await?)
}

/// The query of `GET /books/{id}/reviews` from its parameters, every bad one named. Public:
/// the MCP server's `get_book_reviews` tool takes the same parameters.
pub fn list_query(book: BookId, params: &QueryParams) -> Result<ReviewQuery, Error> {
    let mut problems = bookworm_domain::error::Problems::default();
    let sort = problems.check(params.parse_with("sort", |text| {
        ReviewSort::parse(text).ok_or_else(|| "must be one of: newest, highest, lowest, helpful".to_owned())
    }));
    let rating = problems.check(params.parse_with("rating", |text| {
        text.parse::<u8>()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or_else(|| "must be a whole number from 1 to 5".to_owned())
    }));
    let limit = problems.check(params.page_size());
    problems.into_result()?;
    let mut query = ReviewQuery {
        book,
        sort: sort.flatten().unwrap_or_default(),
        rating: rating.flatten(),
        after: None,
        limit: limit.flatten().unwrap_or_default(),
    };
    query.after = params.get("cursor").map(|text| ReviewCursor::decode(text, query.listing())).transpose()?;
    query.validate()
}

/// A page of a live book's visible reviews, as readers see them.
pub async fn visible_reviews(
    books: &dyn BookReader,
    reviews: &dyn ReviewStore,
    query: &ReviewQuery,
) -> Result<Page<PublicReview>, Error> {
    books.get_book(query.book).await?.ok_or_else(|| Error::not_found("book", query.book))?;
    let page = reviews.list_reviews(query).await?;
    Ok(Page { items: page.items.iter().map(PublicReview::from).collect(), next_cursor: page.next_cursor })
}

async fn create(service: &Reviews<'_>, caller: &Principal, book: BookId, request: &Request) -> Outcome {
    let content = json_body::<ReviewInput>(request)?.validate()?;
    live_book(service, book).await?;
    let verified = service.purchases.bought(&caller.user_id, book).await?;
    let review = Review::new(book, caller, content, verified, now_rfc3339());
    let quota = DailyQuota::today(&caller.user_id, service.policy.reviews_per_day);
    let event = ShopEvent::review_changed(&review, true);
    let write =
        ReviewWrite { quota: Some(&quota), event: Some(&event), ..ReviewWrite::new(None, Some(&review)) };
    match service.reviews.write_review(&write).await? {
        Saved::Done => {
            let mut response = json(StatusCode::CREATED, &OwnReview::from(&review))?;
            let location = format!("/books/{book}/reviews/mine");
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            Ok(response)
        }
        Saved::Stale | Saved::AlreadyMarked => Err(Error::Conflict(format!(
            "You have reviewed this book already; edit it with PUT /books/{book}/reviews/mine \
             (a review removed by moderation cannot be replaced)."
        ))),
        Saved::OverQuota => Err(Error::TooMany {
            detail: format!(
                "You can write at most {} new reviews a day; try again after midnight UTC.",
                service.policy.reviews_per_day
            ),
            retry_after: DailyQuota::retry_after(),
        }),
        Saved::BookGone => Err(Error::not_found("book", book)),
    }
}

/// Applies `change` to the current review until it is written over no other change, or the
/// change refuses. `change` gives the new review, its mark and its event, or `Err` to stop.
async fn retry_on_stale<F>(
    service: &Reviews<'_>,
    target: Target<'_>,
    mut change: F,
) -> Result<(Review, Option<Review>), Error>
where
    F: FnMut(&Review) -> Result<Planned, Error>,
{
    for _ in 0..ATTEMPTS {
        let current = target.load(service).await?;
        let planned = change(&current)?;
        let write = ReviewWrite {
            mark: planned.mark.as_ref(),
            event: planned.event.as_ref(),
            bar_reviewer: planned.bar_reviewer,
            ..ReviewWrite::new(Some(&current), planned.next.as_ref())
        };
        match service.reviews.write_review(&write).await? {
            Saved::Done => return Ok((current, planned.next)),
            Saved::Stale => continue,
            Saved::AlreadyMarked => {
                return Err(Error::Conflict(planned.already.unwrap_or("Already done.").to_owned()));
            }
            Saved::OverQuota | Saved::BookGone => {
                return Err(Error::Conflict("the review cannot change now".into()));
            }
        }
    }
    Err(Error::Conflict("the review is changing; try again".into()))
}

/// One planned change of a review.
struct Planned {
    /// What it becomes; `None`: removed.
    next: Option<Review>,
    mark: Option<Mark>,
    event: Option<ShopEvent>,
    /// What to say when the mark was left already.
    already: Option<&'static str>,
    /// On a removal: no new review of the book by its author.
    bar_reviewer: bool,
}

/// Which review a change applies to.
enum Target<'p> {
    /// The caller's review of a book.
    Own(&'p Principal, BookId),
    /// A visible review (readers' votes and reports).
    Visible(ReviewId),
    /// Any review, hidden or not (moderators).
    Any(ReviewId),
}

impl Target<'_> {
    async fn load(&self, service: &Reviews<'_>) -> Result<Review, Error> {
        match self {
            Self::Own(caller, book) => own_review(service, caller, *book).await,
            Self::Visible(id) => visible_review(service, *id).await,
            Self::Any(id) => service.reviews.review(*id).await?.ok_or_else(|| Error::not_found("review", id)),
        }
    }
}

async fn edit(service: &Reviews<'_>, caller: &Principal, book: BookId, request: &Request) -> Outcome {
    let content = json_body::<ReviewInput>(request)?.validate()?;
    live_book(service, book).await?;
    let verified = service.purchases.bought(&caller.user_id, book).await?;
    let (_, next) = retry_on_stale(service, Target::Own(caller, book), |current| {
        let next = current.edited(caller, content.clone(), verified, now_rfc3339());
        let event = ShopEvent::review_changed(&next, false);
        Ok(Planned { next: Some(next), mark: None, event: Some(event), already: None, bar_reviewer: false })
    })
    .await?;
    json(StatusCode::OK, &next.as_ref().map(OwnReview::from))
}

async fn delete_own(service: &Reviews<'_>, caller: &Principal, book: BookId) -> Outcome {
    retry_on_stale(service, Target::Own(caller, book), |current| {
        let event = ShopEvent::review_removed(current, RemovedBy::Author);
        // Deleting a review that reports hid is no way to post a fresh one past moderation.
        let bar_reviewer = !current.is_visible();
        Ok(Planned { next: None, mark: None, event: Some(event), already: None, bar_reviewer })
    })
    .await?;
    Ok(no_content())
}

fn not_ones_own(caller: &Principal, review: &Review, what: &str) -> Result<(), Error> {
    if review.reviewer_id == caller.user_id {
        return Err(Error::Forbidden(format!("You cannot {what} your own review.")));
    }
    Ok(())
}

async fn vote(service: &Reviews<'_>, caller: &Principal, id: ReviewId) -> Outcome {
    let (_, next) = retry_on_stale(service, Target::Visible(id), |current| {
        not_ones_own(caller, current, "vote for")?;
        Ok(Planned {
            next: Some(current.voted_helpful()),
            mark: Some(Mark::Helpful { review: id, account: caller.user_id.clone() }),
            event: None,
            already: Some("You marked this review helpful already."),
            bar_reviewer: false,
        })
    })
    .await?;
    json(StatusCode::OK, &next.as_ref().map(PublicReview::from))
}

async fn report(service: &Reviews<'_>, caller: &Principal, id: ReviewId, request: &Request) -> Outcome {
    let reason =
        json_body::<ReportInput>(request)?.reason.ok_or_else(|| Error::invalid("reason", "is required"))?;
    let hide_at = service.policy.reports_to_hide;
    retry_on_stale(service, Target::Visible(id), |current| {
        not_ones_own(caller, current, "report")?;
        let next = current.reported(reason, hide_at, now_rfc3339());
        // Merchants and moderators hear of a review only when reports hide it.
        let event = (!next.is_visible()).then(|| ShopEvent::review_changed(&next, false));
        Ok(Planned {
            next: Some(next),
            mark: Some(Mark::Report { review: id, account: caller.user_id.clone(), reason }),
            event,
            already: Some("You reported this review already."),
            bar_reviewer: false,
        })
    })
    .await?;
    Ok(no_content())
}

async fn queue(service: &Reviews<'_>, request: &Request) -> Outcome {
    let params = QueryParams::parse(request, &QUEUE_PARAMETERS)?;
    let hidden_only = params.parse_with("status", |text| match text {
        "reported" => Ok(false),
        "hidden" => Ok(true),
        _ => Err("must be reported or hidden".to_owned()),
    })?;
    let query = ReportedQuery {
        hidden_only: hidden_only.unwrap_or(false),
        after: params.get("cursor").map(EventCursor::decode).transpose()?.map(|cursor| cursor.0),
        limit: params.page_size()?.unwrap_or_default(),
    };
    json(StatusCode::OK, &service.reviews.reported(&query).await?)
}

async fn restore(service: &Reviews<'_>, id: ReviewId) -> Outcome {
    let current = service.reviews.review(id).await?.ok_or_else(|| Error::not_found("review", id))?;
    if current.is_visible() && current.reports == 0 {
        return json(StatusCode::OK, &current); // nothing to restore: the same answer again
    }
    let (_, next) = retry_on_stale(service, Target::Any(id), |current| {
        let next = current.restored();
        let event = ShopEvent::review_changed(&next, false);
        Ok(Planned { next: Some(next), mark: None, event: Some(event), already: None, bar_reviewer: false })
    })
    .await?;
    json(StatusCode::OK, &next)
}

async fn remove(service: &Reviews<'_>, id: ReviewId) -> Outcome {
    retry_on_stale(service, Target::Any(id), |current| {
        let event = ShopEvent::review_removed(current, RemovedBy::Moderator);
        Ok(Planned { next: None, mark: None, event: Some(event), already: None, bar_reviewer: true })
    })
    .await?;
    Ok(no_content())
}

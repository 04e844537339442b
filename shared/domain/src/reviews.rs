//! Reviews: a signed-in reader's rating (1–5) and words about a book, one per account per book;
//! the book's exact rating aggregate; helpful votes, reports and moderation.
//!
//! Stores keep the aggregate as integer counts per star, changed in the same write as the
//! review ([`ReviewWrite`](crate::ports::ReviewWrite)): the sum and the average are derived from those counts, so nothing
//! can drift. Only visible reviews count; hiding or removing one takes it out, restoring puts
//! it back.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::error::Problems;
use crate::identity::Principal;
use crate::ids::{BookId, ReviewId, UserId};
use crate::text::Lines;

pub const RATING_MAX: u8 = 5;
pub const TITLE_MAX: usize = 120;
pub const COMMENT_MAX: usize = 2000;
/// Display names come from tokens, which may carry anything; longer ones are cut.
pub const REVIEWER_NAME_MAX: usize = 80;
/// Distinct accounts whose reports hide a review until a moderator looks (`REVIEW_REPORTS_TO_HIDE`).
pub const DEFAULT_REPORTS_TO_HIDE: u32 = 3;
/// New reviews one account may write per UTC day (`REVIEWS_PER_DAY`).
pub const DEFAULT_REVIEWS_PER_DAY: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Listed and counted in the book's rating.
    Visible,
    /// Reported by enough accounts: out of lists and the rating until a moderator restores it.
    Hidden,
}

/// Why a reader reports a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Spam,
    Abuse,
    OffTopic,
    Spoiler,
    Other,
}

/// A review as stored. Readers see it through [`PublicReview`]; its author and moderators see
/// it whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Review {
    pub id: ReviewId,
    pub book_id: BookId,
    /// The author's account (the token's `sub`). Never shown to other readers.
    pub reviewer_id: UserId,
    /// From the author's token (`name`, else the username) when written, never from the body.
    pub reviewer_name: String,
    #[schemars(range(min = 1, max = RATING_MAX))]
    pub rating: u8,
    pub title: Option<String>,
    pub comment: Option<String>,
    /// The author had a completed order containing the book when they last wrote the review.
    pub verified_purchase: bool,
    pub status: ReviewStatus,
    /// Accounts that marked it helpful.
    pub helpful: u32,
    /// Accounts that reported it since a moderator last looked.
    pub reports: u32,
    /// Those reports by reason.
    #[serde(default)]
    pub report_reasons: BTreeMap<ReportReason, u32>,
    /// RFC 3339 UTC, milliseconds.
    pub created_at: String,
    pub updated_at: String,
    /// When it was last reported (RFC 3339), while reports are open.
    #[serde(default)]
    pub reported_at: Option<String>,
    /// Bumped by every change: a write applies only to the revision it was made from.
    pub revision: u64,
}

/// What a reader sends to write or edit a review.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    // `Option` only so that a missing rating is reported by name; the schema requires it.
    /// Stars, 1 to 5.
    #[schemars(required, with = "u8", range(min = 1, max = RATING_MAX))]
    #[serde(deserialize_with = "crate::whole::option")]
    pub rating: Option<u8>,
    /// A headline; blank counts as none.
    #[schemars(length(max = TITLE_MAX), extend("pattern" = crate::text::pattern(Lines::One, false)))]
    #[serde(default)]
    pub title: Option<String>,
    /// The review's text; blank counts as none. Stored as given: whoever renders it escapes it.
    #[schemars(length(max = COMMENT_MAX), extend("pattern" = crate::text::pattern(Lines::Many, false)))]
    #[serde(default)]
    pub comment: Option<String>,
}

/// The checked content of a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewContent {
    pub rating: u8,
    pub title: Option<String>,
    pub comment: Option<String>,
}

impl ReviewInput {
    /// Checks every rule and reports every broken one, naming its field.
    pub fn validate(self) -> Result<ReviewContent, Error> {
        let mut problems = Problems::default();
        match self.rating {
            None => problems.add("rating", "is required"),
            Some(rating) if !(1..=RATING_MAX).contains(&rating) => {
                problems.add("rating", format!("must be a whole number from 1 to {RATING_MAX}"))
            }
            Some(_) => {}
        }
        let title = problems.check(optional_text("title", self.title, TITLE_MAX, Lines::One)).flatten();
        let comment =
            problems.check(optional_text("comment", self.comment, COMMENT_MAX, Lines::Many)).flatten();
        problems.into_result()?;
        Ok(ReviewContent { rating: self.rating.unwrap_or_default(), title, comment })
    }
}

/// Checked text ([`crate::text`]); `None` when absent or blank.
fn optional_text(
    field: &str,
    text: Option<String>,
    max: usize,
    lines: Lines,
) -> Result<Option<String>, Error> {
    Ok(text.map(|text| crate::text::optional(field, &text, max, lines)).transpose()?.flatten())
}

/// The name a review shows: the token's `name`, else its username, else "Reader"; cut to
/// [`REVIEWER_NAME_MAX`] characters.
pub fn display_name(principal: &Principal) -> String {
    let name = [principal.name.as_deref(), principal.username.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|name| !name.is_empty())
        .unwrap_or("Reader");
    crate::text::displayable(name, REVIEWER_NAME_MAX)
}

impl Review {
    /// A new, visible review by `author` at `now`.
    pub fn new(
        book_id: BookId,
        author: &Principal,
        content: ReviewContent,
        verified_purchase: bool,
        now: String,
    ) -> Self {
        Self {
            id: ReviewId::random(),
            book_id,
            reviewer_id: author.user_id.clone(),
            reviewer_name: display_name(author),
            rating: content.rating,
            title: content.title,
            comment: content.comment,
            verified_purchase,
            status: ReviewStatus::Visible,
            helpful: 0,
            reports: 0,
            report_reasons: BTreeMap::new(),
            created_at: now.clone(),
            updated_at: now,
            reported_at: None,
            revision: 1,
        }
    }

    /// The review with new content (and the author's current name and purchase mark).
    pub fn edited(
        &self,
        author: &Principal,
        content: ReviewContent,
        verified_purchase: bool,
        now: String,
    ) -> Self {
        Self {
            reviewer_name: display_name(author),
            rating: content.rating,
            title: content.title,
            comment: content.comment,
            verified_purchase,
            updated_at: now,
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    /// The review with one more helpful vote.
    pub fn voted_helpful(&self) -> Self {
        Self { helpful: self.helpful + 1, revision: self.revision + 1, ..self.clone() }
    }

    /// The review with one more report; hidden once `reports_to_hide` accounts reported it.
    pub fn reported(&self, reason: ReportReason, reports_to_hide: u32, now: String) -> Self {
        let mut next = Self { reports: self.reports + 1, revision: self.revision + 1, ..self.clone() };
        *next.report_reasons.entry(reason).or_default() += 1;
        next.reported_at = Some(now);
        if next.reports >= reports_to_hide {
            next.status = ReviewStatus::Hidden;
        }
        next
    }

    /// A moderator kept it: visible again, its open reports dismissed. The accounts that
    /// reported it cannot report it again.
    pub fn restored(&self) -> Self {
        Self {
            status: ReviewStatus::Visible,
            reports: 0,
            report_reasons: BTreeMap::new(),
            reported_at: None,
            revision: self.revision + 1,
            ..self.clone()
        }
    }

    pub fn is_visible(&self) -> bool {
        self.status == ReviewStatus::Visible
    }

    /// Its key in the listing of `sort`. Every listing reads newest first within ties, and
    /// the id suffix makes each key unique, so pages never skip or repeat a review that keeps
    /// its key. A vote (helpful order) or a new star count (star orders) moves a review: one
    /// moving while a reader pages may be seen twice or not at all, as in any live ranking.
    pub fn sort_key(&self, sort: ReviewSort) -> String {
        let tail = format!("{}#{}", self.created_at, self.id);
        match sort {
            ReviewSort::Newest => tail,
            ReviewSort::Highest => format!("{}#{tail}", self.rating),
            // Descending over 6 − rating puts one star first, newest first within each star.
            ReviewSort::Lowest => format!("{}#{tail}", RATING_MAX + 1 - self.rating),
            ReviewSort::Helpful => format!("{:010}#{tail}", self.helpful),
        }
    }

    /// Its key in the moderation queue (latest report first), while it has open reports.
    pub fn queue_key(&self) -> Option<String> {
        (self.reports > 0).then(|| format!("{}#{}", self.reported_at.as_deref().unwrap_or(""), self.id))
    }
}

/// A review as every reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PublicReview {
    pub id: ReviewId,
    pub book_id: BookId,
    pub reviewer_name: String,
    #[schemars(range(min = 1, max = RATING_MAX))]
    pub rating: u8,
    pub title: Option<String>,
    pub comment: Option<String>,
    pub verified_purchase: bool,
    pub helpful: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Review> for PublicReview {
    fn from(review: &Review) -> Self {
        Self {
            id: review.id,
            book_id: review.book_id,
            reviewer_name: review.reviewer_name.clone(),
            rating: review.rating,
            title: review.title.clone(),
            comment: review.comment.clone(),
            verified_purchase: review.verified_purchase,
            helpful: review.helpful,
            created_at: review.created_at.clone(),
            updated_at: review.updated_at.clone(),
        }
    }
}

/// The author's own review: what readers see, and whether it is hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OwnReview {
    #[serde(flatten)]
    pub review: PublicReview,
    pub status: ReviewStatus,
}

impl From<&Review> for OwnReview {
    fn from(review: &Review) -> Self {
        Self { review: review.into(), status: review.status }
    }
}

/// Orders of a book's review list; each reads descending over [`Review::sort_key`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSort {
    #[default]
    Newest,
    Highest,
    Lowest,
    Helpful,
}

impl ReviewSort {
    pub const ALL: [ReviewSort; 4] = [Self::Newest, Self::Highest, Self::Lowest, Self::Helpful];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Highest => "highest",
            Self::Lowest => "lowest",
            Self::Helpful => "helpful",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.as_str() == text)
    }
}

/// Where a review list resumes: the sort key of the last review seen, tagged with its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewCursor {
    pub sort: ReviewSort,
    pub key: String,
}

impl ReviewCursor {
    pub fn after(sort: ReviewSort, review: &Review) -> Self {
        Self { sort, key: review.sort_key(sort) }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.sort.as_str(), self.key))
    }

    /// Only what [`ReviewCursor::encode`] makes for this order: the star or helpful-count
    /// prefix it has, a millisecond UTC time and a hyphenated UUID. Anything else is a 400 here
    /// rather than a start key DynamoDB refuses (a 503) later.
    pub fn decode(text: &str, sort: ReviewSort) -> Result<Self, Error> {
        let bad = || Error::invalid("cursor", "is not a cursor from this list");
        if text.len() > 200 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (tag, key) = text.split_once(':').ok_or_else(bad)?;
        if tag != sort.as_str() {
            return Err(bad());
        }
        let (prefix, time_and_id) = match sort {
            ReviewSort::Newest => (None, key),
            _ => key.split_once('#').map(|(prefix, rest)| (Some(prefix), rest)).ok_or_else(bad)?,
        };
        let prefix_is_ours = match (sort, prefix) {
            (ReviewSort::Newest, None) => true,
            (ReviewSort::Highest | ReviewSort::Lowest, Some(stars)) => {
                stars.len() == 1 && stars.parse::<u8>().is_ok_and(|n| (1..=RATING_MAX).contains(&n))
            }
            (ReviewSort::Helpful, Some(count)) => {
                count.len() == 10 && count.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        };
        if !prefix_is_ours || !crate::clock::is_time_and_id(time_and_id) {
            return Err(bad());
        }
        Ok(Self { sort, key: key.to_owned() })
    }

    /// The id of the review the cursor points after.
    pub fn review_id(&self) -> Option<ReviewId> {
        self.key.rsplit('#').next().and_then(|id| id.parse().ok())
    }
}

/// One page of a book's visible reviews.
#[derive(Debug, Clone)]
pub struct ReviewQuery {
    pub book: BookId,
    pub sort: ReviewSort,
    /// Only reviews with this many stars.
    pub rating: Option<u8>,
    pub after: Option<ReviewCursor>,
    pub limit: crate::query::PageSize,
}

impl ReviewQuery {
    /// The order actually read. With a star filter, newest and lowest first read the highest
    /// listing within that star: the same reviews in the same order, from one key range.
    pub fn listing(&self) -> ReviewSort {
        match (self.sort, self.rating) {
            (ReviewSort::Newest | ReviewSort::Lowest, Some(_)) => ReviewSort::Highest,
            (sort, _) => sort,
        }
    }

    /// The key prefix every review of the listing has (the star, when filtered by star and
    /// read from the star listing).
    pub fn key_prefix(&self) -> Option<String> {
        match (self.listing(), self.rating) {
            (ReviewSort::Highest, Some(stars)) => Some(format!("{stars}#")),
            _ => None,
        }
    }

    /// The query, if its cursor belongs to it (a cursor from another star's list would start
    /// outside the range read).
    pub fn validate(self) -> Result<Self, Error> {
        if let (Some(after), Some(prefix)) = (&self.after, self.key_prefix())
            && !after.key.starts_with(&prefix)
        {
            return Err(Error::invalid("cursor", "is not a cursor from this list"));
        }
        Ok(self)
    }

    /// Whether `review` belongs in this list at all (the cursor aside).
    pub fn admits(&self, review: &Review) -> bool {
        review.book_id == self.book && review.is_visible() && self.rating.is_none_or(|r| review.rating == r)
    }
}

/// Which reported reviews a moderator lists, latest report first.
#[derive(Debug, Clone, Default)]
pub struct ReportedQuery {
    /// Only those hidden pending moderation (else every review with open reports).
    pub hidden_only: bool,
    /// The queue key of the last review seen.
    pub after: Option<String>,
    pub limit: crate::query::PageSize,
}

/// A book's ratings: how many visible reviews gave each number of stars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    /// `counts[0]`: one star … `counts[4]`: five stars.
    pub counts: [u64; 5],
}

impl Ratings {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Every visible review's stars added up, exactly.
    pub fn sum(&self) -> u64 {
        self.counts.iter().zip(1..).map(|(count, stars)| count * stars).sum()
    }

    /// The mean to one decimal, rounded half up, computed in integers; `None` without reviews.
    pub fn average_tenths(&self) -> Option<u64> {
        let count = self.count();
        (count > 0).then(|| (20 * self.sum() + count) / (2 * count))
    }

    /// What a change does to each star's count: the review as it was leaves (if it counted),
    /// the review as it will be joins (if it counts).
    pub fn delta(before: Option<&Review>, after: Option<&Review>) -> [i64; 5] {
        let mut delta = [0i64; 5];
        for (review, sign) in [(before, -1), (after, 1)] {
            if let Some(review) = review.filter(|review| review.is_visible()) {
                delta[usize::from(review.rating.clamp(1, RATING_MAX)) - 1] += sign;
            }
        }
        delta
    }

    /// These ratings after `delta` (counts never go below zero).
    pub fn apply(mut self, delta: [i64; 5]) -> Self {
        for (count, change) in self.counts.iter_mut().zip(delta) {
            *count = count.saturating_add_signed(change);
        }
        self
    }

    pub fn summary(&self) -> RatingSummary {
        RatingSummary {
            average_rating: self.average_tenths().map(|tenths| tenths as f64 / 10.0),
            review_count: self.count(),
            rating_distribution: Distribution {
                one: self.counts[0],
                two: self.counts[1],
                three: self.counts[2],
                four: self.counts[3],
                five: self.counts[4],
            },
        }
    }
}

/// A book's rating as readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RatingSummary {
    /// The mean of the visible reviews' stars, to one decimal; `null` before the first review.
    pub average_rating: Option<f64>,
    /// Visible reviews.
    pub review_count: u64,
    /// Visible reviews per number of stars.
    pub rating_distribution: Distribution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Distribution {
    #[serde(rename = "1")]
    pub one: u64,
    #[serde(rename = "2")]
    pub two: u64,
    #[serde(rename = "3")]
    pub three: u64,
    #[serde(rename = "4")]
    pub four: u64,
    #[serde(rename = "5")]
    pub five: u64,
}

/// A book with its rating: what the catalog answers.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RatedBook {
    #[serde(flatten)]
    pub book: crate::catalog::Book,
    #[serde(flatten)]
    pub rating: RatingSummary,
}

/// A mark one account may leave on a review once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mark {
    Helpful { review: ReviewId, account: UserId },
    Report { review: ReviewId, account: UserId, reason: ReportReason },
}

/// The daily cap a new review counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyQuota {
    pub account: UserId,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub limit: u32,
}

impl DailyQuota {
    /// Today's quota for `account` (UTC).
    pub fn today(account: &UserId, limit: u32) -> Self {
        let today = time::OffsetDateTime::now_utc().date();
        Self { account: account.clone(), day: today.to_string(), limit }
    }

    /// The first day whose quota records still matter (yesterday, UTC): older ones may go.
    pub fn oldest_kept_day() -> String {
        (time::OffsetDateTime::now_utc() - time::Duration::days(1)).date().to_string()
    }

    /// Seconds until the quota resets, at the next UTC midnight (at least 1).
    pub fn retry_after() -> u64 {
        (86_400 - crate::clock::unix_now() % 86_400).max(1)
    }
}

/// What a review write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Done,
    /// The stored review is no longer `before` (or a new one exists already): reload, retry.
    Stale,
    /// This account left this mark already.
    AlreadyMarked,
    /// The author reached today's cap.
    OverQuota,
    /// The book is gone (deleted): no new reviews.
    BookGone,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(rating: Option<u8>, title: Option<&str>, comment: Option<&str>) -> ReviewInput {
        ReviewInput { rating, title: title.map(Into::into), comment: comment.map(Into::into) }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other}"),
        }
    }

    #[test]
    fn every_broken_rule_is_named() {
        let long_title = "t".repeat(TITLE_MAX + 1);
        let err = input(Some(6), Some(&long_title), Some("bell\u{7}")).validate().unwrap_err();
        assert_eq!(fields(err), ["rating", "title", "comment"]);
        assert_eq!(fields(input(None, None, None).validate().unwrap_err()), ["rating"]);
        assert_eq!(fields(input(Some(0), None, None).validate().unwrap_err()), ["rating"]);
        assert_eq!(fields(input(Some(3), Some("a\nb"), None).validate().unwrap_err()), ["title"]);
        let reversed = input(Some(3), Some("good \u{202E}doog"), Some("\u{2067}x\u{2069}")).validate();
        assert_eq!(fields(reversed.unwrap_err()), ["title", "comment"]);
        assert!(input(Some(3), Some("كتاب رائع"), None).validate().is_ok(), "right-to-left text is fine");
    }

    #[test]
    fn text_is_kept_as_given_but_trimmed_and_blank_is_none() {
        let content = input(Some(5), Some("  "), Some(" <b>Great</b>\n& more ")).validate().unwrap();
        assert_eq!(content.title, None);
        assert_eq!(content.comment.as_deref(), Some("<b>Great</b>\n& more"));
        let exact = "é".repeat(COMMENT_MAX);
        assert!(input(Some(1), None, Some(&exact)).validate().is_ok(), "characters, not bytes");
    }

    #[test]
    fn the_average_is_exact_and_rounded_half_up() {
        let ratings = Ratings { counts: [0, 0, 1, 0, 1] }; // 3 and 5: 4.0
        assert_eq!(ratings.average_tenths(), Some(40));
        let ratings = Ratings { counts: [0, 0, 0, 1, 1] }; // 4.5
        assert_eq!(ratings.summary().average_rating, Some(4.5));
        let ratings = Ratings { counts: [1, 0, 0, 0, 2] }; // 11/3 = 3.666…
        assert_eq!(ratings.average_tenths(), Some(37));
        let ratings = Ratings { counts: [0, 0, 0, 3, 17] }; // 4.85 → 4.9 (half up, no float)
        assert_eq!(ratings.average_tenths(), Some(49));
        assert_eq!(Ratings::default().summary().average_rating, None);
        assert_eq!(serde_json::to_value(ratings.summary()).unwrap()["rating_distribution"]["5"], 17);
    }

    fn review(rating: u8) -> Review {
        let principal = Principal::sample("ann");
        let content = ReviewContent { rating, title: None, comment: None };
        Review::new(BookId::random(), &principal, content, false, crate::clock::now_rfc3339())
    }

    #[test]
    fn only_visible_reviews_count() {
        let (four, two) = (review(4), review(2));
        assert_eq!(Ratings::delta(None, Some(&four)), [0, 0, 0, 1, 0]);
        assert_eq!(Ratings::delta(Some(&four), Some(&two)), [0, 1, 0, -1, 0]);
        let hidden = four.reported(ReportReason::Spam, 1, crate::clock::now_rfc3339());
        assert_eq!(hidden.status, ReviewStatus::Hidden);
        assert_eq!(Ratings::delta(Some(&four), Some(&hidden)), [0, 0, 0, -1, 0]);
        assert_eq!(Ratings::delta(Some(&hidden), Some(&hidden.restored())), [0, 0, 0, 1, 0]);
        assert_eq!(Ratings::delta(Some(&hidden), None), [0; 5], "a hidden review had left already");
    }

    #[test]
    fn reports_hide_at_the_threshold_and_restore_dismisses_them() {
        let mut r = review(3);
        r = r.reported(ReportReason::Spam, 3, "2026-01-01T00:00:00.000Z".into());
        r = r.reported(ReportReason::Spam, 3, "2026-01-01T00:00:01.000Z".into());
        assert!(r.is_visible());
        r = r.reported(ReportReason::Abuse, 3, "2026-01-01T00:00:02.000Z".into());
        assert!(!r.is_visible());
        assert_eq!(r.report_reasons[&ReportReason::Spam], 2);
        assert!(r.queue_key().unwrap().starts_with("2026-01-01T00:00:02.000Z#"));
        let restored = r.restored();
        assert!(restored.is_visible());
        assert_eq!((restored.reports, restored.queue_key()), (0, None));
    }

    #[test]
    fn sort_keys_order_each_listing() {
        let (mut low, mut high) = (review(1), review(5));
        low.helpful = 12;
        high.helpful = 3;
        let desc = |sort, a: &Review, b: &Review| a.sort_key(sort) > b.sort_key(sort);
        assert!(desc(ReviewSort::Highest, &high, &low));
        assert!(desc(ReviewSort::Lowest, &low, &high));
        assert!(desc(ReviewSort::Helpful, &low, &high), "12 > 3 compared as padded text");
        let cursor = ReviewCursor::after(ReviewSort::Lowest, &low);
        assert_eq!(ReviewCursor::decode(&cursor.encode(), ReviewSort::Lowest).unwrap(), cursor);
        assert_eq!(cursor.review_id(), Some(low.id));
        assert!(ReviewCursor::decode(&cursor.encode(), ReviewSort::Newest).is_err());
        assert!(ReviewCursor::decode("bm90IGEgY3Vyc29y", ReviewSort::Newest).is_err());
        for forged in [
            format!("lowest:7#{}", low.sort_key(ReviewSort::Newest)),
            format!("helpful:12#{}", low.sort_key(ReviewSort::Newest)),
            format!("newest:{}#x", low.created_at),
            format!("newest:2026-01-01T00:00:00Z#{}", low.id),
        ] {
            let text = URL_SAFE_NO_PAD.encode(&forged);
            let sort = ReviewSort::parse(forged.split(':').next().unwrap()).unwrap();
            assert!(ReviewCursor::decode(&text, sort).is_err(), "{forged}");
        }
    }

    #[test]
    fn a_star_filter_reads_one_key_range_and_refuses_cursors_from_another() {
        let four = review(4);
        let query = |sort, after| ReviewQuery {
            book: four.book_id,
            sort,
            rating: Some(4),
            after,
            limit: Default::default(),
        };
        assert_eq!(query(ReviewSort::Lowest, None).listing(), ReviewSort::Highest);
        assert_eq!(query(ReviewSort::Helpful, None).listing(), ReviewSort::Helpful);
        let from_five =
            ReviewCursor { sort: ReviewSort::Highest, key: review(5).sort_key(ReviewSort::Highest) };
        assert!(query(ReviewSort::Newest, Some(from_five)).validate().is_err());
        let from_four = ReviewCursor::after(ReviewSort::Highest, &four);
        assert!(query(ReviewSort::Newest, Some(from_four)).validate().is_ok());
    }

    #[test]
    fn the_display_name_comes_from_the_token() {
        let mut who = Principal { name: Some("  ".into()), ..Principal::sample("ann_b") };
        assert_eq!(display_name(&who), "ann_b", "a blank name falls back to the username");
        who.name = Some(format!("Ann\u{0}{}", "x".repeat(200)));
        assert_eq!(display_name(&who).chars().count(), REVIEWER_NAME_MAX);
        assert!(!display_name(&who).contains('\u{0}'));
        who.name = Some("\u{202E}nimda".into());
        assert_eq!(display_name(&who), "nimda");
    }
}

//! Catalog search: what a shopper asks ([`SearchQuery`]), what comes back ([`SearchResults`],
//! [`Suggestion`]), and the versions of the built index ([`IndexPointer`]). The engine behind the
//! [`CatalogSearch`](crate::ports::CatalogSearch) port is an adapter (`bookworm-search`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{Author, Book, BookStatus, Category, Publisher};
use crate::error::Problems;
use crate::ids::{AuthorId, BookId, CategoryId, PublisherId};
use crate::query::PageSize;
use crate::{Error, Money};

/// Longest query text, in characters as sent.
pub const QUERY_MAX_CHARS: usize = 200;
/// Most words a query may have: more only slows the search without changing what ranks first.
pub const QUERY_WORDS_MAX: usize = 12;
/// How deep paging goes. Past the first thousand hits a shopper refines the query; a deeper
/// offset would make every page cost as much as all the pages before it.
pub const RESULTS_DEPTH_MAX: usize = 1_000;
/// Most completions `GET /search/suggest` returns.
pub const SUGGESTIONS_MAX: usize = 10;
/// Most books `GET /books/{id}/similar` returns, and how many by default.
pub const SIMILAR_MAX: usize = 20;
pub const SIMILAR_DEFAULT: usize = 6;
/// Books any one author may have among a book's similar books: the shelf is not just more of
/// the same author.
pub const SIMILAR_PER_AUTHOR: usize = 2;

/// Filters that narrow the matching set; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchFilter {
    pub category: Option<CategoryId>,
    pub author: Option<AuthorId>,
    pub publisher: Option<PublisherId>,
    /// Bounds on the selling price (the sale price when there is one), inclusive.
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    pub in_stock: Option<bool>,
}

/// How a search ranks books.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// By the words: BM25 with typos and prefixes.
    Keyword,
    /// By meaning: the cosine of the query's and each book's embedding.
    Semantic,
    /// Both rankings fused (reciprocal-rank fusion).
    #[default]
    Hybrid,
}

impl SearchMode {
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        match text {
            "keyword" => Ok(Self::Keyword),
            "semantic" => Ok(Self::Semantic),
            "hybrid" => Ok(Self::Hybrid),
            _ => Err(Error::invalid(field, "must be keyword, semantic or hybrid")),
        }
    }
}

/// A validated search: the words, the filters and which slice of the ranking to return.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub text: String,
    pub filter: SearchFilter,
    pub mode: SearchMode,
    /// Hits to skip: where the cursor points.
    pub offset: usize,
    pub limit: PageSize,
}

impl SearchQuery {
    /// Checks the text and the filters, naming each bad field.
    pub fn new(text: &str, filter: SearchFilter, limit: PageSize) -> Result<Self, Error> {
        let mut problems = Problems::default();
        problems.check(check_text("q", text));
        if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
            && min > max
        {
            problems.add("min_price", "must not exceed max_price");
        }
        problems.into_result()?;
        // Trailing white space is kept: it says the last word is finished (no prefix match).
        Ok(Self { text: text.trim_start().to_owned(), filter, mode: SearchMode::default(), offset: 0, limit })
    }

    /// Resumes at `cursor`, which must have been returned for this same query.
    pub fn resume(mut self, cursor: &str) -> Result<Self, Error> {
        self.offset = SearchCursor::decode(cursor, self.fingerprint())?.offset;
        Ok(self)
    }

    /// The cursor of the page after this one, when the ranking goes on past it.
    pub fn next_cursor(&self, total: u64) -> Option<String> {
        let next = self.offset + self.limit.get();
        (next < RESULTS_DEPTH_MAX && (next as u64) < total)
            .then(|| SearchCursor { offset: next, query: self.fingerprint() }.encode())
    }

    /// A short hash of the text, filters and mode, so a cursor is refused on any other query.
    fn fingerprint(&self) -> u32 {
        let f = &self.filter;
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.text.trim_end().to_lowercase(),
            self.mode,
            f.category,
            f.author,
            f.publisher,
            f.min_price.map(Money::cents),
            f.max_price.map(Money::cents),
            f.in_stock
        );
        // FNV-1a: stable across Rust releases, unlike std's hasher, so cursors stay valid.
        key.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
    }
}

/// Checks a query or prefix text: the text rule ([`crate::text`]), and not too many words.
pub fn check_text(field: &str, text: &str) -> Result<(), Error> {
    crate::text::required(field, text, QUERY_MAX_CHARS, crate::text::Lines::One)?;
    if text.split_whitespace().count() > QUERY_WORDS_MAX {
        Err(Error::invalid(field, format!("must have at most {QUERY_WORDS_MAX} words")))
    } else {
        Ok(())
    }
}

/// A position in one query's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SearchCursor {
    offset: usize,
    query: u32,
}

impl SearchCursor {
    fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("search:{}:{:08x}", self.offset, self.query))
    }

    fn decode(text: &str, query: u32) -> Result<Self, Error> {
        let garbled = || Error::invalid("cursor", "is not a cursor this API returned");
        if text.len() > 64 {
            return Err(garbled());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| garbled())?;
        let text = String::from_utf8(bytes).map_err(|_| garbled())?;
        let mut parts = text.split(':');
        let (Some("search"), Some(offset), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(garbled());
        };
        let offset: usize = offset.parse().map_err(|_| garbled())?;
        let hash = u32::from_str_radix(hash, 16).map_err(|_| garbled())?;
        if offset == 0 || offset >= RESULTS_DEPTH_MAX {
            return Err(garbled());
        }
        if hash != query {
            return Err(Error::invalid("cursor", "belongs to another query (text or filters changed)"));
        }
        Ok(Self { offset, query })
    }
}

/// A book as search shows it: what a results list needs, names included, in one read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BookCard {
    pub id: BookId,
    pub name: String,
    pub description: String,
    pub authors: Vec<Author>,
    pub category: Category,
    pub publisher: Publisher,
    pub price: Money,
    pub sale_price: Option<Money>,
    pub status: BookStatus,
}

impl BookCard {
    /// The book with the author, category and publisher records it refers to.
    pub fn new(book: Book, authors: Vec<Author>, category: Category, publisher: Publisher) -> Self {
        Self {
            id: book.id,
            name: book.name,
            description: book.description,
            authors,
            category,
            publisher,
            price: book.price,
            sale_price: book.sale_price,
            status: book.status,
        }
    }

    pub fn selling_price(&self) -> Money {
        self.sale_price.unwrap_or(self.price)
    }
}

/// The fields of a hit where a query word matched, HTML-escaped, each match in `<mark>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Highlights {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The matching author names only; absent when none matched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// An excerpt of about 160 characters around the first match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SearchHit {
    pub book: BookCard,
    /// Relevance: BM25 with field boosts (`keyword`), the cosine similarity (`semantic`), or
    /// the reciprocal-rank fusion score (`hybrid`). Higher is better; comparable within one
    /// answer only.
    pub score: f32,
    pub highlights: Highlights,
}

/// How many matching books fall under one category or publisher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FacetCount {
    pub id: Uuid,
    pub name: String,
    pub count: u64,
}

/// Counts per category and per publisher, most books first. Each dimension is counted with
/// every filter but its own, so a shopper who picked one category still sees the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub publishers: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Books matching the query and filters, on all pages: in `semantic` mode those near
    /// enough in meaning, in `hybrid` mode those matching the words or near in meaning.
    pub total: u64,
    pub facets: Facets,
    /// Pass as `cursor` (with the same query) for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// `true` when no book matched every word, so these hits match some of them.
    pub partial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Title,
    Author,
}

/// A completion for what a shopper has typed so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Suggestion {
    pub text: String,
    /// `text` HTML-escaped, with the typed words in `<mark>`.
    pub highlighted: String,
    pub kind: SuggestionKind,
    /// The book (for a title) or the author.
    pub id: Uuid,
}

/// A book near another in meaning.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SimilarBook {
    pub book: BookCard,
    /// The cosine of the two books' embeddings, at most 1: higher is nearer.
    pub similarity: f32,
}

/// The current version of the built search index, as its store records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPointer {
    /// Counts up by one with every published version.
    pub version: u64,
    /// Where the store keeps this version (a file name, an S3 object version): never rewritten.
    pub object: String,
    pub books: u64,
    pub bytes: u64,
    pub built_at: String,
    /// The pointer's own revision in its store (an S3 ETag), for compare-and-swap.
    #[serde(skip)]
    pub revision: String,
}

/// What publishing a new index version found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// The pointer now names the new version.
    Current(IndexPointer),
    /// Another publisher moved the pointer first; nothing points at what was written.
    Stale,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> SearchQuery {
        SearchQuery::new(text, SearchFilter::default(), PageSize::new(10).unwrap()).unwrap()
    }

    fn field(result: Result<impl std::fmt::Debug, Error>) -> Vec<String> {
        match result {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn cursors_walk_the_ranking_and_stop_at_its_end_or_the_depth_cap() {
        let first = query("austen");
        let cursor = first.next_cursor(25).unwrap();
        let second = query("austen").resume(&cursor).unwrap();
        assert_eq!(second.offset, 10);
        let third = query("austen").resume(&second.next_cursor(25).unwrap()).unwrap();
        assert_eq!(third.offset, 20);
        assert_eq!(third.next_cursor(25), None, "25 hits end on the third page");
        let deep = SearchQuery { offset: RESULTS_DEPTH_MAX - 10, ..query("a") };
        assert_eq!(deep.next_cursor(u64::MAX), None, "no page past the depth cap");
    }

    #[test]
    fn a_cursor_is_refused_on_another_query_or_when_forged() {
        let cursor = query("austen").next_cursor(100).unwrap();
        assert_eq!(field(query("dickens").resume(&cursor)), ["cursor"]);
        let mut filtered = query("austen");
        filtered.filter.in_stock = Some(true);
        assert_eq!(field(filtered.resume(&cursor)), ["cursor"]);
        let keyword = SearchQuery { mode: SearchMode::Keyword, ..query("austen") };
        assert_eq!(field(keyword.resume(&cursor)), ["cursor"], "a hybrid cursor on a keyword ranking");
        for forged in ["", "x", &URL_SAFE_NO_PAD.encode("search:5000:00000000"), &"A".repeat(100)] {
            assert_eq!(field(query("austen").resume(forged)), ["cursor"], "{forged}");
        }
        let hash = query("austen").fingerprint();
        let zero = URL_SAFE_NO_PAD.encode(format!("search:0:{hash:08x}"));
        assert_eq!(field(query("austen").resume(&zero)), ["cursor"]);
    }

    #[test]
    fn text_is_required_bounded_and_printable() {
        let new = |text: &str| SearchQuery::new(text, SearchFilter::default(), PageSize::default());
        assert_eq!(field(new("   ")), ["q"]);
        assert_eq!(field(new(&"a".repeat(QUERY_MAX_CHARS + 1))), ["q"]);
        assert_eq!(field(new("tab\there")), ["q"]);
        assert_eq!(field(new(&"w ".repeat(QUERY_WORDS_MAX + 1))), ["q"]);
        assert_eq!(new("  Emma ").unwrap().text, "Emma ");
    }

    #[test]
    fn an_inverted_price_range_names_min_price() {
        let filter = SearchFilter {
            min_price: Some("9".parse().unwrap()),
            max_price: Some("5".parse().unwrap()),
            ..SearchFilter::default()
        };
        assert_eq!(field(SearchQuery::new("emma", filter, PageSize::default())), ["min_price"]);
    }
}

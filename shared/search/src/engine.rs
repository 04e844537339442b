//! Ranked search and suggestions over one [`CatalogIndex`].
//!
//! Each query word becomes the best (disjunction max) of its matches across the text fields,
//! each weighted by its field's boost: the word itself scored by BM25, a word within its typo
//! allowance and, for the last word, a word it begins, both at a constant score below an exact
//! match. Every word must match; when no book matches them all, any word will do and the
//! answer says so (`partial`). Filters restrict without scoring.

use std::collections::HashSet;
use std::ops::Bound;

use bookworm_domain::Error;
use bookworm_domain::search::{
    BookCard, FacetCount, Facets, Highlights, SUGGESTIONS_MAX, SearchFilter, SearchHit, SearchQuery,
    SearchResults, Suggestion, SuggestionKind,
};
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::index::{CatalogIndex, failed};
use crate::matcher::{QueryWords, typos_allowed};
use crate::schema::{Fields, TextField};

/// Weight of a typo match relative to the field's exact match (whose BM25 is usually 2–10).
const TYPO_WEIGHT: f32 = 0.5;
/// Weight of a prefix match relative to the field's exact match.
const PREFIX_WEIGHT: f32 = 0.8;
/// Share of the other fields' scores a word keeps beside its best field's.
const TIE_BREAKER: f32 = 0.1;
/// Characters of description an excerpt shows.
const EXCERPT_WIDTH: usize = 160;
/// Facet entries returned per dimension.
const FACETS_MAX: usize = 20;
/// Books read to find distinct completions.
const SUGGEST_CANDIDATES: usize = 40;

/// The answer when nothing can match.
pub(crate) fn no_results() -> SearchResults {
    SearchResults { hits: Vec::new(), total: 0, facets: Facets::default(), next_cursor: None, partial: false }
}

impl CatalogIndex {
    /// Ranked by the words alone (`mode=keyword`).
    pub(crate) fn keyword_search(&self, query: &SearchQuery) -> Result<SearchResults, Error> {
        let words = QueryWords::parse(&query.text)?;
        if words.words.is_empty() {
            // Only punctuation or symbols: nothing can match, which is not the shopper's error.
            return Ok(no_results());
        }
        let searcher = self.reader.searcher();
        let mut partial = false;
        let mut text = text_query(&self.fields, &words, Occur::Must);
        let mut found = self.collect(&searcher, &*text, &query.filter, query)?;
        if found.total == 0 && words.words.len() > 1 {
            partial = true;
            text = text_query(&self.fields, &words, Occur::Should);
            found = self.collect(&searcher, &*text, &query.filter, query)?;
        }
        let mut facets = Facets {
            categories: facet_list(&found.facets, "/category"),
            publishers: facet_list(&found.facets, "/publisher"),
        };
        // Each dimension counts with every filter but its own.
        if query.filter.category.is_some() {
            let others = SearchFilter { category: None, ..query.filter.clone() };
            facets.categories = facet_list(&self.facet_counts(&searcher, &*text, &others)?, "/category");
        }
        if query.filter.publisher.is_some() {
            let others = SearchFilter { publisher: None, ..query.filter.clone() };
            facets.publishers = facet_list(&self.facet_counts(&searcher, &*text, &others)?, "/publisher");
        }
        let hits = found
            .top
            .into_iter()
            .map(|(score, address)| {
                let book = self.card(&searcher, address)?;
                let highlights = highlights(&words, &book);
                Ok(SearchHit { book, score, highlights })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(SearchResults {
            hits,
            total: found.total,
            facets,
            next_cursor: query.next_cursor(found.total),
            partial,
        })
    }

    /// Titles and author names that contain every typed word, the last as a prefix.
    pub fn suggest(&self, prefix: &str) -> Result<Vec<Suggestion>, Error> {
        let words = QueryWords::parse(prefix)?;
        if words.words.is_empty() {
            return Ok(Vec::new());
        }
        let fields = [self.fields.title, self.fields.authors];
        let clauses =
            (0..words.words.len()).map(|i| (Occur::Must, word_query(&fields, &words, i))).collect::<Vec<_>>();
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(SUGGEST_CANDIDATES).order_by_score())
            .map_err(failed)?;
        let mut seen = HashSet::new();
        let mut suggestions = Vec::new();
        for (_, address) in top {
            let card = self.card(&searcher, address)?;
            let authors = card.authors.iter().map(|a| (a.name.as_str(), SuggestionKind::Author, a.id.0));
            for (text, kind, id) in
                std::iter::once((card.name.as_str(), SuggestionKind::Title, card.id.0)).chain(authors)
            {
                if words.all_match(text) && seen.insert((kind, text.to_lowercase())) {
                    let highlighted = words.mark(text, true).unwrap_or_else(|| crate::matcher::escape(text));
                    suggestions.push(Suggestion { text: text.to_owned(), highlighted, kind, id });
                }
            }
            if suggestions.len() >= SUGGESTIONS_MAX {
                break;
            }
        }
        suggestions.truncate(SUGGESTIONS_MAX);
        Ok(suggestions)
    }

    fn collect(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filter: &SearchFilter,
        query: &SearchQuery,
    ) -> Result<Found, Error> {
        let top = TopDocs::with_limit(query.limit.get()).and_offset(query.offset).order_by_score();
        let (top, total, facets) = searcher
            .search(&filtered(&self.fields, text, filter), &(top, Count, facet_collector()))
            .map_err(failed)?;
        Ok(Found { top, total: total as u64, facets })
    }

    fn facet_counts(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filter: &SearchFilter,
    ) -> Result<FacetCounts, Error> {
        searcher.search(&filtered(&self.fields, text, filter), &facet_collector()).map_err(failed)
    }

    pub(crate) fn card(&self, searcher: &Searcher, address: DocAddress) -> Result<BookCard, Error> {
        let doc: TantivyDocument = searcher.doc(address).map_err(failed)?;
        let bytes = doc
            .get_first(self.fields.card)
            .and_then(|value| value.as_bytes())
            .ok_or_else(|| Error::unavailable("search index", "a book without its card"))?;
        serde_json::from_slice(bytes).map_err(|e| Error::unavailable("search index", e))
    }
}

struct Found {
    top: Vec<(f32, DocAddress)>,
    total: u64,
    facets: FacetCounts,
}

pub(crate) fn facet_collector() -> FacetCollector {
    let mut collector = FacetCollector::for_field("facets");
    collector.add_facet("/category");
    collector.add_facet("/publisher");
    collector
}

/// The counts under `/category` or `/publisher`, most first, ties by name.
pub(crate) fn facet_list(counts: &FacetCounts, dimension: &str) -> Vec<FacetCount> {
    let mut list: Vec<FacetCount> = counts
        .get(dimension)
        .filter_map(|(facet, count)| {
            let segment = facet.to_path().pop()?;
            let (id, name) = segment.split_once(' ')?;
            Some(FacetCount { id: id.parse().ok()?, name: name.to_owned(), count })
        })
        .collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    list.truncate(FACETS_MAX);
    list
}

/// Every word (`Must`) or any word (`Should`) of the query.
pub(crate) fn text_query(fields: &Fields, words: &QueryWords, occur: Occur) -> Box<dyn Query> {
    let clauses = (0..words.words.len()).map(|i| (occur, word_query(&fields.text(), words, i))).collect();
    Box::new(BooleanQuery::new(clauses))
}

/// The best match of query word `index` in any of `fields`.
fn word_query(fields: &[TextField], words: &QueryWords, index: usize) -> Box<dyn Query> {
    let word = &words.words[index];
    let typos = typos_allowed(word);
    let prefix = words.last_is_prefix && index + 1 == words.words.len();
    let mut disjuncts: Vec<Box<dyn Query>> = Vec::new();
    for field in fields {
        let term = Term::from_field_text(field.field, word);
        let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        disjuncts.push(Box::new(BoostQuery::new(Box::new(exact), field.boost)));
        if typos > 0 {
            let fuzzy = ConstScoreQuery::new(Box::new(FuzzyTermQuery::new(term.clone(), typos, true)), 1.0);
            disjuncts.push(Box::new(BoostQuery::new(Box::new(fuzzy), field.boost * TYPO_WEIGHT)));
        }
        if prefix && field.prefix {
            let starts = ConstScoreQuery::new(Box::new(FuzzyTermQuery::new_prefix(term, 0, true)), 1.0);
            disjuncts.push(Box::new(BoostQuery::new(Box::new(starts), field.boost * PREFIX_WEIGHT)));
        }
    }
    Box::new(DisjunctionMaxQuery::with_tie_breaker(disjuncts, TIE_BREAKER))
}

/// `text` restricted by every filter, the filters adding nothing to the score.
pub(crate) fn filtered(fields: &Fields, text: &dyn Query, filter: &SearchFilter) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text.box_clone())];
    let mut require =
        |query: Box<dyn Query>| clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0))));
    let id_term = |field, id: String| {
        Box::new(TermQuery::new(Term::from_field_text(field, &id), IndexRecordOption::Basic))
    };
    if let Some(id) = filter.category {
        require(id_term(fields.category_id, id.to_string()));
    }
    if let Some(id) = filter.author {
        require(id_term(fields.author_id, id.to_string()));
    }
    if let Some(id) = filter.publisher {
        require(id_term(fields.publisher_id, id.to_string()));
    }
    if filter.min_price.is_some() || filter.max_price.is_some() {
        let bound = |price: Option<bookworm_domain::Money>| {
            price.map_or(Bound::Unbounded, |p| Bound::Included(Term::from_field_u64(fields.price, p.cents())))
        };
        require(Box::new(RangeQuery::new(bound(filter.min_price), bound(filter.max_price))));
    }
    if let Some(in_stock) = filter.in_stock {
        require(Box::new(TermQuery::new(
            Term::from_field_bool(fields.in_stock, in_stock),
            IndexRecordOption::Basic,
        )));
    }
    BooleanQuery::new(clauses)
}

pub(crate) fn highlights(words: &QueryWords, card: &BookCard) -> Highlights {
    Highlights {
        name: words.mark(&card.name, true),
        authors: card.authors.iter().filter_map(|a| words.mark(&a.name, true)).collect(),
        category: words.mark(&card.category.name, true),
        publisher: words.mark(&card.publisher.name, true),
        description: words.excerpt(&card.description, EXCERPT_WIDTH),
    }
}

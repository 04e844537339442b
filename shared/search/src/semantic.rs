//! Search by meaning and hybrid search over one [`CatalogIndex`].
//!
//! - `semantic`: the books passing the filters whose cosine with the query is at least
//!   [`SIMILARITY_FLOOR`], nearest first, exact (a dot product per book).
//! - `hybrid`: the keyword ranking (every word, else any word: `partial`) and the semantic one
//!   fused by reciprocal rank: a book scores `Σ 1 / (60 + rank)` over the rankings it is in.
//!
//! `total` and the facets count the books a mode finds (semantic: near enough; hybrid: matching
//! the words or near enough), each facet dimension with every filter but its own, as keyword
//! mode does. tantivy counts them: the semantic books enter its query as a set of ids.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use bookworm_domain::Error;
use bookworm_domain::ids::{AuthorId, BookId};
use bookworm_domain::search::{
    Facets, RESULTS_DEPTH_MAX, SIMILAR_PER_AUTHOR, SearchFilter, SearchHit, SearchMode, SearchQuery,
    SearchResults, SimilarBook,
};
use bookworm_embed::Embedder;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Searcher, Term};

use crate::engine::{facet_collector, facet_list, filtered, highlights, no_results, text_query};
use crate::index::{CatalogIndex, failed};
use crate::matcher::QueryWords;

/// The least cosine at which a book counts as near the query in meaning. For this model,
/// unrelated short texts score about 0–0.2 and a paraphrase of a book's subject 0.4–0.7
/// (measured on the seed catalog: docs/search.md, "Relevance").
pub const SIMILARITY_FLOOR: f32 = 0.25;
/// Reciprocal-rank fusion's constant: the usual 60, so the first few ranks of either list
/// weigh about alike and a long tail adds little.
const RRF_K: f32 = 60.0;

/// The model named by `BOOKWORM_MODEL_DIR`; `None` when it is not set.
pub fn embedder_from_env() -> Result<Option<Arc<Embedder>>, Error> {
    let Some(folder) = std::env::var_os("BOOKWORM_MODEL_DIR") else { return Ok(None) };
    let started = std::time::Instant::now();
    let embedder = Embedder::load(Path::new(&folder)).map_err(|e| Error::unavailable("search model", e))?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "search model loaded");
    Ok(Some(Arc::new(embedder)))
}

impl CatalogIndex {
    /// Ranked as `query.mode` says. Without a model, `hybrid` ranks by the words alone and
    /// `semantic` is unavailable.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, Error> {
        match query.mode {
            SearchMode::Keyword => self.keyword_search(query),
            SearchMode::Hybrid if !self.has_vectors() => self.keyword_search(query),
            SearchMode::Semantic if !self.has_vectors() => {
                Err(Error::unavailable("search by meaning", "no model is loaded"))
            }
            SearchMode::Semantic | SearchMode::Hybrid => self.fused_search(query),
        }
    }

    fn fused_search(&self, query: &SearchQuery) -> Result<SearchResults, Error> {
        let words = QueryWords::parse(&query.text)?;
        let Some(meaning) = self.embed_query(query.text.trim()).transpose() else {
            return Err(Error::unavailable("search by meaning", "no model is loaded"));
        };
        if words.words.is_empty() {
            return Ok(no_results());
        }
        let meaning = meaning?;
        let searcher = self.reader.searcher();
        let near = |filter: &SearchFilter| -> Result<Vec<(BookId, f32)>, Error> {
            Ok(self.vectors()?.nearest(&meaning, filter, SIMILARITY_FLOOR, RESULTS_DEPTH_MAX))
        };
        let semantic = near(&query.filter)?;

        // The keyword side, as keyword mode ranks it, to the depth paging reaches.
        let (text, ranked, partial) = if query.mode == SearchMode::Hybrid {
            let (mut text, mut partial) = (text_query(&self.fields, &words, Occur::Must), false);
            let mut top = self.top_ids(&searcher, &*text, &query.filter)?;
            if top.is_empty() && words.words.len() > 1 {
                (text, partial) = (text_query(&self.fields, &words, Occur::Should), true);
                top = self.top_ids(&searcher, &*text, &query.filter)?;
            }
            (Some(text), fuse(&top, &semantic), partial)
        } else {
            (None, semantic.clone(), false)
        };

        // What the mode finds, as a tantivy query: the words' matches and the near books.
        let found = |semantic: &[(BookId, f32)]| -> Box<dyn Query> {
            let ids = semantic.iter().map(|(id, _)| Term::from_field_text(self.fields.id, &id.to_string()));
            let near: Box<dyn Query> = Box::new(TermSetQuery::new(ids));
            match &text {
                Some(text) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, text.box_clone()),
                    (Occur::Should, near),
                ])),
                None => near,
            }
        };
        let (total, counts) = searcher
            .search(
                &filtered(&self.fields, &*found(&semantic), &query.filter),
                &(tantivy::collector::Count, facet_collector()),
            )
            .map_err(failed)?;
        let mut facets = Facets {
            categories: facet_list(&counts, "/category"),
            publishers: facet_list(&counts, "/publisher"),
        };
        // Each dimension counts with every filter but its own, on both sides.
        if query.filter.category.is_some() {
            let others = SearchFilter { category: None, ..query.filter.clone() };
            let counts = searcher
                .search(&filtered(&self.fields, &*found(&near(&others)?), &others), &facet_collector())
                .map_err(failed)?;
            facets.categories = facet_list(&counts, "/category");
        }
        if query.filter.publisher.is_some() {
            let others = SearchFilter { publisher: None, ..query.filter.clone() };
            let counts = searcher
                .search(&filtered(&self.fields, &*found(&near(&others)?), &others), &facet_collector())
                .map_err(failed)?;
            facets.publishers = facet_list(&counts, "/publisher");
        }

        let mut hits = Vec::new();
        for &(id, score) in ranked.iter().skip(query.offset).take(query.limit.get()) {
            if let Some(address) = self.address_of(&searcher, id)? {
                let book = self.card(&searcher, address)?;
                hits.push(SearchHit { highlights: highlights(&words, &book), book, score });
            }
        }
        let total = total as u64;
        Ok(SearchResults { hits, total, facets, next_cursor: query.next_cursor(total), partial })
    }

    /// The ids of the best [`RESULTS_DEPTH_MAX`] matches of `text` under `filter`, best first.
    fn top_ids(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filter: &SearchFilter,
    ) -> Result<Vec<BookId>, Error> {
        let top = searcher
            .search(
                &filtered(&self.fields, text, filter),
                &TopDocs::with_limit(RESULTS_DEPTH_MAX).order_by_score(),
            )
            .map_err(failed)?;
        let mut columns = HashMap::new();
        let mut ids = Vec::with_capacity(top.len());
        let mut text = String::new();
        for (_, address) in top {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => entry.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .str("id")
                        .map_err(failed)?
                        .ok_or_else(|| {
                            Error::unavailable(
                                "search index",
                                "the id is not a fast field: it must be rebuilt",
                            )
                        })?,
                ),
            };
            let Some(ord) = column.term_ords(address.doc_id).next() else { continue };
            text.clear();
            column.ord_to_str(ord, &mut text).map_err(|e| Error::unavailable("search index", e))?;
            if let Ok(id) = text.parse() {
                ids.push(BookId(id));
            }
        }
        Ok(ids)
    }

    /// The books nearest `id` in meaning (see the `CatalogSearch` port); `None` for a book the
    /// index does not have.
    pub fn similar(&self, id: BookId, limit: usize) -> Result<Option<Vec<SimilarBook>>, Error> {
        if !self.has_vectors() {
            return Err(Error::unavailable("search by meaning", "no model is loaded"));
        }
        let searcher = self.reader.searcher();
        let vectors = self.vectors()?;
        let Some(vector) = vectors.vector(id) else { return Ok(None) };
        // Deep enough that the per-author cap still leaves `limit` books in all but odd catalogs.
        let nearest = vectors.nearest(vector, &SearchFilter::default(), -1.0, (limit + 1) * 8);
        let mut per_author: HashMap<AuthorId, usize> = HashMap::new();
        let mut chosen = Vec::new();
        for (other, similarity) in nearest {
            let Some(facts) = vectors.facts(other) else { continue };
            if other == id
                || facts
                    .authors()
                    .iter()
                    .any(|a| per_author.get(a).copied().unwrap_or(0) >= SIMILAR_PER_AUTHOR)
            {
                continue;
            }
            for author in facts.authors() {
                *per_author.entry(*author).or_default() += 1;
            }
            chosen.push((other, similarity));
            if chosen.len() == limit {
                break;
            }
        }
        drop(vectors);
        let mut similar = Vec::with_capacity(chosen.len());
        for (other, similarity) in chosen {
            if let Some(address) = self.address_of(&searcher, other)? {
                similar.push(SimilarBook {
                    book: self.card(&searcher, address)?,
                    similarity: similarity.min(1.0),
                });
            }
        }
        Ok(Some(similar))
    }

    /// The books of `ids` the index has, as cards, in the order given (see the `CatalogSearch`
    /// port). Needs no vectors: a card is stored with each book.
    pub fn cards(&self, ids: &[BookId]) -> Result<Vec<bookworm_domain::search::BookCard>, Error> {
        let searcher = self.reader.searcher();
        let mut cards = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(address) = self.address_of(&searcher, *id)? {
                cards.push(self.card(&searcher, address)?);
            }
        }
        Ok(cards)
    }

    /// Where a book is in the index, if it is.
    pub(crate) fn address_of(&self, searcher: &Searcher, id: BookId) -> Result<Option<DocAddress>, Error> {
        let term =
            TermQuery::new(Term::from_field_text(self.fields.id, &id.to_string()), IndexRecordOption::Basic);
        let top = searcher.search(&term, &TopDocs::with_limit(1).order_by_score()).map_err(failed)?;
        Ok(top.first().map(|&(_, address)| address))
    }
}

/// Reciprocal-rank fusion of the keyword ranking and the semantic one: best first, ties to the
/// better keyword rank, then the id, so pages never overlap or skip.
fn fuse(keyword: &[BookId], semantic: &[(BookId, f32)]) -> Vec<(BookId, f32)> {
    let mut fused: HashMap<BookId, (f32, usize)> = HashMap::new();
    for (rank, id) in keyword.iter().enumerate() {
        let entry = fused.entry(*id).or_insert((0.0, rank));
        entry.0 += 1.0 / (RRF_K + rank as f32 + 1.0);
    }
    for (rank, (id, _)) in semantic.iter().enumerate() {
        let entry = fused.entry(*id).or_insert((0.0, usize::MAX));
        entry.0 += 1.0 / (RRF_K + rank as f32 + 1.0);
    }
    let mut ranked: Vec<(BookId, f32, usize)> =
        fused.into_iter().map(|(id, (score, rank))| (id, score, rank)).collect();
    ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.0.cmp(&b.0.0)));
    ranked.into_iter().map(|(id, score, _)| (id, score)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_books_both_rankings_found() {
        let [a, b, c, d] = ["a", "b", "c", "d"].map(BookId::derived);
        let fused = fuse(&[a, b, c], &[(d, 0.9), (c, 0.8)]);
        let order: Vec<BookId> = fused.iter().map(|(id, _)| *id).collect();
        // c: 1/63 + 1/62 beats a's 1/61 alone; d (semantic first) ties a and loses on keyword rank.
        assert_eq!(order, [c, a, d, b]);
        assert!((fused[0].1 - (1.0 / 63.0 + 1.0 / 62.0)).abs() < 1e-6);
    }
}

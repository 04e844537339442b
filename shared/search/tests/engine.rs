//! The search engine's rules, each with the case that would break it.

use bookworm_domain::Money;
use bookworm_domain::catalog::{Author, BookStatus, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{BookCard, RESULTS_DEPTH_MAX, SearchFilter, SearchQuery, SuggestionKind};
use bookworm_embedded::seed;
use bookworm_search::{CatalogIndex, Changes, indexer};

fn seeded() -> CatalogIndex {
    let index = CatalogIndex::in_memory().unwrap();
    let cards = indexer::cards(&seed::catalog().unwrap());
    index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true).unwrap();
    index
}

fn query(text: &str) -> SearchQuery {
    SearchQuery::new(text, SearchFilter::default(), PageSize::new(10).unwrap()).unwrap()
}

fn filtered(text: &str, filter: SearchFilter) -> SearchQuery {
    SearchQuery::new(text, filter, PageSize::new(50).unwrap()).unwrap()
}

fn card(title: &str, description: &str) -> BookCard {
    let author = Author { id: AuthorId::derived("Test Author"), name: "Test Author".into() };
    BookCard {
        id: BookId::derived(title),
        name: title.into(),
        description: description.into(),
        authors: vec![author],
        category: Category { id: CategoryId::derived("Tests"), name: "Tests".into() },
        publisher: Publisher { id: PublisherId::derived("Test Press"), name: "Test Press".into() },
        price: Money::from_cents(1000).unwrap(),
        sale_price: None,
        status: BookStatus::InStock,
    }
}

fn upsert(index: &CatalogIndex, cards: Vec<BookCard>) {
    index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, false).unwrap();
}

#[test]
fn title_and_author_matches_rank_above_description_matches() {
    let index = CatalogIndex::in_memory().unwrap();
    upsert(&index, vec![card("Ocean Notes", "A book about whales and the sea."), card("Whales", "A book.")]);
    let hits = index.search(&query("whales")).unwrap().hits;
    assert_eq!(hits[0].book.name, "Whales", "a title match outranks a description match");
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn short_words_get_no_typos_and_long_words_get_two() {
    let index = seeded();
    assert_eq!(index.search(&query("emmx")).unwrap().hits[0].book.name, "Emma", "4 letters: one edit");
    assert_eq!(
        index.search(&query("kym")).unwrap().total,
        0,
        "3 letters: exact only (Kim is not found by kym)"
    );
    let two = index.search(&query("karamazvv")).unwrap();
    assert_eq!(two.hits[0].book.name, "The Brothers Karamazov", "9 letters: two edits");
    assert_eq!(index.search(&query("karaxxzvv")).unwrap().total, 0, "three edits are too many");
}

#[test]
fn every_filter_holds_for_every_hit() {
    let index = seeded();
    let data = seed::catalog().unwrap();
    let fiction = CategoryId::derived("Fiction");
    let dickens = AuthorId::derived("Charles Dickens");
    let publisher = data.books[0].publisher_id;
    let (min, max) = (Money::from_cents(800).unwrap(), Money::from_cents(1500).unwrap());
    let cases = [
        SearchFilter { category: Some(fiction), ..SearchFilter::default() },
        SearchFilter { author: Some(dickens), ..SearchFilter::default() },
        SearchFilter { publisher: Some(publisher), ..SearchFilter::default() },
        SearchFilter { min_price: Some(min), max_price: Some(max), ..SearchFilter::default() },
        SearchFilter { in_stock: Some(false), ..SearchFilter::default() },
        SearchFilter { in_stock: Some(true), category: Some(fiction), ..SearchFilter::default() },
    ];
    for filter in cases {
        // Every seed description ends "First published …": the filter does all the selecting.
        let results = index.search(&filtered("published", filter.clone())).unwrap();
        assert!(results.total > 0, "{filter:?} selects something");
        for hit in &results.hits {
            let book = &hit.book;
            assert!(filter.category.is_none_or(|c| book.category.id == c), "{filter:?}: {}", book.name);
            assert!(filter.author.is_none_or(|a| book.authors.iter().any(|x| x.id == a)), "{}", book.name);
            assert!(filter.publisher.is_none_or(|p| book.publisher.id == p), "{}", book.name);
            assert!(filter.min_price.is_none_or(|m| book.selling_price() >= m), "{}", book.name);
            assert!(filter.max_price.is_none_or(|m| book.selling_price() <= m), "{}", book.name);
            let in_stock = book.status == BookStatus::InStock;
            assert!(filter.in_stock.is_none_or(|s| s == in_stock), "{}", book.name);
        }
        let expected = data
            .books
            .iter()
            .filter(|b| filter.category.is_none_or(|c| b.category_id == c))
            .filter(|b| filter.author.is_none_or(|a| b.author_ids.contains(&a)))
            .filter(|b| filter.publisher.is_none_or(|p| b.publisher_id == p))
            .filter(|b| filter.min_price.is_none_or(|m| b.selling_price() >= m))
            .filter(|b| filter.max_price.is_none_or(|m| b.selling_price() <= m))
            .filter(|b| filter.in_stock.is_none_or(|s| s == (b.status == BookStatus::InStock)))
            .count();
        assert_eq!(results.total, expected as u64, "{filter:?}: the count is exact");
    }
}

#[test]
fn facets_count_the_matching_set_and_each_ignores_its_own_filter() {
    let index = seeded();
    let all = index.search(&query("the")).unwrap();
    let counted: u64 = all.facets.categories.iter().map(|f| f.count).sum();
    assert_eq!(counted, all.total, "each matching book has one category");
    let fiction =
        all.facets.categories.iter().find(|f| f.name == "Fiction").expect("a Fiction facet").clone();
    assert!(all.facets.categories.windows(2).all(|w| w[0].count >= w[1].count), "most books first");

    let picked = index
        .search(&filtered(
            "the",
            SearchFilter { category: Some(CategoryId(fiction.id)), ..SearchFilter::default() },
        ))
        .unwrap();
    assert_eq!(picked.total, fiction.count, "the facet's count is what picking it returns");
    assert_eq!(picked.facets.categories, all.facets.categories, "the other categories stay visible");
    let publishers: u64 = picked.facets.publishers.iter().map(|f| f.count).sum();
    assert_eq!(publishers, fiction.count, "publishers are counted within the picked category");
}

#[test]
fn pages_walk_the_ranking_without_repeats_or_gaps() {
    let index = seeded();
    let everything = index.search(&filtered("the", SearchFilter::default())).unwrap();
    let mut page = SearchQuery::new("the", SearchFilter::default(), PageSize::new(7).unwrap()).unwrap();
    let mut seen = Vec::new();
    loop {
        let results = index.search(&page).unwrap();
        assert_eq!(results.total, everything.total);
        seen.extend(results.hits.iter().map(|h| h.book.id));
        let Some(cursor) = results.next_cursor else { break };
        page = page.resume(&cursor).unwrap();
    }
    let expected: Vec<BookId> = everything.hits.iter().map(|h| h.book.id).collect();
    assert_eq!(&seen[..expected.len()], &expected[..], "the same order as one big page");
    assert_eq!(seen.len() as u64, everything.total.min(RESULTS_DEPTH_MAX as u64));
}

#[test]
fn when_no_book_has_every_word_any_word_will_do_and_the_answer_says_so() {
    let index = seeded();
    let results = index.search(&query("dracula xylophone")).unwrap();
    assert!(results.partial);
    assert_eq!(results.hits[0].book.name, "Dracula");
    assert!(!index.search(&query("dracula")).unwrap().partial);
}

#[test]
fn highlights_mark_what_matched_and_escape_everything_else() {
    let index = CatalogIndex::in_memory().unwrap();
    let hostile = "<script>alert('x')</script> & the Wizard";
    upsert(&index, vec![card(hostile, "A <b>bold</b> wizrd story.")]);
    let hit = index.search(&query("wizard")).unwrap().hits.remove(0);
    assert_eq!(
        hit.highlights.name.as_deref(),
        Some("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; the <mark>Wizard</mark>")
    );
    assert_eq!(
        hit.highlights.description.as_deref(),
        Some("A &lt;b&gt;bold&lt;/b&gt; <mark>wizrd</mark> story.")
    );
    assert!(hit.highlights.authors.is_empty() && hit.highlights.category.is_none(), "only matched fields");
    assert_eq!(hit.book.name, hostile, "the book itself is returned as stored");
}

#[test]
fn updates_replace_and_deletes_remove() {
    let index = CatalogIndex::in_memory().unwrap();
    let mut book = card("Old Title", "");
    upsert(&index, vec![book.clone()]);
    book.name = "New Title".into();
    upsert(&index, vec![book.clone()]);
    assert_eq!(index.search(&query("old")).unwrap().total, 0, "the old title is gone");
    assert_eq!(index.search(&query("new title")).unwrap().total, 1, "one document per book");
    assert_eq!(index.books(), 1);
    index.apply_and_settle(&Changes { upserts: Vec::new(), deletes: vec![book.id] }, false).unwrap();
    assert_eq!(index.search(&query("title")).unwrap().total, 0);
}

#[test]
fn a_bundle_opens_as_the_same_index() {
    let index = seeded();
    let copy = CatalogIndex::from_bundle(&index.bundle().unwrap()).unwrap();
    assert_eq!(copy.books(), index.books());
    let (a, b) = (index.search(&query("sherl")).unwrap(), copy.search(&query("sherl")).unwrap());
    assert_eq!(a.hits, b.hits);
}

#[test]
fn a_bundle_that_is_not_an_index_is_refused_not_opened() {
    assert!(CatalogIndex::from_bundle(b"not a tar").is_err());
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_cksum();
    archive.append_data(&mut header, "nested/meta.json", &b"x"[..]).unwrap();
    assert!(CatalogIndex::from_bundle(&archive.into_inner().unwrap()).is_err(), "a path, not a file name");
}

#[test]
fn suggestions_complete_titles_and_authors_from_a_prefix() {
    let index = seeded();
    let suggestions = index.suggest("sherl").unwrap();
    assert_eq!(suggestions[0].text, "The Adventures of Sherlock Holmes");
    assert_eq!(suggestions[0].highlighted, "The Adventures of <mark>Sherlock</mark> Holmes");
    let authors = index.suggest("jane aus").unwrap();
    assert!(
        authors.iter().any(|s| s.kind == SuggestionKind::Author && s.text == "Jane Austen"),
        "{authors:?}"
    );
    assert!(
        authors.iter().all(|s| s.text.to_lowercase().contains("jane")),
        "every typed word is in each: {authors:?}"
    );
    let many = index.suggest("th").unwrap();
    assert!(many.len() <= 10);
    let texts: std::collections::HashSet<_> = many.iter().map(|s| (s.kind, s.text.clone())).collect();
    assert_eq!(texts.len(), many.len(), "no duplicates");
    assert!(index.suggest("?!").unwrap().is_empty());
}

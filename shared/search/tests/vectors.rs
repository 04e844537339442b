//! The vectors' life with the real model: embedded once per text, reused when only the price
//! or stock changed, carried in the bundle, removed with the book, filtered like the keywords.

mod model;

use bookworm_domain::Money;
use bookworm_domain::catalog::{Author, BookStatus, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{BookCard, SearchFilter, SearchMode, SearchQuery};
use bookworm_search::{CatalogIndex, Changes};

fn card(title: &str, description: &str, cents: u64) -> BookCard {
    let author = Author { id: AuthorId::derived(title), name: format!("Author of {title}") };
    BookCard {
        id: BookId::derived(title),
        name: title.into(),
        description: description.into(),
        authors: vec![author],
        category: Category { id: CategoryId::derived("Tests"), name: "Tests".into() },
        publisher: Publisher { id: PublisherId::derived("Test Press"), name: "Test Press".into() },
        price: Money::from_cents(cents).unwrap(),
        sale_price: None,
        status: BookStatus::InStock,
    }
}

fn books() -> Vec<BookCard> {
    vec![
        card("The Long Voyage", "A captain chases a white whale across the oceans.", 1000),
        card("Kitchen Days", "Recipes for bread, soups and cakes from a country kitchen.", 2000),
        card("Stars Above", "An astronomer maps distant galaxies with a new telescope.", 3000),
    ]
}

fn semantic(text: &str, filter: SearchFilter) -> SearchQuery {
    let mut query = SearchQuery::new(text, filter, PageSize::new(10).unwrap()).unwrap();
    query.mode = SearchMode::Semantic;
    query
}

fn titles(index: &CatalogIndex, query: &SearchQuery) -> Vec<String> {
    index.search(query).unwrap().hits.into_iter().map(|h| h.book.name).collect()
}

fn upsert(index: &CatalogIndex, cards: Vec<BookCard>) {
    index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, false).unwrap();
}

#[test]
fn a_book_is_embedded_again_only_when_its_text_changes() {
    let index = CatalogIndex::in_memory().unwrap().with_embedder(Some(model::embedder())).unwrap();
    upsert(&index, books());
    assert_eq!((index.books_embedded(), index.vectors_len().unwrap()), (3, 3));
    assert_eq!(
        titles(&index, &semantic("hunting a sea monster", SearchFilter::default()))[0],
        "The Long Voyage"
    );

    // A price change: the same text, the same vector, no model run.
    let mut repriced = books();
    repriced[0].price = Money::from_cents(9000).unwrap();
    upsert(&index, repriced);
    assert_eq!(index.books_embedded(), 3, "a price change re-embedded a book");
    // ... but the filters see the new price on the semantic side too.
    let cheap = SearchFilter { max_price: Some(Money::from_cents(5000).unwrap()), ..SearchFilter::default() };
    assert!(
        !titles(&index, &semantic("hunting a sea monster", cheap)).contains(&"The Long Voyage".to_owned())
    );

    // A new description: embedded again, and found by its new meaning.
    let mut rewritten = books();
    rewritten[1].description = "A sailor's memoir of whaling ships and harpoons.".into();
    upsert(&index, vec![rewritten[1].clone()]);
    assert_eq!(index.books_embedded(), 4);
    let found = titles(&index, &semantic("whaling", SearchFilter::default()));
    assert!(found.contains(&"Kitchen Days".to_owned()), "{found:?}");

    // Deleted: gone from the vectors and from every mode.
    index
        .apply_and_settle(
            &Changes { upserts: Vec::new(), deletes: vec![BookId::derived("The Long Voyage")] },
            false,
        )
        .unwrap();
    assert_eq!(index.vectors_len().unwrap(), 2);
    for mode in [SearchMode::Semantic, SearchMode::Hybrid] {
        let mut query = semantic("white whale captain", SearchFilter::default());
        query.mode = mode;
        assert!(!titles(&index, &query).contains(&"The Long Voyage".to_owned()), "{mode:?}");
    }
}

#[test]
fn the_bundle_carries_the_vectors_and_an_index_without_them_is_refused() {
    let index = CatalogIndex::in_memory().unwrap().with_embedder(Some(model::embedder())).unwrap();
    upsert(&index, books());
    let loaded = CatalogIndex::from_bundle(&index.bundle().unwrap())
        .unwrap()
        .with_embedder(Some(model::embedder()))
        .unwrap();
    assert_eq!(loaded.books_embedded(), 0, "loading embeds nothing");
    assert_eq!(titles(&loaded, &semantic("baking bread", SearchFilter::default()))[0], "Kitchen Days");

    let keyword_only = CatalogIndex::in_memory().unwrap();
    upsert(&keyword_only, books());
    let bundle = keyword_only.bundle().unwrap();
    assert!(CatalogIndex::from_bundle(&bundle).unwrap().with_embedder(Some(model::embedder())).is_err());
    let without = CatalogIndex::from_bundle(&bundle).unwrap();
    assert!(
        without.search(&semantic("baking", SearchFilter::default())).is_err(),
        "semantic needs the model"
    );
}

#[test]
fn hybrid_pages_walk_one_ranking_and_total_counts_what_the_mode_finds() {
    let index = CatalogIndex::in_memory().unwrap().with_embedder(Some(model::embedder())).unwrap();
    let mut cards = books();
    for (i, subject) in [
        "sailing ships",
        "a storm at sea",
        "island castaways",
        "pirates",
        "lighthouses",
        "the navy",
        "deep sea fish",
        "harbour towns",
        "a voyage north",
        "river barges",
        "ocean currents",
        "coral reefs",
    ]
    .iter()
    .enumerate()
    {
        cards.push(card(&format!("Sea Book {i}"), &format!("A book about {subject}."), 1000 + i as u64));
    }
    upsert(&index, cards);
    let mut first =
        SearchQuery::new("sea voyage adventure", SearchFilter::default(), PageSize::new(5).unwrap()).unwrap();
    first.mode = SearchMode::Hybrid;
    let whole = {
        let mut all = first.clone();
        all.limit = PageSize::new(100).unwrap();
        index.search(&all).unwrap()
    };
    let mut walked = Vec::new();
    let mut query = first.clone();
    loop {
        let page = index.search(&query).unwrap();
        assert_eq!(page.total, whole.total, "every page tells the same total");
        walked.extend(page.hits.into_iter().map(|h| h.book.id));
        match page.next_cursor {
            Some(cursor) if walked.len() < 40 => query = first.clone().resume(&cursor).unwrap(),
            _ => break,
        }
    }
    let expected: Vec<BookId> = whole.hits.iter().map(|h| h.book.id).take(walked.len()).collect();
    assert_eq!(walked, expected, "pages neither overlap nor skip");
    // The facets count the same books as the total.
    let counted: u64 = whole.facets.categories.iter().map(|f| f.count).sum();
    assert_eq!(counted, whole.total);
    // Hybrid finds at least what each side finds.
    for mode in [SearchMode::Keyword, SearchMode::Semantic] {
        let mut side = first.clone();
        side.mode = mode;
        assert!(index.search(&side).unwrap().total <= whole.total, "{mode:?}");
    }
}

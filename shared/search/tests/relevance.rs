//! Relevance over the seed catalog: for each query the book a shopper means, and the rank it
//! gets in keyword and in hybrid mode. Every one must be in the top 3 in both. The table this
//! prints is docs/search.md's (`cargo test -p bookworm-search --test relevance -- --nocapture`).

mod judged;
mod model;

use bookworm_domain::ids::{AuthorId, CategoryId};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{SearchFilter, SearchHit, SearchMode, SearchQuery};

/// What the shopper means: one title, or any book by one author.
enum Expected {
    Title(&'static str),
    By(&'static str),
}

struct Case {
    kind: &'static str,
    query: &'static str,
    filter: SearchFilter,
    expected: Expected,
}

fn case(kind: &'static str, query: &'static str, expected: Expected) -> Case {
    Case { kind, query, filter: SearchFilter::default(), expected }
}

fn cases() -> Vec<Case> {
    use Expected::{By, Title};
    let category = |name: &str| Some(CategoryId::derived(name));
    vec![
        case("exact title", "Pride and Prejudice", Title("Pride and Prejudice")),
        case("exact title", "the great gatsby", Title("The Great Gatsby")),
        case("exact title", "moby dick", Title("Moby-Dick")),
        case("exact title", "Les Misérables", Title("Les Misérables")),
        case("author surname", "austen", By("Jane Austen")),
        case("author surname", "dostoevsky", By("Fyodor Dostoevsky")),
        case("author surname", "bronte", By("Charlotte Brontë")),
        case("typo", "prejudise", Title("Pride and Prejudice")),
        case("typo", "sherlok holmes", Title("The Adventures of Sherlock Holmes")),
        case("typo", "frankenstien", Title("Frankenstein")),
        case("typo", "dikens", By("Charles Dickens")),
        case("typo", "shakespere hamlet", Title("Hamlet")),
        case("typo", "karamazof", Title("The Brothers Karamazov")),
        case("prefix", "sherl", Title("The Adventures of Sherlock Holmes")),
        case("prefix", "hucklebe", Title("Adventures of Huckleberry Finn")),
        case("prefix", "wuther", Title("Wuthering Heights")),
        case("prefix", "alice wonde", Title("Alice's Adventures in Wonderland")),
        case("multi-word", "tale two cities", Title("A Tale of Two Cities")),
        case("multi-word", "verne moon", Title("From the Earth to the Moon")),
        case("multi-word", "wizard oz", Title("The Wonderful Wizard of Oz")),
        case("multi-word", "jekyll hyde", Title("Strange Case of Dr Jekyll and Mr Hyde")),
        case("multi-word", "tolstoy war", Title("War and Peace")),
        Case {
            kind: "filtered (category)",
            query: "island",
            filter: SearchFilter { category: category("Science Fiction"), ..SearchFilter::default() },
            expected: Title("The Island of Doctor Moreau"),
        },
        Case {
            kind: "filtered (author)",
            query: "island",
            filter: SearchFilter {
                author: Some(AuthorId::derived("Robert Louis Stevenson")),
                ..SearchFilter::default()
            },
            expected: Title("Treasure Island"),
        },
        Case {
            kind: "filtered (category)",
            query: "poems",
            filter: SearchFilter { category: category("Poetry"), ..SearchFilter::default() },
            expected: By("Emily Dickinson"),
        },
    ]
}

fn is_expected(hit: &SearchHit, expected: &Expected) -> bool {
    match expected {
        Expected::Title(title) => hit.book.name == *title,
        Expected::By(author) => hit.book.authors.iter().any(|a| a.name == *author),
    }
}

#[test]
fn every_expected_book_ranks_in_the_top_three_by_keywords_and_hybrid() {
    let index = model::seeded();
    let mut misses = Vec::new();
    println!("| query | kind | expected | keyword rank | hybrid rank | hybrid first hit |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for case in cases() {
        let expected = match case.expected {
            Expected::Title(title) => title.to_owned(),
            Expected::By(author) => format!("a book by {author}"),
        };
        let mut ranks = Vec::new();
        let mut first = String::new();
        for mode in [SearchMode::Keyword, SearchMode::Hybrid] {
            let mut query =
                SearchQuery::new(case.query, case.filter.clone(), PageSize::new(10).unwrap()).unwrap();
            query.mode = mode;
            let hits = index.search(&query).unwrap().hits;
            let rank = hits.iter().position(|hit| is_expected(hit, &case.expected)).map(|i| i + 1);
            first = hits.first().map_or("—".to_owned(), |hit| hit.book.name.clone());
            let shown = rank.map_or("not in top 10".to_owned(), |r| r.to_string());
            if rank.is_none_or(|r| r > 3) {
                misses.push(format!("{} ({mode:?}) → {expected}: rank {shown}", case.query));
            }
            ranks.push(shown);
        }
        println!("| `{}` | {} | {expected} | {} | {first} |", case.query, case.kind, ranks.join(" | "));
    }
    assert!(misses.is_empty(), "expected books outside the top 3: {misses:#?}");
}

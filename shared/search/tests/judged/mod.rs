//! Relevance measured: a judged set of queries over the seed catalog, each with the books a
//! shopper would want (grade 2: the book meant; grade 1: also relevant), scored by nDCG@10 and
//! recall@10 for each mode. The table this prints is docs/search.md's
//! (`cargo test -p bookworm-search --test relevance -- --nocapture`). A module of the
//! relevance test, so the seed catalog is embedded once for both.

use crate::model;

use std::collections::HashMap;

use bookworm_domain::query::PageSize;
use bookworm_domain::search::{SearchFilter, SearchMode, SearchQuery};
use bookworm_embedded::seed;

/// Who a judgement names: one title, every book by an author, or every book in a category.
enum Judged {
    Title(&'static str),
    By(&'static str),
    In(&'static str),
}
use Judged::{By, In, Title};

struct Case {
    kind: &'static str,
    query: &'static str,
    relevant: Vec<(Judged, u8)>,
}

fn case(kind: &'static str, query: &'static str, relevant: Vec<(Judged, u8)>) -> Case {
    Case { kind, query, relevant }
}

const PARAPHRASE: &str = "paraphrase";

fn cases() -> Vec<Case> {
    vec![
        // Paraphrases: no word of the title, often none of the description either.
        case(PARAPHRASE, "a story about hunting a great whale", vec![(Title("Moby-Dick"), 2)]),
        case(
            PARAPHRASE,
            "detective solving crimes in Victorian London",
            vec![
                (Title("The Adventures of Sherlock Holmes"), 2),
                (Title("A Study in Scarlet"), 2),
                (Title("The Sign of the Four"), 2),
                (Title("The Hound of the Baskervilles"), 1),
            ],
        ),
        case(
            PARAPHRASE,
            "a scientist brings a creature made from dead bodies to life",
            vec![(Title("Frankenstein"), 2)],
        ),
        case(PARAPHRASE, "a vampire count moves from Transylvania to England", vec![(Title("Dracula"), 2)]),
        case(
            PARAPHRASE,
            "a castaway alone on a desert island for years",
            vec![(Title("Robinson Crusoe"), 2), (Title("The Mysterious Island"), 1)],
        ),
        case(
            PARAPHRASE,
            "a girl falls down a rabbit hole into a strange world",
            vec![(Title("Alice's Adventures in Wonderland"), 2), (Title("Through the Looking-Glass"), 1)],
        ),
        case(
            PARAPHRASE,
            "a boy and a runaway slave on a raft down the river",
            vec![(Title("Adventures of Huckleberry Finn"), 2), (Title("The Adventures of Tom Sawyer"), 1)],
        ),
        case(
            PARAPHRASE,
            "a ship's surgeon among tiny people and giants",
            vec![(Title("Gulliver's Travels"), 2)],
        ),
        case(PARAPHRASE, "a man wakes up turned into a giant insect", vec![(Title("The Metamorphosis"), 2)]),
        case(
            PARAPHRASE,
            "a submarine voyage with a mysterious captain",
            vec![(Title("Twenty Thousand Leagues Under the Seas"), 2)],
        ),
        case(PARAPHRASE, "Martians invade England", vec![(Title("The War of the Worlds"), 2)]),
        case(
            PARAPHRASE,
            "a sailor wrongly imprisoned escapes and takes revenge",
            vec![(Title("The Count of Monte Cristo"), 2)],
        ),
        case(PARAPHRASE, "a miser visited by ghosts one winter night", vec![(Title("A Christmas Carol"), 2)]),
        case(
            PARAPHRASE,
            "an orphan governess falls in love with her employer",
            vec![(Title("Jane Eyre"), 2)],
        ),
        case(
            PARAPHRASE,
            "a Greek hero's long voyage home after the Trojan war",
            vec![(Title("The Odyssey"), 2), (Title("The Iliad"), 1)],
        ),
        case(PARAPHRASE, "a poor student kills a pawnbroker", vec![(Title("Crime and Punishment"), 2)]),
        case(PARAPHRASE, "pirates and buried gold", vec![(Title("Treasure Island"), 2)]),
        case(
            PARAPHRASE,
            "a painting ages while its owner stays young",
            vec![(Title("The Picture of Dorian Gray"), 2)],
        ),
        case(
            PARAPHRASE,
            "a sled dog in the Klondike gold rush",
            vec![(Title("The Call of the Wild"), 2), (Title("White Fang"), 1)],
        ),
        case(PARAPHRASE, "ancient Chinese military strategy", vec![(Title("The Art of War"), 2)]),
        case(
            PARAPHRASE,
            "a Roman emperor's private notes on Stoic philosophy",
            vec![(Title("Meditations"), 2)],
        ),
        // Misspellings.
        case("typo", "dracla", vec![(Title("Dracula"), 2)]),
        case("typo", "tresure iland", vec![(Title("Treasure Island"), 2)]),
        case("typo", "metamorfosis", vec![(Title("The Metamorphosis"), 2)]),
        case("typo", "odyssy homer", vec![(Title("The Odyssey"), 2), (Title("The Iliad"), 1)]),
        // Author and title look-ups.
        case("author", "jules verne", vec![(By("Jules Verne"), 2)]),
        case("author", "shakespeare", vec![(By("William Shakespeare"), 2)]),
        case("author", "novels by tolstoy", vec![(By("Leo Tolstoy"), 2)]),
        case("title", "wuthering heights", vec![(Title("Wuthering Heights"), 2)]),
        case("title", "the time machine", vec![(Title("The Time Machine"), 2)]),
        case("title", "war and peace", vec![(Title("War and Peace"), 2)]),
        // Category intents.
        case("category", "scary gothic horror stories", vec![(In("Horror"), 1)]),
        case(
            "category",
            "epic poems",
            vec![(Title("The Iliad"), 2), (Title("The Odyssey"), 2), (In("Poetry"), 1)],
        ),
        case("category", "books for young children", vec![(In("Children's"), 1)]),
        case("category", "plays for the theatre", vec![(In("Drama"), 1)]),
        case("category", "philosophy of how to live a good life", vec![(In("Philosophy"), 1)]),
    ]
}

/// Each book's grade for a case (the highest any judgement gives it).
fn grades(case: &Case, books: &[(String, String, String)]) -> HashMap<String, u8> {
    let mut grades = HashMap::new();
    for (judged, grade) in &case.relevant {
        let before = grades.len();
        for (title, author, category) in books {
            let hit = match judged {
                Title(t) => title == t,
                By(a) => author == a,
                In(c) => category == c,
            };
            if hit {
                let slot = grades.entry(title.clone()).or_insert(0);
                *slot = (*slot).max(*grade);
            }
        }
        assert!(
            grades.len() > before || matches!(judged, In(_) | By(_)),
            "{}: judges a missing book",
            case.query
        );
    }
    assert!(!grades.is_empty(), "{}: no relevant book in the catalog", case.query);
    grades
}

fn ndcg(ranked: &[String], grades: &HashMap<String, u8>) -> f64 {
    let gain = |grade: u8| f64::from((1u32 << grade) - 1);
    let dcg: f64 = ranked
        .iter()
        .enumerate()
        .map(|(i, t)| gain(*grades.get(t).unwrap_or(&0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal.iter().take(10).enumerate().map(|(i, g)| gain(*g) / (i as f64 + 2.0).log2()).sum();
    dcg / idcg
}

fn recall(ranked: &[String], grades: &HashMap<String, u8>) -> f64 {
    ranked.iter().filter(|t| grades.contains_key(*t)).count() as f64 / grades.len().min(10) as f64
}

const MODES: [SearchMode; 3] = [SearchMode::Keyword, SearchMode::Semantic, SearchMode::Hybrid];

#[test]
fn hybrid_ranks_at_least_as_well_as_keywords_and_meaning_finds_the_paraphrases() {
    let index = model::seeded();
    let data = seed::catalog().unwrap();
    let names = |ids: &[bookworm_domain::ids::AuthorId]| {
        ids.iter()
            .filter_map(|id| data.authors.iter().find(|a| a.id == *id))
            .map(|a| a.name.clone())
            .next()
            .unwrap_or_default()
    };
    let books: Vec<(String, String, String)> = data
        .books
        .iter()
        .map(|b| {
            let category = data.categories.iter().find(|c| c.id == b.category_id).unwrap().name.clone();
            (b.name.clone(), names(&b.author_ids), category)
        })
        .collect();
    let cases = cases();
    assert!(cases.len() >= 30);

    // per mode: (kind, ndcg, recall) per case
    let mut scores: HashMap<SearchMode, Vec<(&str, f64, f64)>> = HashMap::new();
    let mut missed_paraphrases = Vec::new();
    println!("| query | kind | keyword nDCG | semantic nDCG | hybrid nDCG | hybrid first hit |");
    println!("| --- | --- | ---: | ---: | ---: | --- |");
    for case in &cases {
        let grades = grades(case, &books);
        let mut row = Vec::new();
        let mut first = String::new();
        for mode in MODES {
            let mut query =
                SearchQuery::new(case.query, SearchFilter::default(), PageSize::new(10).unwrap()).unwrap();
            query.mode = mode;
            let ranked: Vec<String> =
                index.search(&query).unwrap().hits.into_iter().map(|h| h.book.name).collect();
            let (n, r) = (ndcg(&ranked, &grades), recall(&ranked, &grades));
            scores.entry(mode).or_default().push((case.kind, n, r));
            row.push(format!("{n:.2}"));
            if mode == SearchMode::Semantic && case.kind == PARAPHRASE {
                let meant = case.relevant.iter().find(|(_, g)| *g == 2).map(|(j, _)| j);
                if let Some(Title(title)) = meant
                    && !ranked.iter().any(|t| t == title)
                {
                    missed_paraphrases.push(case.query);
                }
            }
            if mode == SearchMode::Hybrid {
                first = ranked.first().cloned().unwrap_or_else(|| "—".into());
            }
        }
        println!("| `{}` | {} | {} | {first} |", case.query, case.kind, row.join(" | "));
    }

    let mean = |mode: SearchMode, kind: Option<&str>, pick: fn(&(&str, f64, f64)) -> f64| {
        let rows: Vec<f64> =
            scores[&mode].iter().filter(|r| kind.is_none_or(|k| r.0 == k)).map(pick).collect();
        rows.iter().sum::<f64>() / rows.len() as f64
    };
    println!("\n| queries | mode | nDCG@10 | recall@10 |\n| --- | --- | ---: | ---: |");
    for kind in [None, Some(PARAPHRASE), Some("typo"), Some("author"), Some("title"), Some("category")] {
        for mode in MODES {
            println!(
                "| {} | {mode:?} | {:.3} | {:.3} |",
                kind.unwrap_or("all"),
                mean(mode, kind, |r| r.1),
                mean(mode, kind, |r| r.2)
            );
        }
    }

    let ndcg_of = |mode, kind| mean(mode, kind, |r| r.1);
    assert!(
        ndcg_of(SearchMode::Hybrid, None) >= ndcg_of(SearchMode::Keyword, None),
        "hybrid ranks worse than keywords overall"
    );
    assert!(
        ndcg_of(SearchMode::Hybrid, Some(PARAPHRASE)) > ndcg_of(SearchMode::Keyword, Some(PARAPHRASE)) + 0.2,
        "hybrid does not find paraphrases much better than keywords"
    );
    assert!(
        missed_paraphrases.is_empty(),
        "search by meaning misses these paraphrases' book: {missed_paraphrases:?}"
    );
}

//! The search bench: builds the index of a generated catalog, publishes it to S3 (moto), loads
//! it back as the search function does at init, and times warm queries in process. Prints
//! Markdown tables (scripts/bench search).
//!
//!   search-bench BOOKS BUCKET      (AWS_ENDPOINT_URL, AWS_REGION and credentials name moto)

use std::time::{Duration, Instant};

use bookworm_domain::ports::{CatalogSearch, IndexStore};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{SearchFilter, SearchQuery};
use bookworm_embedded::seed;
use bookworm_s3::S3IndexStore;
use bookworm_search::{CatalogIndex, Changes, PublishedIndex, indexer};

/// Queries per kind, each a few texts in rotation.
const ROUNDS: usize = 2_000;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let books: usize = args.next().ok_or("BOOKS")?.parse()?;
    let bucket = args.next().ok_or("BUCKET")?;
    let config = bookworm_aws::config_from_env()?;

    let started = Instant::now();
    let data = seed::synthetic(books)?;
    let cards = indexer::cards(&data);
    let generated = started.elapsed();
    let started = Instant::now();
    let index = CatalogIndex::in_memory()?;
    index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true)?;
    let built = started.elapsed();
    let started = Instant::now();
    let bundle = index.bundle()?;
    let bundled = started.elapsed();
    let size = bundle.len();

    let store = S3IndexStore::from_config(&config, &bucket);
    let started = Instant::now();
    let replacing = store.current().await?;
    store.publish(bundle, index.books(), replacing.as_ref()).await?;
    let uploaded = started.elapsed();

    let published =
        PublishedIndex::new(S3IndexStore::from_config(&config, &bucket), Duration::from_secs(3600));
    let started = Instant::now();
    published.warm_up().await?;
    let loaded = started.elapsed();

    println!(
        "| books | index in S3 | build (in memory, one commit) | bundle | upload to moto | download + open (search init) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {books} | {:.1} MB | {} (+ {} generating the cards) | {} | {} | {} |",
        size as f64 / 1e6,
        human(built),
        human(generated),
        human(bundled),
        human(uploaded),
        human(loaded)
    );
    println!();

    let first = Instant::now();
    published.search(&query("silent river", SearchFilter::default())).await?;
    let first = first.elapsed();

    let fiction = data.categories[0].id;
    let kinds: Vec<(&str, Vec<SearchQuery>)> = vec![
        ("two words", texts(&["silent river", "golden crown", "winter harbour", "iron tower"])),
        ("typo (1–2 edits)", texts(&["lanterm", "mountian", "orcahrd", "harbuor"])),
        ("prefix (last word)", texts(&["secret gar", "wild isl", "broken lett", "quiet orch"])),
        ("author name", texts(&["author 00042", "author 01234", "author 04999", "author 00007"])),
        ("description word", texts(&["lighthouse", "smugglers", "cartographer", "apothecary"])),
        // The most a query may ask: 12 words, each long enough for two typos, in every field.
        (
            "hostile: 12 words of 13–16 letters",
            texts(&[
                "extraordinarily misapprehended incomprehension uncharacteristic counterrevolts disproportional internationals institutionally telecommunicate overcompensated electrophoresis thermodynamical",
                "lighthousekeeps cartographicals apothecaryshops smugglersharbor mountainguides riverpilotguild clockmakerunion beekeepersassoc astronomersclub shipwrightsyard governessesroom travellingplays",
            ]),
        ),
        ("filtered (category, price, stock)", {
            let filter = SearchFilter {
                category: Some(fiction),
                max_price: Some("15".parse()?),
                in_stock: Some(true),
                ..SearchFilter::default()
            };
            ["river", "crown", "garden", "voyage"].iter().map(|t| query(t, filter.clone())).collect()
        }),
    ];
    println!("| query kind ({ROUNDS} each, in process, warm) | p50 | p99 | max | hits (first text) |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut all = Vec::new();
    for (kind, queries) in &kinds {
        let hits = published.search(&queries[0]).await?.total;
        let mut times = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let started = Instant::now();
            published.search(&queries[round % queries.len()]).await?;
            times.push(started.elapsed());
        }
        row(kind, &mut times, hits.to_string());
        all.extend(times);
    }
    let prefixes = ["s", "si", "sil", "silent r", "gold", "author 0001", "win", "harb"];
    let mut times = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let started = Instant::now();
        published.suggest(prefixes[round % prefixes.len()]).await?;
        times.push(started.elapsed());
    }
    row("suggest (1–11 characters typed)", &mut times, published.suggest("sil").await?.len().to_string());
    row("all searches", &mut all, String::new());
    println!();
    println!("First query after load: {}.", human(first));
    Ok(())
}

fn query(text: &str, filter: SearchFilter) -> SearchQuery {
    SearchQuery::new(text, filter, PageSize::default()).expect("a valid query")
}

fn texts(texts: &[&str]) -> Vec<SearchQuery> {
    texts.iter().map(|text| query(text, SearchFilter::default())).collect()
}

fn row(kind: &str, times: &mut [Duration], hits: String) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "| {kind} | {} | {} | {} | {hits} |",
        human(at(0.5)),
        human(at(0.99)),
        human(times[times.len() - 1])
    );
}

fn human(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

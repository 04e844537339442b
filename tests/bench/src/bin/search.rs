//! The search bench: builds the index of a generated catalog, publishes it to S3 (moto), loads
//! it back as the search function does at init, and times warm queries in process. Prints
//! Markdown tables (scripts/bench search).
//!
//!   search-bench BOOKS BUCKET      (AWS_ENDPOINT_URL, AWS_REGION and credentials name moto)
//!
//! With `BOOKWORM_MODEL_DIR` set, the index carries a vector per book and the search is the
//! function's: `GET /search` through its handler, per mode (hybrid, keyword, semantic), the
//! query embedded each time. The first `SEARCH_BENCH_EMBED` books (default 1,000) are embedded
//! for real (timed: books per second); at one or two books a second per core, 100,000 would take
//! hours here, so every further book gets a stand-in vector: a random blend of two real ones,
//! normalised. A query costs the same either way (a dot product per book); the blends keep the
//! cosines of a real catalog's neighbourhoods, so about as many books pass the floor.
//! `SEARCH_BENCH_BUNDLE` names a file to write the bundle to (the script sizes its parts).

use std::time::{Duration, Instant};

use bookworm_domain::ports::{CatalogSearch, IndexStore};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{BookCard, SearchFilter, SearchMode, SearchQuery};
use bookworm_embedded::seed;
use bookworm_s3::S3IndexStore;
use bookworm_search::{
    CatalogIndex, Changes, Facts, NewRow, PublishedIndex, Vectors, embedder_from_env, indexer, text_hash,
    text_of,
};

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
    let embedder = embedder_from_env()?;
    let started = Instant::now();
    let index = CatalogIndex::in_memory()?.with_embedder(embedder.clone())?;
    let mut embedding = None;
    match &embedder {
        None => index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true)?,
        Some(embedder) => {
            let real: usize = std::env::var("SEARCH_BENCH_EMBED").map_or(Ok(1000), |n| n.parse())?;
            let (vectors, took) = vectors_for(&cards, real.min(books), embedder)?;
            embedding = Some((real.min(books), took));
            let started = Instant::now();
            index.rebuild_reusing(cards, &vectors)?;
            assert_eq!(index.books_embedded(), 0, "every vector was given");
            eprintln!("search-bench: index with vectors built in {}", human(started.elapsed()));
        }
    }
    let built = started.elapsed();
    let started = Instant::now();
    let bundle = index.bundle()?;
    let bundled = started.elapsed();
    let size = bundle.len();
    if let Ok(path) = std::env::var("SEARCH_BENCH_BUNDLE") {
        std::fs::write(path, &bundle)?;
    }

    let store = S3IndexStore::from_config(&config, &bucket);
    let started = Instant::now();
    let replacing = store.current().await?;
    store.publish(bundle, index.books(), replacing.as_ref()).await?;
    let uploaded = started.elapsed();

    let published =
        PublishedIndex::new(S3IndexStore::from_config(&config, &bucket), Duration::from_secs(3600))
            .with_embedder(embedder.clone());
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
    if let Some((real, took)) = embedding {
        println!(
            "Vectors: {real} books embedded for real in {} ({:.1} books/s, batches of 32), the other {} stand-ins (see search-bench).",
            human(took),
            real as f64 / took.as_secs_f64(),
            books - real
        );
        println!();
    }

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
    println!(
        "| query kind ({ROUNDS} each, keyword mode, in process, warm) | p50 | p99 | max | hits (first text) |"
    );
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
    if embedder.is_some() {
        println!();
        by_mode(&published).await?;
    }
    Ok(())
}

/// `GET /search` through the search function's handler (parameters, query, JSON of 20 cards),
/// per mode, the texts a shopper types, each embedded on every request.
async fn by_mode(published: &dyn CatalogSearch) -> Result<(), Box<dyn std::error::Error>> {
    const TEXTS: [&str; 8] = [
        "a quiet story about lighthouse keepers",
        "smugglers on a winter coast",
        "detective mystery in a town of clockmakers",
        "silent river",
        "books about astronomers and the stars",
        "mountian guides",
        "a comedy of rival bakers",
        "secret gar",
    ];
    let rounds: usize = std::env::var("SEARCH_BENCH_MODE_ROUNDS").map_or(Ok(400), |n| n.parse())?;
    let template: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("events/search/search-typo.json")?)?;
    let request = |text: &str, mode: &str| -> Result<lambda_http::Request, Box<dyn std::error::Error>> {
        let mut event = template.clone();
        event["rawQueryString"] = format!("q={}&mode={mode}", text.replace(' ', "%20")).into();
        event["queryStringParameters"] = serde_json::json!({"q": text, "mode": mode});
        Ok(lambda_http::request::from_str(&event.to_string())?)
    };
    // Search reads none of the other stores: empty in-memory ones stand in.
    let shop = std::sync::Arc::new(bookworm_embedded::EmbeddedShop::in_memory()?);
    let co_purchases = bookworm_embedded::EmbeddedCoPurchases::open(shop.clone())?;
    let catalog = std::sync::Arc::new(bookworm_embedded::EmbeddedCatalog::in_memory()?);
    let reviews = bookworm_embedded::EmbeddedReviews::open(shop.clone(), catalog)?;
    let stores =
        search::Stores { search: published, co_purchases: &co_purchases, orders: &*shop, reviews: &reviews };
    println!(
        "| `GET /search` ({rounds} each, through the handler, in process, warm) | p50 | p99 | max | hits (first text) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for mode in ["hybrid", "keyword", "semantic"] {
        let response = search::handle(&stores, request(TEXTS[0], mode)?).await;
        assert_eq!(response.status(), 200, "{mode}: {:?}", response.body());
        let body: serde_json::Value = serde_json::from_slice(response.body())?;
        let mut times = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let request = request(TEXTS[round % TEXTS.len()], mode)?;
            let started = Instant::now();
            let response = search::handle(&stores, request).await;
            times.push(started.elapsed());
            assert_eq!(response.status(), 200, "{mode}");
        }
        row(mode, &mut times, body["total"].to_string());
    }
    Ok(())
}

/// A vector per card: the first `real` embedded by the model (timed), every other one a blend
/// of two of those, normalised (module docs).
fn vectors_for(
    cards: &[BookCard],
    real: usize,
    embedder: &bookworm_embed::Embedder,
) -> Result<(Vectors, Duration), Box<dyn std::error::Error>> {
    let texts: Vec<String> = cards.iter().map(text_of).collect();
    let started = Instant::now();
    let mut embedded = Vec::with_capacity(real);
    for batch in texts[..real].chunks(32) {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        embedded.extend(embedder.embed(&batch)?);
    }
    let took = started.elapsed();
    let mut random = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    };
    let mut vectors = Vectors::default();
    for (i, (card, text)) in cards.iter().zip(&texts).enumerate() {
        let vector = match embedded.get(i) {
            Some(vector) => vector.clone(),
            None => {
                let (a, b) = (&embedded[next() as usize % real], &embedded[next() as usize % real]);
                let weight = 0.5 + (next() % 1000) as f32 / 2500.0; // 0.5–0.9
                let blend: Vec<f32> = a.iter().zip(b).map(|(a, b)| weight * a + (1.0 - weight) * b).collect();
                let norm = blend.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                blend.into_iter().map(|x| x / norm).collect()
            }
        };
        vectors.insert(NewRow { id: card.id, text_hash: text_hash(text), facts: Facts::of(card), vector });
    }
    Ok((vectors, took))
}

/// A keyword-mode query: the table the figures before the model were taken with.
fn query(text: &str, filter: SearchFilter) -> SearchQuery {
    let mut query = SearchQuery::new(text, filter, PageSize::default()).expect("a valid query");
    query.mode = SearchMode::Keyword;
    query
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

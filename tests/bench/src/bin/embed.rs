//! The model alone, at whatever CPU it is given (scripts/bench-search runs it inside a CPU
//! quota per memory size): loading it, embedding one query at a time (warm: what every hybrid
//! or semantic search pays), and embedding books in the indexer's batches of 32 (the seed
//! catalog's 202 real descriptions: books per second, what bounds a first build). Prints one
//! Markdown row.
//!
//!   embed-bench LABEL      (BOOKWORM_MODEL_DIR names the model; EMBED_ROUNDS, default 300)

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bookworm_embed::Embedder;
use bookworm_embedded::seed;
use bookworm_search::{indexer, text_of};

/// What shoppers type: short phrases, a few words to a sentence.
const QUERIES: [&str; 12] = [
    "a story about hunting a great whale",
    "detective solving crimes in victorian london",
    "epic poems",
    "books for young children",
    "prejudise",
    "sherlock holmes",
    "novels by tolstoy",
    "a boy and a runaway slave on a raft down the river",
    "quiet orchard",
    "science fiction about time travel",
    "love and marriage in the english countryside",
    "war",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let label = std::env::args().nth(1).ok_or("LABEL")?;
    let rounds: usize = std::env::var("EMBED_ROUNDS").map_or(Ok(300), |n| n.parse())?;
    let folder = PathBuf::from(std::env::var("BOOKWORM_MODEL_DIR").map_err(|_| "BOOKWORM_MODEL_DIR")?);

    let started = Instant::now();
    let embedder = Embedder::load(&folder)?;
    let loaded = started.elapsed();
    let started = Instant::now();
    embedder.embed_one(QUERIES[0])?;
    let first = started.elapsed();

    for query in QUERIES {
        embedder.embed_one(query)?;
    }
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        embedder.embed_one(QUERIES[round % QUERIES.len()])?;
        times.push(started.elapsed());
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];

    let texts: Vec<String> = indexer::cards(&seed::catalog()?).iter().map(text_of).collect();
    let started = Instant::now();
    for batch in texts.chunks(32) {
        embedder.embed(&batch.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    let books = texts.len() as f64 / started.elapsed().as_secs_f64();

    println!(
        "| {label} | {} | {} | {} | {} | {} | {books:.1} |",
        ms(loaded),
        ms(first),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1]),
    );
    Ok(())
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

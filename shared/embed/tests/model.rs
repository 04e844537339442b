//! The embedder on the real model (`scripts/model`; `scripts/test` sets `BOOKWORM_MODEL_DIR`).

use std::path::PathBuf;
use std::sync::OnceLock;

use bookworm_embed::{DIMENSIONS, Embedder, cosine};

fn embedder() -> &'static Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        let folder = std::env::var("BOOKWORM_MODEL_DIR").map(PathBuf::from).unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.model/all-MiniLM-L6-v2")
        });
        Embedder::load(&folder).unwrap_or_else(|e| panic!("{e} (run scripts/model to fetch the model)"))
    })
}

#[test]
fn vectors_are_unit_length_and_384_wide() {
    for vector in embedder().embed(&["Moby-Dick", "a", "Ünïcödé — 本 📚"]).unwrap() {
        assert_eq!(vector.len(), DIMENSIONS);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

/// Padding a short text to a long one's length in the same batch must not move its vector.
#[test]
fn a_text_batched_with_longer_ones_keeps_its_vector() {
    let short = "a whale hunt";
    let alone = embedder().embed_one(short).unwrap();
    let long = "An old sea captain drives his crew across the oceans in pursuit of the white whale that took his leg, ".repeat(3);
    let batched = embedder().embed(&[long.as_str(), short]).unwrap();
    let drift = alone.iter().zip(&batched[1]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(drift < 1e-4, "drift {drift}");
}

/// Over the model's 256 tokens the rest is cut, as the reference implementation does: text past
/// the limit changes nothing.
#[test]
fn text_past_the_token_limit_is_cut() {
    let base = "word ".repeat(400);
    let a = embedder().embed_one(&format!("{base} whales")).unwrap();
    let b = embedder().embed_one(&format!("{base} detectives in London")).unwrap();
    assert!(cosine(&a, &b) > 0.9999, "{}", cosine(&a, &b));
}

#[test]
fn meaning_ranks_the_right_book_first() {
    let query = "a story about hunting a great whale";
    let books = [
        "A sea captain's obsessive hunt for the white whale that took his leg, told by a sailor named Ishmael.",
        "A consulting detective and his friend Dr Watson solve crimes in Victorian London.",
        "Five sisters and the marriage plans of their mother in a Regency English village.",
    ];
    let vectors = embedder().embed(&[&[query][..], &books[..]].concat()).unwrap();
    let scores: Vec<f32> = vectors[1..].iter().map(|book| cosine(&vectors[0], book)).collect();
    assert!(scores[0] > scores[1] + 0.1 && scores[0] > scores[2] + 0.1, "{scores:?}");
}

#[test]
fn nothing_to_embed_is_no_vectors() {
    assert!(embedder().embed(&[]).unwrap().is_empty());
}

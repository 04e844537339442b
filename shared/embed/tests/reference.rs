//! The embedder held to the reference implementation: `reference.json` holds cosine
//! similarities (and each vector's first dimensions) that sentence-transformers computed for
//! the same model (`reference.py` says how); ours must match within 1e-3.

use std::path::PathBuf;

use bookworm_embed::{Embedder, cosine};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    sentences: Vec<String>,
    first_dimensions: Vec<Vec<f32>>,
    pairs: Vec<Pair>,
}

#[derive(Deserialize)]
struct Pair {
    a: usize,
    b: usize,
    cosine: f32,
}

#[test]
fn vectors_match_the_reference_implementation() {
    let reference: Reference = serde_json::from_str(include_str!("reference.json")).expect("reference.json");
    let folder = std::env::var("BOOKWORM_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.model/all-MiniLM-L6-v2"));
    let embedder =
        Embedder::load(&folder).unwrap_or_else(|e| panic!("{e} (run scripts/model to fetch the model)"));
    let texts: Vec<&str> = reference.sentences.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&texts).expect("embed");
    for (n, (ours, theirs)) in vectors.iter().zip(&reference.first_dimensions).enumerate() {
        for (x, y) in ours.iter().zip(theirs) {
            assert!((x - y).abs() < 1e-3, "sentence {n}: {:?} against {theirs:?}", &ours[..8]);
        }
    }
    for pair in &reference.pairs {
        let ours = cosine(&vectors[pair.a], &vectors[pair.b]);
        assert!(
            (ours - pair.cosine).abs() < 1e-3,
            "{:?} ~ {:?}: {ours} against the reference's {}",
            texts[pair.a],
            texts[pair.b],
            pair.cosine
        );
    }
}

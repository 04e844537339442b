//! Sentence embeddings for search by meaning: all-MiniLM-L6-v2 (`scripts/model` fetches it) on
//! the CPU. The text is tokenised by the model's own `tokenizer.json`, cut to the model's
//! `max_seq_length` (256 tokens), run through candle's BERT, mean-pooled over the real tokens
//! (padding excluded) and L2-normalised — the model's `modules.json` pipeline, so vectors match
//! the reference sentence-transformers implementation and a dot product is the cosine.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use serde::Deserialize;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The model's output width.
pub const DIMENSIONS: usize = 384;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the model folder {folder}: {problem}")]
    Model { folder: String, problem: String },
    #[error("tokenising: {0}")]
    Tokenizer(String),
    #[error("running the model: {0}")]
    Compute(#[from] candle_core::Error),
}

/// The model, loaded once (about 90 MB of weights, memory-mapped) and used for every text.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").field("dimensions", &DIMENSIONS).finish_non_exhaustive()
    }
}

/// `1_Pooling/config.json`: what the model was trained to be pooled with.
#[derive(Deserialize)]
struct Pooling {
    word_embedding_dimension: usize,
    pooling_mode_mean_tokens: bool,
}

/// `sentence_bert_config.json`: the length the model was trained on.
#[derive(Deserialize)]
struct SentenceConfig {
    max_seq_length: usize,
}

impl Embedder {
    /// Loads the model from `folder` (what `scripts/model` prints). Refuses a model this code
    /// would pool wrongly: anything but mean pooling to [`DIMENSIONS`].
    pub fn load(folder: &Path) -> Result<Self, EmbedError> {
        let problem = |problem: String| EmbedError::Model { folder: folder.display().to_string(), problem };
        let config: Config = read_json(folder, "config.json")?;
        let pooling: Pooling = read_json(folder, "1_Pooling/config.json")?;
        let sentence: SentenceConfig = read_json(folder, "sentence_bert_config.json")?;
        if !pooling.pooling_mode_mean_tokens || pooling.word_embedding_dimension != DIMENSIONS {
            return Err(problem(format!("expected mean pooling to {DIMENSIONS} dimensions")));
        }

        let mut tokenizer = Tokenizer::from_file(folder.join("tokenizer.json"))
            .map_err(|e| problem(format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: sentence.max_seq_length,
                ..Default::default()
            }))
            .map_err(|e| problem(format!("truncation: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));

        let device = Device::Cpu;
        let weights = folder.join("model.safetensors");
        // SAFETY: the file is mapped read-only and nothing here writes it while mapped;
        // `scripts/model` replaces the folder only when it is run, never under a running process.
        let variables = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device)? };
        let model = BertModel::load(variables, &config)?;
        Ok(Embedder { model, tokenizer, device })
    }

    /// One unit vector of [`DIMENSIONS`] per text, in order. Texts are batched together;
    /// padding never changes a text's vector (the mask keeps it out of the attention and the mean).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let rows = |pick: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, EmbedError> {
            let rows = encodings
                .iter()
                .map(|encoding| Tensor::new(pick(encoding), &self.device))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Tensor::stack(&rows, 0)?)
        };
        let ids = rows(&|e| e.get_ids())?;
        let types = rows(&|e| e.get_type_ids())?;
        let mask = rows(&|e| e.get_attention_mask())?;

        let hidden = self.model.forward(&ids, &types, Some(&mask))?; // [texts, tokens, 384]
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // [texts, tokens, 1]
        let sums = hidden.broadcast_mul(&mask)?.sum(1)?; // [texts, 384]
        let counts = mask.sum(1)?; // [texts, 1]
        let means = sums.broadcast_div(&counts)?;
        // As torch's F.normalize (sentence-transformers' Normalize): x / max(‖x‖, 1e-12).
        let norms = means.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
        Ok(means.broadcast_div(&norms)?.to_vec2::<f32>()?)
    }

    /// One text's vector.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }
}

/// One of the model's JSON files, read into `T`.
fn read_json<T: serde::de::DeserializeOwned>(folder: &Path, name: &str) -> Result<T, EmbedError> {
    let problem = |problem: String| EmbedError::Model { folder: folder.display().to_string(), problem };
    let text = std::fs::read(folder.join(name)).map_err(|e| problem(format!("{name}: {e}")))?;
    serde_json::from_slice(&text).map_err(|e| problem(format!("{name}: {e}")))
}

/// The cosine of two unit vectors: their dot product. Summed in eight independent lanes:
/// one running sum is a chain of dependent additions the compiler may not reorder (float
/// addition is not associative), which made exact search over 100,000 books wait on adder
/// latency; eight chains let the additions overlap (and vectorise).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (a, b) = (&a[..a.len().min(b.len())], &b[..a.len().min(b.len())]);
    let mut lanes = [0.0f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    #[test]
    fn cosine_is_the_dot_product_at_any_length() {
        for len in [0, 1, 7, 8, 9, 384, 389] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            assert!((f64::from(super::cosine(&a, &b)) - plain).abs() < 1e-4, "length {len}");
        }
    }
}

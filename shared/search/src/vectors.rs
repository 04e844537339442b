//! Each book's embedding, kept beside the tantivy files of the same index version in one
//! compact file ([`VECTORS_FILE`]), and searched exactly (a dot product per book).
//!
//! A row holds the book id, a hash of the text that was embedded (so an unchanged book keeps
//! its vector instead of running the model again), the few facts the search filters test
//! (category, publisher, authors, selling price, stock), and the vector as f16: half the bytes
//! of f32 for a cosine that moves by less than 1e-3. In memory the vectors are f32, so a query
//! is a plain dot product per book.

use std::collections::HashMap;

use bookworm_domain::Error;
use bookworm_domain::catalog::BookStatus;
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::search::{BookCard, SearchFilter};
use bookworm_embed::DIMENSIONS;
use half::f16;
use uuid::Uuid;

/// The file's name in an index folder and in a bundle (tantivy never names a file so).
pub const VECTORS_FILE: &str = "vectors.bwv";
/// The file's first bytes: the format and the model, so vectors of another model are refused.
const MAGIC: &[u8] = b"BWVEC1 all-MiniLM-L6-v2\n";

/// What the search filters test, as the book was when embedded.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    category: CategoryId,
    publisher: PublisherId,
    authors: Vec<AuthorId>,
    price_cents: u64,
    in_stock: bool,
}

impl Facts {
    pub fn of(card: &BookCard) -> Self {
        Self {
            category: card.category.id,
            publisher: card.publisher.id,
            authors: card.authors.iter().map(|a| a.id).collect(),
            price_cents: card.selling_price().cents(),
            in_stock: card.status == BookStatus::InStock,
        }
    }

    /// The same rules as the keyword side's filters (`engine::filtered`).
    pub fn passes(&self, filter: &SearchFilter) -> bool {
        filter.category.is_none_or(|id| id == self.category)
            && filter.publisher.is_none_or(|id| id == self.publisher)
            && filter.author.is_none_or(|id| self.authors.contains(&id))
            && filter.min_price.is_none_or(|p| self.price_cents >= p.cents())
            && filter.max_price.is_none_or(|p| self.price_cents <= p.cents())
            && filter.in_stock.is_none_or(|s| s == self.in_stock)
    }

    pub fn authors(&self) -> &[AuthorId] {
        &self.authors
    }
}

/// What the model reads for a book: the title, the authors, the category and the description.
/// The description says what the book is about (what a paraphrase describes), the title and
/// authors answer "a novel by Tolstoy", the category answers intents such as "poetry". The
/// publisher and the price say nothing about the book's meaning and are left out.
pub fn text_of(card: &BookCard) -> String {
    let authors: Vec<&str> = card.authors.iter().map(|a| a.name.as_str()).collect();
    format!("{}. By {}. {}. {}", card.name, authors.join(", "), card.category.name, card.description)
}

/// FNV-1a of the embedded text: stable across Rust releases, so a stored hash stays comparable.
pub fn text_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: BookId,
    text_hash: u64,
    facts: Facts,
}

/// The vectors of one index version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vectors {
    rows: Vec<Row>,
    /// `rows.len() * DIMENSIONS` values, row by row.
    data: Vec<f32>,
    by_id: HashMap<BookId, usize>,
}

/// One book's new row, embedded or carried over.
pub struct NewRow {
    pub id: BookId,
    pub text_hash: u64,
    pub facts: Facts,
    pub vector: Vec<f32>,
}

impl Vectors {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn vector(&self, id: BookId) -> Option<&[f32]> {
        self.by_id.get(&id).map(|&row| self.row(row))
    }

    pub fn facts(&self, id: BookId) -> Option<&Facts> {
        self.by_id.get(&id).map(|&row| &self.rows[row].facts)
    }

    /// The stored vector of `id` if it was embedded from text with this hash.
    pub fn reusable(&self, id: BookId, text_hash: u64) -> Option<&[f32]> {
        let &row = self.by_id.get(&id)?;
        (self.rows[row].text_hash == text_hash).then(|| self.row(row))
    }

    fn row(&self, row: usize) -> &[f32] {
        &self.data[row * DIMENSIONS..(row + 1) * DIMENSIONS]
    }

    pub fn remove(&mut self, id: BookId) {
        let Some(row) = self.by_id.remove(&id) else { return };
        let last = self.rows.len() - 1;
        self.rows.swap_remove(row);
        if row != last {
            let (head, tail) = self.data.split_at_mut(last * DIMENSIONS);
            head[row * DIMENSIONS..(row + 1) * DIMENSIONS].copy_from_slice(&tail[..DIMENSIONS]);
            self.by_id.insert(self.rows[row].id, row);
        }
        self.data.truncate(last * DIMENSIONS);
    }

    pub fn insert(&mut self, new: NewRow) {
        self.remove(new.id);
        self.by_id.insert(new.id, self.rows.len());
        self.rows.push(Row { id: new.id, text_hash: new.text_hash, facts: new.facts });
        self.data.extend_from_slice(&new.vector);
    }

    /// The books passing `filter` whose cosine with `query` is at least `floor`, nearest
    /// first (ties by id, so a ranking is the same on every call), at most `depth`.
    pub fn nearest(
        &self,
        query: &[f32],
        filter: &SearchFilter,
        floor: f32,
        depth: usize,
    ) -> Vec<(BookId, f32)> {
        let mut scored: Vec<(BookId, f32)> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.facts.passes(filter))
            .map(|(i, row)| (row.id, bookworm_embed::cosine(query, self.row(i))))
            .filter(|&(_, cosine)| cosine >= floor)
            .collect();
        let by_rank =
            |a: &(BookId, f32), b: &(BookId, f32)| b.1.total_cmp(&a.1).then_with(|| a.0.0.cmp(&b.0.0));
        if scored.len() > depth {
            scored.select_nth_unstable_by(depth, by_rank);
            scored.truncate(depth);
        }
        scored.sort_unstable_by(by_rank);
        scored
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + self.rows.len() * (100 + DIMENSIONS * 2));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.rows.len() as u64).to_le_bytes());
        for (i, row) in self.rows.iter().enumerate() {
            out.extend_from_slice(row.id.0.as_bytes());
            out.extend_from_slice(&row.text_hash.to_le_bytes());
            out.extend_from_slice(row.facts.category.0.as_bytes());
            out.extend_from_slice(row.facts.publisher.0.as_bytes());
            out.extend_from_slice(&row.facts.price_cents.to_le_bytes());
            out.push(u8::from(row.facts.in_stock));
            out.extend_from_slice(&(row.facts.authors.len() as u16).to_le_bytes());
            for author in &row.facts.authors {
                out.extend_from_slice(author.0.as_bytes());
            }
            for value in self.row(i) {
                out.extend_from_slice(&f16::from_f32(*value).to_le_bytes());
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |what: &str| Error::unavailable("search index vectors", what.to_owned());
        let mut input = Reader { bytes };
        if input.take(MAGIC.len()).ok_or_else(|| bad("truncated"))? != MAGIC {
            return Err(bad("another format or model: the index must be rebuilt"));
        }
        let count = input.u64().ok_or_else(|| bad("truncated"))?;
        // Each row is at least this long: a hostile count cannot make us reserve memory.
        if count > (bytes.len() / (DIMENSIONS * 2)) as u64 {
            return Err(bad("more rows than bytes"));
        }
        let mut vectors = Vectors::default();
        for _ in 0..count {
            let row = (|| {
                let id = BookId(input.uuid()?);
                let text_hash = input.u64()?;
                let category = CategoryId(input.uuid()?);
                let publisher = PublisherId(input.uuid()?);
                let price_cents = input.u64()?;
                let in_stock = input.take(1)?[0] == 1;
                let authors = u16::from_le_bytes(input.take(2)?.try_into().ok()?);
                let authors = (0..authors).map(|_| input.uuid().map(AuthorId)).collect::<Option<Vec<_>>>()?;
                let vector = input
                    .take(DIMENSIONS * 2)?
                    .chunks_exact(2)
                    .map(|pair| f16::from_le_bytes([pair[0], pair[1]]).to_f32())
                    .collect();
                let facts = Facts { category, publisher, authors, price_cents, in_stock };
                Some(NewRow { id, text_hash, facts, vector })
            })()
            .ok_or_else(|| bad("truncated"))?;
            vectors.insert(row);
        }
        if !input.bytes.is_empty() || vectors.len() as u64 != count {
            return Err(bad("trailing bytes or a book twice"));
        }
        Ok(vectors)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < n {
            return None;
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn uuid(&mut self) -> Option<Uuid> {
        Some(Uuid::from_bytes(self.take(16)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, first: f32) -> NewRow {
        let mut vector = vec![0.0; DIMENSIONS];
        vector[0] = first;
        vector[1] = (1.0 - first * first).sqrt();
        let facts = Facts {
            category: CategoryId::derived("c"),
            publisher: PublisherId::derived("p"),
            authors: vec![AuthorId::derived(name)],
            price_cents: 1000,
            in_stock: true,
        };
        NewRow { id: BookId::derived(name), text_hash: 7, facts, vector }
    }

    #[test]
    fn encode_then_decode_keeps_every_row_within_f16_precision() {
        let mut vectors = Vectors::default();
        for (name, first) in [("a", 1.0), ("b", 0.6), ("c", 0.123_456)] {
            vectors.insert(row(name, first));
        }
        let decoded = Vectors::decode(&vectors.encode()).unwrap();
        assert_eq!(decoded.rows, vectors.rows);
        for (a, b) in decoded.data.iter().zip(&vectors.data) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn remove_moves_the_last_row_into_the_gap() {
        let mut vectors = Vectors::default();
        for (name, first) in [("a", 1.0), ("b", 0.6), ("c", 0.2)] {
            vectors.insert(row(name, first));
        }
        vectors.remove(BookId::derived("a"));
        vectors.remove(BookId::derived("nobody"));
        assert_eq!(vectors.len(), 2);
        assert_eq!(vectors.vector(BookId::derived("c")).unwrap()[0], 0.2);
        assert_eq!(vectors.vector(BookId::derived("b")).unwrap()[0], 0.6);
        assert!(vectors.vector(BookId::derived("a")).is_none());
    }

    #[test]
    fn nearest_ranks_by_cosine_above_the_floor_and_respects_filters() {
        let mut vectors = Vectors::default();
        for (name, first) in [("a", 1.0), ("b", 0.6), ("c", 0.2)] {
            vectors.insert(row(name, first));
        }
        let mut query = vec![0.0; DIMENSIONS];
        query[0] = 1.0;
        let all = SearchFilter::default();
        let ids = |found: Vec<(BookId, f32)>| found.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids(vectors.nearest(&query, &all, 0.5, 10)), [BookId::derived("a"), BookId::derived("b")]);
        assert_eq!(ids(vectors.nearest(&query, &all, 0.0, 1)), [BookId::derived("a")]);
        let by_b = SearchFilter { author: Some(AuthorId::derived("b")), ..all.clone() };
        assert_eq!(ids(vectors.nearest(&query, &by_b, 0.0, 10)), [BookId::derived("b")]);
        let out = SearchFilter { in_stock: Some(false), ..all };
        assert!(vectors.nearest(&query, &out, 0.0, 10).is_empty());
    }

    #[test]
    fn damaged_or_foreign_files_are_refused() {
        let mut vectors = Vectors::default();
        vectors.insert(row("a", 1.0));
        let bytes = vectors.encode();
        assert!(Vectors::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(Vectors::decode(&[bytes.as_slice(), b"x"].concat()).is_err());
        assert!(Vectors::decode(b"BWVEC1 another-model\n").is_err());
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(Vectors::decode(&huge).is_err());
    }
}

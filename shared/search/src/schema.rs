//! The index's fields, the analyzer every text field and every query goes through, and how a
//! book card becomes a document.

use bookworm_domain::catalog::BookStatus;
use bookworm_domain::search::BookCard;
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, TantivyDocument};

/// The analyzer's name in the index's tokenizer registry.
const ANALYZER: &str = "bookworm";
/// Longer tokens are dropped: nobody searches a 40-letter word, and they bloat the dictionary.
const TOKEN_MAX_BYTES: usize = 40;

/// Words split on non-alphanumerics, lower-cased and folded to ASCII ("Brontë" → "bronte"), so
/// a shopper's keyboard layout does not decide what they find. No stemming: typo tolerance
/// already catches plurals ("wizards" is one edit from "wizard") without stemming's surprises.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(TOKEN_MAX_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzed words of `text`, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while stream.advance() {
        words.push(stream.token().text.clone());
    }
    words
}

/// A searchable text field and its weight in the ranking.
#[derive(Debug, Clone, Copy)]
pub struct TextField {
    pub field: Field,
    pub boost: f32,
    /// Whether the last word of a query may match the start of a word here. Not in the
    /// description: a prefix there matches half the dictionary and ranks nothing useful.
    pub prefix: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The book id, untokenized: what an update or delete replaces. A fast field too, so a
    /// ranked hit's id is read without its card (to fuse it with the ranking by meaning).
    pub id: Field,
    pub title: TextField,
    pub authors: TextField,
    pub category: TextField,
    pub publisher: TextField,
    pub description: TextField,
    pub category_id: Field,
    pub publisher_id: Field,
    pub author_id: Field,
    /// `/category/<id> <name>` and `/publisher/<id> <name>`: counted for the facets.
    pub facets: Field,
    /// The selling price in cents.
    pub price: Field,
    pub in_stock: Field,
    /// The whole [`BookCard`] as JSON: what a hit returns, without another read.
    pub card: Field,
}

impl Fields {
    /// The text fields, title and authors first: they rank above the rest.
    pub fn text(&self) -> [TextField; 5] {
        [self.title, self.authors, self.category, self.publisher, self.description]
    }
}

/// The schema, and the fields by handle.
pub fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Frequencies for BM25, no positions: nothing here runs phrase queries, and positions
    // would be a third of the index.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let mut text_field = |name: &str, boost: f32, prefix: bool| TextField {
        field: builder.add_text_field(name, text.clone()),
        boost,
        prefix,
    };
    let title = text_field("title", 3.0, true);
    let authors = text_field("authors", 3.0, true);
    let category = text_field("category", 1.5, true);
    let publisher = text_field("publisher", 1.5, true);
    let description = text_field("description", 1.0, false);
    let fields = Fields {
        id: builder.add_text_field("id", STRING | FAST),
        title,
        authors,
        category,
        publisher,
        description,
        category_id: builder.add_text_field("category_id", STRING),
        publisher_id: builder.add_text_field("publisher_id", STRING),
        author_id: builder.add_text_field("author_id", STRING),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
        price: builder.add_u64_field("price", INDEXED),
        in_stock: builder.add_bool_field("in_stock", INDEXED),
        card: builder.add_bytes_field("card", STORED),
    };
    (builder.build(), fields)
}

/// Registers the analyzer on an index (created or opened): tantivy keeps only its name.
pub fn register(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}

/// The facet path of a category or publisher: the id, then the name shown beside its count.
pub fn facet(dimension: &str, id: &impl ToString, name: &str) -> tantivy::schema::Facet {
    tantivy::schema::Facet::from_path([dimension.to_owned(), format!("{} {name}", id.to_string())])
}

pub fn document(fields: &Fields, card: &BookCard) -> Result<TantivyDocument, serde_json::Error> {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, card.id.to_string());
    doc.add_text(fields.title.field, &card.name);
    for author in &card.authors {
        doc.add_text(fields.authors.field, &author.name);
        doc.add_text(fields.author_id, author.id.to_string());
    }
    doc.add_text(fields.category.field, &card.category.name);
    doc.add_text(fields.publisher.field, &card.publisher.name);
    doc.add_text(fields.description.field, &card.description);
    doc.add_text(fields.category_id, card.category.id.to_string());
    doc.add_text(fields.publisher_id, card.publisher.id.to_string());
    doc.add_facet(fields.facets, facet("category", &card.category.id, &card.category.name));
    doc.add_facet(fields.facets, facet("publisher", &card.publisher.id, &card.publisher.name));
    doc.add_u64(fields.price, card.selling_price().cents());
    doc.add_bool(fields.in_stock, card.status == BookStatus::InStock);
    doc.add_bytes(fields.card, &serde_json::to_vec(card)?);
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_folded_and_split_on_punctuation() {
        assert_eq!(words("Brontë's  WUTHERING-Heights!"), ["bronte", "s", "wuthering", "heights"]);
        assert_eq!(words(&format!("ok {}", "x".repeat(TOKEN_MAX_BYTES + 1))), ["ok"]);
        assert!(words("¡¿ — !").is_empty());
    }
}

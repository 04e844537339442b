//! Catalog entities and the bookstore's validation rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::ids::{AuthorId, BookId, CategoryId, PublisherId};
use crate::text::{self, Lines};
use crate::{Error, Money};

/// Book titles may be long ("The Narrative of Arthur Gordon Pym of Nantucket"): the old
/// bookstore's 50-character cap cut real titles, so we allow 200.
pub const BOOK_NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 500;
pub const AUTHOR_NAME_MAX: usize = 100;
pub const CATEGORY_NAME_MAX: usize = 50;
pub const PUBLISHER_NAME_MAX: usize = 100;
pub const AUTHORS_PER_BOOK_MAX: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookStatus {
    InStock,
    OutOfStock,
}

impl BookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InStock => "in_stock",
            Self::OutOfStock => "out_of_stock",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "in_stock" => Some(Self::InStock),
            "out_of_stock" => Some(Self::OutOfStock),
            _ => None,
        }
    }
}

/// A book as the catalog holds it. Build one through [`BookDraft::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Book {
    pub id: BookId,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub sale_price: Option<Money>,
    pub status: BookStatus,
    pub author_ids: Vec<AuthorId>,
    pub category_id: CategoryId,
    pub publisher_id: PublisherId,
}

impl Book {
    /// What a shopper pays: the sale price when there is one, else the price.
    /// Price filters and the price sort order use this amount.
    pub fn selling_price(&self) -> Money {
        self.sale_price.unwrap_or(self.price)
    }
}

/// The fields a book is made of, before validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookDraft {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price: Money,
    #[serde(default)]
    pub sale_price: Option<Money>,
    pub status: BookStatus,
    pub author_ids: Vec<AuthorId>,
    pub category_id: CategoryId,
    pub publisher_id: PublisherId,
}

impl BookDraft {
    /// Checks every rule and reports every broken one, naming its field.
    pub fn validate(self, id: BookId) -> Result<Book, Error> {
        let mut problems = Problems::default();
        let name = problems.check(text::required("name", &self.name, BOOK_NAME_MAX, Lines::One));
        let description =
            problems.check(text::optional("description", &self.description, DESCRIPTION_MAX, Lines::Many));
        if self.price == Money::ZERO {
            problems.add("price", "must be greater than 0");
        }
        if let Some(sale) = self.sale_price {
            if sale == Money::ZERO {
                problems.add("sale_price", "must be greater than 0");
            } else if sale > self.price {
                problems.add("sale_price", "must not exceed price");
            }
        }
        if self.author_ids.is_empty() {
            problems.add("author_ids", "must name at least one author");
        } else if self.author_ids.len() > AUTHORS_PER_BOOK_MAX {
            problems.add("author_ids", format!("must name at most {AUTHORS_PER_BOOK_MAX} authors"));
        } else if has_duplicates(&self.author_ids) {
            problems.add("author_ids", "must not name an author twice");
        }
        problems.into_result()?;
        Ok(Book {
            id,
            name: name.unwrap_or_default(),
            description: description.flatten().unwrap_or_default(),
            price: self.price,
            sale_price: self.sale_price,
            status: self.status,
            author_ids: self.author_ids,
            category_id: self.category_id,
            publisher_id: self.publisher_id,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Author {
    pub id: AuthorId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Publisher {
    pub id: PublisherId,
    pub name: String,
}

impl Author {
    pub fn new(id: AuthorId, name: &str) -> Result<Self, Error> {
        Ok(Self { id, name: required_text("name", name, AUTHOR_NAME_MAX)? })
    }
}

impl Category {
    pub fn new(id: CategoryId, name: &str) -> Result<Self, Error> {
        Ok(Self { id, name: required_text("name", name, CATEGORY_NAME_MAX)? })
    }
}

impl Publisher {
    pub fn new(id: PublisherId, name: &str) -> Result<Self, Error> {
        Ok(Self { id, name: required_text("name", name, PUBLISHER_NAME_MAX)? })
    }
}

/// A whole catalog: the seed file's shape, and what a generator produces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogData {
    pub authors: Vec<Author>,
    pub categories: Vec<Category>,
    pub publishers: Vec<Publisher>,
    pub books: Vec<Book>,
}

/// A name: one line of checked text ([`crate::text`]), required.
fn required_text(field: &str, name: &str, max: usize) -> Result<String, Error> {
    text::required(field, name, max, Lines::One)
}

fn has_duplicates<T: Ord + Copy>(items: &[T]) -> bool {
    let mut sorted = items.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> BookDraft {
        BookDraft {
            name: "  Emma ".into(),
            description: "A novel.".into(),
            price: "12.00".parse().unwrap(),
            sale_price: Some("9.50".parse().unwrap()),
            status: BookStatus::InStock,
            author_ids: vec![AuthorId::derived("Jane Austen")],
            category_id: CategoryId::derived("Fiction"),
            publisher_id: PublisherId::derived("Penguin"),
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other}"),
        }
    }

    #[test]
    fn a_valid_draft_becomes_a_trimmed_book() {
        let book = draft().validate(BookId::derived("Emma")).unwrap();
        assert_eq!(book.name, "Emma");
        assert_eq!(book.selling_price().cents(), 950);
    }

    #[test]
    fn every_broken_rule_is_reported_with_its_field() {
        let mut bad = draft();
        bad.name = "   ".into();
        bad.description = "x".repeat(DESCRIPTION_MAX + 1);
        bad.price = Money::ZERO;
        bad.author_ids.clear();
        let err = bad.validate(BookId::random()).unwrap_err();
        assert_eq!(fields(err), ["name", "description", "price", "sale_price", "author_ids"]);
    }

    #[test]
    fn sale_price_must_be_positive_and_not_above_price() {
        let mut bad = draft();
        bad.sale_price = Some("12.01".parse().unwrap());
        assert_eq!(fields(bad.clone().validate(BookId::random()).unwrap_err()), ["sale_price"]);
        bad.sale_price = Some(Money::ZERO);
        assert_eq!(fields(bad.validate(BookId::random()).unwrap_err()), ["sale_price"]);
    }

    #[test]
    fn lengths_count_what_was_sent_before_trimming() {
        let mut padded = draft();
        padded.name = format!(" {}", "n".repeat(BOOK_NAME_MAX));
        padded.description = format!("{} ", "d".repeat(DESCRIPTION_MAX));
        assert_eq!(fields(padded.validate(BookId::random()).unwrap_err()), ["name", "description"]);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut ok = draft();
        ok.name = "é".repeat(BOOK_NAME_MAX);
        assert!(ok.clone().validate(BookId::random()).is_ok());
        ok.name.push('é');
        assert_eq!(fields(ok.validate(BookId::random()).unwrap_err()), ["name"]);
    }

    #[test]
    fn authors_must_be_distinct() {
        let mut bad = draft();
        bad.author_ids.push(bad.author_ids[0]);
        assert_eq!(fields(bad.validate(BookId::random()).unwrap_err()), ["author_ids"]);
    }

    #[test]
    fn names_follow_the_text_rule() {
        for name in ["x\u{0}y", "x\u{1b}y", "\u{202e}evil", "\u{feff}", "two\nlines"] {
            let mut bad = draft();
            bad.name = name.into();
            assert_eq!(fields(bad.validate(BookId::random()).unwrap_err()), ["name"], "{name:?}");
            assert_eq!(fields(Author::new(AuthorId::random(), name).unwrap_err()), ["name"], "{name:?}");
        }
        let mut multiline = draft();
        multiline.description = "First line.\nSecond\tline.".into();
        assert!(multiline.clone().validate(BookId::random()).is_ok(), "a description may have lines");
        multiline.description.push('\u{0}');
        assert_eq!(fields(multiline.validate(BookId::random()).unwrap_err()), ["description"]);
    }

    #[test]
    fn reference_names_are_required_and_bounded() {
        assert!(Author::new(AuthorId::random(), "Mark Twain").is_ok());
        assert_eq!(fields(Category::new(CategoryId::random(), "").unwrap_err()), ["name"]);
        let long = "p".repeat(PUBLISHER_NAME_MAX + 1);
        assert_eq!(fields(Publisher::new(PublisherId::random(), &long).unwrap_err()), ["name"]);
    }
}

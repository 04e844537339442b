//! Catalog queries: filters, sort orders, page sizes and opaque cursors.
//!
//! Every store orders books by the same *sort key* string, built here, so the embedded store
//! and DynamoDB page identically and a cursor is simply the sort key of the last book returned.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::catalog::Book;
use crate::ids::{AuthorId, BookId, CategoryId, PublisherId};
use crate::{Error, Money};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
pub const SEARCH_MAX: usize = 100;

/// Ends the leading part of a sort key. It sorts below every printable character, so a title
/// sorts before any longer title it is a prefix of ("Emma" before "Emma, Volume II").
const KEY_SEPARATOR: char = '\u{1}';

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Name,
    /// The selling price (sale price when set).
    Price,
}

impl SortField {
    pub const ALL: [SortField; 2] = [SortField::Name, SortField::Price];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Price => "price",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.as_str() == text)
    }

    /// The key this book sorts by under this field: `<leading part>\u{1}<book id>`.
    /// The id makes every key unique, so paging never skips or repeats a book.
    pub fn key(self, book: &Book) -> String {
        let lead = match self {
            Self::Name => normalized_name(&book.name),
            // Fixed width, so string order is numeric order (amounts are capped by MAX_CENTS).
            Self::Price => format!("{:010}", book.selling_price().cents()),
        };
        format!("{lead}{KEY_SEPARATOR}{}", book.id)
    }
}

/// Case-insensitive name order with runs of white space folded.
pub fn normalized_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub fn new(size: u32) -> Result<Self, Error> {
        if (1..=MAX_PAGE_SIZE).contains(&size) {
            Ok(Self(size))
        } else {
            Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE_SIZE}")))
        }
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self(DEFAULT_PAGE_SIZE)
    }
}

/// A position in one sort order: the sort key of the last book a page returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub sort: SortField,
    pub key: String,
}

impl Cursor {
    pub fn after(sort: SortField, book: &Book) -> Self {
        Self { sort, key: sort.key(book) }
    }

    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.sort.as_str(), self.key))
    }

    /// Decodes a cursor for `sort`; anything that was not produced by [`Cursor::encode`] for
    /// the same sort order is refused, naming the `cursor` parameter.
    pub fn decode(text: &str, sort: SortField) -> Result<Self, Error> {
        let garbled = || Error::invalid("cursor", "is not a cursor this API returned");
        // A sort key is at most 1,024 bytes in DynamoDB: a longer cursor would be a 503 there.
        if text.len() > 1366 {
            return Err(garbled());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| garbled())?;
        let text = String::from_utf8(bytes).map_err(|_| garbled())?;
        let (tag, key) = text.split_once(':').ok_or_else(garbled)?;
        let tagged = SortField::parse(tag).ok_or_else(garbled)?;
        if tagged != sort {
            return Err(Error::invalid(
                "cursor",
                format!("belongs to sort={}, not sort={}", tagged.as_str(), sort.as_str()),
            ));
        }
        let (lead, id) = key.rsplit_once(KEY_SEPARATOR).ok_or_else(garbled)?;
        id.parse::<BookId>().map_err(|_| garbled())?;
        let well_formed = match sort {
            SortField::Name => !lead.is_empty(),
            SortField::Price => lead.len() == 10 && lead.bytes().all(|b| b.is_ascii_digit()),
        };
        if !well_formed {
            return Err(garbled());
        }
        Ok(Self { sort, key: key.to_owned() })
    }

    /// The id of the book this cursor points after.
    pub fn book_id(&self) -> Option<BookId> {
        self.key.rsplit_once(KEY_SEPARATOR).and_then(|(_, id)| id.parse().ok())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookFilter {
    pub category: Option<CategoryId>,
    pub author: Option<AuthorId>,
    pub publisher: Option<PublisherId>,
    /// Bounds on the selling price, both inclusive.
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Case-insensitive words that must all occur in the title; held normalized.
    pub search: Option<String>,
}

impl BookFilter {
    pub fn set_search(&mut self, text: &str) -> Result<(), Error> {
        let text = crate::text::required("q", text, SEARCH_MAX, crate::text::Lines::One)?;
        let normalized = normalized_name(&text);
        if normalized.is_empty() {
            return Err(Error::invalid("q", "must not be blank"));
        }
        self.search = Some(normalized);
        Ok(())
    }

    pub fn matches(&self, book: &Book) -> bool {
        let price = book.selling_price();
        self.category.is_none_or(|c| book.category_id == c)
            && self.publisher.is_none_or(|p| book.publisher_id == p)
            && self.author.is_none_or(|a| book.author_ids.contains(&a))
            && self.min_price.is_none_or(|min| price >= min)
            && self.max_price.is_none_or(|max| price <= max)
            && self.search.as_deref().is_none_or(|words| {
                let name = normalized_name(&book.name);
                words.split(' ').all(|word| name.contains(word))
            })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookQuery {
    pub filter: BookFilter,
    pub sort: SortField,
    pub descending: bool,
    pub limit: PageSize,
    pub after: Option<Cursor>,
}

impl BookQuery {
    /// Checks rules that span several parameters.
    pub fn validate(self) -> Result<Self, Error> {
        if let (Some(min), Some(max)) = (self.filter.min_price, self.filter.max_price)
            && min > max
        {
            return Err(Error::invalid("min_price", "must not exceed max_price"));
        }
        Ok(self)
    }

    /// Whether `key` comes after the cursor in this query's direction.
    pub fn is_after_cursor(&self, key: &str) -> bool {
        match &self.after {
            None => true,
            Some(cursor) if self.descending => key < cursor.key.as_str(),
            Some(cursor) => key > cursor.key.as_str(),
        }
    }
}

/// One page of results and where the next one starts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items in order: the extra one only tells that
    /// another page exists, which then starts after the page's last item (`cursor` of it).
    pub fn from_lookahead_by(mut items: Vec<T>, limit: usize, cursor: impl FnOnce(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

impl Page<Book> {
    pub fn from_lookahead(books: Vec<Book>, query: &BookQuery) -> Self {
        Self::from_lookahead_by(books, query.limit.get(), |last| Cursor::after(query.sort, last).encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BookStatus;

    fn book(name: &str, cents: u64) -> Book {
        Book {
            id: BookId::derived(name),
            name: name.into(),
            description: String::new(),
            price: Money::from_cents(cents).unwrap(),
            sale_price: None,
            status: BookStatus::InStock,
            author_ids: vec![AuthorId::derived("a")],
            category_id: CategoryId::derived("c"),
            publisher_id: PublisherId::derived("p"),
        }
    }

    #[test]
    fn name_keys_sort_prefixes_first_and_ignore_case() {
        let keys: Vec<_> =
            ["emma, volume ii", "Emma", "EMMA  zed"].map(|n| SortField::Name.key(&book(n, 1))).to_vec();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, [keys[1].clone(), keys[2].clone(), keys[0].clone()]);
    }

    #[test]
    fn price_keys_sort_numerically() {
        let cheap = SortField::Price.key(&book("a", 999));
        let dear = SortField::Price.key(&book("b", 10_000));
        assert!(cheap < dear);
    }

    #[test]
    fn cursors_round_trip() {
        for sort in SortField::ALL {
            let cursor = Cursor::after(sort, &book("Emma", 1250));
            assert_eq!(Cursor::decode(&cursor.encode(), sort).unwrap(), cursor);
            assert_eq!(cursor.book_id(), Some(BookId::derived("Emma")));
        }
    }

    #[test]
    fn foreign_or_garbled_cursors_name_the_parameter() {
        let price_cursor = Cursor::after(SortField::Price, &book("Emma", 1250)).encode();
        let forged = URL_SAFE_NO_PAD.encode("price:12\u{1}not-an-id");
        for bad in ["", "!!!", "bm9wZQ", price_cursor.as_str(), forged.as_str()] {
            let sort = if bad == price_cursor { SortField::Name } else { SortField::Price };
            match Cursor::decode(bad, sort) {
                Err(Error::Invalid(errors)) => assert_eq!(errors[0].field, "cursor", "{bad}"),
                other => panic!("{bad:?} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn a_cursor_longer_than_any_sort_key_is_refused() {
        let mut long = book("Emma", 1250);
        long.name = "e".repeat(5000);
        let cursor = Cursor::after(SortField::Name, &long).encode();
        assert!(matches!(Cursor::decode(&cursor, SortField::Name), Err(Error::Invalid(_))));
        assert!(matches!(Cursor::decode(&"A".repeat(100_000), SortField::Name), Err(Error::Invalid(_))));
    }

    #[test]
    fn page_size_is_bounded() {
        assert!(PageSize::new(0).is_err());
        assert!(PageSize::new(MAX_PAGE_SIZE + 1).is_err());
        assert_eq!(PageSize::new(7).unwrap().get(), 7);
    }

    #[test]
    fn a_search_is_bounded_as_sent_not_as_folded() {
        let mut filter = BookFilter::default();
        let spaced = "a  ".repeat(SEARCH_MAX / 3 + 1); // 102 characters that fold to 67
        assert!(normalized_name(&spaced).chars().count() < SEARCH_MAX);
        assert!(filter.set_search(&spaced).is_err(), "over the limit as sent, whatever folding does");
        assert!(filter.set_search(&"a".repeat(SEARCH_MAX)).is_ok());
        assert!(filter.set_search(&" ".repeat(SEARCH_MAX)).is_err(), "blank");
    }

    #[test]
    fn filters_combine() {
        let emma = book("Emma", 1250);
        let mut filter =
            BookFilter { min_price: Some(Money::from_cents(1000).unwrap()), ..Default::default() };
        filter.set_search("EM").unwrap();
        assert!(filter.matches(&emma));
        filter.max_price = Some(Money::from_cents(1249).unwrap());
        assert!(!filter.matches(&emma));
        assert!(BookFilter::default().set_search("   ").is_err());
    }

    #[test]
    fn min_above_max_is_refused() {
        let mut query = BookQuery::default();
        query.filter.min_price = Some(Money::from_cents(5).unwrap());
        query.filter.max_price = Some(Money::from_cents(4).unwrap());
        assert!(query.validate().is_err());
    }

    #[test]
    fn lookahead_sets_the_cursor_only_when_more_remain() {
        let query = BookQuery { limit: PageSize::new(2).unwrap(), ..Default::default() };
        let books = vec![book("a", 1), book("b", 1), book("c", 1)];
        let page = Page::from_lookahead(books.clone(), &query);
        assert_eq!(page.items.len(), 2);
        let cursor = Cursor::decode(page.next_cursor.as_deref().unwrap(), SortField::Name).unwrap();
        assert_eq!(cursor.book_id(), Some(books[1].id));
        assert_eq!(Page::from_lookahead(books[..2].to_vec(), &query).next_cursor, None);
    }
}

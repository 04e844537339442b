//! From catalog changes to index changes. A change only says *what* changed; the book cards
//! are read from the catalog as they are now, so changes may arrive late, twice or out of order
//! and the index still ends up as the catalog is.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, CatalogData, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, LookupReader};
use bookworm_domain::query::{BookQuery, Cursor, MAX_PAGE_SIZE, PageSize};
use bookworm_domain::search::BookCard;

use crate::index::Changes;

/// Something in the catalog that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CatalogChange {
    Book(BookId),
    /// A renamed author: every book of theirs shows the new name.
    Author(AuthorId),
    Category(CategoryId),
    Publisher(PublisherId),
}

/// The catalog reads indexing needs.
pub trait CatalogReader: BookReader + LookupReader {}
impl<T: BookReader + LookupReader + ?Sized> CatalogReader for T {}

/// The index changes that bring every book `changes` touch up to date.
pub async fn resolve<C: CatalogReader + ?Sized>(
    catalog: &C,
    changes: &[CatalogChange],
) -> Result<Changes, Error> {
    let mut books = BTreeSet::new();
    for change in changes {
        let mut query = BookQuery { limit: PageSize::new(MAX_PAGE_SIZE)?, ..BookQuery::default() };
        match *change {
            CatalogChange::Book(id) => {
                books.insert(id);
                continue;
            }
            CatalogChange::Author(id) => query.filter.author = Some(id),
            CatalogChange::Category(id) => query.filter.category = Some(id),
            CatalogChange::Publisher(id) => query.filter.publisher = Some(id),
        }
        books.extend(all_books(catalog, query).await?.iter().map(|book| book.id));
    }
    let mut names = Names::default();
    let mut result = Changes::default();
    for id in books {
        match catalog.get_book(id).await? {
            Some(book) => {
                names.fetch_missing(catalog, &book).await?;
                result.upserts.push(names.card(book));
            }
            None => result.deletes.push(id),
        }
    }
    Ok(result)
}

/// Every live book's card, for a full rebuild.
pub async fn everything<C: CatalogReader + ?Sized>(catalog: &C) -> Result<Vec<BookCard>, Error> {
    let mut names = Names::new(
        catalog.list_authors().await?,
        catalog.list_categories().await?,
        catalog.list_publishers().await?,
    );
    let query = BookQuery { limit: PageSize::new(MAX_PAGE_SIZE)?, ..BookQuery::default() };
    let mut cards = Vec::new();
    for book in all_books(catalog, query).await? {
        names.fetch_missing(catalog, &book).await?;
        cards.push(names.card(book));
    }
    Ok(cards)
}

/// The cards of a whole data set (the seed, a generated catalog), without a store.
pub fn cards(data: &CatalogData) -> Vec<BookCard> {
    let names = Names::new(data.authors.clone(), data.categories.clone(), data.publishers.clone());
    data.books.iter().map(|book| names.card(book.clone())).collect()
}

/// Every page of a listing.
async fn all_books<C: CatalogReader + ?Sized>(catalog: &C, mut query: BookQuery) -> Result<Vec<Book>, Error> {
    let mut books = Vec::new();
    loop {
        let page = catalog.list_books(&query).await?;
        books.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.after = Some(Cursor::decode(&cursor, query.sort)?),
            None => return Ok(books),
        }
    }
}

/// Authors, categories and publishers read once per batch.
#[derive(Default)]
struct Names {
    authors: HashMap<AuthorId, Author>,
    categories: HashMap<CategoryId, Category>,
    publishers: HashMap<PublisherId, Publisher>,
}

impl Names {
    fn new(authors: Vec<Author>, categories: Vec<Category>, publishers: Vec<Publisher>) -> Self {
        Self {
            authors: authors.into_iter().map(|a| (a.id, a)).collect(),
            categories: categories.into_iter().map(|c| (c.id, c)).collect(),
            publishers: publishers.into_iter().map(|p| (p.id, p)).collect(),
        }
    }

    /// Reads the records `book` names that are not known yet; one the catalog does not have is
    /// remembered without its name.
    async fn fetch_missing<C: CatalogReader + ?Sized>(
        &mut self,
        catalog: &C,
        book: &Book,
    ) -> Result<(), Error> {
        for &id in &book.author_ids {
            if let Entry::Vacant(slot) = self.authors.entry(id) {
                let author = catalog.get_author(id).await?;
                slot.insert(
                    author.unwrap_or_else(|| missing("author", id, Author { id, name: String::new() })),
                );
            }
        }
        let id = book.category_id;
        if let Entry::Vacant(slot) = self.categories.entry(id) {
            let category = catalog.get_category(id).await?;
            slot.insert(
                category.unwrap_or_else(|| missing("category", id, Category { id, name: String::new() })),
            );
        }
        let id = book.publisher_id;
        if let Entry::Vacant(slot) = self.publishers.entry(id) {
            let publisher = catalog.get_publisher(id).await?;
            slot.insert(
                publisher.unwrap_or_else(|| missing("publisher", id, Publisher { id, name: String::new() })),
            );
        }
        Ok(())
    }

    /// The book's card with the names known; an unknown record's name is blank.
    fn card(&self, book: Book) -> BookCard {
        let authors = book
            .author_ids
            .iter()
            .map(|&id| self.authors.get(&id).cloned().unwrap_or(Author { id, name: String::new() }))
            .collect();
        let id = book.category_id;
        let category = self.categories.get(&id).cloned().unwrap_or(Category { id, name: String::new() });
        let id = book.publisher_id;
        let publisher = self.publishers.get(&id).cloned().unwrap_or(Publisher { id, name: String::new() });
        BookCard::new(book, authors, category, publisher)
    }
}

/// A book naming a record that is gone is still indexed (it is still sold), without the name.
fn missing<T>(kind: &str, id: impl std::fmt::Display, blank: T) -> T {
    tracing::warn!(kind, %id, "a book names a record the catalog does not have; indexed without its name");
    blank
}

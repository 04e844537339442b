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
            Some(book) => result.upserts.push(names.card(catalog, book).await?),
            None => result.deletes.push(id),
        }
    }
    Ok(result)
}

/// Every live book's card, for a full rebuild.
pub async fn everything<C: CatalogReader + ?Sized>(catalog: &C) -> Result<Vec<BookCard>, Error> {
    let mut names = Names {
        authors: catalog.list_authors().await?.into_iter().map(|a| (a.id, a)).collect(),
        categories: catalog.list_categories().await?.into_iter().map(|c| (c.id, c)).collect(),
        publishers: catalog.list_publishers().await?.into_iter().map(|p| (p.id, p)).collect(),
    };
    let query = BookQuery { limit: PageSize::new(MAX_PAGE_SIZE)?, ..BookQuery::default() };
    let mut cards = Vec::new();
    for book in all_books(catalog, query).await? {
        cards.push(names.card(catalog, book).await?);
    }
    Ok(cards)
}

/// The cards of a whole data set (the seed, a generated catalog), without a store.
pub fn cards(data: &CatalogData) -> Vec<BookCard> {
    let authors: HashMap<AuthorId, &Author> = data.authors.iter().map(|a| (a.id, a)).collect();
    let categories: HashMap<CategoryId, &Category> = data.categories.iter().map(|c| (c.id, c)).collect();
    let publishers: HashMap<PublisherId, &Publisher> = data.publishers.iter().map(|p| (p.id, p)).collect();
    data.books
        .iter()
        .map(|book| {
            let named =
                |id: AuthorId| authors.get(&id).map_or(Author { id, name: String::new() }, |a| (*a).clone());
            let category = categories
                .get(&book.category_id)
                .map_or(Category { id: book.category_id, name: String::new() }, |c| (*c).clone());
            let publisher = publishers
                .get(&book.publisher_id)
                .map_or(Publisher { id: book.publisher_id, name: String::new() }, |p| (*p).clone());
            BookCard::new(
                book.clone(),
                book.author_ids.iter().copied().map(named).collect(),
                category,
                publisher,
            )
        })
        .collect()
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
    async fn card<C: CatalogReader + ?Sized>(&mut self, catalog: &C, book: Book) -> Result<BookCard, Error> {
        let mut authors = Vec::with_capacity(book.author_ids.len());
        for &id in &book.author_ids {
            if let Entry::Vacant(slot) = self.authors.entry(id) {
                let author = catalog.get_author(id).await?;
                slot.insert(
                    author.unwrap_or_else(|| missing("author", id, Author { id, name: String::new() })),
                );
            }
            authors.push(self.authors[&id].clone());
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
        let category = self.categories[&book.category_id].clone();
        let publisher = self.publishers[&book.publisher_id].clone();
        Ok(BookCard::new(book, authors, category, publisher))
    }
}

/// A book naming a record that is gone is still indexed (it is still sold), without the name.
fn missing<T>(kind: &str, id: impl std::fmt::Display, blank: T) -> T {
    tracing::warn!(kind, %id, "a book names a record the catalog does not have; indexed without its name");
    blank
}

//! Catalog administration, for admins only: create, update and soft-delete books; create and
//! update authors, categories and publishers; delete authors, categories and publishers that no
//! book names (one still named is a 409 saying so).

use bookworm_domain::catalog::{
    AUTHOR_NAME_MAX, AUTHORS_PER_BOOK_MAX, Author, BOOK_NAME_MAX, Book, BookDraft, BookStatus,
    CATEGORY_NAME_MAX, Category, DESCRIPTION_MAX, PUBLISHER_NAME_MAX, Publisher,
};
use bookworm_domain::identity::Role;
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::CatalogStore;
use bookworm_domain::query::{BookFilter, BookQuery, PageSize};
use bookworm_domain::{Error, Money};
use bookworm_http::access::Access;
use bookworm_http::{
    Outcome, Routes, json, json_body, json_body_with_problems, no_content, path_parameter, respond, route,
};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    CreateBook,
    UpdateBook,
    DeleteBook,
    CreateAuthor,
    UpdateAuthor,
    DeleteAuthor,
    CreateCategory,
    UpdateCategory,
    DeleteCategory,
    CreatePublisher,
    UpdatePublisher,
    DeletePublisher,
}

const ADMIN: Access = Access::AnyOf(&[Role::Admin]);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("POST /books", ADMIN, Op::CreateBook),
    route("PUT /books/{id}", ADMIN, Op::UpdateBook),
    route("DELETE /books/{id}", ADMIN, Op::DeleteBook),
    route("POST /authors", ADMIN, Op::CreateAuthor),
    route("PUT /authors/{id}", ADMIN, Op::UpdateAuthor),
    route("DELETE /authors/{id}", ADMIN, Op::DeleteAuthor),
    route("POST /categories", ADMIN, Op::CreateCategory),
    route("PUT /categories/{id}", ADMIN, Op::UpdateCategory),
    route("DELETE /categories/{id}", ADMIN, Op::DeleteCategory),
    route("POST /publishers", ADMIN, Op::CreatePublisher),
    route("PUT /publishers/{id}", ADMIN, Op::UpdatePublisher),
    route("DELETE /publishers/{id}", ADMIN, Op::DeletePublisher),
]);

pub async fn handle(catalog: &dyn CatalogStore, request: Request) -> Response<Body> {
    let outcome = dispatch(catalog, &request).await;
    respond(&request, outcome)
}

async fn dispatch(catalog: &dyn CatalogStore, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let id = || path_parameter(request, "id").unwrap_or_default();
    match call.op {
        Op::CreateBook => create_book(catalog, request).await,
        Op::UpdateBook => update_book(catalog, BookId::parse("id", id())?, request).await,
        Op::DeleteBook => delete_book(catalog, BookId::parse("id", id())?).await,
        Op::CreateAuthor => {
            let author = Author::new(AuthorId::random(), &name::<AuthorInput>(request)?)?;
            catalog.put_author(&author).await?;
            created(&format!("/authors/{}", author.id), &author)
        }
        Op::UpdateAuthor => {
            let id = AuthorId::parse("id", id())?;
            catalog.get_author(id).await?.ok_or_else(|| Error::not_found("author", id))?;
            let author = Author::new(id, &name::<AuthorInput>(request)?)?;
            catalog.put_author(&author).await?;
            json(StatusCode::OK, &author)
        }
        Op::DeleteAuthor => {
            let id = AuthorId::parse("id", id())?;
            let author = catalog.get_author(id).await?.ok_or_else(|| Error::not_found("author", id))?;
            refuse_if_named(catalog, BookFilter { author: Some(id), ..Default::default() }, &author.name)
                .await?;
            catalog.delete_author(id).await?;
            Ok(no_content())
        }
        Op::CreateCategory => {
            let category = Category::new(CategoryId::random(), &name::<CategoryInput>(request)?)?;
            catalog.put_category(&category).await?;
            created(&format!("/categories/{}", category.id), &category)
        }
        Op::UpdateCategory => {
            let id = CategoryId::parse("id", id())?;
            catalog.get_category(id).await?.ok_or_else(|| Error::not_found("category", id))?;
            let category = Category::new(id, &name::<CategoryInput>(request)?)?;
            catalog.put_category(&category).await?;
            json(StatusCode::OK, &category)
        }
        Op::DeleteCategory => {
            let id = CategoryId::parse("id", id())?;
            let category = catalog.get_category(id).await?.ok_or_else(|| Error::not_found("category", id))?;
            refuse_if_named(catalog, BookFilter { category: Some(id), ..Default::default() }, &category.name)
                .await?;
            catalog.delete_category(id).await?;
            Ok(no_content())
        }
        Op::CreatePublisher => {
            let publisher = Publisher::new(PublisherId::random(), &name::<PublisherInput>(request)?)?;
            catalog.put_publisher(&publisher).await?;
            created(&format!("/publishers/{}", publisher.id), &publisher)
        }
        Op::UpdatePublisher => {
            let id = PublisherId::parse("id", id())?;
            catalog.get_publisher(id).await?.ok_or_else(|| Error::not_found("publisher", id))?;
            let publisher = Publisher::new(id, &name::<PublisherInput>(request)?)?;
            catalog.put_publisher(&publisher).await?;
            json(StatusCode::OK, &publisher)
        }
        Op::DeletePublisher => {
            let id = PublisherId::parse("id", id())?;
            let publisher =
                catalog.get_publisher(id).await?.ok_or_else(|| Error::not_found("publisher", id))?;
            refuse_if_named(
                catalog,
                BookFilter { publisher: Some(id), ..Default::default() },
                &publisher.name,
            )
            .await?;
            catalog.delete_publisher(id).await?;
            Ok(no_content())
        }
    }
}

async fn create_book(catalog: &dyn CatalogStore, request: &Request) -> Outcome {
    let book = checked_book(catalog, BookId::random(), request).await?;
    catalog.put_book(&book).await?;
    created(&format!("/books/{}", book.id), &book)
}

async fn update_book(catalog: &dyn CatalogStore, id: BookId, request: &Request) -> Outcome {
    catalog.get_book(id).await?.ok_or_else(|| Error::not_found("book", id))?;
    let book = checked_book(catalog, id, request).await?;
    catalog.put_book(&book).await?;
    json(StatusCode::OK, &book)
}

async fn delete_book(catalog: &dyn CatalogStore, id: BookId) -> Outcome {
    if !catalog.delete_book(id).await? {
        return Err(Error::not_found("book", id));
    }
    Ok(no_content())
}

/// 409 when a live book still names the author, category or publisher (`filter` selects the
/// books that name it): one book read from its listing is enough. A deleted book keeps its ids
/// (orders still name it) and does not count.
async fn refuse_if_named(catalog: &dyn CatalogStore, filter: BookFilter, name: &str) -> Result<(), Error> {
    let query = BookQuery { filter, limit: PageSize::new(1)?, ..Default::default() };
    if catalog.list_books(&query).await?.items.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!("{name} still has books in the catalog; delete or reassign them first.")))
}

// Required fields are `Option`s here only so that every missing one is reported by name; the
// schema says what is required.
/// A book's details, to create it or to replace them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    #[schemars(
        required,
        with = "String",
        length(min = 1, max = BOOK_NAME_MAX),
        extend("pattern" = bookworm_domain::text::pattern(bookworm_domain::text::Lines::One, true))
    )]
    name: Option<String>,
    #[serde(default)]
    #[schemars(length(max = DESCRIPTION_MAX), extend("pattern" = bookworm_domain::text::pattern(bookworm_domain::text::Lines::Many, false)))]
    description: String,
    /// Greater than 0.
    #[schemars(required, with = "Money", extend("not" = bookworm_domain::money::zero_schema()))]
    price: Option<Money>,
    /// Greater than 0, at most `price`; `null` or absent when not on sale.
    #[schemars(extend("not" = bookworm_domain::money::zero_schema()))]
    sale_price: Option<Money>,
    #[serde(default = "in_stock")]
    status: BookStatus,
    /// Existing authors, none twice.
    #[schemars(
        required,
        with = "Vec<AuthorId>",
        length(min = 1, max = AUTHORS_PER_BOOK_MAX),
        extend("uniqueItems" = true)
    )]
    author_ids: Option<Vec<AuthorId>>,
    /// An existing category.
    #[schemars(required, with = "CategoryId")]
    category_id: Option<CategoryId>,
    /// An existing publisher.
    #[schemars(required, with = "PublisherId")]
    publisher_id: Option<PublisherId>,
}

fn in_stock() -> BookStatus {
    BookStatus::InStock
}

/// A validated book whose authors, category and publisher all exist.
async fn checked_book(catalog: &dyn CatalogStore, id: BookId, request: &Request) -> Result<Book, Error> {
    // Every problem at once: values of the wrong type, missing fields, the book's rules, and
    // references to what does not exist.
    let (input, mut problems) = json_body_with_problems::<BookInput>(request)?;
    for (field, present) in [
        ("name", input.name.is_some()),
        ("price", input.price.is_some()),
        ("author_ids", input.author_ids.is_some()),
        ("category_id", input.category_id.is_some()),
        ("publisher_id", input.publisher_id.is_some()),
    ] {
        if !present && !problems.has(field) {
            problems.add(field, "is required");
        }
    }
    // The book's rules check what is there; a missing value has its problem already, and its
    // stand-in below passes every rule (one cent, at least the sale price; one author).
    let price = input.price.unwrap_or_else(|| input.sale_price.unwrap_or(Money::CENT));
    let draft = BookDraft {
        name: input.name.clone().unwrap_or_else(|| "-".into()),
        description: input.description,
        price,
        sale_price: input.sale_price,
        status: input.status,
        author_ids: input.author_ids.clone().unwrap_or_else(|| vec![AuthorId::random()]),
        category_id: input.category_id.unwrap_or_else(CategoryId::random),
        publisher_id: input.publisher_id.unwrap_or_else(PublisherId::random),
    };
    let book = match draft.validate(id) {
        Ok(book) => Some(book),
        Err(Error::Invalid(errors)) => {
            let new: Vec<_> = errors.into_iter().filter(|error| !problems.has(&error.field)).collect();
            for error in new {
                problems.add(error.field, error.message);
            }
            None
        }
        Err(other) => return Err(other),
    };
    for (i, author) in input.author_ids.iter().flatten().enumerate() {
        if catalog.get_author(*author).await?.is_none() {
            problems.add(format!("author_ids[{i}]"), format!("no author has id {author}"));
        }
    }
    if let Some(category) = input.category_id
        && catalog.get_category(category).await?.is_none()
    {
        problems.add("category_id", format!("no category has id {category}"));
    }
    if let Some(publisher) = input.publisher_id
        && catalog.get_publisher(publisher).await?.is_none()
    {
        problems.add("publisher_id", format!("no publisher has id {publisher}"));
    }
    problems.into_result()?;
    book.ok_or_else(|| Error::invalid("body", "is not a book"))
}

macro_rules! name_input {
    ($input:ident, $max:expr, $what:literal) => {
        #[doc = concat!("The body that creates or renames ", $what, ".")]
        #[derive(Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $input {
            #[schemars(
                required,
                with = "String",
                length(min = 1, max = $max),
                extend("pattern" = bookworm_domain::text::pattern(bookworm_domain::text::Lines::One, true))
            )]
            name: Option<String>,
        }

        impl From<$input> for Option<String> {
            fn from(input: $input) -> Self {
                input.name
            }
        }
    };
}

name_input!(AuthorInput, AUTHOR_NAME_MAX, "an author");
name_input!(CategoryInput, CATEGORY_NAME_MAX, "a category");
name_input!(PublisherInput, PUBLISHER_NAME_MAX, "a publisher");

/// The `name` of an author, category or publisher body.
fn name<Input: DeserializeOwned + Into<Option<String>>>(request: &Request) -> Result<String, Error> {
    json_body::<Input>(request)?.into().ok_or_else(|| Error::invalid("name", "is required"))
}

fn created<T: serde::Serialize>(location: &str, value: &T) -> Outcome {
    let mut response = json(StatusCode::CREATED, value)?;
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

//! A customer's basket in one shop. Prices always come from the catalog. Every change is saved
//! with the event that tells the shop's merchants about it, and only on top of the version it
//! was made from: concurrent changes retry instead of overwriting each other.
//!
//! [`priced_basket`] and [`change_quantity`] are the use cases, returning domain values: the
//! HTTP routes here and the MCP server's basket tools (functions/mcp) both run on them.

use bookworm_domain::Error;
use bookworm_domain::basket::{Basket, MAX_QUANTITY, PricedBasket};
use bookworm_domain::catalog::BookStatus;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ids::BookId;
use bookworm_domain::ids::ShopId;
use bookworm_domain::ports::{BasketStore, BookReader};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, Routes, json, json_body, no_content, path_parameter, respond, route, shop_id};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Get,
    SetQuantity,
    Remove,
    Empty,
}

/// Who may keep a basket.
pub const BASKET_HOLDERS: &[Role] = &[Role::Customer];
const CUSTOMERS: Access = Access::AnyOf(BASKET_HOLDERS);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /shops/{shop_id}/basket", CUSTOMERS, Op::Get),
    route("PUT /shops/{shop_id}/basket/items/{book_id}", CUSTOMERS, Op::SetQuantity),
    route("DELETE /shops/{shop_id}/basket/items/{book_id}", CUSTOMERS, Op::Remove),
    route("DELETE /shops/{shop_id}/basket", CUSTOMERS, Op::Empty),
]);

/// Attempts of a change racing other changes to the same basket.
const ATTEMPTS: u32 = 10;

/// The pause before attempt `attempt` (from 1) after a lost race: random up to 2^attempt ms,
/// 128 ms at most ("full jitter"), so the writers that lost together do not all come back together again.
/// Stores that commit writes in batches (the local one; DynamoDB under contention) otherwise
/// let one of them win per round, and the rest run out of attempts.
async fn back_off(attempt: u32) {
    let most = 1_u64 << attempt.min(7);
    tokio::time::sleep(std::time::Duration::from_micros(fastrand::u64(0..=most * 1000))).await;
}

pub async fn handle(books: &dyn BookReader, baskets: &dyn BasketStore, request: Request) -> Response<Body> {
    let outcome = dispatch(books, baskets, &request).await;
    respond(&request, outcome)
}

async fn dispatch(books: &dyn BookReader, baskets: &dyn BasketStore, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let customer = call.caller()?;
    let shop = shop_id(request)?;
    let book = || BookId::parse("book_id", path_parameter(request, "book_id").unwrap_or_default());
    match call.op {
        Op::Get => json(StatusCode::OK, &priced_basket(books, baskets, customer, shop).await?),
        Op::SetQuantity => {
            let quantity = json_body::<QuantityInput>(request)?
                .quantity
                .ok_or_else(|| Error::invalid("quantity", "is required"))?;
            let change = Change::Set(quantity);
            json(StatusCode::OK, &change_quantity(books, baskets, customer, shop, book()?, change).await?)
        }
        Op::Remove => remove(books, baskets, customer, shop, book()?).await,
        Op::Empty => empty(baskets, customer, shop).await,
    }
}

// `Option` only so that a missing quantity is reported by name; the schema requires it.
/// How many copies of the book the basket should hold.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityInput {
    /// How many copies the basket should hold.
    #[schemars(required, with = "u32", range(min = 1, max = MAX_QUANTITY))]
    #[serde(deserialize_with = "bookworm_domain::whole::option")]
    quantity: Option<u32>,
}

/// The caller's basket in `shop`, priced from the catalog now (empty if they have none).
pub async fn priced_basket(
    books: &dyn BookReader,
    baskets: &dyn BasketStore,
    customer: &Principal,
    shop: ShopId,
) -> Result<PricedBasket, Error> {
    let basket = baskets
        .basket(shop, &customer.user_id)
        .await?
        .unwrap_or_else(|| Basket::new(shop, &customer.user_id));
    books.price(&basket).await
}

/// What a change does to a book's quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The basket holds exactly this many (`PUT …/items/{book_id}`).
    Set(u32),
    /// This many more than it holds now (the MCP tool `add_to_basket`); the sum obeys the same
    /// 1..=99 rule as a set quantity.
    Add(u32),
}

/// Changes a book's quantity in the caller's basket; the basket, priced.
pub async fn change_quantity(
    books: &dyn BookReader,
    baskets: &dyn BasketStore,
    customer: &Principal,
    shop: ShopId,
    book_id: BookId,
    change: Change,
) -> Result<PricedBasket, Error> {
    let (Change::Set(quantity) | Change::Add(quantity)) = change;
    bookworm_domain::basket::check_quantity(quantity)?;
    let book = books.get_book(book_id).await?.ok_or_else(|| Error::not_found("book", book_id))?;
    if book.status == BookStatus::OutOfStock {
        return Err(Error::Conflict(format!("{} is out of stock", book.name)));
    }
    for attempt in 0..ATTEMPTS {
        let stored = baskets.basket(shop, &customer.user_id).await?;
        let expected = stored.as_ref().map(|basket| basket.version);
        let mut basket = stored.unwrap_or_else(|| Basket::new(shop, &customer.user_id));
        let held = basket.quantity_of(book_id);
        let quantity = match change {
            Change::Set(quantity) => quantity,
            // Saturating: a sum past u32 is past 99 too, and `set` refuses it by name.
            Change::Add(more) => held.unwrap_or(0).saturating_add(more),
        };
        basket.set(book_id, quantity)?;
        let view = books.price(&basket).await?;
        let event = ShopEvent::basket_item_set(&basket, &book, quantity, view.total, held.is_none());
        match baskets.save_basket(&basket, expected, &event).await {
            Ok(()) => return Ok(view),
            Err(Error::Conflict(_)) => back_off(attempt + 1).await,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

async fn remove(
    books: &dyn BookReader,
    baskets: &dyn BasketStore,
    customer: &Principal,
    shop: ShopId,
    book_id: BookId,
) -> Outcome {
    for attempt in 0..ATTEMPTS {
        let mut basket = baskets
            .basket(shop, &customer.user_id)
            .await?
            .ok_or_else(|| Error::not_found("basket item", book_id))?;
        let expected = basket.version;
        if !basket.remove(book_id) {
            return Err(Error::not_found("basket item", book_id));
        }
        let view = books.price(&basket).await?;
        let book = books.get_book(book_id).await?;
        let event = ShopEvent::basket_item_removed(&basket, book_id, book.as_ref(), view.total);
        match baskets.save_basket(&basket, Some(expected), &event).await {
            Ok(()) => return json(StatusCode::OK, &view),
            Err(Error::Conflict(_)) => back_off(attempt + 1).await,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

/// Empties the basket; emptying an empty basket is fine too.
async fn empty(baskets: &dyn BasketStore, customer: &Principal, shop: ShopId) -> Outcome {
    for attempt in 0..ATTEMPTS {
        let Some(basket) = baskets.basket(shop, &customer.user_id).await? else {
            return Ok(no_content());
        };
        let event = ShopEvent::basket_cleared(&basket);
        match baskets.delete_basket(&basket, basket.version, &event).await {
            Ok(()) => return Ok(no_content()),
            Err(Error::Conflict(_)) => back_off(attempt + 1).await,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

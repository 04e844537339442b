//! A customer's basket in one shop. Prices always come from the catalog. Every change is saved
//! with the event that tells the shop's merchants about it, and only on top of the version it
//! was made from: concurrent changes retry instead of overwriting each other.

use bookworm_domain::Error;
use bookworm_domain::basket::{Basket, PricedBasket};
use bookworm_domain::catalog::{Book, BookStatus};
use bookworm_domain::events::{ShopEvent, kinds};
use bookworm_domain::identity::Principal;
use bookworm_domain::ids::BookId;
use bookworm_domain::ports::{BasketStore, BookReader};
use bookworm_http::access::caller;
use bookworm_http::{Outcome, json, json_body, no_content, path_parameter, respond, shop_id};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// Attempts of a change racing other changes to the same basket.
const ATTEMPTS: usize = 5;

pub async fn handle(books: &dyn BookReader, baskets: &dyn BasketStore, request: Request) -> Response<Body> {
    let outcome = route(books, baskets, &request).await;
    respond(&request, outcome)
}

async fn route(books: &dyn BookReader, baskets: &dyn BasketStore, request: &Request) -> Outcome {
    let customer = caller(request)?;
    let shop = shop_id(request)?;
    let book = path_parameter(request, "book_id").map(|id| BookId::parse("book_id", id)).transpose()?;
    match (request.method().clone(), book) {
        (Method::GET, None) => {
            let basket = baskets
                .basket(shop, &customer.user_id)
                .await?
                .unwrap_or_else(|| Basket::new(shop, &customer.user_id));
            json(StatusCode::OK, &PricedBasket::from_catalog(&basket, books).await?)
        }
        (Method::PUT, Some(book)) => set_quantity(books, baskets, &customer, shop, book, request).await,
        (Method::DELETE, Some(book)) => remove(books, baskets, &customer, shop, book).await,
        (Method::DELETE, None) => empty(baskets, &customer, shop).await,
        _ => Err(Error::not_found("route", request.uri().path())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuantityInput {
    quantity: Option<u32>,
}

async fn set_quantity(
    books: &dyn BookReader,
    baskets: &dyn BasketStore,
    customer: &Principal,
    shop: Uuid,
    book_id: BookId,
    request: &Request,
) -> Outcome {
    let quantity = json_body::<QuantityInput>(request)?
        .quantity
        .ok_or_else(|| Error::invalid("quantity", "is required"))?;
    bookworm_domain::basket::check_quantity(quantity)?;
    let book = books.get_book(book_id).await?.ok_or_else(|| Error::not_found("book", book_id))?;
    if book.status == BookStatus::OutOfStock {
        return Err(Error::Conflict(format!("{} is out of stock", book.name)));
    }
    for _ in 0..ATTEMPTS {
        let stored = baskets.basket(shop, &customer.user_id).await?;
        let expected = stored.as_ref().map(|basket| basket.version);
        let mut basket = stored.unwrap_or_else(|| Basket::new(shop, &customer.user_id));
        let action = if basket.quantity_of(book_id).is_some() { "UPDATE" } else { "ADD" };
        basket.set(book_id, quantity)?;
        let view = PricedBasket::from_catalog(&basket, books).await?;
        let kind = if action == "ADD" { kinds::BASKET_ITEM_ADDED } else { kinds::BASKET_ITEM_UPDATED };
        let event = basket_event(&basket, kind, action, Some((&book, quantity)), &view);
        match baskets.save_basket(&basket, expected, &event).await {
            Ok(()) => return json(StatusCode::OK, &view),
            Err(Error::Conflict(_)) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

async fn remove(
    books: &dyn BookReader,
    baskets: &dyn BasketStore,
    customer: &Principal,
    shop: Uuid,
    book_id: BookId,
) -> Outcome {
    for _ in 0..ATTEMPTS {
        let mut basket = baskets
            .basket(shop, &customer.user_id)
            .await?
            .ok_or_else(|| Error::not_found("basket item", book_id))?;
        let expected = basket.version;
        if !basket.remove(book_id) {
            return Err(Error::not_found("basket item", book_id));
        }
        let view = PricedBasket::from_catalog(&basket, books).await?;
        let book = books.get_book(book_id).await?;
        let event =
            basket_event(&basket, kinds::BASKET_ITEM_REMOVED, "REMOVE", book.as_ref().map(|b| (b, 0)), &view);
        match baskets.save_basket(&basket, Some(expected), &event).await {
            Ok(()) => return json(StatusCode::OK, &view),
            Err(Error::Conflict(_)) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

/// Empties the basket; emptying an empty basket is fine too.
async fn empty(baskets: &dyn BasketStore, customer: &Principal, shop: Uuid) -> Outcome {
    for _ in 0..ATTEMPTS {
        let Some(basket) = baskets.basket(shop, &customer.user_id).await? else {
            return Ok(no_content());
        };
        let view = PricedBasket {
            shop_id: shop,
            lines: Vec::new(),
            total: Default::default(),
            unavailable: Vec::new(),
        };
        let event = basket_event(&basket, kinds::BASKET_CLEARED, "CLEAR", None, &view);
        match baskets.delete_basket(&basket, basket.version, &event).await {
            Ok(()) => return Ok(no_content()),
            Err(Error::Conflict(_)) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(Error::Conflict("the basket is changing too fast; try again".into()))
}

/// The in-store notifier's action, for a basket change: session (the basket), shopper,
/// product, price, category and the new basket total.
fn basket_event(
    basket: &Basket,
    kind: &str,
    action: &str,
    book: Option<(&Book, u32)>,
    view: &PricedBasket,
) -> ShopEvent {
    let data = json!({
        "session_id": basket.id,
        "shop_id": basket.shop_id,
        "shopper_id": basket.customer_id,
        "action_id": basket.version,
        "create_time": bookworm_domain::events::now_rfc3339(),
        "action": action,
        "product_id": book.map(|(b, _)| b.id),
        "product_name": book.map(|(b, _)| b.name.clone()),
        "product_price": book.map(|(b, _)| b.selling_price()),
        "category_id": book.map(|(b, _)| b.category_id),
        "quantity": book.map(|(_, quantity)| quantity),
        "basket_total": view.total,
    });
    ShopEvent::new(basket.shop_id, kind, format!("baskets/{}", basket.id), data)
}

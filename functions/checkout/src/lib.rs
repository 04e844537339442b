//! `POST /shops/{shop_id}/checkout` turns the caller's basket into an order, in one write with
//! the basket's removal and the `checkout.completed` event. It needs an `Idempotency-Key`: a
//! replay returns the same order, and two checkouts of one basket make exactly one order.
//!
//! An optional body chooses how the order reaches the buyer (`FulfilmentChoice`):
//! `{"fulfilment": "delivery", "address_id": …}`, `{"fulfilment": "pickup"}`, or nothing: delivery
//! to the profile's default address, pickup when there is none. A delivery order keeps a copy of
//! the address (`shipping_address`), which later edits of the profile never touch.

use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::identity::{ContactPolicy, Principal, Role};
use bookworm_domain::ids::{IdempotencyKey, ShopId};
use bookworm_domain::orders::{Order, Placed};
use bookworm_domain::ports::{BasketStore, BookReader, OrderStore, ProfileStore};
use bookworm_domain::profile::{FulfilmentChoice, Profile};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, Routes, json, json_body, respond, route, shop_id};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Checkout,
}

pub const ROUTES: Routes<Op> =
    Routes::new(&[route("POST /shops/{shop_id}/checkout", Access::AnyOf(&[Role::Customer]), Op::Checkout)]);

pub const IDEMPOTENCY_KEY_MAX: usize = IdempotencyKey::MAX;

/// The stores checkout works on.
pub struct Stores<'a> {
    pub books: &'a dyn BookReader,
    pub baskets: &'a dyn BasketStore,
    pub orders: &'a dyn OrderStore,
    /// The buyer's addresses, one of which a delivery order copies.
    pub profiles: &'a dyn ProfileStore,
    /// Which of the buyer's email and phone the order keeps for its notifications.
    pub contacts: ContactPolicy,
}

pub async fn handle(stores: &Stores<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(stores, &request).await;
    respond(&request, outcome)
}

async fn dispatch(stores: &Stores<'_>, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    match call.op {
        Op::Checkout => {
            let (buyer, shop, key) = (call.caller()?, shop_id(request)?, idempotency_key(request)?);
            checkout(stores, buyer, shop, key, &fulfilment_choice(request)?).await
        }
    }
}

/// The body, when there is one: clients from before fulfilment send none (or an empty one),
/// and get what no choice means.
fn fulfilment_choice(request: &Request) -> Result<FulfilmentChoice, Error> {
    if request.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(FulfilmentChoice::default());
    }
    json_body(request)
}

/// The request's `Idempotency-Key`, checked once here ([`IdempotencyKey::parse`]).
fn idempotency_key(request: &Request) -> Result<IdempotencyKey, Error> {
    let value = request.headers().get("idempotency-key").ok_or_else(|| {
        Error::invalid(IdempotencyKey::HEADER, "header is required: a unique value per checkout")
    })?;
    // Not text (bytes beyond ASCII): not printable ASCII either.
    let text =
        value.to_str().map_err(|_| Error::invalid(IdempotencyKey::HEADER, "must be printable ASCII"))?;
    IdempotencyKey::parse(text)
}

async fn checkout(
    stores: &Stores<'_>,
    buyer: &Principal,
    shop: ShopId,
    key: IdempotencyKey,
    choice: &FulfilmentChoice,
) -> Outcome {
    // A replay is the order as placed, whatever the profile holds now.
    if let Some(order) = stores.orders.order_by_key(&buyer.user_id, &key).await? {
        return replay(order, buyer, shop);
    }
    let profile = stores.profiles.profile(&buyer.user_id).await?;
    let (fulfilment, shipping_address) =
        profile.unwrap_or_else(|| Profile::empty(&buyer.user_id)).shipping(choice)?;
    let basket = stores
        .baskets
        .basket(shop, &buyer.user_id)
        .await?
        .ok_or_else(|| Error::Conflict("the basket is empty".into()))?;
    let priced = stores.books.price(&basket).await?;
    // Only contacts the issuer verified: an unverified address is someone else's, perhaps.
    let mut order = Order::checkout(priced, &buyer.user_id, buyer.contact_email(stores.contacts), &key)?;
    order.buyer_name = buyer.name.clone();
    order.buyer_phone = buyer.contact_phone(stores.contacts);
    order.fulfilment = fulfilment;
    order.shipping_address = shipping_address;
    let event = ShopEvent::checkout_completed(&order);
    match stores.orders.place_order(&order, &basket, &event).await? {
        Placed::New => {
            bookworm_metrics::count("OrdersPlaced", 1.0);
            bookworm_metrics::property("EventId", event.id.to_string());
            let mut response = json(StatusCode::CREATED, &order)?;
            if let Ok(location) = HeaderValue::from_str(&format!("/orders/{}", order.id)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        }
        // Lost a race: to this same checkout (a concurrent replay), or to another change.
        Placed::BasketChanged => match stores.orders.order_by_key(&buyer.user_id, &key).await? {
            Some(order) => replay(order, buyer, shop),
            None => {
                bookworm_metrics::count("CheckoutConflicts", 1.0);
                Err(Error::Conflict("the basket changed during checkout; review it and try again".into()))
            }
        },
    }
}

/// The order an earlier call with this key placed; the key cannot be reused for another shop,
/// and the order must be the caller's (the store's key is per buyer; this holds it to that).
fn replay(order: Order, buyer: &Principal, shop: ShopId) -> Outcome {
    if order.buyer_id != buyer.user_id {
        tracing::error!(order = %order.id, "an idempotency record named another buyer's order");
        return Err(Error::Conflict("this Idempotency-Key cannot be used; choose another".into()));
    }
    if order.shop_id != shop {
        return Err(Error::Conflict("this Idempotency-Key was used for a checkout in another shop".into()));
    }
    json(StatusCode::OK, &order)
}

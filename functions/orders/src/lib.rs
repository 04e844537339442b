//! Orders after checkout. `GET /orders`: a customer's own, or everyone's for an admin,
//! newest first, filtered by `status`, paged with a cursor. `GET /orders/{id}`: its buyer or an
//! admin; anyone else gets 404, so an order's existence is not revealed. `PATCH
//! /orders/{id}/complete` and `/cancel` (admins): only from `new`; repeating the same move
//! returns the order; any other move is 409. Each move is saved with an event to the order's
//! shop (merchants see it live; the email function mails the buyer).

use bookworm_domain::Error;
use bookworm_domain::basket::{Order, OrderStatus};
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ports::{OrderQuery, OrderStore};
use bookworm_http::access::caller;
use bookworm_http::{Outcome, QueryParams, json, path_parameter, respond};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

/// Attempts of a move racing another change to the same order.
const ATTEMPTS: usize = 3;

pub async fn handle(orders: &dyn OrderStore, request: Request) -> Response<Body> {
    let outcome = route(orders, &request).await;
    respond(&request, outcome)
}

async fn route(orders: &dyn OrderStore, request: &Request) -> Outcome {
    let caller = caller(request)?;
    let Some(id) = path_parameter(request, "id") else {
        return list(orders, &caller, request).await;
    };
    let id = bookworm_domain::ids::parse_hyphenated(id)
        .ok_or_else(|| Error::invalid("id", "must be an order id (a UUID)"))?;
    if request.method() == Method::GET {
        let order = visible(orders, &caller, id).await?;
        return json(StatusCode::OK, &order);
    }
    let target = match request.uri().path().rsplit('/').next() {
        Some("complete") => OrderStatus::Completed,
        Some("cancel") => OrderStatus::Cancelled,
        _ => return Err(Error::not_found("route", request.uri().path())),
    };
    transition(orders, &caller, id, target).await
}

async fn list(orders: &dyn OrderStore, caller: &Principal, request: &Request) -> Outcome {
    let params = QueryParams::parse(request, &["status", "limit", "cursor"])?;
    let status = params.parse_with("status", |text| {
        OrderStatus::parse(text).ok_or_else(|| "must be one of: new, completed, cancelled".to_owned())
    })?;
    let limit = params.page_size()?.unwrap_or_default();
    let after = params.get("cursor").map(EventCursor::decode).transpose()?;
    // Admins see every order; everyone else their own.
    let buyer = (!caller.has(Role::Admin)).then(|| caller.user_id.clone());
    let page = orders.list_orders(&OrderQuery { buyer, status, after, limit }).await?;
    json(StatusCode::OK, &page)
}

/// The order, if the caller may see it; 404 otherwise.
async fn visible(orders: &dyn OrderStore, caller: &Principal, id: Uuid) -> Result<Order, Error> {
    match orders.order(id).await? {
        Some(order) if order.buyer_id == caller.user_id || caller.has(Role::Admin) => Ok(order),
        _ => Err(Error::not_found("order", id)),
    }
}

async fn transition(orders: &dyn OrderStore, caller: &Principal, id: Uuid, target: OrderStatus) -> Outcome {
    if !caller.has(Role::Admin) {
        return Err(Error::Forbidden("Only admins may complete or cancel orders.".into()));
    }
    for _ in 0..ATTEMPTS {
        let mut order = visible(orders, caller, id).await?;
        let from = order.status;
        if !order.transition(target)? {
            return json(StatusCode::OK, &order); // already there: the same answer again
        }
        let event = ShopEvent::order_closed(&order)?;
        if orders.update_status(&order, from, &event).await? {
            return json(StatusCode::OK, &order);
        }
    }
    Err(Error::Conflict("the order is changing; try again".into()))
}

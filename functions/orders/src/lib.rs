//! Orders after checkout. `GET /orders`: a customer's own, or everyone's for an admin (one
//! buyer's with `customer_id`, admins only), newest first, filtered by `status` and by the days
//! they were placed (`from`, `to`: YYYY-MM-DD, UTC, both included), paged with a cursor. `GET
//! /shops/{shop_id}/orders`: the same for one shop, for its merchants and admins (the merchant
//! dashboard). `GET /orders/{id}`: its buyer or an admin; anyone else gets 404, so an order's
//! existence is not revealed. `PATCH /orders/{id}/complete` and `/cancel` (admins): only from
//! `new`; repeating the same move returns the order; any other move is 409. Each move is saved
//! with an event to the order's shop (merchants see it live; the email function mails the buyer).
//!
//! The days are a condition on the listings' sort key (placed time, then id), so a range reads
//! only its own span of the index.

use bookworm_domain::Error;
use bookworm_domain::error::Problems;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::figures::{Day, MAX_USER_ID_CHARS};
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ids::{OrderId, UserId};
use bookworm_domain::orders::{Order, OrderStatus, PlacedWithin};
use bookworm_domain::ports::{OrderQuery, OrderScope, OrderStore};
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, json, path_parameter, respond, route, shop_id};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

#[derive(Debug, Clone, Copy)]
pub enum Op {
    List,
    ListShop,
    Get,
    Complete,
    Cancel,
}

const ADMIN: Access = Access::AnyOf(&[Role::Admin]);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("GET /orders", Access::SignedIn, Op::List),
    route("GET /shops/{shop_id}/orders", Access::ShopStaff, Op::ListShop),
    route("GET /orders/{id}", Access::SignedIn, Op::Get),
    route("PATCH /orders/{id}/complete", ADMIN, Op::Complete),
    route("PATCH /orders/{id}/cancel", ADMIN, Op::Cancel),
]);

/// Attempts of a move racing another change to the same order.
const ATTEMPTS: usize = 3;

pub async fn handle(orders: &dyn OrderStore, request: Request) -> Response<Body> {
    let outcome = dispatch(orders, &request).await;
    respond(&request, outcome)
}

async fn dispatch(orders: &dyn OrderStore, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let caller = call.caller()?;
    let id = || OrderId::parse("id", path_parameter(request, "id").unwrap_or_default());
    match call.op {
        // Admins see every order, or one customer's; everyone else their own.
        Op::List => {
            let params = QueryParams::parse(request, &[LIST_PARAMS, &["customer_id"]].concat())?;
            let scope = match (caller.has(Role::Admin), params.get("customer_id")) {
                (true, Some(customer)) => OrderScope::Buyer(customer_id(customer)?),
                (true, None) => OrderScope::Everyone,
                (false, Some(_)) => {
                    return Err(Error::Forbidden("only admins may list another customer's orders".into()));
                }
                (false, None) => OrderScope::Buyer(caller.user_id.clone()),
            };
            list(orders, scope, &params).await
        }
        // The access rule let only this shop's merchants and admins through.
        Op::ListShop => {
            let params = QueryParams::parse(request, LIST_PARAMS)?;
            list(orders, OrderScope::Shop(shop_id(request)?), &params).await
        }
        Op::Get => json(StatusCode::OK, &visible(orders, caller, id()?).await?),
        Op::Complete => transition(orders, caller, id()?, OrderStatus::Completed).await,
        Op::Cancel => transition(orders, caller, id()?, OrderStatus::Cancelled).await,
    }
}

/// The parameters of both listings.
const LIST_PARAMS: &[&str] = &["status", "from", "to", "limit", "cursor"];

async fn list(orders: &dyn OrderStore, scope: OrderScope, params: &QueryParams) -> Outcome {
    let mut problems = Problems::default();
    let status = problems.check(params.parse_with("status", |text| {
        OrderStatus::parse(text).ok_or_else(|| "must be one of: new, completed, cancelled".to_owned())
    }));
    let from = params.get("from").and_then(|text| problems.check(Day::parse("from", text)));
    let to = params.get("to").and_then(|text| problems.check(Day::parse("to", text)));
    let limit = problems.check(params.page_size());
    let after = params.get("cursor").and_then(|text| problems.check(EventCursor::decode(text)));
    problems.into_result()?;
    let placed = PlacedWithin::new(from, to)?;
    if let Some(after) = &after {
        placed.check_cursor(&after.0)?;
    }
    let query = OrderQuery {
        scope,
        status: status.flatten(),
        placed,
        after,
        limit: limit.flatten().unwrap_or_default(),
    };
    json(StatusCode::OK, &orders.list_orders(&query).await?)
}

/// An admin's `customer_id`: a user id as tokens carry them.
fn customer_id(text: &str) -> Result<UserId, Error> {
    let id = UserId::parse("customer_id", text)?;
    if id.as_str().chars().count() > MAX_USER_ID_CHARS {
        return Err(Error::invalid("customer_id", format!("must be at most {MAX_USER_ID_CHARS} characters")));
    }
    Ok(id)
}

/// The order, if the caller may see it; 404 otherwise.
async fn visible(orders: &dyn OrderStore, caller: &Principal, id: OrderId) -> Result<Order, Error> {
    match orders.order(id).await? {
        Some(order) if order.buyer_id == caller.user_id || caller.has(Role::Admin) => Ok(order),
        _ => Err(Error::not_found("order", id)),
    }
}

async fn transition(
    orders: &dyn OrderStore,
    caller: &Principal,
    id: OrderId,
    target: OrderStatus,
) -> Outcome {
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

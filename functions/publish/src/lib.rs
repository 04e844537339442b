//! `POST /publish/{shop_id}`: the in-store app's existing contract for checkout actions, now
//! authenticated and checked; each action becomes a shop event that the shop's merchants get
//! live. `GET /shops/{shop_id}/events`: the shop's archived events, newest first.
//! [`device`]: the same actions from in-store devices over MQTT, through the same checks into
//! the same outbox.

pub mod device;

use bookworm_domain::events::{CloudEvent, EventCursor, ShopEvent};
use bookworm_domain::identity::Principal;
use bookworm_domain::ids::ShopId;
use bookworm_domain::ports::EventLog;
use bookworm_domain::publish::CheckoutAction;
use bookworm_domain::query::Page;
use bookworm_http::access::Access;
use bookworm_http::{Outcome, QueryParams, Routes, feed_id, json, json_body, respond, route, shop_id};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Publish,
    History,
}

pub const ROUTES: Routes<Op> = Routes::new(&[
    // Who may publish depends on the action (a customer their own, staff their shop's):
    // `CheckoutAction::authorize` decides once the body is read.
    route("POST /publish/{shop_id}", Access::SignedIn, Op::Publish),
    route("GET /shops/{shop_id}/events", Access::ShopStaff, Op::History),
]);

pub async fn handle(events: &dyn EventLog, request: Request) -> Response<Body> {
    let outcome = dispatch(events, &request).await;
    respond(&request, outcome)
}

async fn dispatch(events: &dyn EventLog, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    match call.op {
        Op::Publish => publish(events, shop_id(request)?, call.caller()?, request).await,
        Op::History => history(events, feed_id(request)?, request).await,
    }
}

async fn publish(events: &dyn EventLog, shop: ShopId, caller: &Principal, request: &Request) -> Outcome {
    let action: CheckoutAction = json_body(request)?;
    action.validate(shop)?;
    action.authorize(caller, shop)?;
    record(events, action).await?;
    // The old service's reply, word for word: its clients read it.
    json(StatusCode::OK, &json!({ "status": format!("Message sent to shop ID {shop}") }))
}

/// Puts a checked action into the outbox (the events table, whose stream the relay publishes):
/// the one way an action becomes a shop event, over HTTP or MQTT.
async fn record(events: &dyn EventLog, action: CheckoutAction) -> Result<ShopEvent, bookworm_domain::Error> {
    let event = ShopEvent::checkout_action(action);
    events.append(&event).await?;
    bookworm_metrics::count("EventsPublished", 1.0);
    bookworm_metrics::property("EventId", event.id.to_string());
    Ok(event)
}

async fn history(events: &dyn EventLog, shop: ShopId, request: &Request) -> Outcome {
    let params = QueryParams::parse(request, &["limit", "cursor"])?;
    let limit = params.page_size()?.unwrap_or_default();
    let after = params.get("cursor").map(EventCursor::decode).transpose()?;
    let page = events.history(shop, after.as_ref(), limit).await?;
    let page: Page<CloudEvent> = Page {
        items: page.items.iter().map(ShopEvent::cloud_event).collect(),
        next_cursor: page.next_cursor,
    };
    json(StatusCode::OK, &page)
}

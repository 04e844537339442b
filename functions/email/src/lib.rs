//! The bookstore's three order emails, one per order event, to the email captured at checkout:
//! received (`checkout.completed`), completed and shipped (`order.completed`), cancelled
//! (`order.cancelled`). Each says where the order goes: the address it was placed with (the
//! order's own copy), or the shop it is collected at. Templates live in `templates/` and are checked at compile time
//! (askama); every value in the HTML part is escaped. A redelivered event sends nothing: the
//! email is claimed by event id first, and the claim completed only once sent.
//!
//! The same events push to the buyer's registered devices when they turned
//! `push_notifications` on ([`push`]): this function already reads each order event's order and
//! the buyer's preferences, and its dead-letter queue and hourly retry (`email-retry`) already
//! bring a failed event back; a function of its own would repeat all of that.

use std::time::Duration;

use askama::Template;
use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::Error;
use bookworm_domain::basket::PricedLine;
use bookworm_domain::events::{Payload, ShopEvent};
use bookworm_domain::ids::{EventId, OrderId, ShopId};
use bookworm_domain::mail::{Email, Mailer, PreferenceStore, Sms, SmsSender, is_e164};
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{Claim, Deduplicator, DeviceStore, OrderStore, PushGateway};
use bookworm_domain::profile::{Address, Fulfilment};

const CONSUMER: &str = "email";
const SMS_CONSUMER: &str = "sms";

pub mod push;
/// Longer than one invocation: a send that died mid-way is retried after it.
const CLAIM_LEASE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Received,
    Completed,
    Cancelled,
}

impl Kind {
    /// The email an event asks for, and the order it is about; `None` for other events.
    pub fn for_event(payload: &Payload) -> Option<(Self, OrderId)> {
        match payload {
            Payload::CheckoutCompleted(placed) => Some((Self::Received, placed.order_id)),
            Payload::OrderCompleted(closed) => Some((Self::Completed, closed.order_id)),
            Payload::OrderCancelled(closed) => Some((Self::Cancelled, closed.order_id)),
            Payload::CheckoutAction(_)
            | Payload::BasketItemAdded(_)
            | Payload::BasketItemUpdated(_)
            | Payload::BasketItemRemoved(_)
            | Payload::BasketCleared(_)
            | Payload::ReviewCreated(_)
            | Payload::ReviewUpdated(_)
            | Payload::ReviewRemoved(_) => None,
        }
    }

    /// The old bookstore's subjects, word for word: customers know them.
    pub fn subject(self) -> &'static str {
        match self {
            Self::Received => "BookWorm: Your Order Has Been Received Successfully",
            Self::Completed => "BookWorm: Your Order Has Been Completed and Shipped",
            Self::Cancelled => "BookWorm: Your Order Has Been Canceled - Important Information",
        }
    }

    pub(crate) fn message(self, fulfilment: Fulfilment) -> &'static str {
        match (self, fulfilment) {
            (Self::Received, _) => "We have received your order and are getting it ready.",
            (Self::Completed, Fulfilment::Delivery) => "Your order is complete and on its way to you.",
            (Self::Completed, Fulfilment::Pickup) => {
                "Your order is complete and ready to collect at the shop."
            }
            (Self::Cancelled, _) => {
                "Your order has been canceled. You will not be charged; if you did not ask for this, please reply to this email."
            }
        }
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct HtmlPart<'a> {
    subject: &'a str,
    name: &'a str,
    message: &'a str,
    lines: &'a [PricedLine],
    total: String,
    order_id: OrderId,
    destination: &'a Destination,
}

#[derive(Template)]
#[template(path = "order.txt")]
struct TextPart<'a> {
    name: &'a str,
    message: &'a str,
    lines: &'a [PricedLine],
    total: String,
    order_id: OrderId,
    destination: &'a Destination,
}

/// Where the order goes, as the emails show it.
enum Destination {
    /// The lines of the address the order keeps, in the order a label prints them.
    Delivery(Vec<String>),
    Pickup(ShopId),
}

impl Destination {
    fn of(order: &Order) -> Self {
        match (order.fulfilment, &order.shipping_address) {
            (Fulfilment::Delivery, Some(address)) => Self::Delivery(address_lines(address)),
            // Pickup, or (never written) delivery without an address: the shop is what is known.
            _ => Self::Pickup(order.shop_id),
        }
    }
}

/// `address` as lines: recipient, street, `city, region postal code`, country code.
fn address_lines(address: &Address) -> Vec<String> {
    let mut place = address.city.clone();
    if let Some(region) = &address.region {
        place = format!("{place}, {region}");
    }
    if let Some(code) = &address.postal_code {
        place = format!("{place} {code}");
    }
    [
        Some(&address.recipient),
        Some(&address.line1),
        address.line2.as_ref(),
        Some(&place),
        Some(&address.country),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// The email for `order`, or `None` when the buyer left no email address.
pub fn render(kind: Kind, order: &Order) -> Result<Option<Email>, Error> {
    let Some(to) = order.buyer_email.as_deref().map(str::trim).filter(|to| !to.is_empty()) else {
        return Ok(None);
    };
    let name = order.buyer_name.as_deref().map(str::trim).filter(|name| !name.is_empty()).unwrap_or("reader");
    let (subject, message, total) = (kind.subject(), kind.message(order.fulfilment), order.total.to_string());
    let destination = &Destination::of(order);
    let failed = |e: askama::Error| Error::unavailable("render an email", e);
    let (lines, order_id) = (&order.lines, order.id);
    let html = HtmlPart { subject, name, message, lines, total: total.clone(), order_id, destination }
        .render()
        .map_err(failed)?;
    let text = TextPart { name, message, lines, total, order_id, destination }.render().map_err(failed)?;
    Ok(Some(Email { to: to.to_owned(), subject: subject.to_owned(), html, text }))
}

/// The text message for `order`, when the buyer has a phone number.
pub fn text_message(kind: Kind, order: &Order) -> Option<Sms> {
    let to = order.buyer_phone.clone().filter(|phone| is_e164(phone))?;
    let news = match kind {
        Kind::Received => "we received your order",
        Kind::Completed => "your order is complete and on its way",
        Kind::Cancelled => "your order was canceled",
    };
    Some(Sms { to, text: format!("BookWorm: {news} ({}), total ${}.", order.id, order.total) })
}

/// What the function needs.
pub struct Notifier<'a> {
    pub orders: &'a dyn OrderStore,
    pub mailer: &'a dyn Mailer,
    pub dedupe: &'a dyn Deduplicator,
    pub preferences: &'a dyn PreferenceStore,
    pub sms: &'a dyn SmsSender,
    /// The buyers' devices, and the push service that reaches them.
    pub devices: &'a dyn DeviceStore,
    pub push: &'a dyn PushGateway,
}

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Nothing to send to: no email address (or, for a text message, no phone or no opt-in).
    /// Logged, not an error.
    NoAddress,
    /// Already sent for this event.
    Duplicate,
    /// Not an order event (the subscription filter should keep these away).
    Ignored,
}

impl Notifier<'_> {
    /// Handles an SNS batch; an error makes Lambda retry, then park the event in the DLQ.
    pub async fn handle(&self, batch: SnsEvent) -> Result<Vec<Outcome>, Error> {
        let mut outcomes = Vec::with_capacity(batch.records.len());
        for record in batch.records {
            outcomes.push(self.notify(&ShopEvent::from_message(&record.sns.message)?).await?);
        }
        Ok(outcomes)
    }

    /// The email, then (when the buyer opted in) the text message and the pushes. Each is
    /// claimed on its own (each push per device), so a retry after a failed text message or
    /// push sends nothing that was sent.
    pub async fn notify(&self, event: &ShopEvent) -> Result<Outcome, Error> {
        let Some((kind, id)) = Kind::for_event(&event.payload) else {
            return Ok(Outcome::Ignored);
        };
        bookworm_metrics::property("EventId", event.id.to_string());
        let order = self.orders.order(id).await?.ok_or_else(|| Error::not_found("order", id))?;
        let email = self.once(CONSUMER, event.id, self.send_email(kind, &order)).await?;
        let sms = self.once(SMS_CONSUMER, event.id, self.send_sms(kind, &order)).await;
        // Pushes go out even when the text message failed; the event still fails after them.
        let pushed = self.push_all(kind, event.id, &order).await;
        sms?;
        pushed?;
        Ok(email)
    }

    /// Runs `work` unless `consumer` already handled `event`; a failure gives the claim back.
    pub(crate) async fn once(
        &self,
        consumer: &str,
        event: EventId,
        work: impl std::future::Future<Output = Result<Outcome, Error>>,
    ) -> Result<Outcome, Error> {
        match self.dedupe.claim(consumer, event, CLAIM_LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => {
                bookworm_metrics::count("DuplicateDeliveries", 1.0);
                return Ok(Outcome::Duplicate);
            }
            // A hung or slow attempt may yet send it: fail, so Lambda retries after its lease.
            Claim::InProgress => {
                return Err(Error::unavailable(
                    "claim the event",
                    format!("{consumer} of {event} is in progress"),
                ));
            }
        }
        match work.await {
            Ok(outcome) => {
                self.dedupe.complete(consumer, event).await?;
                Ok(outcome)
            }
            Err(error) => {
                self.dedupe.release(consumer, event).await?;
                Err(error)
            }
        }
    }

    async fn send_sms(&self, kind: Kind, order: &Order) -> Result<Outcome, Error> {
        let Some(sms) = text_message(kind, order) else {
            return Ok(Outcome::NoAddress);
        };
        if !self.preferences.preferences(&order.buyer_id).await?.sms_notifications {
            return Ok(Outcome::NoAddress);
        }
        self.sms.send_sms(&sms).await?;
        bookworm_metrics::count("SmsSent", 1.0);
        tracing::info!(order = %order.id, kind = ?kind, "text message sent");
        Ok(Outcome::Sent)
    }

    async fn send_email(&self, kind: Kind, order: &Order) -> Result<Outcome, Error> {
        match render(kind, order)? {
            Some(email) => {
                if let Err(error) = self.mailer.send(&email).await {
                    bookworm_metrics::count("EmailsFailed", 1.0);
                    return Err(error);
                }
                bookworm_metrics::count("EmailsSent", 1.0);
                tracing::info!(order = %order.id, kind = ?kind, "email sent");
                Ok(Outcome::Sent)
            }
            None => {
                tracing::info!(order = %order.id, kind = ?kind, "the buyer has no email address; nothing sent");
                Ok(Outcome::NoAddress)
            }
        }
    }
}

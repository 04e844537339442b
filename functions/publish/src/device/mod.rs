//! An in-store device's checkout action, published over MQTT on `shops/{shop_id}/actions`.
//!
//! The broker (IoT Core, or the local stack's) has already let only that shop's devices publish
//! there; this reads the shop from the topic, the action from the payload, and holds it to every
//! rule `POST /publish/{shop_id}` holds a body to (size, JSON, fields, the body's shop equal to
//! the topic's) before it goes into the same outbox. A message that fails is dropped: a device
//! gets no reply to read, so it is logged with its reason and counted, never delivered.

use bookworm_domain::devices::shop_of_actions_topic;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ports::EventLog;
use bookworm_domain::publish::CheckoutAction;
use bookworm_http::MAX_BODY_BYTES;

/// Why a device's message was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    /// Not `shops/{shop_id}/actions` (the rule and the broker should never let one through).
    Topic(String),
    /// Over [`MAX_BODY_BYTES`], the limit of the HTTP route.
    TooLarge(usize),
    /// Not a checkout action in JSON (syntax, a missing or unknown field, a wrong type).
    Malformed(String),
    /// An action that breaks a rule of [`CheckoutAction::validate`], e.g. another shop's id.
    Invalid(String),
}

impl Dropped {
    /// The metric counting drops for this reason (besides `DeviceActionsDropped`).
    pub fn metric(&self) -> &'static str {
        match self {
            Self::Topic(_) => "DeviceActionsDroppedTopic",
            Self::TooLarge(_) => "DeviceActionsDroppedTooLarge",
            Self::Malformed(_) => "DeviceActionsDroppedMalformed",
            Self::Invalid(_) => "DeviceActionsDroppedInvalid",
        }
    }
}

/// What became of a device's message.
#[derive(Debug)]
pub enum Outcome {
    Published(Box<ShopEvent>),
    Dropped(Dropped),
}

/// Handles one message: published, or dropped (logged and counted). An error is the store's,
/// not the message's: the caller lets it fail so the message is retried, then dead-lettered.
pub async fn handle(
    events: &dyn EventLog,
    topic: &str,
    payload: &[u8],
    device: Option<&str>,
) -> Result<Outcome, bookworm_domain::Error> {
    let action = match check(topic, payload) {
        Ok(action) => action,
        Err(dropped) => {
            report(&dropped, topic, device, payload.len());
            return Ok(Outcome::Dropped(dropped));
        }
    };
    let event = super::record(events, action).await?;
    bookworm_metrics::count("DeviceActionsPublished", 1.0);
    Ok(Outcome::Published(Box::new(event)))
}

/// Logs and counts a dropped message: the reason and the device, never the payload (it may be
/// anything).
pub fn report(dropped: &Dropped, topic: &str, device: Option<&str>, bytes: usize) {
    tracing::warn!(reason = ?dropped, topic, device, bytes, "device action dropped");
    bookworm_metrics::count("DeviceActionsDropped", 1.0);
    bookworm_metrics::count(dropped.metric(), 1.0);
}

fn check(topic: &str, payload: &[u8]) -> Result<CheckoutAction, Dropped> {
    let shop =
        shop_of_actions_topic(topic).ok_or_else(|| Dropped::Topic(topic.chars().take(200).collect()))?;
    if payload.len() > MAX_BODY_BYTES {
        return Err(Dropped::TooLarge(payload.len()));
    }
    let action: CheckoutAction =
        serde_json::from_slice(payload).map_err(|error| Dropped::Malformed(error.to_string()))?;
    action.validate(shop).map_err(|error| Dropped::Invalid(error.to_string()))?;
    Ok(action)
}

#[cfg(test)]
mod tests;

//! The target of the IoT topic rule on `shops/+/actions`: each message a device published,
//! handed to the publish path (`publish::device`), the same checks and outbox as
//! `POST /publish/{shop_id}`.
//!
//! The rule selects `topic() AS topic, encode(*, 'base64') AS payload, clientid() AS client_id`
//! rather than `SELECT *, topic(2) AS shop_id`: a payload that is not JSON still arrives (to be
//! dropped, logged and counted here, not lost in the rule), and the topic's shop can never
//! overwrite the body's own `shop_id`, which must be checked against it, not replaced by it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bookworm_domain::ports::EventLog;
use publish::device::{self, Dropped, Outcome};
use serde::Deserialize;

/// What the topic rule sends.
#[derive(Debug, Deserialize)]
pub struct RuleEvent {
    pub topic: String,
    /// The MQTT payload, base64.
    pub payload: String,
    /// The publishing device's MQTT client id (its device id).
    #[serde(default)]
    pub client_id: Option<String>,
}

/// Handles one message. An error is the store's: Lambda retries the asynchronous invocation,
/// then sends it to the dead-letter queue. A bad message is dropped, not an error.
pub async fn handle(events: &dyn EventLog, event: RuleEvent) -> Result<Outcome, bookworm_domain::Error> {
    let device = event.client_id.as_deref();
    match STANDARD.decode(event.payload.as_bytes()) {
        Ok(payload) => device::handle(events, &event.topic, &payload, device).await,
        Err(error) => {
            let dropped = Dropped::Malformed(format!("the rule's payload is not base64: {error}"));
            device::report(&dropped, &event.topic, device, event.payload.len());
            Ok(Outcome::Dropped(dropped))
        }
    }
}

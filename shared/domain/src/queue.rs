//! A message queue, read and emptied by a consumer: the port behind the email function's
//! dead-letter queue (SQS in AWS), which the `email-retry` function drains. Only receiving and
//! deleting are here: the queue is filled by Lambda, and its redrive policy (how many receives
//! before a message is parked) is the queue's own configuration, not the consumer's.

use std::time::Duration;

use async_trait::async_trait;

use crate::Error;

/// The most messages one receive returns (SQS's own limit).
pub const MAX_RECEIVE: usize = 10;

/// One message, received: in hand until its visibility timeout ends, then back in the queue
/// unless deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// The queue's id of the message: for logs, the same on every receive.
    pub id: String,
    /// What deletes this receive of the message (a new one is issued on every receive).
    pub receipt: String,
    pub body: String,
    /// How many times the message has been received, this receive included (approximate, as the
    /// queue counts it); the queue parks the message once it reaches the redrive limit.
    pub receive_count: u32,
}

/// Receives and deletes messages: at-least-once, so whatever handles them must be idempotent.
#[async_trait]
pub trait MessageQueue: Send + Sync {
    /// Up to `max` messages (taken as 1 to [`MAX_RECEIVE`]), each hidden from other
    /// receives for `visibility`. Waits briefly (adapters: a couple of seconds at most) for
    /// messages to arrive, so an empty answer means the queue is empty, or as good as.
    ///
    /// `Error::Unavailable` when the queue cannot be read (missing, no permission, throttled):
    /// nothing was received, and nothing was hidden.
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<QueuedMessage>, Error>;

    /// Deletes the message received with `receipt`, for good.
    ///
    /// `Error::Unavailable` when it could not be deleted (or not confirmed): the message may
    /// still be there and comes back after its visibility timeout, so callers log and carry on.
    async fn delete(&self, receipt: &str) -> Result<(), Error>;
}

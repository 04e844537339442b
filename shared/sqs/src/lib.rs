//! SQS adapters:
//! - [`SqsQueue`]: reads a queue with `ReceiveMessage` (long polling, briefly) and empties it
//!   with `DeleteMessage`: the [`MessageQueue`] port for the functions that drain a dead-letter
//!   queue.
//! - [`SqsReminders`]: `SendMessage` with a delay: the [`Reminders`] port, whose messages the
//!   queue's consumer gets when they come due.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use bookworm_domain::Error;
use bookworm_domain::ports::Reminders;
use bookworm_domain::queue::{MAX_RECEIVE, MessageQueue, QueuedMessage};
use bookworm_domain::support::{AWAY_DELAY_MAX, AwayNotice};

/// How long a receive waits for messages. Long polling asks every SQS server, where a short poll
/// samples a few and may answer "empty" with messages waiting; a short wait keeps the last,
/// empty receive of a drain cheap. It must end well inside the SDK's per-attempt timeout
/// (`bookworm_aws::ATTEMPT_TIMEOUT`, 2 s), or every empty receive would time out.
const WAIT: Duration = Duration::from_secs(1);

/// SQS's longest visibility timeout: 12 hours.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    /// `url` is the queue's URL (CloudFormation's `Ref` of an `AWS::SQS::Queue`), not its ARN.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }
}

/// Whole seconds, as SQS takes them; within what it accepts.
fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.min(MAX_VISIBILITY).as_secs()).unwrap_or(i32::MAX)
}

/// A received message. SQS always sends the id, receipt and body it was asked for; were one
/// missing, the empty string makes the delete fail (logged) rather than the whole receive.
fn queued(message: Message) -> QueuedMessage {
    let receive_count = message
        .attributes()
        .and_then(|attributes| attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|count| count.parse().ok())
        .unwrap_or(0);
    QueuedMessage {
        id: message.message_id.unwrap_or_default(),
        receipt: message.receipt_handle.unwrap_or_default(),
        body: message.body.unwrap_or_default(),
        receive_count,
    }
}

#[async_trait]
impl MessageQueue for SqsQueue {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<QueuedMessage>, Error> {
        let max = i32::try_from(max.clamp(1, MAX_RECEIVE)).unwrap_or(1);
        let received = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max)
            .visibility_timeout(seconds(visibility))
            .wait_time_seconds(seconds(WAIT))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| Error::unavailable("receive messages", DisplayErrorContext(e).to_string()))?;
        Ok(received.messages.unwrap_or_default().into_iter().map(queued).collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), Error> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| Error::unavailable("delete a message", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_poll_ends_inside_the_sdks_attempt_timeout() {
        assert!(WAIT + Duration::from_millis(500) <= bookworm_aws::ATTEMPT_TIMEOUT);
    }
}

/// Reminders as delayed messages on one queue.
#[derive(Clone)]
pub struct SqsReminders {
    client: Client,
    url: String,
}

impl SqsReminders {
    /// `url` is the queue's URL, as for [`SqsQueue::new`].
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }
}

#[async_trait]
impl Reminders for SqsReminders {
    async fn remind(&self, notice: &AwayNotice, after: Duration) -> Result<(), Error> {
        let body = serde_json::to_string(notice).map_err(|e| Error::unavailable("encode a reminder", e))?;
        let delay = i32::try_from(after.as_secs().min(AWAY_DELAY_MAX)).unwrap_or(0);
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await
            .map_err(|e| Error::unavailable("send a reminder", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

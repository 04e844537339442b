//! The order emails that failed every delivery, tried again. When the `email` function fails an
//! event and Lambda's own retries fail too, Lambda puts the event (the SNS event it was invoked
//! with, as JSON) in the email dead-letter queue. Once an hour this function drains that queue,
//! a bounded number of messages per run, and hands each event to the email function's own
//! [`Notifier`], so the email is claimed, rendered and sent exactly as the first time: an event
//! already handled sends nothing again.
//!
//! A message whose event is handled (now, or before) is deleted. Any other is left in the
//! queue: it comes back after its visibility timeout, in time for the next run, and once SQS has
//! handed it out the queue's `maxReceiveCount` times, the queue's redrive policy parks it in
//! the parked-email queue for people to look at. One message failing never fails the run: a
//! failed scheduled invocation would only land in a dead-letter queue itself.

use std::time::{Duration, SystemTime};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::Error;
use bookworm_domain::queue::{MAX_RECEIVE, MessageQueue, QueuedMessage};
use email::{Notifier, Outcome};

/// The most messages one run tries. Each costs a few DynamoDB calls and an SES send, so this
/// many end well inside the function's timeout; a longer backlog takes a few hours.
pub const MAX_MESSAGES: usize = 100;

/// How long a received message stays hidden. Longer than a run, so a message that failed is not
/// met again in the same run (each receive counts towards parking it); shorter than the hour
/// between runs, so it is back for the next one.
pub const VISIBILITY: Duration = Duration::from_secs(15 * 60);

/// Time kept back before the invocation's deadline: no message is started after that, so a
/// slow run (SES throttling, say) stops by itself instead of being cut off by the timeout.
pub const RESERVE: Duration = Duration::from_secs(5);

/// What one run did, message by message (the function's response, and its last log line).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Messages tried.
    pub retried: usize,
    /// Handled now (emailed, or nothing to send): deleted.
    pub sent: usize,
    /// Handled before (the claim says so), nothing sent again: deleted.
    pub duplicates: usize,
    /// Failed again: left for the next run.
    pub failed: usize,
    /// Not an SNS event of a shop event, so no retry can help: left, to be parked.
    pub unreadable: usize,
}

/// What the function needs: the email function's notifier, and the dead-letter queue.
pub struct Retrier<'a> {
    pub notifier: Notifier<'a>,
    pub queue: &'a dyn MessageQueue,
}

/// What became of one message.
enum Verdict {
    Sent,
    Duplicate,
    Failed,
    Unreadable,
}

impl Retrier<'_> {
    /// One scheduled run, until the queue is empty, [`MAX_MESSAGES`] were tried, or `deadline`
    /// (the invocation's) is [`RESERVE`] away. An error only when the queue could not be read
    /// at all; a receive failing later ends the run with what it did.
    pub async fn handle(&self, event: EventBridgeEvent, deadline: SystemTime) -> Result<Report, Error> {
        tracing::info!(event = ?event.id, time = ?event.time, "retrying the emails in the dead-letter queue");
        let mut report = Report::default();
        let mut read = false;
        'run: while report.retried < MAX_MESSAGES {
            if out_of_time(deadline) {
                tracing::warn!("near the invocation's deadline; the rest waits for the next run");
                break;
            }
            let messages = match self
                .queue
                .receive((MAX_MESSAGES - report.retried).min(MAX_RECEIVE), VISIBILITY)
                .await
            {
                Ok(messages) => messages,
                Err(error) if !read => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "a receive failed; the rest waits for the next run");
                    break;
                }
            };
            read = true;
            if messages.is_empty() {
                break;
            }
            let received = messages.len();
            for (tried, message) in messages.iter().enumerate() {
                if out_of_time(deadline) {
                    // Untouched, they come back after their visibility timeout.
                    tracing::warn!(
                        untried = received - tried,
                        "near the invocation's deadline; the rest waits for the next run"
                    );
                    break 'run;
                }
                report.retried += 1;
                match self.retry(message).await {
                    Verdict::Sent => report.sent += 1,
                    Verdict::Duplicate => report.duplicates += 1,
                    Verdict::Failed => report.failed += 1,
                    Verdict::Unreadable => report.unreadable += 1,
                }
            }
        }
        tracing::info!(
            retried = report.retried,
            sent = report.sent,
            duplicates = report.duplicates,
            failed = report.failed,
            unreadable = report.unreadable,
            "email retry run done"
        );
        Ok(report)
    }

    async fn retry(&self, message: &QueuedMessage) -> Verdict {
        let (id, receives) = (message.id.as_str(), message.receive_count);
        let batch = match serde_json::from_str::<SnsEvent>(&message.body) {
            Ok(batch) if !batch.records.is_empty() => batch,
            Ok(_) => {
                tracing::error!(message = id, receives, "an SNS event without records; left to be parked");
                return Verdict::Unreadable;
            }
            Err(error) => {
                tracing::error!(message = id, receives, %error, "not an SNS event; left to be parked");
                return Verdict::Unreadable;
            }
        };
        let verdict = match self.notifier.handle(batch).await {
            Ok(outcomes) if outcomes.iter().all(|outcome| *outcome == Outcome::Duplicate) => {
                Verdict::Duplicate
            }
            Ok(_) => Verdict::Sent,
            // A message that is not a shop event, or an order event naming no order: the same
            // answer every time.
            Err(error @ Error::Invalid(_)) => {
                tracing::error!(message = id, receives, %error, "not an order event; left to be parked");
                return Verdict::Unreadable;
            }
            Err(error) => {
                tracing::warn!(message = id, receives, %error, "the retry failed; left for the next run");
                return Verdict::Failed;
            }
        };
        // Handled: a failed delete only brings the message back, and then it is a duplicate.
        if let Err(error) = self.queue.delete(&message.receipt).await {
            tracing::warn!(message = id, %error, "handled, but not deleted; it comes back as a duplicate");
        }
        verdict
    }
}

/// Whether the invocation is within [`RESERVE`] of its deadline (or past it).
fn out_of_time(deadline: SystemTime) -> bool {
    deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO) < RESERVE
}

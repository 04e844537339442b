//! Fan-out: each shop event from SNS goes to every WebSocket of that shop, concurrently and
//! bounded, each push with its own deadline so one slow or dead connection never holds up the
//! others. Connections that are gone (410) are forgotten; those whose merchant's token has
//! expired get nothing more and are closed. Redelivered events are skipped.

use std::time::Duration;

use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ports::{Claim, Connections, Deduplicator, Delivery, Push};
use futures::StreamExt;

/// The stores and clients fan-out needs, and its limits.
pub struct Fanout<'a> {
    pub connections: &'a dyn Connections,
    pub push: &'a dyn Push,
    pub dedupe: &'a dyn Deduplicator,
    /// Pushes in flight at once.
    pub parallelism: usize,
    /// How long one push may take before it is given up.
    pub push_timeout: Duration,
}

/// What one event's fan-out did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub gone: usize,
    /// Connections whose token had expired: closed, not sent to.
    pub expired: usize,
    pub failed: usize,
    pub duplicate: bool,
}

const CONSUMER: &str = "fanout";

impl Fanout<'_> {
    pub const DEFAULT_PARALLELISM: usize = 64;
    pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(2);
    pub const CLAIM_LEASE: Duration = Duration::from_secs(60);

    /// Handles an SNS batch. An error makes Lambda retry the batch; events already fanned out
    /// are then skipped by their id.
    pub async fn handle(&self, event: SnsEvent) -> Result<Vec<Report>, Error> {
        let mut reports = Vec::with_capacity(event.records.len());
        for record in event.records {
            reports.push(self.fan_out(&ShopEvent::from_message(&record.sns.message)?).await?);
        }
        Ok(reports)
    }

    pub async fn fan_out(&self, event: &ShopEvent) -> Result<Report, Error> {
        // The lease outlasts any one invocation (Lambda's timeout is 30 s): a fan-out that died
        // mid-way is taken over by the retry once it runs out.
        match self.dedupe.claim(CONSUMER, event.id, Self::CLAIM_LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => return Ok(Report { duplicate: true, ..Report::default() }),
            // Another attempt is fanning it out (or hung): fail, so Lambda retries after its lease.
            Claim::InProgress => {
                return Err(Error::unavailable(
                    "claim the event",
                    format!("{} is being fanned out", event.id),
                ));
            }
        }
        match self.deliver(event).await {
            Ok(report) => {
                self.dedupe.complete(CONSUMER, event.id).await?;
                Ok(report)
            }
            Err(error) => {
                // Let the retry fan this event out again.
                self.dedupe.release(CONSUMER, event.id).await?;
                Err(error)
            }
        }
    }

    async fn deliver(&self, event: &ShopEvent) -> Result<Report, Error> {
        let message = serde_json::to_string(&event.cloud_event())
            .map_err(|e| Error::unavailable("encode the CloudEvent", e))?;
        let now = bookworm_domain::events::unix_now();
        let (expired, live): (Vec<_>, Vec<_>) =
            self.connections.for_shop(event.shop_id).await?.into_iter().partition(|l| l.expired(now));
        let mut report = Report { expired: expired.len(), ..Report::default() };
        for listener in &expired {
            self.close(&listener.id, event).await;
        }
        let targets = live.into_iter().map(|listener| listener.id);
        let outcomes: Vec<(String, Result<Delivery, String>)> = futures::stream::iter(targets)
            .map(|connection| {
                let message = message.as_bytes();
                async move {
                    let outcome =
                        match tokio::time::timeout(self.push_timeout, self.push.push(&connection, message))
                            .await
                        {
                            Ok(Ok(delivery)) => Ok(delivery),
                            Ok(Err(error)) => Err(error.to_string()),
                            Err(_) => Err("timed out".to_owned()),
                        };
                    (connection, outcome)
                }
            })
            .buffer_unordered(self.parallelism.max(1))
            .collect()
            .await;
        for (connection, outcome) in outcomes {
            match outcome {
                Ok(Delivery::Delivered) => report.delivered += 1,
                Ok(Delivery::Gone) => {
                    report.gone += 1;
                    // Logged, not returned: failing here would have Lambda retry the event and
                    // send it again to everyone it reached. The record expires with its TTL,
                    // and the next 410 tries to forget it again.
                    if let Err(error) = self.connections.remove(&connection).await {
                        tracing::warn!(connection, %error, event = %event.id, "could not forget a gone connection");
                    }
                }
                Err(error) => {
                    // Not retried: a retry would repeat the event to everyone else.
                    report.failed += 1;
                    tracing::warn!(connection, %error, event = %event.id, "push failed");
                }
            }
        }
        tracing::info!(event = %event.id, shop = %event.shop_id, ?report, "fanned out");
        Ok(report)
    }

    /// Ends a socket whose token has expired. Failures are logged, never returned: the event
    /// was delivered to everyone else, and the next event tries again.
    async fn close(&self, connection: &str, event: &ShopEvent) {
        if let Err(error) = self.push.disconnect(connection).await {
            tracing::warn!(connection, %error, event = %event.id, "could not close an expired connection");
        }
        if let Err(error) = self.connections.remove(connection).await {
            tracing::warn!(connection, %error, event = %event.id, "could not forget an expired connection");
        }
    }
}

//! Fan-out: each shop event from SNS goes to every WebSocket of that shop (an order event also
//! to the admins' orders feed, [`ORDERS_FEED`]), concurrently and
//! bounded, each push with its own deadline so one slow or dead connection never holds up the
//! others. Connections that are gone (410) are forgotten; those whose merchant's token has
//! expired get nothing more and are closed. Redelivered events are skipped.
//!
//! A shop with more connections than one invocation should reach is split into shards, pages of
//! its connections that other invocations push to ([`sharded`]).
//!
//! - [`Fanout`]: an event to all of a shop's connections, or one shard to its own list.
//! - [`Sharded`]: the same function with sharding on (as Lambda and the local stack run it).
//! - [`Invocation`], [`ShardSize`]: what the function is invoked with, how big a shard is.

mod invocation;
pub mod sharded;

use std::time::Duration;

use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::Error;
use bookworm_domain::events::{ORDERS_FEED, ShopEvent, is_order_kind};
use bookworm_domain::ids::{ConnectionId, EventId};
use bookworm_domain::ports::{
    Claim, Connections, Deduplicator, Delivery, Listener, Push, Shard, ShardDispatch,
};
use futures::StreamExt;
use uuid::Uuid;

pub use invocation::{Invocation, ShardSize};
pub use sharded::Sharded;

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

/// What one event's fan-out (or one shard's) did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub delivered: usize,
    pub gone: usize,
    /// Connections whose token had expired: closed, not sent to.
    pub expired: usize,
    pub failed: usize,
    pub duplicate: bool,
    /// Pages of the shop's connections handed to other invocations.
    pub shards: usize,
}

const CONSUMER: &str = "fanout";

/// The shop events of an SNS batch, in order; a message that is none is an error.
fn events(batch: SnsEvent) -> impl Iterator<Item = Result<ShopEvent, Error>> {
    batch.records.into_iter().map(|record| ShopEvent::from_message(&record.sns.message))
}

/// The claim of one shard of an event: its own, so a retried shard skips only itself.
pub fn shard_claim(event: EventId, number: u32) -> EventId {
    EventId(Uuid::new_v5(&event.0, format!("fanout shard {number}").as_bytes()))
}

impl<'a> Fanout<'a> {
    pub const DEFAULT_PARALLELISM: usize = 64;
    pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(2);
    pub const CLAIM_LEASE: Duration = Duration::from_secs(60);

    /// This fan-out with sharding: shops with more than `size` connections are split into
    /// shards that `shards` runs (`None`: no sharding).
    pub fn sharded(self, shards: &'a dyn ShardDispatch, size: Option<ShardSize>) -> Sharded<'a> {
        Sharded { fanout: self, shards, size }
    }

    /// Handles an SNS batch (every connection from here: no sharding) or a shard. An error
    /// makes Lambda retry the invocation; events and shards already handled are then skipped.
    pub async fn handle(&self, invocation: Invocation) -> Result<Vec<Report>, Error> {
        match invocation {
            Invocation::Sns(batch) => {
                let mut reports = Vec::with_capacity(batch.records.len());
                for event in events(batch) {
                    reports.push(self.fan_out(&event?).await?);
                }
                Ok(reports)
            }
            Invocation::Shard(shard) => Ok(vec![self.shard(&shard).await?]),
        }
    }

    /// `event` to every connection of its shop, from this invocation.
    pub async fn fan_out(&self, event: &ShopEvent) -> Result<Report, Error> {
        let deliver = async {
            let mut listeners = self.connections.for_shop(event.shop_id).await?;
            listeners.extend(self.orders_feed(event).await?);
            self.deliver(event, listeners).await
        };
        self.claimed(event.id, event, deliver).await
    }

    /// A shard's event to its own list of connections, under the shard's own claim: a shard
    /// Lambda retries, or one handed over again by a retried event, skips once it is done.
    pub async fn shard(&self, shard: &Shard) -> Result<Report, Error> {
        let claim = shard_claim(shard.event.id, shard.number);
        let report =
            self.claimed(claim, &shard.event, self.deliver(&shard.event, shard.listeners.clone())).await?;
        tracing::info!(event = %shard.event.id, shard = shard.number, ?report, "shard fanned out");
        Ok(report)
    }

    /// Runs `work` under the claim `key`: skipped when done, an error while another attempt
    /// holds it, completed when `work` succeeds and given back when it fails.
    async fn claimed(
        &self,
        key: EventId,
        event: &ShopEvent,
        work: impl Future<Output = Result<Report, Error>>,
    ) -> Result<Report, Error> {
        // The lease outlasts any one invocation (Lambda's timeout is 30 s): a fan-out that died
        // mid-way is taken over by the retry once it runs out.
        match self.dedupe.claim(CONSUMER, key, Self::CLAIM_LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => {
                bookworm_metrics::count("DuplicateDeliveries", 1.0);
                return Ok(Report { duplicate: true, ..Report::default() });
            }
            // Another attempt is fanning it out (or hung): fail, so Lambda retries after its lease.
            Claim::InProgress => {
                return Err(Error::unavailable(
                    "claim the event",
                    format!("{} is being fanned out (claim {key})", event.id),
                ));
            }
        }
        match work.await {
            Ok(report) => {
                self.dedupe.complete(CONSUMER, key).await?;
                Ok(report)
            }
            Err(error) => {
                // Let the retry fan this out again.
                self.dedupe.release(CONSUMER, key).await?;
                Err(error)
            }
        }
    }

    /// The admins' orders feed, for an order event (none for any other): a few sockets, sent
    /// to with the shop's own first page (never sharded).
    async fn orders_feed(&self, event: &ShopEvent) -> Result<Vec<Listener>, Error> {
        match is_order_kind(event.kind()) && event.shop_id != ORDERS_FEED {
            true => self.connections.for_shop(ORDERS_FEED).await,
            false => Ok(Vec::new()),
        }
    }

    /// Pushes `event` to `listeners`. Fails only before the first push, so a failure never
    /// makes a retry repeat the event to someone who had it.
    async fn deliver(&self, event: &ShopEvent, listeners: Vec<Listener>) -> Result<Report, Error> {
        let message = serde_json::to_string(&event.cloud_event())
            .map_err(|e| Error::unavailable("encode the CloudEvent", e))?;
        let now = bookworm_domain::clock::unix_now();
        let (expired, live): (Vec<_>, Vec<_>) = listeners.into_iter().partition(|l| l.expired(now));
        let mut report = Report { expired: expired.len(), ..Report::default() };
        for listener in &expired {
            self.close(&listener.id, event).await;
        }
        let targets = live.into_iter().map(|listener| listener.id);
        let outcomes: Vec<(ConnectionId, Result<Delivery, String>)> = futures::stream::iter(targets)
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
                        tracing::warn!(%connection, %error, event = %event.id, "could not forget a gone connection");
                    }
                }
                Err(error) => {
                    // Not retried: a retry would repeat the event to everyone else.
                    report.failed += 1;
                    tracing::warn!(%connection, %error, event = %event.id, "push failed");
                }
            }
        }
        tracing::info!(event = %event.id, shop = %event.shop_id, ?report, "fanned out");
        record(event, &report);
        Ok(report)
    }

    /// Ends a socket whose token has expired. Failures are logged, never returned: the event
    /// was delivered to everyone else, and the next event tries again.
    async fn close(&self, connection: &ConnectionId, event: &ShopEvent) {
        if let Err(error) = self.push.disconnect(connection).await {
            tracing::warn!(%connection, %error, event = %event.id, "could not close an expired connection");
        }
        if let Err(error) = self.connections.remove(connection).await {
            tracing::warn!(%connection, %error, event = %event.id, "could not forget an expired connection");
        }
    }
}

/// The metrics of one delivery (a whole event, or one shard of it): how late its last push was
/// after the event happened, and whom it reached.
fn record(event: &ShopEvent, report: &Report) {
    bookworm_metrics::count("EventsFannedOut", 1.0);
    bookworm_metrics::count("ConnectionsReached", report.delivered as f64);
    bookworm_metrics::count("ConnectionsGone", report.gone as f64);
    bookworm_metrics::property("EventId", event.id.to_string());
    if let Ok(at) = time::OffsetDateTime::parse(&event.time, &time::format_description::well_known::Rfc3339) {
        let late = time::OffsetDateTime::now_utc() - at;
        bookworm_metrics::millis("FanoutLatency", late.as_seconds_f64().max(0.0) * 1000.0);
    }
}

//! Sharded fan-out: the invocation that gets a big shop's event reads the shop's connections a
//! page at a time, pushes to the first page itself and hands every other page, with the event,
//! to another invocation (a shard), so that the pushes run in parallel invocations instead of
//! one invocation's 64 at a time.
//!
//! Why the first page is pushed here rather than handed over too: a shop of one page (almost
//! every shop) then costs nothing more than before, not an invocation more; and in a big shop
//! this invocation would otherwise sit idle while the others start (an asynchronous invocation
//! is queued first), so its own page is under way while it hands the rest over.
//!
//! Redelivery: the event's claim covers the whole hand-over, and each shard (the first page
//! included) has a claim of its own ([`shard_claim`](crate::shard_claim)). An event that failed
//! part-way is read and handed over again by its retry; shards already done skip. Should
//! connections come or go between the attempts, the page boundaries move, and a connection at a
//! boundary may then get the event twice or not at all: only after a failed hand-over, and the
//! price of not storing every page's list.

use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::ConnectionId;
use bookworm_domain::ports::{Shard, ShardDispatch};
use futures::TryStreamExt;
use futures::future::{self, BoxFuture};

use crate::{Fanout, Invocation, Report, ShardSize};

/// A page of connections' cursor: the id of the last connection it listed.
fn next_connection(next: Option<String>) -> Result<Option<ConnectionId>, Error> {
    next.map(|id| {
        ConnectionId::new(id).map_err(|_| {
            Error::unavailable("list a shop's connections", "a page's cursor names no connection")
        })
    })
    .transpose()
}

/// Fan-out that splits shops bigger than `size` into shards that `shards` runs.
pub struct Sharded<'a> {
    pub fanout: Fanout<'a>,
    pub shards: &'a dyn ShardDispatch,
    /// `None`: no sharding (every connection from the invocation that got the event).
    pub size: Option<ShardSize>,
}

impl Sharded<'_> {
    /// Hand-overs in flight at once, while the next page is read.
    const HANDOVERS_IN_FLIGHT: usize = 8;

    /// Handles an SNS batch or a shard; errors as [`Fanout::handle`].
    pub async fn handle(&self, invocation: Invocation) -> Result<Vec<Report>, Error> {
        match invocation {
            Invocation::Sns(batch) => {
                let mut reports = Vec::with_capacity(batch.records.len());
                for event in crate::events(batch) {
                    reports.push(self.fan_out(&event?).await?);
                }
                Ok(reports)
            }
            Invocation::Shard(shard) => Ok(vec![self.fanout.shard(&shard).await?]),
        }
    }

    /// `event` to every connection of its shop: one page from here, the others as shards.
    pub async fn fan_out(&self, event: &ShopEvent) -> Result<Report, Error> {
        let Some(size) = self.size else { return self.fanout.fan_out(event).await };
        let work = async {
            let mut first = self.fanout.connections.page_for_shop(event.shop_id, None, size.get()).await?;
            // The admins' orders feed goes with this invocation's own page.
            let mut own_listeners = std::mem::take(&mut first.items);
            own_listeners.extend(self.fanout.orders_feed(event).await?);
            let Some(after) = next_connection(first.next_cursor)? else {
                return self.fanout.deliver(event, own_listeners).await;
            };
            let own = Shard { event: event.clone(), number: 0, listeners: own_listeners };
            let (own, handed) = tokio::join!(self.fanout.shard(&own), self.hand_over(event, after, size));
            if let (Err(error), Err(_)) = (&handed, &own) {
                tracing::warn!(event = %event.id, %error, "handing the shards over failed too");
            }
            Ok(Report { shards: handed?, duplicate: false, ..own? })
        };
        self.fanout.claimed(event.id, event, work).await
    }

    /// Reads the pages after `after` and hands each over as a shard, numbered from 1, reading
    /// the next page while earlier ones are being handed over. Returns how many it handed over.
    async fn hand_over(
        &self,
        event: &ShopEvent,
        after: ConnectionId,
        size: ShardSize,
    ) -> Result<usize, Error> {
        let connections = self.fanout.connections;
        let pages = futures::stream::try_unfold((Some(after), 1_u32), move |(cursor, number)| async move {
            let Some(after) = cursor else { return Ok(None) };
            let page = connections.page_for_shop(event.shop_id, Some(&after), size.get()).await?;
            let shard = Shard { event: event.clone(), number, listeners: page.items };
            Ok(Some((shard, (next_connection(page.next_cursor)?, number.saturating_add(1)))))
        });
        // Boxed as `Send` here, where its lifetimes are known: left to the caller, the compiler
        // cannot prove the combinators' closures `Send` for every lifetime (rust-lang/rust#64552),
        // and a spawned task (the local stack's bus) could not hold this future.
        let handed: BoxFuture<'_, Result<usize, Error>> = Box::pin(
            pages
                // Empty only if its connections went while the pages were read.
                .try_filter(|shard| future::ready(!shard.listeners.is_empty()))
                .map_ok(|shard| async move { self.shards.dispatch(&shard).await })
                .try_buffer_unordered(Self::HANDOVERS_IN_FLIGHT)
                .try_fold(0, |handed, ()| future::ready(Ok(handed + 1))),
        );
        let handed = handed.await?;
        tracing::info!(event = %event.id, shop = %event.shop_id, shards = handed, "handed over");
        Ok(handed)
    }
}

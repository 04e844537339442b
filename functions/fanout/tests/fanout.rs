//! Fan-out rules with a scripted push: delivered, gone, slow and failing connections.

mod common;

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use bookworm_domain::Error;
use bookworm_domain::contract::any_event;
use bookworm_domain::ids::{ConnectionId, ShopId};
use bookworm_domain::ports::{Claim, Connection, Connections, Deduplicator, Listener};
use bookworm_domain::query::Page;
use bookworm_embedded::EmbeddedShop;
use common::{ScriptedPush, connect, connect_until, ids, on};
use fanout::{Fanout, Invocation, Report};

fn sns_batch(event: &bookworm_domain::events::ShopEvent) -> Invocation {
    test_support::sns_batch(event).into()
}

#[tokio::test]
async fn every_live_connection_of_the_shop_gets_the_cloud_event_once_and_dead_ones_are_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let push = ScriptedPush::default();
    let (shop, other) = (ShopId::random(), ShopId::random());
    for id in ["ok-1", "ok-2", "ok-3", "gone-1", "slow-1", "broken-1"] {
        connect(&store, id, shop).await;
    }
    connect(&store, "ok-other-shop", other).await;
    let fanout = Fanout {
        connections: &store,
        push: &push,
        dedupe: &store,
        parallelism: 4,
        push_timeout: Duration::from_millis(200),
    };
    let event = any_event(shop);

    let started = Instant::now();
    let reports = fanout.handle(sns_batch(&event)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a slow connection holds up nobody: {:?}",
        started.elapsed()
    );
    assert_eq!(reports, [Report { delivered: 3, gone: 1, failed: 2, ..Report::default() }]);

    let sent = push.sent.lock().unwrap().clone();
    let mut receivers: Vec<&str> = sent.iter().map(|(id, _)| id.as_str()).collect();
    receivers.sort();
    assert_eq!(receivers, ["ok-1", "ok-2", "ok-3"]);
    let message: serde_json::Value = serde_json::from_str(&sent[0].1).unwrap();
    assert_eq!(message, serde_json::to_value(event.cloud_event()).unwrap());

    let remaining = ids(store.for_shop(shop).await.unwrap());
    assert_eq!(
        remaining,
        ["broken-1", "ok-1", "ok-2", "ok-3", "slow-1"],
        "only the gone connection is dropped"
    );

    let again = fanout.handle(sns_batch(&event)).await.unwrap();
    assert!(again[0].duplicate, "a redelivered event is not fanned out twice");
    assert_eq!(push.sent.lock().unwrap().len(), 3);
}

/// Every file in events/fanout/, through the function's own payload parsing: the topic's
/// delivery reaches the shop's connection, the shard reaches exactly the connections it lists.
#[tokio::test]
async fn the_sample_events_reach_their_connections() {
    let samples = test_support::sample_events("fanout", &["checkout-action.json", "shard.json"]);
    let shop: ShopId = "123e4567-e89b-42d3-a456-426614174000".parse().unwrap();
    for (file, text) in samples {
        let invocation: Invocation = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let store = EmbeddedShop::in_memory().unwrap();
        connect(&store, "ok-merchant", shop).await;
        let push = ScriptedPush::default();
        let reports = on(&store, &push).handle(invocation).await.unwrap();
        let (receivers, want): (Vec<String>, &[&str]) = match file.as_str() {
            "checkout-action.json" => (push.receivers(), &["ok-merchant"]),
            // The shard's own list, not the store's: its connections need not be stored here.
            _ => (push.receivers(), &["ok-L0SM9cOFvHcCIhw=", "ok-L0SMQcOFvHcCEdw="]),
        };
        assert_eq!(receivers, want, "{file}");
        assert_eq!(reports[0].delivered, want.len(), "{file}");
        let sent: serde_json::Value = serde_json::from_str(&push.sent.lock().unwrap()[0].1).unwrap();
        assert_eq!(sent["data"]["product_name"], "FUJI Apples", "{file}");
        assert_eq!(sent["id"], "0c6e4c3e-9d8f-4a55-9f0b-6e3bb8a6f0c1", "{file}");
    }
}

#[tokio::test]
async fn a_message_that_is_not_a_shop_event_is_an_error() {
    let store = EmbeddedShop::in_memory().unwrap();
    let push = ScriptedPush::default();
    let fanout = on(&store, &push);
    let mut record = SnsRecord::default();
    record.sns.message = "{}".into();
    let mut batch = SnsEvent::default();
    batch.records = vec![record];
    assert!(fanout.handle(batch.into()).await.is_err());
}

/// The embedded store, except that forgetting a connection fails (DynamoDB throttled, say).
struct CannotForget(EmbeddedShop);

#[async_trait]
impl Connections for CannotForget {
    async fn add(&self, connection: &Connection) -> Result<(), Error> {
        self.0.add(connection).await
    }
    async fn remove(&self, _: &ConnectionId) -> Result<(), Error> {
        Err(Error::unavailable("delete a connection", "throttled"))
    }
    async fn page_for_shop(
        &self,
        shop: ShopId,
        after: Option<&ConnectionId>,
        limit: NonZeroUsize,
    ) -> Result<Page<Listener>, Error> {
        self.0.page_for_shop(shop, after, limit).await
    }
    async fn for_user(&self, user: &bookworm_domain::ids::UserId) -> Result<Vec<Listener>, Error> {
        self.0.for_user(user).await
    }
    async fn agent_connections(&self) -> Result<Vec<(bookworm_domain::ids::UserId, Listener)>, Error> {
        self.0.agent_connections().await
    }
}

#[tokio::test]
async fn a_failed_cleanup_of_a_gone_connection_never_resends_the_event() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = ShopId::random();
    for id in ["ok-1", "gone-1"] {
        connect(&store, id, shop).await;
    }
    let connections = CannotForget(store);
    let push = ScriptedPush::default();
    let fanout = Fanout {
        connections: &connections,
        push: &push,
        dedupe: &connections.0,
        parallelism: 4,
        push_timeout: Duration::from_secs(1),
    };
    let event = any_event(shop);

    let report = fanout.handle(sns_batch(&event)).await.expect("the event was delivered: not an error");
    assert_eq!(report, [Report { delivered: 1, gone: 1, ..Report::default() }]);
    // Lambda would retry an error; even a redelivery must not reach ok-1 twice.
    let again = fanout.handle(sns_batch(&event)).await.unwrap();
    assert!(again[0].duplicate);
    assert_eq!(push.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_merchant_whose_token_expired_gets_nothing_more_and_is_disconnected() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = ShopId::random();
    connect(&store, "ok-1", shop).await;
    connect_until(&store, "ok-expired", shop, 1_700_000_000).await;
    let push = ScriptedPush::default();
    let fanout = on(&store, &push);
    let event = any_event(shop);
    let report = fanout.handle(sns_batch(&event)).await.unwrap();
    assert_eq!(report, [Report { delivered: 1, expired: 1, ..Report::default() }]);
    let receivers: Vec<String> = push.sent.lock().unwrap().iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(receivers, ["ok-1"]);
    assert_eq!(*push.closed.lock().unwrap(), ["ok-expired"], "the socket is closed");
    assert_eq!(ids(store.for_shop(shop).await.unwrap()), ["ok-1"], "and forgotten");
}

#[tokio::test]
async fn an_event_another_attempt_still_holds_is_retried_later_not_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = ShopId::random();
    connect(&store, "ok-1", shop).await;
    let push = ScriptedPush::default();
    let fanout = on(&store, &push);
    let event = any_event(shop);
    let hung = Duration::from_millis(300);
    assert_eq!(store.claim("fanout", event.id, hung).await.unwrap(), Claim::Claimed);
    assert!(fanout.handle(sns_batch(&event)).await.is_err(), "an error: Lambda retries later");
    assert!(push.sent.lock().unwrap().is_empty());
    tokio::time::sleep(hung + Duration::from_millis(50)).await;
    assert_eq!(fanout.handle(sns_batch(&event)).await.unwrap()[0].delivered, 1, "after the lease");
    assert!(fanout.handle(sns_batch(&event)).await.unwrap()[0].duplicate);
    assert_eq!(push.sent.lock().unwrap().len(), 1, "exactly once");
}

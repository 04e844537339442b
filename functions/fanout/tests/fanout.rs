//! Fan-out rules with a scripted push: delivered, gone, slow and failing connections.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use bookworm_domain::Error;
use bookworm_domain::contract::any_event;
use bookworm_domain::ports::{Claim, Connection, Connections, Deduplicator, Delivery, Listener, Push};
use bookworm_embedded::EmbeddedShop;
use fanout::{Fanout, Report};
use test_support::sns_batch;
use uuid::Uuid;

/// Connections behave by their name's prefix; every message sent is recorded.
#[derive(Default)]
struct ScriptedPush {
    sent: Mutex<Vec<(String, String)>>,
    closed: Mutex<Vec<String>>,
}

#[async_trait]
impl Push for ScriptedPush {
    async fn push(&self, connection_id: &str, message: &[u8]) -> Result<Delivery, Error> {
        if connection_id.starts_with("slow") {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        if connection_id.starts_with("gone") {
            return Ok(Delivery::Gone);
        }
        if connection_id.starts_with("broken") {
            return Err(Error::unavailable("post", "connection reset"));
        }
        let message = String::from_utf8_lossy(message).into_owned();
        self.sent.lock().unwrap().push((connection_id.to_owned(), message));
        Ok(Delivery::Delivered)
    }

    async fn disconnect(&self, connection_id: &str) -> Result<(), Error> {
        self.closed.lock().unwrap().push(connection_id.to_owned());
        Ok(())
    }
}

async fn connect(store: &EmbeddedShop, id: &str, shop: Uuid) {
    connect_until(store, id, shop, 4_102_444_800).await;
}

async fn connect_until(store: &EmbeddedShop, id: &str, shop: Uuid, token_expires_at: u64) {
    let connection = Connection {
        id: id.into(),
        shop_id: shop,
        user_id: "m".into(),
        connected_at: String::new(),
        token_expires_at,
    };
    store.add(&connection).await.unwrap();
}

/// Fan-out over the embedded store with the usual limits.
fn on<'a>(store: &'a EmbeddedShop, push: &'a ScriptedPush) -> Fanout<'a> {
    Fanout { connections: store, push, dedupe: store, parallelism: 4, push_timeout: Duration::from_secs(1) }
}

fn ids(listeners: Vec<Listener>) -> Vec<String> {
    let mut ids: Vec<String> = listeners.into_iter().map(|listener| listener.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_live_connection_of_the_shop_gets_the_cloud_event_once_and_dead_ones_are_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let push = ScriptedPush::default();
    let (shop, other) = (Uuid::new_v4(), Uuid::new_v4());
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
    assert_eq!(reports, [Report { delivered: 3, gone: 1, expired: 0, failed: 2, duplicate: false }]);

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

#[tokio::test]
async fn the_sample_sns_event_reaches_the_shops_connection() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/fanout/checkout-action.json");
    let batch: SnsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let store = EmbeddedShop::in_memory().unwrap();
    connect(&store, "ok-merchant", "123e4567-e89b-42d3-a456-426614174000".parse().unwrap()).await;
    let push = ScriptedPush::default();
    let fanout = on(&store, &push);
    let reports = fanout.handle(batch).await.unwrap();
    assert_eq!(reports[0].delivered, 1);
    let sent: serde_json::Value = serde_json::from_str(&push.sent.lock().unwrap()[0].1).unwrap();
    assert_eq!(sent["data"]["product_name"], "FUJI Apples");
    assert_eq!(sent["id"], "0c6e4c3e-9d8f-4a55-9f0b-6e3bb8a6f0c1");
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
    assert!(fanout.handle(batch).await.is_err());
}

/// The embedded store, except that forgetting a connection fails (DynamoDB throttled, say).
struct CannotForget(EmbeddedShop);

#[async_trait]
impl Connections for CannotForget {
    async fn add(&self, connection: &Connection) -> Result<(), Error> {
        self.0.add(connection).await
    }
    async fn remove(&self, _: &str) -> Result<(), Error> {
        Err(Error::unavailable("delete a connection", "throttled"))
    }
    async fn for_shop(&self, shop: Uuid) -> Result<Vec<Listener>, Error> {
        self.0.for_shop(shop).await
    }
}

#[tokio::test]
async fn a_failed_cleanup_of_a_gone_connection_never_resends_the_event() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = Uuid::new_v4();
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
    assert_eq!(report, [Report { delivered: 1, gone: 1, expired: 0, failed: 0, duplicate: false }]);
    // Lambda would retry an error; even a redelivery must not reach ok-1 twice.
    let again = fanout.handle(sns_batch(&event)).await.unwrap();
    assert!(again[0].duplicate);
    assert_eq!(push.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_merchant_whose_token_expired_gets_nothing_more_and_is_disconnected() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = Uuid::new_v4();
    connect(&store, "ok-1", shop).await;
    connect_until(&store, "ok-expired", shop, 1_700_000_000).await;
    let push = ScriptedPush::default();
    let fanout = on(&store, &push);
    let event = any_event(shop);
    let report = fanout.handle(sns_batch(&event)).await.unwrap();
    assert_eq!(report, [Report { delivered: 1, gone: 0, expired: 1, failed: 0, duplicate: false }]);
    let receivers: Vec<String> = push.sent.lock().unwrap().iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(receivers, ["ok-1"]);
    assert_eq!(*push.closed.lock().unwrap(), ["ok-expired"], "the socket is closed");
    assert_eq!(ids(store.for_shop(shop).await.unwrap()), ["ok-1"], "and forgotten");
}

#[tokio::test]
async fn an_event_another_attempt_still_holds_is_retried_later_not_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = Uuid::new_v4();
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

//! Sharded fan-out, tried from the sides that would break it: page boundaries, redelivered
//! events, hand-overs and shards that fail and are retried. Shards are queued as Lambda would
//! queue them (as their payload) and run when the test says, so every order can be tried.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::contract::any_event;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::{EventId, ShopId};
use bookworm_domain::ports::{Claim, Connections, Deduplicator};
use bookworm_embedded::EmbeddedShop;
use common::{QueuedShards, ScriptedPush, connect, connect_until};
use fanout::{Fanout, Invocation, Report, ShardSize, Sharded, shard_claim};

fn sns(event: &ShopEvent) -> Invocation {
    test_support::sns_batch(event).into()
}

fn size(connections: usize) -> Option<ShardSize> {
    Some(ShardSize::new(connections).unwrap())
}

/// A shop of `count` connections, `ok-00` to `ok-{count - 1}`.
async fn shop_of(store: &EmbeddedShop, count: usize) -> (ShopId, Vec<String>) {
    let shop = ShopId::random();
    let ids: Vec<String> = (0..count).map(|i| format!("ok-{i:02}")).collect();
    for id in &ids {
        connect(store, id, shop).await;
    }
    (shop, ids)
}

fn over<'a>(store: &'a EmbeddedShop, push: &'a ScriptedPush, dedupe: &'a dyn Deduplicator) -> Fanout<'a> {
    Fanout { connections: store, push, dedupe, parallelism: 4, push_timeout: Duration::from_secs(1) }
}

/// Runs every queued shard, as Lambda runs its queue: the reports, or the errors.
async fn run(fanout: &Sharded<'_>, queued: &QueuedShards) -> Vec<Result<Report, String>> {
    let mut outcomes = Vec::new();
    for shard in queued.take() {
        let outcome = fanout.handle(shard.into()).await;
        outcomes.push(outcome.map(|mut reports| reports.remove(0)).map_err(|e| e.to_string()));
    }
    outcomes
}

#[tokio::test]
async fn every_connection_of_a_big_shop_gets_the_event_exactly_once_across_shards() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 7).await;
    connect(&store, "ok-other-shop", ShopId::random()).await;
    let fanout = over(&store, &push, &store).sharded(&queued, size(3));
    let event = any_event(shop);

    let report = fanout.handle(sns(&event)).await.unwrap();
    assert_eq!(
        report,
        [Report { delivered: 3, shards: 2, ..Report::default() }],
        "its own page, two handed over"
    );
    assert_eq!(push.receivers(), ids[..3], "the first page, pushed by the invocation that got the event");
    let shards: Vec<(u32, Vec<String>)> = queued
        .queued
        .lock()
        .unwrap()
        .iter()
        .map(|invocation| match invocation {
            Invocation::Shard(shard) => {
                (shard.number, shard.listeners.iter().map(|l| l.id.to_string()).collect())
            }
            Invocation::Sns(_) => panic!("a shard"),
        })
        .collect();
    let mut shards = shards;
    shards.sort();
    assert_eq!(shards, [(1, ids[3..6].to_vec()), (2, ids[6..].to_vec())], "the other pages, in order");

    let outcomes = run(&fanout, &queued).await;
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Report { duplicate: false, .. }))), "{outcomes:?}");
    assert_eq!(push.receivers(), ids, "every connection of the shop, once, and no other shop's");
    for (_, message) in push.sent.lock().unwrap().iter() {
        let message: serde_json::Value = serde_json::from_str(message).unwrap();
        assert_eq!(message, serde_json::to_value(event.cloud_event()).unwrap());
    }
}

#[tokio::test]
async fn page_boundaries_none_one_exactly_a_shard_one_more_and_many() {
    // (connections, shards handed over) at a shard size of 4.
    for (count, handed) in [(0, 0), (1, 0), (4, 0), (5, 1), (8, 1), (9, 2), (13, 3)] {
        let store = EmbeddedShop::in_memory().unwrap();
        let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
        let (shop, ids) = shop_of(&store, count).await;
        let fanout = over(&store, &push, &store).sharded(&queued, size(4));
        let event = any_event(shop);
        let report = fanout.handle(sns(&event)).await.unwrap();
        assert_eq!(report[0].shards, handed, "{count} connections");
        assert_eq!(report[0].delivered, count.min(4), "{count} connections");
        let outcomes = run(&fanout, &queued).await;
        assert_eq!(outcomes.len(), handed);
        assert_eq!(push.receivers(), ids, "{count} connections: each once");
        if count <= 4 {
            // One page: pushed under the event's claim alone, no shard claim written.
            assert_eq!(
                store.claim("fanout", shard_claim(event.id, 0), Duration::ZERO).await.unwrap(),
                Claim::Claimed
            );
        }
    }
}

#[tokio::test]
async fn a_redelivered_event_after_all_shards_ran_delivers_nothing_twice() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 7).await;
    let fanout = over(&store, &push, &store).sharded(&queued, size(3));
    let event = any_event(shop);
    fanout.handle(sns(&event)).await.unwrap();
    let first_run = queued.queued.lock().unwrap().clone();
    run(&fanout, &queued).await;
    assert_eq!(push.receivers(), ids);

    let again = fanout.handle(sns(&event)).await.unwrap();
    assert_eq!(again, [Report { duplicate: true, ..Report::default() }]);
    assert!(queued.queued.lock().unwrap().is_empty(), "no shard is handed over again");
    // Lambda delivers an asynchronous invocation twice now and then: each shard skips itself.
    *queued.queued.lock().unwrap() = first_run;
    let outcomes = run(&fanout, &queued).await;
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Report { duplicate: true, .. }))), "{outcomes:?}");
    assert_eq!(push.receivers(), ids, "nobody had it twice");
}

#[tokio::test]
async fn an_event_whose_hand_over_failed_is_retried_without_pushing_anything_twice() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 10).await;
    let fanout = over(&store, &push, &store).sharded(&queued, size(3));
    let event = any_event(shop);
    queued.refuse_once.lock().unwrap().push(2);

    assert!(fanout.handle(sns(&event)).await.is_err(), "a shard not handed over: the event is retried");
    // Whatever was handed over before the failure runs meanwhile.
    run(&fanout, &queued).await;
    let retried = fanout.handle(sns(&event)).await.unwrap();
    assert_eq!(
        retried,
        [Report { shards: 3, ..Report::default() }],
        "its own page was done: only handed over again"
    );
    run(&fanout, &queued).await;
    assert_eq!(push.receivers(), ids, "each connection once, across both attempts");
}

/// The shop store's claims, except that claiming `failing` fails the first time (DynamoDB
/// throttled, say): the shard's invocation fails, and Lambda retries it.
struct FlakyClaims<'a> {
    store: &'a EmbeddedShop,
    failing: Mutex<Option<EventId>>,
}

#[async_trait]
impl Deduplicator for FlakyClaims<'_> {
    async fn claim(&self, consumer: &str, event: EventId, lease: Duration) -> Result<Claim, Error> {
        let fail = self.failing.lock().unwrap().take_if(|failing| *failing == event).is_some();
        if fail {
            return Err(Error::unavailable("claim an event", "throttled"));
        }
        self.store.claim(consumer, event, lease).await
    }
    async fn complete(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        self.store.complete(consumer, event).await
    }
    async fn release(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        self.store.release(consumer, event).await
    }
}

#[tokio::test]
async fn a_shard_that_fails_and_is_retried_reaches_its_own_connections_and_nobody_elses_again() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 9).await;
    let event = any_event(shop);
    let claims = FlakyClaims { store: &store, failing: Mutex::new(Some(shard_claim(event.id, 2))) };
    let fanout = over(&store, &push, &claims).sharded(&queued, size(3));
    fanout.handle(sns(&event)).await.unwrap();
    let shards = queued.take();
    let by_number = |number| shards.iter().find(|s| s.number == number).cloned().unwrap();

    fanout.handle(by_number(1).into()).await.unwrap();
    assert!(fanout.handle(by_number(2).into()).await.is_err(), "shard 2 fails: Lambda retries it");
    assert_eq!(push.receivers(), ids[..6], "the first page and shard 1; nothing of shard 2 yet");
    // Lambda's retries: shard 2 again, and (a duplicate delivery) shard 1 again.
    assert_eq!(fanout.handle(by_number(2).into()).await.unwrap()[0].delivered, 3);
    assert!(fanout.handle(by_number(1).into()).await.unwrap()[0].duplicate);
    assert_eq!(push.receivers(), ids, "each once");
}

#[tokio::test]
async fn a_shard_another_attempt_still_holds_is_retried_later_not_skipped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 5).await;
    let event = any_event(shop);
    let fanout = over(&store, &push, &store).sharded(&queued, size(3));
    fanout.handle(sns(&event)).await.unwrap();
    let shard = queued.take().remove(0);
    // An attempt of this shard that hangs (its Lambda timed out mid-way): its lease is live.
    let hung = Duration::from_millis(300);
    assert_eq!(store.claim("fanout", shard_claim(event.id, 1), hung).await.unwrap(), Claim::Claimed);
    assert!(fanout.handle(shard.clone().into()).await.is_err(), "an error: retried later, not dropped");
    tokio::time::sleep(hung + Duration::from_millis(50)).await;
    assert_eq!(fanout.handle(shard.into()).await.unwrap()[0].delivered, 2, "after the lease");
    assert_eq!(push.receivers(), ids);
}

#[tokio::test]
async fn a_shard_closes_its_expired_connections_and_forgets_its_gone_ones() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let shop = ShopId::random();
    for id in ["a-ok", "b-ok", "gone-c", "ok-d"] {
        connect(&store, id, shop).await;
    }
    connect_until(&store, "ok-expired", shop, 1_700_000_000).await;
    let fanout = over(&store, &push, &store).sharded(&queued, size(2));
    fanout.handle(sns(&any_event(shop))).await.unwrap();
    let reports = run(&fanout, &queued).await;
    let total = reports.into_iter().map(Result::unwrap).fold(Report::default(), |sum, r| Report {
        delivered: sum.delivered + r.delivered,
        gone: sum.gone + r.gone,
        expired: sum.expired + r.expired,
        ..sum
    });
    assert_eq!(
        (total.delivered, total.gone, total.expired),
        (1, 1, 1),
        "the shards' part: ok-d, gone-c, ok-expired"
    );
    assert_eq!(*push.closed.lock().unwrap(), ["ok-expired"]);
    assert_eq!(common::ids(store.for_shop(shop).await.unwrap()), ["a-ok", "b-ok", "ok-d"]);
}

#[tokio::test]
async fn with_sharding_off_one_invocation_pushes_to_every_connection() {
    let store = EmbeddedShop::in_memory().unwrap();
    let (push, queued) = (ScriptedPush::default(), QueuedShards::default());
    let (shop, ids) = shop_of(&store, 7).await;
    let fanout = over(&store, &push, &store).sharded(&queued, None);
    let report = fanout.handle(sns(&any_event(shop))).await.unwrap();
    assert_eq!(report, [Report { delivered: 7, ..Report::default() }]);
    assert!(queued.queued.lock().unwrap().is_empty());
    assert_eq!(push.receivers(), ids);
}

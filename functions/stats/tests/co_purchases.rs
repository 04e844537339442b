//! Co-purchases on the embedded stores: each placed order's pairs counted once whatever is
//! delivered twice, retried after it landed, or crashes where; claimed apart from the figures.

mod common;

use std::time::Duration;

use bookworm_domain::copurchase::{BOOKS_PER_ORDER, PartnerKey, Partners, order_books, pairs};
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::{BookId, OrderId, UserId};
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::ports::{Claim, CoPurchaseStore, Deduplicator};
use bookworm_embedded::{EmbeddedShop, seed};
use common::World;
use stats::copurchases::CONSUMER;
use stats::{Outcome, Stats};

impl World {
    /// An order of `books` (one line each), stored, and its checkout event.
    async fn placed(&self, books: &[BookId]) -> (Order, ShopEvent) {
        let mut order = seed::sample_order().unwrap();
        order.id = OrderId::random();
        order.buyer_id = UserId::parse("buyer", "pat").unwrap();
        let line = order.lines[0].clone();
        order.lines = books
            .iter()
            .map(|book| bookworm_domain::basket::PricedLine { book_id: *book, ..line.clone() })
            .collect();
        self.shop.seed_order(&order).await.unwrap();
        let event = ShopEvent::checkout_completed(&order);
        (order, event)
    }

    async fn record(&self, key: PartnerKey) -> Partners {
        self.co_purchases.partners(key).await.unwrap()
    }

    async fn count(&self, book: BookId, with: BookId) -> Option<u64> {
        self.record(PartnerKey::Book(book)).await.count(with)
    }
}

fn books(n: usize) -> Vec<BookId> {
    (0..n).map(|_| BookId::random()).collect()
}

#[tokio::test]
async fn an_order_delivered_twice_counts_each_pair_once() {
    let world = World::new();
    let [a, b, c] = books(3)[..] else { unreachable!() };
    let (_, event) = world.placed(&[a, b, c, a]).await;
    assert_eq!(world.stats().count_co_purchases(&event).await.unwrap(), Outcome::Counted);
    assert_eq!(
        world.stats().count_co_purchases(&event).await.unwrap(),
        Outcome::Duplicate,
        "the claim is done"
    );
    for (book, with) in [(a, b), (a, c), (b, a), (b, c), (c, a), (c, b)] {
        assert_eq!(world.count(book, with).await, Some(1), "{book} with {with}");
    }
    assert_eq!(world.count(a, a).await, None, "a book is never its own partner, a line twice counts once");
    let popular = world.record(PartnerKey::Popular).await;
    assert_eq!([a, b, c].map(|book| popular.count(book)), [Some(1); 3]);
}

#[tokio::test]
async fn a_retry_after_some_saves_landed_moves_only_the_others() {
    let world = World::new();
    let [a, b, c] = books(3)[..] else { unreachable!() };
    let (order, event) = world.placed(&[a, b, c]).await;
    // An attempt claimed the order, saved a's record (the save landed, its answer was lost),
    // and died; its lease runs out.
    assert_eq!(world.shop.claim(CONSUMER, event.id, Duration::from_millis(1)).await.unwrap(), Claim::Claimed);
    let (key, partners) = pairs(&order_books(&order)).remove(0);
    let mut landed = world.record(key).await;
    assert!(landed.add(event.id, &partners));
    assert!(world.co_purchases.save_partners(&landed).await.unwrap());
    // The same save again (the SDK's retry of it) is refused: a's record is not moved twice.
    assert!(!world.co_purchases.save_partners(&landed).await.unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;

    assert_eq!(world.stats().count_co_purchases(&event).await.unwrap(), Outcome::Counted, "b, c and popular");
    for (book, with) in [(a, b), (a, c), (b, a), (c, b)] {
        assert_eq!(world.count(book, with).await, Some(1), "{book} with {with}");
    }
    assert_eq!(world.shop.claim(CONSUMER, event.id, Duration::from_secs(1)).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn a_crash_after_every_save_and_before_the_claim_completed_counts_nothing_twice() {
    let world = World::new();
    let [a, b] = books(2)[..] else { unreachable!() };
    let (_, event) = world.placed(&[a, b]).await;
    assert_eq!(world.stats().count_co_purchases(&event).await.unwrap(), Outcome::Counted);
    // As if the completion never happened: a claims store that never saw it completed (its
    // lease ran out); the retry claims it again and finds every record's marker.
    let claims = EmbeddedShop::in_memory().unwrap();
    let retry = Stats { dedupe: &claims, ..world.stats() };
    assert_eq!(retry.count_co_purchases(&event).await.unwrap(), Outcome::Duplicate);
    assert_eq!(claims.claim(CONSUMER, event.id, Duration::from_secs(1)).await.unwrap(), Claim::Done);
    assert_eq!((world.count(a, b).await, world.count(b, a).await), (Some(1), Some(1)));
    assert_eq!(world.record(PartnerKey::Book(a)).await.version, 1, "not saved again");
}

#[tokio::test]
async fn a_live_claim_fails_the_record_for_a_retry_and_the_figures_are_claimed_apart() {
    let world = World::new();
    let [a, b] = books(2)[..] else { unreachable!() };
    let (_, event) = world.placed(&[a, b]).await;
    assert_eq!(
        world.shop.claim(CONSUMER, event.id, Duration::from_millis(300)).await.unwrap(),
        Claim::Claimed
    );
    // The figures count it; the co-purchases are another attempt's for now: the record fails.
    let batch = local_batch(&event);
    assert_eq!(world.stats().handle(batch).await.batch_item_failures.len(), 1);
    assert_eq!(world.count(a, b).await, None);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The retry: the figures' claim is done (nothing twice), the co-purchases are counted.
    assert!(world.stats().handle(local_batch(&event)).await.batch_item_failures.is_empty());
    assert_eq!(world.count(a, b).await, Some(1));
    assert_eq!(
        world.shop.claim(stats::CONSUMER, event.id, Duration::from_secs(1)).await.unwrap(),
        Claim::Done
    );
}

#[tokio::test]
async fn orders_racing_on_one_book_both_count() {
    let world = World::new();
    let [a, b, c] = books(3)[..] else { unreachable!() };
    let mut events = Vec::new();
    for with in [b, c, b, c, b, c] {
        events.push(world.placed(&[a, with]).await.1);
    }
    let stats = world.stats();
    let counted = futures::future::join_all(events.iter().map(|event| stats.count_co_purchases(event))).await;
    assert!(counted.iter().all(|outcome| matches!(outcome, Ok(Outcome::Counted))), "{counted:?}");
    assert_eq!((world.count(a, b).await, world.count(a, c).await), (Some(3), Some(3)));
    assert_eq!(world.record(PartnerKey::Book(a)).await.version, 6);
    assert_eq!(world.record(PartnerKey::Popular).await.count(a), Some(6));
}

#[tokio::test]
async fn a_large_order_pairs_its_first_books_only_and_a_cancellation_changes_nothing() {
    let world = World::new();
    let many = books(BOOKS_PER_ORDER + 5);
    let (order, event) = world.placed(&many).await;
    world.stats().count_co_purchases(&event).await.unwrap();
    let first = world.record(PartnerKey::Book(many[0])).await;
    assert_eq!(first.counts.len(), BOOKS_PER_ORDER - 1);
    assert_eq!(first.count(many[BOOKS_PER_ORDER]), None, "past the cap");
    assert_eq!(world.record(PartnerKey::Book(many[BOOKS_PER_ORDER])).await.version, 0);

    let mut cancelled = order.clone();
    cancelled.status = OrderStatus::Cancelled;
    let closed = ShopEvent::order_closed(&cancelled).unwrap();
    assert_eq!(world.stats().count_co_purchases(&closed).await.unwrap(), Outcome::Ignored);
    assert_eq!(world.record(PartnerKey::Book(many[0])).await, first, "what was bought together stays");
}

/// The events table's stream record of `event`, as the local stack builds it.
fn local_batch(event: &ShopEvent) -> aws_lambda_events::dynamodb::Event {
    let json = serde_json::to_string(event).unwrap();
    serde_json::from_value(serde_json::json!({ "Records": [{
        "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "SequenceNumber": "1", "SizeBytes": 1, "StreamViewType": "NEW_IMAGE",
            "Keys": {"pk": {"S": format!("SHOP#{}", event.shop_id)}, "sk": {"S": event.sort_key()}},
            "NewImage": {"event": {"S": json}}
        },
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/events/stream/x"
    }]}))
    .unwrap()
}

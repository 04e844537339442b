//! The stats consumer on the embedded stores: every order event counted once whatever is
//! delivered twice, whatever crashes where; books counted as the catalog has them.

mod common;

use std::time::Duration;

use aws_lambda_events::dynamodb::Event;
use bookworm_domain::catalog::BookStatus;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::figures::{Day, DayRange, OrderFact, Recorded, Tally, recording};
use bookworm_domain::ids::{OrderId, UserId};
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::ports::{BookReader, CatalogWriter, Claim, Deduplicator, FigureReader, FigureRecorder};
use bookworm_embedded::seed;
use common::World;
use serde_json::json;
use stats::{CONSUMER, Outcome};

impl World {
    /// An order of `buyer` for `cents`, stored, and its checkout event.
    async fn placed(&self, buyer: &str, cents: u64) -> (Order, ShopEvent) {
        let mut order = seed::sample_order().unwrap();
        order.id = OrderId::random();
        order.buyer_id = UserId::parse("buyer", buyer).unwrap();
        order.buyer_name = Some(format!("{buyer} Reader"));
        order.buyer_email = Some(format!("{buyer}@example.com"));
        order.total = bookworm_domain::Money::from_cents(cents).unwrap();
        self.shop.seed_order(&order).await.unwrap();
        let event = ShopEvent::checkout_completed(&order);
        (order, event)
    }

    async fn today(&self) -> Tally {
        let today = Day::of_time(&bookworm_domain::clock::now_rfc3339()).unwrap();
        let days = self.figures.days(DayRange::new(today, today).unwrap()).await.unwrap();
        days.first().map(|figures| figures.tally).unwrap_or_default()
    }
}

fn closed(order: &Order, status: OrderStatus) -> ShopEvent {
    let mut order = order.clone();
    order.status = status;
    ShopEvent::order_closed(&order).unwrap()
}

/// A stream batch of the events table, as Lambda delivers it.
fn batch(events: &[&ShopEvent]) -> Event {
    let records: Vec<_> = events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            json!({
                "eventID": format!("id-{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
                "dynamodb": {
                    "SequenceNumber": format!("{}", 100 + i), "SizeBytes": 100, "StreamViewType": "NEW_IMAGE",
                    "Keys": {"pk": {"S": format!("SHOP#{}", event.shop_id)}, "sk": {"S": event.sort_key()}},
                    "NewImage": {"event": {"S": serde_json::to_string(event).unwrap()}}
                },
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/events/stream/x"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// A catalog stream batch (keys only) naming `books`.
fn catalog_batch(books: &[bookworm_domain::ids::BookId]) -> Event {
    let records: Vec<_> = books
        .iter()
        .enumerate()
        .map(|(i, book)| {
            json!({
                "eventID": format!("c-{i}"), "eventName": "MODIFY", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
                "dynamodb": {
                    "SequenceNumber": format!("{}", 500 + i), "SizeBytes": 40, "StreamViewType": "KEYS_ONLY",
                    "Keys": {"pk": {"S": format!("BOOK#{book}")}, "sk": {"S": "BOOK"}}
                },
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/catalog/stream/x"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_checkout_delivered_twice_counts_once() {
    let world = World::new();
    let (order, event) = world.placed("ann", 1299).await;
    for _ in 0..2 {
        let response = world.stats().handle(batch(&[&event, &event])).await;
        assert!(response.batch_item_failures.is_empty());
    }
    assert_eq!(
        world.today().await,
        Tally { orders_placed: 1, revenue: 1299, new_customers: 1, ..Tally::default() }
    );
    let customer = world.figures.find_customer(&order.buyer_id).await.unwrap().unwrap();
    assert_eq!((customer.order_count, customer.total_spent), (1, 1299));
    assert_eq!(customer.name.as_deref(), Some("ann Reader"), "the order's name, not the event's");
    assert_eq!(customer.email.as_deref(), Some("ann@example.com"));
    assert_eq!(customer.last_order_id, order.id);
}

#[tokio::test]
async fn a_cancellation_takes_the_revenue_out_and_a_completion_counts() {
    let world = World::new();
    let (kept, placed_kept) = world.placed("bea", 1000).await;
    let (gone, placed_gone) = world.placed("bea", 400).await;
    let events = [
        &placed_kept,
        &placed_gone,
        &closed(&kept, OrderStatus::Completed),
        &closed(&gone, OrderStatus::Cancelled),
    ];
    assert!(world.stats().handle(batch(&events)).await.batch_item_failures.is_empty());
    let expected =
        Tally { orders_placed: 2, orders_completed: 1, orders_cancelled: 1, revenue: 1000, new_customers: 1 };
    assert_eq!(world.today().await, expected);
    let customer = world.figures.find_customer(&kept.buyer_id).await.unwrap().unwrap();
    assert_eq!((customer.order_count, customer.cancelled_count, customer.total_spent), (2, 1, 1000));
}

#[tokio::test]
async fn a_crash_after_the_claim_and_before_the_write_is_counted_by_the_retry() {
    let world = World::new();
    let (_, event) = world.placed("cal", 250).await;
    // An attempt claimed the event and died: while its lease is live the retry fails (it may
    // still be writing) and counts nothing...
    assert_eq!(
        world.shop.claim(CONSUMER, event.id, Duration::from_millis(300)).await.unwrap(),
        Claim::Claimed
    );
    let response = world.stats().handle(batch(&[&event])).await;
    assert_eq!(response.batch_item_failures.len(), 1, "retried later, not dropped");
    assert_eq!(world.today().await, Tally::default());
    // ...and once the lease ran out, the retry counts it, once.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(world.stats().handle(batch(&[&event, &event])).await.batch_item_failures.is_empty());
    assert_eq!(world.today().await.orders_placed, 1);
    assert_eq!(world.shop.claim(CONSUMER, event.id, Duration::from_secs(1)).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn a_crash_after_the_write_and_before_the_claim_completed_counts_nothing_twice() {
    let world = World::new();
    let (order, event) = world.placed("dan", 700).await;
    // The write landed, then the attempt died holding an uncompleted (expired) claim.
    assert_eq!(world.shop.claim(CONSUMER, event.id, Duration::from_millis(1)).await.unwrap(), Claim::Claimed);
    let fact = OrderFact::Placed {
        order: order.id,
        buyer: order.buyer_id.clone(),
        total: 700,
        name: None,
        email: None,
    };
    let landed = recording(event.id, &event.time, &fact, None).unwrap();
    assert_eq!(world.figures.record(&landed).await.unwrap(), Recorded::Done);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(world.stats().order_event(&event).await.unwrap(), Outcome::Duplicate);
    assert_eq!(world.today().await.orders_placed, 1);
    assert_eq!(world.today().await.revenue, 700);
    // The retry completed the claim: the next delivery stops there.
    assert_eq!(world.shop.claim(CONSUMER, event.id, Duration::from_secs(1)).await.unwrap(), Claim::Done);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_count_it_once() {
    let world = World::new();
    let (_, event) = world.placed("eve", 90).await;
    let stats = world.stats();
    let attempts = futures::future::join_all((0..8).map(|_| stats.order_event(&event))).await;
    let counted = attempts.iter().filter(|attempt| matches!(attempt, Ok(Outcome::Counted))).count();
    assert_eq!(counted, 1, "{attempts:?}");
    assert_eq!(world.today().await.orders_placed, 1);
}

#[tokio::test]
async fn concurrent_orders_of_one_buyer_all_count() {
    let world = World::new();
    let mut events = Vec::new();
    for _ in 0..6 {
        events.push(world.placed("fay", 10).await.1);
    }
    let stats = world.stats();
    let attempts = futures::future::join_all(events.iter().map(|event| stats.order_event(event))).await;
    assert!(attempts.iter().all(|attempt| matches!(attempt, Ok(Outcome::Counted))), "{attempts:?}");
    let customer = world.figures.find_customer(&UserId::parse("b", "fay").unwrap()).await.unwrap().unwrap();
    assert_eq!((customer.order_count, customer.total_spent), (6, 60));
    assert_eq!(world.today().await.new_customers, 1);
}

#[tokio::test]
async fn a_failing_record_stops_the_batch_there() {
    let world = World::new();
    let (_, first) = world.placed("gus", 100).await;
    // A checkout whose order cannot be read (never stored): fails, and everything after it waits.
    let mut missing = seed::sample_order().unwrap();
    missing.id = OrderId::random();
    let broken = ShopEvent::checkout_completed(&missing);
    let (_, after) = world.placed("gus", 100).await;
    let response = world.stats().handle(batch(&[&first, &broken, &after])).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, [Some("101".to_owned())]);
    assert_eq!(world.today().await.orders_placed, 1);
    // The broken event's claim was given back: a retry is not skipped as done.
    assert_eq!(world.shop.claim(CONSUMER, broken.id, Duration::from_secs(1)).await.unwrap(), Claim::Claimed);
}

#[tokio::test]
async fn books_are_counted_as_the_catalog_has_them_however_often_told() {
    let world = World::new();
    let data = bookworm_domain::contract::fixture();
    world.catalog.import(&data).await.unwrap();
    assert_eq!(world.stats().recount().await.unwrap(), data.books.len());
    let figures = world.figures.catalog_figures().await.unwrap();
    let in_stock = data.books.iter().filter(|book| book.status == BookStatus::InStock).count() as i64;
    assert_eq!(figures.books_in_stock, in_stock);
    assert_eq!(figures.books_in_stock + figures.books_out_of_stock, data.books.len() as i64);
    assert_eq!(figures.by_category.iter().map(|c| c.books).sum::<i64>(), data.books.len() as i64);

    // A book goes out of stock, then is deleted; each change told twice, out of order too.
    let mut book = data.books.iter().find(|book| book.status == BookStatus::InStock).unwrap().clone();
    book.status = BookStatus::OutOfStock;
    world.catalog.put_book(&book).await.unwrap();
    let told = catalog_batch(&[book.id, book.id]);
    assert!(world.stats().handle(told).await.batch_item_failures.is_empty());
    let after = world.figures.catalog_figures().await.unwrap();
    assert_eq!(
        (after.books_in_stock, after.books_out_of_stock),
        (figures.books_in_stock - 1, figures.books_out_of_stock + 1)
    );
    world.catalog.delete_book(book.id).await.unwrap();
    assert!(world.catalog.get_book(book.id).await.unwrap().is_none());
    assert!(world.stats().handle(catalog_batch(&[book.id, book.id])).await.batch_item_failures.is_empty());
    let deleted = world.figures.catalog_figures().await.unwrap();
    assert_eq!(deleted.books_out_of_stock, figures.books_out_of_stock);
    assert_eq!(deleted.books_in_stock + deleted.books_out_of_stock, data.books.len() as i64 - 1);
    // A recount now changes nothing.
    world.stats().recount().await.unwrap();
    assert_eq!(world.figures.catalog_figures().await.unwrap(), deleted);
}

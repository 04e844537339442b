//! One email per order event, even when SNS delivers the event twice; none without an address.

use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::basket::Basket;
use bookworm_domain::contract::any_event;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::mail::{PreferenceStore, Preferences};
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{BasketStore, Claim, Deduplicator, OrderStore};
use bookworm_embedded::EmbeddedShop;
use email::{Notifier, Outcome};
use test_support::email::{Outbox, placed_order};
use test_support::sns_batch;

#[tokio::test]
async fn a_duplicate_delivery_sends_one_email() {
    let store = EmbeddedShop::in_memory().unwrap();
    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };
    let (order, event) = placed_order(&store, Some("ann@example.com")).await;

    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Sent]);
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Duplicate]);
    let sent = outbox.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "BookWorm: Your Order Has Been Received Successfully");
    assert!(sent[0].text.contains(&order.id.to_string()));
    assert!(sent[0].text.contains(&format!("Total: ${}", order.total)));
}

#[tokio::test]
async fn a_failed_send_is_retried_not_lost() {
    let store = EmbeddedShop::in_memory().unwrap();
    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    *outbox.fail.lock().unwrap() = true;
    assert!(notifier.handle(sns_batch(&event)).await.is_err(), "Lambda retries, then the DLQ keeps it");
    *outbox.fail.lock().unwrap() = false;
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Sent], "the retry sends it");
}

#[tokio::test]
async fn an_event_another_attempt_still_holds_is_retried_later_not_dropped() {
    let store = EmbeddedShop::in_memory().unwrap();
    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    // An attempt that hangs (SES slow, Lambda timing out) holds the lease; Lambda retries inside it.
    let hung = std::time::Duration::from_millis(300);
    assert_eq!(store.claim("email", event.id, hung).await.unwrap(), Claim::Claimed);
    assert!(notifier.handle(sns_batch(&event)).await.is_err(), "an error: Lambda retries later");
    assert!(outbox.sent.lock().unwrap().is_empty(), "nothing sent while another attempt may send");
    tokio::time::sleep(hung + std::time::Duration::from_millis(50)).await;
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Sent], "after the lease");
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Duplicate]);
    assert_eq!(outbox.sent.lock().unwrap().len(), 1, "exactly once");
}

#[tokio::test]
async fn no_address_is_skipped_and_other_events_are_ignored() {
    let store = EmbeddedShop::in_memory().unwrap();
    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };
    let (_, event) = placed_order(&store, None).await;
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::NoAddress]);
    let other = any_event(bookworm_domain::ids::ShopId::random());
    assert_eq!(notifier.handle(sns_batch(&other)).await.unwrap(), [Outcome::Ignored]);
    assert!(outbox.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_sample_sns_event_mails_the_received_email() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/email/checkout-completed.json");
    let batch: SnsEvent = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let store = EmbeddedShop::in_memory().unwrap();
    // The order the sample event names.
    let (mut order, _) = placed_order(&EmbeddedShop::in_memory().unwrap(), Some("ann@example.com")).await;
    order.id = "7c9e6679-7425-40de-944b-e07fc1f90ae7".parse().unwrap();
    let mut basket = Basket::new(order.shop_id, &bookworm_domain::contract::user("ann"));
    basket.set(order.lines[0].book_id, 1).unwrap();
    let added = ShopEvent::basket_cleared(&basket);
    store.save_basket(&basket, None, &added).await.unwrap();
    store.place_order(&order, &basket, &added).await.unwrap();

    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };
    assert_eq!(notifier.handle(batch).await.unwrap(), [Outcome::Sent]);
    assert_eq!(outbox.sent.lock().unwrap()[0].subject, "BookWorm: Your Order Has Been Received Successfully");
}

#[tokio::test]
async fn a_text_message_goes_only_to_buyers_who_opted_in_with_a_phone_number() {
    let store = EmbeddedShop::in_memory().unwrap();
    let outbox = Outbox::default();
    let notifier = Notifier {
        orders: &store,
        mailer: &outbox,
        dedupe: &store,
        preferences: &store,
        sms: &outbox,
        devices: &store,
        push: &test_support::email::Phones::default(),
    };

    let (_, event) = placed_order_with_phone(&store, Some("+79516519741")).await;
    notifier.handle(sns_batch(&event)).await.unwrap();
    assert!(outbox.texts.lock().unwrap().is_empty(), "no opt-in, no text message");

    store
        .set_preferences(
            &bookworm_domain::contract::user("ann"),
            &Preferences { sms_notifications: true, ..Default::default() },
        )
        .await
        .unwrap();
    let (order, event) = placed_order_with_phone(&store, Some("+79516519741")).await;
    notifier.handle(sns_batch(&event)).await.unwrap();
    notifier.handle(sns_batch(&event)).await.unwrap();
    let texts = outbox.texts.lock().unwrap().clone();
    assert_eq!(texts.len(), 1, "once per event");
    assert_eq!(texts[0].to, "+79516519741");
    assert!(texts[0].text.contains(&order.id.to_string()));

    let (_, event) = placed_order_with_phone(&store, None).await;
    notifier.handle(sns_batch(&event)).await.unwrap();
    assert_eq!(outbox.texts.lock().unwrap().len(), 1, "no phone, no text message");
}

async fn placed_order_with_phone(store: &EmbeddedShop, phone: Option<&str>) -> (Order, ShopEvent) {
    let (mut order, _) = placed_order(&EmbeddedShop::in_memory().unwrap(), Some("ann@example.com")).await;
    order.id = bookworm_domain::ids::OrderId::random();
    order.idempotency_key = bookworm_domain::contract::key(&order.id.to_string());
    order.buyer_phone = phone.map(str::to_owned);
    let mut basket = Basket::new(order.shop_id, &bookworm_domain::contract::user("ann"));
    basket.set(order.lines[0].book_id, 1).unwrap();
    let added = ShopEvent::basket_cleared(&basket);
    store.save_basket(&basket, None, &added).await.unwrap();
    let event = ShopEvent::checkout_completed(&order);
    store.place_order(&order, &basket, &event).await.unwrap();
    (order, event)
}

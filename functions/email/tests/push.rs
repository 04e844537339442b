//! Order news pushed to the buyer's devices: only when they turned it on, once per event and
//! device however often the event comes, a failing device never holding back the others, and a
//! device whose endpoint is disabled, or whose token another buyer took, forgotten.

use bookworm_domain::contract::user;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::DeviceId;
use bookworm_domain::mail::{PreferenceStore, Preferences};
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::ports::DeviceStore;
use bookworm_domain::push::{Device, Devices, Platform};
use bookworm_embedded::EmbeddedShop;
use email::{Notifier, Outcome};
use test_support::email::{Outbox, Phones, placed_order};
use test_support::sns_batch;

fn notifier<'a>(store: &'a EmbeddedShop, outbox: &'a Outbox, phones: &'a Phones) -> Notifier<'a> {
    Notifier {
        orders: store,
        mailer: outbox,
        dedupe: store,
        preferences: store,
        sms: outbox,
        devices: store,
        push: phones,
    }
}

/// Ann's devices: one APNs, one FCM, one APNs sandbox.
async fn register(store: &EmbeddedShop) -> Vec<Device> {
    let tokens = [
        (Platform::Apns, "aa".repeat(32)),
        (Platform::Fcm, format!("fcm:{}", "b".repeat(40))),
        (Platform::ApnsSandbox, "cc".repeat(32)),
    ];
    let mut devices = Devices::empty(&user("ann"));
    for (platform, token) in tokens {
        let endpoint_arn =
            format!("arn:aws:sns:test:000000000000:endpoint/{}/app/{token}", platform.sns_key());
        let device = Device {
            id: DeviceId::random(),
            platform,
            token,
            endpoint_arn,
            created_at: "2026-12-07T20:00:00.000Z".into(),
        };
        devices = devices.with(device).unwrap();
    }
    let devices = Devices { version: 1, ..devices };
    assert!(store.save_devices(&devices).await.unwrap());
    devices.devices
}

async fn wants_pushes(store: &EmbeddedShop, on: bool) {
    let chosen = Preferences { push_notifications: on, ..Default::default() };
    store.set_preferences(&user("ann"), &chosen).await.unwrap();
}

#[tokio::test]
async fn nothing_is_pushed_unless_the_buyer_turned_it_on() {
    let (store, outbox, phones) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Phones::default());
    register(&store).await;
    let (order, event) = placed_order(&store, Some("ann@example.com")).await;
    assert_eq!(notifier(&store, &outbox, &phones).handle(sns_batch(&event)).await.unwrap(), [Outcome::Sent]);
    assert!(phones.tokens().is_empty(), "off by default");
    wants_pushes(&store, false).await;
    let event = ShopEvent::order_closed(&Order { status: OrderStatus::Completed, ..order }).unwrap();
    notifier(&store, &outbox, &phones).handle(sns_batch(&event)).await.unwrap();
    assert!(phones.tokens().is_empty(), "off when turned off");
}

#[tokio::test]
async fn each_device_gets_each_event_once_with_the_order_to_open() {
    let (store, outbox, phones) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Phones::default());
    let devices = register(&store).await;
    wants_pushes(&store, true).await;
    let (order, event) = placed_order(&store, Some("ann@example.com")).await;
    let notifier = notifier(&store, &outbox, &phones);
    notifier.handle(sns_batch(&event)).await.unwrap();
    assert_eq!(notifier.handle(sns_batch(&event)).await.unwrap(), [Outcome::Duplicate]);
    let mut tokens = phones.tokens();
    tokens.sort();
    let mut expected: Vec<String> = devices.iter().map(|device| device.token.clone()).collect();
    expected.sort();
    assert_eq!(tokens, expected, "one push per device, none again on a redelivery");
    let pushed = phones.pushed.lock().unwrap().clone();
    assert!(
        pushed.iter().all(|(_, message)| message.order_id == order.id && message.title == "Order received")
    );

    let cancelled =
        ShopEvent::order_closed(&Order { status: OrderStatus::Cancelled, ..order.clone() }).unwrap();
    notifier.handle(sns_batch(&cancelled)).await.unwrap();
    let pushed = phones.pushed.lock().unwrap().clone();
    assert_eq!(pushed.len(), 6, "a new event is new news");
    assert!(pushed[3..].iter().all(|(_, message)| message.title == "Order canceled"));
}

#[tokio::test]
async fn a_failing_device_holds_back_neither_the_others_nor_the_email_and_is_retried_alone() {
    let (store, outbox, phones) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Phones::default());
    let devices = register(&store).await;
    wants_pushes(&store, true).await;
    phones.failing.lock().unwrap().push(devices[0].token.clone());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    let notifier = notifier(&store, &outbox, &phones);
    assert!(
        notifier.handle(sns_batch(&event)).await.is_err(),
        "Lambda retries the event for the failed device"
    );
    assert_eq!(phones.tokens().len(), 2, "the other devices were pushed to");
    assert_eq!(outbox.sent.lock().unwrap().len(), 1, "the email went");

    phones.failing.lock().unwrap().clear();
    assert_eq!(
        notifier.handle(sns_batch(&event)).await.unwrap(),
        [Outcome::Duplicate],
        "the email is not sent again"
    );
    let tokens = phones.tokens();
    assert_eq!(tokens.len(), 3, "only the failed device is pushed to on the retry");
    assert_eq!(tokens[2], devices[0].token);
    assert_eq!(outbox.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_device_whose_endpoint_is_disabled_is_forgotten() {
    let (store, outbox, phones) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Phones::default());
    let devices = register(&store).await;
    wants_pushes(&store, true).await;
    phones.disabled.lock().unwrap().push(devices[1].token.clone());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    notifier(&store, &outbox, &phones).handle(sns_batch(&event)).await.unwrap();
    let left: Vec<DeviceId> =
        store.devices(&user("ann")).await.unwrap().devices.iter().map(|d| d.id).collect();
    assert_eq!(left, [devices[0].id, devices[2].id]);
    assert_eq!(phones.deleted.lock().unwrap().clone(), [devices[1].endpoint_arn.clone()]);
    assert_eq!(phones.tokens().len(), 2);
}

#[tokio::test]
async fn a_device_whose_token_another_buyer_registered_is_forgotten_and_its_endpoint_kept() {
    let (store, outbox, phones) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Phones::default());
    let devices = register(&store).await;
    wants_pushes(&store, true).await;
    phones.reassigned.lock().unwrap().push(devices[2].token.clone());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    notifier(&store, &outbox, &phones).handle(sns_batch(&event)).await.unwrap();
    let left: Vec<DeviceId> =
        store.devices(&user("ann")).await.unwrap().devices.iter().map(|d| d.id).collect();
    assert_eq!(left, [devices[0].id, devices[1].id]);
    assert!(phones.deleted.lock().unwrap().is_empty(), "the endpoint is the new buyer's");
    assert!(!phones.tokens().contains(&devices[2].token), "nothing of Ann's reaches the other buyer");
}

//! Messages a device might send: the good one lands in the outbox; every bad one is dropped
//! for its reason and leaves nothing behind.

use bookworm_domain::ids::ShopId;
use bookworm_domain::ports::EventLog;
use bookworm_embedded::EmbeddedShop;
use serde_json::{Value, json};

use super::*;

fn action(shop: ShopId) -> Value {
    json!({
        "session_id": "4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", "shop_id": shop,
        "shopper_id": "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94", "action_id": 101,
        "create_time": "2023-12-18T10:30:00.000Z", "action": "ADD", "product_name": "FUJI Apples",
        "product_id": 500100, "product_price": 3.50, "UPC": "042100005264", "category_id": "fruit",
        "basket_total": 12.18
    })
}

async fn stored(store: &EmbeddedShop, shop: ShopId) -> usize {
    store.history(shop, None, Default::default()).await.unwrap().items.len()
}

#[tokio::test]
async fn a_valid_action_on_its_shops_topic_is_published() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = ShopId::random();
    let topic = format!("shops/{shop}/actions");
    let payload = action(shop).to_string();
    let outcome = handle(&store, &topic, payload.as_bytes(), Some("kiosk-7")).await.unwrap();
    let Outcome::Published(event) = outcome else { panic!("{outcome:?}") };
    assert_eq!(event.shop_id, shop);
    let cloud_event = serde_json::to_value(event.cloud_event()).unwrap();
    assert_eq!(cloud_event["data"], action(shop), "the action, field for field");
    assert_eq!(cloud_event["type"], "com.bookworm.checkout.action");
    assert_eq!(stored(&store, shop).await, 1);
}

type Expect = fn(&Dropped) -> bool;

#[tokio::test]
async fn bad_messages_are_dropped_for_their_reason_and_nothing_is_stored() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = ShopId::random();
    let topic = format!("shops/{shop}/actions");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = action(shop);
        change(&mut body);
        body.to_string().into_bytes()
    };
    let mut padded = action(shop);
    padded["product_name"] = json!("x".repeat(MAX_BODY_BYTES));
    let cases: Vec<(&str, String, Vec<u8>, Expect)> = vec![
        (
            "another shop in the body",
            topic.clone(),
            with(&|b| b["shop_id"] = json!(ShopId::random())),
            |d| matches!(d, Dropped::Invalid(text) if text.contains("shop_id")),
        ),
        (
            "a missing field",
            topic.clone(),
            with(&|b| drop(b.as_object_mut().unwrap().remove("UPC"))),
            |d| matches!(d, Dropped::Malformed(text) if text.contains("UPC")),
        ),
        ("an unknown field", topic.clone(), with(&|b| b["extra"] = json!(1)), |d| {
            matches!(d, Dropped::Malformed(_))
        }),
        (
            "a rule broken",
            topic.clone(),
            with(&|b| b["create_time"] = json!("yesterday")),
            |d| matches!(d, Dropped::Invalid(text) if text.contains("create_time")),
        ),
        ("not JSON", topic.clone(), b"ADD FUJI Apples".to_vec(), |d| matches!(d, Dropped::Malformed(_))),
        ("not UTF-8", topic.clone(), vec![0xff, 0xfe, 0x00], |d| matches!(d, Dropped::Malformed(_))),
        ("empty", topic.clone(), Vec::new(), |d| matches!(d, Dropped::Malformed(_))),
        ("oversized", topic.clone(), padded.to_string().into_bytes(), |d| matches!(d, Dropped::TooLarge(_))),
        ("oversized garbage", topic.clone(), vec![b'{'; MAX_BODY_BYTES + 1], |d| {
            *d == Dropped::TooLarge(MAX_BODY_BYTES + 1)
        }),
        ("another topic", format!("shops/{shop}/orders"), with(&|_| ()), |d| matches!(d, Dropped::Topic(_))),
        ("a wildcard topic", "shops/+/actions".into(), with(&|_| ()), |d| matches!(d, Dropped::Topic(_))),
    ];
    for (name, topic, payload, expected) in cases {
        match handle(&store, &topic, &payload, Some("kiosk-7")).await.unwrap() {
            Outcome::Dropped(dropped) => assert!(expected(&dropped), "{name}: {dropped:?}"),
            published => panic!("{name}: {published:?}"),
        }
    }
    assert_eq!(stored(&store, shop).await, 0, "nothing reached the outbox");
}

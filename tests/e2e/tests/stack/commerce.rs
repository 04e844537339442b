//! Baskets and checkout through the local stack: prices from the catalog, events to the shop's
//! merchants, no lost updates under concurrency, one order per basket, idempotent replays.

use std::collections::HashSet;
use std::time::Duration;

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

struct Shopper<'a> {
    stack: &'a LocalStack,
    token: String,
}

impl<'a> Shopper<'a> {
    fn new(stack: &'a LocalStack, name: &str) -> Self {
        let request = bookworm_auth::dev_issuer::TokenRequest {
            sub: name.into(),
            roles: vec!["customer".into()],
            email: Some(format!("{name}@example.com")),
            ttl_seconds: 600,
            ..Default::default()
        };
        let token =
            stack.stack.issuer.token(&stack.stack.auth.issuer, &stack.stack.auth.audience, &request).unwrap();
        Self { stack, token }
    }

    async fn put(&self, book: &str, quantity: Value) -> reqwest::Response {
        self.stack
            .client
            .put(self.stack.url(&format!("/shops/{SHOP}/basket/items/{book}")))
            .bearer_auth(&self.token)
            .json(&json!({ "quantity": quantity }))
            .send()
            .await
            .unwrap()
    }

    async fn basket(&self) -> Value {
        let response = self
            .stack
            .client
            .get(self.stack.url(&format!("/shops/{SHOP}/basket")))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn checkout(&self, key: Option<&str>) -> reqwest::Response {
        let mut request = self
            .stack
            .client
            .post(self.stack.url(&format!("/shops/{SHOP}/checkout")))
            .bearer_auth(&self.token);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }
}

/// In-stock seeded books, cheapest first.
async fn books(stack: &LocalStack, count: usize) -> Vec<Value> {
    let page = stack.get_json("/books?sort=price&limit=100", 200).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "in_stock")
        .take(count)
        .cloned()
        .collect()
}

async fn next_event(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message = serde_json::from_str(&text).expect("JSON message");
                e2e::assert_conforms_to_asyncapi(&message);
                return Some(message);
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn basket_changes_and_checkout_reach_the_shop_and_the_order_reads_back() {
    let stack = LocalStack::start().await;
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let url = format!("{}/ws?shop_id={SHOP}&token={merchant}", stack.base.replace("http://", "ws://"));
    let (mut socket, _) = connect_async(url).await.unwrap();
    let ann = Shopper::new(&stack, "ann");
    let picks = books(&stack, 2).await;

    let response = ann.put(picks[0]["id"].as_str().unwrap(), json!(2)).await;
    assert_eq!(response.status(), 200);
    let basket: Value = response.json().await.unwrap();
    let unit = if picks[0]["sale_price"].is_null() { &picks[0]["price"] } else { &picks[0]["sale_price"] };
    assert_eq!(basket["lines"][0]["unit_price"], *unit, "the price comes from the catalog");
    let added = next_event(&mut socket).await.expect("the merchant sees the basket change");
    assert_eq!(added["type"], "com.bookworm.basket.item_added");
    assert_eq!(added["data"]["book_id"], picks[0]["id"]);
    assert_eq!(added["data"]["name"], picks[0]["name"]);
    assert_eq!(added["data"]["unit_price"], *unit);
    assert_eq!(added["data"]["quantity"], 2);
    assert_eq!(added["data"]["total"], basket["total"]);

    ann.put(picks[1]["id"].as_str().unwrap(), json!(1)).await;
    next_event(&mut socket).await.expect("second change");

    let placed = ann.checkout(Some("order-1")).await;
    assert_eq!(placed.status(), 201);
    let location = placed.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = placed.json().await.unwrap();
    assert_eq!(order["status"], "new");
    assert_eq!(order["lines"].as_array().unwrap().len(), 2);
    assert_eq!(order["buyer_email"], "ann@example.com");
    let completed = next_event(&mut socket).await.expect("the merchant sees the checkout");
    assert_eq!(completed["type"], "com.bookworm.checkout.completed");
    assert_eq!(completed["data"]["order_id"], order["id"]);
    assert_eq!(completed["data"]["total"], order["total"]);

    assert_eq!(ann.basket().await["lines"], json!([]), "checkout empties the basket");
    let replay = ann.checkout(Some("order-1")).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap(), order, "a replay returns the same order");

    let read = stack.client.get(stack.url(&location)).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(read.json::<Value>().await.unwrap(), order);
    let bob = Shopper::new(&stack, "bob");
    let hidden = stack.client.get(stack.url(&location)).bearer_auth(&bob.token).send().await.unwrap();
    assert_eq!(hidden.status(), 404, "another customer's order does not exist for them");
    let admin = stack
        .client
        .get(stack.url(&location))
        .bearer_auth(stack.token(&["admin"], &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
}

#[tokio::test]
async fn concurrent_basket_updates_lose_nothing() {
    let stack = LocalStack::start().await;
    let ann = Shopper::new(&stack, "ann");
    let picks = books(&stack, 20).await;
    let updates = picks.iter().map(|book| ann.put(book["id"].as_str().unwrap(), json!(3)));
    let statuses: Vec<u16> =
        futures::future::join_all(updates).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let basket = ann.basket().await;
    let ids: HashSet<&str> =
        basket["lines"].as_array().unwrap().iter().map(|l| l["book_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 20, "every concurrent update is in the basket");
}

#[tokio::test]
async fn two_concurrent_checkouts_of_one_basket_make_one_order() {
    let stack = LocalStack::start().await;
    let ann = Shopper::new(&stack, "ann");
    let pick = &books(&stack, 1).await[0];
    ann.put(pick["id"].as_str().unwrap(), json!(1)).await;

    let (first, second) = tokio::join!(ann.checkout(Some("tab-1")), ann.checkout(Some("tab-2")));
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one order, one refusal");

    ann.put(pick["id"].as_str().unwrap(), json!(1)).await;
    let (first, second) = tokio::join!(ann.checkout(Some("same")), ann.checkout(Some("same")));
    let (a, b): (Value, Value) = (first.json().await.unwrap(), second.json().await.unwrap());
    assert_eq!(a["id"], b["id"], "a concurrent replay gets the same order");
}

#[tokio::test]
async fn bad_basket_and_checkout_requests_are_named_problems() {
    let stack = LocalStack::start().await;
    let ann = Shopper::new(&stack, "ann");
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    for (quantity, status) in [(json!(0), 400), (json!(100), 400), (json!("2"), 400), (json!(-1), 400)] {
        let response = ann.put(&pick, quantity.clone()).await;
        assert_eq!(response.status().as_u16(), status, "{quantity}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "quantity", "{problem}");
    }
    assert_eq!(ann.put(&uuid::Uuid::new_v4().to_string(), json!(1)).await.status(), 404, "unknown book");
    let out_of_stock = stack.get_json("/books?limit=100", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["status"] == "out_of_stock")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(ann.put(&out_of_stock, json!(1)).await.status(), 409, "out of stock");

    let no_key = ann.checkout(None).await;
    assert_eq!(no_key.status(), 400);
    assert_eq!(no_key.json::<Value>().await.unwrap()["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(ann.checkout(Some("k")).await.status(), 409, "an empty basket");
    let anonymous = stack.client.get(stack.url(&format!("/shops/{SHOP}/basket"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn orders_are_listed_to_their_buyer_and_moved_by_admins_with_events_to_the_shop() {
    let stack = LocalStack::start().await;
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let url = format!("{}/ws?shop_id={SHOP}&token={merchant}", stack.base.replace("http://", "ws://"));
    let (mut socket, _) = connect_async(url).await.unwrap();
    let (ann, bob) = (Shopper::new(&stack, "ann"), Shopper::new(&stack, "bob"));
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    let mut orders = Vec::new();
    for shopper in [&ann, &bob] {
        shopper.put(&pick, json!(1)).await;
        let order: Value = shopper.checkout(Some("first")).await.json().await.unwrap();
        orders.push(order);
    }
    while next_event(&mut socket).await.is_some_and(|event| {
        event["type"] != "com.bookworm.checkout.completed" || event["data"]["order_id"] != orders[1]["id"]
    }) {}

    let list = |token: String, query: &'static str| {
        let request = stack.client.get(stack.url(&format!("/orders{query}"))).bearer_auth(token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let own = list(ann.token.clone(), "").await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1, "a customer sees only their orders");
    assert_eq!(own["items"][0]["id"], orders[0]["id"]);
    let admin = stack.token(&["admin"], &[]);
    let all = list(admin.clone(), "?status=new&limit=1").await;
    assert_eq!(all["items"][0]["id"], orders[1]["id"], "admins see everyone's, newest first");
    assert!(all["next_cursor"].is_string());

    let id = orders[0]["id"].as_str().unwrap();
    let patch = |path: String, token: String| {
        let request = stack.client.patch(stack.url(&path)).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(patch(format!("/orders/{id}/complete"), ann.token.clone()).await.status(), 403);
    let completed = patch(format!("/orders/{id}/complete"), admin.clone()).await;
    assert_eq!(completed.status(), 200);
    assert_eq!(completed.json::<Value>().await.unwrap()["status"], "completed");
    let event = next_event(&mut socket).await.expect("the merchant sees the order completed");
    assert_eq!(event["type"], "com.bookworm.order.completed");
    assert_eq!(event["data"]["order_id"], orders[0]["id"]);
    assert_eq!(
        patch(format!("/orders/{id}/complete"), admin.clone()).await.status(),
        200,
        "repeating is fine"
    );
    assert_eq!(
        patch(format!("/orders/{id}/cancel"), admin.clone()).await.status(),
        409,
        "completed orders stay completed"
    );
    let done = list(admin, "?status=completed").await;
    assert_eq!(done["items"][0]["id"], orders[0]["id"]);
    let bad =
        stack.client.get(stack.url("/orders?status=shipped")).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

/// Polls the local outbox until `count` emails for `order` are there (the bus is asynchronous).
async fn emails_for(stack: &LocalStack, order: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let outbox = stack.get_json("/_local/outbox", 200).await;
        let ours: Vec<Value> = outbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|mail| mail["text"].as_str().unwrap_or_default().contains(order))
            .cloned()
            .collect();
        if ours.len() >= count {
            return ours;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} emails for order {order}");
}

#[tokio::test]
async fn checkout_then_completion_mail_the_buyer_twice_and_the_merchant_sees_both() {
    let stack = LocalStack::start().await;
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let url = format!("{}/ws?shop_id={SHOP}&token={merchant}", stack.base.replace("http://", "ws://"));
    let (mut socket, _) = connect_async(url).await.unwrap();
    let ann = Shopper::new(&stack, "ann");
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    ann.put(&pick, json!(3)).await;
    let order: Value = ann.checkout(Some("mail-1")).await.json().await.unwrap();
    let id = order["id"].as_str().unwrap();

    let received = emails_for(&stack, id, 1).await;
    assert_eq!(received[0]["subject"], "BookWorm: Your Order Has Been Received Successfully");
    assert_eq!(received[0]["to"], "ann@example.com");
    assert!(
        received[0]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("Total: ${}", order["total"].as_str().unwrap()))
    );

    let admin = stack.token(&["admin"], &[]);
    let done = stack
        .client
        .patch(stack.url(&format!("/orders/{id}/complete")))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let both = emails_for(&stack, id, 2).await;
    assert_eq!(both.len(), 2, "exactly two emails for the order");
    assert_eq!(both[1]["subject"], "BookWorm: Your Order Has Been Completed and Shipped");
    assert!(both[1]["html"].as_str().unwrap().contains(&format!("${}", order["total"].as_str().unwrap())));

    let mut seen = Vec::new();
    while let Some(event) = next_event(&mut socket).await {
        seen.push(event["type"].as_str().unwrap().to_owned());
        if seen.last().is_some_and(|kind| kind == "com.bookworm.order.completed") {
            break;
        }
    }
    assert!(seen.contains(&"com.bookworm.checkout.completed".to_owned()), "{seen:?}");
    assert!(seen.contains(&"com.bookworm.order.completed".to_owned()), "{seen:?}");

    // A second order, cancelled: the cancellation email follows the received one.
    ann.put(&pick, json!(1)).await;
    let second: Value = ann.checkout(Some("mail-2")).await.json().await.unwrap();
    let second_id = second["id"].as_str().unwrap();
    let admin = stack.token(&["admin"], &[]);
    let cancelled = stack
        .client
        .patch(stack.url(&format!("/orders/{second_id}/cancel")))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let mails = emails_for(&stack, second_id, 2).await;
    assert_eq!(mails[1]["subject"], "BookWorm: Your Order Has Been Canceled - Important Information");
}

#[tokio::test]
async fn buyers_who_opt_in_get_a_text_message_too() {
    let stack = LocalStack::start().await;
    let request = bookworm_auth::dev_issuer::TokenRequest {
        sub: "olga".into(),
        username: Some("+79516519741".into()),
        email: Some("olga@example.com".into()),
        ttl_seconds: 600,
        ..Default::default()
    };
    let token =
        stack.stack.issuer.token(&stack.stack.auth.issuer, &stack.stack.auth.audience, &request).unwrap();
    let olga = Shopper { stack: &stack, token };
    let set = |token: String, on: bool| {
        let request = stack
            .client
            .put(stack.url("/me/preferences"))
            .bearer_auth(token)
            .json(&json!({"sms_notifications": on}));
        async move { request.send().await.unwrap() }
    };
    let ann = Shopper::new(&stack, "ann");
    let refused = set(ann.token.clone(), true).await;
    assert_eq!(refused.status(), 400, "no phone number, no text messages");
    assert_eq!(refused.json::<Value>().await.unwrap()["errors"][0]["field"], "sms_notifications");
    let accepted = set(olga.token.clone(), true).await;
    assert_eq!(
        accepted.json::<Value>().await.unwrap(),
        json!({"sms_notifications": true, "push_notifications": false})
    );

    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    olga.put(&pick, json!(1)).await;
    let order: Value = olga.checkout(Some("sms-1")).await.json().await.unwrap();
    emails_for(&stack, order["id"].as_str().unwrap(), 1).await;
    for _ in 0..100 {
        let outbox = stack.get_json("/_local/outbox", 200).await;
        if let Some(text) = outbox["sms"].as_array().unwrap().first() {
            assert_eq!(text["to"], "+79516519741");
            assert!(text["text"].as_str().unwrap().contains(order["id"].as_str().unwrap()));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no text message in the outbox");
}

#[tokio::test]
async fn an_unverified_address_gets_no_mail_and_the_order_still_succeeds() {
    let stack = LocalStack::start().await;
    let request = bookworm_auth::dev_issuer::TokenRequest {
        sub: "mallory".into(),
        roles: vec!["customer".into()],
        email: Some("victim@example.com".into()),
        ttl_seconds: 600,
        unverified: true,
        ..Default::default()
    };
    let token =
        stack.stack.issuer.token(&stack.stack.auth.issuer, &stack.stack.auth.audience, &request).unwrap();
    let mallory = Shopper { stack: &stack, token };
    let ann = Shopper::new(&stack, "ann");
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    mallory.put(&pick, json!(1)).await;
    ann.put(&pick, json!(1)).await;
    let unverified = mallory.checkout(Some("m-1")).await;
    assert_eq!(unverified.status(), 201, "the order is placed all the same");
    let unverified: Value = unverified.json().await.unwrap();
    let verified: Value = ann.checkout(Some("a-1")).await.json().await.unwrap();

    // Events are delivered in order: once ann's email is out, mallory's would have been too.
    emails_for(&stack, verified["id"].as_str().unwrap(), 1).await;
    let outbox = stack.get_json("/_local/outbox", 200).await;
    let to_victim: Vec<&Value> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|mail| mail["to"] == "victim@example.com")
        .collect();
    assert!(to_victim.is_empty(), "{to_victim:?}");
    assert!(unverified["id"].is_string());
}

#[tokio::test]
async fn a_shop_lists_its_own_orders_to_its_merchants_and_admins_only() {
    let stack = LocalStack::start().await;
    let ann = Shopper::new(&stack, "ann");
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    let mut placed = Vec::new();
    for key in ["shop-1", "shop-2"] {
        ann.put(&pick, json!(1)).await;
        let order: Value = ann.checkout(Some(key)).await.json().await.unwrap();
        placed.push(order["id"].clone());
    }
    let get = |token: String, query: &'static str| {
        let request = stack.client.get(stack.url(&format!("/shops/{SHOP}/orders{query}"))).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let page: Value = get(merchant.clone(), "?limit=1").await.json().await.unwrap();
    assert_eq!(page["items"][0]["id"], placed[1], "newest first");
    let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
    let rest = stack
        .client
        .get(stack.url(&format!("/shops/{SHOP}/orders?limit=1&cursor={cursor}")))
        .bearer_auth(&merchant)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(rest["items"][0]["id"], placed[0]);
    assert_eq!(get(stack.token(&["admin"], &[]), "?status=new").await.status(), 200);
    let elsewhere = stack.token(&["merchant"], &["9b2f3c1a-4d5e-4f60-8a7b-1c2d3e4f5a6b"]);
    assert_eq!(get(elsewhere, "").await.status(), 403, "another shop's merchant");
    assert_eq!(get(ann.token.clone(), "").await.status(), 403, "a customer, even the buyer");
    assert_eq!(get(merchant, "?status=lost").await.status(), 400);
}

/// The pushes in the local push outbox about `order`, once there are `count` (waits for the bus).
async fn pushes_for(stack: &LocalStack, order: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let pushed = stack.get_json("/_local/push", 200).await;
        let about: Vec<Value> =
            pushed["items"].as_array().unwrap().iter().filter(|p| p["order_id"] == order).cloned().collect();
        if about.len() >= count {
            return about;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} pushes about {order}");
}

#[tokio::test]
async fn a_checkout_pushes_to_the_buyers_devices_only_when_they_asked_for_it() {
    let stack = LocalStack::start().await;
    let ann = Shopper::new(&stack, "ann-push");
    let bob = Shopper::new(&stack, "bob-push");
    let device = json!({"platform": "apns", "token": "ab".repeat(32)});
    let (status, registered) = stack.call(&ann.token, "POST", "/me/devices", Some(device.clone())).await;
    assert_eq!(status, 201, "{registered}");
    let (status, again) = stack.call(&ann.token, "POST", "/me/devices", Some(device)).await;
    assert_eq!((status, &again), (200, &registered), "the same token, the same device");
    let (_, listed) = stack.call(&ann.token, "GET", "/me/devices", None).await;
    assert_eq!(listed, json!([registered.clone()]));
    let id = registered["id"].as_str().unwrap();
    let (status, _) = stack.call(&bob.token, "DELETE", &format!("/me/devices/{id}"), None).await;
    assert_eq!(status, 404, "another buyer's device");

    // Off by default: the order is mailed, nothing is pushed.
    let pick = books(&stack, 1).await[0]["id"].as_str().unwrap().to_owned();
    ann.put(&pick, json!(1)).await;
    let quiet: Value = ann.checkout(Some("push-0")).await.json().await.unwrap();
    emails_for(&stack, quiet["id"].as_str().unwrap(), 1).await;

    let on = json!({"sms_notifications": false, "push_notifications": true});
    let (status, chosen) = stack.call(&ann.token, "PUT", "/me/preferences", Some(on.clone())).await;
    assert_eq!((status, chosen), (200, on));
    ann.put(&pick, json!(1)).await;
    let order: Value = ann.checkout(Some("push-1")).await.json().await.unwrap();
    let order_id = order["id"].as_str().unwrap();
    let pushed = pushes_for(&stack, order_id, 1).await;
    assert_eq!(pushed[0]["device_id"], registered["id"]);
    assert_eq!(pushed[0]["payload"]["aps"]["alert"]["title"], "Order received");
    let sns: Value = serde_json::from_str(pushed[0]["sns_message"].as_str().unwrap()).unwrap();
    assert_eq!(sns["APNS"].as_str().unwrap(), pushed[0]["payload"].to_string());
    let all = stack.get_json("/_local/push", 200).await;
    assert!(all["items"].as_array().unwrap().iter().all(|p| p["order_id"] != quiet["id"]), "none while off");

    let (status, _) = stack.call(&ann.token, "DELETE", &format!("/me/devices/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, listed) = stack.call(&ann.token, "GET", "/me/devices", None).await;
    assert_eq!(listed, json!([]));
}

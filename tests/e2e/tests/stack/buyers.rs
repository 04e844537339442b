//! Buyers' profiles and delivery through the local stack: a profile round trip and every
//! refusal by field; an order's copy of its address outliving edits and deletion of the
//! address (in the order and in its email); another buyer's address refused by name; pickup
//! when there is no address; a replay returning the order as placed.

use std::time::Duration;

use e2e::LocalStack;
use serde_json::{Value, json};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

fn home() -> Value {
    json!({"label": "Home", "recipient": "Ann Reader", "line1": "221B Baker Street", "city": "London",
           "postal_code": "NW1 6XE", "country": "GB"})
}

fn office() -> Value {
    json!({"label": "Office", "recipient": "Ann Reader", "line1": "1 Canada Square", "line2": "Level 3",
           "city": "London", "region": "Greater London", "postal_code": "E14 5AB", "country": "GB"})
}

struct Buyer<'a> {
    stack: &'a LocalStack,
    token: String,
}

impl<'a> Buyer<'a> {
    fn new(stack: &'a LocalStack, name: &str) -> Self {
        Self { stack, token: stack.token_as(name, &["customer"], &[]) }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.stack.call(&self.token, method, path, body).await
    }

    async fn profile(&self) -> Value {
        let (status, profile) = self.call("GET", "/me/profile", None).await;
        assert_eq!(status, 200, "{profile}");
        profile
    }

    async fn save(&self, body: Value) -> Value {
        let (status, profile) = self.call("PUT", "/me/profile", Some(body)).await;
        assert_eq!(status, 200, "{profile}");
        profile
    }

    /// Puts the cheapest in-stock book in the basket.
    async fn fill_basket(&self) {
        let page = self.stack.get_json("/books?sort=price&limit=20", 200).await;
        let book = page["items"].as_array().unwrap().iter().find(|b| b["status"] == "in_stock").unwrap();
        let path = format!("/shops/{SHOP}/basket/items/{}", book["id"].as_str().unwrap());
        let (status, basket) = self.call("PUT", &path, Some(json!({"quantity": 1}))).await;
        assert_eq!(status, 200, "{basket}");
    }

    /// `POST /checkout` with `key` and `body` sent as is (`None`: no body at all).
    async fn checkout(&self, key: &str, body: Option<&str>) -> (u16, Value) {
        let mut request = self
            .stack
            .client
            .post(self.stack.url(&format!("/shops/{SHOP}/checkout")))
            .bearer_auth(&self.token)
            .header("Idempotency-Key", key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("a problem with errors: {problem}"))
        .iter()
        .map(|error| error["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_profile_reads_empty_then_as_saved_keeping_address_ids() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    let empty = ann.profile().await;
    assert_eq!(empty["version"], 0);
    assert_eq!(empty["addresses"], json!([]));
    assert_eq!(empty["default_address_id"], Value::Null);
    assert_eq!(empty["user_id"], "ann");

    let saved = ann
        .save(json!({"display_name": "Ann", "phone": "+447700900123", "addresses": [home(), office()]}))
        .await;
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["display_name"], "Ann");
    assert_eq!(saved["phone"], "+447700900123");
    let ids: Vec<Value> = saved["addresses"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect();
    assert!(ids.iter().all(Value::is_string) && ids[0] != ids[1], "each new address gets an id: {saved}");
    assert_eq!(saved["default_address_id"], ids[0], "the first, when none is named");
    assert_eq!(saved["addresses"][1]["region"], "Greater London");
    assert_eq!(ann.profile().await, saved);

    // Sent back with their ids, in another order, the second named default: ids are kept.
    let (mut first, mut second) = (home(), office());
    first["id"] = ids[0].clone();
    second["id"] = ids[1].clone();
    let body = json!({"addresses": [second, first], "default_address_id": ids[1], "version": 1});
    let again = ann.save(body).await;
    assert_eq!(again["version"], 2);
    assert_eq!(again["addresses"][0]["id"], ids[1]);
    assert_eq!(again["addresses"][1]["id"], ids[0]);
    assert_eq!(again["default_address_id"], ids[1]);
    assert_eq!(
        again["display_name"],
        Value::Null,
        "a field left out is cleared: the PUT is the whole profile"
    );

    let bob = Buyer::new(&stack, "bob");
    assert_eq!(bob.profile().await["addresses"], json!([]), "one buyer's profile is theirs");
}

#[tokio::test]
async fn a_write_from_an_old_version_is_a_conflict_and_racing_ones_have_one_winner() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    ann.save(json!({"addresses": [home()]})).await;
    let (status, problem) = ann.call("PUT", "/me/profile", Some(json!({"version": 0}))).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(ann.profile().await["addresses"].as_array().unwrap().len(), 1, "nothing written");

    let racers = (0..6).map(|n| {
        let mut address = office();
        address["label"] = json!(format!("Tab {n}"));
        ann.call("PUT", "/me/profile", Some(json!({"addresses": [address], "version": 1})))
    });
    let mut statuses: Vec<u16> = futures::future::join_all(racers).await.iter().map(|(s, _)| *s).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409], "one save over version 1");
    assert_eq!(ann.profile().await["version"], 2);

    // Without a version, the last write wins: every one of racing writes lands, one after another.
    let writes =
        (0..4).map(|n| ann.call("PUT", "/me/profile", Some(json!({"display_name": format!("n{n}")}))));
    let statuses: Vec<u16> = futures::future::join_all(writes).await.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [200; 4]);
    assert_eq!(ann.profile().await["version"], 6);
}

#[tokio::test]
async fn every_invalid_profile_field_is_a_named_problem() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    let saved = ann.save(json!({"addresses": [home()]})).await;
    let with = |field: &str, value: Value| {
        let mut address = home();
        match value {
            Value::Null if field != "line2" => {
                address.as_object_mut().unwrap().remove(field);
            }
            value => address[field] = value,
        }
        json!({"addresses": [office(), address]})
    };
    let known = saved["addresses"][0]["id"].clone();
    let cases = [
        (json!({"display_name": "n".repeat(101)}), "display_name"),
        (json!({"display_name": "Ann\u{202E}"}), "display_name"),
        (json!({"phone": "07700 900123"}), "phone"),
        (json!({"phone": "+0123456789"}), "phone"),
        (json!({"phone": 447700900123_u64}), "phone"),
        (json!({"addresses": vec![home(); 11]}), "addresses"),
        (json!({"addresses": home()}), "addresses"),
        (json!({"default_address_id": known}), "default_address_id"),
        (json!({"addresses": [home()], "default_address_id": "not-a-uuid"}), "default_address_id"),
        (json!({"addresses": [{"id": known}, {"id": known}]}), "addresses[0].recipient"),
        (json!({"nickname": "A"}), "nickname"),
        (json!({"version": -1}), "version"),
        (with("recipient", Value::Null), "addresses[1].recipient"),
        (with("recipient", json!("  \u{200B}")), "addresses[1].recipient"),
        (with("label", json!("l".repeat(41))), "addresses[1].label"),
        (with("line1", json!("a\tb")), "addresses[1].line1"),
        (with("line1", json!("x".repeat(101))), "addresses[1].line1"),
        (with("line2", json!(7)), "addresses[1].line2"),
        (with("city", json!("")), "addresses[1].city"),
        (with("region", json!("r".repeat(81))), "addresses[1].region"),
        (with("postal_code", json!("")), "addresses[1].postal_code"),
        (with("postal_code", json!("NW1_6XE")), "addresses[1].postal_code"),
        (with("postal_code", json!("1234567890ABC")), "addresses[1].postal_code"),
        (with("country", json!("UK")), "addresses[1].country"),
        (with("country", json!("gb")), "addresses[1].country"),
        (with("country", json!("GBR")), "addresses[1].country"),
        (with("country", Value::Null), "addresses[1].country"),
        (with("id", json!("42")), "addresses[1].id"),
        (with("colour", json!("red")), "addresses[1].colour"),
    ];
    for (body, field) in cases {
        let (status, problem) = ann.call("PUT", "/me/profile", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(fields(&problem), [field], "{body}");
    }
    let mut twin = home();
    twin["id"] = known.clone();
    let (status, problem) =
        ann.call("PUT", "/me/profile", Some(json!({"addresses": [twin.clone(), twin]}))).await;
    assert_eq!((status, fields(&problem)), (400, vec!["addresses[1].id".to_owned()]), "{problem}");

    // Several problems at once, each named.
    let mut bad = home();
    bad["country"] = json!("XX");
    bad["postal_code"] = json!("-1");
    let (status, problem) =
        ann.call("PUT", "/me/profile", Some(json!({"phone": "1", "addresses": [home(), bad]}))).await;
    assert_eq!(status, 400);
    assert_eq!(fields(&problem), ["phone", "addresses[1].postal_code", "addresses[1].country"]);

    let huge = json!({"display_name": "x".repeat(70_000)});
    let (status, _) = ann.call("PUT", "/me/profile", Some(huge)).await;
    assert_eq!(status, 413, "a hostile size is refused before it is read");
    assert_eq!(ann.profile().await, saved, "no refused write changed anything");
}

/// The order's email, once the local bus has delivered its event.
async fn order_email(stack: &LocalStack, order_id: &str) -> String {
    for _ in 0..100 {
        let outbox = stack.stack.stores.outbox.list().unwrap();
        if let Some(sent) = outbox.iter().find(|sent| sent.email.text.contains(order_id)) {
            return sent.email.text.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no email for order {order_id}");
}

#[tokio::test]
async fn an_order_keeps_its_address_when_the_address_is_edited_or_deleted() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    let saved = ann.save(json!({"addresses": [home(), office()]})).await;
    let office_id = saved["addresses"][1]["id"].clone();
    ann.fill_basket().await;
    let body = json!({"fulfilment": "delivery", "address_id": office_id}).to_string();
    let (status, order) = ann.checkout("office-order", Some(&body)).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["fulfilment"], "delivery");
    assert_eq!(order["shipping_address"], saved["addresses"][1], "a copy of the address as it was");
    let path = format!("/orders/{}", order["id"].as_str().unwrap());

    let mut edited = office();
    edited["id"] = office_id.clone();
    edited["line1"] = json!("25 Cabot Square");
    ann.save(json!({"addresses": [home(), edited]})).await;
    assert_eq!(ann.call("GET", &path, None).await, (200, order.clone()), "an edit leaves the order");

    ann.save(json!({"addresses": [home()]})).await;
    assert_eq!(ann.call("GET", &path, None).await, (200, order.clone()), "a deletion leaves it too");
    let (_, listed) = ann.call("GET", "/orders", None).await;
    assert_eq!(listed["items"][0], order);
    let email = order_email(&stack, order["id"].as_str().unwrap()).await;
    assert!(email.contains("Delivery to:") && email.contains("1 Canada Square"), "{email}");
    assert!(email.contains("London, Greater London E14 5AB"), "{email}");

    // Its replay is the order as placed, though the address is gone.
    assert_eq!(ann.checkout("office-order", Some(&body)).await, (200, order));
}

#[tokio::test]
async fn another_buyers_address_or_an_unknown_one_is_refused_naming_address_id() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    let anns = ann.save(json!({"addresses": [home()]})).await["addresses"][0]["id"].clone();
    let bob = Buyer::new(&stack, "bob");
    bob.fill_basket().await;
    let refusals = [
        json!({"fulfilment": "delivery", "address_id": anns}),
        json!({"address_id": anns}),
        json!({"fulfilment": "delivery", "address_id": uuid::Uuid::new_v4()}),
        json!({"fulfilment": "delivery"}),
        json!({"fulfilment": "delivery", "address_id": "221B"}),
    ];
    for (n, body) in refusals.into_iter().enumerate() {
        let (status, problem) = bob.checkout(&format!("bob-{n}"), Some(&body.to_string())).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(fields(&problem), ["address_id"], "{body}");
    }
    let bobs = bob.save(json!({"addresses": [office()]})).await["addresses"][0]["id"].clone();
    let pickup_with_address = json!({"fulfilment": "pickup", "address_id": bobs}).to_string();
    let (status, problem) = bob.checkout("bob-pickup", Some(&pickup_with_address)).await;
    assert_eq!((status, fields(&problem)), (400, vec!["address_id".to_owned()]));
    for (body, field) in [(r#"{"fulfilment": "drone"}"#, "fulfilment"), (r#"{"gift": true}"#, "gift")] {
        let (status, problem) = bob.checkout("bob-odd", Some(body)).await;
        assert_eq!((status, fields(&problem)), (400, vec![field.to_owned()]), "{body}");
    }
    let (status, order) = bob.checkout("bob-ok", None).await;
    assert_eq!(status, 201, "the refusals left the basket as it was: {order}");
    assert_eq!(order["shipping_address"]["id"], bobs, "no body: the default address");
}

#[tokio::test]
async fn pickup_is_the_default_without_an_address_and_a_replay_is_the_order_as_placed() {
    let stack = LocalStack::start().await;
    let ann = Buyer::new(&stack, "ann");
    ann.fill_basket().await;
    let (status, order) = ann.checkout("first", None).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["fulfilment"], "pickup");
    assert_eq!(order["shipping_address"], Value::Null);
    let email = order_email(&stack, order["id"].as_str().unwrap()).await;
    assert!(email.contains(&format!("Pickup at the shop: {SHOP}")), "{email}");

    // An address added since changes no replay, with or without a body.
    ann.save(json!({"addresses": [home()]})).await;
    assert_eq!(ann.checkout("first", None).await, (200, order.clone()));
    assert_eq!(ann.checkout("first", Some(r#"{"fulfilment": "delivery"}"#)).await, (200, order));

    // An empty body is no body (clients from before fulfilment); `{}` is no choice either.
    for (key, body) in [("empty", ""), ("blank", " \n"), ("object", "{}")] {
        ann.fill_basket().await;
        let (status, order) = ann.checkout(key, Some(body)).await;
        assert_eq!(status, 201, "{body:?}: {order}");
        assert_eq!(order["fulfilment"], "delivery", "{body:?}: now the default address");
    }
    ann.fill_basket().await;
    let (status, order) = ann.checkout("collect", Some(r#"{"fulfilment": "pickup"}"#)).await;
    assert_eq!((status, &order["fulfilment"]), (201, &json!("pickup")), "{order}");
}

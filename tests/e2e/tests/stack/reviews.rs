//! Reviews through the local stack over HTTP: one per account, exact ratings on the book,
//! helpful votes and reports once per account, hiding and moderation, the daily cap, deleted
//! books, the catalog feed, and 20 concurrent reviews counted exactly.

use e2e::LocalStack;
use reqwest::Method;
use serde_json::{Value, json};

const CATALOG_FEED: &str = "00000000-0000-0000-0000-000000000000";

struct Reader<'a> {
    stack: &'a LocalStack,
    token: String,
}

impl<'a> Reader<'a> {
    fn new(stack: &'a LocalStack, sub: &str, roles: &[&str]) -> Self {
        let request = bookworm_auth::dev_issuer::TokenRequest {
            sub: sub.into(),
            roles: roles.iter().map(|role| (*role).to_owned()).collect(),
            name: Some(format!("{sub} (from the token)")),
            ttl_seconds: 600,
            ..Default::default()
        };
        let token =
            stack.stack.issuer.token(&stack.stack.auth.issuer, &stack.stack.auth.audience, &request).unwrap();
        Self { stack, token }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.stack.client.request(method, self.stack.url(path)).bearer_auth(&self.token);
        if path.ends_with("/checkout") {
            request = request.header("Idempotency-Key", "review-e2e");
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn expect(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let response = self.send(method.clone(), path, body).await;
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        if status == 204 { Value::Null } else { response.json().await.unwrap() }
    }
}

async fn books(stack: &LocalStack, count: usize) -> Vec<String> {
    let page = stack.get_json(&format!("/books?limit={count}"), 200).await;
    page["items"].as_array().unwrap().iter().map(|book| book["id"].as_str().unwrap().to_owned()).collect()
}

async fn rating(stack: &LocalStack, book: &str) -> (Value, u64, Value) {
    let book = stack.get_json(&format!("/books/{book}"), 200).await;
    (
        book["average_rating"].clone(),
        book["review_count"].as_u64().unwrap(),
        book["rating_distribution"].clone(),
    )
}

#[tokio::test]
async fn a_review_from_post_to_moderation() {
    let stack = LocalStack::start().await;
    let book = books(&stack, 1).await.remove(0);
    let reviews = format!("/books/{book}/reviews");
    let (ann, bob) = (Reader::new(&stack, "ann", &["customer"]), Reader::new(&stack, "bob", &["customer"]));

    assert_eq!(
        rating(&stack, &book).await,
        (Value::Null, 0, json!({"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}))
    );
    // Signed out: 401. The name comes from the token; a body naming one is refused by name.
    let anonymous = stack.client.post(stack.url(&reviews)).json(&json!({"rating": 5})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged =
        ann.expect(Method::POST, &reviews, Some(json!({"rating": 5, "reviewer_name": "Admin"})), 400).await;
    assert_eq!(forged["errors"][0]["field"], "reviewer_name", "{forged}");
    let bad =
        ann.expect(Method::POST, &reviews, Some(json!({"rating": 0, "title": "t".repeat(121)})), 400).await;
    let fields: Vec<&str> =
        bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rating", "title"]);

    let text = "<script>alert('x')</script> & more";
    let response =
        ann.send(Method::POST, &reviews, Some(json!({"rating": 4, "title": "Good", "comment": text}))).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], format!("/books/{book}/reviews/mine"));
    assert_eq!(response.headers()["content-type"], "application/json");
    let review: Value = response.json().await.unwrap();
    assert_eq!(review["reviewer_name"], "ann (from the token)");
    assert_eq!(review["comment"], text, "stored as given; escaping is the renderer's job");
    assert_eq!(review["verified_purchase"], false);
    assert!(review.get("reviewer_id").is_none(), "the account id is not shown");
    let id = review["id"].as_str().unwrap().to_owned();
    assert_eq!(rating(&stack, &book).await, (json!(4.0), 1, json!({"1": 0, "2": 0, "3": 0, "4": 1, "5": 0})));

    // One per account per book: the second is 409; editing moves the counts.
    let again = ann.expect(Method::POST, &reviews, Some(json!({"rating": 1})), 409).await;
    assert!(again["detail"].as_str().unwrap().contains("PUT"), "{again}");
    let mine = format!("{reviews}/mine");
    let edited =
        ann.expect(Method::PUT, &mine, Some(json!({"rating": 2, "comment": "On reflection."})), 200).await;
    assert_eq!((edited["id"].as_str(), edited["rating"].as_u64()), (Some(id.as_str()), Some(2)));
    bob.expect(Method::POST, &reviews, Some(json!({"rating": 5})), 201).await;
    assert_eq!(rating(&stack, &book).await, (json!(3.5), 2, json!({"1": 0, "2": 1, "3": 0, "4": 0, "5": 1})));
    let listed = stack.get_json(&format!("{reviews}?sort=lowest"), 200).await;
    let stars: Vec<u64> =
        listed["items"].as_array().unwrap().iter().map(|r| r["rating"].as_u64().unwrap()).collect();
    assert_eq!(stars, [2, 5]);
    let fives = stack.get_json(&format!("{reviews}?rating=5"), 200).await;
    assert_eq!(fives["items"].as_array().unwrap().len(), 1);
    assert_eq!(stack.get(&format!("{reviews}?rating=6")).await.status(), 400);
    assert_eq!(stack.get(&format!("{reviews}?cursor=Zm9v")).await.status(), 400);

    // Helpful: once per account, never one's own.
    let helpful = format!("/reviews/{id}/helpful");
    assert_eq!(bob.expect(Method::POST, &helpful, None, 200).await["helpful"], 1);
    bob.expect(Method::POST, &helpful, None, 409).await;
    ann.expect(Method::POST, &helpful, None, 403).await;
    let top = stack.get_json(&format!("{reviews}?sort=helpful"), 200).await;
    assert_eq!(top["items"][0]["id"], id.as_str());

    // Three distinct reports hide it: out of lists and the rating, into the moderators' queue.
    let reports = format!("/reviews/{id}/reports");
    ann.expect(Method::POST, &reports, Some(json!({"reason": "spam"})), 403).await;
    let bad_reason = bob.expect(Method::POST, &reports, Some(json!({"reason": "boring"})), 400).await;
    assert_eq!(bad_reason["errors"][0]["field"], "reason", "{bad_reason}");
    for reporter in ["r1", "r2", "r3"] {
        let reader = Reader::new(&stack, reporter, &["customer"]);
        reader.expect(Method::POST, &reports, Some(json!({"reason": "abuse"})), 204).await;
        if reporter == "r1" {
            reader.expect(Method::POST, &reports, Some(json!({"reason": "abuse"})), 409).await;
        }
    }
    assert_eq!(rating(&stack, &book).await.1, 1, "hidden: out of the count");
    let listed = stack.get_json(&reviews, 200).await;
    assert!(listed["items"].as_array().unwrap().iter().all(|r| r["id"] != id.as_str()));
    bob.expect(Method::POST, &helpful, None, 404).await;
    assert_eq!(ann.expect(Method::GET, &mine, None, 200).await["status"], "hidden", "its author sees why");
    bob.expect(Method::GET, "/reviews?status=reported", None, 403).await;
    let support = Reader::new(&stack, "sue", &["customer", "support"]);
    let queue = support.expect(Method::GET, "/reviews?status=hidden", None, 200).await;
    assert_eq!(queue["items"][0]["id"], id.as_str());
    assert_eq!(queue["items"][0]["report_reasons"]["abuse"], 3);

    // Restored: counted again; removed: gone, and out of the rating.
    let restored = support.expect(Method::POST, &format!("/reviews/{id}/restore"), None, 200).await;
    assert_eq!((restored["status"].as_str(), restored["reports"].as_u64()), (Some("visible"), Some(0)));
    assert_eq!(rating(&stack, &book).await.1, 2);
    support.expect(Method::DELETE, &format!("/reviews/{id}"), None, 204).await;
    assert_eq!(rating(&stack, &book).await, (json!(5.0), 1, json!({"1": 0, "2": 0, "3": 0, "4": 0, "5": 1})));
    ann.expect(Method::GET, &mine, None, 404).await;
    let barred = ann.expect(Method::POST, &reviews, Some(json!({"rating": 5})), 409).await;
    assert!(barred["detail"].as_str().unwrap().contains("moderation"), "{barred}");
    bob.expect(Method::DELETE, &mine, None, 204).await;
    assert_eq!(rating(&stack, &book).await.1, 0);

    // Every change went to the outbox: the catalog feed, which admins read like a shop's.
    let admin = Reader::new(&stack, "ada", &["customer", "admin"]);
    let feed = admin.expect(Method::GET, &format!("/shops/{CATALOG_FEED}/events?limit=100"), None, 200).await;
    let kinds: Vec<&str> =
        feed["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in ["com.bookworm.review.created", "com.bookworm.review.updated", "com.bookworm.review.removed"]
    {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let merchant = Reader::new(&stack, "mo", &["customer", "merchant"]);
    merchant.expect(Method::GET, &format!("/shops/{CATALOG_FEED}/events"), None, 403).await;
    // No shop event may be written into it: it is no shop.
    let basket = format!("/shops/{CATALOG_FEED}/basket/items/{book}");
    let refused = ann.expect(Method::PUT, &basket, Some(json!({"quantity": 1})), 400).await;
    assert_eq!(refused["errors"][0]["field"], "shop_id", "{refused}");
    admin.expect(Method::POST, &format!("/shops/{CATALOG_FEED}/checkout"), None, 400).await;
    let action = json!({"action": "add", "shop_id": CATALOG_FEED});
    admin.expect(Method::POST, &format!("/publish/{CATALOG_FEED}"), Some(action), 400).await;
}

#[tokio::test]
async fn the_daily_cap_deleted_books_and_verified_purchases() {
    let stack = LocalStack::start().await;
    let shelf = books(&stack, 12).await;
    let eve = Reader::new(&stack, "eve", &["customer"]);
    for book in &shelf[..10] {
        eve.expect(Method::POST, &format!("/books/{book}/reviews"), Some(json!({"rating": 3})), 201).await;
    }
    let capped =
        eve.send(Method::POST, &format!("/books/{}/reviews", shelf[10]), Some(json!({"rating": 3}))).await;
    assert_eq!(capped.status(), 429);
    let retry_after: u64 = capped.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let to_midnight = 86_400 - now % 86_400;
    assert!(retry_after.abs_diff(to_midnight) <= 2, "{retry_after} s, midnight UTC is in {to_midnight} s");
    assert_eq!(capped.headers()["content-type"], "application/problem+json");
    assert_eq!(rating(&stack, &shelf[10]).await.1, 0, "nothing written");

    // A deleted book takes no reviews, and lists none.
    let admin = Reader::new(&stack, "ada", &["customer", "admin"]);
    admin.expect(Method::DELETE, &format!("/books/{}", shelf[11]), None, 204).await;
    let fay = Reader::new(&stack, "fay", &["customer"]);
    fay.expect(Method::POST, &format!("/books/{}/reviews", shelf[11]), Some(json!({"rating": 1})), 404).await;
    assert_eq!(stack.get(&format!("/books/{}/reviews", shelf[11])).await.status(), 404);

    // Bought, and the order completed: the review says so.
    let shop = "123e4567-e89b-42d3-a456-426614174000";
    let book = stack.get_json("/books?limit=40", 200).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|book| book["status"] == "in_stock")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fay.expect(Method::PUT, &format!("/shops/{shop}/basket/items/{book}"), Some(json!({"quantity": 1})), 200)
        .await;
    let order = fay.expect(Method::POST, &format!("/shops/{shop}/checkout"), None, 201).await;
    let reviews = format!("/books/{book}/reviews");
    let early = fay.expect(Method::POST, &reviews, Some(json!({"rating": 5})), 201).await;
    assert_eq!(early["verified_purchase"], false, "not until the order is completed");
    admin
        .expect(Method::PATCH, &format!("/orders/{}/complete", order["id"].as_str().unwrap()), None, 200)
        .await;
    let edited = fay.expect(Method::PUT, &format!("{reviews}/mine"), Some(json!({"rating": 5})), 200).await;
    assert_eq!(edited["verified_purchase"], true);
}

#[tokio::test]
async fn twenty_concurrent_reviews_leave_count_and_sum_exact() {
    let stack = LocalStack::start().await;
    let book = books(&stack, 1).await.remove(0);
    let readers: Vec<Reader> =
        (0..20).map(|i| Reader::new(&stack, &format!("crowd-{i}"), &["customer"])).collect();
    let path = format!("/books/{book}/reviews");
    let posts = readers
        .iter()
        .enumerate()
        .map(|(i, reader)| reader.send(Method::POST, &path, Some(json!({"rating": 1 + i % 5}))));
    let statuses: Vec<u16> =
        futures::future::join_all(posts).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    let (average, count, distribution) = rating(&stack, &book).await;
    assert_eq!(count, 20);
    assert_eq!(distribution, json!({"1": 4, "2": 4, "3": 4, "4": 4, "5": 4}));
    assert_eq!(average, json!(3.0), "sum 60 over 20");
}

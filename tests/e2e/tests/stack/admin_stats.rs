//! The back office's figures over HTTP: a checkout moves the day's orders and revenue within
//! seconds, a cancellation takes its revenue back out, a completion counts; the buyer is found
//! in the customer directory by name and email prefix; only admins may read any of it.

use std::time::{Duration, Instant};

use e2e::LocalStack;
use serde_json::{Value, json};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

fn today() -> String {
    bookworm_domain::clock::now_rfc3339()[..10].to_owned()
}

/// A customer token with this name and email.
fn buyer(stack: &LocalStack, sub: &str, name: &str, email: &str) -> String {
    let request = bookworm_auth::dev_issuer::TokenRequest {
        sub: sub.into(),
        roles: vec!["customer".into()],
        email: Some(email.into()),
        name: Some(name.into()),
        ttl_seconds: 600,
        ..Default::default()
    };
    stack.stack.issuer.token(&stack.stack.auth.issuer, &stack.stack.auth.audience, &request).unwrap()
}

/// Today's figures and the total of a range ending today.
async fn figures(stack: &LocalStack, admin: &str) -> Value {
    let today = today();
    let (status, body) =
        stack.call(admin, "GET", &format!("/admin/stats?from={today}&to={today}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits (a few seconds at most) until `check` holds on today's figures; they are kept by a
/// consumer of the event stream, not by the request that placed the order.
async fn until(stack: &LocalStack, admin: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let body = figures(stack, admin).await;
        if check(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{what} within 5 s: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Puts the cheapest in-stock book in `token`'s basket and checks out: the order.
async fn checkout(stack: &LocalStack, token: &str, key: &str) -> Value {
    let page = stack.get_json("/books?sort=price&limit=20", 200).await;
    let book = page["items"].as_array().unwrap().iter().find(|b| b["status"] == "in_stock").unwrap().clone();
    let (status, _) = stack
        .call(
            token,
            "PUT",
            &format!("/shops/{SHOP}/basket/items/{}", book["id"].as_str().unwrap()),
            Some(json!({"quantity": 2})),
        )
        .await;
    assert_eq!(status, 200);
    stack.checkout(token, SHOP, key).await
}

fn cents(amount: &Value) -> i64 {
    let (whole, fraction) = amount.as_str().unwrap().split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 100 + fraction.parse::<i64>().unwrap()
}

#[tokio::test]
async fn checkout_cancellation_and_completion_move_the_figures() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let before = figures(&stack, &admin).await;
    assert_eq!(before["total"]["orders_placed"], 0);
    assert_eq!(before["currency"], "USD");
    let catalog = &before["catalog"];
    assert!(catalog["books_in_stock"].as_i64().unwrap() > 0, "the seeded catalog is counted: {catalog}");
    assert!(catalog["by_category"][0]["name"].is_string(), "categories are named: {catalog}");

    let zoe = buyer(&stack, "zoe-1", "Zoë Quartermaine", "Zoe.Q@Example.org");
    let kept = checkout(&stack, &zoe, "kept").await;
    let gone = checkout(&stack, &zoe, "gone").await;
    let (kept_cents, gone_cents) = (cents(&kept["total"]), cents(&gone["total"]));
    let placed = until(&stack, &admin, "two orders placed", |f| f["total"]["orders_placed"] == 2).await;
    assert_eq!(placed["total"]["revenue"], kept_cents + gone_cents);
    assert_eq!(placed["total"]["new_customers"], 1, "one buyer, new today");
    assert_eq!(placed["days"][0]["day"], today());

    let (status, _) =
        stack.call(&admin, "PATCH", &format!("/orders/{}/cancel", gone["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 200);
    let cancelled = until(&stack, &admin, "the cancellation", |f| f["total"]["orders_cancelled"] == 1).await;
    assert_eq!(cancelled["total"]["revenue"], kept_cents, "the cancelled order's revenue is taken back out");
    assert_eq!(cancelled["total"]["orders_placed"], 2);

    let (status, _) = stack
        .call(&admin, "PATCH", &format!("/orders/{}/complete", kept["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(status, 200);
    let completed = until(&stack, &admin, "the completion", |f| f["total"]["orders_completed"] == 1).await;
    assert_eq!(completed["total"]["revenue"], kept_cents);

    // The directory: by name or email prefix, whatever the case; the entry's aggregates.
    for query in ["q=zo%C3%AB%20quart", "q=ZOE.q%40example&by=email"] {
        let (status, page) = stack.call(&admin, "GET", &format!("/customers?{query}"), None).await;
        assert_eq!(status, 200, "{query}: {page}");
        let ids: Vec<&str> =
            page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["zoe-1"], "{query}");
    }
    let (status, entry) = stack.call(&admin, "GET", "/customers/zoe-1", None).await;
    assert_eq!(status, 200);
    assert_eq!(entry["name"], "Zoë Quartermaine");
    assert_eq!(entry["email"], "Zoe.Q@Example.org");
    assert_eq!((entry["order_count"].as_u64(), entry["cancelled_count"].as_u64()), (Some(2), Some(1)));
    assert_eq!(entry["total_spent"], kept_cents);
    assert_eq!(entry["last_order_id"], gone["id"]);
    assert_eq!(entry["profile"]["version"], 0, "a profile never saved reads as empty: {entry}");
    assert_eq!(entry["profile"]["addresses"], json!([]));

    // The buyer's profile as it is now, beside the entry: an address saved after the orders shows.
    let profile = json!({"phone": "+447700900123", "addresses": [{"label": "Home", "recipient": "Zoë Q",
        "line1": "1 Canada Square", "city": "London", "postal_code": "E14 5AB", "country": "GB"}]});
    let (status, saved) = stack.call(&zoe, "PUT", "/me/profile", Some(profile)).await;
    assert_eq!(status, 200, "{saved}");
    let (status, entry) = stack.call(&admin, "GET", "/customers/zoe-1", None).await;
    assert_eq!(status, 200);
    assert_eq!(entry["profile"], saved, "the profile as the buyer saved it");
    assert_eq!(entry["profile"]["addresses"][0]["city"], "London");
    assert_eq!(entry["order_count"], 2, "the entry's figures stay beside it");
}

#[tokio::test]
async fn only_admins_read_the_figures_and_the_directory() {
    let stack = LocalStack::start().await;
    for roles in [["customer"], ["merchant"], ["support"]] {
        let token = stack.token(&roles, &[SHOP]);
        for path in ["/admin/stats", "/customers?q=a", "/customers/zoe-1"] {
            let (status, body) = stack.call(&token, "GET", path, None).await;
            assert_eq!(status, 403, "{roles:?} {path}: {body}");
        }
    }
    for path in ["/admin/stats", "/customers", "/customers/anyone"] {
        assert_eq!(stack.get(path).await.status(), 401, "{path} without a token");
    }
    let admin = stack.token(&["admin"], &[]);
    let (status, body) = stack.call(&admin, "GET", "/customers/nobody-ordered", None).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn bad_ranges_and_searches_are_named_problems() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let cases = [
        ("/admin/stats?from=2026-02-30", "from"),
        ("/admin/stats?from=yesterday&to=2026-13-01", "to"),
        ("/admin/stats?from=2026-12-07&to=2026-12-06", "to"),
        ("/admin/stats?from=2025-01-01&to=2026-01-02", "to"),
        ("/admin/stats?day=2026-01-01", "day"),
        ("/customers?by=phone", "by"),
        ("/customers?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/customers?limit=0", "limit"),
    ];
    for (path, field) in cases {
        let response = stack.client.get(stack.url(path)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
        let problem: Value = response.json().await.unwrap();
        let fields: Vec<&str> =
            problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{path}: {problem}");
    }
    let long = "a".repeat(101);
    let (status, _) = stack.call(&admin, "GET", &format!("/customers?q={long}"), None).await;
    assert_eq!(status, 400);
    let (status, body) = stack.call(&admin, "GET", "/admin/stats?from=2025-01-01&to=2025-12-31", None).await;
    assert_eq!(status, 200, "365 days: {body}");
    assert_eq!(body["days"].as_array().unwrap().len(), 365);
    let (status, body) = stack.call(&admin, "GET", "/admin/stats", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["days"].as_array().unwrap().len(), 30, "by default, the 30 days to today");
    assert_eq!(body["to"], today());
}

#[tokio::test]
async fn a_range_given_by_one_end_is_thirty_days_long() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    for (query, from, to) in
        [("from=2000-01-01", "2000-01-01", "2000-01-30"), ("to=2000-03-01", "2000-02-01", "2000-03-01")]
    {
        let (status, body) = stack.call(&admin, "GET", &format!("/admin/stats?{query}"), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!((body["from"].as_str(), body["to"].as_str()), (Some(from), Some(to)), "{query}");
        assert_eq!(body["days"].as_array().unwrap().len(), 30);
    }
}

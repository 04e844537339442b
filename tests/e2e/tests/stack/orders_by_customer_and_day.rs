//! Admins list one customer's orders (`GET /orders?customer_id=`), and everyone lists orders by
//! the days they were placed (`from`/`to`, both included): paged with cursors that stay in their
//! range, every bad date a 400 naming its field, and `customer_id` refused to anyone else.

use e2e::LocalStack;
use serde_json::{Value, json};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

fn day(offset: i64) -> String {
    let today = bookworm_domain::figures::Day::of_time(&bookworm_domain::clock::now_rfc3339()).unwrap();
    today.plus_days(offset).unwrap().key()
}

/// Puts a book in `token`'s basket and checks out: the order's id.
async fn checkout(stack: &LocalStack, token: &str, key: &str) -> Value {
    let page = stack.get_json("/books?limit=20", 200).await;
    let book = page["items"].as_array().unwrap().iter().find(|b| b["status"] == "in_stock").unwrap().clone();
    let path = format!("/shops/{SHOP}/basket/items/{}", book["id"].as_str().unwrap());
    let (status, _) = stack.call(token, "PUT", &path, Some(json!({"quantity": 1}))).await;
    assert_eq!(status, 200);
    stack.checkout(token, SHOP, key).await["id"].clone()
}

/// Every page of `path` (a query with `limit`), following the cursors: the ids in order.
async fn all_pages(stack: &LocalStack, token: &str, path: &str) -> Vec<Value> {
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let url = match &cursor {
            Some(cursor) => format!("{path}&cursor={cursor}"),
            None => path.to_owned(),
        };
        let (status, page) = stack.call(token, "GET", &url, None).await;
        assert_eq!(status, 200, "{url}: {page}");
        ids.extend(page["items"].as_array().unwrap().iter().map(|order| order["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn an_admin_lists_one_customers_orders_by_day_page_by_page() {
    let stack = LocalStack::start().await;
    let (ann, bob) =
        (stack.token_as("ann-1", &["customer"], &[]), stack.token_as("bob-2", &["customer"], &[]));
    let first = checkout(&stack, &ann, "a1").await;
    let other = checkout(&stack, &bob, "b1").await;
    let second = checkout(&stack, &ann, "a2").await;
    let admin = stack.token(&["admin"], &[]);
    let (today, yesterday, tomorrow) = (day(0), day(-1), day(1));

    let anns = all_pages(&stack, &admin, "/orders?customer_id=ann-1&limit=1").await;
    assert_eq!(anns, [second.clone(), first.clone()], "ann's orders, newest first, a page at a time");
    let today_anns =
        all_pages(&stack, &admin, &format!("/orders?customer_id=ann-1&from={today}&to={today}&limit=1"))
            .await;
    assert_eq!(today_anns, [second.clone(), first.clone()]);
    let everyone = all_pages(&stack, &admin, &format!("/orders?from={yesterday}&to={today}&limit=2")).await;
    assert_eq!(everyone, [second.clone(), other.clone(), first.clone()], "everyone's, both ends included");
    for query in [format!("from={tomorrow}"), format!("from={tomorrow}&to={tomorrow}")] {
        let (_, page) = stack.call(&admin, "GET", &format!("/orders?{query}&limit=5"), None).await;
        assert!(page["items"].as_array().unwrap().is_empty(), "{query}: {page}");
    }
    // Up to yesterday: none of today's, only the sample order the stack is seeded with (2024).
    let before = all_pages(&stack, &admin, &format!("/orders?to={yesterday}&limit=1")).await;
    assert_eq!(before, [json!("7c9e6679-7425-40de-944b-e07fc1f90ae7")], "to={yesterday}");
    assert_eq!(all_pages(&stack, &admin, &format!("/orders?from={today}&limit=5")).await.len(), 3);
    assert_eq!(all_pages(&stack, &admin, &format!("/orders?to={today}&status=new&limit=5")).await.len(), 4);
    let that_day = all_pages(&stack, &admin, "/orders?from=2024-12-24&to=2024-12-24&limit=5").await;
    assert_eq!(that_day, before, "the sample order's own day");
    let nobody = all_pages(&stack, &admin, "/orders?customer_id=nobody-ordered&limit=5").await;
    assert!(nobody.is_empty(), "a customer without orders has an empty list, not a 404");

    // A buyer's own list and a shop's list take the same days.
    assert_eq!(
        all_pages(&stack, &bob, &format!("/orders?from={today}&to={today}&limit=5")).await,
        std::slice::from_ref(&other)
    );
    let merchant = stack.token(&["merchant"], &[SHOP]);
    let shop =
        all_pages(&stack, &merchant, &format!("/shops/{SHOP}/orders?from={today}&to={today}&limit=1")).await;
    assert_eq!(shop, [second, other, first]);
    let older = all_pages(&stack, &merchant, &format!("/shops/{SHOP}/orders?to={yesterday}&limit=1")).await;
    assert_eq!(older, before, "the shop's orders up to yesterday: the sample only");
}

#[tokio::test]
async fn bad_days_cursors_and_callers_are_refused() {
    let stack = LocalStack::start().await;
    let ann = stack.token_as("ann-1", &["customer"], &[]);
    checkout(&stack, &ann, "a1").await;
    checkout(&stack, &ann, "a2").await;
    let admin = stack.token(&["admin"], &[]);

    let fields = |problem: &Value| -> Vec<String> {
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("from=2026-02-30", vec!["from"]),
        ("to=2026-1-01", vec!["to"]),
        ("from=yesterday&to=", vec!["from", "to"]),
        ("from=2026-12-31&to=2026-01-01", vec!["to"]),
        ("from=2026-12-07T00:00:00Z", vec!["from"]),
        ("from=%2B2026-12-07", vec!["from"]),
        ("status=gone&from=2026-13-01&limit=0", vec!["status", "from", "limit"]),
        ("customer_id=", vec!["customer_id"]),
        ("since=2026-12-01", vec!["since"]),
    ] {
        let (status, problem) = stack.call(&admin, "GET", &format!("/orders?{query}"), None).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(fields(&problem), expected, "{query}: {problem}");
    }
    let long = "x".repeat(256);
    let (status, problem) = stack.call(&admin, "GET", &format!("/orders?customer_id={long}"), None).await;
    assert_eq!((status, fields(&problem)), (400, vec!["customer_id".to_owned()]));
    let (status, problem) =
        stack.call(&admin, "GET", &format!("/shops/{SHOP}/orders?from=2026-02-29"), None).await;
    assert_eq!((status, fields(&problem)), (400, vec!["from".to_owned()]), "not a leap year");

    // A cursor handed out for today, sent with a range it is not in: refused, never a 5xx.
    let today = day(0);
    let (_, page) = stack.call(&admin, "GET", &format!("/orders?from={today}&limit=1"), None).await;
    let cursor = page["next_cursor"].as_str().expect("a second page").to_owned();
    for range in [format!("from={}", day(1)), format!("to={}", day(-1))] {
        let (status, problem) =
            stack.call(&admin, "GET", &format!("/orders?{range}&limit=1&cursor={cursor}"), None).await;
        assert_eq!((status, fields(&problem)), (400, vec!["cursor".to_owned()]), "{range}: {problem}");
    }
    let (status, _) =
        stack.call(&admin, "GET", &format!("/orders?to={today}&limit=1&cursor={cursor}"), None).await;
    assert_eq!(status, 200, "the same cursor within a range that holds it");

    // `customer_id` is for admins: anyone else is refused, even naming themselves.
    for (token, who) in [
        (ann.clone(), "the customer herself"),
        (stack.token(&["merchant"], &[SHOP]), "a merchant"),
        (stack.token(&["support"], &[]), "a support agent"),
    ] {
        let (status, body) = stack.call(&token, "GET", "/orders?customer_id=ann-1", None).await;
        assert_eq!(status, 403, "{who}: {body}");
    }
    let anonymous = stack.client.get(stack.url("/orders?customer_id=ann-1")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, _) =
        stack.call(&admin, "GET", &format!("/shops/{SHOP}/orders?customer_id=ann-1"), None).await;
    assert_eq!(status, 400, "a shop's list takes no customer_id");
}

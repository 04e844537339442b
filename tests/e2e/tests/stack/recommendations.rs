//! Also-bought and recommendations over HTTP (the e2e stack runs without the model, so only
//! co-purchases fill the shelves): placed orders counted once by the stream consumer, a deleted
//! book never shown, `limit` held to 1–20, a buyer never shown a book they bought (however many
//! they bought), only their own history used, a buyer without history shown the most ordered.

use std::time::{Duration, Instant};

use e2e::LocalStack;
use serde_json::{Value, json};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";

/// The first `n` in-stock books of the catalog, by price.
async fn books(stack: &LocalStack, n: usize) -> Vec<String> {
    let page = stack.get_json("/books?sort=price&limit=50", 200).await;
    let ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "in_stock")
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .take(n)
        .collect();
    assert_eq!(ids.len(), n);
    ids
}

/// `token` orders one of each of `books`: the order.
async fn order(stack: &LocalStack, token: &str, books: &[&str], key: &str) -> Value {
    for book in books {
        let path = format!("/shops/{SHOP}/basket/items/{book}");
        let (status, body) = stack.call(token, "PUT", &path, Some(json!({"quantity": 1}))).await;
        assert_eq!(status, 200, "{body}");
    }
    stack.checkout(token, SHOP, key).await
}

/// `GET path` (with `token`, if any) until `check` holds (a few seconds at most: the counts
/// are kept by a consumer of the event stream).
async fn until(stack: &LocalStack, token: Option<&str>, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = match token {
            Some(token) => stack.call(token, "GET", path, None).await,
            None => {
                let response = stack.get(path).await;
                (response.status().as_u16(), response.json().await.unwrap())
            }
        };
        assert_eq!(status, 200, "{path}: {body}");
        if check(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} within 5 s: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(shelf: &Value) -> Vec<&str> {
    shelf.as_array().unwrap().iter().map(|item| item["book"]["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn also_bought_counts_each_placed_order_once_and_never_shows_a_deleted_book() {
    let stack = LocalStack::start().await;
    let books = books(&stack, 3).await;
    let [a, b, c] = [books[0].as_str(), books[1].as_str(), books[2].as_str()];
    let (ann, bob) =
        (stack.token_as("ann-ab", &["customer"], &[]), stack.token_as("bob-ab", &["customer"], &[]));
    order(&stack, &ann, &[a, b, c], "ann-1").await;
    order(&stack, &bob, &[a, b], "bob-1").await;

    let path = format!("/books/{a}/also-bought");
    // Both orders counted: b's count reaches 2 (ann's order alone already lists b and c).
    let shelf = until(&stack, None, &path, |s| s[0]["count"] == 2).await;
    assert_eq!(ids(&shelf), [b, c], "the most bought-with first");
    assert_eq!((shelf[0]["count"].as_u64(), shelf[1]["count"].as_u64()), (Some(2), Some(1)));
    assert!(shelf.as_array().unwrap().iter().all(|i| i["source"] == "co_purchase"), "{shelf}");
    // Counted once: a while later the counts are still those of the two orders.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stack.get_json(&path, 200).await, shelf);

    let one = stack.get_json(&format!("{path}?limit=1"), 200).await;
    assert_eq!(ids(&one), [b]);
    for bad in ["0", "21", "x", "1.5"] {
        let refused = stack.get_json(&format!("{path}?limit={bad}"), 400).await;
        assert_eq!(refused["errors"][0]["field"], "limit", "limit={bad}");
    }
    assert_eq!(stack.get_json(&format!("{path}?page=2"), 400).await["errors"][0]["field"], "page");
    stack.get_json("/books/00000000-0000-4000-8000-000000000000/also-bought", 404).await;
    stack.get_json("/books/not-a-book/also-bought", 400).await;

    let admin = stack.token(&["admin"], &[]);
    let (status, _) = stack.call(&admin, "DELETE", &format!("/books/{c}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(ids(&stack.get_json(&path, 200).await), [b], "a deleted book never shows");
    stack.get_json(&format!("/books/{c}/also-bought"), 404).await;
}

#[tokio::test]
async fn recommendations_use_only_the_buyers_own_history_and_never_a_book_they_bought() {
    let stack = LocalStack::start().await;
    let books = books(&stack, 5).await;
    let [a, b, c, d, e] = [0, 1, 2, 3, 4].map(|i| books[i].as_str());
    let token = |sub: &str| stack.token_as(sub, &["customer"], &[]);
    let (ann, bob, cy, dee, new) =
        (token("ann-r"), token("bob-r"), token("cy-r"), token("dee-r"), token("new-r"));

    let signed_out = stack.get("/me/recommendations").await;
    assert_eq!(signed_out.status(), 401);

    // Who bought what: a with b (twice), a with d, c with e.
    order(&stack, &ann, &[a, b], "ann-1").await;
    order(&stack, &bob, &[a, b, d], "bob-1").await;
    order(&stack, &cy, &[c, e], "cy-1").await;
    // Everything is counted once the popular shelf has all five.
    until(&stack, Some(&new), "/me/recommendations?limit=20", |s| s.as_array().unwrap().len() == 5).await;

    // A buyer without history: the most ordered books, no reason given.
    let fresh = until(&stack, Some(&new), "/me/recommendations?limit=2", |_| true).await;
    let mut top = ids(&fresh);
    top.sort();
    let mut two = vec![a, b];
    two.sort();
    assert_eq!(top, two, "each in two orders: {fresh}");
    assert!(fresh.as_array().unwrap().iter().all(|i| i["because"].is_null()), "{fresh}");

    // Ann bought a and b: d comes from a's co-purchases (bob's order), never a or b.
    let theirs = until(&stack, Some(&ann), "/me/recommendations?limit=20", |_| true).await;
    let shown = ids(&theirs);
    assert_eq!(shown[0], d, "{theirs}");
    assert_eq!(theirs[0]["because"]["kind"], "bought");
    assert!([a, b].contains(&theirs[0]["because"]["book_id"].as_str().unwrap()), "her own seeds: {theirs}");
    assert!(!shown.contains(&a) && !shown.contains(&b), "never a book she bought: {theirs}");
    let mut distinct = shown.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), shown.len(), "no book twice: {theirs}");
    for item in theirs.as_array().unwrap() {
        let seed = item["because"]["book_id"].as_str();
        assert!(seed.is_none() || [a, b].contains(&seed.unwrap()), "only her history names a reason: {item}");
    }

    // Dee rated d five stars (never bought it): its co-purchases a and b, because of d.
    let (status, body) = stack
        .call(&dee, "POST", &format!("/books/{d}/reviews"), Some(json!({"rating": 5, "title": "Loved it"})))
        .await;
    assert_eq!(status, 201, "{body}");
    let rated = until(&stack, Some(&dee), "/me/recommendations?limit=2", |_| true).await;
    assert_eq!(ids(&rated).len(), 2);
    assert!(ids(&rated).iter().all(|id| [a, b].contains(id)), "{rated}");
    assert!(!ids(&rated).contains(&d), "never the reviewed book");
    assert_eq!(
        (rated[0]["because"]["book_id"].as_str(), rated[0]["because"]["kind"].as_str()),
        (Some(d), Some("rated"))
    );
    assert!(rated[0]["because"]["title"].as_str().is_some_and(|t| !t.is_empty()));

    // A buyer who bought every book anyone ordered: nothing left to show, and no error.
    order(&stack, &new, &[a, b, c, d, e], "new-1").await;
    let everything = until(&stack, Some(&new), "/me/recommendations?limit=20", |s| {
        ids(s).iter().all(|id| ![a, b, c, d, e].contains(id))
    })
    .await;
    assert_eq!(everything, json!([]), "every candidate was bought");

    // A deleted book is never recommended.
    let admin = stack.token(&["admin"], &[]);
    let (status, _) = stack.call(&admin, "DELETE", &format!("/books/{d}"), None).await;
    assert_eq!(status, 204);
    let after = until(&stack, Some(&ann), "/me/recommendations?limit=20", |_| true).await;
    assert!(!ids(&after).contains(&d), "{after}");
    let refused = stack.call(&ann, "GET", "/me/recommendations?limit=0", None).await;
    assert_eq!((refused.0, refused.1["errors"][0]["field"].as_str()), (400, Some("limit")));
}

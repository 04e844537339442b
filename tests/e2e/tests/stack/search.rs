//! Search over real HTTP on the local stack: an admin's catalog change is searchable in the
//! very next request, and bad parameters get a problem naming them.

use e2e::LocalStack;
use serde_json::{Value, json};

fn names(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["book"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_catalog_change_is_searchable_at_once() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let authors = stack.get_json("/authors", 200).await;
    let austen =
        authors["items"].as_array().unwrap().iter().find(|a| a["name"] == "Jane Austen").unwrap()["id"]
            .clone();
    let category = stack.get_json("/categories", 200).await["items"][0]["id"].clone();
    let publisher = stack.get_json("/publishers", 200).await["items"][0]["id"].clone();
    assert!(names(&stack.get_json("/search?q=lady%20susan", 200).await).iter().all(|n| n != "Lady Susan"));

    let body = json!({
        "name": "Lady Susan", "description": "An epistolary novella.", "price": "7.50",
        "author_ids": [austen], "category_id": category, "publisher_id": publisher,
    });
    let created =
        stack.client.post(stack.url("/books")).bearer_auth(&admin).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let found = stack.get_json("/search?q=lady%20susn", 200).await;
    assert_eq!(names(&found)[0], "Lady Susan", "created, found with a typo in the next request");
    assert_eq!(found["hits"][0]["highlights"]["name"], "<mark>Lady</mark> <mark>Susan</mark>");
    let suggested = stack.get_json("/search/suggest?q=lady%20su", 200).await;
    assert_eq!(suggested[0]["text"], "Lady Susan");

    let mut repriced = body.clone();
    repriced["price"] = json!("99.00");
    let put = stack
        .client
        .put(stack.url(&format!("/books/{id}")))
        .bearer_auth(&admin)
        .json(&repriced)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let cheap = stack.get_json("/search?q=lady%20susan&max_price=10", 200).await;
    assert!(!names(&cheap).contains(&"Lady Susan".to_owned()), "the new price is what filters see");

    let deleted =
        stack.client.delete(stack.url(&format!("/books/{id}"))).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(!names(&stack.get_json("/search?q=lady%20susan", 200).await).contains(&"Lady Susan".to_owned()));
}

#[tokio::test]
async fn bad_search_parameters_get_a_problem_naming_them() {
    let stack = LocalStack::start().await;
    for (path, field) in [
        ("/search", "q"),
        ("/search?q=", "q"),
        ("/search?q=emma&in_stock=perhaps", "in_stock"),
        ("/search?q=emma&cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/search?q=emma&sort=price", "sort"),
        ("/search/suggest?q=%01", "q"),
    ] {
        let problem = stack.get_json(path, 400).await;
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
    let long = "w".repeat(201);
    assert_eq!(stack.get_json(&format!("/search?q={long}"), 400).await["errors"][0]["field"], "q");
}

#[tokio::test]
async fn following_cursors_pages_through_every_hit_once() {
    let stack = LocalStack::start().await;
    let total = stack.get_json("/search?q=the&limit=100", 200).await["total"].as_u64().unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut page = stack.get_json("/search?q=the&limit=9", 200).await;
    loop {
        for hit in page["hits"].as_array().unwrap() {
            assert!(seen.insert(hit["book"]["id"].as_str().unwrap().to_owned()), "no repeats");
        }
        let Some(cursor) = page["next_cursor"].as_str() else { break };
        page = stack.get_json(&format!("/search?q=the&limit=9&cursor={cursor}"), 200).await;
    }
    assert_eq!(seen.len() as u64, total);
}

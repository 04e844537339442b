//! Deleting categories and publishers over HTTP, as authors: refused with 409 and a reason
//! while a live book names one; a book taken out of the catalog no longer counts; unknown ids
//! are 404, malformed ones 400, and only admins may delete.

use e2e::LocalStack;
use serde_json::{Value, json};

/// Creates an author, a category and a publisher: their ids.
async fn lookups(stack: &LocalStack, admin: &str) -> (String, String, String) {
    let mut ids = Vec::new();
    for (kind, name) in [("authors", "Ida Ink"), ("categories", "Lepidoptera"), ("publishers", "Moth Press")]
    {
        let (status, body) =
            stack.call(admin, "POST", &format!("/{kind}"), Some(json!({"name": name}))).await;
        assert_eq!(status, 201, "{kind}: {body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    (ids[0].clone(), ids[1].clone(), ids[2].clone())
}

#[tokio::test]
async fn a_category_or_publisher_goes_only_once_no_live_book_names_it() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let (author, category, publisher) = lookups(&stack, &admin).await;
    let book = json!({"name": "Night Flyers", "price": "9.00", "author_ids": [author],
        "category_id": category, "publisher_id": publisher});
    let (status, book) = stack.call(&admin, "POST", "/books", Some(book)).await;
    assert_eq!(status, 201, "{book}");

    for (kind, id, name) in
        [("categories", &category, "Lepidoptera"), ("publishers", &publisher, "Moth Press")]
    {
        let (status, problem) = stack.call(&admin, "DELETE", &format!("/{kind}/{id}"), None).await;
        assert_eq!(status, 409, "{kind}: {problem}");
        assert_eq!(
            problem["detail"],
            format!("{name} still has books in the catalog; delete or reassign them first."),
            "the reason names it: {problem}"
        );
        assert_eq!(stack.get_json(&format!("/{kind}/{id}"), 200).await["name"], name, "it stays");
    }

    // Taken out of the catalog, the book no longer holds them (orders keep its lines).
    let (status, _) =
        stack.call(&admin, "DELETE", &format!("/books/{}", book["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 204);
    for kind in ["categories", "publishers"] {
        let id = if kind == "categories" { &category } else { &publisher };
        let (status, body) = stack.call(&admin, "DELETE", &format!("/{kind}/{id}"), None).await;
        assert_eq!(status, 204, "{kind}: {body}");
        stack.get_json(&format!("/{kind}/{id}"), 404).await;
        let listed: Vec<Value> =
            stack.get_json(&format!("/{kind}"), 200).await["items"].as_array().unwrap().clone();
        assert!(!listed.iter().any(|item| item["id"] == id.as_str()), "{kind} still lists it");
        // Again: it is gone.
        let (status, _) = stack.call(&admin, "DELETE", &format!("/{kind}/{id}"), None).await;
        assert_eq!(status, 404, "{kind}: deleting twice");
    }
    // A book may no longer name them.
    let again = json!({"name": "Night Flyers", "price": "9.00", "author_ids": [author],
        "category_id": category, "publisher_id": publisher});
    let (status, problem) = stack.call(&admin, "POST", "/books", Some(again)).await;
    assert_eq!(status, 400);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["category_id", "publisher_id"]);
}

#[tokio::test]
async fn seeded_lookups_with_books_stay_and_only_admins_may_delete() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let book = &stack.get_json("/books?limit=1", 200).await["items"][0];
    for (kind, field) in [("categories", "category_id"), ("publishers", "publisher_id")] {
        let id = book[field].as_str().unwrap();
        for roles in [["customer"], ["merchant"], ["support"]] {
            let token = stack.token(&roles, &[]);
            let (status, body) = stack.call(&token, "DELETE", &format!("/{kind}/{id}"), None).await;
            assert_eq!(status, 403, "{roles:?} deleting {kind}: {body}");
        }
        let anonymous = stack.client.delete(stack.url(&format!("/{kind}/{id}"))).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let (status, _) = stack.call(&admin, "DELETE", &format!("/{kind}/{id}"), None).await;
        assert_eq!(status, 409, "{kind} of a seeded book");

        let unknown = uuid::Uuid::new_v4();
        let (status, _) = stack.call(&admin, "DELETE", &format!("/{kind}/{unknown}"), None).await;
        assert_eq!(status, 404);
        let (status, problem) = stack.call(&admin, "DELETE", &format!("/{kind}/not-an-id"), None).await;
        assert_eq!(status, 400);
        assert_eq!(problem["errors"][0]["field"], "id", "{problem}");
    }
}

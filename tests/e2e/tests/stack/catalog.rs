//! The catalog API through the local stack, over real HTTP.

use std::collections::HashSet;

use e2e::LocalStack;
use serde_json::Value;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn following_next_cursor_visits_every_seeded_book_once_in_every_order() {
    let stack = LocalStack::start().await;
    let everything = stack.get_json("/books?limit=100", 200).await;
    let mut total = ids(&everything).len();
    let mut cursor = everything["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let page = stack.get_json(&format!("/books?limit=100&cursor={next}"), 200).await;
        total += ids(&page).len();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert!(total >= 200, "the seeded catalog has {total} books");

    for order in ["sort=name", "sort=name&order=desc", "sort=price", "sort=price&order=desc"] {
        let mut seen = Vec::new();
        let mut page = stack.get_json(&format!("/books?limit=7&{order}"), 200).await;
        loop {
            let batch = ids(&page);
            assert!(batch.len() <= 7, "{order}: page of {}", batch.len());
            seen.extend(batch);
            let Some(next) = page["next_cursor"].as_str() else {
                break;
            };
            page = stack.get_json(&format!("/books?limit=7&{order}&cursor={next}"), 200).await;
        }
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(distinct.len(), seen.len(), "{order}: a book came twice");
        assert_eq!(seen.len(), total, "{order}: every book once");
    }
}

#[tokio::test]
async fn bad_parameters_get_a_problem_naming_the_parameter() {
    let stack = LocalStack::start().await;
    let cases = [
        ("/books?limit=0", "limit"),
        ("/books?limit=abc", "limit"),
        ("/books?sort=bogus", "sort"),
        ("/books?min_price=-1", "min_price"),
        ("/books?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/books?cursor=%%%", "cursor"),
        ("/books?colour=red", "colour"),
        ("/books/not-a-uuid", "id"),
    ];
    for (path, field) in cases {
        let response = stack.get(path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
        let problem: Value = response.json().await.expect("problem body");
        assert_eq!(problem["status"], 400, "{path}");
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
}

#[tokio::test]
async fn unknown_books_and_routes_are_404_problems() {
    let stack = LocalStack::start().await;
    let unknown = uuid::Uuid::new_v4();
    let problem = stack.get_json(&format!("/books/{unknown}"), 404).await;
    assert_eq!(problem["title"], "Not Found");
    stack.get_json("/no-such-route", 404).await;
    let response = stack.client.delete(format!("{}/books", stack.base)).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn a_book_from_a_list_reads_back_by_id_and_filters_hold() {
    let stack = LocalStack::start().await;
    let categories = stack.get_json("/categories", 200).await;
    let fiction = categories["items"].as_array().unwrap().iter().find(|c| c["name"] == "Fiction").unwrap();
    let fiction_id = fiction["id"].as_str().unwrap();
    let page = stack.get_json(&format!("/books?category_id={fiction_id}&max_price=15&limit=100"), 200).await;
    let books = page["items"].as_array().unwrap();
    assert!(!books.is_empty());
    for book in books {
        assert_eq!(book["category_id"], fiction_id);
        let selling = if book["sale_price"].is_null() { &book["price"] } else { &book["sale_price"] };
        assert!(selling.as_str().unwrap().parse::<f64>().unwrap() <= 15.0, "{book}");
        let id = book["id"].as_str().unwrap();
        assert_eq!(&stack.get_json(&format!("/books/{id}"), 200).await, book);
    }
    assert_eq!(stack.get_json("/health", 200).await["status"], "ok");
    let authors = stack.get_json("/authors", 200).await;
    assert!(authors["items"].as_array().unwrap().len() >= 50);
}

//! Identity end to end through the local stack: tokens from its development issuer, the
//! authorizer before each protected route, the access rules, catalog administration.

use bookworm_auth::forgeries::{forgeries, keycloak_sample_claims};
use bookworm_local::AuthConfig;
use e2e::LocalStack;
use serde_json::{Value, json};

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    response.json().await.expect("problem body")
}

fn new_book(stack_categories: &Value, authors: &Value, publishers: &Value) -> Value {
    json!({
        "name": "The Voyage of the Beagle",
        "description": "Darwin's journal of the survey voyage.",
        "price": "14.50",
        "sale_price": "12.00",
        "author_ids": [authors["items"][0]["id"]],
        "category_id": stack_categories["items"][0]["id"],
        "publisher_id": publishers["items"][0]["id"],
    })
}

#[tokio::test]
async fn an_admin_token_creates_a_book_and_others_cannot() {
    let stack = LocalStack::start().await;
    let body = new_book(
        &stack.get_json("/categories", 200).await,
        &stack.get_json("/authors", 200).await,
        &stack.get_json("/publishers", 200).await,
    );

    let post = |token: Option<String>| {
        let request = stack.client.post(stack.url("/books")).json(&body);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
        .send()
    };

    let denied = problem(post(Some(stack.token(&["customer"], &[]))).await.unwrap(), 403).await;
    assert_eq!(denied["title"], "Forbidden");
    let anonymous = post(None).await.unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    problem(anonymous, 401).await;

    let created = post(Some(stack.token(&["admin"], &[]))).await.unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let book: Value = created.json().await.unwrap();
    assert_eq!(location, format!("/books/{}", book["id"].as_str().unwrap()));
    // It reads back as stored, with its rating: none yet.
    let mut rated = book.clone();
    rated["average_rating"] = Value::Null;
    rated["review_count"] = json!(0);
    rated["rating_distribution"] = json!({"1": 0, "2": 0, "3": 0, "4": 0, "5": 0});
    assert_eq!(stack.get_json(&location, 200).await, rated, "the new book reads back");
    let found = stack.get_json("/books?q=beagle", 200).await;
    assert_eq!(found["items"][0]["id"], book["id"], "and is listed");
}

#[tokio::test]
async fn every_forged_token_is_refused_with_a_401_problem_that_leaks_nothing() {
    let stack = LocalStack::start().await;
    let auth = &stack.stack.auth;
    for forgery in forgeries(&stack.stack.issuer, &auth.issuer, &auth.audience) {
        let response = stack
            .client
            .post(stack.url("/books"))
            .bearer_auth(&forgery.token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{}", forgery.name);
        let text = response.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["status"], 401, "{}", forgery.name);
        for secret in ["kid", "signature", "issuer", "audience", "expired", &forgery.token] {
            assert!(
                !text.to_lowercase().contains(&secret.to_lowercase()),
                "{}: leaks {secret:?}: {text}",
                forgery.name
            );
        }
    }
}

#[tokio::test]
async fn the_keycloak_token_shape_yields_its_principal() {
    let realm = "http://localhost:8080/auth/realms/master";
    let stack = LocalStack::start_with(AuthConfig {
        issuer: realm.into(),
        audience: "comfortech".into(),
        ..AuthConfig::default()
    })
    .await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let token = stack.stack.issuer.sign(&keycloak_sample_claims(realm, now)).unwrap();
    let me: Value =
        stack.client.get(stack.url("/me")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user_id"], "99b2ca6d-b179-4161-9c25-ad84ab7ca438");
    assert_eq!(me["username"], "+79516519741");
    assert_eq!(me["roles"], json!(["customer"]));
}

#[tokio::test]
async fn administration_validates_and_keeps_reads_correct() {
    let stack = LocalStack::start().await;
    let admin = stack.token(&["admin"], &[]);
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let request = stack.client.request(method, stack.url(path)).bearer_auth(&admin);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
    };

    // Every broken rule is named.
    let bad = send(
        reqwest::Method::POST,
        "/books",
        Some(json!({"name": "", "price": "0", "sale_price": "1.00",
        "author_ids": [], "category_id": "x"})),
    )
    .await
    .unwrap();
    let body = problem(bad, 400).await;
    assert_eq!(body["errors"][0]["field"], "category_id", "{body}");
    let bad = send(
        reqwest::Method::POST,
        "/books",
        Some(json!({"name": " ", "price": "0", "author_ids": [],
        "category_id": uuid::Uuid::new_v4(), "publisher_id": uuid::Uuid::new_v4()})),
    )
    .await
    .unwrap();
    let fields: Vec<String> = problem(bad, 400).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        fields,
        ["name", "price", "author_ids", "category_id", "publisher_id"],
        "every problem at once"
    );
    let unknown_refs = send(
        reqwest::Method::POST,
        "/books",
        Some(json!({"name": "X", "price": "1.00",
        "author_ids": [uuid::Uuid::new_v4()], "category_id": uuid::Uuid::new_v4(),
        "publisher_id": uuid::Uuid::new_v4()})),
    )
    .await
    .unwrap();
    let fields: Vec<String> = problem(unknown_refs, 400).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["author_ids[0]", "category_id", "publisher_id"]);
    problem(send(reqwest::Method::POST, "/authors", Some(json!({"nom": "x"}))).await.unwrap(), 400).await;

    // An author with books cannot go; a new one without books can.
    let page = stack.get_json("/books?limit=1", 200).await;
    let busy_author = page["items"][0]["author_ids"][0].as_str().unwrap().to_owned();
    problem(send(reqwest::Method::DELETE, &format!("/authors/{busy_author}"), None).await.unwrap(), 409)
        .await;
    let created = send(reqwest::Method::POST, "/authors", Some(json!({"name": "Anonymous"}))).await.unwrap();
    assert_eq!(created.status(), 201);
    let author: Value = created.json().await.unwrap();
    let renamed = send(
        reqwest::Method::PUT,
        &format!("/authors/{}", author["id"].as_str().unwrap()),
        Some(json!({"name": "Anon."})),
    )
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    let gone = send(reqwest::Method::DELETE, &format!("/authors/{}", author["id"].as_str().unwrap()), None)
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);

    // A soft-deleted book is gone from reads and lists.
    let book = page["items"][0].clone();
    let id = book["id"].as_str().unwrap();
    let mut edited = book.clone();
    for field in ["id", "average_rating", "review_count", "rating_distribution"] {
        edited.as_object_mut().unwrap().remove(field);
    }
    edited["price"] = json!("99.00");
    edited["sale_price"] = Value::Null;
    let updated = send(reqwest::Method::PUT, &format!("/books/{id}"), Some(edited)).await.unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["price"], "99.00");
    let reread = stack.get_json(&format!("/books/{id}"), 200).await;
    assert_eq!(reread["rating_distribution"], book["rating_distribution"], "ratings survive an edit");
    assert_eq!(send(reqwest::Method::DELETE, &format!("/books/{id}"), None).await.unwrap().status(), 204);
    problem(stack.get(&format!("/books/{id}")).await, 404).await;
    problem(send(reqwest::Method::DELETE, &format!("/books/{id}"), None).await.unwrap(), 404).await;
    let first = stack.get_json("/books?limit=1", 200).await;
    assert_ne!(first["items"][0]["id"], book["id"]);
}

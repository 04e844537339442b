//! The contracts as the local stack serves them: the OpenAPI document covers exactly the
//! template's routes, and the AsyncAPI document points at this stack's socket.

use std::collections::BTreeSet;

use e2e::LocalStack;
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_covers_exactly_the_templates_routes() {
    let stack = LocalStack::start().await;
    let response = stack.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "/", "requests go to the stack that served it");

    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml")).unwrap();
    let routes: BTreeSet<String> = bookworm_local::template::Template::parse(&template)
        .unwrap()
        .http_routes()
        .unwrap()
        .into_iter()
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    assert_eq!(documented, routes);
}

#[tokio::test]
async fn the_asyncapi_document_names_this_stacks_socket() {
    let stack = LocalStack::start().await;
    let document = stack.get_json("/asyncapi.json", 200).await;
    assert_eq!(document["asyncapi"], "3.0.0");
    let server = &document["servers"]["local"];
    assert_eq!(format!("http://{}", server["host"].as_str().unwrap()), stack.base);
    assert_eq!((server["protocol"].as_str(), server["pathname"].as_str()), (Some("ws"), Some("/ws")));
}

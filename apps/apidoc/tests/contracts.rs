//! The documents hold to the code: every rule is documented, every event kind has its message
//! and the messages we send validate against it, and the committed copies are current.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_apidoc::{deployed_asyncapi, deployed_openapi};
use bookworm_domain::Error;
use bookworm_domain::events::one_of_each_kind;
use bookworm_http::problem_response;
use serde_json::{Value, json};

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)
}

/// A validator for the schema at `pointer` inside `document`, whose `$ref`s point into it.
fn validator(document: &Value, pointer: &str, draft: jsonschema::Draft) -> jsonschema::Validator {
    let mut root = json!({ "$ref": format!("#{pointer}") });
    root["components"] = document["components"].clone();
    jsonschema::options().with_draft(draft).should_validate_formats(true).build(&root).unwrap()
}

fn operation_keys(openapi: &Value) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            keys.insert(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    keys
}

#[test]
fn every_route_is_an_operation_and_every_operation_a_route() {
    let documented = operation_keys(&deployed_openapi());
    let ruled: BTreeSet<String> =
        bookworm_apidoc::routes::all().iter().map(|(key, _)| key.to_string()).collect();
    assert_eq!(documented, ruled);
}

#[test]
fn operation_ids_are_unique_and_every_operation_answers_503_and_429() {
    let openapi = deployed_openapi();
    let mut ids = BTreeSet::new();
    for item in openapi["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            assert!(ids.insert(operation["operationId"].as_str().unwrap().to_owned()));
            for status in ["429", "503"] {
                assert!(!operation["responses"][status].is_null(), "{}", operation["operationId"]);
            }
        }
    }
}

#[test]
fn protected_operations_name_their_roles_and_answer_401() {
    let openapi = deployed_openapi();
    let books = &openapi["paths"]["/books"];
    assert_eq!(books["get"]["security"], json!([]), "public");
    assert!(books["get"]["responses"]["401"].is_null(), "a public read never answers 401");
    assert_eq!(books["post"]["security"], json!([{ "bearer": ["admin"] }]));
    assert_eq!(books["post"]["responses"]["401"]["$ref"], "#/components/responses/Unauthorized");
    let events = &openapi["paths"]["/shops/{shop_id}/events"]["get"];
    assert_eq!(events["security"], json!([{ "bearer": ["merchant"] }, { "bearer": ["admin"] }]));
    assert_eq!(events["responses"]["403"]["$ref"], "#/components/responses/Forbidden");
}

#[test]
fn every_problem_the_api_sends_is_a_documented_problem() {
    let openapi = deployed_openapi();
    let problem = validator(&openapi, "/components/schemas/Problem", jsonschema::Draft::Draft202012);
    let errors = [
        Error::invalid("limit", "must be from 1 to 100"),
        Error::not_found("book", "x"),
        Error::Unauthenticated,
        Error::Forbidden("no".into()),
        Error::Conflict("busy".into()),
        Error::TooLarge { field: "body", limit: 16 },
        Error::TooMany { detail: "enough for today".into(), retry_after: 60 },
        Error::unavailable("read", "down"),
    ];
    for error in errors {
        let response = problem_response(&error, Some("req-1"));
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        let failures: Vec<String> = problem.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(failures.is_empty(), "{body}: {failures:?}");
    }
    assert!(!problem.is_valid(&json!({ "status": "400" })), "the schema can fail");
}

#[test]
fn every_event_kind_has_a_message_and_every_event_we_send_validates_against_it() {
    let asyncapi = deployed_asyncapi();
    let events = one_of_each_kind();
    let kinds: BTreeSet<&str> = events.iter().map(|event| event.kind()).collect();
    let messages: BTreeSet<&str> = asyncapi["components"]["messages"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|name| name.starts_with("com.bookworm.") && !name.starts_with("com.bookworm.chat."))
        .collect();
    assert_eq!(messages, kinds);
    let chat: BTreeSet<&str> = asyncapi["components"]["messages"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|name| name.starts_with("com.bookworm.chat."))
        .collect();
    let sent: BTreeSet<&str> = support::live::Kind::ALL.iter().map(|kind| kind.type_name()).collect();
    assert_eq!(chat, sent, "every chat event the support function sends has its message");
    for event in &events {
        let pointer = format!("/components/messages/{}/payload", event.kind());
        let schema = validator(&asyncapi, &pointer, jsonschema::Draft::Draft7);
        let message = serde_json::to_value(event.cloud_event()).unwrap();
        let failures: Vec<String> = schema.iter_errors(&message).map(|e| e.to_string()).collect();
        assert!(failures.is_empty(), "{}: {failures:?}", event.kind());
    }
}

#[test]
fn a_basket_event_shaped_like_an_in_store_action_is_refused() {
    let asyncapi = deployed_asyncapi();
    let added = one_of_each_kind().into_iter().find(|e| e.kind().ends_with("item_added")).unwrap();
    let schema = validator(
        &asyncapi,
        &format!("/components/messages/{}/payload", added.kind()),
        jsonschema::Draft::Draft7,
    );
    let mut message = serde_json::to_value(added.cloud_event()).unwrap();
    assert!(schema.is_valid(&message));
    message["data"]["total"] = json!(12.18);
    assert!(!schema.is_valid(&message), "a number where the contract says a decimal string");
    message["data"]["total"] = json!("12.18");
    message["data"]["unit_price"] = json!(null);
    assert!(!schema.is_valid(&message), "a missing price");
}

#[test]
fn the_committed_documents_are_what_the_code_generates() {
    for (name, generated) in [("openapi.json", deployed_openapi()), ("asyncapi.json", deployed_asyncapi())] {
        let text = std::fs::read_to_string(committed(name)).unwrap_or_default();
        let stored: Value = serde_json::from_str(&text).unwrap_or_default();
        assert!(stored == generated, "apps/apidoc/{name} is stale: run `scripts/apidoc apps/apidoc`");
    }
}

#[test]
fn the_route_table_page_is_what_the_code_generates() {
    let page = std::fs::read_to_string(committed("../../docs/routes.md")).unwrap_or_default();
    assert!(
        page == bookworm_apidoc::routes::markdown(),
        "docs/routes.md is stale: run `scripts/apidoc apps/apidoc`"
    );
}

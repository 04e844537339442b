//! Runs the handler on the sample events in events/account/.

use std::path::PathBuf;

use serde_json::Value;

fn event(file: &str) -> lambda_http::Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/account").join(file);
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn me_shows_the_caller_the_authorizer_vouched_for() {
    let response =
        account::handle(&bookworm_embedded::EmbeddedShop::in_memory().unwrap(), event("me.json")).await;
    assert_eq!(response.status(), 200);
    let me: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(me["user_id"], "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f");
    assert_eq!(me["email"], "reader@example.com");
    assert_eq!(me["roles"], serde_json::json!(["customer"]));
}

#[tokio::test]
async fn a_rejected_token_is_a_401_problem() {
    let response = account::handle(
        &bookworm_embedded::EmbeddedShop::in_memory().unwrap(),
        event("me-rejected-token.json"),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn preferences_are_off_until_the_caller_opts_in() {
    let store = bookworm_embedded::EmbeddedShop::in_memory().unwrap();
    let read = |response: lambda_http::Response<lambda_http::Body>| {
        assert_eq!(response.status(), 200);
        serde_json::from_slice::<Value>(response.body()).unwrap()
    };
    let before = read(account::handle(&store, event("get-preferences.json")).await);
    assert_eq!(before["sms_notifications"], false);
    let set = read(account::handle(&store, event("set-preferences.json")).await);
    assert_eq!(set["sms_notifications"], true);
    let after = read(account::handle(&store, event("get-preferences.json")).await);
    assert_eq!(after["sms_notifications"], true);
}

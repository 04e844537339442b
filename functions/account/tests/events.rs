//! Runs the handler on the sample events in events/account/.

use std::path::PathBuf;

use bookworm_embedded::EmbeddedShop;
use serde_json::Value;

fn stores(shop: &EmbeddedShop) -> account::Stores<'_> {
    account::Stores { preferences: shop, profiles: shop }
}

fn event(file: &str) -> lambda_http::Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/account").join(file);
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn me_shows_the_caller_the_authorizer_vouched_for() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let response = account::handle(&stores(&shop), event("me.json")).await;
    assert_eq!(response.status(), 200);
    let me: Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(me["user_id"], "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f");
    assert_eq!(me["email"], "reader@example.com");
    assert_eq!(me["roles"], serde_json::json!(["customer"]));
}

#[tokio::test]
async fn a_rejected_token_is_a_401_problem() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let response = account::handle(&stores(&shop), event("me-rejected-token.json")).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn preferences_are_off_until_the_caller_opts_in() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let store = stores(&shop);
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

#[tokio::test]
async fn a_profile_reads_empty_until_saved_then_as_saved() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let store = stores(&shop);
    let call = |file: &'static str| account::handle(&store, event(file));
    let body = |response: lambda_http::Response<lambda_http::Body>| {
        (response.status().as_u16(), serde_json::from_slice::<Value>(response.body()).unwrap())
    };
    let (status, before) = body(call("get-profile.json").await);
    assert_eq!(status, 200);
    assert_eq!(before["version"], 0);
    assert_eq!(before["addresses"], serde_json::json!([]));

    let (status, saved) = body(call("set-profile.json").await);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["addresses"][0]["id"], "3f6c1b9a-7d2e-4c8f-9a1b-5e4d3c2b1a09", "a sent id is kept");
    assert!(saved["addresses"][1]["id"].is_string(), "a new address is given one: {saved}");
    assert_eq!(saved["default_address_id"], saved["addresses"][0]["id"]);
    let (_, after) = body(call("get-profile.json").await);
    assert_eq!(after, saved);

    let (status, problem) = body(call("set-profile-invalid.json").await);
    assert_eq!(status, 400);
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["phone", "addresses[0].postal_code", "addresses[0].country"], "{problem}");
    let (_, unchanged) = body(call("get-profile.json").await);
    assert_eq!(unchanged, saved, "a refused write changes nothing");
}

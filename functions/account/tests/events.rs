//! Runs the handler on the sample events in events/account/.

use std::path::PathBuf;

use bookworm_domain::push::FCM_TOKEN_MAX;
use bookworm_embedded::EmbeddedShop;
use bookworm_embedded::push_outbox::LocalPush;
use serde_json::Value;

fn stores(shop: &EmbeddedShop) -> account::Stores<'_> {
    // Leaked: a few bytes per test, and its folder is the system's temporary one.
    let dir = std::env::temp_dir().join(format!("bookworm-push-{}", uuid::Uuid::new_v4()));
    let push = Box::leak(Box::new(LocalPush::new(&dir).unwrap()));
    account::Stores { preferences: shop, profiles: shop, devices: shop, push }
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

/// The sample `file` with another caller, body or device id.
fn event_as(file: &str, user: &str, body: Option<Value>, id: Option<&str>) -> lambda_http::Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/account").join(file);
    let mut sample: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    sample["requestContext"]["authorizer"]["lambda"]["user_id"] = Value::from(user);
    if let Some(body) = body {
        sample["body"] = Value::from(body.to_string());
    }
    if let Some(id) = id {
        sample["pathParameters"]["id"] = Value::from(id);
        sample["rawPath"] = Value::from(format!("/me/devices/{id}"));
        sample["requestContext"]["http"]["path"] = sample["rawPath"].clone();
    }
    lambda_http::request::from_str(&sample.to_string()).unwrap()
}

fn answer(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_device_is_registered_once_listed_and_removed_by_its_owner_only() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let store = stores(&shop);
    let (status, device) = answer(account::handle(&store, event("register-device.json")).await);
    assert_eq!(status, 201, "{device}");
    assert!(device.get("endpoint_arn").is_none(), "the endpoint is ours: {device}");
    let (status, again) = answer(account::handle(&store, event("register-device.json")).await);
    assert_eq!((status, &again), (200, &device), "the same token is the same device");
    let upper = serde_json::json!({"platform": "apns", "token": "3F".repeat(32)});
    let (status, again) = answer(
        account::handle(
            &store,
            event_as("register-device.json", "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", Some(upper), None),
        )
        .await,
    );
    assert_eq!((status, &again), (200, &device), "APNs tokens are the same in either case");
    let (_, listed) = answer(account::handle(&store, event("list-devices.json")).await);
    assert_eq!(listed, serde_json::json!([device]));

    let id = device["id"].as_str().unwrap();
    let bob = "0b0b0b0b-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let (status, _) =
        answer(account::handle(&store, event_as("remove-unknown-device.json", bob, None, Some(id))).await);
    assert_eq!(status, 404, "another buyer's device is not found");
    let (_, bobs) = answer(account::handle(&store, event_as("list-devices.json", bob, None, None)).await);
    assert_eq!(bobs, serde_json::json!([]), "nor listed");
    let owner = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let (status, _) =
        answer(account::handle(&store, event_as("remove-unknown-device.json", owner, None, Some(id))).await);
    assert_eq!(status, 204);
    let (status, _) =
        answer(account::handle(&store, event_as("remove-unknown-device.json", owner, None, Some(id))).await);
    assert_eq!(status, 404, "removed once");
    let (status, problem) = answer(
        account::handle(&store, event_as("remove-unknown-device.json", owner, None, Some("nope"))).await,
    );
    assert_eq!((status, &problem["errors"][0]["field"]), (400, &Value::from("id")), "{problem}");
}

#[tokio::test]
async fn bad_registrations_are_problems_naming_the_field() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let store = stores(&shop);
    let owner = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let cases = [
        (serde_json::json!({"platform": "fcm", "token": "not a token"}), "token"),
        (serde_json::json!({"platform": "apns", "token": "ab".repeat(31)}), "token"),
        (serde_json::json!({"platform": "fcm", "token": "x".repeat(FCM_TOKEN_MAX + 1)}), "token"),
        (serde_json::json!({"platform": "windows", "token": "ab".repeat(32)}), "platform"),
        (serde_json::json!({"token": "ab".repeat(32)}), "platform"),
        (serde_json::json!({"platform": "fcm"}), "token"),
    ];
    for (body, field) in cases {
        let (status, problem) = answer(
            account::handle(&store, event_as("register-device.json", owner, Some(body.clone()), None)).await,
        );
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
}

#[tokio::test]
async fn a_buyer_has_at_most_ten_devices() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let store = stores(&shop);
    let owner = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let register = |n: usize| {
        let body = serde_json::json!({"platform": "fcm", "token": format!("token-{n:030}")});
        account::handle(&store, event_as("register-device.json", owner, Some(body), None))
    };
    // Racing registrations: none is lost, and the limit holds.
    let responses = futures::future::join_all((0..12).map(register)).await;
    let statuses: Vec<u16> = responses.into_iter().map(|response| response.status().as_u16()).collect();
    let created = statuses.iter().filter(|status| **status == 201).count();
    assert!((1..=10).contains(&created), "{statuses:?}");
    assert!(statuses.iter().all(|status| [201, 409].contains(status)), "{statuses:?}");
    let (_, listed) = answer(account::handle(&store, event("list-devices.json")).await);
    assert_eq!(listed.as_array().unwrap().len(), created, "every 201 is kept");
    // Retried one by one, the losers fill the list to the limit, and no further.
    for n in 0..12 {
        let status = register(n).await.status().as_u16();
        assert!([200, 201, 409].contains(&status), "{status}");
    }
    let (_, listed) = answer(account::handle(&store, event("list-devices.json")).await);
    assert_eq!(listed.as_array().unwrap().len(), 10);
    let (status, problem) = answer(register(99).await);
    assert_eq!(status, 409, "{problem}");
}

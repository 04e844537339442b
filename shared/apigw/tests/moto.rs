//! The management API client against moto (`APIGW_MANAGEMENT_ENDPOINT`, started by
//! scripts/test): a signed PostToConnection at the server root is accepted. moto models no
//! closed connections, so 410 Gone is checked against the local stack's `@connections`
//! (tests/e2e/tests/stack/realtime.rs).

use bookworm_apigw::ManagementPush;
use bookworm_domain::ports::{Delivery, Push};

#[tokio::test]
async fn a_post_to_a_connection_is_delivered() {
    let endpoint = std::env::var("APIGW_MANAGEMENT_ENDPOINT")
        .expect("APIGW_MANAGEMENT_ENDPOINT must name moto: run scripts/test");
    let push = ManagementPush::local(&endpoint);
    let delivered =
        push.push(&"L0SM9cOFvHcCIhw=".parse().unwrap(), br#"{"specversion":"1.0"}"#).await.unwrap();
    assert_eq!(delivered, Delivery::Delivered);
}

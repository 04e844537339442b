//! Runs the WebSocket routes on the sample events in events/websocket/.

use std::path::PathBuf;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use bookworm_domain::ports::Connections;
use bookworm_embedded::EmbeddedShop;

fn event(file: &str) -> ApiGatewayWebsocketProxyRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/websocket").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn connect_ping_and_disconnect_as_api_gateway_sends_them() {
    let store = EmbeddedShop::in_memory().unwrap();
    let shop = "123e4567-e89b-42d3-a456-426614174000".parse().unwrap();

    assert_eq!(websocket::handle(&store, event("connect-foreign-shop.json")).await.status_code, 403);
    assert!(store.for_shop(shop).await.unwrap().is_empty());
    assert_eq!(websocket::handle(&store, event("connect.json")).await.status_code, 200);
    let listeners = store.for_shop(shop).await.unwrap();
    assert_eq!(listeners.len(), 1);
    assert_eq!(listeners[0].id, "L0SM9cOFvHcCIhw=");
    assert_eq!(listeners[0].token_expires_at, 4_102_444_800, "the token's expiry, from the authorizer");

    let pong = websocket::handle(&store, event("ping.json")).await;
    assert_eq!(pong.status_code, 200);
    let body = String::from_utf8(pong.body.unwrap().to_vec()).unwrap();
    assert_eq!(body, r#"{"type":"pong"}"#);

    assert_eq!(websocket::handle(&store, event("disconnect.json")).await.status_code, 200);
    assert!(store.for_shop(shop).await.unwrap().is_empty());
}

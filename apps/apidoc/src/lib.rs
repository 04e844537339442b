//! The API contracts, generated from the code that serves them: [`openapi`] for the HTTPS API,
//! [`asyncapi`] for the merchants' WebSocket API. The local stack serves both
//! (`/openapi.json`, `/asyncapi.json`); `scripts/apidoc` writes them for a deployed stage, and
//! the copies committed beside this crate are kept equal to what the code generates (a test).

pub mod asyncapi;
pub mod openapi;
pub mod routes;

use serde_json::{Value, json};

/// The OpenAPI document of a deployed stage (`sam deploy`'s `ApiUrl` output).
pub fn deployed_openapi() -> Value {
    openapi::document(json!([{
        "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
        "description": "A deployed stage: the stack's `ApiUrl` output.",
        "variables": {
            "api_id": { "default": "api-id", "description": "The HTTP API's id." },
            "region": { "default": "eu-west-1" },
            "stage": { "default": "dev", "description": "The `Stage` parameter." },
        },
    }]))
}

/// The AsyncAPI document of a deployed stage (`sam deploy`'s `WebSocketUrl` output).
pub fn deployed_asyncapi() -> Value {
    let websocket = json!({
        "host": "{api_id}.execute-api.{region}.amazonaws.com",
        "pathname": "/{stage}",
        "protocol": "wss",
        "description": "A deployed stage: the stack's `WebSocketUrl` output.",
        "security": [{ "$ref": "#/components/securitySchemes/token" }],
        "variables": {
            "api_id": { "default": "api-id", "description": "The WebSocket API's id." },
            "region": { "default": "eu-west-1" },
            "stage": { "default": "dev", "description": "The `Stage` parameter." },
        },
    });
    let mqtt = json!({
        "host": "{endpoint}:443",
        "protocol": "mqtts",
        "description": "AWS IoT Core (ALPN `mqtt` on 443, or 8883): the account's data endpoint \
            (`aws iot describe-endpoint --endpoint-type iot:Data-ATS`), the devices' authorizer.",
        "security": [{ "$ref": "#/components/securitySchemes/deviceToken" }],
        "variables": {
            "endpoint": { "default": "example-ats.iot.eu-west-1.amazonaws.com", "description": "The IoT data endpoint." },
        },
    });
    asyncapi::document(("aws", websocket), ("aws-iot", mqtt))
}

/// The OpenAPI document as the local stack serves it: requests go to the stack itself.
pub fn local_openapi() -> Value {
    openapi::document(json!([{ "url": "/", "description": "This local stack." }]))
}

/// The AsyncAPI document as the local stack at `host` (`127.0.0.1:3000`) serves it.
pub fn local_asyncapi(host: &str) -> Value {
    let websocket = json!({
        "host": host,
        "pathname": "/ws",
        "protocol": "ws",
        "description": "This local stack (`scripts/dev`).",
        "security": [{ "$ref": "#/components/securitySchemes/token" }],
    });
    let mqtt = json!({
        "host": "127.0.0.1:1883",
        "protocol": "mqtt",
        "description": "This local stack's broker (`--mqtt-port`, 1883 by default).",
        "security": [{ "$ref": "#/components/securitySchemes/deviceToken" }],
    });
    asyncapi::document(("local", websocket), ("local-mqtt", mqtt))
}

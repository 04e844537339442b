//! What the authorizer is invoked with, and what it answers: one function serves both APIs.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use serde::Serialize;
use serde::de::Error as _;
use serde_json::Value;

/// The HTTP API's REQUEST authorizer event (payload 2.0), or the WebSocket API's `$connect` one.
#[derive(Debug)]
pub enum Invocation {
    Http(Box<ApiGatewayV2CustomAuthorizerV2Request>),
    WebSocket(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
}

/// Told apart by the one telling key: a WebSocket authorizer event carries a `methodArn` (an
/// HTTP API one a `routeArn`, which emulators do not always send); anything else is read as an
/// HTTP API event, and refused naming what it lacks.
impl<'de> serde::Deserialize<'de> for Invocation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let payload = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let websocket = payload.contains_key("methodArn");
        let payload = Value::Object(payload);
        if websocket {
            return serde_json::from_value(payload)
                .map(|event| Self::WebSocket(Box::new(event)))
                .map_err(|e| D::Error::custom(format!("a WebSocket authorizer event: {e}")));
        }
        serde_json::from_value(payload)
            .map(|event| Self::Http(Box::new(event)))
            .map_err(|e| D::Error::custom(format!("an HTTP API authorizer event: {e}")))
    }
}

/// The answer each API expects: a simple response (HTTP API), an IAM policy (WebSocket API).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Http(ApiGatewayV2CustomAuthorizerSimpleResponse<Value>),
    WebSocket(ApiGatewayCustomAuthorizerResponse<Value>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> serde_json::Result<Invocation> {
        let path = format!("{}/../../events/authorizer/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap())
    }

    #[test]
    fn each_api_s_event_is_recognised_and_anything_else_refused() {
        assert!(matches!(event("malformed-token.json"), Ok(Invocation::Http(_))));
        let websocket = serde_json::json!({"type": "REQUEST", "methodArn": "arn:aws:execute-api:x", "queryStringParameters": {"token": "t"}, "requestContext": {}});
        let websocket = serde_json::from_value(websocket);
        assert!(matches!(websocket, Ok(Invocation::WebSocket(_))), "{websocket:?}");
        let error = serde_json::from_value::<Invocation>(serde_json::json!({"routeArn": 7})).unwrap_err();
        assert!(error.to_string().contains("an HTTP API authorizer event"), "{error}");
    }
}

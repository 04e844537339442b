//! `invoke`: runs one function's handler on an API Gateway event file and prints the response
//! in the shape API Gateway receives from Lambda (what `sam local invoke` does, without Docker).

use base64::Engine;
use lambda_http::{Body, Response};
use serde_json::{Map, Value, json};

use crate::stack::Stack;

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("cannot read the event file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not an API Gateway HTTP API (payload 2.0) event: {source}")]
    Event { path: String, source: serde_json::Error },
    #[error(transparent)]
    Stack(#[from] crate::stack::StackError),
}

/// The function's response to the event in `event_path`, as API Gateway's JSON.
pub async fn invoke(stack: &Stack, function: &str, event_path: &str) -> Result<Value, InvokeError> {
    let text = std::fs::read_to_string(event_path)
        .map_err(|source| InvokeError::Read { path: event_path.to_owned(), source })?;
    if ["authorizer", "AuthorizerFunction"].contains(&function) {
        // The authorizer takes API Gateway's authorizer event, not an HTTP request.
        let event = serde_json::from_str(&text)
            .map_err(|source| InvokeError::Event { path: event_path.to_owned(), source })?;
        let response = authorizer::handle(&stack.verifier, event).await;
        return Ok(serde_json::to_value(response).unwrap_or_default());
    }
    let function = stack.function(function)?;
    let request = lambda_http::request::from_str(&text)
        .map_err(|source| InvokeError::Event { path: event_path.to_owned(), source })?;
    Ok(gateway_json(function.call(&stack.stores, request).await))
}

/// `{statusCode, headers, body, isBase64Encoded}`, as the Lambda runtime returns it.
pub fn gateway_json(response: Response<Body>) -> Value {
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (name.to_string(), Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()))
        })
        .collect();
    let (body, base64) = match response.body() {
        Body::Empty => (String::new(), false),
        Body::Text(text) => (text.clone(), false),
        Body::Binary(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (base64::engine::general_purpose::STANDARD.encode(bytes), true),
        },
        _ => (String::new(), false),
    };
    json!({
        "statusCode": response.status().as_u16(),
        "headers": headers,
        "body": body,
        "isBase64Encoded": base64,
    })
}

//! `invoke`: runs one function's handler on an API Gateway event file and prints the response
//! in the shape API Gateway receives from Lambda (what `sam local invoke` does, without Docker).
//! The same runs inside a serving stack for `POST /_local/invoke/{function}`, which `invoke`
//! uses when a stack holds the data folder (see [`crate::running`]).

use base64::Engine;
use lambda_http::{Body, Response};
use serde_json::{Map, Value, json};

use crate::stack::Stack;

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("cannot read the event file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not an event this function takes: {source}")]
    Event { path: String, source: serde_json::Error },
    #[error(transparent)]
    Stack(#[from] crate::stack::StackError),
    #[error("the function failed: {0}")]
    Failed(String),
    #[error("{function} runs only in AWS: {why}")]
    AwsOnly { function: String, why: &'static str },
}

/// The function's response to the event in `event_path`, as API Gateway's JSON.
pub async fn invoke(stack: &Stack, function: &str, event_path: &str) -> Result<Value, InvokeError> {
    let text = read_event(event_path)?;
    invoke_text(stack, function, &text, event_path).await
}

/// The text of an event file.
pub fn read_event(event_path: &str) -> Result<String, InvokeError> {
    std::fs::read_to_string(event_path)
        .map_err(|source| InvokeError::Read { path: event_path.to_owned(), source })
}

/// The function's response to an event given as text; `event_path` names it in errors.
pub async fn invoke_text(
    stack: &Stack,
    function: &str,
    text: &str,
    event_path: &str,
) -> Result<Value, InvokeError> {
    // The functions that do not take HTTP requests, each with its own event type.
    let typed = || Typed { text, path: event_path };
    match function {
        "authorizer" | "AuthorizerFunction" => {
            let response = authorizer::handle(&stack.verifier, typed().parse()?).await;
            return Ok(serde_json::to_value(response).unwrap_or_default());
        }
        "device-authorizer" | "DeviceAuthorizerFunction" => {
            // The policy's resources as a local account would name them.
            let arns = device_authorizer::IotArns { prefix: "arn:aws:iot:local:000000000000".into() };
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let response = device_authorizer::answer(&stack.verifier, &arns, now, typed().parse()?).await;
            return Ok(serde_json::to_value(response).unwrap_or_default());
        }
        "device-actions" | "DeviceActionsFunction" => {
            let outcome = device_actions::handle(stack.stores.shop.as_ref(), typed().parse()?)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            return Ok(match outcome {
                publish::device::Outcome::Published(event) => json!({"published": event.id}),
                publish::device::Outcome::Dropped(dropped) => json!({"dropped": format!("{dropped:?}")}),
            });
        }
        "websocket" | "WebSocketFunction" => {
            let response = websocket::handle(&stack.stores.websocket(), typed().parse()?).await;
            return Ok(serde_json::to_value(response).unwrap_or_default());
        }
        "fanout" | "FanoutFunction" => {
            // No stack is serving here, so posts to connections fail; the report says so.
            let push = bookworm_apigw::ManagementPush::local("http://127.0.0.1:9");
            let reports = stack
                .stores
                .fanout(&push)
                .handle(typed().parse()?)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            return Ok(json!(reports.iter().map(|r| json!({"delivered": r.delivered, "gone": r.gone, "failed": r.failed, "duplicate": r.duplicate})).collect::<Vec<_>>()));
        }
        "email" | "EmailFunction" => {
            let outcomes = stack
                .stores
                .notifier()
                .handle(typed().parse()?)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            return Ok(json!(outcomes.iter().map(|outcome| format!("{outcome:?}")).collect::<Vec<_>>()));
        }
        "support-away" | "SupportAwayFunction" => {
            let outcomes = stack
                .stores
                .away()
                .handle(typed().parse()?)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            return Ok(json!(outcomes.iter().map(|outcome| format!("{outcome:?}")).collect::<Vec<_>>()));
        }
        "stats" | "StatsFunction" => {
            let answer = stack
                .stores
                .stats()
                .invoke(typed().parse()?)
                .await
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            return Ok(serde_json::to_value(answer).unwrap_or_default());
        }
        "relay" | "RelayFunction" => {
            let bus = PrintedBus::default();
            let response = relay::handle(&bus, typed().parse()?).await;
            return Ok(
                json!({ "published": bus.published.into_inner().unwrap_or_default(), "response": response }),
            );
        }
        "email-retry" | "EmailRetryFunction" => {
            let why = "it reads the email dead-letter queue (SQS); locally there is none, and nothing \
                       waits to be retried: the local email function mails into the outbox at once";
            return Err(InvokeError::AwsOnly { function: function.to_owned(), why });
        }
        "search-indexer" | "SearchIndexerFunction" => {
            let why = "it builds index versions in S3 from the catalog table's stream; the local \
                       index follows every write through the stack, and `bookworm-local reindex` \
                       rebuilds it (`scripts/sam-local invoke SearchIndexerFunction` runs it on moto)";
            return Err(InvokeError::AwsOnly { function: function.to_owned(), why });
        }
        _ => {}
    }
    let function = stack.function(function)?;
    let request = lambda_http::request::from_str(text)
        .map_err(|source| InvokeError::Event { path: event_path.to_owned(), source })?;
    let answered =
        bookworm_http::metered(function.name(), request, |request| function.call(&stack.stores, request));
    Ok(gateway_json(answered.await))
}

/// An event file read as one function's event type.
struct Typed<'a> {
    text: &'a str,
    path: &'a str,
}

impl Typed<'_> {
    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, InvokeError> {
        serde_json::from_str(self.text)
            .map_err(|source| InvokeError::Event { path: self.path.to_owned(), source })
    }
}

/// The relay's topic, for `invoke`: it lists what would have been published.
#[derive(Default)]
struct PrintedBus {
    published: std::sync::Mutex<Vec<Value>>,
}

#[async_trait::async_trait]
impl bookworm_domain::ports::EventBus for PrintedBus {
    async fn publish(
        &self,
        event: &bookworm_domain::events::ShopEvent,
    ) -> Result<(), bookworm_domain::Error> {
        let mut published = self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        published.push(serde_json::to_value(event).unwrap_or_default());
        Ok(())
    }
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

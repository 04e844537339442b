//! The local event bus: what DynamoDB's stream, the relay and SNS do in AWS. Every event the
//! shop store appends reaches the fan-out function as an SNS event, in-process. Fan-out pushes
//! straight into the sockets (embedded), or, with `--push management-api`, through this
//! stack's own `@connections` API with the AWS SDK client, exactly as in Lambda.

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::sns::{MessageAttribute, SnsEvent, SnsRecord};
use bookworm_apigw::ManagementPush;
use bookworm_domain::events::ShopEvent;

use bookworm_domain::ports::Push;

use crate::stack::{PushBackend, Stack};
use crate::websocket::Sockets;

/// Starts delivering appended events; `endpoint` is this stack's own base URL.
pub fn start(stack: Arc<Stack>, endpoint: &str, sockets: Arc<Sockets>) {
    let Some(mut events) = stack.stores.shop.subscribe() else {
        tracing::warn!("the event bus is already running");
        return;
    };
    let push: Arc<dyn Push> = match stack.push {
        PushBackend::Embedded => sockets,
        PushBackend::ManagementApi => Arc::new(ManagementPush::local(endpoint)),
    };
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Err(error) = stack.stores.fanout(push.as_ref()).handle(sns_event(&event)).await {
                tracing::warn!(event = %event.id, %error, "fan-out failed");
            }
            // The email function's subscription: order events, mailed to the local outbox.
            if let Err(error) = stack.stores.notifier().handle(sns_event(&event)).await {
                tracing::warn!(event = %event.id, %error, "email failed");
            }
        }
    });
}

/// The SNS notification AWS would deliver for `event`, with its filterable attributes.
pub fn sns_event(event: &ShopEvent) -> SnsEvent {
    let attribute = |value: String| {
        let mut attribute = MessageAttribute::default();
        attribute.data_type = "String".to_owned();
        attribute.value = value;
        attribute
    };
    let mut record = SnsRecord::default();
    record.event_source = "aws:sns".to_owned();
    record.sns.message_id = event.id.to_string();
    record.sns.topic_arn = "arn:aws:sns:local:000000000000:shop-events".to_owned();
    record.sns.message = serde_json::to_string(event).unwrap_or_default();
    record.sns.message_attributes = HashMap::from([
        ("shop_id".to_owned(), attribute(event.shop_id.to_string())),
        ("type".to_owned(), attribute(event.kind().to_owned())),
    ]);
    let mut batch = SnsEvent::default();
    batch.records = vec![record];
    batch
}

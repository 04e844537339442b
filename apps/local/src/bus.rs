//! The local event bus: what DynamoDB's stream, the relay and SNS do in AWS. Every event the
//! shop store appends reaches the fan-out function as an SNS event, in-process, and the stats
//! function as the events table's stream record. Fan-out pushes
//! straight into the sockets (embedded), or, with `--push management-api`, through this
//! stack's own `@connections` API with the AWS SDK client, exactly as in Lambda.
//!
//! Fan-out shards a big shop as in Lambda (`FANOUT_SHARD_SIZE`, read as the function reads
//! it): its shards run on tasks of their own ([`shards`]), as Lambda runs them in invocations.

pub mod shards;

use std::collections::HashMap;
use std::sync::Arc;

use aws_lambda_events::sns::{MessageAttribute, SnsEvent, SnsRecord};
use bookworm_apigw::ManagementPush;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ports::Push;
use fanout::ShardSize;

use crate::sockets::Sockets;
use crate::stack::{PushBackend, Stack};
use shards::LocalShards;

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
    let size = shard_size();
    let shards = {
        let (stack, push) = (stack.clone(), push.clone());
        LocalShards::new(Arc::new(move |invocation| {
            let (stack, push) = (stack.clone(), push.clone());
            Box::pin(async move {
                let fanout = stack.stores.fanout(push.as_ref());
                stack
                    .record(bookworm_metrics::scope("fanout", None, fanout.handle(invocation)))
                    .await
                    .map(drop)
            })
        }))
    };
    tokio::spawn(async move {
        let subscriptions = &stack.subscriptions;
        while let Some(event) = events.recv().await {
            // Only what each subscription's filter policy lets through, as SNS delivers; each
            // function's invocation recorded as Lambda would (`/_local/metrics`).
            let kind = event.kind();
            // The stats function reads the events table's stream in AWS, not the topic: it
            // gets every event here and counts the order events.
            count(&stack, &event).await;
            let (to_fanout, to_email) =
                (subscriptions.fanout.accepts(kind), subscriptions.email.accepts(kind));
            if !(to_fanout || to_email) {
                continue;
            }
            // One notification, encoded once, as SNS publishes once to every subscription.
            let delivery = sns_event(&event);
            if to_fanout {
                let fanout = stack.stores.fanout(push.as_ref()).sharded(&shards, size);
                let fanned = stack.record(bookworm_metrics::scope(
                    "fanout",
                    None,
                    fanout.handle(delivery.clone().into()),
                ));
                if let Err(error) = fanned.await {
                    tracing::warn!(event = %event.id, %error, "fan-out failed");
                }
            }
            // The email function: order events, mailed to the local outbox.
            if to_email {
                let notifier = stack.stores.notifier();
                let mailed = stack.record(bookworm_metrics::scope("email", None, notifier.handle(delivery)));
                if let Err(error) = mailed.await {
                    tracing::warn!(event = %event.id, %error, "email failed");
                }
            }
        }
    });
}

/// The stats function on the event's stream record; what would wait in its dead-letter queue
/// in AWS is logged.
async fn count(stack: &Stack, event: &ShopEvent) {
    let batch = match crate::figures::stream_batch(event) {
        Ok(batch) => batch,
        Err(error) => return tracing::warn!(event = %event.id, %error, "not counted"),
    };
    let stats = stack.stores.stats();
    let response = stack.record(bookworm_metrics::scope("stats", None, stats.handle(batch))).await;
    if !response.batch_item_failures.is_empty() {
        tracing::warn!(event = %event.id, "the figures did not count the event");
    }
}

/// `FANOUT_SHARD_SIZE` as the Lambda reads it (template.yaml sets it there). The stack starts
/// whatever its value: a bad one is logged and the default taken.
fn shard_size() -> Option<ShardSize> {
    ShardSize::from_setting(std::env::var("FANOUT_SHARD_SIZE").ok().as_deref()).unwrap_or_else(|error| {
        tracing::error!(%error, "FANOUT_SHARD_SIZE ignored: sharding at the default size");
        Some(ShardSize::DEFAULT)
    })
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

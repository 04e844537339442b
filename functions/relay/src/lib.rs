//! The outbox relay. Every event is first stored in the events table (in the same write as
//! whatever caused it); this function, fed by that table's stream, publishes each new one to
//! the topic. A failed publish is reported as a batch item failure, so Lambda retries from that
//! record on: the event is delivered at least once, and consumers skip repeats by event id.

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ports::EventBus;

pub async fn handle(bus: &dyn EventBus, batch: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in batch.records {
        if record.event_name != "INSERT" {
            continue;
        }
        let Some(event) = stored_event(&record.change.new_image) else {
            tracing::error!(sequence = ?record.change.sequence_number, "a stream record without a readable event; skipped");
            continue;
        };
        if let Err(error) = bus.publish(&event).await {
            tracing::warn!(event = %event.id, %error, "publish failed; the batch resumes here");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            // Records after a failure are retried with it, keeping each shop's order.
            break;
        }
        // The event id on a line of its own: one query follows a checkout through every function.
        tracing::info!(event = %event.id, shop = %event.shop_id, kind = event.kind(), "published to the topic");
        bookworm_metrics::count("EventsRelayed", 1.0);
    }
    response
}

/// The event JSON the events table keeps in its `event` attribute.
fn stored_event(image: &serde_dynamo::Item) -> Option<ShopEvent> {
    match image.get("event")? {
        serde_dynamo::AttributeValue::S(json) => serde_json::from_str(json).ok(),
        _ => None,
    }
}

//! The relay on DynamoDB stream batches: inserts are published in order; a failed publish stops
//! the batch and names the record to resume from.

use std::sync::Mutex;

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use bookworm_domain::Error;
use bookworm_domain::contract::sample_action;
use bookworm_domain::events::{Payload, ShopEvent};
use bookworm_domain::ports::EventBus;
use serde_json::json;

struct Bus {
    published: Mutex<Vec<ShopEvent>>,
    fail_on: Option<usize>,
}

#[async_trait]
impl EventBus for Bus {
    async fn publish(&self, event: &ShopEvent) -> Result<(), Error> {
        let mut published = self.published.lock().unwrap();
        if Some(published.len()) == self.fail_on {
            return Err(Error::unavailable("publish", "throttled"));
        }
        published.push(event.clone());
        Ok(())
    }
}

fn batch(events: &[ShopEvent]) -> Event {
    let records: Vec<_> = events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            json!({
                "eventID": format!("id-{i}"), "eventName": if i == 1 { "MODIFY" } else { "INSERT" },
                "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_700_000_000, "SequenceNumber": format!("{}", 100 + i),
                    "SizeBytes": 100, "StreamViewType": "NEW_IMAGE",
                    "Keys": {"pk": {"S": "SHOP#x"}, "sk": {"S": "k"}},
                    "NewImage": {"pk": {"S": "SHOP#x"}, "event": {"S": serde_json::to_string(event).unwrap()}}
                },
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:1:table/events/stream/x"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn events(count: usize) -> Vec<ShopEvent> {
    (0..count)
        .map(|i| {
            let mut action = sample_action(bookworm_domain::ids::ShopId::random());
            action.action_id = i as i64;
            ShopEvent::checkout_action(action)
        })
        .collect()
}

#[tokio::test]
async fn the_sample_stream_event_is_published() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/relay/insert.json");
    let batch: Event = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bus = Bus { published: Mutex::new(Vec::new()), fail_on: None };
    assert!(relay::handle(&bus, batch).await.batch_item_failures.is_empty());
    let published = bus.published.lock().unwrap();
    assert_eq!(published.len(), 1);
    let Payload::CheckoutAction(action) = &published[0].payload else {
        panic!("the sample is an in-store action: {:?}", published[0]);
    };
    assert_eq!(action.product_name, "FUJI Apples");
}

#[tokio::test]
async fn inserts_are_published_in_order() {
    let events = events(4);
    let bus = Bus { published: Mutex::new(Vec::new()), fail_on: None };
    let response = relay::handle(&bus, batch(&events)).await;
    assert!(response.batch_item_failures.is_empty());
    let published = bus.published.lock().unwrap().clone();
    assert_eq!(
        published,
        [events[0].clone(), events[2].clone(), events[3].clone()],
        "the MODIFY record is not an event"
    );
}

#[tokio::test]
async fn a_failed_publish_names_the_record_to_resume_from() {
    let events = events(4);
    let bus = Bus { published: Mutex::new(Vec::new()), fail_on: Some(1) };
    let response = relay::handle(&bus, batch(&events)).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(response.batch_item_failures[0].item_identifier.as_deref(), Some("102"));
    assert_eq!(bus.published.lock().unwrap().len(), 1);
}

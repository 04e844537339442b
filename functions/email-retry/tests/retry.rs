//! The retry runs on the embedded shop (orders, claims, preferences), a fake mailer and an
//! in-memory dead-letter queue that hides what it hands out until told time has passed: what
//! is sent and deleted, what is left, and that nothing is ever sent twice.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use bookworm_domain::Error;
use bookworm_domain::contract::any_event;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::queue::{MAX_RECEIVE, MessageQueue, QueuedMessage};
use bookworm_embedded::EmbeddedShop;
use email::Notifier;
use email_retry::{MAX_MESSAGES, Report, Retrier};
use test_support::email::{Outbox, placed_order};
use test_support::sns_batch;

struct Stored {
    id: String,
    body: String,
    receives: u32,
    /// The receipt of the receive that hides it; `None` while visible.
    receipt: Option<String>,
}

/// An SQS queue in memory: a receive hides what it returns until [`Dlq::time_passes`].
#[derive(Default)]
struct Dlq {
    messages: Mutex<Vec<Stored>>,
    receive_calls: Mutex<usize>,
    issued: Mutex<u64>,
    /// Receives that succeed before every later one fails (`None`: all succeed).
    fail_after: Mutex<Option<usize>>,
}

impl Dlq {
    fn push(&self, body: impl Into<String>) {
        let mut messages = self.messages.lock().unwrap();
        let id = format!("m{}", messages.len());
        messages.push(Stored { id, body: body.into(), receives: 0, receipt: None });
    }

    /// Every visibility timeout runs out: the next hourly run.
    fn time_passes(&self) {
        for message in self.messages.lock().unwrap().iter_mut() {
            message.receipt = None;
        }
    }

    fn len(&self) -> usize {
        self.messages.lock().unwrap().len()
    }

    fn receive_counts(&self) -> Vec<u32> {
        self.messages.lock().unwrap().iter().map(|message| message.receives).collect()
    }
}

#[async_trait]
impl MessageQueue for Dlq {
    async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<QueuedMessage>, Error> {
        assert!(visibility >= Duration::from_secs(60), "longer than a run");
        let mut calls = self.receive_calls.lock().unwrap();
        if self.fail_after.lock().unwrap().is_some_and(|after| *calls >= after) {
            return Err(Error::unavailable("receive messages", "AccessDenied"));
        }
        *calls += 1;
        let mut issued = self.issued.lock().unwrap();
        let mut received = Vec::new();
        for message in self.messages.lock().unwrap().iter_mut().filter(|m| m.receipt.is_none()) {
            if received.len() == max.clamp(1, MAX_RECEIVE) {
                break;
            }
            *issued += 1;
            let receipt = format!("{}#{issued}", message.id);
            message.receives += 1;
            message.receipt = Some(receipt.clone());
            received.push(QueuedMessage {
                id: message.id.clone(),
                receipt,
                body: message.body.clone(),
                receive_count: message.receives,
            });
        }
        Ok(received)
    }

    async fn delete(&self, receipt: &str) -> Result<(), Error> {
        let mut messages = self.messages.lock().unwrap();
        let before = messages.len();
        messages.retain(|message| message.receipt.as_deref() != Some(receipt));
        if messages.len() == before {
            return Err(Error::unavailable("delete a message", "ReceiptHandleIsInvalid"));
        }
        Ok(())
    }
}

fn retrier<'a>(store: &'a EmbeddedShop, outbox: &'a Outbox, dlq: &'a Dlq) -> Retrier<'a> {
    let notifier = Notifier {
        orders: store,
        mailer: outbox,
        dedupe: store,
        preferences: store,
        sms: outbox,
        devices: store,
        push: Box::leak(Box::default()) as &test_support::email::Phones,
    };
    Retrier { notifier, queue: dlq }
}

fn in_a_minute() -> SystemTime {
    SystemTime::now() + Duration::from_secs(60)
}

async fn run(retrier: &Retrier<'_>) -> Report {
    retrier.handle(EventBridgeEvent::default(), in_a_minute()).await.unwrap()
}

/// What Lambda puts in the dead-letter queue: the SNS event it invoked the email function with.
fn dead_letter(event: &ShopEvent) -> String {
    serde_json::to_string(&sns_batch(event)).unwrap()
}

#[tokio::test]
async fn a_dead_letter_is_sent_and_deleted() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (order, event) = placed_order(&store, Some("ann@example.com")).await;
    dlq.push(dead_letter(&event));

    let report = run(&retrier(&store, &outbox, &dlq)).await;
    assert_eq!(report, Report { retried: 1, sent: 1, ..Report::default() });
    let sent = outbox.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "BookWorm: Your Order Has Been Received Successfully");
    assert!(sent[0].text.contains(&order.id.to_string()));
    assert_eq!(dlq.len(), 0, "deleted");
}

#[tokio::test]
async fn a_failed_retry_is_left_and_the_next_run_sends_it_once() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    dlq.push(dead_letter(&event));
    let retrier = retrier(&store, &outbox, &dlq);

    *outbox.fail.lock().unwrap() = true;
    assert_eq!(run(&retrier).await, Report { retried: 1, failed: 1, ..Report::default() });
    assert_eq!(dlq.len(), 1, "left in the queue");
    *outbox.fail.lock().unwrap() = false;
    assert_eq!(run(&retrier).await, Report::default(), "hidden until its visibility timeout ends");

    dlq.time_passes();
    assert_eq!(run(&retrier).await, Report { retried: 1, sent: 1, ..Report::default() });
    assert_eq!(dlq.len(), 0);
    dlq.time_passes();
    assert_eq!(run(&retrier).await, Report::default());
    assert_eq!(outbox.sent.lock().unwrap().len(), 1, "exactly once");
}

#[tokio::test]
async fn an_event_already_emailed_is_deleted_without_a_second_email() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    let retrier = retrier(&store, &outbox, &dlq);
    // The email function sent it, then failed anyway (a timeout after the send, say).
    retrier.notifier.handle(sns_batch(&event)).await.unwrap();
    dlq.push(dead_letter(&event));

    assert_eq!(run(&retrier).await, Report { retried: 1, duplicates: 1, ..Report::default() });
    assert_eq!(dlq.len(), 0, "deleted");
    assert_eq!(outbox.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn unreadable_messages_are_left_and_counted_and_the_rest_still_sent() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    dlq.push("not json at all");
    dlq.push(r#"{"Records": []}"#);
    dlq.push(r#"{"detail-type": "Scheduled Event"}"#);
    let mut not_an_event = sns_batch(&event);
    not_an_event.records[0].sns.message = "plain text".into();
    dlq.push(serde_json::to_string(&not_an_event).unwrap());
    dlq.push(dead_letter(&event));

    let report = run(&retrier(&store, &outbox, &dlq)).await;
    assert_eq!(report, Report { retried: 5, sent: 1, unreadable: 4, ..Report::default() });
    assert_eq!(dlq.len(), 4, "left, for the queue to park");
    assert_eq!(outbox.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_email_functions_own_event_is_read_and_a_missing_order_fails() {
    // The sample event of the email function, as Lambda would park it; its order is not here.
    // (The second sample is the same event for a buyer with push on: the first is enough here.)
    let sample =
        test_support::sample_events("email", &["checkout-completed.json", "checkout-completed-push.json"]);
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    dlq.push(sample[0].1.clone());
    let report = run(&retrier(&store, &outbox, &dlq)).await;
    assert_eq!(report, Report { retried: 1, failed: 1, ..Report::default() });
    assert_eq!(dlq.len(), 1);
}

#[tokio::test]
async fn a_run_is_bounded_and_ends_at_the_first_empty_receive() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    // Not order events: handled (nothing to send) and deleted, cheaply.
    let other = |_: usize| any_event(bookworm_domain::ids::ShopId::random());
    for i in 0..MAX_MESSAGES + 5 {
        dlq.push(dead_letter(&other(i)));
    }
    let retrier = retrier(&store, &outbox, &dlq);

    assert_eq!(
        run(&retrier).await,
        Report { retried: MAX_MESSAGES, sent: MAX_MESSAGES, ..Report::default() }
    );
    assert_eq!(*dlq.receive_calls.lock().unwrap(), MAX_MESSAGES / MAX_RECEIVE);
    assert_eq!(dlq.len(), 5, "for the next run");

    assert_eq!(run(&retrier).await, Report { retried: 5, sent: 5, ..Report::default() });
    assert_eq!(*dlq.receive_calls.lock().unwrap(), MAX_MESSAGES / MAX_RECEIVE + 2, "5, then empty: done");
    assert!(dlq.receive_counts().is_empty());
}

#[tokio::test]
async fn only_an_unreadable_queue_fails_the_run() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let retrier = retrier(&store, &outbox, &dlq);
    *dlq.fail_after.lock().unwrap() = Some(0);
    let error = retrier.handle(EventBridgeEvent::default(), in_a_minute()).await.unwrap_err();
    assert!(matches!(error, Error::Unavailable { .. }), "{error}");

    // A receive failing after others worked ends the run with what it did.
    for i in 0..15 {
        dlq.push(format!("unreadable {i}"));
    }
    *dlq.fail_after.lock().unwrap() = Some(1);
    *dlq.receive_calls.lock().unwrap() = 0;
    assert_eq!(run(&retrier).await, Report { retried: 10, unreadable: 10, ..Report::default() });
}

#[tokio::test]
async fn nothing_is_started_near_the_deadline() {
    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (_, event) = placed_order(&store, Some("ann@example.com")).await;
    dlq.push(dead_letter(&event));
    let retrier = retrier(&store, &outbox, &dlq);
    let soon = SystemTime::now() + email_retry::RESERVE / 2;
    assert_eq!(retrier.handle(EventBridgeEvent::default(), soon).await.unwrap(), Report::default());
    assert_eq!(dlq.receive_counts(), [0], "not even received");
}

#[tokio::test]
async fn the_sample_scheduled_event_starts_a_run() {
    let sample = test_support::sample_events("email-retry", &["hourly.json"]);
    let event: EventBridgeEvent = serde_json::from_str(&sample[0].1).unwrap();
    assert_eq!((event.source.as_str(), event.detail_type.as_str()), ("aws.events", "Scheduled Event"));

    let (store, outbox, dlq) = (EmbeddedShop::in_memory().unwrap(), Outbox::default(), Dlq::default());
    let (_, order_event) = placed_order(&store, Some("ann@example.com")).await;
    dlq.push(dead_letter(&order_event));
    let report = retrier(&store, &outbox, &dlq).handle(event, in_a_minute()).await.unwrap();
    assert_eq!(report, Report { retried: 1, sent: 1, ..Report::default() });
    assert_eq!(serde_json::to_value(report).unwrap()["sent"], 1, "the function's response");
}

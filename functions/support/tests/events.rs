//! Runs the support routes on the sample events in events/support/, in a conversation's order:
//! opened by a customer about their order, taken from the queue, answered, closed (transcript
//! mailed), rated.

use std::sync::Arc;

use bookworm_domain::ids::ConnectionId;
use bookworm_domain::ports::{Delivery, Push, Reminders};
use bookworm_domain::support::AwayNotice;
use bookworm_embedded::{EmbeddedCatalog, EmbeddedShop, EmbeddedSupport, seed};
use lambda_http::{Body, Request};
use serde_json::Value;
use support::chat::Chat;
use support::live::Live;
use test_support::email::Outbox;

const CONVERSATION: &str = "441b8cd8-dcfa-5efd-8268-163438ee2aa2";

struct NoSockets;

/// Keeps the reminders left.
#[derive(Default)]
struct Reminded(std::sync::Mutex<Vec<(AwayNotice, std::time::Duration)>>);

#[async_trait::async_trait]
impl Reminders for Reminded {
    async fn remind(
        &self,
        notice: &AwayNotice,
        after: std::time::Duration,
    ) -> Result<(), bookworm_domain::Error> {
        self.0.lock().unwrap().push((*notice, after));
        Ok(())
    }
}

#[async_trait::async_trait]
impl Push for NoSockets {
    async fn push(&self, _: &ConnectionId, _: &[u8]) -> Result<Delivery, bookworm_domain::Error> {
        Ok(Delivery::Gone)
    }
    async fn disconnect(&self, _: &ConnectionId) -> Result<(), bookworm_domain::Error> {
        Ok(())
    }
}

fn request(text: &str) -> Request {
    lambda_http::request::from_str(text).expect("an API Gateway event")
}

fn body(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_conversation_from_opening_to_rating() {
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    shop.seed_order(&seed::sample_order().unwrap()).await.unwrap();
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    let store = EmbeddedSupport::open(shop.clone()).unwrap();
    let (push, outbox, reminded) = (NoSockets, Outbox::default(), Reminded::default());
    let away_delay = std::time::Duration::from_secs(600);
    let service = support::Support {
        chat: Chat {
            store: &store,
            live: Live { connections: shop.as_ref(), push: &push },
            reminders: &reminded,
            away_delay,
        },
        orders: shop.as_ref(),
        books: &catalog,
        mailer: &outbox,
        contacts: Default::default(),
    };
    let cases = [
        ("open-conversation.json", 201),
        ("open-conversation.json", 200),
        ("open-invalid.json", 400),
        ("list-own.json", 200),
        ("queue-as-customer.json", 403),
        ("queue-as-support.json", 200),
        ("get-conversation.json", 200),
        ("set-availability.json", 200),
        ("assign.json", 200),
        ("assign.json", 409),
        ("reply.json", 201),
        ("reply.json", 200),
        ("history.json", 200),
        ("rate.json", 409),
        ("close.json", 200),
        ("close.json", 200),
        ("rate.json", 201),
        ("rate.json", 409),
        ("put-canned-reply.json", 200),
        ("list-canned-replies.json", 200),
    ];
    let files: Vec<&str> =
        cases.iter().map(|(file, _)| *file).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let events: std::collections::HashMap<String, String> =
        test_support::sample_events("support", &files).into_iter().collect();
    let mut answers = Vec::new();
    for (file, status) in cases {
        let response = support::handle(&service, request(&events[file])).await;
        assert_eq!(response.status().as_u16(), status, "{file}: {}", body(&response));
        answers.push((file, body(&response)));
    }
    let answer = |n: usize| answers[n].1.clone();
    assert_eq!(answer(0)["id"], CONVERSATION, "the id the opening's client_message_id derives");
    assert_eq!(answer(0)["status"], "waiting");
    assert_eq!(answer(0)["order_id"], "7c9e6679-7425-40de-944b-e07fc1f90ae7");
    assert!(answer(0).get("customer_email").is_none(), "never shown");
    assert_eq!(answer(6)["order"]["id"], "7c9e6679-7425-40de-944b-e07fc1f90ae7", "the order, beside it");
    assert!(answer(6).get("customer_email").is_none(), "never shown");
    let errors = answer(2)["errors"].to_string();
    assert!(errors.contains("subject") && errors.contains("text"), "{errors}");
    assert_eq!(answer(5)["items"][0]["id"], CONVERSATION, "in the queue");
    assert_eq!(answer(8)["status"], "assigned");
    assert_eq!(answer(10)["author_role"], "support");
    assert_eq!(answer(11)["id"], answer(10)["id"], "the same client_message_id: the stored message");
    let history: Vec<u64> =
        answer(12)["items"].as_array().unwrap().iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_eq!(history, [2], "after seq 1, the reply only, once");
    assert_eq!(answer(16)["score"], 5);
    let reminders = reminded.0.lock().unwrap().clone();
    let conversation = CONVERSATION.parse().unwrap();
    assert_eq!(
        reminders,
        [(AwayNotice { conversation_id: conversation, seq: 2 }, away_delay)],
        "the reply, unseen: once"
    );
    let sent = outbox.sent.lock().unwrap();
    assert_eq!(sent.len(), 1, "one transcript, though closed twice");
    assert_eq!(sent[0].to, "reader@example.com");
    assert!(sent[0].text.contains("it should reach you tomorrow"), "{}", sent[0].text);
}

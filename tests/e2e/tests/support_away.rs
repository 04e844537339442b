//! The away email through the local stack: an agent answers a customer with no socket open;
//! after the delay (`SUPPORT_AWAY_DELAY_SECONDS`, one second here: this file is its own
//! process, so the setting reaches no other test) the answer is in the local outbox, once;
//! an answer the customer reads in time, or one they are connected to see, is mailed to nobody.

use std::time::Duration;

use e2e::LocalStack;
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

fn away_mail(stack: &LocalStack, text: &str) -> usize {
    let outbox = stack.stack.stores.outbox.list().unwrap();
    outbox
        .iter()
        .filter(|sent| {
            sent.email.subject.starts_with("BookWorm support answered") && sent.email.text.contains(text)
        })
        .count()
}

#[tokio::test]
async fn an_unread_answer_is_mailed_after_the_delay_and_a_read_one_is_not() {
    // SAFETY: set before the stack reads it, in this test binary's only test.
    unsafe { std::env::set_var("SUPPORT_AWAY_DELAY_SECONDS", "1") };
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    let sam = stack.token_as("sam", &["support"], &[]);
    let open = |subject: &str| json!({"subject": subject, "text": "hello?"});
    let reply = |text: &str| json!({"text": text, "client_message_id": Uuid::new_v4()});

    // Away: the answer is mailed once the delay has passed, not before.
    let (_, unread) = stack.call(&cleo, "POST", "/support/conversations", Some(open("Away"))).await;
    let path = format!("/support/conversations/{}/messages", unread["id"].as_str().unwrap());
    assert_eq!(stack.call(&sam, "POST", &path, Some(reply("First answer"))).await.0, 201);
    assert_eq!(away_mail(&stack, "First answer"), 0, "not before the delay");

    // Read in time: never mailed.
    let (_, read) = stack.call(&cleo, "POST", "/support/conversations", Some(open("Read"))).await;
    let read_id = read["id"].as_str().unwrap().to_owned();
    let (_, answer) = stack
        .call(
            &sam,
            "POST",
            &format!("/support/conversations/{read_id}/messages"),
            Some(reply("Second answer")),
        )
        .await;
    let url = format!("{}/ws?channel=support&token={cleo}", stack.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let receipt = json!({"action": "chat.read", "conversation_id": read_id, "message_id": answer["id"]});
    futures::SinkExt::send(&mut socket, tokio_tungstenite::tungstenite::Message::text(receipt.to_string()))
        .await
        .unwrap();

    // Connected: no reminder at all.
    let (_, watched) = stack.call(&cleo, "POST", "/support/conversations", Some(open("Watched"))).await;
    let watched_path = format!("/support/conversations/{}/messages", watched["id"].as_str().unwrap());
    assert_eq!(stack.call(&sam, "POST", &watched_path, Some(reply("Third answer"))).await.0, 201);
    let _ = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(away_mail(&stack, "First answer"), 1, "mailed, once");
    assert_eq!(away_mail(&stack, "Second answer"), 0, "read in time");
    assert_eq!(away_mail(&stack, "Third answer"), 0, "seen live");
}

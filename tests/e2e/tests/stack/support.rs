//! Support chat through the local stack, over real WebSockets: a customer opens a conversation,
//! an agent takes it from the queue and answers live, notes stay among agents, nothing is lost
//! or doubled across a reconnect, and everyone else's conversations are out of reach.

use std::time::Duration;

use e2e::LocalStack;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use uuid::Uuid;

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(stack: &LocalStack, token: &str) -> Socket {
    let url = format!("{}/ws?channel=support&token={token}", stack.base.replace("http://", "ws://"));
    connect_async(url).await.expect("a support socket").0
}

/// The next message of `kind` (a CloudEvent type or `chat.ack`), skipping others; `None` after
/// a second of nothing.
async fn next(socket: &mut Socket, kind: &str) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(1), socket.next()).await.ok()??.ok()?;
        let Message::Text(text) = message else { continue };
        let value: Value = serde_json::from_str(&text).ok()?;
        if value["type"] == kind {
            return Some(value);
        }
    }
}

fn message(text: &str) -> Value {
    json!({"text": text, "client_message_id": Uuid::new_v4()})
}

#[tokio::test]
async fn an_agent_takes_a_conversation_and_both_sides_talk_live() {
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    let sam = stack.token_as("sam", &["support"], &[]);
    let (_, status) = stack.call(&sam, "PUT", "/support/agents/me", Some(json!({"status": "online"}))).await;
    assert_eq!(status["status"], "online");
    let mut agent = socket(&stack, &sam).await;
    let mut customer = socket(&stack, &cleo).await;

    let opening = json!({"subject": "Late order", "text": "Where is my parcel?"});
    let (status, conversation) = stack.call(&cleo, "POST", "/support/conversations", Some(opening)).await;
    assert_eq!(status, 201, "{conversation}");
    let id = conversation["id"].as_str().unwrap().to_owned();
    let waiting = next(&mut agent, "com.bookworm.chat.waiting").await.expect("online agents hear of it");
    assert_eq!(waiting["data"]["conversation_id"], id.as_str());
    e2e::assert_conforms_to_asyncapi(&waiting);

    let (_, queue) = stack.call(&sam, "GET", "/support/conversations?status=waiting", None).await;
    assert!(queue["items"].as_array().unwrap().iter().any(|c| c["id"] == id.as_str()));
    let (status, taken) =
        stack.call(&sam, "POST", &format!("/support/conversations/{id}/assign"), None).await;
    assert_eq!((status, taken["assignee_id"].as_str()), (200, Some("sam")));
    let assigned = next(&mut customer, "com.bookworm.chat.assigned").await.expect("the customer hears");
    assert_eq!(assigned["data"]["assignee_id"], "sam");

    // The agent answers over the socket; the customer's socket gets it, the agent an ack.
    let client_message_id = Uuid::new_v4();
    let send = json!({"action": "chat.send", "conversation_id": id, "text": "On its way!", "client_message_id": client_message_id});
    agent.send(Message::text(send.to_string())).await.unwrap();
    let ack = next(&mut agent, "chat.ack").await.expect("acknowledged");
    assert_eq!((ack["seq"].as_u64(), ack["created"].as_bool()), (Some(2), Some(true)));
    let reply = next(&mut customer, "com.bookworm.chat.message").await.expect("live to the customer");
    assert_eq!(
        (reply["data"]["text"].as_str(), reply["data"]["author_role"].as_str()),
        (Some("On its way!"), Some("support"))
    );
    e2e::assert_conforms_to_asyncapi(&reply);

    // Typing and a read receipt reach the other side.
    let typing = json!({"action": "chat.typing", "conversation_id": id});
    customer.send(Message::text(typing.to_string())).await.unwrap();
    assert_eq!(
        next(&mut agent, "com.bookworm.chat.typing").await.expect("typing")["data"]["role"],
        "customer"
    );
    let read = json!({"action": "chat.read", "conversation_id": id, "message_id": reply["data"]["id"]});
    customer.send(Message::text(read.to_string())).await.unwrap();
    assert_eq!(next(&mut agent, "com.bookworm.chat.read").await.expect("read receipt")["data"]["seq"], 2);

    // A private note: the agent's, never the customer's, on the socket or in the history.
    let note = json!({"text": "Courier says Tuesday", "client_message_id": Uuid::new_v4(), "private": true});
    let (status, _) =
        stack.call(&sam, "POST", &format!("/support/conversations/{id}/messages"), Some(note)).await;
    assert_eq!(status, 201);
    assert!(
        next(&mut customer, "com.bookworm.chat.message").await.is_none(),
        "no note on the customer's socket"
    );
    let (_, history) = stack.call(&cleo, "GET", &format!("/support/conversations/{id}/messages"), None).await;
    let texts: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Where is my parcel?", "On its way!"]);
    let (_, agents_view) =
        stack.call(&sam, "GET", &format!("/support/conversations/{id}/messages"), None).await;
    assert_eq!(agents_view["items"].as_array().unwrap().len(), 3, "agents see the note");

    // Offline: the customer's socket closes, the agent writes, the customer catches up by seq.
    drop(customer);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, missed) = stack
        .call(&sam, "POST", &format!("/support/conversations/{id}/messages"), Some(message("Anything else?")))
        .await;
    assert_eq!(status, 201);
    let (_, caught_up) =
        stack.call(&cleo, "GET", &format!("/support/conversations/{id}/messages?cursor=2"), None).await;
    assert_eq!(caught_up["items"][0]["id"], missed["id"], "the message sent while away, after seq 2");
    assert_eq!(caught_up["items"].as_array().unwrap().len(), 1);

    // Closing mails the transcript (to the local outbox), without the note.
    let (status, closed) =
        stack.call(&cleo, "POST", &format!("/support/conversations/{id}/close"), None).await;
    assert_eq!((status, closed["status"].as_str()), (200, Some("closed")));
    let mail = stack.stack.stores.outbox.list().unwrap();
    let transcript =
        mail.iter().find(|sent| sent.email.subject.contains("Late order")).expect("a transcript");
    assert!(transcript.email.text.contains("Anything else?") && !transcript.email.text.contains("Courier"));
    let (status, _) = stack
        .call(&cleo, "POST", &format!("/support/conversations/{id}/rating"), Some(json!({"score": 4})))
        .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn of_many_agents_taking_a_conversation_at_once_exactly_one_gets_it() {
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    let opening = json!({"subject": "Gift wrap", "text": "Can you wrap it?"});
    let (_, conversation) = stack.call(&cleo, "POST", "/support/conversations", Some(opening)).await;
    let path = format!("/support/conversations/{}/assign", conversation["id"].as_str().unwrap());
    let tokens: Vec<String> =
        (0..10).map(|i| stack.token_as(&format!("agent-{i}"), &["support"], &[])).collect();
    let takes = tokens.iter().map(|token| stack.call(token, "POST", &path, None));
    let statuses: Vec<u16> =
        futures::future::join_all(takes).await.into_iter().map(|(status, _)| status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 9, "{statuses:?}");
}

#[tokio::test]
async fn nobody_reaches_anyone_elses_conversation() {
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    let mallory =
        stack.token_as("mallory", &["customer", "merchant"], &["123e4567-e89b-42d3-a456-426614174000"]);
    let (_, conversation) = stack
        .call(&cleo, "POST", "/support/conversations", Some(json!({"subject": "Mine", "text": "private"})))
        .await;
    let id = conversation["id"].as_str().unwrap();
    for (method, path, body) in [
        ("GET", format!("/support/conversations/{id}"), None),
        ("GET", format!("/support/conversations/{id}/messages"), None),
        ("POST", format!("/support/conversations/{id}/messages"), Some(message("hi"))),
        ("POST", format!("/support/conversations/{id}/close"), None),
        ("POST", format!("/support/conversations/{id}/rating"), Some(json!({"score": 1}))),
    ] {
        let (status, answer) = stack.call(&mallory, method, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
    }
    let mut socket = socket(&stack, &mallory).await;
    let send = json!({"action": "chat.send", "conversation_id": id, "text": "hi", "client_message_id": Uuid::new_v4()});
    socket.send(Message::text(send.to_string())).await.unwrap();
    let refused =
        tokio::time::timeout(Duration::from_secs(1), socket.next()).await.unwrap().unwrap().unwrap();
    let refused: Value = serde_json::from_str(refused.to_text().unwrap()).unwrap();
    assert_eq!(refused["status"], 404, "{refused}");
    assert_eq!(refused["client_message_id"], send["client_message_id"], "says which message: {refused}");
    for path in
        ["/support/conversations?status=waiting", "/support/conversations?status=assigned&assignee=me"]
    {
        assert_eq!(stack.call(&mallory, "GET", path, None).await.0, 403, "{path}");
    }
    assert_eq!(
        stack.call(&mallory, "POST", &format!("/support/conversations/{id}/assign"), None).await.0,
        403
    );
    let (_, own) = stack.call(&mallory, "GET", "/support/conversations", None).await;
    assert_eq!(own["items"], json!([]), "only one's own");
}

#[tokio::test]
async fn hostile_text_and_floods_are_refused_with_the_field_named() {
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    for (body, field) in [
        (json!({"subject": "x".repeat(121), "text": "hi"}), "subject"),
        (json!({"subject": "hi", "text": "x".repeat(4001)}), "text"),
        (json!({"subject": "hi", "text": "evil\u{202E}txt"}), "text"),
        (json!({"subject": "hi\u{0007}", "text": "bell"}), "subject"),
        (json!({"subject": "hi", "text": "  \n\t "}), "text"),
    ] {
        let (status, problem) = stack.call(&cleo, "POST", "/support/conversations", Some(body)).await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (_, conversation) = stack
        .call(&cleo, "POST", "/support/conversations", Some(json!({"subject": "Flood", "text": "1"})))
        .await;
    let path = format!("/support/conversations/{}/messages", conversation["id"].as_str().unwrap());
    let mut statuses = Vec::new();
    for i in 0..61 {
        statuses.push(stack.call(&cleo, "POST", &path, Some(message(&format!("message {i}")))).await.0);
    }
    // 30 a minute: 61 sends within a minute or two (the loop may cross one turn) leave some refused.
    let (sent, refused) =
        (statuses.iter().filter(|s| **s == 201).count(), statuses.iter().filter(|s| **s == 429).count());
    assert!((30..=60).contains(&sent) && sent + refused == 61, "{statuses:?}");
    let mut opened = 1;
    while opened < 5 {
        let body = json!({"subject": format!("Another {opened}"), "text": "again"});
        assert_eq!(stack.call(&cleo, "POST", "/support/conversations", Some(body)).await.0, 201);
        opened += 1;
    }
    let response = stack
        .client
        .post(stack.url("/support/conversations"))
        .bearer_auth(&cleo)
        .json(&json!({"subject": "Sixth", "text": "today"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_conversation_holds_a_thousand_messages_then_refuses_with_409() {
    let stack = LocalStack::start().await;
    let cleo = stack.token_as("cleo", &["customer"], &[]);
    let sam = stack.token_as("sam", &["support"], &[]);
    let (_, conversation) = stack
        .call(&cleo, "POST", "/support/conversations", Some(json!({"subject": "Long", "text": "1"})))
        .await;
    let path = format!("/support/conversations/{}/messages", conversation["id"].as_str().unwrap());
    // Agents are not rate limited; the opening was message 1.
    for i in 2..=1000 {
        let (status, sent) = stack.call(&sam, "POST", &path, Some(message(&format!("{i}")))).await;
        assert_eq!((status, sent["seq"].as_u64()), (201, Some(i)), "{sent}");
    }
    let (status, problem) = stack.call(&sam, "POST", &path, Some(message("one too many"))).await;
    assert_eq!(status, 409, "{problem}");
    let (_, last) = stack.call(&cleo, "GET", &format!("{path}?cursor=999"), None).await;
    assert_eq!(last["items"][0]["seq"], 1000, "nothing past the limit was stored");
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
}

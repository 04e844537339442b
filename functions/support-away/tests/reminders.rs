//! An unread answer is mailed once when its reminder comes due; a read one, a closed
//! conversation's or a redelivered reminder mails nothing.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use bookworm_domain::ids::{ConversationId, MessageId, UserId};
use bookworm_domain::ports::{SupportStore, Written};
use bookworm_domain::support::{AuthorRole, AwayNotice, Conversation, ConversationStatus, Message};
use bookworm_embedded::{EmbeddedShop, EmbeddedSupport, seed};
use support_away::{Away, Outcome};
use test_support::email::Outbox;

fn answer(conversation: ConversationId, text: &str) -> Message {
    Message {
        id: MessageId::random(),
        conversation_id: conversation,
        seq: 0,
        author_id: UserId::new("sam").unwrap(),
        author_role: AuthorRole::Support,
        text: text.into(),
        private: false,
        created_at: "2026-12-07T10:00:00.000Z".into(),
        client_message_id: bookworm_domain::ids::EventId::derived(text).0,
    }
}

/// `message` appended to the conversation as stored now (recording an email changes it too).
async fn append(store: &EmbeddedSupport, conversation: &Conversation, message: Message) -> Conversation {
    let stored = store.conversation(conversation.id).await.unwrap().unwrap();
    let (next, numbered) = stored.append(message).unwrap();
    assert_eq!(store.append(&next, &numbered).await.unwrap(), Written::Done);
    next
}

#[tokio::test]
async fn an_unread_answer_is_mailed_once_and_a_read_one_never() {
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let store = EmbeddedSupport::open(shop.clone()).unwrap();
    let (opened, first) = seed::sample_conversation().unwrap();
    assert!(store.open(&opened, &first).await.unwrap());
    let outbox = Outbox::default();
    let away = Away { store: &store, mailer: &outbox, dedupe: shop.as_ref() };
    let id = opened.id;

    let answered = append(&store, &opened, answer(id, "It ships <today>.")).await;
    let notice = AwayNotice { conversation_id: id, seq: 2 };
    let batch: SqsEvent = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/support-away/reminder.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        away.handle(batch.clone()).await.unwrap(),
        [Outcome::Mailed],
        "the sample event is this reminder"
    );
    assert_eq!(away.handle(batch).await.unwrap(), [Outcome::Skipped], "delivered again: mailed once");
    {
        let sent = outbox.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to, "reader@example.com");
        assert!(sent[0].text.contains("It ships <today>."), "{}", sent[0].text);
        assert!(sent[0].html.contains("It ships &#60;today&#62;."), "{}", sent[0].html);
    }

    // Read before the reminder came due: nothing.
    let again = append(&store, &answered, answer(id, "Tracking: 123")).await;
    let read = again.read(AuthorRole::Customer, 3).unwrap();
    assert_eq!(again.away_mailed, 2, "the first answer is recorded as mailed");
    assert_eq!(store.save(&read).await.unwrap(), Written::Done);
    assert_eq!(away.remind(&AwayNotice { conversation_id: id, seq: 3 }).await.unwrap(), Outcome::Skipped);

    // Closed (the transcript went out), or gone: nothing either.
    let later = append(&store, &read, answer(id, "Anything else?")).await;
    let closed = Conversation {
        status: ConversationStatus::Closed,
        ..later.close("2026-12-07T11:00:00.000Z").unwrap()
    };
    assert_eq!(store.save(&closed).await.unwrap(), Written::Done);
    assert_eq!(away.remind(&AwayNotice { conversation_id: id, seq: 4 }).await.unwrap(), Outcome::Skipped);
    let unknown = AwayNotice { conversation_id: ConversationId::random(), ..notice };
    assert_eq!(away.remind(&unknown).await.unwrap(), Outcome::Skipped);
    assert_eq!(outbox.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn two_quick_answers_make_one_email() {
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let store = EmbeddedSupport::open(shop.clone()).unwrap();
    let (opened, first) = seed::sample_conversation().unwrap();
    assert!(store.open(&opened, &first).await.unwrap());
    let outbox = Outbox::default();
    let away = Away { store: &store, mailer: &outbox, dedupe: shop.as_ref() };
    let one = append(&store, &opened, answer(opened.id, "One")).await;
    append(&store, &one, answer(opened.id, "Two")).await;
    for seq in [2, 3] {
        away.remind(&AwayNotice { conversation_id: opened.id, seq }).await.unwrap();
    }
    let sent = outbox.sent.lock().unwrap();
    assert_eq!(sent.len(), 1, "one email for both");
    assert!(sent[0].text.contains("One") && sent[0].text.contains("Two"), "{}", sent[0].text);
    assert!(sent[0].text.contains("Dear reader"), "no name in the token: greeted as a reader");
}

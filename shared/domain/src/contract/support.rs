//! The contract of the support store: conversations, numbered messages, listings, quotas,
//! canned replies and availability.

use uuid::Uuid;

use super::user;
use crate::ids::{ConversationId, MessageId};
use crate::ports::{SupportStore, Written};
use crate::query::PageSize;
use crate::support::{
    AgentStatus, AuthorRole, Availability, CannedReply, Conversation, ConversationStatus, Listing, Message,
    Quota, decode_cursor,
};

fn at(minute: u32) -> String {
    format!("2026-12-07T10:{minute:02}:00.000Z")
}

fn conversation(customer: &str, minute: u32) -> Conversation {
    Conversation {
        id: ConversationId::random(),
        subject: format!("question at {minute}"),
        status: ConversationStatus::Waiting,
        customer_id: user(customer),
        customer_name: Some("Cleo".into()),
        assignee_id: None,
        order_id: None,
        book_id: None,
        created_at: at(minute),
        last_message_at: at(minute),
        waiting_since: at(minute),
        closed_at: None,
        message_count: 0,
        customer_read: 0,
        support_read: 0,
        rating: None,
        version: 1,
        customer_email: Some("cleo@example.com".into()),
        away_mailed: 0,
    }
}

fn message(author: &str, role: AuthorRole, text: &str, created_at: &str) -> Message {
    Message {
        id: MessageId::random(),
        conversation_id: ConversationId::random(),
        seq: 0,
        author_id: user(author),
        author_role: role,
        text: text.into(),
        private: false,
        created_at: created_at.into(),
        client_message_id: Uuid::new_v4(),
    }
}

/// Opens a conversation of `customer` started at `minute`, with its first message.
async fn opened<S: SupportStore>(store: &S, customer: &str, minute: u32) -> Conversation {
    let (conversation, first) = conversation(customer, minute)
        .append(message(customer, AuthorRole::Customer, "hello", &at(minute)))
        .expect("first message");
    let conversation = Conversation { version: 1, ..conversation };
    assert!(store.open(&conversation, &first).await.expect("open"));
    conversation
}

async fn all<S: SupportStore>(store: &S, listing: &Listing, limit: u32) -> Vec<Conversation> {
    let (mut items, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = store
            .conversations(listing, after.as_deref(), PageSize::new(limit).expect("size"))
            .await
            .expect("conversations");
        assert!(page.items.len() <= limit as usize);
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => after = Some(decode_cursor(&cursor).expect("the store's own cursor")),
            None => return items,
        }
    }
}

/// Runs every check against one empty store.
pub async fn support_store<S: SupportStore>(store: &S) {
    opening_twice_opens_once(store).await;
    messages_are_numbered_once_and_never_doubled(store).await;
    history_pages_in_order_and_hides_notes(store).await;
    exactly_one_of_concurrent_writes_wins(store).await;
    listings_hold_their_own_in_order(store).await;
    quotas_refuse_past_their_limit(store).await;
    canned_replies_and_availability(store).await;
}

async fn opening_twice_opens_once<S: SupportStore>(store: &S) {
    let conversation = opened(store, "dora", 1).await;
    assert_eq!(store.conversation(conversation.id).await.expect("read"), Some(conversation.clone()));
    let again = Conversation { subject: "changed".into(), ..conversation.clone() };
    let first = message("dora", AuthorRole::Customer, "again", &at(1));
    assert!(
        !store.open(&again, &Message { seq: 1, conversation_id: again.id, ..first }).await.expect("open")
    );
    assert_eq!(store.conversation(conversation.id).await.expect("read"), Some(conversation), "unchanged");
    assert_eq!(store.conversation(ConversationId::random()).await.expect("read"), None);
}

async fn messages_are_numbered_once_and_never_doubled<S: SupportStore>(store: &S) {
    let conversation = opened(store, "eve", 2).await;
    let reply = message("sam", AuthorRole::Support, "how can I help?", &at(3));
    let (next, numbered) = conversation.append(reply.clone()).expect("append");
    assert_eq!(store.append(&next, &numbered).await.expect("append"), Written::Done);
    assert_eq!(store.conversation(conversation.id).await.expect("read"), Some(next.clone()));

    // The same client id again, even from a later version: the stored message, nothing new.
    let (later, resent) = next.append(Message { id: MessageId::random(), ..reply.clone() }).expect("append");
    assert_eq!(store.append(&later, &resent).await.expect("append"), Written::Duplicate(Box::new(numbered)));
    assert_eq!(store.conversation(conversation.id).await.expect("read"), Some(next.clone()));

    // A write from an old version: stale, nothing written.
    let (stale, lost) =
        conversation.append(message("eve", AuthorRole::Customer, "lost", &at(3))).expect("append");
    assert_eq!(store.append(&stale, &lost).await.expect("append"), Written::Stale);
    let history =
        store.messages(conversation.id, 0, PageSize::new(10).expect("size"), true).await.expect("read");
    assert_eq!(history.items.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history.next_cursor, None);
}

async fn history_pages_in_order_and_hides_notes<S: SupportStore>(store: &S) {
    let mut conversation = opened(store, "fay", 4).await;
    // Same millisecond, alternating notes: the order is still total, by seq.
    for i in 0..9 {
        let mut next = message("sam", AuthorRole::Support, &format!("reply {i}"), &at(5));
        next.private = i % 3 == 0;
        let (after, numbered) = conversation.append(next).expect("append");
        assert_eq!(store.append(&after, &numbered).await.expect("append"), Written::Done);
        conversation = after;
    }
    let read = |private: bool, limit: u32| async move {
        let (mut seqs, mut after) = (Vec::new(), 0);
        loop {
            let page = store
                .messages(conversation.id, after, PageSize::new(limit).expect("size"), private)
                .await
                .expect("messages");
            assert!(page.items.len() <= limit as usize);
            seqs.extend(page.items.iter().map(|m| m.seq));
            match page.next_cursor {
                Some(cursor) => after = cursor.parse().expect("a seq"),
                None => return seqs,
            }
        }
    };
    assert_eq!(read(true, 4).await, (1..=10).collect::<Vec<_>>(), "agents read every message");
    assert_eq!(read(false, 2).await, [1, 3, 4, 6, 7, 9, 10], "customers never see notes, in any page");
    let tail =
        store.messages(conversation.id, 8, PageSize::new(5).expect("size"), false).await.expect("read");
    assert_eq!(tail.items.iter().map(|m| m.seq).collect::<Vec<_>>(), [9, 10], "catch-up after a seq");
}

async fn exactly_one_of_concurrent_writes_wins<S: SupportStore>(store: &S) {
    let conversation = opened(store, "gus", 6).await;
    let agents: Vec<String> = (0..8).map(|i| format!("agent-{i}")).collect();
    let takes = agents.iter().map(|agent| {
        let taken = conversation.assign(&user(agent)).expect("assignable");
        async move { store.save(&taken).await.expect("save") }
    });
    let outcomes = futures::future::join_all(takes).await;
    assert_eq!(outcomes.iter().filter(|o| **o == Written::Done).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, Written::Done | Written::Stale)));
    let stored = store.conversation(conversation.id).await.expect("read").expect("there");
    assert_eq!(stored.status, ConversationStatus::Assigned);
    assert_eq!(stored.version, conversation.version + 1);
}

async fn listings_hold_their_own_in_order<S: SupportStore>(store: &S) {
    let mut hal = Vec::new();
    for minute in [20, 22, 21, 23] {
        hal.push(opened(store, "hal", minute).await);
    }
    let assigned = hal[1].assign(&user("kim")).expect("assign");
    assert_eq!(store.save(&assigned).await.expect("save"), Written::Done);
    let closed = hal[3].close(&at(40)).expect("close");
    assert_eq!(store.save(&closed).await.expect("save"), Written::Done);

    let subjects = |conversations: Vec<Conversation>| -> Vec<String> {
        conversations.into_iter().map(|c| c.subject).collect()
    };
    let mine = all(store, &Listing::Customer(user("hal")), 3).await;
    assert_eq!(subjects(mine), ["question at 23", "question at 22", "question at 21", "question at 20"]);
    let waiting = all(store, &Listing::Queue(ConversationStatus::Waiting), 2).await;
    let waiting: Vec<_> = waiting.into_iter().filter(|c| c.customer_id == user("hal")).collect();
    assert_eq!(subjects(waiting), ["question at 20", "question at 21"], "oldest waiting first");
    let kims = all(store, &Listing::Assigned(user("kim")), 1).await;
    assert_eq!(subjects(kims), ["question at 22"]);
    let closed = all(store, &Listing::Queue(ConversationStatus::Closed), 1).await;
    assert!(closed.iter().any(|c| c.id == hal[3].id));
    assert_eq!(all(store, &Listing::Customer(user("nobody")), 5).await, []);
}

async fn quotas_refuse_past_their_limit<S: SupportStore>(store: &S) {
    let quota = Quota { key: format!("test#{}", Uuid::new_v4()), limit: 3, expires_at: 4_102_444_800 };
    let mut taken = Vec::new();
    for _ in 0..5 {
        taken.push(store.take(&quota).await.expect("take"));
    }
    assert_eq!(taken, [true, true, true, false, false]);
    let other = Quota { key: format!("test#{}", Uuid::new_v4()), ..quota };
    assert!(store.take(&other).await.expect("take"), "quotas are counted apart");
}

async fn canned_replies_and_availability<S: SupportStore>(store: &S) {
    let reply = |code: &str, text: &str| CannedReply {
        code: code.into(),
        title: format!("{code} title"),
        text: text.into(),
        updated_at: at(50),
    };
    store.put_canned_reply(&reply("shipping", "3–5 days")).await.expect("put");
    store.put_canned_reply(&reply("refund", "30 days")).await.expect("put");
    store.put_canned_reply(&reply("refund", "within 30 days")).await.expect("replace");
    let codes: Vec<_> =
        store.canned_replies().await.expect("list").into_iter().map(|r| (r.code, r.text)).collect();
    assert_eq!(codes, [("refund".into(), "within 30 days".into()), ("shipping".into(), "3–5 days".into())]);
    assert!(store.delete_canned_reply("refund").await.expect("delete"));
    assert!(!store.delete_canned_reply("refund").await.expect("delete"));
    assert_eq!(store.canned_replies().await.expect("list").len(), 1);

    let status = |agent: &str, status| AgentStatus { agent_id: user(agent), status, updated_at: at(51) };
    assert_eq!(store.availability(&user("ivy")).await.expect("read"), None);
    store.set_availability(&status("ivy", Availability::Online)).await.expect("set");
    store.set_availability(&status("jon", Availability::Online)).await.expect("set");
    store.set_availability(&status("jon", Availability::Away)).await.expect("set");
    assert_eq!(
        store.availability(&user("jon")).await.expect("read"),
        Some(status("jon", Availability::Away))
    );
    let online = store.online_agents().await.expect("online");
    assert!(online.contains(&user("ivy")) && !online.contains(&user("jon")), "{online:?}");
}

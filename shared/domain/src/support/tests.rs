use super::*;
use crate::ids::UserId;

fn user(name: &str) -> UserId {
    UserId::new(name).expect("a user id")
}

fn conversation() -> Conversation {
    Conversation {
        id: ConversationId::random(),
        subject: "Where is my order?".into(),
        status: ConversationStatus::Waiting,
        customer_id: user("ann"),
        customer_name: None,
        assignee_id: None,
        order_id: None,
        book_id: None,
        created_at: "2026-12-07T10:00:00.000Z".into(),
        last_message_at: "2026-12-07T10:00:00.000Z".into(),
        waiting_since: "2026-12-07T10:00:00.000Z".into(),
        closed_at: None,
        message_count: 0,
        customer_read: 0,
        support_read: 0,
        rating: None,
        version: 1,
        customer_email: None,
        away_mailed: 0,
    }
}

fn message(role: AuthorRole) -> Message {
    Message {
        id: MessageId::random(),
        conversation_id: ConversationId::random(),
        seq: 0,
        author_id: user("ann"),
        author_role: role,
        text: "hello".into(),
        private: false,
        created_at: "2026-12-07T10:01:00.000Z".into(),
        client_message_id: Uuid::new_v4(),
    }
}

#[test]
fn only_a_waiting_conversation_can_be_taken() {
    let waiting = conversation();
    let taken = waiting.assign(&user("sam")).expect("taken from the queue");
    assert_eq!(taken.status, ConversationStatus::Assigned);
    assert_eq!(taken.assignee_id, Some(user("sam")));
    assert_eq!(taken.version, waiting.version + 1);
    assert!(matches!(taken.assign(&user("kim")), Err(Error::Conflict(_))));
    assert!(matches!(taken.assign(&user("sam")), Err(Error::Conflict(_))), "not twice by one agent either");
    let closed = taken.close("2026-12-07T11:00:00.000Z").expect("closed");
    assert!(matches!(closed.assign(&user("kim")), Err(Error::Conflict(_))));
    assert!(matches!(closed.close("later"), Err(Error::Conflict(_))));
}

#[test]
fn messages_are_numbered_without_gaps_and_stop_at_the_limit() {
    let mut current = conversation();
    for expected in 1..=3 {
        let (next, numbered) = current.append(message(AuthorRole::Customer)).expect("appended");
        assert_eq!(numbered.seq, expected);
        assert_eq!(numbered.conversation_id, current.id);
        assert_eq!(next.message_count, expected);
        assert_eq!(next.customer_read, expected, "writing is reading");
        current = next;
    }
    let full = Conversation { message_count: MESSAGES_MAX, ..conversation() };
    assert!(matches!(full.append(message(AuthorRole::Support)), Err(Error::Conflict(_))));
    let closed = current.close("2026-12-07T11:00:00.000Z").expect("closed");
    assert!(matches!(closed.append(message(AuthorRole::Customer)), Err(Error::Conflict(_))));
}

#[test]
fn reading_never_goes_backwards_or_past_the_newest() {
    let conversation = Conversation { message_count: 5, customer_read: 3, ..conversation() };
    assert_eq!(conversation.read(AuthorRole::Customer, 2), None);
    assert_eq!(conversation.read(AuthorRole::Customer, 3), None);
    assert_eq!(conversation.read(AuthorRole::Customer, 99).map(|c| c.customer_read), Some(5));
    assert_eq!(conversation.read(AuthorRole::Support, 4).map(|c| c.support_read), Some(4));
}

#[test]
fn a_rating_needs_a_closed_conversation_and_comes_once() {
    let rating = RatingInput { score: Some(5), comment: Some(" Quick and kind ".into()) }
        .validate("2026-12-07T12:00:00.000Z")
        .expect("valid");
    assert_eq!(rating.comment.as_deref(), Some("Quick and kind"));
    assert!(matches!(conversation().rate(rating.clone()), Err(Error::Conflict(_))));
    let closed = conversation().close("2026-12-07T11:00:00.000Z").expect("closed");
    let rated = closed.rate(rating.clone()).expect("rated");
    assert!(matches!(rated.rate(rating), Err(Error::Conflict(_))));
    for score in [None, Some(0), Some(6)] {
        let error = RatingInput { score, comment: None }.validate("now").expect_err("refused");
        assert!(error.to_string().contains("score"), "{error}");
    }
}

#[test]
fn an_opening_is_checked_field_by_field() {
    let opening = |subject: &str, text: &str| NewConversation {
        subject: subject.into(),
        text: text.into(),
        order_id: None,
        book_id: None,
        client_message_id: None,
    };
    let error = opening(" ", &"x".repeat(TEXT_MAX + 1)).validate().err().expect("refused");
    let text = error.to_string();
    assert!(text.contains("subject: is required") && text.contains("text: must be at most 4000"), "{text}");
    let error = opening("Hi\u{202E}", "fine").validate().err().expect("refused");
    assert!(error.to_string().contains("subject: must not contain bidirectional"), "{error}");
    assert!(opening("Hi", "line one\nline\ttwo").validate().is_ok());
    let both = NewConversation {
        order_id: Some(OrderId::random()),
        book_id: Some(BookId::random()),
        ..opening("Hi", "there")
    };
    assert!(both.validate().err().expect("refused").to_string().contains("book_id"));
}

#[test]
fn the_same_opening_names_the_same_conversation() {
    let opening = || NewConversation {
        subject: "Hi".into(),
        text: "there".into(),
        order_id: None,
        book_id: None,
        client_message_id: Some(Uuid::from_u128(7)),
    };
    let (first, again) = (opening().validate().expect("valid"), opening().validate().expect("valid"));
    assert_eq!(first.conversation_id(&user("ann")), again.conversation_id(&user("ann")));
    assert_ne!(first.conversation_id(&user("ann")), first.conversation_id(&user("bob")));
}

#[test]
fn listings_sort_by_their_own_keys() {
    let closed = conversation().close("2026-12-07T11:00:00.000Z").expect("closed");
    assert!(closed.key_in(&Listing::Queue(ConversationStatus::Closed)).starts_with("2026-12-07T11:00"));
    assert!(Listing::Queue(ConversationStatus::Waiting).ascending());
    assert!(!Listing::Customer(user("ann")).ascending());
    let key = conversation().activity_key();
    assert_eq!(decode_cursor(&encode_cursor(&key)).expect("round trip"), key);
    assert!(decode_cursor("bm9wZQ").is_err(), "not a key this listing made");
}

#[test]
fn quotas_reset_with_their_window() {
    let now = 1_700_000_030;
    let minute = Quota::messages(&user("ann"), now);
    assert_eq!(minute.expires_at, 1_700_000_040);
    let Error::TooMany { retry_after, .. } = minute.exceeded("messages a minute", now) else {
        panic!("a 429")
    };
    assert_eq!(retry_after, 10);
    assert_eq!(Quota::conversations(&user("ann"), now).limit, CONVERSATIONS_PER_DAY);
    assert!(canned_code("code", "refund-policy").is_ok());
    for bad in ["", "-x", "Refund", "a b", &"a".repeat(33)] {
        assert!(canned_code("code", bad).is_err(), "{bad:?}");
    }
}

//! Support chat over HTTPS (the WebSocket side is the `websocket` function, through [`chat`]).
//!
//! Customers (any signed-in caller):
//! - `POST /support/conversations`: open one (subject, first message, optionally one of their
//!   orders or a book); at most [`CONVERSATIONS_PER_DAY`] a day (429).
//! - `GET /support/conversations` (their own, newest activity first), `GET …/{id}`.
//! - `GET`, `POST …/{id}/messages`: the history (oldest first, `cursor` = the last `seq` you
//!   have) and a new message, idempotent by `client_message_id`; at most
//!   [`MESSAGES_PER_MINUTE`] a minute (429).
//! - `POST …/{id}/close` (its customer or agent, an admin): the transcript goes to the
//!   customer's verified email. `POST …/{id}/rating`: once, when closed, by its customer.
//!
//! Agents (`support`, `admin`): the queue (`?status=waiting|assigned|closed`, `assignee=me`),
//! `assign` (exactly one of racing agents wins), `unassign`, `transfer`, private notes, canned
//! replies (admins write them) and their availability (`/support/agents/me`).
//!
//! Anyone else's conversation is a 404 on every route.

pub mod chat;
pub mod live;
pub mod transcript;

use bookworm_domain::Error;
use bookworm_domain::catalog::Book;
use bookworm_domain::clock::{now_rfc3339, unix_now};
use bookworm_domain::identity::{ContactPolicy, Principal, Role};
use bookworm_domain::ids::{ConversationId, UserId};
use bookworm_domain::mail::Mailer;
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{BookReader, OrderStore};
use bookworm_domain::query::{Page, PageSize};
use bookworm_domain::support::{
    AgentStatus, AvailabilityInput, CannedReplyInput, Conversation, ConversationStatus, Listing, Message,
    NewConversation, NewMessage, Quota, RatingInput, TransferInput, canned_code, decode_cursor, is_agent,
};
pub use bookworm_domain::support::{CONVERSATIONS_PER_DAY, MESSAGES_PER_MINUTE};
use bookworm_http::access::Access;
use bookworm_http::{
    Outcome, QueryParams, Routes, json, json_body, no_content, path_parameter, respond, route,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use chat::{Chat, shown};
use live::Kind;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Open,
    List,
    Get,
    History,
    Send,
    Close,
    Rate,
    Assign,
    Unassign,
    Transfer,
    CannedReplies,
    PutCannedReply,
    DeleteCannedReply,
    GetAvailability,
    SetAvailability,
}

const AGENTS: Access = Access::AnyOf(&[Role::Support, Role::Admin]);
const ADMINS: Access = Access::AnyOf(&[Role::Admin]);

pub const ROUTES: Routes<Op> = Routes::new(&[
    route("POST /support/conversations", Access::SignedIn, Op::Open),
    route("GET /support/conversations", Access::SignedIn, Op::List),
    route("GET /support/conversations/{id}", Access::SignedIn, Op::Get),
    route("GET /support/conversations/{id}/messages", Access::SignedIn, Op::History),
    route("POST /support/conversations/{id}/messages", Access::SignedIn, Op::Send),
    route("POST /support/conversations/{id}/close", Access::SignedIn, Op::Close),
    route("POST /support/conversations/{id}/rating", Access::SignedIn, Op::Rate),
    route("POST /support/conversations/{id}/assign", AGENTS, Op::Assign),
    route("POST /support/conversations/{id}/unassign", AGENTS, Op::Unassign),
    route("POST /support/conversations/{id}/transfer", AGENTS, Op::Transfer),
    route("GET /support/canned-replies", AGENTS, Op::CannedReplies),
    route("PUT /support/canned-replies/{code}", ADMINS, Op::PutCannedReply),
    route("DELETE /support/canned-replies/{code}", ADMINS, Op::DeleteCannedReply),
    route("GET /support/agents/me", AGENTS, Op::GetAvailability),
    route("PUT /support/agents/me", AGENTS, Op::SetAvailability),
]);

/// The query parameters of `GET /support/conversations`.
pub const LIST_PARAMETERS: [&str; 4] = ["status", "assignee", "cursor", "limit"];
/// The query parameters of `GET /support/conversations/{id}/messages`.
pub const HISTORY_PARAMETERS: [&str; 2] = ["cursor", "limit"];

/// What the support and websocket functions read to reach sockets and leave reminders.
pub struct ChatSettings {
    /// `WEBSOCKET_ENDPOINT`: the WebSocket API's management endpoint.
    pub websocket_endpoint: String,
    /// `SUPPORT_AWAY_QUEUE_URL`: where reminders to mail an unread answer wait.
    pub away_queue_url: String,
    /// `SUPPORT_AWAY_DELAY_SECONDS` (0–900, 600 when unset): how long they wait.
    pub away_delay: std::time::Duration,
}

impl ChatSettings {
    pub fn from_env() -> Result<Self, Error> {
        use bookworm_dynamodb::required_env;
        Ok(Self {
            websocket_endpoint: required_env("WEBSOCKET_ENDPOINT")?,
            away_queue_url: required_env("SUPPORT_AWAY_QUEUE_URL")?,
            away_delay: bookworm_domain::support::away_delay(
                std::env::var("SUPPORT_AWAY_DELAY_SECONDS").ok().as_deref(),
            )?,
        })
    }
}

/// What the function works with.
pub struct Support<'a> {
    pub chat: Chat<'a>,
    /// Whose an order is, for a conversation about one.
    pub orders: &'a dyn OrderStore,
    /// Whether a book exists, for a conversation about one.
    pub books: &'a dyn BookReader,
    /// Where transcripts go.
    pub mailer: &'a dyn Mailer,
    /// Which of the caller's emails count as verified, for the transcript.
    pub contacts: ContactPolicy,
}

pub async fn handle(service: &Support<'_>, request: Request) -> Response<Body> {
    let outcome = dispatch(service, &request).await;
    respond(&request, outcome)
}

async fn dispatch(service: &Support<'_>, request: &Request) -> Outcome {
    let call = ROUTES.resolve(request)?;
    let caller = call.caller()?;
    let id = || ConversationId::parse("id", path_parameter(request, "id").unwrap_or_default());
    let chat = &service.chat;
    match call.op {
        Op::Open => open(service, caller, json_body(request)?).await,
        Op::List => list(service, caller, &QueryParams::parse(request, &LIST_PARAMETERS)?).await,
        Op::Get => json(StatusCode::OK, &detail(service, chat.visible(caller, id()?).await?).await?),
        Op::History => {
            history(service, caller, id()?, &QueryParams::parse(request, &HISTORY_PARAMETERS)?).await
        }
        Op::Send => {
            let sent = chat.send(caller, id()?, json_body::<NewMessage>(request)?).await?;
            let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
            json(status, &sent.message)
        }
        Op::Close => close(service, caller, id()?).await,
        Op::Rate => {
            let rating = json_body::<RatingInput>(request)?.validate(&now_rfc3339())?;
            let rated = chat
                .update(caller, id()?, None, |current| {
                    if !current.is_customer(caller) {
                        return Err(Error::Forbidden("only the conversation's customer rates it".into()));
                    }
                    current.rate(rating.clone())
                })
                .await?;
            json(StatusCode::CREATED, &rated.rating)
        }
        Op::Assign => json(
            StatusCode::OK,
            &shown(&chat.update(caller, id()?, Some(Kind::Assigned), |c| c.assign(&caller.user_id)).await?),
        ),
        Op::Unassign => {
            let now = now_rfc3339();
            let unassigned = chat
                .update(caller, id()?, Some(Kind::Assigned), |current| {
                    managed_by(current, caller)?;
                    current.unassign(&now)
                })
                .await?;
            json(StatusCode::OK, &shown(&unassigned))
        }
        Op::Transfer => transfer(service, caller, id()?, json_body(request)?).await,
        Op::CannedReplies => {
            json(StatusCode::OK, &serde_json::json!({"items": chat.store.canned_replies().await?}))
        }
        Op::PutCannedReply => {
            let code = path_parameter(request, "code").unwrap_or_default();
            let reply = json_body::<CannedReplyInput>(request)?.validate(code, &now_rfc3339())?;
            chat.store.put_canned_reply(&reply).await?;
            json(StatusCode::OK, &reply)
        }
        Op::DeleteCannedReply => {
            let code = canned_code("code", path_parameter(request, "code").unwrap_or_default())?;
            match chat.store.delete_canned_reply(&code).await? {
                true => Ok(no_content()),
                false => Err(Error::not_found("canned reply", code)),
            }
        }
        Op::GetAvailability => {
            let status = chat.store.availability(&caller.user_id).await?;
            status.map_or_else(
                || Err(Error::not_found("availability of agent", &caller.user_id)),
                |s| json(StatusCode::OK, &s),
            )
        }
        Op::SetAvailability => {
            let input: AvailabilityInput = json_body(request)?;
            let status = AgentStatus {
                agent_id: caller.user_id.clone(),
                status: input.status,
                updated_at: now_rfc3339(),
            };
            chat.store.set_availability(&status).await?;
            json(StatusCode::OK, &status)
        }
    }
}

async fn open(service: &Support<'_>, caller: &Principal, input: NewConversation) -> Outcome {
    let opening = input.validate()?;
    if let Some(order) = opening.order_id {
        let own = service.orders.order(order).await?.is_some_and(|order| order.buyer_id == caller.user_id);
        if !own {
            return Err(Error::invalid("order_id", "is not one of your orders"));
        }
    }
    if let Some(book) = opening.book_id
        && service.books.get_book(book).await?.is_none()
    {
        return Err(Error::invalid("book_id", "no book has this id"));
    }
    let id = opening.conversation_id(&caller.user_id);
    // The same opening sent again: the conversation it made, not another (nor a quota spent).
    if let Some(existing) = service.chat.store.conversation(id).await? {
        return json(StatusCode::OK, &shown(&existing));
    }
    let quota = Quota::conversations(&caller.user_id, unix_now());
    if !service.chat.store.take(&quota).await? {
        return Err(quota.exceeded("new conversations a day", unix_now()));
    }
    let now = now_rfc3339();
    let conversation = Conversation {
        id,
        subject: opening.subject,
        status: ConversationStatus::Waiting,
        customer_id: caller.user_id.clone(),
        // The token's name, never its username (a phone number at some issuers).
        customer_name: caller.name.clone(),
        assignee_id: None,
        order_id: opening.order_id,
        book_id: opening.book_id,
        created_at: now.clone(),
        last_message_at: now.clone(),
        waiting_since: now.clone(),
        closed_at: None,
        message_count: 0,
        customer_read: 0,
        support_read: 0,
        rating: None,
        version: 0,
        customer_email: caller.contact_email(service.contacts),
        away_mailed: 0,
    };
    let first = Message {
        id: bookworm_domain::support::message_id(id, opening.client_message_id),
        conversation_id: id,
        seq: 0,
        author_id: caller.user_id.clone(),
        author_role: bookworm_domain::support::AuthorRole::Customer,
        text: opening.text,
        private: false,
        created_at: now,
        client_message_id: opening.client_message_id,
    };
    let (conversation, first) = conversation.append(first)?;
    if !service.chat.store.open(&conversation, &first).await? {
        let existing =
            service.chat.store.conversation(id).await?.ok_or_else(|| Error::not_found("conversation", id))?;
        return json(StatusCode::OK, &shown(&existing));
    }
    service.chat.announce_new(&conversation).await;
    json(StatusCode::CREATED, &shown(&conversation))
}

/// A conversation with what it is about: the order (its customer's own) or the book, as stored
/// now, for the agent answering (and the customer) to see beside it.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The order `order_id` names, if it still exists.
    pub order: Option<Order>,
    /// The book `book_id` names, if it is still in the catalog.
    pub book: Option<Book>,
}

async fn detail(service: &Support<'_>, conversation: Conversation) -> Result<ConversationDetail, Error> {
    let order = match conversation.order_id {
        Some(id) => {
            service.orders.order(id).await?.filter(|order| order.buyer_id == conversation.customer_id)
        }
        None => None,
    };
    let book = match conversation.book_id {
        Some(id) => service.books.get_book(id).await?,
        None => None,
    };
    Ok(ConversationDetail { conversation: shown(&conversation), order, book })
}

async fn list(service: &Support<'_>, caller: &Principal, query: &QueryParams) -> Outcome {
    let status = query.get("status").map(|text| ConversationStatus::parse("status", text)).transpose()?;
    let assignee = match query.get("assignee") {
        None => None,
        Some("me") => Some(caller.user_id.clone()),
        Some(_) => return Err(Error::invalid("assignee", "must be me")),
    };
    let listing = match (status, assignee) {
        (None, None) => Listing::Customer(caller.user_id.clone()),
        _ if !is_agent(caller) => return Err(Error::Forbidden("only support agents see the queue".into())),
        (Some(ConversationStatus::Assigned) | None, Some(agent)) => Listing::Assigned(agent),
        (Some(_), Some(_)) => return Err(Error::invalid("assignee", "goes with status=assigned only")),
        (Some(status), None) => Listing::Queue(status),
    };
    let after = query.get("cursor").map(decode_cursor).transpose()?;
    let limit = query.page_size()?.unwrap_or_default();
    let page = service.chat.store.conversations(&listing, after.as_deref(), limit).await?;
    json(
        StatusCode::OK,
        &Page { items: page.items.iter().map(shown).collect(), next_cursor: page.next_cursor },
    )
}

async fn history(
    service: &Support<'_>,
    caller: &Principal,
    id: ConversationId,
    query: &QueryParams,
) -> Outcome {
    let conversation = service.chat.visible(caller, id).await?;
    let after = match query.get("cursor") {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| Error::invalid("cursor", "must be the seq of a message (a whole number)"))?,
    };
    let limit = query.page_size()?.unwrap_or_default();
    let agent = chat::side(&conversation, caller) == bookworm_domain::support::AuthorRole::Support;
    json(StatusCode::OK, &service.chat.store.messages(id, after, limit, agent).await?)
}

/// May `caller` hand the conversation on or put it back: its agent, or an admin.
fn managed_by(conversation: &Conversation, caller: &Principal) -> Result<(), Error> {
    if conversation.assignee_id.as_ref() == Some(&caller.user_id) || caller.has(Role::Admin) {
        Ok(())
    } else {
        Err(Error::Forbidden("only its agent or an admin hands a conversation on".into()))
    }
}

async fn transfer(
    service: &Support<'_>,
    caller: &Principal,
    id: ConversationId,
    input: TransferInput,
) -> Outcome {
    let agent = UserId::parse("agent_id", &input.agent_id)?;
    if service.chat.store.availability(&agent).await?.is_none() {
        return Err(Error::invalid(
            "agent_id",
            "is not a support agent (one who has set their availability)",
        ));
    }
    let moved = service
        .chat
        .update(caller, id, Some(Kind::Assigned), |current| {
            managed_by(current, caller)?;
            current.transfer(&agent)
        })
        .await?;
    json(StatusCode::OK, &shown(&moved))
}

async fn close(service: &Support<'_>, caller: &Principal, id: ConversationId) -> Outcome {
    // Closing again (a retry whose answer was lost) answers as the first close did.
    let current = service.chat.visible(caller, id).await?;
    if current.status == ConversationStatus::Closed && current.may_manage(caller) {
        return json(StatusCode::OK, &shown(&current));
    }
    let now = now_rfc3339();
    let closed = service
        .chat
        .update(caller, id, Some(Kind::Closed), |current| {
            if !current.may_manage(caller) {
                return Err(Error::Forbidden("only its customer, its agent or an admin closes it".into()));
            }
            current.close(&now)
        })
        .await?;
    // The close stands whether or not the mail goes out: a failure is logged and counted.
    if let Err(error) = send_transcript(service, &closed).await {
        tracing::warn!(%error, conversation = %id, "could not send the transcript");
        bookworm_metrics::count("TranscriptsFailed", 1.0);
    }
    json(StatusCode::OK, &shown(&closed))
}

async fn send_transcript(service: &Support<'_>, conversation: &Conversation) -> Result<(), Error> {
    let mut messages = Vec::new();
    let mut after = 0;
    loop {
        let page = service.chat.store.messages(conversation.id, after, PageSize::new(100)?, false).await?;
        after = page.items.last().map_or(after, |last| last.seq);
        messages.extend(page.items);
        if page.next_cursor.is_none() {
            break;
        }
    }
    match transcript::render(conversation, &messages)? {
        Some(email) => service.mailer.send(&email).await,
        None => Ok(()),
    }
}

//! The support table: conversations, their numbered messages, a key per client message id,
//! customers' quotas, canned replies and agents' availability, all in one table (`pk`, `sk`).
//! A message and its conversation are written in one `TransactWriteItems`; every listing is a
//! `Query`, conversations' and online agents' on sparse GSIs. See `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use bookworm_domain::Error;
use bookworm_domain::ids::{ConversationId, MessageId, UserId};
use bookworm_domain::ports::{SupportStore, Written};
use bookworm_domain::query::{Page, PageSize};
use bookworm_domain::support::{
    AgentStatus, Availability, CannedReply, Conversation, ConversationStatus, Listing, MESSAGES_MAX, Message,
    Quota, encode_cursor,
};
use serde::de::DeserializeOwned;

use crate::{required_env, s, transact, transact_checked, unavailable};

type Item = HashMap<String, AttributeValue>;

/// The canned replies' one partition.
const CANNED: &str = "CANNED";
/// The `online` index's one partition key value.
const ONLINE: &str = "ONLINE";

#[derive(Clone)]
pub struct DynamoSupport {
    client: Client,
    table: String,
}

impl DynamoSupport {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The table `SUPPORT_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("SUPPORT_TABLE")?))
    }
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn conversation_pk(id: ConversationId) -> String {
    format!("CONV#{id}")
}

fn conversation_key(id: ConversationId) -> Item {
    key(conversation_pk(id), "CONV")
}

/// Zero-padded to u32's ten digits, so the text order of the sort key is the order of `seq`.
fn message_sk(seq: u32) -> String {
    format!("MSG#{seq:010}")
}

fn message_key(conversation: ConversationId, seq: u32) -> Item {
    key(conversation_pk(conversation), message_sk(seq))
}

fn client_key(message: &Message) -> Item {
    key(conversation_pk(message.conversation_id), format!("CLIENT#{}", message.client_message_id))
}

fn encode<T: serde::Serialize>(value: &T, key: Item) -> Result<Item, Error> {
    let mut item: Item =
        serde_dynamo::to_item(value).map_err(|e| Error::unavailable("encode a support record", e))?;
    item.extend(key);
    Ok(item)
}

fn decode<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a support record", e))
}

/// A listing's index: its name, its partition key attribute and value, its sort key attribute.
fn index(listing: &Listing) -> (&'static str, &'static str, String, &'static str) {
    match listing {
        Listing::Customer(customer) => ("by_customer", "customer_id", customer.to_string(), "activity_key"),
        Listing::Queue(status) => ("queue", "queue", status.as_str().to_owned(), "queue_key"),
        Listing::Assigned(agent) => ("by_assignee", "assigned_to", agent.to_string(), "activity_key"),
    }
}

/// A conversation's item: its fields and its keys in the listings. `assigned_to` only while
/// assigned: a closed conversation keeps its `assignee_id` but leaves its agent's listing.
fn conversation_item(conversation: &Conversation) -> Result<Item, Error> {
    let mut item = encode(conversation, conversation_key(conversation.id))?;
    item.insert("activity_key".into(), s(conversation.activity_key()));
    item.insert("queue".into(), s(conversation.status.as_str()));
    item.insert("queue_key".into(), s(conversation.key_in(&Listing::Queue(conversation.status))));
    if let (ConversationStatus::Assigned, Some(agent)) = (conversation.status, &conversation.assignee_id) {
        item.insert("assigned_to".into(), s(agent.as_str()));
    }
    Ok(item)
}

fn message_item(message: &Message) -> Result<Item, Error> {
    encode(message, message_key(message.conversation_id, message.seq))
}

/// What a message's client id points at: its `seq`.
fn client_item(message: &Message) -> Item {
    let mut item = client_key(message);
    item.insert("seq".into(), AttributeValue::N(message.seq.to_string()));
    item
}

/// The start key that resumes a listing after the conversation whose key in it is `after`
/// (`<time>#<conversation id>`, as the domain's cursor is): the index's keys and the table's.
fn start_after(listing: &Listing, after: &str) -> Result<Item, Error> {
    let id = after.rsplit_once('#').and_then(|(_, id)| id.parse().ok());
    let id = id.ok_or_else(|| Error::invalid("cursor", "is not a cursor this listing gave"))?;
    let (_, partition, value, sort) = index(listing);
    let mut key = conversation_key(id);
    key.insert(partition.into(), s(value));
    key.insert(sort.into(), s(after));
    Ok(key)
}

fn query_limit(items: usize) -> i32 {
    i32::try_from(items).unwrap_or(i32::MAX)
}

impl DynamoSupport {
    fn put(&self, item: Item) -> PutBuilder {
        Put::builder().table_name(&self.table).set_item(Some(item))
    }

    /// `item` in a transaction, only where no item is.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, Error> {
        let put = self.put(item).condition_expression("attribute_not_exists(pk)");
        let put = put.build().map_err(|e| unavailable("build a support write", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read a support record", e))?;
        Ok(output.item)
    }

    /// Every item `query` finds, page after page.
    async fn all(&self, query: QueryFluentBuilder, context: &'static str) -> Result<Vec<Item>, Error> {
        let (mut items, mut start) = (Vec::new(), None);
        loop {
            let output = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable(context, e))?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// The message first sent with `message`'s client id in its conversation.
    async fn sent(&self, message: &Message) -> Result<Message, Error> {
        let pointer = self.get(client_key(message)).await?;
        let seq = pointer.as_ref().and_then(|item| item.get("seq")?.as_n().ok()?.parse().ok());
        let stored = match seq {
            Some(seq) => self.get(message_key(message.conversation_id, seq)).await?,
            None => None,
        };
        let stored = stored
            .ok_or_else(|| Error::unavailable("read a resent message", "its client id names no message"))?;
        decode(stored)
    }
}

#[async_trait]
impl SupportStore for DynamoSupport {
    /// One transaction: the conversation, its first message and that message's client id, each
    /// only where there is none yet.
    async fn open(&self, conversation: &Conversation, first: &Message) -> Result<bool, Error> {
        let writes = vec![
            self.put_new(conversation_item(conversation)?)?,
            self.put_new(message_item(first)?)?,
            self.put_new(client_item(first))?,
        ];
        transact(&self.client, writes, "open a conversation").await
    }

    async fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>, Error> {
        self.get(conversation_key(id)).await?.map(decode).transpose()
    }

    /// A `Query` on the listing's GSI, one item more than the page to tell whether more remain,
    /// read on when DynamoDB stops a query at 1 MB. GSIs are eventually consistent: a
    /// conversation just opened or moved may be missing from, or still in, a listing for a
    /// moment (the writes themselves are conditioned on the version, so a stale listing never
    /// lets two agents take one conversation).
    async fn conversations(
        &self,
        listing: &Listing,
        after: Option<&str>,
        limit: PageSize,
    ) -> Result<Page<Conversation>, Error> {
        let (index, partition, value, _) = index(listing);
        let wanted = limit.get() + 1;
        let mut start = after.map(|after| start_after(listing, after)).transpose()?;
        let mut found = Vec::with_capacity(wanted);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#partition = :partition")
                .expression_attribute_names("#partition", partition)
                .expression_attribute_values(":partition", s(value.clone()))
                .scan_index_forward(listing.ascending())
                .limit(query_limit(wanted - found.len()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("list conversations", e))?;
            for item in output.items.unwrap_or_default() {
                found.push(decode(item)?);
            }
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                return Ok(Page::from_lookahead_by(found, limit.get(), |last: &Conversation| {
                    encode_cursor(&last.key_in(listing))
                }));
            }
        }
    }

    async fn save(&self, conversation: &Conversation) -> Result<Written, Error> {
        let Some(before) = conversation.version.checked_sub(1) else { return Ok(Written::Stale) };
        let saved = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(conversation_item(conversation)?))
            .condition_expression("#version = :before")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":before", AttributeValue::N(before.to_string()))
            .send()
            .await;
        match saved {
            Ok(_) => Ok(Written::Done),
            Err(e)
                if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) =>
            {
                Ok(Written::Stale)
            }
            Err(e) => Err(unavailable("save a conversation", e)),
        }
    }

    /// One transaction: the message's client id and the message, each only where there is none
    /// yet, and the conversation over its version before. Which condition failed says why: the client
    /// id's, a resend (answered with the stored message, even when the conversation moved on
    /// since); otherwise another write came first (the message's `seq` is taken, the version
    /// moved).
    async fn append(&self, conversation: &Conversation, message: &Message) -> Result<Written, Error> {
        let Some(before) = conversation.version.checked_sub(1) else { return Ok(Written::Stale) };
        let over = self
            .put(conversation_item(conversation)?)
            .condition_expression("#version = :before")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":before", AttributeValue::N(before.to_string()))
            .build()
            .map_err(|e| unavailable("build a support write", e))?;
        let writes = vec![
            self.put_new(client_item(message))?,
            self.put_new(message_item(message)?)?,
            TransactWriteItem::builder().put(over).build(),
        ];
        let failed = transact_checked(&self.client, writes, "append a message").await?;
        if failed.contains(&0) {
            return Ok(Written::Duplicate(Box::new(self.sent(message).await?)));
        }
        Ok(if failed.is_empty() { Written::Done } else { Written::Stale })
    }

    /// A `Query` of the conversation's partition from the `seq` after `after`, strongly
    /// consistent (a client catching up after a pushed message finds it). Without `private`,
    /// notes are filtered out after DynamoDB read them, so a query may return fewer than it
    /// read, even none: reading goes on until the page is full or the messages end, each query
    /// reading twice as many as the one before, so a long run of notes costs a few queries.
    async fn messages(
        &self,
        conversation: ConversationId,
        after: u32,
        limit: PageSize,
        private: bool,
    ) -> Result<Page<Message>, Error> {
        let wanted = limit.get() + 1;
        let (mut found, mut start, mut batch) = (Vec::with_capacity(wanted), None, wanted);
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(conversation_pk(conversation)))
                .expression_attribute_values(":from", s(message_sk(after.saturating_add(1))))
                .expression_attribute_values(":to", s(message_sk(u32::MAX)))
                .consistent_read(true)
                .limit(query_limit(batch))
                .set_exclusive_start_key(start.take());
            if !private {
                query = query
                    .filter_expression("#private = :false")
                    .expression_attribute_names("#private", "private")
                    .expression_attribute_values(":false", AttributeValue::Bool(false));
            }
            let output = query.send().await.map_err(|e| unavailable("read a conversation's messages", e))?;
            for item in output.items.unwrap_or_default() {
                found.push(decode(item)?);
            }
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                // The cursor is the last message's seq, not where reading stopped: what was read
                // past the page is read again by the next.
                found.truncate(wanted);
                return Ok(Page::from_lookahead_by(found, limit.get(), |last: &Message| {
                    last.seq.to_string()
                }));
            }
            batch = (batch * 2).min(MESSAGES_MAX as usize);
        }
    }

    /// The conversation's messages newest first, filtered by id: a read receipt names a recent
    /// message, so this is one query page as a rule, and never more than the conversation's
    /// thousand messages.
    async fn message(&self, conversation: ConversationId, id: MessageId) -> Result<Option<Message>, Error> {
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .filter_expression("#id = :id")
                .expression_attribute_names("#id", "id")
                .expression_attribute_values(":pk", s(conversation_pk(conversation)))
                .expression_attribute_values(":from", s(message_sk(1)))
                .expression_attribute_values(":to", s(message_sk(u32::MAX)))
                .expression_attribute_values(":id", s(id.to_string()))
                .scan_index_forward(false)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("read a message", e))?;
            if let Some(item) = output.items.unwrap_or_default().into_iter().next() {
                return decode(item).map(Some);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(None);
            }
        }
    }

    /// `ADD count 1` unless the count reached the limit. TTL deletes the counter some time after
    /// `expires_at`, not at it; no counter is asked for past its end, since its key names its
    /// minute or day.
    async fn take(&self, quota: &Quota) -> Result<bool, Error> {
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("QUOTA#{}", quota.key), "QUOTA")))
            .update_expression("ADD #count :one SET expires_at = :expires")
            .condition_expression("attribute_not_exists(#count) OR #count < :limit")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(quota.limit.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(quota.expires_at.to_string()))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("count against a quota", e)),
        }
    }

    async fn put_canned_reply(&self, reply: &CannedReply) -> Result<(), Error> {
        let item = encode(reply, key(CANNED.into(), &reply.code))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("save a canned reply", e))?;
        Ok(())
    }

    async fn delete_canned_reply(&self, code: &str) -> Result<bool, Error> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(CANNED.into(), code)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable("delete a canned reply", e))?;
        Ok(output.attributes.is_some())
    }

    /// The `CANNED` partition, in the order of its sort key, the code.
    async fn canned_replies(&self) -> Result<Vec<CannedReply>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(CANNED))
            .consistent_read(true);
        self.all(query, "list canned replies").await?.into_iter().map(decode).collect()
    }

    /// The agent's item, with the `online` index's key only while online.
    async fn set_availability(&self, status: &AgentStatus) -> Result<(), Error> {
        let mut item = encode(status, key(format!("AGENT#{}", status.agent_id), "AGENT"))?;
        if status.status == Availability::Online {
            item.insert("online".into(), s(ONLINE));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("save an agent's availability", e))?;
        Ok(())
    }

    async fn availability(&self, agent: &UserId) -> Result<Option<AgentStatus>, Error> {
        self.get(key(format!("AGENT#{agent}"), "AGENT")).await?.map(decode).transpose()
    }

    /// The `online` GSI: eventually consistent, so an agent who just came online may miss an
    /// announcement for a moment (the queue listing still shows every waiting conversation).
    async fn online_agents(&self) -> Result<Vec<UserId>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("online")
            .key_condition_expression("#online = :online")
            .expression_attribute_names("#online", "online")
            .expression_attribute_values(":online", s(ONLINE));
        let items = self.all(query, "list online agents").await?;
        let agent = |item: &Item| UserId::new(item.get("agent_id")?.as_s().ok()?.as_str()).ok();
        Ok(items.iter().filter_map(agent).collect())
    }
}

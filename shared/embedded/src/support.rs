//! The embedded support store: conversations, messages, quotas, canned replies and agents'
//! availability in the shop's redb file. Conversations, quotas, replies and availability are
//! also kept in memory (read at start); messages are read from the file, by conversation and
//! `seq`, as DynamoDB's sort key keeps them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::clock::unix_now;
use bookworm_domain::ids::{ConversationId, MessageId, UserId};
use bookworm_domain::ports::{SupportStore, Written};
use bookworm_domain::query::{Page, PageSize};
use bookworm_domain::support::{
    AgentStatus, Availability, CannedReply, Conversation, Listing, Message, Quota, encode_cursor,
};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::Mutex;

use crate::EmbeddedShop;
use crate::layout::{Table, json};
use crate::shop::Change;

/// Key: the conversation id's 16 bytes. Value: the conversation as JSON.
const CONVERSATIONS: Table = TableDefinition::new("support_conversations");
/// Key: [`message_key`]. Value: the message as JSON.
const MESSAGES: Table = TableDefinition::new("support_messages");
/// Key: the conversation id's 16 bytes, then the client message id's. Value: the `seq`, 4 bytes.
const CLIENT_IDS: Table = TableDefinition::new("support_client_ids");
/// Key: the quota's key. Value: [`Counter`] as JSON.
const QUOTAS: Table = TableDefinition::new("support_quotas");
/// Key: the code. Value: the canned reply as JSON.
const CANNED: Table = TableDefinition::new("support_canned_replies");
/// Key: the agent's user id. Value: their [`AgentStatus`] as JSON.
const AGENTS: Table = TableDefinition::new("support_agents");

/// A table's row to write: the table, the key, the value.
type Row = (Table, Vec<u8>, Vec<u8>);
/// A stored row: its key and value.
type KeyValue = (Vec<u8>, Vec<u8>);

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy)]
struct Counter {
    count: u32,
    expires_at: u64,
}

#[derive(Default)]
struct State {
    conversations: HashMap<ConversationId, Conversation>,
    quotas: HashMap<String, Counter>,
    canned: BTreeMap<String, CannedReply>,
    agents: HashMap<UserId, AgentStatus>,
}

pub struct EmbeddedSupport {
    shop: Arc<EmbeddedShop>,
    /// Held across each check and its write's commit, which makes them atomic.
    state: Mutex<State>,
}

fn message_key(conversation: ConversationId, seq: u32) -> Vec<u8> {
    [conversation.0.as_bytes().as_slice(), &seq.to_be_bytes()].concat()
}

fn client_key(message: &Message) -> Vec<u8> {
    [message.conversation_id.0.as_bytes().as_slice(), message.client_message_id.as_bytes()].concat()
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::unavailable("decode a support record", e))
}

fn fail(error: impl Into<redb::Error>) -> Error {
    Error::unavailable("read the support tables", error.into())
}

impl EmbeddedSupport {
    /// The support store in `shop`'s file.
    pub fn open(shop: Arc<EmbeddedShop>) -> Result<Self, Error> {
        let txn = shop.db.begin_write().map_err(fail)?;
        for table in [CONVERSATIONS, MESSAGES, CLIENT_IDS, QUOTAS, CANNED, AGENTS] {
            txn.open_table(table).map_err(fail)?;
        }
        txn.commit().map_err(fail)?;
        let mut state = State::default();
        let txn = shop.db.begin_read().map_err(fail)?;
        let rows = |table: Table| -> Result<Vec<KeyValue>, Error> {
            let table = txn.open_table(table).map_err(fail)?;
            let rows = table.iter().map_err(fail)?;
            rows.map(|row| row.map(|(k, v)| (k.value().to_vec(), v.value().to_vec())).map_err(fail)).collect()
        };
        for (_, value) in rows(CONVERSATIONS)? {
            let conversation: Conversation = decode(&value)?;
            state.conversations.insert(conversation.id, conversation);
        }
        // Quotas that ran out are dropped, as DynamoDB's TTL does.
        let now = unix_now();
        for (key, value) in rows(QUOTAS)? {
            let counter: Counter = decode(&value)?;
            if counter.expires_at > now {
                state.quotas.insert(String::from_utf8_lossy(&key).into_owned(), counter);
            }
        }
        for (_, value) in rows(CANNED)? {
            let reply: CannedReply = decode(&value)?;
            state.canned.insert(reply.code.clone(), reply);
        }
        for (_, value) in rows(AGENTS)? {
            let status: AgentStatus = decode(&value)?;
            state.agents.insert(status.agent_id.clone(), status);
        }
        drop(txn);
        Ok(Self { shop, state: Mutex::new(state) })
    }

    /// The stored message of `message`'s client id in its conversation, if any.
    fn by_client_id(&self, message: &Message) -> Result<Option<Message>, Error> {
        let txn = self.shop.read()?;
        let Some(seq) =
            txn.open_table(CLIENT_IDS).map_err(fail)?.get(client_key(message).as_slice()).map_err(fail)?
        else {
            return Ok(None);
        };
        let seq = u32::from_be_bytes(seq.value().try_into().unwrap_or_default());
        let stored =
            txn.open_table(MESSAGES).map_err(fail)?.get(message_key(message.conversation_id, seq).as_slice());
        stored.map_err(fail)?.map(|value| decode(value.value())).transpose()
    }

    fn conversation_row(conversation: &Conversation) -> Result<Row, Error> {
        Ok((CONVERSATIONS, conversation.id.0.as_bytes().to_vec(), json(conversation)?))
    }

    fn message_rows(message: &Message) -> Result<[Row; 2], Error> {
        Ok([
            (MESSAGES, message_key(message.conversation_id, message.seq), json(message)?),
            (CLIENT_IDS, client_key(message), message.seq.to_be_bytes().to_vec()),
        ])
    }
}

#[async_trait]
impl SupportStore for EmbeddedSupport {
    async fn open(&self, conversation: &Conversation, first: &Message) -> Result<bool, Error> {
        let mut state = self.state.lock().await;
        if state.conversations.contains_key(&conversation.id) {
            return Ok(false);
        }
        let mut writes = vec![Self::conversation_row(conversation)?];
        writes.extend(Self::message_rows(first)?);
        self.shop.commit(Change { writes, ..Change::default() }).await?;
        state.conversations.insert(conversation.id, conversation.clone());
        Ok(true)
    }

    async fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>, Error> {
        Ok(self.state.lock().await.conversations.get(&id).cloned())
    }

    /// No index here: one pass over the conversations in memory picks the listing's, then
    /// those are sorted by their key as DynamoDB's index keeps them.
    async fn conversations(
        &self,
        listing: &Listing,
        after: Option<&str>,
        limit: PageSize,
    ) -> Result<Page<Conversation>, Error> {
        let state = self.state.lock().await;
        let ascending = listing.ascending();
        let mut found: Vec<(String, &Conversation)> = state
            .conversations
            .values()
            .filter(|c| listing.holds(c))
            .map(|c| (c.key_in(listing), c))
            .filter(|(key, _)| {
                after.is_none_or(|after| if ascending { key.as_str() > after } else { key.as_str() < after })
            })
            .collect();
        found.sort_by(|a, b| if ascending { a.0.cmp(&b.0) } else { b.0.cmp(&a.0) });
        let items = found.into_iter().take(limit.get() + 1).map(|(_, c)| c.clone()).collect();
        Ok(Page::from_lookahead_by(items, limit.get(), |last| encode_cursor(&last.key_in(listing))))
    }

    async fn save(&self, conversation: &Conversation) -> Result<Written, Error> {
        let mut state = self.state.lock().await;
        let current = state.conversations.get(&conversation.id).map(|c| c.version);
        if current != conversation.version.checked_sub(1) {
            return Ok(Written::Stale);
        }
        self.shop
            .commit(Change { writes: vec![Self::conversation_row(conversation)?], ..Change::default() })
            .await?;
        state.conversations.insert(conversation.id, conversation.clone());
        Ok(Written::Done)
    }

    async fn append(&self, conversation: &Conversation, message: &Message) -> Result<Written, Error> {
        let mut state = self.state.lock().await;
        if let Some(stored) = self.by_client_id(message)? {
            return Ok(Written::Duplicate(Box::new(stored)));
        }
        let current = state.conversations.get(&conversation.id).map(|c| c.version);
        if current != conversation.version.checked_sub(1) {
            return Ok(Written::Stale);
        }
        let mut writes = vec![Self::conversation_row(conversation)?];
        writes.extend(Self::message_rows(message)?);
        self.shop.commit(Change { writes, ..Change::default() }).await?;
        state.conversations.insert(conversation.id, conversation.clone());
        Ok(Written::Done)
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        after: u32,
        limit: PageSize,
        private: bool,
    ) -> Result<Page<Message>, Error> {
        let txn = self.shop.read()?;
        let table = txn.open_table(MESSAGES).map_err(fail)?;
        let (from, to) =
            (message_key(conversation, after.saturating_add(1)), message_key(conversation, u32::MAX));
        let mut items = Vec::new();
        for row in table.range(from.as_slice()..=to.as_slice()).map_err(fail)? {
            let (_, value) = row.map_err(fail)?;
            let message: Message = decode(value.value())?;
            if private || !message.private {
                items.push(message);
            }
            if items.len() > limit.get() {
                break;
            }
        }
        Ok(Page::from_lookahead_by(items, limit.get(), |last| last.seq.to_string()))
    }

    /// No index here: the conversation's messages (at most a thousand) are read in order.
    async fn message(&self, conversation: ConversationId, id: MessageId) -> Result<Option<Message>, Error> {
        let txn = self.shop.read()?;
        let table = txn.open_table(MESSAGES).map_err(fail)?;
        let (from, to) = (message_key(conversation, 0), message_key(conversation, u32::MAX));
        for row in table.range(from.as_slice()..=to.as_slice()).map_err(fail)? {
            let (_, value) = row.map_err(fail)?;
            let message: Message = decode(value.value())?;
            if message.id == id {
                return Ok(Some(message));
            }
        }
        Ok(None)
    }

    async fn take(&self, quota: &Quota) -> Result<bool, Error> {
        let mut state = self.state.lock().await;
        let now = unix_now();
        let counter = state
            .quotas
            .get(&quota.key)
            .copied()
            .filter(|counter| counter.expires_at > now)
            .unwrap_or(Counter { count: 0, expires_at: quota.expires_at });
        if counter.count >= quota.limit {
            return Ok(false);
        }
        let counter = Counter { count: counter.count + 1, ..counter };
        let row = (QUOTAS, quota.key.as_bytes().to_vec(), json(&counter)?);
        self.shop.commit(Change { writes: vec![row], ..Change::default() }).await?;
        state.quotas.insert(quota.key.clone(), counter);
        Ok(true)
    }

    async fn put_canned_reply(&self, reply: &CannedReply) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        let row = (CANNED, reply.code.as_bytes().to_vec(), json(reply)?);
        self.shop.commit(Change { writes: vec![row], ..Change::default() }).await?;
        state.canned.insert(reply.code.clone(), reply.clone());
        Ok(())
    }

    async fn delete_canned_reply(&self, code: &str) -> Result<bool, Error> {
        let mut state = self.state.lock().await;
        if !state.canned.contains_key(code) {
            return Ok(false);
        }
        let removal = (CANNED, code.as_bytes().to_vec());
        self.shop.commit(Change { removals: vec![removal], ..Change::default() }).await?;
        state.canned.remove(code);
        Ok(true)
    }

    async fn canned_replies(&self) -> Result<Vec<CannedReply>, Error> {
        Ok(self.state.lock().await.canned.values().cloned().collect())
    }

    async fn set_availability(&self, status: &AgentStatus) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        let row = (AGENTS, status.agent_id.as_str().as_bytes().to_vec(), json(status)?);
        self.shop.commit(Change { writes: vec![row], ..Change::default() }).await?;
        state.agents.insert(status.agent_id.clone(), status.clone());
        Ok(())
    }

    async fn availability(&self, agent: &UserId) -> Result<Option<AgentStatus>, Error> {
        Ok(self.state.lock().await.agents.get(agent).cloned())
    }

    async fn online_agents(&self) -> Result<Vec<UserId>, Error> {
        let state = self.state.lock().await;
        let online = state.agents.values().filter(|status| status.status == Availability::Online);
        Ok(online.map(|status| status.agent_id.clone()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn meets_the_support_store_contract() {
        let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
        bookworm_domain::contract::support_store(&EmbeddedSupport::open(shop).unwrap()).await;
    }

    #[tokio::test]
    async fn a_reopened_file_has_everything() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("shop.redb");
        let shop = Arc::new(EmbeddedShop::open(&path).unwrap());
        let support = EmbeddedSupport::open(shop.clone()).unwrap();
        bookworm_domain::contract::support_store(&support).await;
        let before = support
            .conversations(
                &Listing::Queue(bookworm_domain::support::ConversationStatus::Waiting),
                None,
                PageSize::new(100).unwrap(),
            )
            .await
            .unwrap();
        let replies = support.canned_replies().await.unwrap();
        drop((support, shop));
        let support = EmbeddedSupport::open(Arc::new(EmbeddedShop::open(&path).unwrap())).unwrap();
        let after = support
            .conversations(
                &Listing::Queue(bookworm_domain::support::ConversationStatus::Waiting),
                None,
                PageSize::new(100).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(after, before);
        assert_eq!(support.canned_replies().await.unwrap(), replies);
        let first = &after.items[0];
        let history = support.messages(first.id, 0, PageSize::new(100).unwrap(), true).await.unwrap();
        assert_eq!(history.items.len() as u32, first.message_count);
    }
}

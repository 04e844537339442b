//! The embedded shop stores: the event log (kept in a redb file, so history survives a
//! restart), open connections and consumer claims (in memory: sockets do not survive one).
//! Appended events are handed to the subscriber, as DynamoDB's stream would.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::ports::{Connection, Connections, Deduplicator, EventLog};
use bookworm_domain::query::{Page, PageSize};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Key: the shop's 16 bytes, then the event's sort key. Value: the event as JSON.
const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");

pub struct EmbeddedShop {
    db: Database,
    /// (shop, sort key) → event, for history pages.
    events: RwLock<BTreeMap<(Uuid, String), ShopEvent>>,
    connections: RwLock<HashMap<String, Connection>>,
    claims: Mutex<HashSet<(String, Uuid)>>,
    subscriber: OnceLock<mpsc::UnboundedSender<ShopEvent>>,
}

impl EmbeddedShop {
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::load(Database::create(path).map_err(|e| Error::unavailable("open the shop file", e))?)
    }

    pub fn in_memory() -> Result<Self, Error> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| Error::unavailable("create an in-memory shop store", e))?;
        Self::load(db)
    }

    fn load(db: Database) -> Result<Self, Error> {
        let fail = |e: redb::Error| Error::unavailable("read the shop file", e);
        let txn = db.begin_write().map_err(|e| fail(e.into()))?;
        txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
        txn.commit().map_err(|e| fail(e.into()))?;
        let mut events = BTreeMap::new();
        let txn = db.begin_read().map_err(|e| fail(e.into()))?;
        let table = txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
        for row in table.iter().map_err(|e| fail(e.into()))? {
            let (_, value) = row.map_err(|e| fail(e.into()))?;
            let event: ShopEvent = serde_json::from_slice(value.value())
                .map_err(|e| Error::unavailable("decode an event", e))?;
            events.insert((event.shop_id, event.sort_key()), event);
        }
        Ok(Self {
            db,
            events: RwLock::new(events),
            connections: RwLock::new(HashMap::new()),
            claims: Mutex::new(HashSet::new()),
            subscriber: OnceLock::new(),
        })
    }

    /// Every event appended from now on, in order. One subscriber: the local event bus.
    pub fn subscribe(&self) -> Option<mpsc::UnboundedReceiver<ShopEvent>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.subscriber.set(sender).ok().map(|()| receiver)
    }
}

#[async_trait]
impl EventLog for EmbeddedShop {
    async fn append(&self, event: &ShopEvent) -> Result<(), Error> {
        let fail = |e: redb::Error| Error::unavailable("write the shop file", e);
        let mut key = event.shop_id.into_bytes().to_vec();
        key.extend_from_slice(event.sort_key().as_bytes());
        let value = serde_json::to_vec(event).map_err(|e| Error::unavailable("encode an event", e))?;
        let txn = self.db.begin_write().map_err(|e| fail(e.into()))?;
        {
            let mut table = txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
            table.insert(key.as_slice(), value.as_slice()).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        self.events
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((event.shop_id, event.sort_key()), event.clone());
        if let Some(subscriber) = self.subscriber.get() {
            // A closed bus means the stack is stopping; the event is archived either way.
            let _ = subscriber.send(event.clone());
        }
        Ok(())
    }

    async fn history(
        &self,
        shop: Uuid,
        after: Option<&EventCursor>,
        limit: PageSize,
    ) -> Result<Page<ShopEvent>, Error> {
        let events = self.events.read().unwrap_or_else(PoisonError::into_inner);
        let end = match after {
            Some(cursor) => Bound::Excluded((shop, cursor.0.clone())),
            None => Bound::Included((shop, "\u{10FFFF}".to_owned())),
        };
        let mut items: Vec<ShopEvent> = events
            .range((Bound::Included((shop, String::new())), end))
            .rev()
            .take(limit.get() + 1)
            .map(|(_, event)| event.clone())
            .collect();
        let next_cursor = if items.len() > limit.get() {
            items.truncate(limit.get());
            items.last().map(|last| EventCursor::after(last).encode())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

#[async_trait]
impl Connections for EmbeddedShop {
    async fn add(&self, connection: &Connection) -> Result<(), Error> {
        let mut connections = self.connections.write().unwrap_or_else(PoisonError::into_inner);
        connections.insert(connection.id.clone(), connection.clone());
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<(), Error> {
        self.connections.write().unwrap_or_else(PoisonError::into_inner).remove(id);
        Ok(())
    }

    async fn for_shop(&self, shop: Uuid) -> Result<Vec<String>, Error> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        Ok(connections.values().filter(|c| c.shop_id == shop).map(|c| c.id.clone()).collect())
    }
}

#[async_trait]
impl Deduplicator for EmbeddedShop {
    async fn claim(&self, consumer: &str, event: Uuid) -> Result<bool, Error> {
        Ok(self.claims.lock().unwrap_or_else(PoisonError::into_inner).insert((consumer.to_owned(), event)))
    }

    async fn release(&self, consumer: &str, event: Uuid) -> Result<(), Error> {
        self.claims.lock().unwrap_or_else(PoisonError::into_inner).remove(&(consumer.to_owned(), event));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::events::kinds;
    use serde_json::json;

    #[tokio::test]
    async fn meets_the_shop_contract() {
        bookworm_domain::contract::shop_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn appended_events_reach_the_subscriber_in_order() {
        let store = EmbeddedShop::in_memory().unwrap();
        let mut bus = store.subscribe().unwrap();
        assert!(store.subscribe().is_none(), "one subscriber");
        let shop = Uuid::new_v4();
        let first = ShopEvent::new(shop, kinds::CHECKOUT_ACTION, "a".into(), json!(1));
        let second = ShopEvent::new(shop, kinds::CHECKOUT_ACTION, "b".into(), json!(2));
        store.append(&first).await.unwrap();
        store.append(&second).await.unwrap();
        assert_eq!(bus.recv().await.unwrap(), first);
        assert_eq!(bus.recv().await.unwrap(), second);
    }

    #[tokio::test]
    async fn history_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.redb");
        let event = ShopEvent::new(Uuid::new_v4(), kinds::CHECKOUT_ACTION, "a".into(), json!({"x": 1}));
        EmbeddedShop::open(&path).unwrap().append(&event).await.unwrap();
        let reopened = EmbeddedShop::open(&path).unwrap();
        let page = reopened.history(event.shop_id, None, PageSize::new(5).unwrap()).await.unwrap();
        assert_eq!(page.items, [event]);
    }
}

//! The embedded shop stores: the event log (kept in a redb file, so history survives a
//! restart), open connections and consumer claims (in memory: sockets do not survive one).
//! Appended events are handed to the subscriber, as DynamoDB's stream would.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::basket::{Basket, Order, OrderStatus, Placed};
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::mail::{PreferenceStore, Preferences};
use bookworm_domain::ports::{
    BasketStore, Claim, Connection, Connections, Deduplicator, EventLog, Listener, OrderQuery, OrderScope,
    OrderStore,
};
use bookworm_domain::query::{Page, PageSize};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Key: the shop's 16 bytes, then the event's sort key. Value: the event as JSON.
const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");
/// Key: the shop's 16 bytes, then the customer id. Value: the basket as JSON.
const BASKETS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("baskets");
/// Key: the order id's 16 bytes. Value: the order as JSON.
const ORDERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("orders");
/// Key: the user id. Value: their preferences as JSON.
const PREFERENCES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("preferences");

pub(crate) type Table = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// One atomic change: rows to write, keys to remove, events to append.
#[derive(Default)]
pub(crate) struct Change {
    pub(crate) writes: Vec<(Table, Vec<u8>, Vec<u8>)>,
    pub(crate) removals: Vec<(Table, Vec<u8>)>,
    pub(crate) events: Vec<ShopEvent>,
}

/// Baskets and orders, in memory; every change also goes to the redb file first.
#[derive(Default)]
pub(crate) struct Commerce {
    baskets: HashMap<(Uuid, String), Basket>,
    pub(crate) orders: HashMap<Uuid, Order>,
    /// "buyer\u{0}key" → order id, for idempotent checkout.
    keys: HashMap<String, Uuid>,
}

pub struct EmbeddedShop {
    pub(crate) db: Database,
    /// (shop, sort key) → event, for history pages.
    events: RwLock<BTreeMap<(Uuid, String), ShopEvent>>,
    connections: RwLock<HashMap<String, Connection>>,
    /// (consumer, event) → completed, or the instant the claim's lease runs out.
    claims: Mutex<HashMap<(String, Uuid), ClaimState>>,
    /// Held for each check-and-write, which makes version checks and their writes atomic.
    commerce: Mutex<Commerce>,
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
        for table in [EVENTS, BASKETS, ORDERS, PREFERENCES] {
            txn.open_table(table).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        let mut events = BTreeMap::new();
        let txn = db.begin_read().map_err(|e| fail(e.into()))?;
        let table = txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
        for row in table.iter().map_err(|e| fail(e.into()))? {
            let (_, value) = row.map_err(|e| fail(e.into()))?;
            // History written by an older version (basket events before they were typed) is
            // left out of the feed rather than keeping the whole stack from starting.
            match serde_json::from_slice::<ShopEvent>(value.value()) {
                Ok(event) => {
                    events.insert((event.shop_id, event.sort_key()), event);
                }
                Err(error) => tracing::warn!(%error, "skipped a stored event of an older shape"),
            }
        }
        let mut commerce = Commerce::default();
        for basket in read_all::<Basket>(&txn, BASKETS)? {
            commerce.baskets.insert((basket.shop_id, basket.customer_id.clone()), basket);
        }
        for order in read_all::<Order>(&txn, ORDERS)? {
            commerce.keys.insert(order_key(&order.buyer_id, &order.idempotency_key), order.id);
            commerce.orders.insert(order.id, order);
        }
        Ok(Self {
            db,
            events: RwLock::new(events),
            connections: RwLock::new(HashMap::new()),
            claims: Mutex::new(HashMap::new()),
            commerce: Mutex::new(commerce),
            subscriber: OnceLock::new(),
        })
    }

    /// Writes a change in one redb transaction, then shows its events to history and the bus.
    pub(crate) fn commit(&self, change: Change) -> Result<(), Error> {
        let fail = |e: redb::Error| Error::unavailable("write the shop file", e);
        let txn = self.db.begin_write().map_err(|e| fail(e.into()))?;
        {
            let mut events = txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
            for event in &change.events {
                let mut key = event.shop_id.into_bytes().to_vec();
                key.extend_from_slice(event.sort_key().as_bytes());
                let value =
                    serde_json::to_vec(event).map_err(|e| Error::unavailable("encode an event", e))?;
                events.insert(key.as_slice(), value.as_slice()).map_err(|e| fail(e.into()))?;
            }
        }
        for (table, key, value) in &change.writes {
            let mut table = txn.open_table(*table).map_err(|e| fail(e.into()))?;
            table.insert(key.as_slice(), value.as_slice()).map_err(|e| fail(e.into()))?;
        }
        for (table, key) in &change.removals {
            let mut table = txn.open_table(*table).map_err(|e| fail(e.into()))?;
            table.remove(key.as_slice()).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        let mut history = self.events.write().unwrap_or_else(PoisonError::into_inner);
        for event in change.events {
            history.insert((event.shop_id, event.sort_key()), event.clone());
            if let Some(subscriber) = self.subscriber.get() {
                // A closed bus means the stack is stopping; the event is archived either way.
                let _ = subscriber.send(event);
            }
        }
        Ok(())
    }

    pub(crate) fn lock_commerce(&self) -> std::sync::MutexGuard<'_, Commerce> {
        self.commerce.lock().unwrap_or_else(PoisonError::into_inner)
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
        self.commit(Change { events: vec![event.clone()], ..Change::default() })
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
        let items: Vec<ShopEvent> = events
            .range((Bound::Included((shop, String::new())), end))
            .rev()
            .take(limit.get() + 1)
            .map(|(_, event)| event.clone())
            .collect();
        Ok(Page::from_lookahead_by(items, limit.get(), |last| EventCursor::after(last).encode()))
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

    async fn for_shop(&self, shop: Uuid) -> Result<Vec<Listener>, Error> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        Ok(connections
            .values()
            .filter(|c| c.shop_id == shop)
            .map(|c| Listener { id: c.id.clone(), token_expires_at: c.token_expires_at })
            .collect())
    }
}

#[derive(Debug, Clone, Copy)]
enum ClaimState {
    Leased(Instant),
    Completed,
}

#[async_trait]
impl Deduplicator for EmbeddedShop {
    async fn claim(&self, consumer: &str, event: Uuid, lease: Duration) -> Result<Claim, Error> {
        let mut claims = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (consumer.to_owned(), event);
        let found = match claims.get(&key) {
            Some(ClaimState::Completed) => Claim::Done,
            Some(ClaimState::Leased(until)) if until > &Instant::now() => Claim::InProgress,
            None | Some(ClaimState::Leased(_)) => Claim::Claimed,
        };
        if found == Claim::Claimed {
            claims.insert(key, ClaimState::Leased(Instant::now() + lease));
        }
        Ok(found)
    }

    async fn complete(&self, consumer: &str, event: Uuid) -> Result<(), Error> {
        self.claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((consumer.to_owned(), event), ClaimState::Completed);
        Ok(())
    }

    async fn release(&self, consumer: &str, event: Uuid) -> Result<(), Error> {
        self.claims.lock().unwrap_or_else(PoisonError::into_inner).remove(&(consumer.to_owned(), event));
        Ok(())
    }
}

fn basket_key(shop: Uuid, customer: &str) -> Vec<u8> {
    let mut key = shop.into_bytes().to_vec();
    key.extend_from_slice(customer.as_bytes());
    key
}

/// The buyer's length first: no buyer id and key can spell another pair's record.
fn order_key(buyer: &str, idempotency_key: &str) -> String {
    format!("{}:{buyer}\u{0}{idempotency_key}", buyer.len())
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::unavailable("encode a record", e))
}

fn read_all<T: serde::de::DeserializeOwned>(
    txn: &redb::ReadTransaction,
    table: Table,
) -> Result<Vec<T>, Error> {
    let fail = |e: redb::Error| Error::unavailable("read the shop file", e);
    let table = txn.open_table(table).map_err(|e| fail(e.into()))?;
    let mut rows = Vec::new();
    for row in table.iter().map_err(|e| fail(e.into()))? {
        let (_, value) = row.map_err(|e| fail(e.into()))?;
        rows.push(
            serde_json::from_slice(value.value()).map_err(|e| Error::unavailable("decode a record", e))?,
        );
    }
    Ok(rows)
}

fn lost_race() -> Error {
    Error::Conflict("the basket was changed meanwhile".into())
}

#[async_trait]
impl BasketStore for EmbeddedShop {
    async fn basket(&self, shop: Uuid, customer: &str) -> Result<Option<Basket>, Error> {
        Ok(self.lock_commerce().baskets.get(&(shop, customer.to_owned())).cloned())
    }

    async fn save_basket(
        &self,
        basket: &Basket,
        expected: Option<u64>,
        event: &ShopEvent,
    ) -> Result<(), Error> {
        let mut commerce = self.lock_commerce();
        let key = (basket.shop_id, basket.customer_id.clone());
        if commerce.baskets.get(&key).map(|stored| (stored.id, stored.version))
            != expected.map(|v| (basket.id, v))
        {
            return Err(lost_race());
        }
        let writes = vec![(BASKETS, basket_key(basket.shop_id, &basket.customer_id), json(basket)?)];
        self.commit(Change { writes, events: vec![event.clone()], ..Change::default() })?;
        commerce.baskets.insert(key, basket.clone());
        Ok(())
    }

    async fn delete_basket(&self, basket: &Basket, expected: u64, event: &ShopEvent) -> Result<(), Error> {
        let mut commerce = self.lock_commerce();
        let key = (basket.shop_id, basket.customer_id.clone());
        if commerce.baskets.get(&key).map(|stored| (stored.id, stored.version)) != Some((basket.id, expected))
        {
            return Err(lost_race());
        }
        let removals = vec![(BASKETS, basket_key(basket.shop_id, &basket.customer_id))];
        self.commit(Change { removals, events: vec![event.clone()], ..Change::default() })?;
        commerce.baskets.remove(&key);
        Ok(())
    }
}

#[async_trait]
impl OrderStore for EmbeddedShop {
    async fn place_order(&self, order: &Order, basket: &Basket, event: &ShopEvent) -> Result<Placed, Error> {
        let mut commerce = self.lock_commerce();
        let key = (basket.shop_id, basket.customer_id.clone());
        let idempotency = order_key(&order.buyer_id, &order.idempotency_key);
        let basket_unchanged = commerce.baskets.get(&key).map(|stored| (stored.id, stored.version))
            == Some((basket.id, basket.version));
        if !basket_unchanged || commerce.keys.contains_key(&idempotency) {
            return Ok(Placed::BasketChanged);
        }
        let change = Change {
            writes: vec![(ORDERS, order.id.into_bytes().to_vec(), json(order)?)],
            removals: vec![(BASKETS, basket_key(basket.shop_id, &basket.customer_id))],
            events: vec![event.clone()],
        };
        self.commit(change)?;
        commerce.baskets.remove(&key);
        commerce.keys.insert(idempotency, order.id);
        commerce.orders.insert(order.id, order.clone());
        Ok(Placed::New)
    }

    async fn order(&self, id: Uuid) -> Result<Option<Order>, Error> {
        Ok(self.lock_commerce().orders.get(&id).cloned())
    }

    async fn order_by_key(&self, buyer: &str, idempotency_key: &str) -> Result<Option<Order>, Error> {
        let commerce = self.lock_commerce();
        let id = commerce.keys.get(&order_key(buyer, idempotency_key));
        Ok(id.and_then(|id| commerce.orders.get(id)).cloned())
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>, Error> {
        let commerce = self.lock_commerce();
        let mut orders: Vec<&Order> = commerce
            .orders
            .values()
            .filter(|order| match &query.scope {
                OrderScope::Everyone => true,
                OrderScope::Buyer(buyer) => order.buyer_id == *buyer,
                OrderScope::Shop(shop) => order.shop_id == *shop,
            })
            .filter(|order| query.status.is_none_or(|status| order.status == status))
            .filter(|order| query.after.as_ref().is_none_or(|after| order.sort_key() < after.0))
            .collect();
        orders.sort_by_key(|order| std::cmp::Reverse(order.sort_key()));
        let items: Vec<Order> = orders.into_iter().take(query.limit.get() + 1).cloned().collect();
        Ok(Page::from_lookahead_by(items, query.limit.get(), |last| EventCursor(last.sort_key()).encode()))
    }

    async fn update_status(
        &self,
        order: &Order,
        from: OrderStatus,
        event: &ShopEvent,
    ) -> Result<bool, Error> {
        let mut commerce = self.lock_commerce();
        if commerce.orders.get(&order.id).map(|stored| stored.status) != Some(from) {
            return Ok(false);
        }
        let writes = vec![(ORDERS, order.id.into_bytes().to_vec(), json(order)?)];
        self.commit(Change { writes, events: vec![event.clone()], ..Change::default() })?;
        commerce.orders.insert(order.id, order.clone());
        Ok(true)
    }
}

#[async_trait]
impl PreferenceStore for EmbeddedShop {
    async fn preferences(&self, user: &str) -> Result<Preferences, Error> {
        let fail = |e: redb::Error| Error::unavailable("read preferences", e);
        let txn = self.db.begin_read().map_err(|e| fail(e.into()))?;
        let table = txn.open_table(PREFERENCES).map_err(|e| fail(e.into()))?;
        match table.get(user.as_bytes()).map_err(|e| fail(e.into()))? {
            Some(value) => {
                serde_json::from_slice(value.value()).map_err(|e| Error::unavailable("decode preferences", e))
            }
            None => Ok(Preferences::default()),
        }
    }

    async fn set_preferences(&self, user: &str, preferences: &Preferences) -> Result<(), Error> {
        let writes = vec![(PREFERENCES, user.as_bytes().to_vec(), json(preferences)?)];
        self.commit(Change { writes, ..Change::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::contract::any_event;

    #[tokio::test]
    async fn meets_the_shop_contract() {
        bookworm_domain::contract::shop_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn meets_the_commerce_contract() {
        bookworm_domain::contract::commerce_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn meets_the_preference_contract() {
        bookworm_domain::contract::preference_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn appended_events_reach_the_subscriber_in_order() {
        let store = EmbeddedShop::in_memory().unwrap();
        let mut bus = store.subscribe().unwrap();
        assert!(store.subscribe().is_none(), "one subscriber");
        let shop = Uuid::new_v4();
        let (first, second) = (any_event(shop), any_event(shop));
        store.append(&first).await.unwrap();
        store.append(&second).await.unwrap();
        assert_eq!(bus.recv().await.unwrap(), first);
        assert_eq!(bus.recv().await.unwrap(), second);
    }

    #[tokio::test]
    async fn history_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.redb");
        let event = any_event(Uuid::new_v4());
        EmbeddedShop::open(&path).unwrap().append(&event).await.unwrap();
        let reopened = EmbeddedShop::open(&path).unwrap();
        let page = reopened.history(event.shop_id, None, PageSize::new(5).unwrap()).await.unwrap();
        assert_eq!(page.items, [event]);
    }
}

//! The embedded shop stores: events, baskets, orders and preferences in a redb file (so history
//! survives a restart, and nothing of it is held in memory: reads go to the file, whose page
//! cache is bounded); open connections and consumer claims in memory (sockets do not survive a
//! restart). Writes go through the group-commit writer; appended events are handed to the
//! subscriber once durable, as DynamoDB's stream would.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::ids::{ConnectionId, EventId, ShopId, UserId};
use bookworm_domain::mail::{PreferenceStore, Preferences};
use bookworm_domain::ports::{Channel, Claim, Connection, Connections, Deduplicator, EventLog, Listener};
use bookworm_domain::query::{Page, PageSize};
use bookworm_domain::support::AuthorRole;
use redb::{Database, ReadTransaction, ReadableDatabase};
use tokio::sync::mpsc;

use crate::layout::{self, EVENTS, PREFERENCES, Table, after_prefix, event_key, json};
use crate::writer::{Batch, Subscriber, WriteStats, Writer};

/// One unconditional change: rows to write, keys to remove, events to append.
#[derive(Default)]
pub(crate) struct Change {
    pub(crate) writes: Vec<(Table, Vec<u8>, Vec<u8>)>,
    pub(crate) removals: Vec<(Table, Vec<u8>)>,
    pub(crate) events: Vec<ShopEvent>,
}

/// redb's page cache: what the file's reads may hold in memory, whatever the history's size.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A completed claim is kept this long: the claims table's TTL on AWS.
const CLAIM_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Claims kept in memory at most. The local bus hands each event over once and never replays
/// after a restart, so only a redelivery within this many events could meet an evicted claim.
const MAX_CLAIMS: usize = 100_000;

pub struct EmbeddedShop {
    pub(crate) db: Arc<Database>,
    pub(crate) writer: Writer,
    connections: RwLock<HashMap<ConnectionId, Connection>>,
    claims: Mutex<Claims>,
    subscriber: Subscriber,
}

impl EmbeddedShop {
    pub fn open(path: &Path) -> Result<Self, Error> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| Error::unavailable("open the shop file", e))?;
        Self::load(db)
    }

    pub fn in_memory() -> Result<Self, Error> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| Error::unavailable("create an in-memory shop store", e))?;
        Self::load(db)
    }

    /// Creates the tables, brings an older file's layout up to date, and starts the writer.
    /// Nothing is read into memory: start-up time does not grow with the history.
    fn load(db: Database) -> Result<Self, Error> {
        let fail = |e: redb::Error| Error::unavailable("prepare the shop file", e);
        let txn = db.begin_write().map_err(|e| fail(e.into()))?;
        layout::prepare(&txn).map_err(fail)?;
        txn.commit().map_err(|e| fail(e.into()))?;
        let db = Arc::new(db);
        let subscriber = Subscriber::default();
        Ok(Self {
            writer: Writer::start(db.clone(), subscriber.clone())?,
            db,
            connections: RwLock::new(HashMap::new()),
            claims: Mutex::new(Claims::default()),
            subscriber,
        })
    }

    /// Every event appended from now on, in order. One subscriber: the local event bus.
    pub fn subscribe(&self) -> Option<mpsc::UnboundedReceiver<ShopEvent>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.subscriber.set(sender).ok().map(|()| receiver)
    }

    pub(crate) fn read(&self) -> Result<ReadTransaction, Error> {
        self.db.begin_read().map_err(|e| Error::unavailable("read the shop file", e))
    }

    /// Writes `change` unconditionally (its checks were made by the caller, under its own lock).
    pub(crate) async fn commit(&self, change: Change) -> Result<(), Error> {
        self.write(move |batch| {
            for (table, key, value) in &change.writes {
                batch.put(*table, key, value)?;
            }
            for (table, key) in &change.removals {
                batch.remove(*table, key)?;
            }
            change.events.iter().try_for_each(|event| batch.append(event))
        })
        .await
    }

    /// Writes acknowledged so far and the commits they shared.
    pub fn write_stats(&self) -> &WriteStats {
        self.writer.stats()
    }

    /// Runs `job` in the writer's next batch; see [`Writer::write`].
    pub(crate) async fn write<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Batch) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        self.writer.write(job).await
    }
}

#[async_trait]
impl EventLog for EmbeddedShop {
    async fn append(&self, event: &ShopEvent) -> Result<(), Error> {
        let event = event.clone();
        self.write(move |batch| batch.append(&event)).await
    }

    async fn history(
        &self,
        shop: ShopId,
        after: Option<&EventCursor>,
        limit: PageSize,
    ) -> Result<Page<ShopEvent>, Error> {
        let fail = |e: redb::Error| Error::unavailable("read the shop history", e);
        let txn = self.read()?;
        let table = txn.open_table(EVENTS).map_err(|e| fail(e.into()))?;
        let start = event_key(shop, "");
        let end = match after {
            Some(cursor) => event_key(shop, &cursor.0),
            None => after_prefix(&start),
        };
        let mut items = Vec::with_capacity(limit.get() + 1);
        for row in table.range::<&[u8]>(start.as_slice()..end.as_slice()).map_err(|e| fail(e.into()))?.rev() {
            let (_, value) = row.map_err(|e| fail(e.into()))?;
            // History written by an older version (basket events before they were typed) is
            // left out of the feed rather than failing every page that holds it.
            match serde_json::from_slice::<ShopEvent>(value.value()) {
                Ok(event) => items.push(event),
                Err(error) => tracing::warn!(%error, "skipped a stored event of an older shape"),
            }
            if items.len() > limit.get() {
                break;
            }
        }
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

    async fn remove(&self, id: &ConnectionId) -> Result<(), Error> {
        self.connections.write().unwrap_or_else(PoisonError::into_inner).remove(id);
        Ok(())
    }

    /// The shop's connections after `after`, in id order as DynamoDB's index keeps them. No
    /// index here: the smallest `limit + 1` are picked from one pass, then only those sorted.
    async fn page_for_shop(
        &self,
        shop: ShopId,
        after: Option<&ConnectionId>,
        limit: std::num::NonZeroUsize,
    ) -> Result<Page<Listener>, Error> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        let mut page: Vec<Listener> = connections
            .values()
            .filter(|c| c.channel == Channel::Shop(shop) && after.is_none_or(|after| &c.id > after))
            .map(Connection::listener)
            .collect();
        drop(connections);
        let wanted = limit.get().saturating_add(1);
        if page.len() > wanted {
            page.select_nth_unstable_by(wanted - 1, |a, b| a.id.cmp(&b.id));
            page.truncate(wanted);
        }
        page.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(Page::from_lookahead_by(page, limit.get(), |last| last.id.as_str().to_owned()))
    }

    async fn for_user(&self, user: &UserId) -> Result<Vec<Listener>, Error> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        Ok(connections
            .values()
            .filter(|c| matches!(c.channel, Channel::Support(_)) && &c.user_id == user)
            .map(Connection::listener)
            .collect())
    }

    async fn agent_connections(&self) -> Result<Vec<(UserId, Listener)>, Error> {
        let connections = self.connections.read().unwrap_or_else(PoisonError::into_inner);
        Ok(connections
            .values()
            .filter(|c| c.channel == Channel::Support(AuthorRole::Support))
            .map(|c| (c.user_id.clone(), c.listener()))
            .collect())
    }
}

/// Claims by (consumer, event), with the order they run out in, so expired ones are dropped as
/// new ones come (DynamoDB's TTL) and memory stays bounded.
#[derive(Default)]
struct Claims {
    states: HashMap<(String, EventId), ClaimState>,
    deadlines: VecDeque<(Instant, (String, EventId))>,
}

#[derive(Debug, Clone, Copy)]
enum ClaimState {
    Leased(Instant),
    Completed(Instant),
}

impl ClaimState {
    fn until(self) -> Instant {
        match self {
            Self::Leased(until) | Self::Completed(until) => until,
        }
    }
}

impl Claims {
    fn set(&mut self, key: (String, EventId), state: ClaimState) {
        self.deadlines.push_back((state.until(), key.clone()));
        self.states.insert(key, state);
    }

    /// Drops claims whose time is up; then, over the cap, the oldest whatever their time.
    fn expire(&mut self, now: Instant) {
        while let Some((until, _)) = self.deadlines.front() {
            let crowded = self.states.len() > MAX_CLAIMS || self.deadlines.len() > 2 * MAX_CLAIMS;
            if *until > now && !crowded {
                break;
            }
            let Some((until, key)) = self.deadlines.pop_front() else { break };
            let evict = self.states.len() > MAX_CLAIMS;
            // A later claim or completion of the same key queued its own, later deadline.
            let expired = until <= now && self.states.get(&key).is_some_and(|state| state.until() <= until);
            if expired || evict {
                self.states.remove(&key);
            }
        }
    }
}

#[async_trait]
impl Deduplicator for EmbeddedShop {
    async fn claim(&self, consumer: &str, event: EventId, lease: Duration) -> Result<Claim, Error> {
        let mut claims = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        claims.expire(now);
        let key = (consumer.to_owned(), event);
        let found = match claims.states.get(&key) {
            Some(ClaimState::Completed(_)) => Claim::Done,
            Some(ClaimState::Leased(until)) if *until > now => Claim::InProgress,
            None | Some(ClaimState::Leased(_)) => Claim::Claimed,
        };
        if found == Claim::Claimed {
            claims.set(key, ClaimState::Leased(now + lease));
        }
        Ok(found)
    }

    async fn complete(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        let mut claims = self.claims.lock().unwrap_or_else(PoisonError::into_inner);
        claims.set((consumer.to_owned(), event), ClaimState::Completed(Instant::now() + CLAIM_TTL));
        Ok(())
    }

    async fn release(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        self.claims
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .states
            .remove(&(consumer.to_owned(), event));
        Ok(())
    }
}

#[async_trait]
impl PreferenceStore for EmbeddedShop {
    async fn preferences(&self, user: &UserId) -> Result<Preferences, Error> {
        let fail = |e: redb::Error| Error::unavailable("read preferences", e);
        let txn = self.read()?;
        let table = txn.open_table(PREFERENCES).map_err(|e| fail(e.into()))?;
        match table.get(user.as_str().as_bytes()).map_err(|e| fail(e.into()))? {
            Some(value) => {
                serde_json::from_slice(value.value()).map_err(|e| Error::unavailable("decode preferences", e))
            }
            None => Ok(Preferences::default()),
        }
    }

    async fn set_preferences(&self, user: &UserId, preferences: &Preferences) -> Result<(), Error> {
        let (key, value) = (user.as_str().as_bytes().to_vec(), json(preferences)?);
        self.write(move |batch| batch.put(PREFERENCES, &key, &value)).await
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
        let shop = ShopId::random();
        let (first, second) = (any_event(shop), any_event(shop));
        store.append(&first).await.unwrap();
        store.append(&second).await.unwrap();
        assert_eq!(bus.recv().await.unwrap(), first);
        assert_eq!(bus.recv().await.unwrap(), second);
    }

    #[tokio::test]
    async fn claims_run_out_and_are_dropped_as_new_ones_come() {
        let store = EmbeddedShop::in_memory().unwrap();
        let (first, second) = (EventId::random(), EventId::random());
        assert_eq!(store.claim("fanout", first, Duration::ZERO).await.unwrap(), Claim::Claimed);
        assert_eq!(store.claim("fanout", second, Duration::from_secs(60)).await.unwrap(), Claim::Claimed);
        let claims = store.claims.lock().unwrap();
        assert_eq!(claims.states.len(), 1, "the run-out lease was dropped by the next claim");
        assert!(claims.states.contains_key(&("fanout".to_owned(), second)));
    }

    #[tokio::test]
    async fn completed_claims_stay_within_the_cap_oldest_dropped_first() {
        let store = EmbeddedShop::in_memory().unwrap();
        let events: Vec<EventId> = (0..MAX_CLAIMS + 10).map(|_| EventId::random()).collect();
        for event in &events {
            store.claim("fanout", *event, Duration::from_secs(60)).await.unwrap();
            store.complete("fanout", *event).await.unwrap();
        }
        assert!(store.claims.lock().unwrap().states.len() <= MAX_CLAIMS + 1);
        let last = events[events.len() - 1];
        assert_eq!(store.claim("fanout", last, Duration::from_secs(60)).await.unwrap(), Claim::Done);
        assert_eq!(store.claim("fanout", events[0], Duration::from_secs(60)).await.unwrap(), Claim::Claimed);
    }

    #[tokio::test]
    async fn history_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.redb");
        let event = any_event(ShopId::random());
        EmbeddedShop::open(&path).unwrap().append(&event).await.unwrap();
        let reopened = EmbeddedShop::open(&path).unwrap();
        let page = reopened.history(event.shop_id, None, PageSize::new(5).unwrap()).await.unwrap();
        assert_eq!(page.items, [event]);
    }
}

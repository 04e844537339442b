//! The shop's tables: the event log (whose stream is the outbox), open WebSocket connections
//! (found by shop, by support user, or every agent's, each through a GSI), consumer claims,
//! baskets, orders and preferences. See `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use bookworm_domain::Error;
use bookworm_domain::basket::Basket;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::ids::{ConnectionId, EventId, IdempotencyKey, OrderId, ShopId, UserId};
use bookworm_domain::mail::{PreferenceStore, Preferences};
use bookworm_domain::orders::{Order, OrderStatus, Placed};
use bookworm_domain::ports::{
    BasketStore, Channel, Claim, Connection, Connections, Deduplicator, EventLog, Listener, OrderQuery,
    OrderScope, OrderStore,
};
use bookworm_domain::query::{Page, PageSize};
use bookworm_domain::support::AuthorRole;
use uuid::Uuid;

use crate::{expires_in, required_env, s, transact, unavailable, unix_now_ms};

/// Events stay in the archive for 30 days.
const EVENT_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// API Gateway closes every WebSocket after two hours; a connection record outliving its
/// socket (a missed `$disconnect`) expires then too.
const CONNECTION_TTL_SECONDS: u64 = 2 * 3600;
/// Long past any redelivery SNS or Lambda would make.
const CLAIM_TTL_SECONDS: u64 = 7 * 24 * 3600;

/// Baskets nobody touched for 30 days expire.
const BASKET_TTL_SECONDS: u64 = 30 * 24 * 3600;

#[derive(Clone)]
pub struct DynamoShop {
    client: Client,
    tables: ShopTables,
    budget: ReadBudget,
}

/// How much one listing may read before it returns what it has, with a cursor to resume from.
#[derive(Debug, Clone, Copy)]
pub struct ReadBudget {
    /// Queries per listing.
    pub calls: usize,
    /// Items per query when a filter may drop most of them.
    pub batch: i32,
}

impl Default for ReadBudget {
    fn default() -> Self {
        Self { calls: 8, batch: 200 }
    }
}

/// The names of the shop's tables.
#[derive(Debug, Clone)]
pub struct ShopTables {
    pub events: String,
    pub connections: String,
    pub claims: String,
    pub baskets: String,
    pub orders: String,
    pub preferences: String,
}

impl ShopTables {
    /// `<prefix>-events`, `<prefix>-connections`, …: for tests.
    pub fn prefixed(prefix: &str) -> Self {
        let name = |table: &str| format!("{prefix}-{table}");
        Self {
            events: name("events"),
            connections: name("connections"),
            claims: name("claims"),
            baskets: name("baskets"),
            orders: name("orders"),
            preferences: name("preferences"),
        }
    }

    /// From `EVENTS_TABLE`, `CONNECTIONS_TABLE`, `CLAIMS_TABLE`, `BASKETS_TABLE`, `ORDERS_TABLE`.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            events: required_env("EVENTS_TABLE")?,
            connections: required_env("CONNECTIONS_TABLE")?,
            claims: required_env("CLAIMS_TABLE")?,
            baskets: required_env("BASKETS_TABLE")?,
            orders: required_env("ORDERS_TABLE")?,
            preferences: required_env("PREFERENCES_TABLE")?,
        })
    }
}

impl DynamoShop {
    pub fn with_tables(client: Client, tables: ShopTables) -> Self {
        Self { client, tables, budget: ReadBudget::default() }
    }

    /// The same store with another read budget (tests reach the budget's edge with a tiny one).
    pub fn with_read_budget(self, budget: ReadBudget) -> Self {
        Self { budget, ..self }
    }

    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_tables(Client::new(config), ShopTables::from_env()?))
    }

    pub fn from_env() -> Result<Self, Error> {
        Self::new(&crate::sdk_config_from_env()?)
    }

    /// Opens the connection during init ([`crate::warm_up`]): a `GetItem` of a key no item of
    /// `table` has, in the table the function's role reads.
    pub async fn warm_up(&self, table: ShopTable) -> crate::WarmUp {
        let (name, key) = match table {
            ShopTable::Events => (&self.tables.events, &["pk", "sk"][..]),
            ShopTable::Connections => (&self.tables.connections, &["id"][..]),
            ShopTable::Baskets => (&self.tables.baskets, &["pk"][..]),
            ShopTable::Orders => (&self.tables.orders, &["id"][..]),
        };
        crate::warm_up::read_nothing(&self.client, name, crate::warm_up::no_item(key)).await
    }
}

/// The shop tables a function may warm its connection up on (see [`DynamoShop::warm_up`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopTable {
    Events,
    Connections,
    Baskets,
    Orders,
}

/// The read budget ran out before the page was full: what was found, and a cursor that resumes
/// where reading stopped (the last evaluated key's `sort_attribute`), so no item is skipped.
fn short_page<T>(items: Vec<T>, stopped_at: Option<Item>, sort_attribute: &str) -> Page<T> {
    let resume = stopped_at.as_ref().and_then(|key| key.get(sort_attribute)).and_then(|v| v.as_s().ok());
    Page { items, next_cursor: resume.map(|key| EventCursor(key.clone()).encode()) }
}

fn shop_key(shop: ShopId) -> String {
    format!("SHOP#{shop}")
}

/// An event's item: its attributes, its place in the shop's history, and the whole event as
/// JSON (what the relay publishes, exactly as appended).
pub(crate) fn event_item(event: &ShopEvent) -> Result<Item, Error> {
    let mut item: Item =
        serde_dynamo::to_item(event).map_err(|e| Error::unavailable("encode an event", e))?;
    item.insert("pk".into(), s(shop_key(event.shop_id)));
    item.insert("sk".into(), s(event.sort_key()));
    item.insert("expires_at".into(), expires_in(EVENT_TTL_SECONDS));
    let json = serde_json::to_string(event).map_err(|e| Error::unavailable("encode an event", e))?;
    item.insert("event".into(), s(json));
    Ok(item)
}

type Item = HashMap<String, AttributeValue>;

#[async_trait]
impl EventLog for DynamoShop {
    /// One PutItem: the table's stream carries the event on to SNS (the outbox relay), so an
    /// event is published if and only if it was stored.
    async fn append(&self, event: &ShopEvent) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.tables.events)
            .set_item(Some(event_item(event)?))
            .send()
            .await
            .map_err(|e| unavailable("store an event", e))?;
        Ok(())
    }

    async fn history(
        &self,
        shop: ShopId,
        after: Option<&EventCursor>,
        limit: PageSize,
    ) -> Result<Page<ShopEvent>, Error> {
        let wanted = limit.get() + 1; // one more than a page tells that more remain
        let mut start = after.map(|cursor| {
            HashMap::from([("pk".to_owned(), s(shop_key(shop))), ("sk".to_owned(), s(&cursor.0))])
        });
        let mut events: Vec<ShopEvent> = Vec::with_capacity(wanted);
        // DynamoDB stops a query at 1 MB whatever its limit: read on until the page is full.
        for _ in 0..self.budget.calls {
            let output = self
                .client
                .query()
                .table_name(&self.tables.events)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(shop_key(shop)))
                .scan_index_forward(false)
                .limit((wanted - events.len()).min(self.budget.batch as usize) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("read a shop's events", e))?;
            for item in output.items.unwrap_or_default() {
                events.push(
                    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode an event", e))?,
                );
            }
            start = output.last_evaluated_key;
            if events.len() >= wanted || start.is_none() {
                return Ok(Page::from_lookahead_by(events, limit.get(), |last| {
                    EventCursor::after(last).encode()
                }));
            }
        }
        Ok(short_page(events, start, "sk"))
    }
}

/// The `agents` index's one partition key value.
const AGENTS: &str = "AGENTS";

impl DynamoShop {
    /// Every connection in `index` whose partition key `attribute` is `value`, all pages.
    async fn connections_in(&self, index: &str, attribute: &str, value: &str) -> Result<Vec<Item>, Error> {
        let (mut items, mut start) = (Vec::new(), None);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.connections)
                .index_name(index)
                .key_condition_expression("#key = :key")
                .expression_attribute_names("#key", attribute)
                .expression_attribute_values(":key", s(value))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("list support connections", e))?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

#[async_trait]
impl Connections for DynamoShop {
    /// Each channel writes only its own index keys: `shop_id` (`by_shop`) for a shop's socket;
    /// `support_user` (`by_user`), and for an agent `agents` (`agents`), for a support socket.
    async fn add(&self, connection: &Connection) -> Result<(), Error> {
        let mut item = HashMap::from([
            ("id".to_owned(), s(connection.id.as_str())),
            ("user_id".to_owned(), s(connection.user_id.as_str())),
            ("connected_at".to_owned(), s(&connection.connected_at)),
            ("token_expires_at".to_owned(), AttributeValue::N(connection.token_expires_at.to_string())),
            ("expires_at".to_owned(), expires_in(CONNECTION_TTL_SECONDS)),
        ]);
        match connection.channel {
            Channel::Shop(shop) => {
                item.insert("shop_id".into(), s(shop.to_string()));
            }
            Channel::Support(role) => {
                item.insert("support_user".into(), s(connection.user_id.as_str()));
                if role == AuthorRole::Support {
                    item.insert("agents".into(), s(AGENTS));
                }
            }
        }
        self.client
            .put_item()
            .table_name(&self.tables.connections)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("store a connection", e))?;
        Ok(())
    }

    async fn remove(&self, id: &ConnectionId) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.tables.connections)
            .key("id", s(id.as_str()))
            .send()
            .await
            .map_err(|e| unavailable("delete a connection", e))?;
        Ok(())
    }

    /// The `by_shop` GSI (no Scan) from the connection after `after` (its sort key is the
    /// connection id), one item more than the page to tell whether more remain. A query ends at
    /// 1 MB: at about 100 bytes an item that is ten thousand connections, so a page is one query,
    /// but a page that is cut short is read on from where it stopped rather than returned short.
    /// `for_shop` (every connection) is a page of `NonZeroUsize::MAX`: every query page read.
    async fn page_for_shop(
        &self,
        shop: ShopId,
        after: Option<&ConnectionId>,
        limit: std::num::NonZeroUsize,
    ) -> Result<Page<Listener>, Error> {
        let wanted = limit.get().saturating_add(1);
        // An index's start key is the table's key and the index's: the connection id and the shop.
        let mut start = after.map(|id| {
            HashMap::from([("id".to_owned(), s(id.as_str())), ("shop_id".to_owned(), s(shop.to_string()))])
        });
        let mut listeners = Vec::with_capacity(wanted.min(4_096));
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.connections)
                .index_name("by_shop")
                .key_condition_expression("shop_id = :shop")
                .expression_attribute_values(":shop", s(shop.to_string()))
                .limit(i32::try_from(wanted - listeners.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("list a shop's connections", e))?;
            listeners.extend(output.items.unwrap_or_default().iter().filter_map(listener));
            start = output.last_evaluated_key;
            if listeners.len() >= wanted || start.is_none() {
                return Ok(Page::from_lookahead_by(listeners, limit.get(), |last| {
                    last.id.as_str().to_owned()
                }));
            }
        }
    }

    /// The `by_user` GSI: eventually consistent, so a socket that connected a moment ago may
    /// miss a push (the client catches up from the last `seq` it saw).
    async fn for_user(&self, user: &UserId) -> Result<Vec<Listener>, Error> {
        let items = self.connections_in("by_user", "support_user", user.as_str()).await?;
        Ok(items.iter().filter_map(listener).collect())
    }

    /// The `agents` GSI (one partition: agents' sockets are few), eventually consistent too.
    async fn agent_connections(&self) -> Result<Vec<(UserId, Listener)>, Error> {
        let items = self.connections_in("agents", "agents", AGENTS).await?;
        let agent = |item: &Item| UserId::new(item.get("user_id")?.as_s().ok()?.as_str()).ok();
        Ok(items.iter().filter_map(|item| Some((agent(item)?, listener(item)?))).collect())
    }
}

/// An index item as fan-out needs it; every connection index projects the token's expiry
/// beside the keys, so no read of the table.
fn listener(item: &Item) -> Option<Listener> {
    let id = ConnectionId::new(item.get("id")?.as_s().ok()?.as_str()).ok()?;
    let expires = item.get("token_expires_at").and_then(|n| n.as_n().ok()?.parse().ok());
    Some(Listener { id, token_expires_at: expires.unwrap_or(0) })
}

#[async_trait]
impl Deduplicator for DynamoShop {
    /// A conditional put: it wins when there is no claim, or an uncompleted one whose lease
    /// (milliseconds since the epoch) ran out. Each call names its attempt, so that when the
    /// SDK retries a put that landed (its answer lost), the refusal it meets is recognised as
    /// this attempt's own claim rather than another's.
    async fn claim(
        &self,
        consumer: &str,
        event: EventId,
        lease: std::time::Duration,
    ) -> Result<Claim, Error> {
        let now_ms = unix_now_ms();
        let attempt = Uuid::new_v4().to_string();
        let claimed = self
            .client
            .put_item()
            .table_name(&self.tables.claims)
            .item("claim", s(format!("{consumer}#{event}")))
            .item("attempt", s(&attempt))
            .item("completed", AttributeValue::Bool(false))
            .item("lease_until", AttributeValue::N((now_ms + lease.as_millis() as u64).to_string()))
            .item("expires_at", expires_in(CLAIM_TTL_SECONDS))
            .condition_expression(
                "attribute_not_exists(claim) OR (completed = :false AND lease_until <= :now)",
            )
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", AttributeValue::N(now_ms.to_string()))
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(Claim::Claimed),
            Err(e)
                if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) =>
            {
                // Ours (a retry of a put that landed), done, or another attempt's live lease:
                // the stored claim says which. One that vanished meanwhile (released) is as
                // good as in progress: retried shortly.
                let key = format!("{consumer}#{event}");
                let stored = self.get(&self.tables.claims, "claim", key).await?.unwrap_or_default();
                let ours = stored.get("attempt").and_then(|v| v.as_s().ok()) == Some(&attempt);
                let done = stored.get("completed").and_then(|v| v.as_bool().ok()) == Some(&true);
                Ok(match (ours, done) {
                    (true, false) => Claim::Claimed,
                    (_, true) => Claim::Done,
                    (false, false) => Claim::InProgress,
                })
            }
            Err(e) => Err(unavailable("claim an event", e)),
        }
    }

    async fn complete(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.tables.claims)
            .key("claim", s(format!("{consumer}#{event}")))
            .update_expression("SET completed = :true")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| unavailable("complete an event claim", e))?;
        Ok(())
    }

    async fn release(&self, consumer: &str, event: EventId) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.tables.claims)
            .key("claim", s(format!("{consumer}#{event}")))
            .send()
            .await
            .map_err(|e| unavailable("release an event claim", e))?;
        Ok(())
    }
}

/// An order's item: its fields, plus the keys of the `by_buyer` and `all_orders` indexes
/// (which idempotency records lack, so they stay out of both).
fn order_item(order: &Order) -> Result<Item, Error> {
    let mut item: Item =
        serde_dynamo::to_item(order).map_err(|e| Error::unavailable("encode an order", e))?;
    item.insert("id".into(), s(order.id.to_string()));
    item.insert("kind".into(), s("ORDER"));
    item.insert("sort_key".into(), s(order.sort_key()));
    Ok(item)
}

fn basket_key(shop: ShopId, customer: &UserId) -> String {
    format!("{shop}#{customer}")
}

/// The buyer's length first: no buyer id and key can spell another pair's record
/// (`a#b` + `c` and `a` + `b#c` once did).
fn idempotency_key(buyer: &UserId, key: &IdempotencyKey) -> String {
    let buyer = buyer.as_str();
    format!("key#{}:{buyer}#{key}", buyer.len())
}

fn build<T, E: std::error::Error + Send + Sync + 'static>(built: Result<T, E>) -> Result<T, Error> {
    built.map_err(|e| unavailable("build a shop write", e))
}

impl DynamoShop {
    fn put(
        &self,
        table: &str,
        item: Item,
        condition: Option<(&str, Option<(&str, AttributeValue)>)>,
    ) -> Result<TransactWriteItem, Error> {
        let mut put = Put::builder().table_name(table).set_item(Some(item));
        if let Some((expression, value)) = condition {
            put = put.condition_expression(expression);
            if let Some((name, value)) = value {
                put = put.expression_attribute_values(name, value);
            }
        }
        Ok(TransactWriteItem::builder().put(build(put.build())?).build())
    }

    fn basket_item(&self, basket: &Basket) -> Result<Item, Error> {
        let mut item: Item =
            serde_dynamo::to_item(basket).map_err(|e| Error::unavailable("encode a basket", e))?;
        item.insert("pk".into(), s(basket_key(basket.shop_id, &basket.customer_id)));
        item.insert("expires_at".into(), expires_in(BASKET_TTL_SECONDS));
        Ok(item)
    }

    async fn get(&self, table: &str, key: &str, value: String) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key(key, s(value))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read a shop record", e))?;
        Ok(output.item)
    }
}

#[async_trait]
impl BasketStore for DynamoShop {
    async fn basket(&self, shop: ShopId, customer: &UserId) -> Result<Option<Basket>, Error> {
        let item = self.get(&self.tables.baskets, "pk", basket_key(shop, customer)).await?;
        item.map(|item| serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a basket", e)))
            .transpose()
    }

    async fn save_basket(
        &self,
        basket: &Basket,
        expected: Option<u64>,
        event: &ShopEvent,
    ) -> Result<(), Error> {
        let put = Put::builder().table_name(&self.tables.baskets).set_item(Some(self.basket_item(basket)?));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(version) => same_basket(put, basket, version),
        };
        let writes = vec![
            TransactWriteItem::builder().put(build(put.build())?).build(),
            self.put(&self.tables.events, event_item(event)?, None)?,
        ];
        if transact(&self.client, writes, "save a basket").await? { Ok(()) } else { Err(lost_race()) }
    }

    async fn delete_basket(&self, basket: &Basket, expected: u64, event: &ShopEvent) -> Result<(), Error> {
        let delete = Delete::builder()
            .table_name(&self.tables.baskets)
            .key("pk", s(basket_key(basket.shop_id, &basket.customer_id)));
        let delete = same_basket(delete, basket, expected);
        let writes = vec![
            TransactWriteItem::builder().delete(build(delete.build())?).build(),
            self.put(&self.tables.events, event_item(event)?, None)?,
        ];
        if transact(&self.client, writes, "delete a basket").await? { Ok(()) } else { Err(lost_race()) }
    }
}

/// A write that applies only to the very basket that was read: its id (new for every basket,
/// so a deleted and re-created basket never matches) and its version within that basket.
trait Conditional: Sized {
    fn condition(self, expression: &str) -> Self;
    fn value(self, name: &str, value: AttributeValue) -> Self;
}

macro_rules! conditional {
    ($builder:ty) => {
        impl Conditional for $builder {
            fn condition(self, expression: &str) -> Self {
                self.condition_expression(expression)
            }
            fn value(self, name: &str, value: AttributeValue) -> Self {
                self.expression_attribute_values(name, value)
            }
        }
    };
}
conditional!(aws_sdk_dynamodb::types::builders::PutBuilder);
conditional!(aws_sdk_dynamodb::types::builders::DeleteBuilder);

fn same_basket<B: Conditional>(write: B, basket: &Basket, version: u64) -> B {
    write
        .condition("id = :basket AND version = :expected")
        .value(":basket", s(basket.id.to_string()))
        .value(":expected", AttributeValue::N(version.to_string()))
}

fn lost_race() -> Error {
    Error::Conflict("the basket was changed meanwhile".into())
}

#[async_trait]
impl OrderStore for DynamoShop {
    /// One transaction: the order, its idempotency record, the basket's removal at its version,
    /// and the event. Two checkouts of one basket cannot both succeed.
    async fn place_order(&self, order: &Order, basket: &Basket, event: &ShopEvent) -> Result<Placed, Error> {
        let order_item = order_item(order)?;
        let key_item = HashMap::from([
            ("id".to_owned(), s(idempotency_key(&order.buyer_id, &order.idempotency_key))),
            ("order_id".to_owned(), s(order.id.to_string())),
        ]);
        let remove_basket = Delete::builder()
            .table_name(&self.tables.baskets)
            .key("pk", s(basket_key(basket.shop_id, &basket.customer_id)));
        let remove_basket = same_basket(remove_basket, basket, basket.version);
        let new = Some(("attribute_not_exists(id)", None));
        let writes = vec![
            self.put(&self.tables.orders, order_item, new.clone())?,
            self.put(&self.tables.orders, key_item, new)?,
            TransactWriteItem::builder().delete(build(remove_basket.build())?).build(),
            self.put(&self.tables.events, event_item(event)?, None)?,
        ];
        Ok(if transact(&self.client, writes, "place an order").await? {
            Placed::New
        } else {
            Placed::BasketChanged
        })
    }

    /// The `by_buyer` GSI for a customer's orders, `all_orders` for an admin's view; newest
    /// first. A status filter reads at most the budget (8 queries of 200) before returning a
    /// short page, with a cursor to go on from.
    async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>, Error> {
        let wanted = query.limit.get() + 1;
        let (index, key_name, key_value) = match &query.scope {
            OrderScope::Buyer(buyer) => ("by_buyer", "buyer_id", buyer.to_string()),
            OrderScope::Shop(shop) => ("by_shop", "shop_id", shop.to_string()),
            OrderScope::Everyone => ("all_orders", "kind", "ORDER".to_owned()),
        };
        let mut start = query.after.as_ref().map(|after| {
            let id = after.0.rsplit_once('#').map(|(_, id)| id.to_owned()).unwrap_or_default();
            HashMap::from([
                ("id".to_owned(), s(id)),
                (key_name.to_owned(), s(key_value.clone())),
                ("sort_key".to_owned(), s(after.0.clone())),
            ])
        });
        // The placed days as a condition on the sort key: only that span of the index is read.
        let (low, high) = (query.placed.low_key(), query.placed.high_key());
        let condition = match (&low, &high) {
            // BETWEEN includes its upper end: the day after's bare date sorts before its keys.
            (Some(_), Some(_)) => "#key = :key AND sort_key BETWEEN :low AND :high",
            (Some(_), None) => "#key = :key AND sort_key >= :low",
            (None, Some(_)) => "#key = :key AND sort_key < :high",
            (None, None) => "#key = :key",
        };
        let mut orders: Vec<Order> = Vec::with_capacity(wanted);
        for _ in 0..self.budget.calls {
            let mut request = self
                .client
                .query()
                .table_name(&self.tables.orders)
                .index_name(index)
                .key_condition_expression(condition)
                .expression_attribute_names("#key", key_name)
                .expression_attribute_values(":key", s(key_value.clone()))
                .scan_index_forward(false)
                .limit(match query.status {
                    Some(_) => self.budget.batch,
                    None => (wanted - orders.len()).min(self.budget.batch as usize) as i32,
                })
                .set_exclusive_start_key(start.take());
            if let Some(low) = &low {
                request = request.expression_attribute_values(":low", s(low.clone()));
            }
            if let Some(high) = &high {
                request = request.expression_attribute_values(":high", s(high.clone()));
            }
            if let Some(status) = query.status {
                request = request
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status.as_str()));
            }
            let output = request.send().await.map_err(|e| unavailable("list orders", e))?;
            for item in output.items.unwrap_or_default() {
                orders.push(
                    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode an order", e))?,
                );
            }
            start = output.last_evaluated_key;
            if orders.len() >= wanted || start.is_none() {
                break;
            }
        }
        if orders.len() < wanted && start.is_some() {
            return Ok(short_page(orders, start, "sort_key"));
        }
        orders.truncate(wanted);
        Ok(Page::from_lookahead_by(orders, query.limit.get(), |last| EventCursor(last.sort_key()).encode()))
    }

    async fn update_status(
        &self,
        order: &Order,
        from: OrderStatus,
        event: &ShopEvent,
    ) -> Result<bool, Error> {
        let put = Put::builder()
            .table_name(&self.tables.orders)
            .set_item(Some(order_item(order)?))
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()));
        let writes = vec![
            TransactWriteItem::builder().put(build(put.build())?).build(),
            self.put(&self.tables.events, event_item(event)?, None)?,
        ];
        transact(&self.client, writes, "change an order").await
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>, Error> {
        let item = self.get(&self.tables.orders, "id", id.to_string()).await?;
        item.map(|item| serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode an order", e)))
            .transpose()
    }

    async fn order_by_key(&self, buyer: &UserId, key: &IdempotencyKey) -> Result<Option<Order>, Error> {
        let Some(record) = self.get(&self.tables.orders, "id", idempotency_key(buyer, key)).await? else {
            return Ok(None);
        };
        match record.get("order_id").and_then(|id| id.as_s().ok()).and_then(|id| id.parse().ok()) {
            Some(id) => self.order(id).await,
            None => Err(Error::unavailable("read an idempotency record", "it names no order")),
        }
    }
}

#[async_trait]
impl PreferenceStore for DynamoShop {
    async fn preferences(&self, user: &UserId) -> Result<Preferences, Error> {
        match self.get(&self.tables.preferences, "user_id", user.to_string()).await? {
            Some(item) => {
                serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode preferences", e))
            }
            None => Ok(Preferences::default()),
        }
    }

    async fn set_preferences(&self, user: &UserId, preferences: &Preferences) -> Result<(), Error> {
        let mut item: Item =
            serde_dynamo::to_item(preferences).map_err(|e| Error::unavailable("encode preferences", e))?;
        item.insert("user_id".into(), s(user.as_str()));
        self.client
            .put_item()
            .table_name(&self.tables.preferences)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("save preferences", e))?;
        Ok(())
    }
}

//! Baskets and orders in the shop file. Each check-and-write runs as one job of the writer's
//! batch, so the check sees every write queued before it; reads use redb's snapshots, which
//! only ever show durable writes.

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::basket::Basket;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::ids::{IdempotencyKey, OrderId, ShopId, UserId};
use bookworm_domain::orders::{Order, OrderStatus, Placed};
use bookworm_domain::ports::{BasketStore, OrderQuery, OrderScope, OrderStore};
use bookworm_domain::query::Page;
use uuid::Uuid;

use crate::EmbeddedShop;
use crate::layout::{
    BASKETS, ORDER_KEYS, ORDERS, ORDERS_BY_BUYER, ORDERS_BY_SHOP, ORDERS_BY_TIME, Table, after_prefix,
    buyer_prefix, idempotency_key, index_rows, json,
};
use crate::writer::Batch;

fn basket_key(shop: ShopId, customer: &UserId) -> Vec<u8> {
    [shop.0.as_bytes().as_slice(), customer.as_str().as_bytes()].concat()
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::unavailable("decode a shop record", e))
}

fn read_failed(error: impl Into<redb::Error>) -> Error {
    Error::unavailable("read the shop file", error.into())
}

/// The stored basket's identity and version, as the checks compare them.
fn stored_version(batch: &Batch, key: &[u8]) -> Result<Option<(Uuid, u64)>, Error> {
    Ok(batch.get(BASKETS, key)?.map(|bytes| decode::<Basket>(&bytes)).transpose()?.map(|b| (b.id, b.version)))
}

fn lost_race() -> Error {
    Error::Conflict("the basket was changed meanwhile".into())
}

impl EmbeddedShop {
    /// Stores an order as it stands, with no event (nothing happens now): the sample order of a
    /// new data folder ([`crate::seed::sample_order`]). An order already stored is left alone.
    pub async fn seed_order(&self, order: &Order) -> Result<(), Error> {
        let order = order.clone();
        self.write(move |batch| {
            let id = order.id.0.into_bytes();
            if batch.get(ORDERS, &id)?.is_some() {
                return Ok(());
            }
            batch.put(ORDERS, &id, &json(&order)?)?;
            for (table, index_key) in index_rows(&order) {
                batch.put(table, &index_key, &id)?;
            }
            Ok(())
        })
        .await
    }

    fn get<T: serde::de::DeserializeOwned>(&self, table: Table, key: &[u8]) -> Result<Option<T>, Error> {
        let txn = self.read()?;
        let table = txn.open_table(table).map_err(read_failed)?;
        table.get(key).map_err(read_failed)?.map(|value| decode(value.value())).transpose()
    }

    /// Orders of one listing, newest first: those whose index key starts with `prefix` and sorts
    /// below `before`, that pass `keep`, `limit` at most.
    fn scan_orders(
        &self,
        index: Table,
        prefix: &[u8],
        from: Option<&str>,
        before: Option<&str>,
        limit: usize,
        keep: impl Fn(&Order) -> bool,
    ) -> Result<Vec<Order>, Error> {
        let txn = self.read()?;
        let (listing, orders) =
            (txn.open_table(index).map_err(read_failed)?, txn.open_table(ORDERS).map_err(read_failed)?);
        let start = [prefix, from.unwrap_or_default().as_bytes()].concat();
        let end = match before {
            Some(sort_key) => [prefix, sort_key.as_bytes()].concat(),
            None => after_prefix(prefix),
        };
        if start >= end {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for row in listing.range::<&[u8]>(start.as_slice()..end.as_slice()).map_err(read_failed)?.rev() {
            let (_, id) = row.map_err(read_failed)?;
            let Some(order) = orders.get(id.value()).map_err(read_failed)? else { continue };
            let order: Order = decode(order.value())?;
            if keep(&order) {
                found.push(order);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Every order `buyer` placed, newest first (for "bought this book" checks).
    pub(crate) fn orders_of(&self, buyer: &UserId) -> Result<Vec<Order>, Error> {
        self.scan_orders(ORDERS_BY_BUYER, &buyer_prefix(buyer), None, None, usize::MAX, |_| true)
    }
}

#[async_trait]
impl BasketStore for EmbeddedShop {
    async fn basket(&self, shop: ShopId, customer: &UserId) -> Result<Option<Basket>, Error> {
        self.get(BASKETS, &basket_key(shop, customer))
    }

    async fn save_basket(
        &self,
        basket: &Basket,
        expected: Option<u64>,
        event: &ShopEvent,
    ) -> Result<(), Error> {
        let (basket, event) = (basket.clone(), event.clone());
        self.write(move |batch| {
            let key = basket_key(basket.shop_id, &basket.customer_id);
            if stored_version(batch, &key)? != expected.map(|v| (basket.id, v)) {
                return Err(lost_race());
            }
            batch.put(BASKETS, &key, &json(&basket)?)?;
            batch.append(&event)
        })
        .await
    }

    async fn delete_basket(&self, basket: &Basket, expected: u64, event: &ShopEvent) -> Result<(), Error> {
        let (basket, event) = (basket.clone(), event.clone());
        self.write(move |batch| {
            let key = basket_key(basket.shop_id, &basket.customer_id);
            if stored_version(batch, &key)? != Some((basket.id, expected)) {
                return Err(lost_race());
            }
            batch.remove(BASKETS, &key)?;
            batch.append(&event)
        })
        .await
    }
}

#[async_trait]
impl OrderStore for EmbeddedShop {
    async fn place_order(&self, order: &Order, basket: &Basket, event: &ShopEvent) -> Result<Placed, Error> {
        let (order, basket, event) = (order.clone(), basket.clone(), event.clone());
        self.write(move |batch| {
            let key = basket_key(basket.shop_id, &basket.customer_id);
            let unchanged = stored_version(batch, &key)? == Some((basket.id, basket.version));
            let repeated =
                batch.get(ORDER_KEYS, &idempotency_key(&order.buyer_id, &order.idempotency_key))?.is_some();
            if !unchanged || repeated {
                return Ok(Placed::BasketChanged);
            }
            let id = order.id.0.into_bytes();
            batch.put(ORDERS, &id, &json(&order)?)?;
            for (table, index_key) in index_rows(&order) {
                batch.put(table, &index_key, &id)?;
            }
            batch.remove(BASKETS, &key)?;
            batch.append(&event)?;
            Ok(Placed::New)
        })
        .await
    }

    async fn order(&self, id: OrderId) -> Result<Option<Order>, Error> {
        self.get(ORDERS, id.0.as_bytes())
    }

    async fn order_by_key(
        &self,
        buyer: &UserId,
        idempotency_key_: &IdempotencyKey,
    ) -> Result<Option<Order>, Error> {
        let txn = self.read()?;
        let keys = txn.open_table(ORDER_KEYS).map_err(read_failed)?;
        let Some(id) = keys.get(idempotency_key(buyer, idempotency_key_).as_slice()).map_err(read_failed)?
        else {
            return Ok(None);
        };
        let orders = txn.open_table(ORDERS).map_err(read_failed)?;
        orders.get(id.value()).map_err(read_failed)?.map(|order| decode(order.value())).transpose()
    }

    async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>, Error> {
        let (index, prefix) = match &query.scope {
            OrderScope::Everyone => (ORDERS_BY_TIME, Vec::new()),
            OrderScope::Buyer(buyer) => (ORDERS_BY_BUYER, buyer_prefix(buyer)),
            OrderScope::Shop(shop) => (ORDERS_BY_SHOP, shop.0.as_bytes().to_vec()),
        };
        // The listing's keys run from the first placed day's date to (not including) the day
        // after the last's, and before the cursor: the least of those ends.
        let high = match (query.after.as_ref(), query.placed.high_key()) {
            (Some(after), Some(high)) => Some(after.0.clone().min(high)),
            (after, high) => after.map(|after| after.0.clone()).or(high),
        };
        let low = query.placed.low_key();
        let status = query.status;
        let items = self.scan_orders(
            index,
            &prefix,
            low.as_deref(),
            high.as_deref(),
            query.limit.get() + 1,
            |order| status.is_none_or(|status| order.status == status),
        )?;
        Ok(Page::from_lookahead_by(items, query.limit.get(), |last| EventCursor(last.sort_key()).encode()))
    }

    async fn update_status(
        &self,
        order: &Order,
        from: OrderStatus,
        event: &ShopEvent,
    ) -> Result<bool, Error> {
        let (order, event) = (order.clone(), event.clone());
        self.write(move |batch| {
            let id = order.id.0.into_bytes();
            let stored = batch.get(ORDERS, &id)?.map(|bytes| decode::<Order>(&bytes)).transpose()?;
            if stored.map(|stored| stored.status) != Some(from) {
                return Ok(false);
            }
            batch.put(ORDERS, &id, &json(&order)?)?;
            batch.append(&event)?;
            Ok(true)
        })
        .await
    }
}

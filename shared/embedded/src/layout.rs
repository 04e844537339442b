//! The shop file's layout: its tables, how their keys are made, and the one-time upgrade of
//! an older file. The stores (`shop`, `commerce`, `reviews`) and the writer all read it from
//! here, so none of them depends on another for a table.

use std::time::Duration;

use bookworm_domain::Error;
use bookworm_domain::clock::unix_now;
use bookworm_domain::ids::{IdempotencyKey, ShopId, UserId};
use bookworm_domain::orders::Order;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

pub(crate) type Table = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// Key: [`event_key`]. Value: the event as JSON.
pub(crate) const EVENTS: Table = TableDefinition::new("events");
/// Key: [`expiry_key`] of the event's key. Value: empty. Expired events are swept in key order.
pub(crate) const EVENT_EXPIRY: Table = TableDefinition::new("event_expiry");
/// Key: the user id. Value: their preferences as JSON.
pub(crate) const PREFERENCES: Table = TableDefinition::new("preferences");
/// Key: the user id. Value: their profile as JSON.
pub(crate) const PROFILES: Table = TableDefinition::new("profiles");
/// Key: the user id. Value: their push devices as JSON.
pub(crate) const DEVICES: Table = TableDefinition::new("devices");
/// Key: "version". Value: the layout's version, so an older file is brought up to date once.
pub(crate) const META: Table = TableDefinition::new("meta");
/// The file layout this code writes: 2 added the order indexes and event expiry.
pub(crate) const LAYOUT: u8 = 2;

/// Key: the shop's 16 bytes, then the customer id. Value: the basket as JSON.
pub(crate) const BASKETS: Table = TableDefinition::new("baskets");
/// Key: the order id's 16 bytes. Value: the order as JSON.
pub(crate) const ORDERS: Table = TableDefinition::new("orders");
/// Key: [`idempotency_key`]. Value: the order id's 16 bytes.
pub(crate) const ORDER_KEYS: Table = TableDefinition::new("order_keys");
/// The listings, newest last; each key ends with the order's sort key. Value: the order id.
pub(crate) const ORDERS_BY_TIME: Table = TableDefinition::new("orders_by_time");
pub(crate) const ORDERS_BY_SHOP: Table = TableDefinition::new("orders_by_shop");
pub(crate) const ORDERS_BY_BUYER: Table = TableDefinition::new("orders_by_buyer");

/// Builds the idempotency keys and listings of every stored order (a file from before they existed).
pub(crate) fn index_orders(txn: &WriteTransaction) -> Result<(), redb::Error> {
    let orders: Vec<Order> = txn
        .open_table(ORDERS)?
        .iter()?
        .filter_map(|row| row.ok().and_then(|(_, value)| serde_json::from_slice(value.value()).ok()))
        .collect();
    for order in orders {
        let id = order.id.0.into_bytes();
        for (table, key) in index_rows(&order) {
            txn.open_table(table)?.insert(key.as_slice(), id.as_slice())?;
        }
    }
    Ok(())
}

pub(crate) fn index_rows(order: &Order) -> [(Table, Vec<u8>); 4] {
    let sort_key = order.sort_key();
    [
        (ORDER_KEYS, idempotency_key(&order.buyer_id, &order.idempotency_key)),
        (ORDERS_BY_TIME, sort_key.clone().into_bytes()),
        (ORDERS_BY_SHOP, [order.shop_id.0.as_bytes().as_slice(), sort_key.as_bytes()].concat()),
        (ORDERS_BY_BUYER, [buyer_prefix(&order.buyer_id).as_slice(), sort_key.as_bytes()].concat()),
    ]
}

/// How long an event is kept: the events table's TTL on AWS.
pub(crate) const EVENT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Creates every table of the shop file and brings an older file's layout up to date.
pub(crate) fn prepare(txn: &WriteTransaction) -> Result<(), redb::Error> {
    for table in [EVENTS, EVENT_EXPIRY, PREFERENCES, PROFILES, DEVICES, META] {
        txn.open_table(table)?;
    }
    for table in [BASKETS, ORDERS, ORDER_KEYS, ORDERS_BY_TIME, ORDERS_BY_SHOP, ORDERS_BY_BUYER] {
        txn.open_table(table)?;
    }
    upgrade(txn)
}

/// Layout 1 kept no order indexes and no event expiry (it read everything into memory at
/// start): both are built once from the rows.
pub(crate) fn upgrade(txn: &redb::WriteTransaction) -> Result<(), redb::Error> {
    let mut meta = txn.open_table(META)?;
    let version = meta.get(b"version".as_slice())?.and_then(|v| v.value().first().copied());
    if version.is_some_and(|version| version >= LAYOUT) {
        return Ok(());
    }
    meta.insert(b"version".as_slice(), [LAYOUT].as_slice())?;
    index_orders(txn)?;
    let expires = unix_now() + EVENT_TTL.as_secs();
    let keys: Vec<Vec<u8>> = txn
        .open_table(EVENTS)?
        .iter()?
        .map(|row| row.map(|(key, _)| key.value().to_vec()))
        .collect::<Result<_, _>>()?;
    let mut expiry = txn.open_table(EVENT_EXPIRY)?;
    for key in keys {
        expiry.insert(expiry_key(expires, &key).as_slice(), [].as_slice())?;
    }
    Ok(())
}

/// The events table's key: the shop's 16 bytes, then the event's sort key.
pub(crate) fn event_key(shop: ShopId, sort_key: &str) -> Vec<u8> {
    let mut key = shop.0.into_bytes().to_vec();
    key.extend_from_slice(sort_key.as_bytes());
    key
}

/// Every key of `prefix`'s rows sorts below this (sort keys are text, never byte 0xFF).
pub(crate) fn after_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    end.push(0xFF);
    end
}

/// The expiry index's key: the second it expires (big-endian, so keys sort by time), then the row.
pub(crate) fn expiry_key(expires_at: u64, row: &[u8]) -> Vec<u8> {
    let mut key = expires_at.to_be_bytes().to_vec();
    key.extend_from_slice(row);
    key
}

/// The buyer's length first: no buyer id and key can spell another pair's record.
pub(crate) fn idempotency_key(buyer: &UserId, key: &IdempotencyKey) -> Vec<u8> {
    let (buyer, key) = (buyer.as_str(), key.as_str());
    format!("{}:{buyer}\u{0}{key}", buyer.len()).into_bytes()
}

/// Also length-first, and ended by a 0 byte, so one buyer's prefix never covers another's rows.
pub(crate) fn buyer_prefix(buyer: &UserId) -> Vec<u8> {
    let buyer = buyer.as_str();
    format!("{}:{buyer}\u{0}", buyer.len()).into_bytes()
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::unavailable("encode a record", e))
}

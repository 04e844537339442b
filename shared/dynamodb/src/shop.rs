//! The shop's tables: the event log (whose stream is the outbox), open WebSocket connections
//! (found by shop through a GSI), and consumer claims. See `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use bookworm_domain::Error;
use bookworm_domain::events::{EventCursor, ShopEvent};
use bookworm_domain::ports::{Connection, Connections, Deduplicator, EventLog};
use bookworm_domain::query::{Page, PageSize};
use uuid::Uuid;

use crate::{required_env, unavailable};

/// Events stay in the archive for 30 days.
const EVENT_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// API Gateway closes every WebSocket after two hours; a connection record outliving its
/// socket (a missed `$disconnect`) expires then too.
const CONNECTION_TTL_SECONDS: u64 = 2 * 3600;
/// Long past any redelivery SNS or Lambda would make.
const CLAIM_TTL_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Clone)]
pub struct DynamoShop {
    client: Client,
    events: String,
    connections: String,
    claims: String,
}

impl DynamoShop {
    pub fn with_tables(client: Client, events: &str, connections: &str, claims: &str) -> Self {
        Self { client, events: events.into(), connections: connections.into(), claims: claims.into() }
    }

    /// Table names from `EVENTS_TABLE`, `CONNECTIONS_TABLE` and `CLAIMS_TABLE`.
    pub fn new(config: &aws_config::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_tables(
            Client::new(config),
            &required_env("EVENTS_TABLE")?,
            &required_env("CONNECTIONS_TABLE")?,
            &required_env("CLAIMS_TABLE")?,
        ))
    }

    pub async fn from_env() -> Result<Self, Error> {
        Self::new(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
    }
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn expires_in(seconds: u64) -> AttributeValue {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    AttributeValue::N((now + seconds).to_string())
}

fn shop_key(shop: Uuid) -> String {
    format!("SHOP#{shop}")
}

#[async_trait]
impl EventLog for DynamoShop {
    /// One PutItem: the table's stream carries the event on to SNS (the outbox relay), so an
    /// event is published if and only if it was stored.
    async fn append(&self, event: &ShopEvent) -> Result<(), Error> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(event).map_err(|e| Error::unavailable("encode an event", e))?;
        item.insert("pk".into(), s(shop_key(event.shop_id)));
        item.insert("sk".into(), s(event.sort_key()));
        item.insert("expires_at".into(), expires_in(EVENT_TTL_SECONDS));
        // The event as one JSON string too: what the relay publishes, exactly as appended.
        let json = serde_json::to_string(event).map_err(|e| Error::unavailable("encode an event", e))?;
        item.insert("event".into(), s(json));
        self.client
            .put_item()
            .table_name(&self.events)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("store an event", e))?;
        Ok(())
    }

    async fn history(
        &self,
        shop: Uuid,
        after: Option<&EventCursor>,
        limit: PageSize,
    ) -> Result<Page<ShopEvent>, Error> {
        let start = after.map(|cursor| {
            HashMap::from([("pk".to_owned(), s(shop_key(shop))), ("sk".to_owned(), s(&cursor.0))])
        });
        let output = self
            .client
            .query()
            .table_name(&self.events)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(shop_key(shop)))
            .scan_index_forward(false)
            .limit(limit.get() as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| unavailable("read a shop's events", e))?;
        let mut items: Vec<ShopEvent> = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode an event", e)))
            .collect::<Result<_, _>>()?;
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
impl Connections for DynamoShop {
    async fn add(&self, connection: &Connection) -> Result<(), Error> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(connection).map_err(|e| Error::unavailable("encode a connection", e))?;
        item.insert("expires_at".into(), expires_in(CONNECTION_TTL_SECONDS));
        self.client
            .put_item()
            .table_name(&self.connections)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("store a connection", e))?;
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.connections)
            .key("id", s(id))
            .send()
            .await
            .map_err(|e| unavailable("delete a connection", e))?;
        Ok(())
    }

    /// The `by_shop` GSI, every page: no Scan.
    async fn for_shop(&self, shop: Uuid) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.connections)
                .index_name("by_shop")
                .key_condition_expression("shop_id = :shop")
                .expression_attribute_values(":shop", s(shop.to_string()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("find a shop's connections", e))?;
            ids.extend(
                output
                    .items
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| item.get("id")?.as_s().ok().cloned()),
            );
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(ids);
            }
        }
    }
}

#[async_trait]
impl Deduplicator for DynamoShop {
    /// A conditional put: only the first claim of a (consumer, event) pair succeeds.
    async fn claim(&self, consumer: &str, event: Uuid) -> Result<bool, Error> {
        let claimed = self
            .client
            .put_item()
            .table_name(&self.claims)
            .item("claim", s(format!("{consumer}#{event}")))
            .item("expires_at", expires_in(CLAIM_TTL_SECONDS))
            .condition_expression("attribute_not_exists(claim)")
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("claim an event", e)),
        }
    }

    async fn release(&self, consumer: &str, event: Uuid) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.claims)
            .key("claim", s(format!("{consumer}#{event}")))
            .send()
            .await
            .map_err(|e| unavailable("release an event claim", e))?;
        Ok(())
    }
}

//! A table of one versioned item per user (`user_id`): the profiles and the devices tables.
//! A save is one conditional `PutItem` over the version it was made from ([`put_versioned`],
//! which the co-purchase records use too), so of two saves made from the same read only one
//! lands.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{s, unavailable};

#[derive(Clone)]
pub(crate) struct PerUserTable {
    client: Client,
    table: String,
}

impl PerUserTable {
    pub(crate) fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The user's item, read strongly consistent (a save follows from it).
    pub(crate) async fn read<T: DeserializeOwned>(
        &self,
        user: &UserId,
        what: &'static str,
    ) -> Result<Option<T>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("user_id", s(user.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable(what, e))?;
        output
            .item
            .map(|item| serde_dynamo::from_item(item).map_err(|e| Error::unavailable(what, e)))
            .transpose()
    }

    /// Writes `record`, whose `version` is one past the version it was made from (1: there was
    /// none); `false` when another save landed first.
    pub(crate) async fn save<T: Serialize>(
        &self,
        record: &T,
        version: u64,
        what: &'static str,
    ) -> Result<bool, Error> {
        let item = serde_dynamo::to_item(record).map_err(|e| Error::unavailable(what, e))?;
        put_versioned(&self.client, &self.table, item, "user_id", version, what).await
    }
}

/// Puts `item`, whose `version` is one past the version it was made from (1: there was none),
/// conditioned on that version (or on no item with `key_attribute`); `false` when another
/// save landed first.
pub(crate) async fn put_versioned(
    client: &Client,
    table: &str,
    item: HashMap<String, AttributeValue>,
    key_attribute: &str,
    version: u64,
    what: &'static str,
) -> Result<bool, Error> {
    let Some(before) = version.checked_sub(1) else { return Ok(false) };
    let put = client.put_item().table_name(table).set_item(Some(item));
    let put = if before == 0 {
        put.condition_expression(format!("attribute_not_exists({key_attribute})"))
    } else {
        put.condition_expression("#version = :before")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":before", AttributeValue::N(before.to_string()))
    };
    match put.send().await {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
            Ok(false)
        }
        Err(e) => Err(unavailable(what, e)),
    }
}

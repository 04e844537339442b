//! Co-purchases in the figures table: one item per book (`pk` = `COPURCHASE#<book>`) and one
//! for every order (`COPURCHASE#POPULAR`), `sk` = `PARTNERS`. The search function may read
//! only these keys (a `dynamodb:LeadingKeys` condition on `COPURCHASE#*`). A save is one
//! conditional `PutItem` over the version it was made from. See `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use bookworm_domain::Error;
use bookworm_domain::copurchase::{PartnerKey, Partners};
use bookworm_domain::ports::CoPurchaseStore;

use crate::per_user::put_versioned;
use crate::{required_env, s, unavailable};

/// What every co-purchase key begins with (the search function's read grant names it).
pub const PREFIX: &str = "COPURCHASE#";

#[derive(Clone)]
pub struct DynamoCoPurchases {
    client: Client,
    table: String,
}

impl DynamoCoPurchases {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// In the table `FIGURES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("FIGURES_TABLE")?))
    }
}

fn key(key: PartnerKey) -> HashMap<String, AttributeValue> {
    let pk = match key {
        PartnerKey::Book(book) => format!("{PREFIX}{book}"),
        PartnerKey::Popular => format!("{PREFIX}POPULAR"),
    };
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s("PARTNERS"))])
}

#[async_trait]
impl CoPurchaseStore for DynamoCoPurchases {
    async fn partners(&self, wanted: PartnerKey) -> Result<Partners, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(wanted)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read co-purchases", e))?;
        let Some(item) = output.item else { return Ok(Partners::empty(wanted)) };
        let mut partners: Partners =
            serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode co-purchases", e))?;
        partners.key = Some(wanted);
        Ok(partners)
    }

    async fn save_partners(&self, partners: &Partners) -> Result<bool, Error> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(partners).map_err(|e| Error::unavailable("encode co-purchases", e))?;
        item.extend(key(partners.key()));
        put_versioned(&self.client, &self.table, item, "pk", partners.version, "save co-purchases").await
    }
}

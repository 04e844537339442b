//! The embedded co-purchase store: one [`Partners`] record per key in the shop's redb file.
//! One lock is held across each version check and its commit, which makes a save conditional,
//! as DynamoDB's condition expression does.

use std::sync::Arc;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::copurchase::{PartnerKey, Partners};
use bookworm_domain::ports::CoPurchaseStore;
use redb::{ReadableDatabase, TableDefinition};
use tokio::sync::Mutex;

use crate::EmbeddedShop;
use crate::layout::{Table, json};
use crate::shop::Change;

/// Key: [`key`]. Value: the [`Partners`] as JSON.
const PARTNERS: Table = TableDefinition::new("co_purchases");

pub struct EmbeddedCoPurchases {
    shop: Arc<EmbeddedShop>,
    saving: Mutex<()>,
}

fn fail(error: impl Into<redb::Error>) -> Error {
    Error::unavailable("read the co-purchase table", error.into())
}

fn key(key: PartnerKey) -> Vec<u8> {
    match key {
        PartnerKey::Book(book) => book.0.as_bytes().to_vec(),
        PartnerKey::Popular => b"popular".to_vec(),
    }
}

impl EmbeddedCoPurchases {
    /// The co-purchase store in `shop`'s file.
    pub fn open(shop: Arc<EmbeddedShop>) -> Result<Self, Error> {
        let txn = shop.db.begin_write().map_err(fail)?;
        txn.open_table(PARTNERS).map_err(fail)?;
        txn.commit().map_err(fail)?;
        Ok(Self { shop, saving: Mutex::new(()) })
    }

    fn read(&self, wanted: PartnerKey) -> Result<Partners, Error> {
        let txn = self.shop.db.begin_read().map_err(fail)?;
        let table = txn.open_table(PARTNERS).map_err(fail)?;
        let Some(value) = table.get(key(wanted).as_slice()).map_err(fail)? else {
            return Ok(Partners::empty(wanted));
        };
        let mut partners: Partners = serde_json::from_slice(value.value())
            .map_err(|e| Error::unavailable("decode a co-purchase record", e))?;
        partners.key = Some(wanted);
        Ok(partners)
    }
}

#[async_trait]
impl CoPurchaseStore for EmbeddedCoPurchases {
    async fn partners(&self, key: PartnerKey) -> Result<Partners, Error> {
        self.read(key)
    }

    async fn save_partners(&self, partners: &Partners) -> Result<bool, Error> {
        let _saving = self.saving.lock().await;
        if self.read(partners.key())?.version + 1 != partners.version {
            return Ok(false);
        }
        let writes = vec![(PARTNERS, key(partners.key()), json(partners)?)];
        self.shop.commit(Change { writes, ..Change::default() }).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::ids::{BookId, EventId};

    #[tokio::test]
    async fn meets_the_co_purchase_contract() {
        let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
        bookworm_domain::contract::co_purchase_store(&EmbeddedCoPurchases::open(shop).unwrap()).await;
    }

    #[tokio::test]
    async fn a_reopened_file_keeps_every_record() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("shop.redb");
        let key = PartnerKey::Book(BookId::derived("a"));
        let mut partners = Partners::empty(key);
        partners.add(EventId::random(), &[BookId::derived("b")]);
        {
            let store = EmbeddedCoPurchases::open(Arc::new(EmbeddedShop::open(&path).unwrap())).unwrap();
            assert!(store.save_partners(&partners).await.unwrap());
        }
        let store = EmbeddedCoPurchases::open(Arc::new(EmbeddedShop::open(&path).unwrap())).unwrap();
        assert_eq!(store.partners(key).await.unwrap(), partners);
    }
}

//! Buyers' push devices in the shop file, one row per user. A save checks the stored version
//! inside the writer's transaction, so of racing saves over one version exactly one lands.

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::DeviceStore;
use bookworm_domain::push::Devices;

use crate::EmbeddedShop;
use crate::layout::{DEVICES, json};

fn decode(bytes: &[u8]) -> Result<Devices, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::unavailable("decode devices", e))
}

#[async_trait]
impl DeviceStore for EmbeddedShop {
    async fn devices(&self, user: &UserId) -> Result<Devices, Error> {
        let fail = |e: redb::Error| Error::unavailable("read devices", e);
        let txn = self.read()?;
        let table = txn.open_table(DEVICES).map_err(|e| fail(e.into()))?;
        let row = table.get(user.as_str().as_bytes()).map_err(|e| fail(e.into()))?;
        Ok(row.map(|value| decode(value.value())).transpose()?.unwrap_or_else(|| Devices::empty(user)))
    }

    async fn save_devices(&self, devices: &Devices) -> Result<bool, Error> {
        let Some(before) = devices.version.checked_sub(1) else { return Ok(false) };
        let (key, value) = (devices.user_id.as_str().as_bytes().to_vec(), json(devices)?);
        self.write(move |batch| {
            let stored = batch.get(DEVICES, &key)?.map(|bytes| decode(&bytes)).transpose()?;
            if stored.map_or(0, |stored| stored.version) != before {
                return Ok(false);
            }
            batch.put(DEVICES, &key, &value)?;
            Ok(true)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::ids::DeviceId;
    use bookworm_domain::push::{Device, Platform};

    #[tokio::test]
    async fn meets_the_device_contract() {
        bookworm_domain::contract::device_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn devices_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.redb");
        let user = UserId::new("ann").unwrap();
        let device = Device {
            id: DeviceId::random(),
            platform: Platform::Apns,
            token: "ab".repeat(32),
            endpoint_arn: "arn:aws:sns:local:000000000000:endpoint/APNS/bookworm/1".into(),
            created_at: "2026-12-07T20:00:00.000Z".into(),
        };
        let devices = Devices::empty(&user).with(device).unwrap();
        assert!(EmbeddedShop::open(&path).unwrap().save_devices(&devices).await.unwrap());
        assert_eq!(EmbeddedShop::open(&path).unwrap().devices(&user).await.unwrap(), devices);
    }
}

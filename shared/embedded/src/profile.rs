//! Buyers' profiles in the shop file, one row per user. A save checks the stored version
//! inside the writer's transaction, so of racing saves over one version exactly one lands.

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::ProfileStore;
use bookworm_domain::profile::Profile;

use crate::EmbeddedShop;
use crate::layout::{PROFILES, json};

fn decode(bytes: &[u8]) -> Result<Profile, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::unavailable("decode a profile", e))
}

#[async_trait]
impl ProfileStore for EmbeddedShop {
    async fn profile(&self, user: &UserId) -> Result<Option<Profile>, Error> {
        let fail = |e: redb::Error| Error::unavailable("read a profile", e);
        let txn = self.read()?;
        let table = txn.open_table(PROFILES).map_err(|e| fail(e.into()))?;
        let row = table.get(user.as_str().as_bytes()).map_err(|e| fail(e.into()))?;
        row.map(|value| decode(value.value())).transpose()
    }

    async fn save_profile(&self, profile: &Profile) -> Result<bool, Error> {
        let Some(before) = profile.version.checked_sub(1) else { return Ok(false) };
        let (key, value) = (profile.user_id.as_str().as_bytes().to_vec(), json(profile)?);
        self.write(move |batch| {
            let stored = batch.get(PROFILES, &key)?.map(|bytes| decode(&bytes)).transpose()?;
            if stored.map_or(0, |stored| stored.version) != before {
                return Ok(false);
            }
            batch.put(PROFILES, &key, &value)?;
            Ok(true)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn meets_the_profile_contract() {
        bookworm_domain::contract::profile_store(&EmbeddedShop::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn profiles_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.redb");
        let user = UserId::new("ann").unwrap();
        let profile = Profile { version: 1, ..Profile::empty(&user) };
        assert!(EmbeddedShop::open(&path).unwrap().save_profile(&profile).await.unwrap());
        assert_eq!(EmbeddedShop::open(&path).unwrap().profile(&user).await.unwrap(), Some(profile));
    }
}

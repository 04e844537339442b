//! What an in-store device may do once its token is verified: publish its one shop's checkout
//! actions, until its token expires. Shared by the local stack's MQTT broker and the IoT Core
//! custom authorizer Lambda, so both answer the same question the same way.

use bookworm_domain::devices::actions_topic;
use bookworm_domain::ids::{ShopId, UserId};

use crate::{Rejection, Verifier};

/// A verified device's rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    /// The token's `sub`.
    pub device_id: UserId,
    pub shop: ShopId,
    /// The token's `exp` (Unix seconds): the connection must end then.
    pub expires_at: u64,
}

impl DeviceGrant {
    pub(crate) fn new(device_id: UserId, shop: ShopId, expires_at: u64) -> Self {
        Self { device_id, shop, expires_at }
    }

    /// The only topic the device may publish on.
    pub fn topic(&self) -> String {
        actions_topic(self.shop)
    }

    /// Whether a publish on `topic` is allowed: its own shop's actions topic, spelled exactly
    /// (no wildcard, no other spelling of the shop id).
    pub fn may_publish(&self, topic: &str) -> bool {
        topic == self.topic()
    }

    /// Seconds from `now` (Unix seconds) until the token expires; 0 once it has.
    pub fn seconds_left(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

/// The device a connection's token names, or why it may not connect. `None` and an empty
/// token are both "no token".
pub async fn authorize_device(verifier: &Verifier, token: Option<&str>) -> Result<DeviceGrant, Rejection> {
    match token.map(str::trim).filter(|token| !token.is_empty()) {
        Some(token) => verifier.verify_device(token).await,
        None => Err(Rejection::Missing),
    }
}

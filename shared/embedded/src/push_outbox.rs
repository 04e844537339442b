//! The local stack's push service: what SNS mobile push does in AWS. Every platform is
//! offered; an endpoint is an ARN made up in SNS's shape; each push lands in
//! `<data>/push-outbox/` as one JSON file holding the message exactly as SNS would be given it
//! (`MessageStructure: json`) and the payload the device's platform would get.
//! `GET /_local/push` lists them, newest first. Each endpoint's owner (the user who registered
//! its token last) is kept in `endpoints/`, so a phone that changed hands behaves as on SNS.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::clock::now_rfc3339;
use bookworm_domain::ids::{DeviceId, OrderId, UserId};
use bookworm_domain::ports::PushGateway;
use bookworm_domain::push::{Device, Platform, PushDelivery, PushMessage};
use serde::{Deserialize, Serialize};

pub struct LocalPush {
    dir: PathBuf,
}

/// One push, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentPush {
    pub id: String,
    pub sent_at: String,
    pub device_id: DeviceId,
    pub platform: Platform,
    pub token: String,
    pub endpoint_arn: String,
    pub order_id: OrderId,
    /// The `Message` of SNS's Publish call, as sent (a JSON string).
    pub sns_message: String,
    /// What the platform delivers to the app: the value under its key in `sns_message`.
    pub payload: serde_json::Value,
}

impl LocalPush {
    pub fn new(dir: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(dir.join("endpoints"))
            .map_err(|e| Error::unavailable("create the push outbox folder", e))?;
        Ok(Self { dir: dir.to_owned() })
    }

    /// Where an endpoint's owner is kept: `endpoints/<the ARN's last part>`.
    fn owner_file(&self, endpoint_arn: &str) -> PathBuf {
        let id = endpoint_arn.rsplit('/').next().unwrap_or_default();
        self.dir.join("endpoints").join(id.replace(['.', '\\'], "_"))
    }

    /// The user who registered the endpoint's token last; `None` when it is gone.
    fn owner(&self, endpoint_arn: &str) -> Result<Option<String>, Error> {
        match std::fs::read_to_string(self.owner_file(endpoint_arn)) {
            Ok(owner) => Ok(Some(owner)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::unavailable("read a push endpoint", e)),
        }
    }

    /// Every push sent so far, newest first.
    pub fn list(&self) -> Result<Vec<SentPush>, Error> {
        let fail = |e: std::io::Error| Error::unavailable("read the push outbox", e);
        let mut sent = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(fail)?.flatten() {
            if entry.file_name().to_string_lossy().ends_with(".push.json") {
                let text = std::fs::read(entry.path()).map_err(fail)?;
                let push: SentPush = serde_json::from_slice(&text)
                    .map_err(|e| Error::unavailable("read the push outbox", e))?;
                sent.push(push);
            }
        }
        sent.sort_by(|a, b| (&b.sent_at, &b.id).cmp(&(&a.sent_at, &a.id)));
        Ok(sent)
    }
}

#[async_trait]
impl PushGateway for LocalPush {
    fn offers(&self, _platform: Platform) -> bool {
        true
    }

    /// The same token gives the same ARN, as SNS's CreatePlatformEndpoint does, and the newest
    /// registration owns it.
    async fn create_endpoint(&self, platform: Platform, token: &str, user: &UserId) -> Result<String, Error> {
        let id = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("{}:{token}", platform.as_str()).as_bytes(),
        );
        let arn =
            format!("arn:aws:sns:local:000000000000:endpoint/{}/bookworm-local/{id}", platform.sns_key());
        std::fs::write(self.owner_file(&arn), user.as_str())
            .map_err(|e| Error::unavailable("write a push endpoint", e))?;
        Ok(arn)
    }

    async fn delete_endpoint(&self, endpoint_arn: &str, owner: &UserId) -> Result<(), Error> {
        if self.owner(endpoint_arn)?.is_some_and(|current| current == owner.as_str()) {
            std::fs::remove_file(self.owner_file(endpoint_arn))
                .map_err(|e| Error::unavailable("delete a push endpoint", e))?;
        }
        Ok(())
    }

    async fn push(
        &self,
        device: &Device,
        owner: &UserId,
        message: &PushMessage,
    ) -> Result<PushDelivery, Error> {
        if self.owner(&device.endpoint_arn)?.is_some_and(|current| current != owner.as_str()) {
            return Ok(PushDelivery::Reassigned);
        }
        let sent = SentPush {
            id: uuid::Uuid::new_v4().to_string(),
            sent_at: now_rfc3339(),
            device_id: device.id,
            platform: device.platform,
            token: device.token.clone(),
            endpoint_arn: device.endpoint_arn.clone(),
            order_id: message.order_id,
            sns_message: message.sns_message(device.platform),
            payload: message.payload(device.platform),
        };
        let json = serde_json::to_vec_pretty(&sent)
            .map_err(|e| Error::unavailable("write to the push outbox", e))?;
        std::fs::write(self.dir.join(format!("{}.push.json", sent.id)), json)
            .map_err(|e| Error::unavailable("write to the push outbox", e))?;
        Ok(PushDelivery::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pushes_are_listed_newest_first_with_the_platform_payload() {
        let dir = tempfile::tempdir().unwrap();
        let push = LocalPush::new(dir.path()).unwrap();
        let ann = UserId::new("ann").unwrap();
        let token = "ab".repeat(32);
        let arn = push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap();
        assert_eq!(push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap(), arn);
        let device = Device {
            id: DeviceId::random(),
            platform: Platform::Apns,
            token,
            endpoint_arn: arn,
            created_at: now_rfc3339(),
        };
        let first = PushMessage { title: "Received".into(), body: "1".into(), order_id: OrderId::random() };
        let second = PushMessage { title: "Completed".into(), body: "2".into(), order_id: OrderId::random() };
        push.push(&device, &ann, &first).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        push.push(&device, &ann, &second).await.unwrap();
        let listed = push.list().unwrap();
        assert_eq!(listed.iter().map(|p| p.order_id).collect::<Vec<_>>(), [second.order_id, first.order_id]);
        assert_eq!(listed[0].payload["aps"]["alert"]["title"], "Completed");
        let sns: serde_json::Value = serde_json::from_str(&listed[0].sns_message).unwrap();
        assert_eq!(sns["APNS"].as_str().unwrap(), listed[0].payload.to_string());
    }

    #[tokio::test]
    async fn the_newest_registration_of_a_token_owns_its_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let push = LocalPush::new(dir.path()).unwrap();
        let (ann, bob) = (UserId::new("ann").unwrap(), UserId::new("bob").unwrap());
        let token = "cd".repeat(32);
        let arn = push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap();
        assert_eq!(push.create_endpoint(Platform::Apns, &token, &bob).await.unwrap(), arn);
        let device = Device {
            id: DeviceId::random(),
            platform: Platform::Apns,
            token,
            endpoint_arn: arn.clone(),
            created_at: now_rfc3339(),
        };
        let message = PushMessage { title: "Received".into(), body: "1".into(), order_id: OrderId::random() };
        assert_eq!(push.push(&device, &ann, &message).await.unwrap(), PushDelivery::Reassigned);
        push.delete_endpoint(&arn, &ann).await.unwrap();
        assert_eq!(
            push.push(&device, &bob, &message).await.unwrap(),
            PushDelivery::Sent,
            "not Ann's to delete"
        );
        assert_eq!(push.list().unwrap().len(), 1, "only Bob's push was sent");
        push.delete_endpoint(&arn, &bob).await.unwrap();
        assert_eq!(push.owner(&arn).unwrap(), None, "its owner deletes it");
    }
}

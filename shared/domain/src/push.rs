//! Push notifications to buyers' phones: the devices a buyer registers (each an SNS platform
//! endpoint in AWS), the rules a registration must meet, and the message an order event sends,
//! in SNS's per-platform JSON (`MessageStructure: json`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Error;
use crate::ids::{DeviceId, OrderId, UserId};

/// The most devices one buyer keeps registered: a phone, a tablet, a few reinstalls. Past it a
/// registration is refused (409) until one is removed, so nobody can make one order fan out to
/// thousands of endpoints.
pub const DEVICES_MAX: usize = 10;

/// FCM registration tokens are about 160 characters today; Google promises no length, SNS takes
/// up to 4096 bytes.
pub const FCM_TOKEN_MIN: usize = 20;
pub const FCM_TOKEN_MAX: usize = 4096;

/// The push services SNS forwards to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Apple Push Notification service, production.
    Apns,
    /// Apple's sandbox, for development builds of the app.
    ApnsSandbox,
    /// Firebase Cloud Messaging (Android).
    Fcm,
}

impl Platform {
    pub const ALL: [Self; 3] = [Self::Apns, Self::ApnsSandbox, Self::Fcm];

    /// The key SNS reads this platform's payload from in a `MessageStructure: json` message.
    pub fn sns_key(self) -> &'static str {
        match self {
            Self::Apns => "APNS",
            Self::ApnsSandbox => "APNS_SANDBOX",
            Self::Fcm => "GCM",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apns => "apns",
            Self::ApnsSandbox => "apns_sandbox",
            Self::Fcm => "fcm",
        }
    }

    /// `token` checked for this platform, as stored: APNs tokens in lower case, so the same
    /// token sent in either case is the same device.
    pub fn token(self, token: &str) -> Result<String, Error> {
        let token = token.trim();
        match self {
            Self::Apns | Self::ApnsSandbox => {
                if token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(token.to_ascii_lowercase())
                } else {
                    Err(Error::invalid("token", "an APNs device token is 64 hexadecimal characters"))
                }
            }
            Self::Fcm => {
                let charset = token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
                if (FCM_TOKEN_MIN..=FCM_TOKEN_MAX).contains(&token.len()) && charset {
                    Ok(token.to_owned())
                } else {
                    Err(Error::invalid(
                        "token",
                        format!(
                            "an FCM registration token is {FCM_TOKEN_MIN} to {FCM_TOKEN_MAX} characters of \
                             letters, digits and - _ : ."
                        ),
                    ))
                }
            }
        }
    }
}

/// One registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    pub platform: Platform,
    pub token: String,
    /// The SNS platform endpoint that delivers to it (the local stack makes up its own).
    pub endpoint_arn: String,
    pub created_at: String,
}

/// A device as its owner sees it: no endpoint ARN, which is ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceView {
    pub id: DeviceId,
    pub platform: Platform,
    pub token: String,
    pub created_at: String,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id,
            platform: device.platform,
            token: device.token.clone(),
            created_at: device.created_at.clone(),
        }
    }
}

/// A buyer's devices, saved whole over the version they were read at (so a registration racing
/// another cannot go past [`DEVICES_MAX`], nor lose the other's device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Devices {
    pub user_id: UserId,
    pub devices: Vec<Device>,
    /// 0: never saved.
    pub version: u64,
}

impl Devices {
    pub fn empty(user: &UserId) -> Self {
        Self { user_id: user.clone(), devices: Vec::new(), version: 0 }
    }

    /// The device already registered with this platform and token.
    pub fn find(&self, platform: Platform, token: &str) -> Option<&Device> {
        self.devices.iter().find(|device| device.platform == platform && device.token == token)
    }

    /// Whether one more device may be added: 409 when the buyer already has [`DEVICES_MAX`].
    pub fn room(&self) -> Result<(), Error> {
        if self.devices.len() >= DEVICES_MAX {
            return Err(Error::Conflict(format!(
                "at most {DEVICES_MAX} devices per account; remove one (DELETE /me/devices/{{id}}) first"
            )));
        }
        Ok(())
    }

    /// The next version with `device` added; 409 when the buyer already has [`DEVICES_MAX`].
    pub fn with(&self, device: Device) -> Result<Self, Error> {
        self.room()?;
        let mut devices = self.devices.clone();
        devices.push(device);
        Ok(Self { user_id: self.user_id.clone(), devices, version: self.version + 1 })
    }

    /// The next version without `id`; `None` when it is not one of these.
    pub fn without(&self, id: DeviceId) -> Option<Self> {
        let devices: Vec<Device> = self.devices.iter().filter(|device| device.id != id).cloned().collect();
        (devices.len() < self.devices.len()).then(|| Self {
            user_id: self.user_id.clone(),
            devices,
            version: self.version + 1,
        })
    }
}

/// What one push says: a title and a line, and the order it is about (the app's deep link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    pub order_id: OrderId,
}

impl PushMessage {
    /// The app's link to the order's page.
    pub fn link(&self) -> String {
        format!("bookworm://orders/{}", self.order_id)
    }

    /// The payload one platform gets: APNs's `aps` alert with the order beside it, or FCM's
    /// notification with the order in `data` (FCM data values are strings).
    pub fn payload(&self, platform: Platform) -> serde_json::Value {
        let (title, body, order_id, link) = (&self.title, &self.body, self.order_id.to_string(), self.link());
        match platform {
            Platform::Apns | Platform::ApnsSandbox => json!({
                "aps": { "alert": { "title": title, "body": body }, "sound": "default" },
                "order_id": order_id,
                "link": link,
            }),
            Platform::Fcm => json!({
                "notification": { "title": title, "body": body },
                "data": { "order_id": order_id, "link": link },
            }),
        }
    }

    /// The whole SNS message for `platform` (`MessageStructure: json`): `default` for any
    /// other transport, and the platform's payload as a JSON string under its key.
    pub fn sns_message(&self, platform: Platform) -> String {
        let mut message = serde_json::Map::new();
        message.insert("default".into(), json!(self.body));
        message.insert(platform.sns_key().into(), json!(self.payload(platform).to_string()));
        serde_json::Value::Object(message).to_string()
    }
}

/// What became of one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushDelivery {
    Sent,
    /// SNS says the endpoint is disabled (the app was removed, the token expired): the device
    /// is to be forgotten.
    Disabled,
    /// Another user registered the device's token since (the phone changed hands): the device
    /// is to be forgotten, and its endpoint, now theirs, kept.
    Reassigned,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apns_tokens_are_64_hex_characters_kept_in_lower_case() {
        let token = "A".repeat(64);
        assert_eq!(Platform::Apns.token(&token).unwrap(), "a".repeat(64));
        assert_eq!(Platform::ApnsSandbox.token(&format!(" {} ", "0f".repeat(32))).unwrap(), "0f".repeat(32));
        for bad in [
            "a".repeat(63),
            "a".repeat(65),
            "g".repeat(64),
            String::new(),
            format!("{}\u{e9}", "a".repeat(62)),
        ] {
            let Err(Error::Invalid(errors)) = Platform::Apns.token(&bad) else { panic!("{bad} accepted") };
            assert_eq!(errors[0].field, "token");
        }
    }

    #[test]
    fn fcm_tokens_have_a_sane_length_and_charset() {
        let token = format!("fMEQ3x:APA91b{}", "H_-x".repeat(35));
        assert_eq!(Platform::Fcm.token(&token).unwrap(), token);
        for bad in [
            "short".to_owned(),
            "a".repeat(FCM_TOKEN_MAX + 1),
            format!("{}<script>", "a".repeat(30)),
            format!("{} {}", "a".repeat(30), "b"),
        ] {
            assert!(Platform::Fcm.token(&bad).is_err(), "{bad}");
        }
        assert!(Platform::Fcm.token(&"a".repeat(FCM_TOKEN_MAX)).is_ok());
    }

    fn device(n: usize) -> Device {
        Device {
            id: DeviceId::random(),
            platform: Platform::Fcm,
            token: format!("token-{n:020}"),
            endpoint_arn: format!("arn:aws:sns:eu-west-1:123456789012:endpoint/GCM/bookworm/{n}"),
            created_at: "2026-12-07T20:00:00.000Z".into(),
        }
    }

    #[test]
    fn a_buyer_keeps_at_most_the_maximum_and_removes_only_their_own() {
        let user = UserId::new("ann").unwrap();
        let mut devices = Devices::empty(&user);
        for n in 0..DEVICES_MAX {
            devices = devices.with(device(n)).unwrap();
        }
        assert_eq!(devices.version, DEVICES_MAX as u64);
        assert!(matches!(devices.with(device(99)), Err(Error::Conflict(_))));
        assert!(devices.without(DeviceId::random()).is_none(), "not theirs: nothing to remove");
        let first = devices.devices[0].clone();
        let fewer = devices.without(first.id).unwrap();
        assert_eq!((fewer.devices.len(), fewer.version), (DEVICES_MAX - 1, DEVICES_MAX as u64 + 1));
        assert!(fewer.find(first.platform, &first.token).is_none());
        assert!(devices.find(first.platform, &first.token).is_some());
    }

    #[test]
    fn the_sns_message_carries_each_platforms_payload_as_a_string() {
        let message = PushMessage {
            title: "Order received".into(),
            body: "\"Quoted\" <b>".into(),
            order_id: OrderId::random(),
        };
        let apns: serde_json::Value = serde_json::from_str(&message.sns_message(Platform::Apns)).unwrap();
        assert_eq!(apns["default"], "\"Quoted\" <b>");
        let inner: serde_json::Value = serde_json::from_str(apns["APNS"].as_str().unwrap()).unwrap();
        assert_eq!(inner["aps"]["alert"]["title"], "Order received");
        assert_eq!(inner["order_id"], message.order_id.to_string());
        assert!(apns.get("GCM").is_none());
        let sandbox: serde_json::Value =
            serde_json::from_str(&message.sns_message(Platform::ApnsSandbox)).unwrap();
        assert!(sandbox["APNS_SANDBOX"].is_string());
        let fcm: serde_json::Value = serde_json::from_str(&message.sns_message(Platform::Fcm)).unwrap();
        let inner: serde_json::Value = serde_json::from_str(fcm["GCM"].as_str().unwrap()).unwrap();
        assert_eq!(inner["notification"]["body"], "\"Quoted\" <b>");
        assert_eq!(inner["data"]["link"], format!("bookworm://orders/{}", message.order_id));
    }
}

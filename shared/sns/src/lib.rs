//! Publishes shop events to the SNS topic. Each message is the event as JSON, with the
//! attributes subscribers filter on: `shop_id` and `type`. Also SNS's other two uses here:
//! text messages to phone numbers ([`SnsSms`]) and mobile push to platform endpoints ([`SnsPush`]).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::operation::create_platform_endpoint::CreatePlatformEndpointError;
use aws_sdk_sns::operation::get_endpoint_attributes::GetEndpointAttributesError;
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;
use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::UserId;
use bookworm_domain::ports::{EventBus, PushGateway};
use bookworm_domain::push::{Device, Platform, PushDelivery, PushMessage};

#[derive(Clone)]
pub struct SnsBus {
    client: Client,
    topic_arn: String,
}

impl SnsBus {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self { client, topic_arn: topic_arn.into() }
    }
}

fn attribute(value: &str) -> Result<MessageAttributeValue, Error> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| Error::unavailable("build a message attribute", e))
}

#[async_trait]
impl EventBus for SnsBus {
    async fn publish(&self, event: &ShopEvent) -> Result<(), Error> {
        let message = serde_json::to_string(event).map_err(|e| Error::unavailable("encode an event", e))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .message_attributes("shop_id", attribute(&event.shop_id.to_string())?)
            .message_attributes("type", attribute(event.kind())?)
            .send()
            .await
            .map_err(|e| Error::unavailable("publish an event", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

/// Text messages through SNS `Publish` to a phone number, marked transactional (order news,
/// not marketing).
#[derive(Clone)]
pub struct SnsSms {
    client: Client,
}

impl SnsSms {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl bookworm_domain::mail::SmsSender for SnsSms {
    async fn send_sms(&self, sms: &bookworm_domain::mail::Sms) -> Result<(), Error> {
        self.client
            .publish()
            .phone_number(&sms.to)
            .message(&sms.text)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?)
            .send()
            .await
            .map_err(|e| Error::unavailable("send a text message", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

/// Mobile push through SNS: each device a platform endpoint under its platform's application,
/// each message in SNS's per-platform JSON (`MessageStructure: json`).
#[derive(Clone)]
pub struct SnsPush {
    client: Client,
    /// The platform application ARN of each platform offered.
    applications: Vec<(Platform, String)>,
}

impl SnsPush {
    pub fn new(client: Client, applications: Vec<(Platform, String)>) -> Self {
        let applications = applications.into_iter().filter(|(_, arn)| !arn.trim().is_empty()).collect();
        Self { client, applications }
    }

    /// The applications named by `PUSH_APNS_APPLICATION_ARN`, `PUSH_APNS_SANDBOX_APPLICATION_ARN`
    /// and `PUSH_FCM_APPLICATION_ARN`; an unset or empty one is a platform not offered.
    pub fn from_env(client: Client) -> Self {
        let applications = Platform::ALL
            .into_iter()
            .filter_map(|platform| {
                std::env::var(application_variable(platform)).ok().map(|arn| (platform, arn))
            })
            .collect();
        Self::new(client, applications)
    }

    fn application(&self, platform: Platform) -> Option<&str> {
        self.applications.iter().find(|(offered, _)| *offered == platform).map(|(_, arn)| arn.as_str())
    }
}

/// The environment variable naming `platform`'s application ARN.
pub fn application_variable(platform: Platform) -> &'static str {
    match platform {
        Platform::Apns => "PUSH_APNS_APPLICATION_ARN",
        Platform::ApnsSandbox => "PUSH_APNS_SANDBOX_APPLICATION_ARN",
        Platform::Fcm => "PUSH_FCM_APPLICATION_ARN",
    }
}

#[async_trait]
impl PushGateway for SnsPush {
    fn offers(&self, platform: Platform) -> bool {
        self.application(platform).is_some()
    }

    async fn create_endpoint(&self, platform: Platform, token: &str, user: &UserId) -> Result<String, Error> {
        let application = self.application(platform).ok_or_else(|| not_offered(platform))?;
        let created = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(application)
            .token(token)
            .custom_user_data(user.as_str())
            .send()
            .await;
        let endpoint = match created {
            Ok(output) => {
                return output
                    .endpoint_arn
                    .ok_or_else(|| Error::unavailable("create a push endpoint", "SNS returned no ARN"));
            }
            // The token has an endpoint already, owned by another user or disabled: SNS names it
            // in the error, which is how AWS's token management guide finds it.
            Err(e) => match e.as_service_error() {
                Some(CreatePlatformEndpointError::InvalidParameterException(invalid)) => {
                    existing_endpoint(invalid.message().unwrap_or_default())
                        .ok_or_else(|| Error::unavailable("create a push endpoint", invalid.to_string()))?
                }
                _ => {
                    return Err(Error::unavailable(
                        "create a push endpoint",
                        DisplayErrorContext(e).to_string(),
                    ));
                }
            },
        };
        // The newest registration owns the token, enabled again: a phone that changed hands
        // receives its new buyer's pushes only (`push` checks the owner).
        self.client
            .set_endpoint_attributes()
            .endpoint_arn(&endpoint)
            .attributes("CustomUserData", user.as_str())
            .attributes("Enabled", "true")
            .send()
            .await
            .map_err(|e| {
                Error::unavailable("take over a push endpoint", DisplayErrorContext(e).to_string())
            })?;
        Ok(endpoint)
    }

    async fn delete_endpoint(&self, endpoint_arn: &str, owner: &UserId) -> Result<(), Error> {
        match self.endpoint(endpoint_arn).await? {
            // Another user's since: theirs to keep.
            Some(attributes) if !owned_by(&attributes, owner) => return Ok(()),
            None => return Ok(()),
            Some(_) => {}
        }
        // SNS answers success for an endpoint that is already gone.
        self.client
            .delete_endpoint()
            .endpoint_arn(endpoint_arn)
            .send()
            .await
            .map_err(|e| Error::unavailable("delete a push endpoint", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }

    async fn push(
        &self,
        device: &Device,
        owner: &UserId,
        message: &PushMessage,
    ) -> Result<PushDelivery, Error> {
        // SNS disables an endpoint when APNs or FCM says the token is dead; publishing to it
        // would fail, so ask first (and catch the race with `EndpointDisabled` below).
        let Some(attributes) = self.endpoint(&device.endpoint_arn).await? else {
            // Deleted behind our back: nothing can reach it again.
            return Ok(PushDelivery::Disabled);
        };
        if !owned_by(&attributes, owner) {
            return Ok(PushDelivery::Reassigned);
        }
        if attributes.get("Enabled").is_some_and(|enabled| enabled.eq_ignore_ascii_case("false")) {
            return Ok(PushDelivery::Disabled);
        }
        let sent = self
            .client
            .publish()
            .target_arn(&device.endpoint_arn)
            .message_structure("json")
            .message(message.sns_message(device.platform))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(PushDelivery::Sent),
            Err(e) if matches!(e.as_service_error(), Some(PublishError::EndpointDisabledException(_))) => {
                Ok(PushDelivery::Disabled)
            }
            Err(e) => Err(Error::unavailable("push to a device", DisplayErrorContext(e).to_string())),
        }
    }
}

impl SnsPush {
    /// An endpoint's attributes; `None` when it is gone.
    async fn endpoint(&self, endpoint_arn: &str) -> Result<Option<HashMap<String, String>>, Error> {
        match self.client.get_endpoint_attributes().endpoint_arn(endpoint_arn).send().await {
            Ok(output) => Ok(Some(output.attributes.unwrap_or_default())),
            Err(e)
                if matches!(e.as_service_error(), Some(GetEndpointAttributesError::NotFoundException(_))) =>
            {
                Ok(None)
            }
            Err(e) => Err(Error::unavailable("read a push endpoint", DisplayErrorContext(e).to_string())),
        }
    }
}

/// Whether an endpoint is `user`'s: it names them, or no one (made before endpoints named
/// their owner).
fn owned_by(attributes: &HashMap<String, String>, user: &UserId) -> bool {
    attributes.get("CustomUserData").is_none_or(|owner| owner.is_empty() || owner == user.as_str())
}

/// The ARN in SNS's "Invalid parameter: Token Reason: Endpoint <arn> already exists with the
/// same Token, but different attributes."
fn existing_endpoint(message: &str) -> Option<String> {
    let rest = &message[message.find("Endpoint arn:")? + "Endpoint ".len()..];
    let arn = rest.split_whitespace().next()?;
    rest[arn.len()..].trim_start().starts_with("already exists").then(|| arn.to_owned())
}

fn not_offered(platform: Platform) -> Error {
    Error::invalid("platform", format!("{} devices are not offered here", platform.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_existing_endpoint_is_read_from_the_refusal_and_nothing_else() {
        let arn =
            "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/bookworm/3f0c9b2e-1d1a-4b8c-9a6e-2f7d1c0e5a41";
        let refusal = format!(
            "Invalid parameter: Token Reason: Endpoint {arn} already exists with the same Token, but different attributes."
        );
        assert_eq!(existing_endpoint(&refusal).as_deref(), Some(arn));
        assert_eq!(existing_endpoint("Invalid parameter: Token Reason: malformed"), None);
        assert_eq!(existing_endpoint(&format!("Endpoint {arn} is disabled")), None);
        assert_eq!(existing_endpoint("Endpoint arn:"), None);
    }

    #[test]
    fn an_endpoint_naming_no_one_is_its_devices_owner() {
        let ann = UserId::new("ann").unwrap();
        let named = |owner: &str| HashMap::from([("CustomUserData".to_owned(), owner.to_owned())]);
        assert!(owned_by(&HashMap::new(), &ann), "made before endpoints named their owner");
        assert!(owned_by(&named(""), &ann));
        assert!(owned_by(&named("ann"), &ann));
        assert!(!owned_by(&named("bob"), &ann));
    }
}

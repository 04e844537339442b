//! Publishes shop events to the SNS topic. Each message is the event as JSON, with the
//! attributes subscribers filter on: `shop_id` and `type`. Also SNS's other two uses here:
//! text messages to phone numbers ([`SnsSms`]) and mobile push to platform endpoints ([`SnsPush`]).

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::DisplayErrorContext;
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

    async fn create_endpoint(
        &self,
        platform: Platform,
        token: &str,
        _user: &UserId,
    ) -> Result<String, Error> {
        let application = self.application(platform).ok_or_else(|| not_offered(platform))?;
        let output = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(application)
            // No CustomUserData naming the buyer: SNS refuses a second endpoint for a token
            // with other attributes, and a phone can change hands (one buyer signs out,
            // another signs in); the same token then gets the same endpoint.
            .token(token)
            .send()
            .await
            .map_err(|e| Error::unavailable("create a push endpoint", DisplayErrorContext(e).to_string()))?;
        output.endpoint_arn.ok_or_else(|| Error::unavailable("create a push endpoint", "SNS returned no ARN"))
    }

    async fn delete_endpoint(&self, endpoint_arn: &str) -> Result<(), Error> {
        // SNS answers success for an endpoint that is already gone.
        self.client
            .delete_endpoint()
            .endpoint_arn(endpoint_arn)
            .send()
            .await
            .map_err(|e| Error::unavailable("delete a push endpoint", DisplayErrorContext(e).to_string()))?;
        Ok(())
    }

    async fn push(&self, device: &Device, message: &PushMessage) -> Result<PushDelivery, Error> {
        // SNS disables an endpoint when APNs or FCM says the token is dead; publishing to it
        // would fail, so ask first (and catch the race with `EndpointDisabled` below).
        let attributes =
            self.client.get_endpoint_attributes().endpoint_arn(&device.endpoint_arn).send().await.map_err(
                |e| {
                    if matches!(e.as_service_error(), Some(GetEndpointAttributesError::NotFoundException(_)))
                    {
                        return None;
                    }
                    Some(Error::unavailable("read a push endpoint", DisplayErrorContext(e).to_string()))
                },
            );
        let attributes = match attributes {
            Ok(output) => output.attributes.unwrap_or_default(),
            // Deleted behind our back: nothing can reach it again.
            Err(None) => return Ok(PushDelivery::Disabled),
            Err(Some(error)) => return Err(error),
        };
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

fn not_offered(platform: Platform) -> Error {
    Error::invalid("platform", format!("{} devices are not offered here", platform.as_str()))
}

//! Publishes shop events to the SNS topic. Each message is the event as JSON, with the
//! attributes subscribers filter on: `shop_id` and `type`.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ports::EventBus;

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

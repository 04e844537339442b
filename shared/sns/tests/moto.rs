//! The SNS adapter against moto (started by scripts/test; `SNS_ENDPOINT` names it): the
//! message is the event, field for field, with its `shop_id` and `type` attributes. moto keeps
//! what was published in `/moto-api/data.json`, which is read back here.

use aws_sdk_sns::Client;
use bookworm_domain::contract::sample_action;
use bookworm_domain::events::{ShopEvent, kinds};
use bookworm_domain::ports::EventBus;
use bookworm_sns::SnsBus;
use serde_json::Value;

#[tokio::test]
async fn publishes_the_event_with_its_filter_attributes() {
    let config = test_support::moto("SNS_ENDPOINT");
    let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
    let client = Client::new(&config);
    let name = format!("shop-events-{}", uuid::Uuid::new_v4());
    let topic = client.create_topic().name(&name).send().await.unwrap().topic_arn.unwrap();

    let event = ShopEvent::checkout_action(sample_action(bookworm_domain::ids::ShopId::random()));
    SnsBus::new(client, &topic).publish(&event).await.unwrap();

    let data: Value =
        reqwest::get(format!("{endpoint}/moto-api/data.json")).await.unwrap().json().await.unwrap();
    let topics = data["sns"]["Topic"].as_array().unwrap();
    let sent = &topics.iter().find(|t| t["arn"] == topic.as_str()).unwrap()["sent_notifications"];
    assert_eq!(sent.as_array().unwrap().len(), 1);
    let (message, attributes) = (&sent[0][1], &sent[0][3]);
    assert_eq!(serde_json::from_str::<ShopEvent>(message.as_str().unwrap()).unwrap(), event);
    assert_eq!(attributes["shop_id"]["Value"], event.shop_id.to_string());
    assert_eq!(attributes["type"]["Value"], kinds::CHECKOUT_ACTION);
}

#[tokio::test]
async fn sends_a_text_message_to_a_phone_number() {
    use bookworm_domain::mail::{Sms, SmsSender};
    let config = test_support::moto("SNS_ENDPOINT");
    let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
    let text = format!("BookWorm: order {} received", uuid::Uuid::new_v4());
    bookworm_sns::SnsSms::new(Client::new(&config))
        .send_sms(&Sms { to: "+79516519741".into(), text: text.clone() })
        .await
        .unwrap();
    let data: Value =
        reqwest::get(format!("{endpoint}/moto-api/data.json")).await.unwrap().json().await.unwrap();
    let sent = data["sns"]["SMS"].to_string();
    assert!(sent.contains(&text), "{sent}");
    assert!(sent.contains("+79516519741"), "{sent}");
}

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

mod push {
    use super::*;
    use bookworm_domain::ids::{DeviceId, OrderId, UserId};
    use bookworm_domain::ports::PushGateway;
    use bookworm_domain::push::{Device, Platform, PushDelivery, PushMessage};
    use bookworm_sns::SnsPush;

    async fn application(client: &Client, platform: &str) -> String {
        let name = format!("bookworm-{}", uuid::Uuid::new_v4());
        let created = client.create_platform_application().name(name).platform(platform);
        let created = created.attributes("PlatformCredential", "key").send().await.unwrap();
        created.platform_application_arn.unwrap()
    }

    fn message() -> PushMessage {
        PushMessage {
            title: "Order received".into(),
            body: "We have it.".into(),
            order_id: OrderId::random(),
        }
    }

    fn device(platform: Platform, token: &str, endpoint_arn: String) -> Device {
        let (id, token, created_at) =
            (DeviceId::random(), token.to_owned(), "2026-12-07T20:00:00.000Z".into());
        Device { id, platform, token, endpoint_arn, created_at }
    }

    #[tokio::test]
    async fn endpoints_are_made_under_the_platforms_application_and_pushed_to_in_its_json() {
        let config = test_support::moto("SNS_ENDPOINT");
        let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
        let client = Client::new(&config);
        let (apns, fcm) = (application(&client, "APNS").await, application(&client, "GCM").await);
        let push = SnsPush::new(
            client.clone(),
            vec![
                (Platform::Apns, apns.clone()),
                (Platform::Fcm, fcm.clone()),
                (Platform::ApnsSandbox, " ".into()),
            ],
        );
        assert!(push.offers(Platform::Apns) && push.offers(Platform::Fcm));
        assert!(!push.offers(Platform::ApnsSandbox), "an empty application is a platform not offered");
        let ann = UserId::new("ann").unwrap();
        let Err(bookworm_domain::Error::Invalid(errors)) =
            push.create_endpoint(Platform::ApnsSandbox, &"ab".repeat(32), &ann).await
        else {
            panic!("a platform not offered is refused");
        };
        assert_eq!(errors[0].field, "platform");

        let token = "cd".repeat(32);
        let arn = push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap();
        assert!(arn.contains(":endpoint/APNS/"), "{arn}");
        assert_eq!(
            push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap(),
            arn,
            "the same token, the same endpoint"
        );
        let listed = client
            .list_endpoints_by_platform_application()
            .platform_application_arn(&apns)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.endpoints().len(), 1);

        let sent = message();
        assert_eq!(
            push.push(&device(Platform::Apns, &token, arn.clone()), &ann, &sent).await.unwrap(),
            PushDelivery::Sent
        );
        let data: Value =
            reqwest::get(format!("{endpoint}/moto-api/data.json")).await.unwrap().json().await.unwrap();
        let text = data["sns"].to_string();
        assert!(text.contains(&sent.order_id.to_string()), "the push reached the endpoint: {text}");

        let fcm_token = format!("fcm:{}", "x".repeat(150));
        let fcm_arn = push.create_endpoint(Platform::Fcm, &fcm_token, &ann).await.unwrap();
        assert!(fcm_arn.contains(":endpoint/GCM/"), "{fcm_arn}");
        let fcm_device = device(Platform::Fcm, &fcm_token, fcm_arn.clone());
        assert_eq!(push.push(&fcm_device, &ann, &message()).await.unwrap(), PushDelivery::Sent);

        push.delete_endpoint(&arn, &ann).await.unwrap();
        let listed = client
            .list_endpoints_by_platform_application()
            .platform_application_arn(&apns)
            .send()
            .await
            .unwrap();
        assert!(listed.endpoints().is_empty(), "deleted");
        push.delete_endpoint(&arn, &ann).await.unwrap();
        assert_eq!(
            push.push(&device(Platform::Apns, &token, arn), &ann, &message()).await.unwrap(),
            PushDelivery::Disabled,
            "an endpoint that is gone reaches nobody"
        );
    }

    #[tokio::test]
    async fn a_disabled_endpoint_is_reported_not_pushed_to() {
        let config = test_support::moto("SNS_ENDPOINT");
        let client = Client::new(&config);
        let apns = application(&client, "APNS").await;
        let push = SnsPush::new(client.clone(), vec![(Platform::Apns, apns)]);
        let token = "ef".repeat(32);
        let ann = UserId::new("ann").unwrap();
        let arn = push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap();
        let disable =
            || client.set_endpoint_attributes().endpoint_arn(&arn).attributes("Enabled", "false").send();
        disable().await.unwrap();
        let phone = device(Platform::Apns, &token, arn.clone());
        assert_eq!(push.push(&phone, &ann, &message()).await.unwrap(), PushDelivery::Disabled);

        // The app registers its token again (APNs gave it back): the same endpoint, enabled.
        assert_eq!(push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap(), arn);
        assert_eq!(push.push(&phone, &ann, &message()).await.unwrap(), PushDelivery::Sent);
    }

    #[tokio::test]
    async fn a_phone_that_changed_hands_pushes_to_its_new_buyer_only() {
        let config = test_support::moto("SNS_ENDPOINT");
        let client = Client::new(&config);
        let apns = application(&client, "APNS").await;
        let push = SnsPush::new(client.clone(), vec![(Platform::Apns, apns.clone())]);
        let token = "0a".repeat(32);
        let (ann, bob) = (UserId::new("ann").unwrap(), UserId::new("bob").unwrap());
        let arn = push.create_endpoint(Platform::Apns, &token, &ann).await.unwrap();
        // Ann signs out without removing the device; Bob signs in on the same phone.
        assert_eq!(
            push.create_endpoint(Platform::Apns, &token, &bob).await.unwrap(),
            arn,
            "one endpoint per token"
        );
        let (anns, bobs) =
            (device(Platform::Apns, &token, arn.clone()), device(Platform::Apns, &token, arn.clone()));
        assert_eq!(
            push.push(&anns, &ann, &message()).await.unwrap(),
            PushDelivery::Reassigned,
            "Ann's orders no longer reach Bob's phone"
        );
        assert_eq!(push.push(&bobs, &bob, &message()).await.unwrap(), PushDelivery::Sent);

        push.delete_endpoint(&arn, &ann).await.unwrap();
        assert_eq!(
            push.push(&bobs, &bob, &message()).await.unwrap(),
            PushDelivery::Sent,
            "Ann removing her old device leaves Bob's endpoint"
        );
        push.delete_endpoint(&arn, &bob).await.unwrap();
        let listed = client
            .list_endpoints_by_platform_application()
            .platform_application_arn(&apns)
            .send()
            .await
            .unwrap();
        assert!(listed.endpoints().is_empty(), "its owner deletes it");
    }
}

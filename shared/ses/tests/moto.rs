//! The SESv2 adapter against moto (`SES_ENDPOINT`, started by scripts/test); the sent message
//! is read back from moto's `/moto-api/data.json`.

use aws_sdk_sesv2::Client;
use bookworm_domain::mail::{Email, Mailer};
use bookworm_ses::SesMailer;
use serde_json::Value;

#[tokio::test]
async fn sends_a_real_send_email() {
    let config = test_support::moto("SES_ENDPOINT");
    let endpoint = config.endpoint_url().unwrap_or_default().to_owned();
    let client = Client::new(&config);
    client.create_email_identity().email_identity("orders@bookworm.example").send().await.unwrap();
    let to = format!("{}@example.com", uuid::Uuid::new_v4());
    let email = Email {
        to: to.clone(),
        subject: "BookWorm: Your Order Has Been Received Successfully".into(),
        html: "<p>Dear Ann,</p>".into(),
        text: "Dear Ann,".into(),
    };
    SesMailer::new(client, "orders@bookworm.example", None).send(&email).await.unwrap();

    let data: Value =
        reqwest::get(format!("{endpoint}/moto-api/data.json")).await.unwrap().json().await.unwrap();
    let sent = data["ses"]["Message"].as_array().unwrap();
    let message =
        sent.iter().find(|m| m["destinations"]["ToAddresses"][0] == to.as_str()).expect("the message");
    assert_eq!(message["subject"], email.subject);
    assert_eq!(message["body"], email.html);
}

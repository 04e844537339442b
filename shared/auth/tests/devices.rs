//! The device authorizer: only a genuine device token of exactly one shop gets in, and it gets
//! its own shop's actions topic, until its expiry; every forgery the API refuses it refuses too.

use std::sync::Arc;

use bookworm_auth::dev_issuer::DevIssuer;
use bookworm_auth::forgeries::{admin_claims, forgeries};
use bookworm_auth::{Rejection, StaticKeys, Verifier, VerifierConfig, authorize_device};
use bookworm_domain::ids::ShopId;
use serde_json::{Value, json};

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "bookworm";

fn verifier(issuer: &DevIssuer) -> Verifier {
    let config = VerifierConfig { issuer: ISSUER.into(), audience: AUDIENCE.into(), leeway_seconds: 0 };
    Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())))
}

/// A device's claims for `shops`, valid for an hour.
fn device_claims(shops: &[String]) -> Value {
    let mut claims = admin_claims(ISSUER, AUDIENCE);
    claims["sub"] = json!("kiosk-7");
    claims["roles"] = json!(["device"]);
    claims["shop_ids"] = json!(shops);
    claims
}

#[tokio::test]
async fn a_device_of_one_shop_may_publish_on_its_shops_topic_only() {
    let issuer = DevIssuer::generate().unwrap();
    let shop = ShopId::random();
    let claims = device_claims(&[shop.to_string()]);
    let token = issuer.sign(&claims).unwrap();

    let grant = authorize_device(&verifier(&issuer), Some(&token)).await.unwrap();
    assert_eq!(grant.shop, shop);
    assert_eq!(grant.device_id, "kiosk-7");
    assert_eq!(grant.expires_at, claims["exp"].as_u64().unwrap());
    assert_eq!(grant.topic(), format!("shops/{shop}/actions"));
    assert!(grant.may_publish(&format!("shops/{shop}/actions")));
    let other = ShopId::random();
    for topic in [
        format!("shops/{other}/actions"),
        format!("shops/{}/actions", shop.to_string().to_uppercase()),
        "shops/+/actions".into(),
        "shops/#".into(),
        format!("shops/{shop}/actions/more"),
        format!("shops/{shop}/orders"),
    ] {
        assert!(!grant.may_publish(&topic), "{topic}");
    }
    assert_eq!(grant.seconds_left(grant.expires_at - 10), 10);
    assert_eq!(grant.seconds_left(grant.expires_at + 10), 0);
}

#[tokio::test]
async fn tokens_that_are_not_one_shops_device_are_refused() {
    let issuer = DevIssuer::generate().unwrap();
    let verifier = verifier(&issuer);
    let shop = ShopId::random().to_string();
    let refusal = |claims: Value| {
        let token = issuer.sign(&claims).unwrap();
        let verifier = &verifier;
        async move { authorize_device(verifier, Some(&token)).await.unwrap_err() }
    };

    let mut customer = device_claims(std::slice::from_ref(&shop));
    customer["roles"] = json!(["customer"]);
    assert_eq!(refusal(customer).await, Rejection::NotADevice, "a customer");
    let mut merchant = device_claims(std::slice::from_ref(&shop));
    merchant["roles"] = json!(["merchant"]);
    assert_eq!(refusal(merchant).await, Rejection::NotADevice, "a merchant of that shop");

    let two = device_claims(&[shop.clone(), ShopId::random().to_string()]);
    assert_eq!(refusal(two).await, Rejection::ShopCount(2), "two shops");
    assert_eq!(refusal(device_claims(&[])).await, Rejection::ShopCount(0), "no shop");
    assert_eq!(refusal(device_claims(&["shop-1".into()])).await, Rejection::ShopCount(0), "no UUID");

    let mut expired = device_claims(std::slice::from_ref(&shop));
    expired["exp"] = json!(expired["iat"].as_u64().unwrap() - 60);
    assert_eq!(refusal(expired).await, Rejection::Expired, "expired");

    let mut blank = device_claims(std::slice::from_ref(&shop));
    blank["sub"] = json!(" ");
    assert_eq!(refusal(blank).await, Rejection::NoSubject, "no device id");

    assert_eq!(authorize_device(&verifier, None).await, Err(Rejection::Missing), "no token");
    assert_eq!(authorize_device(&verifier, Some("  ")).await, Err(Rejection::Missing), "empty");

    let stranger = DevIssuer::generate().unwrap();
    let foreign = stranger.sign(&device_claims(std::slice::from_ref(&shop))).unwrap();
    let refused = authorize_device(&verifier, Some(&foreign)).await.unwrap_err();
    assert!(
        matches!(refused, Rejection::Signature | Rejection::UnknownKey),
        "another issuer's key: {refused}"
    );
}

#[tokio::test]
async fn every_forgery_is_refused_to_devices_too() {
    let issuer = DevIssuer::generate().unwrap();
    let verifier = verifier(&issuer);
    for case in forgeries(&issuer, ISSUER, AUDIENCE) {
        let refused = authorize_device(&verifier, Some(&case.token)).await.unwrap_err();
        // An admin's otherwise genuine claims fail on the role if nothing else.
        assert!(
            refused == case.refusal
                || (refused == Rejection::NotADevice && case.refusal == Rejection::NoSubject),
            "{}: {refused}",
            case.name
        );
    }
}

#[tokio::test]
async fn a_device_token_does_not_open_the_api() {
    let issuer = DevIssuer::generate().unwrap();
    let token = issuer.sign(&device_claims(&[ShopId::random().to_string()])).unwrap();
    assert_eq!(verifier(&issuer).verify(&token).await.unwrap_err(), Rejection::DeviceToken);
}

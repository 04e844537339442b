//! Attempts to get a device in that must fail, and the one that must pass.

use std::sync::Arc;

use aws_lambda_events::event::iot::IoTCoreCustomAuthorizerRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_auth::{StaticKeys, Verifier, VerifierConfig};
use bookworm_domain::ids::ShopId;
use serde_json::{Value, json};

use super::*;

const ARN: &str = "arn:aws:iot:eu-west-1:123456789012";

struct Setup {
    issuer: DevIssuer,
    verifier: Verifier,
    shop: ShopId,
}

fn setup() -> Setup {
    let issuer = DevIssuer::generate().unwrap();
    let config = VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 };
    let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));
    Setup { issuer, verifier, shop: ShopId::random() }
}

impl Setup {
    /// A token as the development issuer mints them: it stamps `exp` from the real clock, so
    /// tests pass `now` relative to it.
    fn token(&self, roles: &[&str], shops: &[ShopId], ttl_seconds: u64) -> String {
        let request = TokenRequest {
            sub: "kiosk-7".into(),
            roles: roles.iter().map(|role| role.to_string()).collect(),
            shop_ids: shops.iter().map(ToString::to_string).collect(),
            ttl_seconds,
            ..Default::default()
        };
        self.issuer.token("iss", "aud", &request).unwrap()
    }

    async fn connect(&self, client_id: &str, password: Option<&str>, now: u64) -> Value {
        let event: IoTCoreCustomAuthorizerRequest = serde_json::from_value(json!({
            "signatureVerified": false,
            "protocols": ["tls", "mqtt"],
            "protocolData": {
                "tls": {"serverName": "example-ats.iot.eu-west-1.amazonaws.com"},
                "mqtt": {"username": "?x-amz-customauthorizer-name=bookworm-devices", "clientId": client_id,
                         "password": password.map(|p| STANDARD.encode(p)).unwrap_or_default()}
            },
            "connectionMetadata": {"id": "e56f08c3-c559-490f-aa9f-7e8427d0f57b"}
        }))
        .unwrap();
        let arns = IotArns { prefix: ARN.into() };
        serde_json::to_value(answer(&self.verifier, &arns, now, event).await).unwrap()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn a_device_may_connect_as_itself_and_publish_on_its_shops_topic_only() {
    let setup = setup();
    let token = setup.token(&["device"], &[setup.shop], 3600);
    let answer = setup.connect("kiosk-7", Some(&token), now()).await;
    assert_eq!(answer["isAuthenticated"], true, "{answer}");
    assert_eq!(answer["principalId"], "kiosk7");
    let statements = &answer["policyDocuments"][0]["Statement"];
    assert_eq!(
        statements,
        &json!([
            {"Action": ["iot:Connect"], "Effect": "Allow", "Resource": [format!("{ARN}:client/kiosk-7")]},
            {"Action": ["iot:Publish"], "Effect": "Allow",
             "Resource": [format!("{ARN}:topic/shops/{}/actions", setup.shop)]},
        ])
    );
    assert_eq!(answer["policyDocuments"].as_array().unwrap().len(), 1, "one policy, no other grant");
    let disconnect = answer["disconnectAfterInSeconds"].as_u64().unwrap();
    assert!((3590..=3600).contains(&disconnect), "bounded by the token's hour: {disconnect}");
    assert_eq!(answer["refreshAfterInSeconds"], answer["disconnectAfterInSeconds"]);
}

#[tokio::test]
async fn a_long_lived_token_is_cut_to_iot_cores_maximum() {
    let setup = setup();
    let token = setup.token(&["device"], &[setup.shop], 3 * MAX_SECONDS);
    let answer = setup.connect("kiosk-7", Some(&token), now()).await;
    assert_eq!(answer["disconnectAfterInSeconds"], MAX_SECONDS);
}

#[tokio::test]
async fn everyone_but_one_shops_device_connecting_as_itself_is_refused() {
    let setup = setup();
    let other = ShopId::random();
    let device = setup.token(&["device"], &[setup.shop], 3600);
    let cases = [
        ("a customer's token", "kiosk-7", Some(setup.token(&["customer"], &[setup.shop], 3600)), now()),
        ("a merchant's token", "kiosk-7", Some(setup.token(&["merchant"], &[setup.shop], 3600)), now()),
        (
            "a device of two shops",
            "kiosk-7",
            Some(setup.token(&["device"], &[setup.shop, other], 3600)),
            now(),
        ),
        ("a device of no shop", "kiosk-7", Some(setup.token(&["device"], &[], 3600)), now()),
        ("no token", "kiosk-7", None, now()),
        ("a token that is not a JWT", "kiosk-7", Some("hello".to_owned()), now()),
        ("an expired token", "kiosk-7", Some(device.clone()), now() + 3700),
        ("a token with less than IoT Core's minimum left", "kiosk-7", Some(device.clone()), now() + 3400),
        ("another device's client id", "kiosk-8", Some(device.clone()), now()),
        ("a wildcard client id", "*", Some(device.clone()), now()),
        ("no client id", "", Some(device.clone()), now()),
    ];
    for (name, client_id, token, at) in cases {
        let answer = setup.connect(client_id, token.as_deref(), at).await;
        assert_eq!(answer["isAuthenticated"], false, "{name}: {answer}");
        assert_eq!(answer["policyDocuments"], json!([]), "{name}: no policy");
    }

    // A token signed by another key that claims the same issuer.
    let stranger = DevIssuer::generate().unwrap();
    let request = TokenRequest {
        sub: "kiosk-7".into(),
        roles: vec!["device".into()],
        shop_ids: vec![setup.shop.to_string()],
        ttl_seconds: 3600,
        ..Default::default()
    };
    let forged = stranger.token("iss", "aud", &request).unwrap();
    let answer = setup.connect("kiosk-7", Some(&forged), now()).await;
    assert_eq!(answer["isAuthenticated"], false, "a bad signature: {answer}");
}

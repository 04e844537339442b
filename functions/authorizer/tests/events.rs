//! Runs the authorizer on the sample events in events/authorizer/ (refusals: a valid token
//! cannot be kept in a file, so the passing case mints one).

use std::path::PathBuf;
use std::sync::Arc;

use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
use bookworm_auth::{StaticKeys, Verifier, VerifierConfig};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;

fn event(file: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/authorizer").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn sample_events_are_refused_and_a_fresh_token_passes() {
    let issuer = DevIssuer::generate().unwrap();
    let config =
        VerifierConfig { issuer: "bookworm-local".into(), audience: "bookworm".into(), leeway_seconds: 30 };
    let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));
    for file in ["malformed-token.json", "forged-alg-none.json"] {
        let response = authorizer::handle(&verifier, event(file)).await;
        assert_eq!(response.context["rejected"], "invalid_token", "{file}");
        assert!(response.context.get("user_id").is_none(), "{file}");
    }

    let token = issuer
        .token(
            "bookworm-local",
            "bookworm",
            &TokenRequest { sub: "u-9".into(), ttl_seconds: 60, ..Default::default() },
        )
        .unwrap();
    let mut valid = event("malformed-token.json");
    valid.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let response = authorizer::handle(&verifier, valid).await;
    assert_eq!(response.context["user_id"], "u-9");
}

//! The REQUEST authorizer of the HTTP API (payload 2.0, simple responses).
//!
//! It always lets the request through to the function with its verdict in the context: the
//! caller, or "rejected". The function's access check (`bookworm_http::access`) then answers
//! 401 or 403 as RFC 9457 problem+json, which API Gateway's own refusals cannot be. A missing
//! `Authorization` header never reaches here: API Gateway answers 401 itself.

use bookworm_auth::{Rejection, Verifier};
use bookworm_http::access::{rejected_context, verified_context};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::aws_lambda_events::http::HeaderMap;
use serde_json::Value;

pub async fn handle(
    verifier: &Verifier,
    event: ApiGatewayV2CustomAuthorizerV2Request,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse<Value> {
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = true;
    response.context = verdict(verifier, &event.headers).await;
    response
}

/// The context for a request's token.
pub async fn verdict(verifier: &Verifier, headers: &HeaderMap) -> Value {
    let verified = match bearer_token(headers) {
        Some(token) => verifier.verify(token).await,
        None => Err(Rejection::Missing),
    };
    match verified {
        Ok((principal, expires_at)) => verified_context(&principal, expires_at),
        Err(rejection) => {
            // The reason goes to the log only; the token itself is never logged.
            tracing::info!(reason = %rejection, "access token refused");
            rejected_context(matches!(rejection, Rejection::KeysUnavailable(_)))
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use bookworm_auth::dev_issuer::{DevIssuer, TokenRequest};
    use bookworm_auth::{StaticKeys, VerifierConfig};

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", authorization.parse().unwrap());
        headers
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn passes_the_caller_or_the_refusal() {
        let issuer = DevIssuer::generate().unwrap();
        let config = VerifierConfig { issuer: "iss".into(), audience: "aud".into(), leeway_seconds: 0 };
        let verifier = Verifier::new(config, Arc::new(StaticKeys::new(issuer.jwks())));
        let request = TokenRequest {
            sub: "u-1".into(),
            roles: vec!["admin".into()],
            ttl_seconds: 60,
            ..Default::default()
        };
        let token = issuer.token("iss", "aud", &request).unwrap();

        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.headers = headers(&format!("Bearer {token}"));
        let response = handle(&verifier, event).await;
        assert!(response.is_authorized);
        assert_eq!(response.context["user_id"], "u-1");
        assert_eq!(response.context["roles"], "customer,admin");

        let refused = verdict(&verifier, &headers("Bearer not.a.token")).await;
        assert_eq!(refused["rejected"], "invalid_token");
        assert!(refused.get("user_id").is_none());
    }
}

//! The REQUEST authorizer of the HTTP API (payload 2.0, simple responses).
//!
//! It always lets the request through to the function with its verdict in the context: the
//! caller, or "rejected". The function's access check (`bookworm_http::access`) then answers
//! 401 or 403 as RFC 9457 problem+json, which API Gateway's own refusals cannot be. A missing
//! `Authorization` header never reaches here: API Gateway answers 401 itself.

use bookworm_auth::{Rejection, Verifier};
use bookworm_http::access::{rejected_context, verified_context};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use lambda_http::aws_lambda_events::http::HeaderMap;
use lambda_http::aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::Value;

mod invocation;
pub use invocation::{Answer, Invocation};

/// Answers either API's authorizer event.
pub async fn answer(verifier: &Verifier, invocation: Invocation) -> Answer {
    match invocation {
        Invocation::Http(event) => Answer::Http(handle(verifier, *event).await),
        Invocation::WebSocket(event) => Answer::WebSocket(handle_websocket(verifier, *event).await),
    }
}

pub async fn handle(
    verifier: &Verifier,
    event: ApiGatewayV2CustomAuthorizerV2Request,
) -> ApiGatewayV2CustomAuthorizerSimpleResponse<Value> {
    let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
    response.is_authorized = true;
    response.context = verdict(verifier, &event.headers).await;
    response
}

/// The WebSocket API's `$connect` authorizer (REQUEST type, which must answer with an IAM
/// policy). The token comes in the `token` query parameter: browsers cannot set headers on a
/// WebSocket. A refused token is denied, so API Gateway refuses the upgrade (403).
pub async fn handle_websocket(
    verifier: &Verifier,
    event: ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> ApiGatewayCustomAuthorizerResponse<Value> {
    let token = event.query_string_parameters.first("token");
    let context = verdict_for(verifier, token).await;
    let allowed = context.get("user_id").is_some();
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = if allowed { IamPolicyEffect::Allow } else { IamPolicyEffect::Deny };
    statement.resource = vec![event.method_arn.unwrap_or_default()];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(context["user_id"].as_str().unwrap_or("anonymous").to_owned());
    response.policy_document = policy;
    response.context = context;
    response
}

/// The context for a request's `Authorization` header.
pub async fn verdict(verifier: &Verifier, headers: &HeaderMap) -> Value {
    verdict_for(verifier, bearer_token(headers)).await
}

/// The context for a token, or for its absence.
pub async fn verdict_for(verifier: &Verifier, token: Option<&str>) -> Value {
    let verified = match token.filter(|token| !token.is_empty()) {
        Some(token) => verifier.verify(token).await,
        None => Err(Rejection::Missing),
    };
    match verified {
        Ok((principal, expires_at)) => verified_context(&principal, expires_at),
        Err(rejection) => {
            // The reason goes to the log only; the token itself is never logged.
            tracing::info!(reason = %rejection, "access token refused");
            bookworm_metrics::count("AuthRejected", 1.0);
            bookworm_metrics::count(rejection_metric(&rejection), 1.0);
            rejected_context(matches!(rejection, Rejection::KeysUnavailable(_)))
        }
    }
}

/// The metric counting refusals for `rejection`'s reason: few, so an alarm can tell "the
/// issuer's keys are unreachable" (ours to fix) from callers' bad or stale tokens.
pub fn rejection_metric(rejection: &Rejection) -> &'static str {
    match rejection {
        Rejection::Expired | Rejection::NotYetValid => "AuthRejectedExpired",
        Rejection::Signature | Rejection::UnknownKey | Rejection::Algorithm => "AuthRejectedSignature",
        Rejection::Issuer | Rejection::Audience | Rejection::NotAnAccessToken => {
            "AuthRejectedIssuerOrAudience"
        }
        // A device's token on the API, or (device authorizer) anyone else's on the broker.
        Rejection::DeviceToken | Rejection::NotADevice | Rejection::ShopCount(_) => "AuthRejectedRole",
        Rejection::KeysUnavailable(_) => "AuthRejectedKeysUnavailable",
        Rejection::Missing | Rejection::Malformed | Rejection::NoKeyId | Rejection::NoSubject => {
            "AuthRejectedMalformed"
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

        // The WebSocket form: token in the query string, an IAM policy back.
        let mut connect = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
        connect.method_arn = Some("arn:aws:execute-api:eu-west-1:1:api/prod/$connect".into());
        connect.query_string_parameters = [("token".to_owned(), vec![token])]
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>()
            .into();
        let allowed = handle_websocket(&verifier, connect.clone()).await;
        assert_eq!(allowed.policy_document.statement[0].effect, IamPolicyEffect::Allow);
        assert_eq!(allowed.context["user_id"], "u-1");
        connect.query_string_parameters = Default::default();
        let denied = handle_websocket(&verifier, connect).await;
        assert_eq!(denied.policy_document.statement[0].effect, IamPolicyEffect::Deny);
    }
}

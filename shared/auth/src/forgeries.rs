//! Forged and broken access tokens, each with the refusal it must get: one table shared by the
//! unit tests here and the end-to-end tests through the local stack.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::Rejection;
use crate::dev_issuer::DevIssuer;

pub struct Forgery {
    pub name: &'static str,
    pub token: String,
    pub refusal: Rejection,
}

/// Admin claims, valid for an hour, for `issuer` and `audience`.
pub fn admin_claims(issuer: &str, audience: &str) -> Value {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    json!({"iss": issuer, "aud": audience, "sub": "mallory", "iat": now, "nbf": now, "exp": now + 3600,
           "roles": ["admin"]})
}

/// The gateway system's Keycloak access token (its README's sample), issued by `realm` for
/// the `comfortech` client, valid for ten hours from `now`.
pub fn keycloak_sample_claims(realm: &str, now: u64) -> Value {
    json!({
        "exp": now + 36000, "iat": now, "jti": "6d29c45d-1f63-4b0f-a3fc-22cc9d8db25c", "iss": realm,
        "sub": "99b2ca6d-b179-4161-9c25-ad84ab7ca438", "typ": "Bearer", "azp": "comfortech",
        "session_state": "9b1a9973-b270-4e27-b83e-3284b867e4f1", "acr": "1",
        "resource_access": {"comfortech": {"roles": ["user"]}}, "scope": "email profile",
        "sid": "9b1a9973-b270-4e27-b83e-3284b867e4f1", "email_verified": true,
        "preferred_username": "+79516519741"
    })
}

/// Every way a token must be refused, made against `trusted` (the issuer the verifier trusts).
pub fn forgeries(trusted: &DevIssuer, issuer: &str, audience: &str) -> Vec<Forgery> {
    let claims = admin_claims(issuer, audience);
    let with = |change: &dyn Fn(&mut Value)| {
        let mut changed = claims.clone();
        change(&mut changed);
        changed
    };
    let sign = |claims: &Value| trusted.sign(claims).unwrap_or_default();
    let now = claims["iat"].as_u64().unwrap_or_default();
    let b64 = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());

    // alg "none": no signature at all.
    let none =
        format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": trusted.kid()})), b64(&claims));

    // HS256 "signed" with the issuer's public key, which anyone can fetch from the JWKS.
    let public_key = serde_json::to_vec(trusted.jwks()).unwrap_or_default();
    let signing_input =
        format!("{}.{}", b64(&json!({"alg": "HS256", "typ": "JWT", "kid": trusted.kid()})), b64(&claims));
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &public_key), signing_input.as_bytes());
    let hs256 = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.as_ref()));

    // A validly signed token from another key that claims the trusted key's kid.
    let impostor = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .map(|document| document.as_ref().to_vec())
        .unwrap_or_default();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(trusted.kid().to_owned());
    let other_key =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&impostor)).unwrap_or_default();

    // A customer's genuine token whose payload was swapped for an admin's.
    let genuine = sign(&with(&|c| c["roles"] = json!(["customer"])));
    let parts: Vec<&str> = genuine.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts.get(2).copied().unwrap_or_default());

    let mut unknown_kid = Header::new(Algorithm::ES256);
    unknown_kid.kid = Some("not-a-key-of-ours".into());
    let no_kid = Header::new(Algorithm::ES256);

    let forged = |name, token, refusal| Forgery { name, token, refusal };
    vec![
        forged("alg none", none, Rejection::Malformed),
        forged("HS256 signed with the public key", hs256, Rejection::Algorithm),
        forged("another key with the same kid", other_key, Rejection::Signature),
        forged("tampered payload", tampered, Rejection::Signature),
        forged("expired", sign(&with(&|c| c["exp"] = json!(now - 3600))), Rejection::Expired),
        forged("not yet valid", sign(&with(&|c| c["nbf"] = json!(now + 3600))), Rejection::NotYetValid),
        forged("wrong issuer", sign(&with(&|c| c["iss"] = json!("https://evil.example"))), Rejection::Issuer),
        forged("wrong audience", sign(&with(&|c| c["aud"] = json!("someone-else"))), Rejection::Audience),
        forged(
            "missing sub",
            sign(&with(&|c| drop(c.as_object_mut().map(|o| o.remove("sub"))))),
            Rejection::NoSubject,
        ),
        forged(
            "unknown kid",
            trusted.sign_with(&unknown_kid, &claims).unwrap_or_default(),
            Rejection::UnknownKey,
        ),
        forged("no kid", trusted.sign_with(&no_kid, &claims).unwrap_or_default(), Rejection::NoKeyId),
        forged(
            "an ID token (Cognito, and the local issuer)",
            sign(&with(&|c| c["token_use"] = json!("id"))),
            Rejection::NotAnAccessToken,
        ),
        forged(
            "an ID token (Keycloak)",
            sign(&with(&|c| c["typ"] = json!("ID"))),
            Rejection::NotAnAccessToken,
        ),
        forged("garbage in the header", format!("not*base64.{}.c2ln", b64(&claims)), Rejection::Malformed),
        forged("not a JWT at all", "hello".into(), Rejection::Malformed),
    ]
}

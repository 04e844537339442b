//! Verifying an access token: signature, algorithm, issuer, audience, time.

use std::sync::Arc;

use bookworm_domain::identity::Principal;
use bookworm_domain::ids::ShopId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use crate::claims::Claims;
use crate::keys::KeySource;

/// Only signatures made with a private key count: an HMAC "signature" could have been made
/// with the public key anyone can fetch.
const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Why a token was refused. The reason is for logs; callers only learn "401".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("no bearer token")]
    Missing,
    #[error("not a well-formed JWT")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("no key id (kid) in the header")]
    NoKeyId,
    #[error("no issuer key has this kid")]
    UnknownKey,
    #[error("signature does not verify")]
    Signature,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("issued by another issuer")]
    Issuer,
    #[error("issued for another client")]
    Audience,
    #[error("no subject")]
    NoSubject,
    #[error("not an access token (an ID or refresh token)")]
    NotAnAccessToken,
    /// A device's token opens the device broker only: a stolen kiosk must not shop or read.
    #[error("a device token, good for the device broker only")]
    DeviceToken,
    /// On the device broker: a token without the `device` role (a customer's, a merchant's).
    #[error("not a device token")]
    NotADevice,
    /// On the device broker: a device belongs to exactly one shop.
    #[error("a device token must name exactly one shop (a UUID); this one names {0}")]
    ShopCount(usize),
    /// Not the caller's fault: the issuer's keys could not be fetched.
    #[error("issuer keys unavailable: {0}")]
    KeysUnavailable(String),
}

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The `iss` every token must carry, e.g. `https://idp.example.com/realms/bookworm`.
    pub issuer: String,
    /// Our client id: in `aud`, or as `azp` (Keycloak) or `client_id` (Cognito).
    pub audience: String,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

pub struct Verifier {
    config: VerifierConfig,
    keys: Arc<dyn KeySource>,
}

impl Verifier {
    pub const DEFAULT_LEEWAY_SECONDS: u64 = 30;

    pub fn new(config: VerifierConfig, keys: Arc<dyn KeySource>) -> Self {
        Self { config, keys }
    }

    /// The principal a valid token names, and the token's expiry (Unix seconds). Device
    /// tokens are refused here: they are for [`Verifier::verify_device`] only.
    pub async fn verify(&self, token: &str) -> Result<(Principal, u64), Rejection> {
        let claims = self.verified_claims(token).await?;
        if claims.is_device(&self.config.audience) {
            return Err(Rejection::DeviceToken);
        }
        let expires = claims.exp;
        Ok((claims.into_principal(&self.config.audience)?, expires))
    }

    /// A device token's device and its one shop (the same issuer, role `device`).
    pub async fn verify_device(&self, token: &str) -> Result<crate::DeviceGrant, Rejection> {
        let claims = self.verified_claims(token).await?;
        if !claims.is_device(&self.config.audience) {
            return Err(Rejection::NotADevice);
        }
        let device_id = claims.device_id()?;
        let shop = match claims.shop_id_claims().as_slice() {
            // Read as the shop ids of every other token are: any spelling of a UUID.
            [one] => one.parse::<uuid::Uuid>().map(ShopId).map_err(|_| Rejection::ShopCount(0))?,
            many => return Err(Rejection::ShopCount(many.len())),
        };
        Ok(crate::DeviceGrant::new(device_id, shop, claims.exp))
    }

    /// The claims of a token whose signature, algorithm, issuer, audience, time and kind hold.
    async fn verified_claims(&self, token: &str) -> Result<Claims, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(Rejection::Algorithm);
        }
        let kid = header.kid.ok_or(Rejection::NoKeyId)?;
        let key = self.keys.key(&kid).await?.ok_or(Rejection::UnknownKey)?;

        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_nbf = true;
        validation.validate_aud = false; // checked below: providers put the client in different claims
        validation.leeway = self.config.leeway_seconds;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => Rejection::Expired,
                ErrorKind::ImmatureSignature => Rejection::NotYetValid,
                ErrorKind::InvalidIssuer => Rejection::Issuer,
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
                    Rejection::Signature
                }
                _ => Rejection::Malformed,
            })?
            .claims;
        if !claims.is_for(&self.config.audience) {
            return Err(Rejection::Audience);
        }
        if !claims.is_access_token() {
            return Err(Rejection::NotAnAccessToken);
        }
        Ok(claims)
    }
}

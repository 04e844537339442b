//! Access-token verification, shared by the authorizer Lambda and the local stack.
//!
//! Tokens are JWTs from an OpenID Connect provider (Keycloak, Cognito, Firebase, or the local
//! stack's development issuer). Only asymmetric signatures are accepted, with keys from the
//! issuer's JWKS; the claims become a [`bookworm_domain::identity::Principal`], or, for an
//! in-store device's token (role `device`), a [`DeviceGrant`]: its one shop's topic, until expiry.

mod cache_control;
mod claims;
#[cfg(feature = "dev-issuer")]
pub mod dev_issuer;
mod device;
#[cfg(feature = "test-forgeries")]
pub mod forgeries;
mod keys;
mod verify;

pub use device::{DeviceGrant, authorize_device};
pub use keys::{KeySource, RemoteJwks, StaticKeys};
pub use verify::{Rejection, Verifier, VerifierConfig};

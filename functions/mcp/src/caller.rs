//! Who calls: anonymous, or the principal of a bearer token verified by the same
//! [`Verifier`] the authorizer uses (issuer, audience, expiry, access tokens only).

use bookworm_auth::{Rejection, Verifier};
use bookworm_domain::Error;
use bookworm_domain::identity::Principal;
use lambda_http::http::{HeaderMap, header};

/// The caller of one request, carried to the tools in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<Principal>);

impl Caller {
    /// The signed-in principal, or why a tool that needs one refuses.
    pub fn signed_in(&self) -> Result<&Principal, Error> {
        self.0.as_ref().ok_or(Error::Unauthenticated)
    }
}

/// The caller of a request: no `Authorization` header is anonymous; one that is not a valid
/// bearer access token is an error (401), never silently anonymous.
pub async fn identify(verifier: &Verifier, headers: &HeaderMap) -> Result<Caller, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller(None));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| text.strip_prefix("Bearer ").or_else(|| text.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(Error::Unauthenticated)?;
    match verifier.verify(token).await {
        Ok((principal, _expires)) => Ok(Caller(Some(principal))),
        Err(Rejection::KeysUnavailable(cause)) => Err(Error::unavailable("verify the access token", cause)),
        Err(rejection) => {
            // The reason goes to the log only; the token itself is never logged.
            tracing::info!(reason = %rejection, "access token refused");
            Err(Error::Unauthenticated)
        }
    }
}

//! Who may call what: the rules a route can have, and the authorizer's verdict they read.
//!
//! The authorizer (a Lambda in AWS, the same code in the local stack) verifies the token and
//! passes its verdict in the request context; [`Access::admit`] reads it and applies the route's
//! rule (each function's routes declare theirs, see `crate::routes`), so a protected function
//! refuses a request even if a route were deployed without the authorizer.

use std::collections::{BTreeSet, HashMap};

use bookworm_domain::Error;
use bookworm_domain::clock::unix_now;
use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ids::UserId;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in caller.
    SignedIn,
    /// Callers with one of these roles.
    AnyOf(&'static [Role]),
    /// Merchants of the path's `{shop_id}`, and admins.
    ShopStaff,
}

impl Access {
    /// Applies the rule to a request: its caller when signed in (always, unless the route is
    /// public), or why not.
    pub fn admit(self, request: &Request) -> Result<Option<Principal>, Error> {
        match self {
            Access::Public => Ok(principal(request).ok()),
            Access::SignedIn => principal(request).map(Some),
            Access::AnyOf(roles) => {
                let caller = principal(request)?;
                if roles.iter().any(|role| caller.has(*role)) {
                    Ok(Some(caller))
                } else {
                    let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
                    Err(Error::Forbidden(format!("This needs the role {}.", names.join(" or "))))
                }
            }
            Access::ShopStaff => {
                let caller = principal(request)?;
                if caller.works_for(crate::feed_id(request)?) {
                    Ok(Some(caller))
                } else {
                    Err(Error::Forbidden("Only this shop's merchants and admins may do this.".into()))
                }
            }
        }
    }
}

// The authorizer's verdict travels as flat string fields: API Gateway passes them through.
const USER_ID: &str = "user_id";
const USERNAME: &str = "username";
const EMAIL: &str = "email";
const NAME: &str = "name";
const ROLES: &str = "roles";
const SHOP_IDS: &str = "shop_ids";
const EXPIRES: &str = "expires_at";
const EMAIL_VERIFIED: &str = "email_verified";
const PHONE_VERIFIED: &str = "phone_number_verified";
const REJECTED: &str = "rejected";

/// The context the authorizer returns for a verified token.
pub fn verified_context(principal: &Principal, expires_at: u64) -> Value {
    let join = |items: Vec<String>| items.join(",");
    json!({
        USER_ID: principal.user_id,
        USERNAME: principal.username.clone().unwrap_or_default(),
        EMAIL: principal.email.clone().unwrap_or_default(),
        NAME: principal.name.clone().unwrap_or_default(),
        ROLES: join(principal.roles.iter().map(|role| role.as_str().to_owned()).collect()),
        SHOP_IDS: join(principal.shop_ids.iter().map(ToString::to_string).collect()),
        EXPIRES: expires_at.to_string(),
        // "" when the token says nothing: API Gateway passes strings only.
        EMAIL_VERIFIED: principal.email_verified.map(|v| v.to_string()).unwrap_or_default(),
        PHONE_VERIFIED: principal.phone_number_verified.map(|v| v.to_string()).unwrap_or_default(),
    })
}

/// The context for a refused token; `unavailable` when the issuer's keys could not be had.
pub fn rejected_context(unavailable: bool) -> Value {
    json!({ REJECTED: if unavailable { "unavailable" } else { "invalid_token" } })
}

/// The principal the authorizer vouched for. Its result may be cached by API Gateway, so the
/// token's expiry is checked again here.
pub fn principal(request: &Request) -> Result<Principal, Error> {
    let fields = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.authorizer.as_ref().map(|a| &a.fields),
        _ => None,
    };
    principal_from(fields.ok_or(Error::Unauthenticated)?, unix_now())
}

/// The principal in an authorizer context (of an HTTP or a WebSocket request), if still valid.
pub fn principal_from_context(fields: &HashMap<String, Value>) -> Result<Principal, Error> {
    principal_from(fields, unix_now())
}

/// When the token behind an authorizer context expires (Unix seconds), if it says.
pub fn token_expiry(fields: &HashMap<String, Value>) -> Option<u64> {
    fields.get(EXPIRES)?.as_str()?.parse().ok()
}

fn principal_from(fields: &HashMap<String, Value>, now: u64) -> Result<Principal, Error> {
    let text = |name: &str| fields.get(name).and_then(Value::as_str).filter(|value| !value.is_empty());
    if text(REJECTED) == Some("unavailable") {
        return Err(Error::unavailable("verify the access token", "the issuer's keys are unavailable"));
    }
    let user_id = text(USER_ID).and_then(|id| UserId::new(id).ok()).ok_or(Error::Unauthenticated)?;
    let expires: u64 = text(EXPIRES).and_then(|value| value.parse().ok()).ok_or(Error::Unauthenticated)?;
    if expires <= now {
        return Err(Error::Unauthenticated);
    }
    let list = |name: &str| text(name).map(|value| value.split(',').collect::<Vec<_>>()).unwrap_or_default();
    Ok(Principal {
        user_id,
        username: text(USERNAME).map(str::to_owned),
        email: text(EMAIL).map(str::to_owned),
        name: text(NAME).map(str::to_owned),
        roles: list(ROLES).into_iter().filter_map(Role::from_claim).collect(),
        shop_ids: list(SHOP_IDS).into_iter().filter_map(|id| id.parse().ok()).collect::<BTreeSet<_>>(),
        email_verified: text(EMAIL_VERIFIED).and_then(|v| v.parse().ok()),
        phone_number_verified: text(PHONE_VERIFIED).and_then(|v| v.parse().ok()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(value: Value) -> HashMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_verified_context_round_trips() {
        let principal = Principal {
            user_id: "u-1".parse().unwrap(),
            username: Some("+79516519741".into()),
            email: None,
            name: Some("Ann <b>".into()),
            roles: BTreeSet::from([Role::Customer, Role::Merchant]),
            shop_ids: BTreeSet::from([bookworm_domain::ids::ShopId::random()]),
            email_verified: None,
            phone_number_verified: Some(true),
        };
        let context = fields(verified_context(&principal, 2_000));
        assert_eq!(principal_from(&context, 1_000).unwrap(), principal);
        let unverified = Principal { email_verified: Some(false), ..principal.clone() };
        let context_of = |p: &Principal| fields(verified_context(p, 2_000));
        assert_eq!(
            principal_from(&context_of(&unverified), 1_000).unwrap(),
            unverified,
            "false survives too"
        );
        assert!(matches!(principal_from(&context, 2_000), Err(Error::Unauthenticated)), "expired");
    }

    #[test]
    fn rejections_are_401_or_503() {
        assert!(matches!(principal_from(&fields(rejected_context(false)), 0), Err(Error::Unauthenticated)));
        assert!(matches!(principal_from(&fields(rejected_context(true)), 0), Err(Error::Unavailable { .. })));
        assert!(matches!(principal_from(&HashMap::new(), 0), Err(Error::Unauthenticated)));
    }
}

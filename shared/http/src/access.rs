//! Who may call what: every route's rule in one table, and the check every function runs.
//!
//! The authorizer (a Lambda in AWS, the same code in the local stack) verifies the token and
//! passes its verdict in the request context; [`authorize`] reads it and applies the route's
//! rule, so a protected function refuses a request even if a route were deployed without the
//! authorizer.

use std::collections::{BTreeSet, HashMap};

use bookworm_domain::Error;
use bookworm_domain::events::unix_now;
use bookworm_domain::identity::{Principal, Role};
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

/// Every route of the HTTPS API and its rule. Routes missing here are refused.
pub const RULES: &[(&str, Access)] = &[
    ("GET /books", Access::Public),
    ("GET /books/{id}", Access::Public),
    ("GET /authors", Access::Public),
    ("GET /categories", Access::Public),
    ("GET /publishers", Access::Public),
    ("GET /search", Access::Public),
    ("GET /search/suggest", Access::Public),
    ("GET /me", Access::SignedIn),
    ("GET /me/preferences", Access::SignedIn),
    ("PUT /me/preferences", Access::SignedIn),
    ("POST /books", Access::AnyOf(&[Role::Admin])),
    ("PUT /books/{id}", Access::AnyOf(&[Role::Admin])),
    ("DELETE /books/{id}", Access::AnyOf(&[Role::Admin])),
    ("POST /authors", Access::AnyOf(&[Role::Admin])),
    ("PUT /authors/{id}", Access::AnyOf(&[Role::Admin])),
    ("DELETE /authors/{id}", Access::AnyOf(&[Role::Admin])),
    ("POST /categories", Access::AnyOf(&[Role::Admin])),
    ("PUT /categories/{id}", Access::AnyOf(&[Role::Admin])),
    ("POST /publishers", Access::AnyOf(&[Role::Admin])),
    ("PUT /publishers/{id}", Access::AnyOf(&[Role::Admin])),
    ("POST /publish/{shop_id}", Access::SignedIn),
    ("GET /shops/{shop_id}/basket", Access::AnyOf(&[Role::Customer])),
    ("PUT /shops/{shop_id}/basket/items/{book_id}", Access::AnyOf(&[Role::Customer])),
    ("DELETE /shops/{shop_id}/basket/items/{book_id}", Access::AnyOf(&[Role::Customer])),
    ("DELETE /shops/{shop_id}/basket", Access::AnyOf(&[Role::Customer])),
    ("POST /shops/{shop_id}/checkout", Access::AnyOf(&[Role::Customer])),
    ("GET /orders", Access::SignedIn),
    ("GET /orders/{id}", Access::SignedIn),
    ("PATCH /orders/{id}/complete", Access::AnyOf(&[Role::Admin])),
    ("PATCH /orders/{id}/cancel", Access::AnyOf(&[Role::Admin])),
    ("GET /shops/{shop_id}/events", Access::ShopStaff),
    ("GET /shops/{shop_id}/orders", Access::ShopStaff),
    ("GET /books/{id}/reviews", Access::Public),
    ("POST /books/{id}/reviews", Access::SignedIn),
    ("GET /books/{id}/reviews/mine", Access::SignedIn),
    ("PUT /books/{id}/reviews/mine", Access::SignedIn),
    ("DELETE /books/{id}/reviews/mine", Access::SignedIn),
    ("POST /reviews/{id}/helpful", Access::SignedIn),
    ("POST /reviews/{id}/reports", Access::SignedIn),
    ("GET /reviews", Access::AnyOf(&[Role::Support, Role::Admin])),
    ("POST /reviews/{id}/restore", Access::AnyOf(&[Role::Support, Role::Admin])),
    ("DELETE /reviews/{id}", Access::AnyOf(&[Role::Support, Role::Admin])),
];

pub fn rule(route_key: &str) -> Option<Access> {
    RULES.iter().find(|(key, _)| *key == route_key).map(|(_, access)| *access)
}

/// Applies the rule of the request's route: the caller, when signed in, or why not.
pub fn authorize(request: &Request) -> Result<Option<Principal>, Error> {
    let route_key = route_key(request).unwrap_or_default();
    match rule(&route_key) {
        Some(Access::Public) => Ok(principal(request).ok()),
        Some(Access::SignedIn) => principal(request).map(Some),
        Some(Access::AnyOf(roles)) => {
            let caller = principal(request)?;
            if roles.iter().any(|role| caller.has(*role)) {
                Ok(Some(caller))
            } else {
                let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
                Err(Error::Forbidden(format!("This needs the role {}.", names.join(" or "))))
            }
        }
        Some(Access::ShopStaff) => {
            let caller = principal(request)?;
            if caller.works_for(crate::feed_id(request)?) {
                Ok(Some(caller))
            } else {
                Err(Error::Forbidden("Only this shop's merchants and admins may do this.".into()))
            }
        }
        None => Err(Error::Forbidden(format!("No access rule covers {route_key}."))),
    }
}

/// Like [`authorize`] for routes that always have a caller.
pub fn caller(request: &Request) -> Result<Principal, Error> {
    authorize(request)?.ok_or(Error::Unauthenticated)
}

/// The API Gateway route the request came by, e.g. `PUT /books/{id}`.
pub fn route_key(request: &Request) -> Option<String> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.route_key.clone(),
        _ => None,
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
    let user_id = text(USER_ID).ok_or(Error::Unauthenticated)?;
    let expires: u64 = text(EXPIRES).and_then(|value| value.parse().ok()).ok_or(Error::Unauthenticated)?;
    if expires <= now {
        return Err(Error::Unauthenticated);
    }
    let list = |name: &str| text(name).map(|value| value.split(',').collect::<Vec<_>>()).unwrap_or_default();
    Ok(Principal {
        user_id: user_id.to_owned(),
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
            user_id: "u-1".into(),
            username: Some("+79516519741".into()),
            email: None,
            name: Some("Ann <b>".into()),
            roles: BTreeSet::from([Role::Customer, Role::Merchant]),
            shop_ids: BTreeSet::from([uuid::Uuid::new_v4()]),
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

    #[test]
    fn every_rule_names_a_method_and_a_path_once() {
        let mut seen = BTreeSet::new();
        for (key, _) in RULES {
            let (method, path) = key.split_once(' ').unwrap();
            assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method), "{key}");
            assert!(path.starts_with('/'), "{key}");
            assert!(seen.insert(*key), "{key} twice");
        }
    }
}

//! Token claims as the providers we support spell them, and their mapping to a principal.

use std::collections::{BTreeSet, HashMap};

use bookworm_domain::identity::{Principal, Role};
use bookworm_domain::ids::{ShopId, UserId};
use serde::Deserialize;

use crate::Rejection;

/// A claim that some providers send as a string and others as a list.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let items: &[String] = match self {
            Self::None => &[],
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        items.iter().map(String::as_str)
    }
}

/// A boolean claim: JSON `true`, or `"true"` as Cognito sends its ID token's flags.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    /// `None` for anything but true or false: an unreadable flag states nothing.
    fn value(&self) -> Option<bool> {
        match self {
            Self::Bool(value) => Some(*value),
            Self::Text(text) if text.eq_ignore_ascii_case("true") => Some(true),
            Self::Text(text) if text.eq_ignore_ascii_case("false") => Some(false),
            Self::Text(_) => None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct RoleList {
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Claims {
    sub: Option<String>,
    #[serde(default)]
    aud: OneOrMany,
    /// Keycloak: the client the token was issued to.
    azp: Option<String>,
    /// Cognito access tokens carry the client here instead of `aud`.
    client_id: Option<String>,
    pub(crate) exp: u64,
    preferred_username: Option<String>,
    #[serde(rename = "cognito:username")]
    cognito_username: Option<String>,
    username: Option<String>,
    email: Option<String>,
    email_verified: Option<Flag>,
    phone_number_verified: Option<Flag>,
    name: Option<String>,
    given_name: Option<String>,
    /// Keycloak realm roles.
    #[serde(default)]
    realm_access: RoleList,
    /// Keycloak client roles, per client; only our client's count.
    #[serde(default)]
    resource_access: HashMap<String, RoleList>,
    #[serde(rename = "cognito:groups", default)]
    cognito_groups: OneOrMany,
    /// A plain `roles` claim (Firebase custom claims, the local issuer).
    #[serde(default)]
    roles: OneOrMany,
    #[serde(default)]
    shop_ids: OneOrMany,
    /// Cognito: `access` or `id`.
    token_use: Option<String>,
    /// Keycloak: `Bearer` for access tokens; `ID`, `Refresh`, `Logout` for the others.
    typ: Option<String>,
}

impl Claims {
    /// Whether the token was issued for `client`: in `aud`, or as Keycloak's `azp` or
    /// Cognito's `client_id`.
    pub(crate) fn is_for(&self, client: &str) -> bool {
        self.aud.iter().any(|aud| aud == client)
            || self.azp.as_deref() == Some(client)
            || self.client_id.as_deref() == Some(client)
    }

    /// Whether this is an access token. APIs take access tokens only (OAuth 2.0): an ID token
    /// tells an app who signed in, and must not open an API. Issuers that say which kind a
    /// token is (Cognito's `token_use`, Keycloak's `typ`, our local issuer's `token_use`) are
    /// believed; a token that says nothing is taken as an access token.
    pub(crate) fn is_access_token(&self) -> bool {
        let cognito = self.token_use.as_deref().is_none_or(|kind| kind == "access");
        let keycloak = self.typ.as_deref().is_none_or(|kind| kind.eq_ignore_ascii_case("bearer"));
        cognito && keycloak
    }

    /// Every role name the token carries, wherever its issuer puts them.
    fn role_names<'a>(&'a self, client: &str) -> impl Iterator<Item = &'a str> {
        let client_roles =
            self.resource_access.get(client).map(|list| list.roles.as_slice()).unwrap_or_default();
        self.realm_access
            .roles
            .iter()
            .chain(client_roles)
            .map(String::as_str)
            .chain(self.cognito_groups.iter())
            .chain(self.roles.iter())
    }

    /// Whether this is an in-store device's token (role `device`): such a token opens the
    /// device broker only, never the HTTP or WebSocket APIs.
    pub(crate) fn is_device(&self, client: &str) -> bool {
        self.role_names(client).any(|name| name.trim().eq_ignore_ascii_case("device"))
    }

    /// The `shop_ids` claim as sent, unparsed: a device must name exactly one.
    pub(crate) fn shop_id_claims(&self) -> Vec<&str> {
        self.shop_ids.iter().collect()
    }

    fn user_id(&self) -> Result<UserId, Rejection> {
        self.sub
            .as_deref()
            .filter(|sub| !sub.trim().is_empty())
            .and_then(|sub| UserId::new(sub).ok())
            .ok_or(Rejection::NoSubject)
    }

    /// The device's id: the token's `sub`.
    pub(crate) fn device_id(&self) -> Result<UserId, Rejection> {
        self.user_id()
    }

    pub(crate) fn into_principal(self, client: &str) -> Result<Principal, Rejection> {
        let user_id = self.user_id()?;
        let mut roles: BTreeSet<Role> = self.role_names(client).filter_map(Role::from_claim).collect();
        // Every signed-in caller may shop.
        roles.insert(Role::Customer);
        let shop_ids = self
            .shop_ids
            .iter()
            // Any spelling of a UUID the token uses, as always; stored hyphenated from here on.
            .filter_map(|text| match text.parse::<uuid::Uuid>() {
                Ok(id) => Some(ShopId(id)),
                Err(_) => {
                    tracing::warn!(shop_id = text, "ignoring a shop id that is not a UUID");
                    None
                }
            })
            .collect();
        Ok(Principal {
            user_id,
            username: self.preferred_username.or(self.cognito_username).or(self.username),
            email: self.email,
            name: self.name.or(self.given_name),
            roles,
            shop_ids,
            email_verified: self.email_verified.as_ref().and_then(Flag::value),
            phone_number_verified: self.phone_number_verified.as_ref().and_then(Flag::value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: serde_json::Value) -> Claims {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn keycloak_tokens_give_username_and_client_roles() {
        let token = claims(json!({
            "exp": 1, "sub": "99b2ca6d-b179-4161-9c25-ad84ab7ca438", "azp": "comfortech",
            "preferred_username": "+79516519741",
            "realm_access": {"roles": ["offline_access", "ADMIN"]},
            "resource_access": {"comfortech": {"roles": ["user", "merchant"]}, "other": {"roles": ["support"]}}
        }));
        assert!(token.is_for("comfortech"));
        let principal = token.into_principal("comfortech").unwrap();
        assert_eq!(principal.username.as_deref(), Some("+79516519741"));
        assert_eq!(principal.roles, BTreeSet::from([Role::Customer, Role::Merchant, Role::Admin]));
    }

    #[test]
    fn cognito_and_plain_claims_are_read() {
        let cognito = claims(json!({
            "exp": 1, "sub": "abc", "client_id": "app", "cognito:username": "ann", "cognito:groups": ["support"]
        }));
        assert!(cognito.is_for("app") && !cognito.is_for("other"));
        let principal = cognito.into_principal("app").unwrap();
        assert_eq!(principal.username.as_deref(), Some("ann"));
        assert!(principal.has(Role::Support));

        let shop = ShopId::random();
        let plain = claims(json!({"exp": 1, "sub": "s", "aud": ["x", "app"], "roles": "merchant",
                                  "shop_ids": [shop.to_string(), "not-a-uuid"]}));
        assert!(plain.is_for("app"));
        let principal = plain.into_principal("app").unwrap();
        assert!(principal.works_for(shop));
        assert_eq!(principal.shop_ids.len(), 1);
    }

    #[test]
    fn verification_flags_are_read_as_issuers_send_them() {
        let flags = |value: serde_json::Value| {
            let principal = claims(value).into_principal("app").unwrap();
            (principal.email_verified, principal.phone_number_verified)
        };
        assert_eq!(flags(json!({"exp": 1, "sub": "s"})), (None, None));
        assert_eq!(flags(json!({"exp": 1, "sub": "s", "email_verified": true})), (Some(true), None));
        assert_eq!(
            flags(json!({"exp": 1, "sub": "s", "email_verified": "false", "phone_number_verified": "true"})),
            (Some(false), Some(true)),
            "Cognito's strings"
        );
        assert_eq!(flags(json!({"exp": 1, "sub": "s", "email_verified": "maybe"})), (None, None));
    }

    #[test]
    fn only_access_tokens_are_access_tokens() {
        let kind = |value: serde_json::Value| claims(value).is_access_token();
        assert!(kind(json!({"exp": 1, "token_use": "access", "client_id": "app"})), "Cognito access");
        assert!(!kind(json!({"exp": 1, "token_use": "id", "aud": "app"})), "Cognito ID");
        assert!(kind(json!({"exp": 1, "typ": "Bearer"})), "Keycloak access");
        assert!(!kind(json!({"exp": 1, "typ": "ID"})), "Keycloak ID");
        assert!(!kind(json!({"exp": 1, "typ": "Refresh"})), "Keycloak refresh");
        assert!(kind(json!({"exp": 1, "roles": ["admin"]})), "a token that does not say");
    }

    #[test]
    fn a_missing_or_blank_subject_is_refused() {
        assert_eq!(claims(json!({"exp": 1})).into_principal("app"), Err(Rejection::NoSubject));
        assert_eq!(claims(json!({"exp": 1, "sub": " "})).into_principal("app"), Err(Rejection::NoSubject));
    }
}

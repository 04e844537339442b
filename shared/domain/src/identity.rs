//! Who is calling: the principal an authorizer vouched for, and the roles that grant access.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ShopId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Any signed-in shopper. Every principal has it.
    Customer,
    /// Staff of the shops in the principal's `shop_ids`, and only those.
    Merchant,
    Support,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Customer, Role::Merchant, Role::Support, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Merchant => "merchant",
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }

    /// Reads a role name as identity providers spell it (`ADMIN`, `admin`, Keycloak's `user`).
    /// Names of no role of ours give `None` and are ignored.
    pub fn from_claim(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "customer" | "user" => Some(Self::Customer),
            "merchant" => Some(Self::Merchant),
            "support" => Some(Self::Support),
            "admin" | "administrator" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Principal {
    /// The token's `sub`: our user id.
    pub user_id: UserId,
    /// `preferred_username` (Keycloak; a phone number there), `cognito:username` or `username`.
    pub username: Option<String>,
    pub email: Option<String>,
    /// The name to greet them by (OIDC `name`, else `given_name`), if the token has one.
    #[serde(default)]
    pub name: Option<String>,
    pub roles: BTreeSet<Role>,
    /// The shops a merchant works for.
    pub shop_ids: BTreeSet<ShopId>,
    /// What the token says of the email (`email_verified`); `None` when it says nothing.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// What the token says of the phone number (`phone_number_verified`), likewise.
    #[serde(default)]
    pub phone_number_verified: Option<bool>,
}

/// Whom we write to: only addresses the issuer verified, so an order placed with someone
/// else's address in an unverified token mails nobody.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContactPolicy {
    /// Only contacts the token calls verified.
    #[default]
    VerifiedOnly,
    /// Also contacts the token says nothing about: for issuers that never send the claims and
    /// verify every address themselves. A contact the token calls unverified is still refused.
    UnstatedAreVerified,
}

impl ContactPolicy {
    /// The policy a deployment's `CONTACTS_UNSTATED_ARE_VERIFIED` setting names: `true` trusts
    /// unstated contacts; anything else, or no setting, only verified ones.
    pub fn from_setting(setting: Option<&str>) -> Self {
        match setting {
            Some("true") => Self::UnstatedAreVerified,
            _ => Self::VerifiedOnly,
        }
    }

    fn allows(self, verified: Option<bool>) -> bool {
        verified.unwrap_or(self == Self::UnstatedAreVerified)
    }
}

impl Principal {
    /// A signed-in caller with only an id (also their username), for tests and contract suites.
    #[cfg(any(test, feature = "contract-tests"))]
    pub fn sample(user_id: &str) -> Self {
        Self {
            user_id: UserId::new(user_id).expect("a sample user id is not empty"),
            username: Some(user_id.into()),
            email: None,
            name: None,
            roles: BTreeSet::new(),
            shop_ids: BTreeSet::new(),
            email_verified: None,
            phone_number_verified: None,
        }
    }

    /// The email to send order mail to, if the policy trusts it.
    pub fn contact_email(&self, policy: ContactPolicy) -> Option<String> {
        self.email.clone().filter(|_| policy.allows(self.email_verified))
    }

    /// The phone number (the username, when it is E.164) to text, if the policy trusts it.
    pub fn contact_phone(&self, policy: ContactPolicy) -> Option<String> {
        let phone = self.username.clone().filter(|username| crate::mail::is_e164(username));
        phone.filter(|_| policy.allows(self.phone_number_verified))
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Admins act for every shop; merchants for theirs.
    pub fn works_for(&self, shop: ShopId) -> bool {
        self.has(Role::Admin) || (self.has(Role::Merchant) && self.shop_ids.contains(&shop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_role_names_map_to_ours() {
        assert_eq!(Role::from_claim("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::from_claim("user"), Some(Role::Customer));
        assert_eq!(Role::from_claim("offline_access"), None);
    }

    #[test]
    fn merchants_work_only_for_their_shops() {
        let shop = ShopId::random();
        let mut principal = Principal {
            user_id: UserId::new("u").unwrap(),
            username: None,
            email: None,
            name: None,
            roles: BTreeSet::from([Role::Customer, Role::Merchant]),
            shop_ids: BTreeSet::from([shop]),
            email_verified: None,
            phone_number_verified: None,
        };
        assert!(principal.works_for(shop));
        assert!(!principal.works_for(ShopId::random()));
        principal.roles.remove(&Role::Merchant);
        assert!(!principal.works_for(shop), "a shop id alone grants nothing");
    }

    #[test]
    fn only_verified_contacts_are_written_to() {
        let with = |email_verified, phone_number_verified| Principal {
            user_id: UserId::new("u").unwrap(),
            username: Some("+14155552671".into()),
            email: Some("ann@example.com".into()),
            name: None,
            roles: BTreeSet::new(),
            shop_ids: BTreeSet::new(),
            email_verified,
            phone_number_verified,
        };
        let (strict, lenient) = (ContactPolicy::VerifiedOnly, ContactPolicy::UnstatedAreVerified);
        assert_eq!(with(Some(true), Some(true)).contact_email(strict).as_deref(), Some("ann@example.com"));
        assert_eq!(with(Some(true), Some(true)).contact_phone(strict).as_deref(), Some("+14155552671"));
        assert_eq!(with(None, None).contact_email(strict), None, "unstated is not verified");
        assert_eq!(with(None, None).contact_phone(strict), None);
        assert!(with(None, None).contact_email(lenient).is_some(), "unless the issuer never states it");
        assert_eq!(with(Some(false), Some(false)).contact_email(lenient), None, "stated unverified: never");
        assert_eq!(with(Some(false), Some(false)).contact_phone(lenient), None);
    }
}

//! The in-store checkout notifier's message: its app posts these to `/publish/{shop_id}`.
//! The contract is theirs (field names, `UPC`, numbers for prices); we keep it, field for
//! field, and validate it strictly.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Number;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::Error;
use crate::error::Problems;
use crate::identity::{Principal, Role};
use crate::ids::ShopId;
use crate::money::MAX_CENTS;

/// RFC 3339 at its longest: nanoseconds and a numeric offset (`…T10:30:00.123456789+05:30`).
const CREATE_TIME_MAX: usize = 35;
/// The in-store app is JavaScript: integers beyond 2^53 - 1 would not survive its round trip.
const ID_MAX: i64 = (1 << 53) - 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutAction {
    #[serde(deserialize_with = "crate::ids::deserialize_hyphenated")]
    #[schemars(with = "Uuid")]
    pub session_id: Uuid,
    /// The shop it happened in: to `POST /publish/{shop_id}`, that same shop.
    pub shop_id: ShopId,
    #[serde(deserialize_with = "crate::ids::deserialize_hyphenated")]
    #[schemars(with = "Uuid")]
    pub shopper_id: Uuid,
    #[schemars(range(min = 0, max = ID_MAX))]
    #[serde(deserialize_with = "crate::whole::deserialize")]
    pub action_id: i64,
    /// RFC 3339 date-time, kept as sent.
    #[schemars(length(max = 35), extend("format" = "date-time"))]
    pub create_time: String,
    /// e.g. `ADD`, `REMOVE`.
    #[schemars(length(min = 1, max = 32), extend("pattern" = crate::text::pattern(crate::text::Lines::One, true)))]
    pub action: String,
    #[schemars(length(min = 1, max = 200), extend("pattern" = crate::text::pattern(crate::text::Lines::One, true)))]
    pub product_name: String,
    #[schemars(range(min = 0, max = ID_MAX))]
    #[serde(deserialize_with = "crate::whole::deserialize")]
    pub product_id: i64,
    /// A JSON number, as the app sends it (its contract, not our money type); kept as sent.
    #[schemars(range(min = 0, max = 10_000_000))]
    pub product_price: Number,
    #[serde(rename = "UPC")]
    #[schemars(length(min = 1, max = 32), extend("pattern" = crate::text::pattern(crate::text::Lines::One, true)))]
    pub upc: String,
    #[schemars(length(min = 1, max = 64), extend("pattern" = crate::text::pattern(crate::text::Lines::One, true)))]
    pub category_id: String,
    #[schemars(range(min = 0, max = 10_000_000))]
    pub basket_total: Number,
}

impl CheckoutAction {
    /// Who may put this action into `shop`'s live feed and history: the shop's merchants and
    /// admins, for any shopper; a customer only their own actions, whose `shopper_id` is their
    /// user id (a `sub` that is not a UUID cannot be a shopper). Anyone else: 403.
    pub fn authorize(&self, caller: &Principal, shop: ShopId) -> Result<(), Error> {
        if caller.works_for(shop) {
            return Ok(());
        }
        let own = caller.has(Role::Customer) && caller.user_id.as_uuid() == Some(self.shopper_id);
        if own {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "Customers may publish only their own actions (shopper_id must be your user id); \
                 merchants only for their own shops."
                    .into(),
            ))
        }
    }

    /// Checks what types alone cannot, and that the body names the shop of the path (the old
    /// service ignored a mismatch and published to the path's shop).
    pub fn validate(&self, path_shop: ShopId) -> Result<(), Error> {
        let mut problems = Problems::default();
        if self.shop_id != path_shop {
            problems.add("shop_id", "must equal the shop id in the path");
        }
        if self.create_time.len() > CREATE_TIME_MAX
            || OffsetDateTime::parse(&self.create_time, &Rfc3339).is_err()
        {
            problems.add("create_time", "must be an RFC 3339 date-time like 2023-12-18T10:30:00.000Z");
        }
        for (field, id) in [("action_id", self.action_id), ("product_id", self.product_id)] {
            if !(0..=ID_MAX).contains(&id) {
                problems.add(field, format!("must be an integer from 0 to {ID_MAX}"));
            }
        }
        for (field, text, max) in [
            ("action", &self.action, 32),
            ("product_name", &self.product_name, 200),
            ("UPC", &self.upc, 32),
            ("category_id", &self.category_id, 64),
        ] {
            problems.check(crate::text::required(field, text, max, crate::text::Lines::One));
        }
        for (field, number) in [("product_price", &self.product_price), ("basket_total", &self.basket_total)]
        {
            let most = (MAX_CENTS / 100) as f64;
            if number.as_f64().is_none_or(|value| !(0.0..=most).contains(&value)) {
                problems.add(field, format!("must be a number from 0 to {most}"));
            }
        }
        problems.into_result()
    }
}

/// An in-store action for `shop`, as the in-store app's sample (`events/publish/`) sends it.
#[cfg(any(test, feature = "contract-tests"))]
pub fn sample_action(shop: ShopId) -> CheckoutAction {
    let mut action: CheckoutAction = serde_json::from_value(serde_json::json!({
        "session_id": Uuid::new_v4(), "shop_id": shop, "shopper_id": Uuid::new_v4(),
        "action_id": 101, "create_time": "2023-12-18T10:30:00.000Z", "action": "ADD",
        "product_name": "FUJI Apples", "product_id": 500100, "product_price": 3.50,
        "UPC": "042100005264", "category_id": "fruit", "basket_total": 12.18,
    }))
    .expect("the sample is an action");
    action.shop_id = shop;
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"123e4567-e89b-42d3-a456-426614174000","shopper_id":"ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","action_id":101,"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}"#;

    fn fields(error: Error) -> Vec<String> {
        match error {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn the_sample_is_valid_and_round_trips_field_for_field() {
        let action: CheckoutAction = serde_json::from_str(SAMPLE).unwrap();
        let shop: ShopId = "123e4567-e89b-42d3-a456-426614174000".parse().unwrap();
        action.validate(shop).unwrap();
        let original: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        assert_eq!(serde_json::to_value(&action).unwrap(), original);
    }

    #[test]
    fn ids_are_read_in_their_hyphenated_form_only() {
        let mut sample: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        sample["session_id"] = "4e29b2d37c8a446ea4e1d8e2a51c0e94".into();
        assert!(serde_json::from_value::<CheckoutAction>(sample).is_err());
    }

    #[test]
    fn every_field_is_bounded() {
        let mut action: CheckoutAction = serde_json::from_str(SAMPLE).unwrap();
        let shop = action.shop_id;
        action.create_time = format!("2023-12-18T10:30:00.{}Z", "1".repeat(30));
        action.action_id = -1;
        action.product_id = 1 << 60;
        action.product_price = serde_json::from_str("1e300").unwrap();
        action.basket_total = serde_json::from_str("10000000.01").unwrap();
        action.product_name = "x".repeat(201);
        assert_eq!(
            fields(action.validate(shop).unwrap_err()),
            ["create_time", "action_id", "product_id", "product_name", "product_price", "basket_total"]
        );
    }

    #[test]
    fn text_fields_follow_the_text_rule_and_unknown_fields_are_refused() {
        let mut action: CheckoutAction = serde_json::from_str(SAMPLE).unwrap();
        let shop = action.shop_id;
        action.product_name = "\u{202e}\u{0}".into();
        action.action = "\u{FEFF}".into();
        action.upc = "04210\u{1b}0005264".into();
        assert_eq!(fields(action.validate(shop).unwrap_err()), ["action", "product_name", "UPC"]);

        let mut extra: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        extra["extra"] = 1.into();
        let refused = serde_json::from_value::<CheckoutAction>(extra).unwrap_err();
        assert!(refused.to_string().contains("unknown field `extra`"), "{refused}");
    }

    fn caller(user_id: &str, roles: &[Role], shops: &[ShopId]) -> Principal {
        Principal {
            user_id: user_id.parse().unwrap(),
            username: None,
            email: None,
            name: None,
            roles: roles.iter().copied().collect(),
            shop_ids: shops.iter().copied().collect(),
            email_verified: None,
            phone_number_verified: None,
        }
    }

    #[test]
    fn customers_publish_only_their_own_actions_merchants_only_for_their_shop() {
        let action: CheckoutAction = serde_json::from_str(SAMPLE).unwrap();
        let (shop, shopper) = (action.shop_id, action.shopper_id.to_string());
        let allowed = |who: Principal| action.authorize(&who, shop).is_ok();
        assert!(allowed(caller(&shopper, &[Role::Customer], &[])));
        assert!(allowed(caller("m", &[Role::Merchant], &[shop])));
        assert!(allowed(caller("a", &[Role::Admin], &[])));
        assert!(!allowed(caller(&Uuid::new_v4().to_string(), &[Role::Customer], &[])), "another shopper");
        assert!(!allowed(caller("user-1", &[Role::Customer], &[])), "a sub that is no UUID");
        assert!(!allowed(caller("m", &[Role::Merchant], &[ShopId::random()])), "another shop's merchant");
        assert!(!allowed(caller(&shopper, &[], &[])), "the shopper's id without the customer role");
    }

    #[test]
    fn a_foreign_shop_bad_time_and_negative_totals_are_named() {
        let mut action: CheckoutAction = serde_json::from_str(SAMPLE).unwrap();
        action.create_time = "yesterday".into();
        action.basket_total = Number::from(-1);
        action.action = " ".into();
        assert_eq!(
            fields(action.validate(ShopId::random()).unwrap_err()),
            ["shop_id", "create_time", "action", "basket_total"]
        );
    }
}

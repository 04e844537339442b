//! A buyer's profile: the name to show, a phone number, and the postal addresses orders are
//! delivered to.
//!
//! - [`Profile`]: as stored and as `GET /me/profile` shows it; one never saved reads as
//!   [`Profile::empty`].
//! - [`ProfileInput`]: the body of `PUT /me/profile`, the whole profile, checked into the next
//!   version ([`ProfileInput::apply`]); every problem is reported with its field
//!   (`addresses[2].postal_code`).
//! - [`Address`]: one postal address. A placed order keeps a copy (`shipping_address`), so
//!   editing or deleting the address later never changes the order.
//! - [`Fulfilment`] and [`FulfilmentChoice`]: how an order reaches its buyer, and what checkout
//!   asks for ([`Profile::shipping`]).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::ids::{AddressId, UserId};
use crate::mail::is_e164;
use crate::text::{self, Lines};
use crate::{Error, country};

/// Addresses one profile holds.
pub const ADDRESSES_MAX: usize = 10;
/// Characters of a display name.
pub const DISPLAY_NAME_MAX: usize = 100;
/// Characters of an address's label ("Home", "Office").
pub const LABEL_MAX: usize = 40;
/// Characters of the recipient's name.
pub const RECIPIENT_MAX: usize = 100;
/// Characters of each street line.
pub const LINE_MAX: usize = 100;
/// Characters of the city.
pub const CITY_MAX: usize = 80;
/// Characters of the region (state, province, county).
pub const REGION_MAX: usize = 80;
/// Characters of a postal code: the longest in use are 10 (`12345-6789`, Iran's ten digits).
pub const POSTAL_CODE_MAX: usize = 12;

/// `phone`'s schema: exactly what [`is_e164`] accepts.
pub const PHONE_PATTERN: &str = "^\\+[1-9][0-9]{7,14}$";
/// `postal_code`'s schema: letters, digits, spaces and hyphens, beginning and ending with a
/// letter or digit, 1 to [`POSTAL_CODE_MAX`] characters. Exactly what [`is_postal_code`] accepts.
pub const POSTAL_CODE_PATTERN: &str = "^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,10}[A-Za-z0-9])?$";

/// One postal address, as stored, as the profile shows it, and as an order keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Address {
    pub id: AddressId,
    /// The buyer's name for it ("Home").
    pub label: Option<String>,
    /// Who receives the parcel.
    pub recipient: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// State, province or county, where the country uses one.
    pub region: Option<String>,
    /// `null` where the country has no postal codes.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, in capitals (`GB`).
    pub country: String,
}

/// A buyer's profile, as stored and as `GET /me/profile` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    pub user_id: UserId,
    pub display_name: Option<String>,
    /// E.164 (`+14155552671`).
    pub phone: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// The address checkout delivers to when not told another; set whenever there are
    /// addresses (the first, unless the buyer names one).
    pub default_address_id: Option<AddressId>,
    /// 0 until first saved; each save adds one. `PUT` it back to save only over this version.
    pub version: u64,
    /// When it was last saved (RFC 3339); `null` until then.
    pub updated_at: Option<String>,
}

impl Profile {
    /// The profile of a user who never saved one.
    pub fn empty(user: &UserId) -> Self {
        Self {
            user_id: user.clone(),
            display_name: None,
            phone: None,
            addresses: Vec::new(),
            default_address_id: None,
            version: 0,
            updated_at: None,
        }
    }

    pub fn address(&self, id: AddressId) -> Option<&Address> {
        self.addresses.iter().find(|address| address.id == id)
    }

    pub fn default_address(&self) -> Option<&Address> {
        self.default_address_id.and_then(|id| self.address(id))
    }

    /// How an order checked out with `choice` reaches the buyer, and the address it keeps:
    /// - `address_id` given: delivery there; it must be one of this profile's addresses (an
    ///   unknown id and another buyer's look alike: neither is here);
    /// - `delivery` alone: to the default address, which must exist;
    /// - `pickup`: at the shop, with no address (and none may be named);
    /// - nothing asked: delivery to the default address when there is one, else pickup.
    ///
    /// Every refusal is a 400 naming `address_id`, the field a client fixes.
    pub fn shipping(&self, choice: &FulfilmentChoice) -> Result<(Fulfilment, Option<Address>), Error> {
        match (choice.fulfilment, choice.address_id) {
            (Some(Fulfilment::Pickup), Some(_)) => {
                Err(Error::invalid("address_id", "is for delivery; leave it out for pickup"))
            }
            (Some(Fulfilment::Pickup), None) => Ok((Fulfilment::Pickup, None)),
            (_, Some(id)) => match self.address(id) {
                Some(address) => Ok((Fulfilment::Delivery, Some(address.clone()))),
                None => Err(Error::invalid(
                    "address_id",
                    "names none of your addresses (GET /me/profile lists them)",
                )),
            },
            (Some(Fulfilment::Delivery), None) => match self.default_address() {
                Some(address) => Ok((Fulfilment::Delivery, Some(address.clone()))),
                None => Err(Error::invalid(
                    "address_id",
                    "is required for delivery, and your profile has no address to default to: \
                     add one with PUT /me/profile, or choose pickup",
                )),
            },
            (None, None) => Ok(match self.default_address() {
                Some(address) => (Fulfilment::Delivery, Some(address.clone())),
                None => (Fulfilment::Pickup, None),
            }),
        }
    }
}

/// The body of `PUT /me/profile`: the whole profile. A field left out is cleared.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    /// The name to show, up to 100 characters; blank or `null` clears it.
    #[schemars(length(max = 100), extend("pattern" = text::pattern(Lines::One, false)))]
    pub display_name: Option<String>,
    /// A phone number in E.164 form (`+14155552671`); `null` clears it.
    #[schemars(extend("pattern" = PHONE_PATTERN))]
    pub phone: Option<String>,
    /// Up to 10 addresses, in the order to show them.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub addresses: Vec<AddressInput>,
    /// One of `addresses` (by the id it has or is sent with); left out: the first.
    pub default_address_id: Option<AddressId>,
    /// The `version` this change was made from: the profile is saved only if it is still that
    /// version (409 otherwise). Left out, the last write wins.
    pub version: Option<u64>,
}

/// One address in a `PUT /me/profile`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// Left out for a new address: it is given one. An address sent with its id keeps it (a
    /// client may also choose a new address's id, so a retried `PUT` makes no second one).
    pub id: Option<AddressId>,
    /// Up to 40 characters ("Home").
    #[schemars(length(max = 40), extend("pattern" = text::pattern(Lines::One, false)))]
    pub label: Option<String>,
    /// Who receives the parcel, 1–100 characters.
    #[schemars(length(max = 100), extend("pattern" = text::pattern(Lines::One, true)))]
    pub recipient: String,
    /// 1–100 characters.
    #[schemars(length(max = 100), extend("pattern" = text::pattern(Lines::One, true)))]
    pub line1: String,
    /// Up to 100 characters.
    #[schemars(length(max = 100), extend("pattern" = text::pattern(Lines::One, false)))]
    pub line2: Option<String>,
    /// 1–80 characters.
    #[schemars(length(max = 80), extend("pattern" = text::pattern(Lines::One, true)))]
    pub city: String,
    /// State, province or county, up to 80 characters.
    #[schemars(length(max = 80), extend("pattern" = text::pattern(Lines::One, false)))]
    pub region: Option<String>,
    /// Letters, digits, spaces and hyphens, 1–12 characters; `null` where there is none.
    #[schemars(extend("pattern" = POSTAL_CODE_PATTERN))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, in capitals (`GB`).
    #[schemars(extend("enum" = country::ALPHA_2.as_slice()))]
    pub country: String,
}

impl ProfileInput {
    /// The next version of `current`, or every problem with the input (400), or a conflict
    /// (409) when it was made from a version other than `current`'s.
    pub fn apply(self, current: &Profile, now: String) -> Result<Profile, Error> {
        let mut problems = Problems::default();
        let display_name = self
            .display_name
            .and_then(|name| {
                problems.check(text::optional("display_name", &name, DISPLAY_NAME_MAX, Lines::One))
            })
            .flatten();
        let phone = match self.phone {
            Some(phone) if !is_e164(&phone) => {
                problems
                    .add("phone", "must be E.164: +, then 8 to 15 digits, the first not 0 (+14155552671)");
                None
            }
            phone => phone,
        };
        if self.addresses.len() > ADDRESSES_MAX {
            problems.add("addresses", format!("must hold at most {ADDRESSES_MAX} addresses"));
        }
        let mut first_with_id: HashMap<AddressId, usize> = HashMap::new();
        let mut addresses = Vec::with_capacity(self.addresses.len());
        for (index, input) in self.addresses.into_iter().enumerate() {
            let field = format!("addresses[{index}]");
            if let Some(id) = input.id {
                let first = *first_with_id.entry(id).or_insert(index);
                if first != index {
                    problems.add(format!("{field}.id"), format!("is the id of addresses[{first}] too"));
                }
            }
            addresses.extend(input.check(&field, &mut problems));
        }
        let default_address_id = match self.default_address_id {
            // An address with a problem is not in `addresses`: its problem is the one to fix.
            Some(id) if !addresses.iter().any(|address| address.id == id) => {
                if !problems.has("addresses") {
                    problems.add("default_address_id", "names none of the addresses");
                }
                None
            }
            Some(id) => Some(id),
            None => addresses.first().map(|address| address.id),
        };
        problems.into_result()?;
        if let Some(version) = self.version.filter(|version| *version != current.version) {
            return Err(Error::Conflict(format!(
                "the profile changed: it is at version {}, not {version}; read it again and redo the change",
                current.version
            )));
        }
        Ok(Profile {
            user_id: current.user_id.clone(),
            display_name,
            phone,
            addresses,
            default_address_id,
            version: current.version + 1,
            updated_at: Some(now),
        })
    }
}

impl AddressInput {
    /// The address, with an id, or `None` with its problems added under `field`.
    fn check(self, field: &str, problems: &mut Problems) -> Option<Address> {
        let name = |part: &str| format!("{field}.{part}");
        let mut optional = |part: &str, value: Option<String>, max: usize| match value {
            Some(value) => problems.check(text::optional(&name(part), &value, max, Lines::One)),
            None => Some(None),
        };
        let label = optional("label", self.label, LABEL_MAX);
        let line2 = optional("line2", self.line2, LINE_MAX);
        let region = optional("region", self.region, REGION_MAX);
        let recipient =
            problems.check(text::required(&name("recipient"), &self.recipient, RECIPIENT_MAX, Lines::One));
        let line1 = problems.check(text::required(&name("line1"), &self.line1, LINE_MAX, Lines::One));
        let city = problems.check(text::required(&name("city"), &self.city, CITY_MAX, Lines::One));
        let postal_code = match self.postal_code {
            Some(code) if !is_postal_code(&code) => {
                problems.add(
                    name("postal_code"),
                    "must be 1 to 12 letters, digits, spaces or hyphens, beginning and ending with a \
                     letter or digit (null where the address has none)",
                );
                None
            }
            code => Some(code),
        };
        let country = if country::is_alpha_2(&self.country) {
            Some(self.country)
        } else {
            problems.add(name("country"), "must be an ISO 3166-1 alpha-2 code in capitals, like GB or US");
            None
        };
        Some(Address {
            id: self.id.unwrap_or_else(AddressId::random),
            label: label?,
            recipient: recipient?,
            line1: line1?,
            line2: line2?,
            city: city?,
            region: region?,
            postal_code: postal_code?,
            country: country?,
        })
    }
}

/// Whether `code` is a postal code's form: see [`POSTAL_CODE_PATTERN`].
pub fn is_postal_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || *b == b' ' || *b == b'-';
    (1..=POSTAL_CODE_MAX).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(inner)
}

/// How an order reaches its buyer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    /// Sent to the order's `shipping_address`.
    Delivery,
    /// Collected at the shop. What every order placed before delivery existed was.
    #[default]
    Pickup,
}

/// The optional body of `POST /shops/{shop_id}/checkout`. No body (or `{}`): delivery to the
/// default address when the buyer has one, else pickup.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentChoice {
    /// `delivery` or `pickup`; left out: delivery when an address is named or there is a
    /// default one, else pickup.
    pub fulfilment: Option<Fulfilment>,
    /// One of the buyer's addresses (`GET /me/profile`); left out for delivery: the default.
    pub address_id: Option<AddressId>,
}

#[cfg(test)]
mod tests;

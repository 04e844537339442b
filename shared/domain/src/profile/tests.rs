use serde_json::{Value, json};

use super::*;

fn user() -> UserId {
    UserId::new("ann").unwrap()
}

fn input(body: Value) -> ProfileInput {
    serde_json::from_value(body).unwrap()
}

fn home() -> Value {
    json!({"label": "Home", "recipient": "Ann Reader", "line1": "1 High Street", "city": "Oxford",
           "postal_code": "OX1 1AA", "country": "GB"})
}

fn saved(body: Value) -> Profile {
    input(body).apply(&Profile::empty(&user()), "2026-12-07T17:00:00.000Z".into()).unwrap()
}

/// Every field the input's problems name.
fn refused(body: Value) -> Vec<String> {
    match input(body).apply(&Profile::empty(&user()), String::new()) {
        Err(Error::Invalid(errors)) => errors.into_iter().map(|error| error.field).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_input_is_an_empty_first_version() {
    let profile = saved(json!({}));
    assert_eq!(profile.version, 1);
    assert!(profile.addresses.is_empty() && profile.default_address_id.is_none());
    assert_eq!(profile.updated_at.as_deref(), Some("2026-12-07T17:00:00.000Z"));
}

#[test]
fn new_addresses_get_ids_sent_ones_keep_theirs_and_the_first_is_the_default() {
    let kept = AddressId::random();
    let mut office = home();
    office["id"] = json!(kept);
    let profile = saved(json!({"addresses": [home(), office]}));
    assert_eq!(profile.addresses[1].id, kept);
    assert_ne!(profile.addresses[0].id, kept);
    assert_eq!(profile.default_address_id, Some(profile.addresses[0].id), "the first, unless named");
    let named = saved(json!({"addresses": [home(), office], "default_address_id": kept}));
    assert_eq!(named.default_address().map(|a| a.id), Some(kept));
}

#[test]
fn text_is_trimmed_and_blank_optional_text_is_none() {
    let mut address = home();
    address["line2"] = json!("   ");
    address["recipient"] = json!("  Ann  ");
    let profile = saved(json!({"display_name": " Ann ", "addresses": [address]}));
    assert_eq!(profile.display_name.as_deref(), Some("Ann"));
    assert_eq!(profile.addresses[0].recipient, "Ann");
    assert_eq!(profile.addresses[0].line2, None);
}

#[test]
fn every_bad_field_is_named_at_once() {
    let mut bad = home();
    bad["postal_code"] = json!("-12");
    bad["country"] = json!("gb");
    bad["recipient"] = json!("\u{200B} ");
    bad["label"] = json!("l".repeat(LABEL_MAX + 1));
    bad["line1"] = json!("a\u{202E}b");
    bad["city"] = json!("c".repeat(CITY_MAX + 1));
    bad["region"] = json!("r\n");
    let fields = refused(json!({
        "display_name": "n".repeat(DISPLAY_NAME_MAX + 1),
        "phone": "+0123456789",
        "addresses": [home(), bad],
    }));
    let expected = [
        "display_name",
        "phone",
        "addresses[1].label",
        "addresses[1].region",
        "addresses[1].recipient",
        "addresses[1].line1",
        "addresses[1].city",
        "addresses[1].postal_code",
        "addresses[1].country",
    ];
    assert_eq!(fields, expected);
}

#[test]
fn countries_are_assigned_alpha_2_codes_only() {
    for country in ["UK", "EU", "XK", "GBR", "", "g b"] {
        let mut address = home();
        address["country"] = json!(country);
        assert_eq!(refused(json!({"addresses": [address]})), ["addresses[0].country"], "{country}");
    }
}

#[test]
fn postal_codes_are_letters_digits_spaces_and_hyphens() {
    for good in ["OX1 1AA", "12345-6789", "1", "1234567890AB"] {
        assert!(is_postal_code(good), "{good}");
    }
    for bad in ["", " 123", "123 ", "12_34", "1234567890ABC", "١٢٣", "12\n"] {
        assert!(!is_postal_code(bad), "{bad:?}");
    }
}

#[test]
fn at_most_ten_addresses_with_distinct_ids_and_a_default_among_them() {
    let eleven: Vec<Value> = (0..=ADDRESSES_MAX).map(|_| home()).collect();
    assert_eq!(refused(json!({"addresses": eleven})), ["addresses"]);
    let id = AddressId::random();
    let (mut first, mut second) = (home(), home());
    first["id"] = json!(id);
    second["id"] = json!(id);
    assert_eq!(refused(json!({"addresses": [first, second]})), ["addresses[1].id"]);
    let elsewhere = AddressId::random();
    assert_eq!(
        refused(json!({"addresses": [home()], "default_address_id": elsewhere})),
        ["default_address_id"]
    );
    assert_eq!(refused(json!({"default_address_id": elsewhere})), ["default_address_id"], "no addresses");
}

#[test]
fn a_stale_version_is_a_conflict_and_none_means_the_last_write_wins() {
    let current = saved(json!({"addresses": [home()]}));
    let stale = input(json!({"version": 0})).apply(&current, String::new());
    assert!(matches!(stale, Err(Error::Conflict(_))), "{stale:?}");
    let fresh = input(json!({"version": 1})).apply(&current, String::new()).unwrap();
    assert_eq!(fresh.version, 2);
    assert_eq!(input(json!({})).apply(&current, String::new()).unwrap().version, 2);
}

fn choice(body: Value) -> FulfilmentChoice {
    serde_json::from_value(body).unwrap()
}

fn refusal(result: Result<(Fulfilment, Option<Address>), Error>) -> String {
    match result {
        Err(Error::Invalid(errors)) => errors[0].field.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn checkout_delivers_to_the_default_or_a_named_address_and_picks_up_otherwise() {
    let empty = Profile::empty(&user());
    assert_eq!(empty.shipping(&choice(json!({}))).unwrap(), (Fulfilment::Pickup, None), "no address");
    assert_eq!(refusal(empty.shipping(&choice(json!({"fulfilment": "delivery"})))), "address_id");
    let mut office = home();
    office["label"] = json!("Office");
    let profile = saved(json!({"addresses": [home(), office]}));
    let (first, second) = (&profile.addresses[0], &profile.addresses[1]);
    assert_eq!(profile.shipping(&choice(json!({}))).unwrap(), (Fulfilment::Delivery, Some(first.clone())));
    assert_eq!(
        profile.shipping(&choice(json!({"fulfilment": "delivery"}))).unwrap(),
        (Fulfilment::Delivery, Some(first.clone()))
    );
    assert_eq!(
        profile.shipping(&choice(json!({"address_id": second.id}))).unwrap(),
        (Fulfilment::Delivery, Some(second.clone()))
    );
    assert_eq!(
        profile.shipping(&choice(json!({"fulfilment": "pickup"}))).unwrap(),
        (Fulfilment::Pickup, None)
    );
    let pickup_with_address = json!({"fulfilment": "pickup", "address_id": first.id});
    assert_eq!(refusal(profile.shipping(&choice(pickup_with_address))), "address_id");
    let unknown = json!({"fulfilment": "delivery", "address_id": AddressId::random()});
    assert_eq!(refusal(profile.shipping(&choice(unknown))), "address_id");
}

//! Runs the handler on every sample event in events/checkout/: checkout of a basket filled
//! through the basket function's sample event (picked up, delivered to the sample profile's
//! address), an address that is not the buyer's, and a missing key.

use std::collections::BTreeSet;
use std::path::PathBuf;

use bookworm_domain::ids::UserId;
use bookworm_domain::ports::{CatalogWriter, ProfileStore};
use bookworm_domain::profile::{Profile, ProfileInput};
use bookworm_embedded::{EmbeddedCatalog, EmbeddedShop, seed};
use checkout::Stores;
use serde_json::Value;

fn request(function: &str, file: &str) -> lambda_http::Request {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events").join(function).join(file);
    lambda_http::request::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn every_sample_event_gets_its_expected_status() {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/checkout");
    let files: BTreeSet<String> =
        std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let cases = [
        ("checkout.json", 201, "delivery"), // no body: to the default address
        ("checkout-delivery.json", 201, "delivery"),
        ("checkout-pickup.json", 201, "pickup"),
        ("checkout-unknown-address.json", 400, ""),
        ("checkout-without-key.json", 400, ""),
    ];
    assert_eq!(files, cases.iter().map(|(file, ..)| (*file).to_owned()).collect(), "a case per event file");

    let catalog = EmbeddedCatalog::in_memory().unwrap();
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    let shop = EmbeddedShop::in_memory().unwrap();
    let stores = Stores {
        books: &catalog,
        baskets: &shop,
        orders: &shop,
        profiles: &shop,
        contacts: Default::default(),
    };
    assert_eq!(
        checkout::handle(&stores, request("checkout", "checkout.json")).await.status(),
        409,
        "empty basket"
    );
    // The address checkout-delivery.json names, as account's set-profile.json saves it.
    let buyer = UserId::new("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f").unwrap();
    let input: ProfileInput = serde_json::from_str(
        r#"{"addresses": [{"id": "3f6c1b9a-7d2e-4c8f-9a1b-5e4d3c2b1a09", "recipient": "Ann Reader",
            "line1": "221B Baker Street", "city": "London", "postal_code": "NW1 6XE", "country": "GB"}]}"#,
    )
    .unwrap();
    let profile = input.apply(&Profile::empty(&buyer), "2026-12-07T17:00:00.000Z".into()).unwrap();
    assert!(shop.save_profile(&profile).await.unwrap());
    for (file, status, fulfilment) in cases {
        assert_eq!(basket::handle(&catalog, &shop, request("basket", "put-item.json")).await.status(), 200);
        let response = checkout::handle(&stores, request("checkout", file)).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status().as_u16(), status, "{file}: {body}");
        if status == 201 {
            assert_eq!(body["fulfilment"], fulfilment, "{file}");
            let address = &body["shipping_address"];
            assert_eq!(address.is_null(), fulfilment == "pickup", "{file}: {address}");
        }
    }
    assert_eq!(
        checkout::handle(&stores, request("checkout", "checkout-unknown-address.json")).await.status(),
        400,
        "refused before the basket is read"
    );
    let replay = checkout::handle(&stores, request("checkout", "checkout.json")).await;
    assert_eq!(replay.status(), 200, "the same Idempotency-Key returns the order");
}

/// The key's schema says printable ASCII, 1 to 255 characters; each way out of it is a 400
/// naming the header, before any store is read.
#[tokio::test]
async fn an_idempotency_key_outside_its_documented_form_is_refused_by_name() {
    let catalog = EmbeddedCatalog::in_memory().unwrap();
    let shop = EmbeddedShop::in_memory().unwrap();
    let stores = Stores {
        books: &catalog,
        baskets: &shop,
        orders: &shop,
        profiles: &shop,
        contacts: Default::default(),
    };
    let too_long = "k".repeat(checkout::IDEMPOTENCY_KEY_MAX + 1);
    for key in ["with\ta tab", "   ", too_long.as_str()] {
        let mut request = request("checkout", "checkout.json");
        request.headers_mut().insert("idempotency-key", key.parse().unwrap());
        let response = checkout::handle(&stores, request).await;
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(response.status(), 400, "{key:?}: {body}");
        assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
    }
}

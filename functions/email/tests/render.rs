//! The three emails, rendered for a fixed order delivered to an address (and one picked up),
//! against the snapshots in tests/snapshots/
//! (`UPDATE_SNAPSHOTS=1 cargo test -p email` rewrites them after an intended change).

use std::path::PathBuf;

use bookworm_domain::Money;
use bookworm_domain::basket::PricedLine;
use bookworm_domain::ids::BookId;
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::profile::{Address, Fulfilment};
use email::{Kind, render};

fn order(name: &str) -> Order {
    let line = |title: &str, cents: u64, quantity: u32| PricedLine {
        book_id: BookId::derived(title),
        name: title.to_owned(),
        unit_price: Money::from_cents(cents).unwrap(),
        quantity,
        line_total: Money::from_cents(cents * u64::from(quantity)).unwrap(),
        in_stock: true,
    };
    Order {
        id: "7c9e6679-7425-40de-944b-e07fc1f90ae7".parse().unwrap(),
        shop_id: "123e4567-e89b-42d3-a456-426614174000".parse().unwrap(),
        buyer_id: "ann".parse().unwrap(),
        buyer_email: Some("ann@example.com".into()),
        buyer_name: Some(name.to_owned()),
        buyer_phone: None,
        lines: vec![line("Emma", 950, 2), line("Pride & Prejudice", 699, 1)],
        total: Money::from_cents(2599).unwrap(),
        status: OrderStatus::New,
        created_at: "2026-11-22T14:30:00.000Z".into(),
        idempotency_key: bookworm_domain::ids::IdempotencyKey::parse("k").unwrap(),
        fulfilment: Fulfilment::Delivery,
        shipping_address: Some(Address {
            id: "0b6f3c1e-2d4a-4e5f-8a9b-1c2d3e4f5a6b".parse().unwrap(),
            label: Some("Home".into()),
            recipient: name.to_owned(),
            line1: "12 Green Gables Lane".into(),
            line2: Some("Flat 2".into()),
            city: "Avonlea".into(),
            region: Some("Prince Edward Island".into()),
            postal_code: Some("C0A 1H0".into()),
            country: "CA".into(),
        }),
    }
}

fn picked_up(name: &str) -> Order {
    Order { fulfilment: Fulfilment::Pickup, shipping_address: None, ..order(name) }
}

fn check(name: &str, rendered: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, rendered).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no snapshot {name}: run with UPDATE_SNAPSHOTS=1"));
    assert_eq!(
        rendered, expected,
        "{name} changed; if intended, run with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

#[test]
fn the_three_emails_match_their_snapshots() {
    for (kind, file) in
        [(Kind::Received, "received"), (Kind::Completed, "completed"), (Kind::Cancelled, "cancelled")]
    {
        let email = render(kind, &order("Ann Shirley")).unwrap().unwrap();
        assert_eq!(email.subject, kind.subject());
        assert_eq!(email.to, "ann@example.com");
        check(&format!("{file}.html"), &email.html);
        check(&format!("{file}.txt"), &email.text);
    }
}

#[test]
fn a_pickup_order_names_the_shop_instead_of_an_address() {
    for (kind, file) in [(Kind::Received, "pickup-received"), (Kind::Completed, "pickup-completed")] {
        let email = render(kind, &picked_up("Ann Shirley")).unwrap().unwrap();
        assert!(!email.text.contains("Green Gables"), "{}", email.text);
        assert!(email.text.contains("Pickup at the shop: 123e4567-e89b-42d3-a456-426614174000"));
        check(&format!("{file}.html"), &email.html);
        check(&format!("{file}.txt"), &email.text);
    }
    let completed = render(Kind::Completed, &picked_up("Ann")).unwrap().unwrap();
    assert!(completed.text.contains("ready to collect at the shop"), "not 'on its way'");
}

/// An order read back from before fulfilment existed: no such fields, so picked up.
#[test]
fn an_order_stored_before_fulfilment_reads_as_pickup() {
    let mut stored = serde_json::to_value(picked_up("Ann")).unwrap();
    let object = stored.as_object_mut().unwrap();
    object.remove("fulfilment");
    object.remove("shipping_address");
    let old: Order = serde_json::from_value(stored).unwrap();
    assert_eq!((old.fulfilment, &old.shipping_address), (Fulfilment::Pickup, &None));
    let email = render(Kind::Received, &old).unwrap().unwrap();
    assert!(email.text.contains("Pickup at the shop"), "{}", email.text);
}

#[test]
fn customer_supplied_values_are_escaped_in_html() {
    let email = render(Kind::Received, &order("<script>alert('x')</script>")).unwrap().unwrap();
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(
        email.html.contains("Dear &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;,"),
        "{}",
        email.html
    );
    assert!(email.html.contains("Pride &#38; Prejudice"), "{}", email.html);
    assert!(email.html.contains("<br>\n    &#60;script&#62;"), "the address's recipient too: {}", email.html);
    check("hostile-name.html", &email.html);
}

#[test]
fn the_bookstore_subjects_are_kept_word_for_word() {
    assert_eq!(Kind::Received.subject(), "BookWorm: Your Order Has Been Received Successfully");
    assert_eq!(Kind::Completed.subject(), "BookWorm: Your Order Has Been Completed and Shipped");
    assert_eq!(Kind::Cancelled.subject(), "BookWorm: Your Order Has Been Canceled - Important Information");
}

#[test]
fn no_address_means_no_email() {
    let mut blank = order("Ann");
    blank.buyer_email = Some("  ".into());
    assert_eq!(render(Kind::Received, &blank).unwrap(), None);
    blank.buyer_email = None;
    assert_eq!(render(Kind::Completed, &blank).unwrap(), None);
}

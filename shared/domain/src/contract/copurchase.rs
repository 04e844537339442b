//! The contract of the co-purchase store: a record is saved only from the version it was read
//! at, so a retried save that landed and two racing orders each count once; records of
//! different keys are apart; a full record (every bound reached) round-trips.

use crate::copurchase::{MARKERS_KEPT, PARTNERS_KEPT, PartnerKey, Partners};
use crate::ids::{BookId, EventId};
use crate::ports::CoPurchaseStore;

/// Runs every check against one store (any content: each check uses books of its own).
pub async fn co_purchase_store<S: CoPurchaseStore>(store: &S) {
    a_record_is_saved_from_its_version(store).await;
    racing_orders_both_count_once(store).await;
    keys_are_apart(store).await;
    a_full_record_round_trips(store).await;
}

fn fresh() -> BookId {
    BookId(uuid::Uuid::new_v4())
}

async fn read<S: CoPurchaseStore>(store: &S, key: PartnerKey) -> Partners {
    let partners = store.partners(key).await.expect("partners");
    assert_eq!(partners.key(), key, "a record says whose it is");
    partners
}

async fn a_record_is_saved_from_its_version<S: CoPurchaseStore>(store: &S) {
    let (book, with) = (fresh(), fresh());
    let key = PartnerKey::Book(book);
    let empty = read(store, key).await;
    assert_eq!(empty, Partners::empty(key), "nothing kept: empty, version 0");

    let mut first = empty.clone();
    assert!(first.add(EventId::random(), &[with]));
    assert!(store.save_partners(&first).await.expect("save"), "saved from version 0");
    assert_eq!(read(store, key).await, first);
    // The same save again (its answer was lost, and it is retried): refused, nothing doubled.
    assert!(!store.save_partners(&first).await.expect("save again"), "a save that landed");
    // A save made from the empty record another attempt read before the first landed.
    let mut stale = empty;
    stale.add(EventId::random(), &[with]);
    assert!(!store.save_partners(&stale).await.expect("stale save"), "made from a version gone");
    assert_eq!(read(store, key).await.count(with), Some(1));
}

async fn racing_orders_both_count_once<S: CoPurchaseStore>(store: &S) {
    let (book, with) = (fresh(), fresh());
    let key = PartnerKey::Book(book);
    let orders = [EventId::random(), EventId::random()];
    // Each order is read, added and saved until it lands, both at once.
    let count = |event: EventId| async move {
        for _ in 0..10 {
            let mut partners = store.partners(key).await.expect("partners");
            if !partners.add(event, &[with]) {
                return;
            }
            if store.save_partners(&partners).await.expect("save") {
                return;
            }
        }
        panic!("the record kept changing");
    };
    futures::join!(count(orders[0]), count(orders[1]));
    let stored = read(store, key).await;
    assert_eq!(stored.count(with), Some(2), "both orders, once each");
    assert_eq!(stored.version, 2);
    assert!(orders.iter().all(|event| stored.markers.contains(event)));
}

async fn keys_are_apart<S: CoPurchaseStore>(store: &S) {
    let (a, b) = (fresh(), fresh());
    let mut of_a = read(store, PartnerKey::Book(a)).await;
    of_a.add(EventId::random(), &[b]);
    assert!(store.save_partners(&of_a).await.expect("save"));
    assert_eq!(read(store, PartnerKey::Book(b)).await.version, 0, "another book's record");
    let mut popular = read(store, PartnerKey::Popular).await;
    let before = popular.count(a).unwrap_or(0);
    popular.add(EventId::random(), &[a, b]);
    assert!(store.save_partners(&popular).await.expect("save popular"));
    let popular = read(store, PartnerKey::Popular).await;
    assert_eq!(popular.count(a), Some(before + 1));
    assert_eq!(read(store, PartnerKey::Book(a)).await, of_a, "untouched by the popular record");
}

async fn a_full_record_round_trips<S: CoPurchaseStore>(store: &S) {
    let key = PartnerKey::Book(fresh());
    let mut partners = read(store, key).await;
    let many: Vec<BookId> = (0..PARTNERS_KEPT + 20).map(|_| fresh()).collect();
    partners.add(EventId::random(), &many);
    for _ in 0..MARKERS_KEPT + 5 {
        partners.add(EventId::random(), &many[..3]);
    }
    // Saved step by step from version 0 would take hundreds of writes; one save of the last
    // version stands in for them, as the first save of a record is conditioned on absence.
    let version = partners.version;
    partners.version = 1;
    assert!(store.save_partners(&partners).await.expect("save a full record"));
    let stored = read(store, key).await;
    assert_eq!((stored.counts.len(), stored.markers.len()), (PARTNERS_KEPT, MARKERS_KEPT));
    assert_eq!(stored, partners);
    assert!(version > 1);
}

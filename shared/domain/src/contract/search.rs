//! The contract of the search index store: immutable versions, and a pointer that moves only
//! by compare-and-swap. Expects an empty store.

use crate::ports::IndexStore;
use crate::search::{IndexPointer, Published};

pub async fn index_store<S: IndexStore>(store: &S) {
    assert_eq!(store.current().await.expect("current"), None, "an empty store has no pointer");

    let first = bundle(1, 1000);
    let p1 = current(store.publish(first.clone(), 3, None).await.expect("publish the first"));
    assert_eq!((p1.version, p1.books, p1.bytes), (1, 3, first.len() as u64));
    assert_eq!(store.current().await.expect("current").as_ref(), Some(&p1), "the pointer reads back");
    assert_eq!(store.fetch(&p1).await.expect("fetch"), first, "a version reads back byte for byte");

    let second = bundle(2, 2000);
    assert_eq!(
        store.publish(second.clone(), 4, None).await.expect("publish"),
        Published::Stale,
        "a first version cannot replace an existing one"
    );
    let p2 = current(store.publish(second.clone(), 4, Some(&p1)).await.expect("publish the second"));
    assert_eq!(p2.version, 2);
    assert_ne!(p2.object, p1.object, "each version has its own object");
    assert_eq!(store.fetch(&p2).await.expect("fetch"), second);
    assert_eq!(
        store.fetch(&p1).await.expect("fetch the replaced"),
        first,
        "a replaced version stays readable"
    );

    assert_eq!(
        store.publish(bundle(3, 10), 1, Some(&p1)).await.expect("publish"),
        Published::Stale,
        "a publisher that read an old pointer loses"
    );
    assert_eq!(store.current().await.expect("current"), Some(p2.clone()), "a stale publish moves nothing");

    concurrent_publishers_have_one_winner(store, &p2).await;
    large_bundles_round_trip(store).await;
}

async fn concurrent_publishers_have_one_winner<S: IndexStore>(store: &S, base: &IndexPointer) {
    let attempts = (0..8u8).map(|i| store.publish(bundle(10 + i, 500), u64::from(i), Some(base)));
    let outcomes = futures::future::join_all(attempts).await;
    let winners: Vec<IndexPointer> = outcomes
        .into_iter()
        .filter_map(|outcome| match outcome.expect("publish") {
            Published::Current(pointer) => Some(pointer),
            Published::Stale => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "exactly one of eight racing publishers wins");
    let now = store.current().await.expect("current").expect("a pointer");
    assert_eq!(now, winners[0], "the pointer names the winner's version");
    assert_eq!(now.version, base.version + 1);
    assert_eq!(store.fetch(&now).await.expect("fetch").len(), 500);
}

async fn large_bundles_round_trip<S: IndexStore>(store: &S) {
    let base = store.current().await.expect("current").expect("a pointer");
    let large = bundle(99, 24 << 20);
    let pointer = current(store.publish(large.clone(), 100_000, Some(&base)).await.expect("publish 24 MiB"));
    assert!(store.fetch(&pointer).await.expect("fetch 24 MiB") == large, "24 MiB read back intact");
}

fn current(published: Published) -> IndexPointer {
    match published {
        Published::Current(pointer) => pointer,
        Published::Stale => panic!("expected the publish to win"),
    }
}

/// Bytes no text encoding would keep intact: every byte value, zeros included.
fn bundle(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

//! What fan-out needs of its ports: connections listed page by page in a fixed order (the
//! pages a big shop's event is split into), and shards handed over within the payload limit.

use std::num::NonZeroUsize;

use crate::events::ShopEvent;
use crate::ids::{ConnectionId, ShopId};
use crate::ports::{Connection, Connections, Listener, Shard, ShardDispatch};

use super::sample_action;

/// Pages of one shop's connections visit each exactly once, in id order, at every page size,
/// and say "no more" exactly at the end: a shop of `limit` connections is one page.
pub(super) async fn connection_pages<S: Connections>(store: &S) {
    let (shop, neighbour) = (ShopId::random(), ShopId::random());
    let limit = |n: usize| NonZeroUsize::new(n).expect("a page holds at least one");
    let empty = store.page_for_shop(shop, None, limit(3)).await.expect("page_for_shop");
    assert!(empty.items.is_empty() && empty.next_cursor.is_none(), "no connections: one empty last page");

    // Bytewise order, as DynamoDB sorts strings: upper case before lower, a prefix first.
    let ids = ["B", "a", "a-1", "aa", "a_", "Z9", "é"];
    let at = |id: &str, shop| Connection {
        id: id.parse().expect("a connection id"),
        channel: crate::ports::Channel::Shop(shop),
        user_id: "merchant".parse().expect("a user id"),
        connected_at: crate::clock::now_rfc3339(),
        token_expires_at: 4_102_444_800 - id.len() as u64,
    };
    for id in ids {
        store.add(&at(id, shop)).await.expect("add");
        // Another shop's connections between ours, in the same order.
        store.add(&at(&format!("{id}~"), neighbour)).await.expect("add");
    }
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_unstable();
    let want: Vec<Listener> = sorted
        .iter()
        .map(|id| Listener { id: id.parse().unwrap(), token_expires_at: 4_102_444_800 - id.len() as u64 })
        .collect();
    for size in [1, 2, 3, 6, 7, 8, 100] {
        let (listed, pages) = walk(store, shop, limit(size)).await;
        assert_eq!(listed, want, "page size {size}: every connection once, in id order, with its expiry");
        assert_eq!(pages, want.len().div_ceil(size).max(1), "page size {size}: no empty page at the end");
    }

    // A page resumes after its cursor even when that connection has gone meanwhile.
    let first = store.page_for_shop(shop, None, limit(3)).await.expect("page_for_shop");
    let cursor: ConnectionId =
        first.next_cursor.expect("more than one page").parse().expect("a connection id");
    store.remove(&cursor).await.expect("remove");
    let rest = store.page_for_shop(shop, Some(&cursor), limit(100)).await.expect("page_for_shop");
    assert_eq!(rest.items, want[3..], "after a removed connection");
    assert_eq!(rest.next_cursor, None);
}

/// Follows the pages to the end: what they listed, and how many pages it took.
async fn walk<S: Connections>(store: &S, shop: ShopId, limit: NonZeroUsize) -> (Vec<Listener>, usize) {
    let (mut listed, mut pages, mut after) = (Vec::new(), 0, None::<ConnectionId>);
    loop {
        let page = store.page_for_shop(shop, after.as_ref(), limit).await.expect("page_for_shop");
        assert!(page.items.len() <= limit.get(), "a page larger than its limit");
        assert!(!page.items.is_empty() || pages == 0, "an empty page after a cursor");
        pages += 1;
        listed.extend(page.items);
        match page.next_cursor {
            Some(next) => after = Some(next.parse().expect("a connection id")),
            None => return (listed, pages),
        }
        assert!(pages <= 100, "the cursor loop does not end");
    }
}

/// A shard as large as fan-out makes them (the most listeners, API Gateway's 16-character ids,
/// an event at the HTTP body limit) is queued; one over the payload limit is refused before it
/// is sent. Returns the shard that was queued, for the caller to see it arrive where it can.
pub async fn shard_dispatch<D: ShardDispatch>(dispatch: &D) -> Shard {
    let shop = ShopId::random();
    let mut action = sample_action(shop);
    action.product_name = "x".repeat(64 * 1024);
    let listeners = |count: usize, id_length: usize| -> Vec<Listener> {
        (0..count)
            .map(|i| Listener {
                id: format!("{i:0id_length$}").parse().unwrap(),
                token_expires_at: 4_102_444_800,
            })
            .collect()
    };
    let event = ShopEvent::checkout_action(action);
    let largest = Shard { event: event.clone(), number: 1, listeners: listeners(Shard::MAX_LISTENERS, 16) };
    dispatch.dispatch(&largest).await.expect("the largest shard fan-out makes is queued");

    let oversized = Shard { event, number: 2, listeners: listeners(4 * Shard::MAX_LISTENERS, 32) };
    let refused = dispatch.dispatch(&oversized).await.expect_err("a shard over the payload limit is refused");
    assert!(refused.to_string().contains("limit"), "the error says why: {refused}");
    largest
}

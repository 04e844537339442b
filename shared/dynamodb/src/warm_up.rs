//! Opening a function's connection to DynamoDB during init, before its first request.
//!
//! A cold function's first AWS call pays the TCP connect, the TLS handshake and the SDK's first
//! request set-up; at a 128 MB CPU share that is 3–8 ms of CPU, i.e. 15–31 ms of the first
//! answer (README, "Cold starts at the CPU share"). Paid during init instead, it costs one read
//! per cold start (half a read unit) and is gone from the request a shopper waits for. The
//! connection is pooled by the SDK configuration's HTTP client, which every client built from
//! that configuration shares, so one read warms every table the function uses.
//!
//! The read asks for a key no item has, in a table the function already uses. It needs
//! `GetItem`, which catalog-lookups and publish were granted for it on a table they already
//! `Query` (no wider access: a query on the table reaches every item) and websocket on the
//! connections it already writes and deletes. Whatever happens is logged and ignored: a function
//! whose warm-up fails connects on its first request as before.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;

use crate::{Item, s};

/// The partition and sort key value no item carries (ids are UUIDs or prefixed, `BOOK#…`).
pub(crate) const NO_ITEM: &str = "WARM-UP";

/// Longest the warm-up may hold init: a handshake takes milliseconds; past this the endpoint
/// is in trouble, and the first request will find out with its own timeouts.
const LIMIT: Duration = Duration::from_secs(1);

/// What the warm-up read did, for the log line and the tests.
#[derive(Debug, PartialEq, Eq)]
pub enum WarmUp {
    /// The read was answered: the connection is open and pooled.
    Connected,
    /// The read failed (the message says why); nothing is pooled.
    Failed(String),
    /// No answer within the limit.
    TimedOut,
}

/// Reads `key` from `table` once, within [`LIMIT`], and logs the outcome.
pub(crate) async fn read_nothing(client: &Client, table: &str, key: Item) -> WarmUp {
    let started = Instant::now();
    let read = client.get_item().table_name(table).set_key(Some(key)).send();
    let outcome = match tokio::time::timeout(LIMIT, read).await {
        Ok(Ok(_)) => WarmUp::Connected,
        Ok(Err(error)) => WarmUp::Failed(DisplayErrorContext(error).to_string()),
        Err(_) => WarmUp::TimedOut,
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &outcome {
        WarmUp::Connected => tracing::debug!(table, elapsed_ms, "DynamoDB connection warmed up"),
        WarmUp::Failed(error) => {
            tracing::warn!(table, elapsed_ms, error, "warm-up read failed: the first request will connect")
        }
        WarmUp::TimedOut => {
            tracing::warn!(table, elapsed_ms, "warm-up read timed out: the first request will connect")
        }
    }
    outcome
}

/// A key of `names`, each attribute the string [`NO_ITEM`].
pub(crate) fn no_item(names: &[&str]) -> Item {
    names.iter().map(|name| ((*name).to_owned(), s(NO_ITEM))).collect()
}

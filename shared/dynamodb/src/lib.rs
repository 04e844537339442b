//! DynamoDB adapters for the domain's store ports. The table design is in `TABLES.md` beside
//! this crate; the tables themselves are defined once, in template.yaml, and `schema` (feature
//! `schema`) creates them from there for tests and the local stack.

mod catalog;
mod copurchase;
mod devices;
mod figures;
mod per_user;
mod profile;
mod reviews;
#[cfg(feature = "schema")]
pub mod schema;
mod shop;
mod support;
mod warm_up;

pub use catalog::DynamoCatalog;
pub use copurchase::DynamoCoPurchases;
pub use devices::DynamoDevices;
pub use figures::DynamoFigures;
pub use profile::DynamoProfiles;
pub use reviews::{DynamoRatings, DynamoReviews, ReviewTables};
pub use shop::{DynamoShop, ReadBudget, ShopTable, ShopTables};
pub use support::DynamoSupport;
pub use warm_up::WarmUp;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use bookworm_domain::Error;

/// An SDK failure as a domain error, keeping the service's own explanation.
fn unavailable<E: std::error::Error + Send + Sync + 'static>(context: &'static str, error: E) -> Error {
    Error::unavailable(context, DisplayErrorContext(error).to_string())
}

/// The SDK configuration from the Lambda environment (`bookworm_aws`), as a domain error.
pub fn sdk_config_from_env() -> Result<bookworm_aws::SdkConfig, Error> {
    bookworm_aws::config_from_env().map_err(|e| Error::unavailable("configuration", e.to_string()))
}

/// Reads a required setting, naming it when it is missing.
pub fn required_env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::unavailable("configuration", format!("{name} is not set")))
}

/// The most keys one `BatchGetItem` may ask for.
const BATCH_GET_MAX: usize = 100;
/// How often keys DynamoDB left unprocessed (throttling, or 16 MB read) are asked for, in all.
const BATCH_GET_ATTEMPTS: u32 = 5;

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// The items of `keys` in `table` that exist, in no particular order: one `BatchGetItem` per
/// 100 keys, the keys DynamoDB left unprocessed asked for again after a growing pause (20,
/// 40, 80, 160 ms), and an error if some are still left after that.
async fn batch_get(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keys: Vec<Item>,
    consistent: bool,
    what: &'static str,
) -> Result<Vec<Item>, Error> {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let mut items = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_GET_MAX) {
        let mut pending = Some(chunk.to_vec());
        for attempt in 0..BATCH_GET_ATTEMPTS {
            let Some(keys) = pending.take() else { break };
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10 << attempt)).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(consistent)
                .build()
                .map_err(|e| unavailable(what, e))?;
            let output = client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|e| unavailable(what, e))?;
            items.extend(output.responses.and_then(|mut found| found.remove(table)).unwrap_or_default());
            pending = output
                .unprocessed_keys
                .and_then(|mut left| left.remove(table))
                .map(|left| left.keys)
                .filter(|left| !left.is_empty());
        }
        if pending.is_some() {
            return Err(Error::unavailable(what, "DynamoDB left keys unprocessed"));
        }
    }
    Ok(items)
}

/// A string attribute.
fn s(text: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(text.into())
}

use bookworm_domain::clock::unix_now;

fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// A TTL attribute: now plus `seconds`, in Unix seconds.
fn expires_in(seconds: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N((unix_now() + seconds).to_string())
}

/// What a cancelled transaction means, from its cancellation reasons.
#[derive(Debug, PartialEq, Eq)]
enum Cancelled {
    /// A condition failed: another writer won the race (the caller's 409 or retry).
    LostRace,
    /// Contention or throttling: the same transaction may succeed a moment later.
    Transient,
    /// Anything else (validation, item size…): a fault of ours, not the caller's.
    Fault,
}

/// DynamoDB cancels a transaction for many reasons; only `ConditionalCheckFailed` means a
/// condition of ours failed. Reasons are listed per item, `None` for the items that were fine.
fn classify<'a>(codes: impl IntoIterator<Item = Option<&'a str>>) -> Cancelled {
    let codes: Vec<&str> =
        codes.into_iter().map(|code| code.unwrap_or("None")).filter(|code| *code != "None").collect();
    if codes.contains(&"ConditionalCheckFailed") {
        Cancelled::LostRace
    } else if !codes.is_empty()
        && codes.iter().all(|code| {
            matches!(*code, "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded")
        })
    {
        Cancelled::Transient
    } else {
        Cancelled::Fault
    }
}

/// How often a transaction cancelled by contention or throttling is tried, in all: up to about
/// 1.6 s of pauses, well inside a function's timeout. Every review of one book updates its
/// rating counts, so a burst of reviews contends there.
const TRANSACT_ATTEMPTS: u32 = 7;

/// Runs a transaction; `Ok(false)` when a condition failed (another writer won a race).
async fn transact(
    client: &aws_sdk_dynamodb::Client,
    writes: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    context: &'static str,
) -> Result<bool, Error> {
    Ok(transact_checked(client, writes, context).await?.is_empty())
}

/// Runs a transaction and says which writes' conditions failed, by their index (none: it was
/// written). One cancelled by contention or throttling is tried again after a growing,
/// jittered pause; any other cancellation is an error (503) with DynamoDB's reasons logged.
async fn transact_checked(
    client: &aws_sdk_dynamodb::Client,
    writes: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    context: &'static str,
) -> Result<Vec<usize>, Error> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let mut attempt = 1;
    loop {
        // The token makes the SDK's own retry of this attempt (a response lost after the commit)
        // idempotent: DynamoDB answers success instead of failing the conditions it already met.
        let token = uuid::Uuid::new_v4().to_string();
        let request = client.transact_write_items().client_request_token(token);
        let error = match request.set_transact_items(Some(writes.clone())).send().await {
            Ok(_) => return Ok(Vec::new()),
            Err(error) => error,
        };
        let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) = error.as_service_error()
        else {
            return Err(unavailable(context, error));
        };
        let codes = cancelled.cancellation_reasons().iter().map(|reason| reason.code());
        match classify(codes) {
            Cancelled::LostRace => {
                let reasons = cancelled.cancellation_reasons().iter();
                let failed =
                    reasons.enumerate().filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"));
                return Ok(failed.map(|(index, _)| index).collect());
            }
            Cancelled::Transient if attempt < TRANSACT_ATTEMPTS => {
                tracing::info!(context, attempt, "transaction cancelled by contention; trying again");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Cancelled::Transient | Cancelled::Fault => {
                tracing::error!(context, reasons = ?cancelled.cancellation_reasons(), "transaction cancelled");
                return Err(unavailable(context, error));
            }
        }
    }
}

/// Full jitter over 25 ms × 2^(attempt-1): concurrent writers that collided spread out. A v4
/// UUID is the randomness the crate already has.
fn backoff(attempt: u32) -> std::time::Duration {
    let ceiling = 25u128 << (attempt - 1).min(6);
    std::time::Duration::from_millis((uuid::Uuid::new_v4().as_u128() % ceiling) as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_failed_condition_is_a_lost_race() {
        assert_eq!(classify([Some("None"), Some("ConditionalCheckFailed")]), Cancelled::LostRace);
        assert_eq!(
            classify([Some("ConditionalCheckFailed"), Some("TransactionConflict")]),
            Cancelled::LostRace
        );
        assert_eq!(classify([Some("None"), Some("TransactionConflict")]), Cancelled::Transient);
        assert_eq!(
            classify([Some("ThrottlingError"), Some("ProvisionedThroughputExceeded")]),
            Cancelled::Transient
        );
        assert_eq!(classify([Some("ValidationError"), Some("None")]), Cancelled::Fault);
        assert_eq!(
            classify([Some("TransactionConflict"), Some("ItemCollectionSizeLimitExceeded")]),
            Cancelled::Fault
        );
        assert_eq!(classify([None, None]), Cancelled::Fault, "a cancellation without reasons is no race");
        assert_eq!(classify([]), Cancelled::Fault);
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..=10 {
            let pause = backoff(attempt);
            assert!(pause >= std::time::Duration::from_millis(1));
            assert!(pause <= std::time::Duration::from_millis(25 << 6), "{attempt}: {pause:?}");
        }
    }
}

//! DynamoDB adapters for the domain's store ports. The table design is in `TABLES.md` beside
//! this crate; `schema` creates the same tables for tests and the local stack.

mod catalog;
pub mod schema;
mod shop;

pub use catalog::DynamoCatalog;
pub use shop::{DynamoShop, ShopTables};

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
pub fn required_env(name: &'static str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::unavailable("configuration", format!("{name} is not set")))
}

/// A string attribute.
fn s(text: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(text.into())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

fn unix_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// A TTL attribute: now plus `seconds`, in Unix seconds.
fn expires_in(seconds: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N((unix_now() + seconds).to_string())
}

/// Runs a transaction; `Ok(false)` when a condition failed (another writer won a race).
async fn transact(
    client: &aws_sdk_dynamodb::Client,
    writes: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    context: &'static str,
) -> Result<bool, Error> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match client.transact_write_items().set_transact_items(Some(writes)).send().await {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.as_service_error(),
                Some(TransactWriteItemsError::TransactionCanceledException(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(context, e)),
    }
}

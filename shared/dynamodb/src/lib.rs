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

/// Reads a required setting, naming it when it is missing.
pub fn required_env(name: &'static str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| Error::unavailable("configuration", format!("{name} is not set")))
}

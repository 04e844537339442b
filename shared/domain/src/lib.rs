//! The BookWorm domain: entities, validation, money, catalog queries, errors and ports.
//!
//! Pure Rust: nothing here knows about AWS or HTTP. Adapters implement the ports in [`ports`];
//! the HTTP glue maps [`Error`] to status codes once, for every function.

pub mod basket;
pub mod catalog;
pub mod clock;
pub mod copurchase;
pub mod country;
pub mod day;
pub mod devices;
pub mod error;
pub mod events;
pub mod figures;
pub mod identity;
pub mod ids;
pub mod mail;
pub mod money;
pub mod orders;
pub mod ports;
pub mod profile;
pub mod publish;
pub mod push;
pub mod query;
pub mod queue;
pub mod reviews;
pub mod search;
pub mod support;
pub mod text;
pub mod whole;

#[cfg(feature = "contract-tests")]
pub mod contract;

pub use error::{Error, FieldError};
pub use money::Money;

//! Embedded adapters: the local stack's stores and the fast tests' twins.
//!
//! Data lives in a redb file under the local data folder, so a restart keeps it; reads are
//! served from indexes held in memory and rebuilt from that file at start.

mod catalog;
pub mod outbox;
mod reviews;
pub mod seed;
mod shop;

pub use catalog::EmbeddedCatalog;
pub use reviews::EmbeddedReviews;
pub use shop::EmbeddedShop;

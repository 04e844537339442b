//! Embedded adapters: the local stack's stores and the fast tests' twins.
//!
//! Data lives in redb files under the local data folder, so a restart keeps it. The shop file
//! is read directly (bounded page cache) and written through a group-commit writer; the
//! catalog, reviews, support chat and the figures keep small indexes in memory, rebuilt from their file at start.

mod catalog;
mod commerce;
mod copurchase;
mod devices;
mod figures;
mod layout;
pub mod outbox;
mod profile;
pub mod push_outbox;
mod reviews;
pub mod seed;
mod shop;
mod support;
mod writer;

pub use catalog::EmbeddedCatalog;
pub use copurchase::EmbeddedCoPurchases;
pub use figures::EmbeddedFigures;
pub use reviews::EmbeddedReviews;
pub use shop::EmbeddedShop;
pub use support::EmbeddedSupport;
pub use writer::WriteStats;

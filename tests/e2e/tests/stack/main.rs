//! The end-to-end tests that share one process: each starts a local stack of its own on free
//! ports, so they run side by side. One test binary instead of one per file, because each links
//! the whole local stack (about 280 MB in a debug build). `sharding.rs` and `support_away.rs`
//! stay apart: they set process-wide environment variables the stacks read.

mod admin_stats;
mod buyers;
mod catalog;
mod commerce;
mod connections;
mod contracts;
mod devices;
mod identity;
mod lookup_deletion;
mod metrics;
mod orders_by_customer_and_day;
mod orders_feed;
mod realtime;
mod recommendations;
mod reviews;
mod search;
mod sign_in;
mod strictness;
mod support;

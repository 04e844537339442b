//! The local stack: every HTTP route declared in template.yaml, served in-process by the same
//! handler functions the Lambdas run, on embedded stores kept under a local data folder.
//!
//! No Docker, no Python, no AWS account. The catalog can be read from DynamoDB instead
//! (`--catalog dynamodb`); every other store is embedded.

pub mod answers;
pub mod away;
pub mod bus;
pub mod connections;
pub mod cors;
pub mod dev_routes;
pub mod figures;
pub mod functions;
pub mod invoke;
pub mod listen;
pub mod mqtt;
pub mod oidc;
pub mod pages;
pub mod reminders;
pub mod running;
pub mod server;
pub mod sockets;
pub mod stack;
pub mod stores;
pub mod strict;
pub mod template;
pub mod verdicts;
pub mod websocket;

pub use connections::Limits;
pub use stack::{AuthConfig, CatalogBackend, PushBackend, Stack, StackConfig};

//! What the fan-out tests share: a push scripted by connection name, connections in the
//! embedded store, and a shard runner that behaves like Lambda's asynchronous invocations.

#![allow(dead_code)] // each test file uses its own part

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::ids::{ConnectionId, ShopId};
use bookworm_domain::ports::{Connection, Connections, Delivery, Listener, Push, Shard, ShardDispatch};
use bookworm_embedded::EmbeddedShop;
use fanout::{Fanout, Invocation};

/// Connections behave by their name's prefix; every message sent is recorded.
#[derive(Default)]
pub struct ScriptedPush {
    pub sent: Mutex<Vec<(String, String)>>,
    pub closed: Mutex<Vec<String>>,
}

#[async_trait]
impl Push for ScriptedPush {
    async fn push(&self, connection_id: &ConnectionId, message: &[u8]) -> Result<Delivery, Error> {
        let connection_id = connection_id.as_str();
        if connection_id.starts_with("slow") {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        if connection_id.starts_with("gone") {
            return Ok(Delivery::Gone);
        }
        if connection_id.starts_with("broken") {
            return Err(Error::unavailable("post", "connection reset"));
        }
        let message = String::from_utf8_lossy(message).into_owned();
        self.sent.lock().unwrap().push((connection_id.to_owned(), message));
        Ok(Delivery::Delivered)
    }

    async fn disconnect(&self, connection_id: &ConnectionId) -> Result<(), Error> {
        self.closed.lock().unwrap().push(connection_id.to_string());
        Ok(())
    }
}

impl ScriptedPush {
    /// Who received something, sorted, once per message.
    pub fn receivers(&self) -> Vec<String> {
        let mut receivers: Vec<String> = self.sent.lock().unwrap().iter().map(|(id, _)| id.clone()).collect();
        receivers.sort();
        receivers
    }
}

pub async fn connect(store: &EmbeddedShop, id: &str, shop: ShopId) {
    connect_until(store, id, shop, 4_102_444_800).await;
}

pub async fn connect_until(store: &EmbeddedShop, id: &str, shop: ShopId, token_expires_at: u64) {
    let connection = Connection {
        id: id.parse().unwrap(),
        channel: bookworm_domain::ports::Channel::Shop(shop),
        user_id: "m".parse().unwrap(),
        connected_at: String::new(),
        token_expires_at,
    };
    store.add(&connection).await.unwrap();
}

/// Fan-out over the embedded store with the usual limits.
pub fn on<'a>(store: &'a EmbeddedShop, push: &'a ScriptedPush) -> Fanout<'a> {
    Fanout { connections: store, push, dedupe: store, parallelism: 4, push_timeout: Duration::from_secs(1) }
}

pub fn ids(listeners: Vec<Listener>) -> Vec<String> {
    let mut ids: Vec<String> = listeners.into_iter().map(|listener| listener.id.into_string()).collect();
    ids.sort();
    ids
}

/// Lambda's asynchronous invocations, held until the test runs them: each shard is queued as
/// the payload Lambda would get and read back from it, so what runs is what was sent.
#[derive(Default)]
pub struct QueuedShards {
    pub queued: Mutex<Vec<Invocation>>,
    /// Shard numbers whose hand-over fails once (Lambda throttled the Invoke, say).
    pub refuse_once: Mutex<Vec<u32>>,
}

#[async_trait]
impl ShardDispatch for QueuedShards {
    async fn dispatch(&self, shard: &Shard) -> Result<(), Error> {
        let mut refuse = self.refuse_once.lock().unwrap();
        if let Some(at) = refuse.iter().position(|number| *number == shard.number) {
            refuse.remove(at);
            return Err(Error::unavailable("hand a shard over", "TooManyRequestsException"));
        }
        let invocation = serde_json::from_slice(&bookworm_lambda::shard_payload(shard)?)
            .expect("the function reads the payload");
        self.queued.lock().unwrap().push(invocation);
        Ok(())
    }
}

impl QueuedShards {
    /// The shards queued so far, taken off the queue.
    pub fn take(&self) -> Vec<Shard> {
        std::mem::take(&mut *self.queued.lock().unwrap())
            .into_iter()
            .map(|invocation| match invocation {
                Invocation::Shard(shard) => *shard,
                Invocation::Sns(_) => panic!("only shards are handed over"),
            })
            .collect()
    }
}

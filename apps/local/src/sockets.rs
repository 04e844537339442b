//! The local stack's open WebSockets, by connection id: what `@connections` reaches, and the
//! embedded push adapter that writes straight into them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::extract::ws::Message;
use bookworm_domain::Error;
use bookworm_domain::ids::ConnectionId;
use bookworm_domain::ports::{Delivery, Push};
use tokio::sync::mpsc;

/// The open sockets, by connection id: what `@connections` reaches.
#[derive(Default)]
pub struct Sockets {
    pub(crate) open: Mutex<HashMap<String, Socket>>,
}

pub(crate) struct Socket {
    pub(crate) outbox: mpsc::UnboundedSender<Message>,
    pub(crate) connected_at: String,
    pub(crate) source_ip: String,
    pub(crate) user_agent: String,
}

impl Sockets {
    pub(crate) fn sender(&self, id: &str) -> Option<mpsc::UnboundedSender<Message>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).get(id).map(|socket| socket.outbox.clone())
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Socket> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).remove(id)
    }

    pub fn count(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Closes every socket (the stack is stopping).
    pub fn close_all(&self) {
        for (_, socket) in self.open.lock().unwrap_or_else(PoisonError::into_inner).drain() {
            let _ = socket.outbox.send(Message::Close(None));
        }
    }
}

/// The embedded push adapter: straight into the socket, as `@connections` would, without the
/// HTTP round trip (the default; `--push management-api` uses the AWS SDK client instead).
#[async_trait::async_trait]
impl Push for Sockets {
    async fn push(&self, id: &ConnectionId, message: &[u8]) -> Result<Delivery, Error> {
        match self.sender(id.as_str()) {
            Some(outbox)
                if outbox.send(Message::text(String::from_utf8_lossy(message).into_owned())).is_ok() =>
            {
                Ok(Delivery::Delivered)
            }
            _ => Ok(Delivery::Gone),
        }
    }

    async fn disconnect(&self, id: &ConnectionId) -> Result<(), Error> {
        if let Some(socket) = self.remove(id.as_str()) {
            let _ = socket.outbox.send(Message::Close(None));
        }
        Ok(())
    }
}

//! The local away queue's port adapter: reminders the support chat leaves wait here for
//! [`crate::away`] to handle them when due (SQS's delayed messages in AWS). They live in
//! memory: a restart forgets those still waiting.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bookworm_domain::Error;
use bookworm_domain::ports::Reminders;
use bookworm_domain::support::AwayNotice;
use tokio::sync::mpsc;

/// The port's embedded adapter: reminders go to the runner [`crate::away::start`] spawns.
pub struct LocalReminders {
    sender: mpsc::UnboundedSender<(AwayNotice, Duration)>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<(AwayNotice, Duration)>>>,
}

impl Default for LocalReminders {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self { sender, receiver: Mutex::new(Some(receiver)) }
    }
}

#[async_trait::async_trait]
impl Reminders for LocalReminders {
    async fn remind(&self, notice: &AwayNotice, after: Duration) -> Result<(), Error> {
        self.sender
            .send((*notice, after))
            .map_err(|_| Error::unavailable("leave a reminder", "the stack is stopping"))
    }
}

impl LocalReminders {
    /// The reminders as they are left, for the one runner that handles them.
    pub fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<(AwayNotice, Duration)>> {
        self.receiver.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

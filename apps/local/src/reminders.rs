//! The local away queue: what SQS's delayed messages and the `support-away` function do in
//! AWS. A reminder the support chat leaves is handled in-process once its delay has passed
//! (`SUPPORT_AWAY_DELAY_SECONDS`, as the functions read it), mailing into the local outbox.
//! Reminders live in memory: a restart forgets those still waiting.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bookworm_domain::Error;
use bookworm_domain::ports::Reminders;
use bookworm_domain::support::AwayNotice;
use tokio::sync::mpsc;

use crate::stack::Stack;

/// The port's embedded adapter: reminders go to the runner [`start`] spawns.
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

/// Handles each reminder when it comes due, as the `support-away` function would.
pub fn start(stack: Arc<Stack>) {
    let taken = stack.stores.reminders.receiver.lock().unwrap_or_else(PoisonError::into_inner).take();
    let Some(mut reminders) = taken else {
        tracing::warn!("the away queue is already running");
        return;
    };
    tokio::spawn(async move {
        while let Some((notice, after)) = reminders.recv().await {
            let stack = stack.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let away = stack.stores.away();
                let handled =
                    stack.record(bookworm_metrics::scope("support-away", None, away.remind(&notice)));
                if let Err(error) = handled.await {
                    tracing::warn!(%error, conversation = %notice.conversation_id, "away email failed");
                }
            });
        }
    });
}

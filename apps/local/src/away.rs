//! The local stack's `support-away` function: what SQS's delayed messages and the function do
//! in AWS. Each reminder the support chat leaves ([`crate::reminders`]) is handled in-process
//! once its delay has passed (`SUPPORT_AWAY_DELAY_SECONDS`, as the functions read it), mailing
//! into the local outbox.

use std::sync::Arc;

use crate::stack::Stack;

/// Handles each reminder when it comes due, as the `support-away` function would.
pub fn start(stack: Arc<Stack>) {
    let Some(mut reminders) = stack.stores.reminders.take_receiver() else {
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

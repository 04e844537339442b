//! The second step of a placed order: its books counted as bought together, once.
//!
//! Claimed apart from the figures (consumer [`CONSUMER`]), so a failure of one never makes the
//! other count again. Each record's save carries the order's marker and is conditioned on the
//! version it was read at: a redelivery finds the claim done; a retried save that had landed,
//! or a retry after a crash between the saves and the claim's completion, finds the marker in
//! each record it already moved and moves only the others; two orders racing on one book's
//! record both land, one after reading the other's.

use bookworm_domain::Error;
use bookworm_domain::copurchase::{order_books, pairs};
use bookworm_domain::events::{Payload, ShopEvent};
use bookworm_domain::ports::Claim;

use crate::{ATTEMPTS, CLAIM_LEASE, Outcome, Stats};

/// The step's name in the claims table.
pub const CONSUMER: &str = "co-purchases";

impl Stats<'_> {
    /// Counts a placed order's co-purchases once: claimed, each record moved, completed.
    /// Other events are ignored (a cancelled order still says what was bought together).
    pub async fn count_co_purchases(&self, event: &ShopEvent) -> Result<Outcome, Error> {
        let Payload::CheckoutCompleted(placed) = &event.payload else { return Ok(Outcome::Ignored) };
        match self.dedupe.claim(CONSUMER, event.id, CLAIM_LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => return Ok(Outcome::Duplicate),
            Claim::InProgress => {
                return Err(Error::unavailable(
                    "claim the event",
                    format!("{CONSUMER} of {} is in progress", event.id),
                ));
            }
        }
        let counted = async {
            let order = self
                .orders
                .order(placed.order_id)
                .await?
                .ok_or_else(|| Error::not_found("order", placed.order_id))?;
            let mut outcome = Outcome::Duplicate;
            for (key, partners) in pairs(&order_books(&order)) {
                if self.move_record(event, key, &partners).await? {
                    outcome = Outcome::Counted;
                }
            }
            Ok::<_, Error>(outcome)
        };
        match counted.await {
            Ok(outcome) => {
                self.dedupe.complete(CONSUMER, event.id).await?;
                Ok(outcome)
            }
            Err(error) => {
                self.dedupe.release(CONSUMER, event.id).await?;
                Err(error)
            }
        }
    }

    /// Adds `partners` to `key`'s record for `event`; `false` when its marker was there.
    async fn move_record(
        &self,
        event: &ShopEvent,
        key: bookworm_domain::copurchase::PartnerKey,
        partners: &[bookworm_domain::ids::BookId],
    ) -> Result<bool, Error> {
        for _ in 0..ATTEMPTS {
            let mut record = self.co_purchases.partners(key).await?;
            if !record.add(event.id, partners) {
                return Ok(false);
            }
            if self.co_purchases.save_partners(&record).await? {
                return Ok(true);
            }
        }
        Err(Error::unavailable("count co-purchases", "a record kept changing"))
    }
}

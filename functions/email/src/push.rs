//! Order news pushed to the buyer's devices, when they turned `push_notifications` on. Each
//! device is claimed on its own (consumer `push:<device id>`), so a redelivered event pushes
//! to no device twice, and a device that fails neither stops the others nor is pushed to again
//! when the retry comes for it. A device whose endpoint the push service reports disabled (the
//! app removed, the token expired), or whose token another buyer registered since (the phone
//! changed hands), is forgotten.

use bookworm_domain::Error;
use bookworm_domain::ids::{DeviceId, EventId, UserId};
use bookworm_domain::orders::Order;
use bookworm_domain::push::{Device, PushDelivery, PushMessage};

use crate::{Kind, Notifier, Outcome};

/// Saves of the device list that lose to another before one lands: past this the disabled
/// device stays for the next push to find.
const FORGET_ATTEMPTS: usize = 5;

/// What a push says about `order`.
pub fn message(kind: Kind, order: &Order) -> PushMessage {
    let (title, body) = match kind {
        Kind::Received => ("Order received", format!("We received your order, total ${}.", order.total)),
        Kind::Completed => ("Order complete", kind.message(order.fulfilment).to_owned()),
        Kind::Cancelled => {
            ("Order canceled", "Your order has been canceled. You will not be charged.".to_owned())
        }
    };
    PushMessage { title: title.to_owned(), body, order_id: order.id }
}

impl Notifier<'_> {
    /// Pushes to every device of the buyer's, when they want pushes. An error when any device
    /// failed (after all were tried), so the event is retried for those.
    pub(crate) async fn push_all(&self, kind: Kind, event: EventId, order: &Order) -> Result<(), Error> {
        if !self.preferences.preferences(&order.buyer_id).await?.push_notifications {
            return Ok(());
        }
        let devices = self.devices.devices(&order.buyer_id).await?.devices;
        if devices.is_empty() {
            return Ok(());
        }
        let message = message(kind, order);
        let mut failed = None;
        for device in &devices {
            let consumer = format!("push:{}", device.id);
            let pushed = self.once(&consumer, event, self.push_one(&order.buyer_id, device, &message)).await;
            if let Err(error) = pushed {
                bookworm_metrics::count("PushesFailed", 1.0);
                tracing::warn!(%error, device = %device.id, order = %order.id, "a push failed; the others go on");
                failed = Some(error);
            }
        }
        failed.map_or(Ok(()), Err)
    }

    async fn push_one(
        &self,
        buyer: &UserId,
        device: &Device,
        message: &PushMessage,
    ) -> Result<Outcome, Error> {
        match self.push.push(device, buyer, message).await? {
            PushDelivery::Sent => {
                bookworm_metrics::count("PushesSent", 1.0);
                tracing::info!(device = %device.id, order = %message.order_id, "pushed");
                Ok(Outcome::Sent)
            }
            PushDelivery::Disabled => {
                bookworm_metrics::count("PushEndpointsDisabled", 1.0);
                tracing::info!(device = %device.id, "the push endpoint is disabled; the device is forgotten");
                self.forget(buyer, device.id).await?;
                if let Err(error) = self.push.delete_endpoint(&device.endpoint_arn, buyer).await {
                    tracing::warn!(%error, device = %device.id, "the disabled endpoint is left behind");
                }
                Ok(Outcome::NoAddress)
            }
            // The phone changed hands: the endpoint is its new buyer's now, and stays.
            PushDelivery::Reassigned => {
                bookworm_metrics::count("PushDevicesReassigned", 1.0);
                tracing::info!(device = %device.id, "another buyer registered the device's token; the device is forgotten");
                self.forget(buyer, device.id).await?;
                Ok(Outcome::NoAddress)
            }
        }
    }

    /// Removes the device from the buyer's list (gone already: nothing to do).
    async fn forget(&self, buyer: &UserId, id: DeviceId) -> Result<(), Error> {
        for _ in 0..FORGET_ATTEMPTS {
            let current = self.devices.devices(buyer).await?;
            let Some(next) = current.without(id) else { return Ok(()) };
            if self.devices.save_devices(&next).await? {
                return Ok(());
            }
        }
        Err(Error::unavailable("forget a disabled device", "the device list kept changing"))
    }
}

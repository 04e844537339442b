//! The stores the functions run on in the local stack, and the event-driven functions built on
//! them.

use std::sync::Arc;

use bookworm_domain::ports::{CatalogStore, Push};
use bookworm_embedded::outbox::LocalOutbox;
use bookworm_embedded::push_outbox::LocalPush;
use bookworm_embedded::{
    EmbeddedCoPurchases, EmbeddedFigures, EmbeddedReviews, EmbeddedShop, EmbeddedSupport,
};
use bookworm_search::LiveIndex;
use email::Notifier;
use fanout::Fanout;
use support::chat::Chat;
use support::live::Live;

use crate::reminders::LocalReminders;
use crate::sockets::Sockets;

/// The stores the functions run on.
pub struct Stores {
    /// The catalog; every write through it also updates `search`.
    pub catalog: Arc<dyn CatalogStore>,
    /// The search index in `DATA_DIR/search-index/`, current with every catalog write.
    pub search: Arc<LiveIndex>,
    /// Events, connections and claims; its appended events feed the local event bus.
    pub shop: Arc<EmbeddedShop>,
    /// Where the email function's mail lands: `DATA_DIR/outbox/`.
    pub outbox: Arc<LocalOutbox>,
    /// Where pushes to buyers' devices land: `DATA_DIR/push-outbox/` (SNS mobile push in AWS).
    pub push: Arc<LocalPush>,
    /// Reviews and ratings, in the shop's file (their events go to its log).
    pub reviews: Arc<EmbeddedReviews>,
    /// `REVIEW_REPORTS_TO_HIDE` and `REVIEWS_PER_DAY`, as the reviews function reads them.
    pub review_policy: reviews::Policy,
    /// Support conversations, in the shop's file.
    pub support: Arc<EmbeddedSupport>,
    /// The back office's figures, in the shop's file: kept by the stats function, read by admin.
    pub figures: Arc<EmbeddedFigures>,
    /// Books bought together, in the shop's file: kept by the stats function, read by search.
    pub co_purchases: Arc<EmbeddedCoPurchases>,
    /// Reminders to mail an unread answer, and how long they wait (`SUPPORT_AWAY_DELAY_SECONDS`).
    pub reminders: Arc<LocalReminders>,
    pub away_delay: std::time::Duration,
    /// The open WebSockets: fan-out's embedded push, and where chat events go (always
    /// straight in: `--push management-api` is fan-out's).
    pub sockets: Arc<Sockets>,
    /// The MCP server on these stores, verifying tokens of the development issuer itself
    /// (`/mcp` has no authorizer in front, as in template.yaml).
    pub mcp: mcp::Mcp,
}

impl Stores {
    /// The fanout function on the shop store, pushing through `push`.
    pub fn fanout<'a>(&'a self, push: &'a dyn Push) -> Fanout<'a> {
        let shop = self.shop.as_ref();
        Fanout {
            connections: shop,
            push,
            dedupe: shop,
            parallelism: Fanout::DEFAULT_PARALLELISM,
            push_timeout: Fanout::DEFAULT_PUSH_TIMEOUT,
        }
    }

    /// The chat both the support and websocket functions run on.
    pub fn chat(&self) -> Chat<'_> {
        let shop = self.shop.as_ref();
        Chat {
            store: self.support.as_ref(),
            live: Live { connections: shop, push: self.sockets.as_ref() },
            reminders: self.reminders.as_ref(),
            away_delay: self.away_delay,
        }
    }

    /// The support-away function on these stores, mailing into the outbox.
    pub fn away(&self) -> support_away::Away<'_> {
        support_away::Away {
            store: self.support.as_ref(),
            mailer: self.outbox.as_ref(),
            dedupe: self.shop.as_ref(),
        }
    }

    /// The support function on these stores, mailing transcripts into the outbox.
    pub fn support(&self) -> support::Support<'_> {
        support::Support {
            chat: self.chat(),
            orders: self.shop.as_ref(),
            books: self.catalog.as_ref(),
            mailer: self.outbox.as_ref(),
            contacts: Default::default(),
        }
    }

    /// The websocket function on these stores.
    pub fn websocket(&self) -> websocket::Routes<'_> {
        websocket::Routes { connections: self.shop.as_ref(), chat: self.chat() }
    }

    /// The stats function on these stores (reading books through the catalog).
    pub fn stats(&self) -> stats::Stats<'_> {
        crate::figures::stats(&self.figures, &self.co_purchases, &self.shop, self.catalog.as_ref())
    }

    /// The search function's stores: the live index and the same stores as the others.
    pub fn search(&self) -> search::Stores<'_> {
        search::Stores {
            search: self.search.as_ref(),
            co_purchases: self.co_purchases.as_ref(),
            orders: self.shop.as_ref(),
            reviews: self.reviews.as_ref(),
        }
    }

    /// The admin function's stores.
    pub fn admin(&self) -> admin::Stores<'_> {
        admin::Stores {
            figures: self.figures.as_ref(),
            lookups: self.catalog.as_ref(),
            profiles: self.shop.as_ref(),
        }
    }

    /// The email function on the shop store, mailing and texting into the outbox, pushing
    /// into the push outbox.
    pub fn notifier(&self) -> Notifier<'_> {
        let (shop, outbox, push) = (self.shop.as_ref(), self.outbox.as_ref(), self.push.as_ref());
        Notifier {
            orders: shop,
            mailer: outbox,
            dedupe: shop,
            preferences: shop,
            sms: outbox,
            devices: shop,
            push,
        }
    }
}

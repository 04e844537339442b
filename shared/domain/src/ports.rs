//! Ports: one narrow trait per capability, and what crosses them. Lambda uses the AWS adapters
//! (`bookworm-dynamodb` and the other SDK crates), the local stack the embedded ones
//! (`bookworm-embedded`); the store ports' adapters pass one contract suite (`contract` module,
//! feature `contract-tests`).

use async_trait::async_trait;

use crate::Error;
use crate::basket::{Basket, PricedBasket};
use crate::catalog::{Author, Book, CatalogData, Category, Publisher};
use crate::copurchase::{PartnerKey, Partners};
use crate::events::{EventCursor, ShopEvent};
use crate::figures::{
    BookCount, BookTally, CatalogFigures, Customer, CustomerSearch, DayFigures, DayRange, Recorded, Recording,
};
use crate::ids::{
    AuthorId, BookId, CategoryId, ConnectionId, ConversationId, EventId, IdempotencyKey, MessageId, OrderId,
    PublisherId, ReviewId, ShopId, UserId,
};
use crate::orders::{Order, OrderStatus, Placed, PlacedWithin};
use crate::profile::Profile;
use crate::push::{Device, Devices, Platform, PushDelivery, PushMessage};
use crate::query::{BookQuery, Page, PageSize};
use crate::reviews::{DailyQuota, Mark, Ratings, ReportedQuery, Review, ReviewQuery, Saved};
use crate::search::{BookCard, IndexPointer, Published, SearchQuery, SearchResults, SimilarBook, Suggestion};
use crate::support::{
    AgentStatus, AuthorRole, AwayNotice, CannedReply, Conversation, Listing, Message, Quota,
};

/// Reads books: what the shopper-facing catalog functions need.
#[async_trait]
pub trait BookReader: Send + Sync {
    /// One page of books matching the query, in its order, resuming after its cursor.
    async fn list_books(&self, query: &BookQuery) -> Result<Page<Book>, Error>;

    async fn get_book(&self, id: BookId) -> Result<Option<Book>, Error>;

    /// The books of `ids` that exist (not deleted), each once, in no particular order. Stores
    /// with a round trip per read override this to read them together.
    async fn get_books(&self, ids: &[BookId]) -> Result<Vec<Book>, Error> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut books = Vec::with_capacity(unique.len());
        for id in unique {
            books.extend(self.get_book(id).await?);
        }
        Ok(books)
    }

    /// `basket` priced with the catalog's current entries for its lines (one batched read).
    async fn price(&self, basket: &Basket) -> Result<PricedBasket, Error> {
        let ids: Vec<BookId> = basket.lines.iter().map(|line| line.book_id).collect();
        let books = self.get_books(&ids).await?.into_iter().map(|book| (book.id, book)).collect();
        PricedBasket::price(basket, &books)
    }
}

/// Reads the catalog's reference lists, each ordered by name, and single entries by id.
#[async_trait]
pub trait LookupReader: Send + Sync {
    async fn list_authors(&self) -> Result<Vec<Author>, Error>;
    async fn list_categories(&self) -> Result<Vec<Category>, Error>;
    async fn list_publishers(&self) -> Result<Vec<Publisher>, Error>;
    async fn get_author(&self, id: AuthorId) -> Result<Option<Author>, Error>;
    async fn get_category(&self, id: CategoryId) -> Result<Option<Category>, Error>;
    async fn get_publisher(&self, id: PublisherId) -> Result<Option<Publisher>, Error>;
}

/// Writes the catalog: seeding now, administration later. Every write is an upsert by id.
#[async_trait]
pub trait CatalogWriter: Send + Sync {
    async fn put_author(&self, author: &Author) -> Result<(), Error>;
    async fn put_category(&self, category: &Category) -> Result<(), Error>;
    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error>;
    async fn put_book(&self, book: &Book) -> Result<(), Error>;

    /// Soft-deletes a book: it leaves every list and reads as absent, but its record is kept.
    /// `false` when there was no such (live) book.
    async fn delete_book(&self, id: BookId) -> Result<bool, Error>;

    /// Removes an author; `false` when there was none. Callers check for books first.
    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error>;

    /// Removes a category; `false` when there was none. Callers check for books first.
    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error>;

    /// Removes a publisher; `false` when there was none. Callers check for books first.
    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error>;

    /// Loads a whole data set; adapters may override this with a faster bulk path.
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        for author in &data.authors {
            self.put_author(author).await?;
        }
        for category in &data.categories {
            self.put_category(category).await?;
        }
        for publisher in &data.publishers {
            self.put_publisher(publisher).await?;
        }
        for book in &data.books {
            self.put_book(book).await?;
        }
        Ok(())
    }
}

/// Everything the catalog functions need from one store.
pub trait CatalogStore: BookReader + LookupReader + CatalogWriter {}
impl<T: BookReader + LookupReader + CatalogWriter> CatalogStore for T {}

/// A shop's event log: the archive merchants page through (newest first), and the outbox from
/// which every appended event reaches its subscribers at least once.
#[async_trait]
pub trait EventLog: Send + Sync {
    async fn append(&self, event: &ShopEvent) -> Result<(), Error>;
    async fn history(
        &self,
        shop: ShopId,
        after: Option<&EventCursor>,
        limit: PageSize,
    ) -> Result<Page<ShopEvent>, Error>;
}

/// What a WebSocket listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A shop's events (`?shop_id=`): its merchants and admins.
    Shop(ShopId),
    /// Support chat (`?channel=support`): a customer's conversations, or an agent's.
    Support(AuthorRole),
}

/// An open WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub channel: Channel,
    pub user_id: UserId,
    pub connected_at: String,
    /// When the token the socket connected with expires (Unix seconds): the socket ends
    /// then. 0: not recorded (a connection stored before this was kept).
    #[serde(default)]
    pub token_expires_at: u64,
}

impl Connection {
    pub fn listener(&self) -> Listener {
        Listener { id: self.id.clone(), token_expires_at: self.token_expires_at }
    }
}

/// A connection as fan-out sees it: where to push, and until when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listener {
    pub id: ConnectionId,
    pub token_expires_at: u64,
}

impl Listener {
    /// Whether its token has run out at `now` (Unix seconds).
    pub fn expired(&self, now: u64) -> bool {
        self.token_expires_at != 0 && self.token_expires_at <= now
    }
}

/// Open WebSocket connections, found by shop (merchants) or by user (support chat); never by
/// reading them all.
#[async_trait]
pub trait Connections: Send + Sync {
    async fn add(&self, connection: &Connection) -> Result<(), Error>;
    async fn remove(&self, id: &ConnectionId) -> Result<(), Error>;
    /// Every connection of the shop, in id order: one page as large as it takes.
    async fn for_shop(&self, shop: ShopId) -> Result<Vec<Listener>, Error> {
        Ok(self.page_for_shop(shop, None, std::num::NonZeroUsize::MAX).await?.items)
    }
    /// Up to `limit` of the shop's connections in id order (bytewise), after the connection
    /// `after` (the `next_cursor` of the page before: a connection id). `next_cursor` is `None`
    /// exactly when no more remain, so a shop of `limit` connections is one page, not two.
    async fn page_for_shop(
        &self,
        shop: ShopId,
        after: Option<&ConnectionId>,
        limit: std::num::NonZeroUsize,
    ) -> Result<Page<Listener>, Error>;
    /// `user`'s support-channel connections.
    async fn for_user(&self, user: &UserId) -> Result<Vec<Listener>, Error>;
    /// Every agent's support-channel connection, with the agent's id.
    async fn agent_connections(&self) -> Result<Vec<(UserId, Listener)>, Error>;
}

/// One page of a shop's connections with the event to push to them: the work fan-out hands to
/// another invocation of itself when a shop has more connections than one should reach.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub event: ShopEvent,
    /// The page's place in the shop's listing: 0 is the first page.
    pub number: u32,
    pub listeners: Vec<Listener>,
}

impl Shard {
    /// The most listeners a shard may carry: 2,000 API Gateway connection ids (16 characters)
    /// with an event at the HTTP body limit (64 KB) encode to about 180 KB, inside the payload
    /// limit of the invocation that carries it (`bookworm_lambda::shard_payload`).
    pub const MAX_LISTENERS: usize = 2_000;
}

/// Runs fan-out shards elsewhere: another invocation of the fan-out function.
#[async_trait]
pub trait ShardDispatch: Send + Sync {
    /// Hands `shard` over and returns once it is queued, not run. A shard that is never run
    /// ends in the fan-out dead-letter queue after the runner's own retries.
    async fn dispatch(&self, shard: &Shard) -> Result<(), Error>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// The connection no longer exists (API Gateway's 410 Gone): forget it.
    Gone,
}

/// Sends a message down one WebSocket connection.
#[async_trait]
pub trait Push: Send + Sync {
    async fn push(&self, connection_id: &ConnectionId, message: &[u8]) -> Result<Delivery, Error>;
    /// Closes the connection (API Gateway's `DELETE @connections/{id}`); one already gone is fine.
    async fn disconnect(&self, connection_id: &ConnectionId) -> Result<(), Error>;
}

/// What a consumer's claim on an event found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Never claimed, or an earlier attempt's lease ran out uncompleted: handle it now.
    Claimed,
    /// Handled already, for good: skip it.
    Done,
    /// Another attempt holds a live lease and may still be working (or hung): it is neither
    /// done nor ours. Fail, so the delivery is retried after the lease, never dropped.
    InProgress,
}

/// Remembers which events a consumer has handled, so a redelivered event is handled once.
///
/// A claim is a lease until completed: if the consumer dies while handling (a Lambda timeout),
/// the lease runs out and a retry may claim the event again, so nothing is lost.
#[async_trait]
pub trait Deduplicator: Send + Sync {
    /// Claims `event` for `consumer` for `lease`, unless it is done or another attempt's lease
    /// is live ([`Claim`] says which).
    async fn claim(&self, consumer: &str, event: EventId, lease: std::time::Duration)
    -> Result<Claim, Error>;
    /// Marks the event handled for good.
    async fn complete(&self, consumer: &str, event: EventId) -> Result<(), Error>;
    /// Gives a claim back when handling failed, so a retry can handle the event.
    async fn release(&self, consumer: &str, event: EventId) -> Result<(), Error>;
}

/// The topic every shop event is published to, for its subscribers (fan-out, email).
#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &ShopEvent) -> Result<(), Error>;
}

/// Baskets, one per customer per shop. Every change is saved with the event announcing it, in
/// one write, and only if the stored basket is still the one the change was made from: the same
/// basket `id` (new for every basket, so a deleted and re-created basket never matches) at the
/// same `version`.
#[async_trait]
pub trait BasketStore: Send + Sync {
    async fn basket(&self, shop: ShopId, customer: &UserId) -> Result<Option<Basket>, Error>;

    /// Saves `basket` if the stored one is at `expected` (`None`: there is none). A lost race is
    /// `Error::Conflict`; callers reload and retry.
    async fn save_basket(
        &self,
        basket: &Basket,
        expected: Option<u64>,
        event: &ShopEvent,
    ) -> Result<(), Error>;

    /// Deletes the basket if it is still at `expected`.
    async fn delete_basket(&self, basket: &Basket, expected: u64, event: &ShopEvent) -> Result<(), Error>;
}

/// Orders, placed atomically with the removal of the basket they came from.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// In one write: the order (unique per buyer and idempotency key), the removal of the basket
    /// at `basket_version`, and the event. Nothing is written when the basket changed meanwhile.
    async fn place_order(&self, order: &Order, basket: &Basket, event: &ShopEvent) -> Result<Placed, Error>;
    async fn order(&self, id: OrderId) -> Result<Option<Order>, Error>;
    async fn order_by_key(
        &self,
        buyer: &UserId,
        idempotency_key: &IdempotencyKey,
    ) -> Result<Option<Order>, Error>;

    /// Orders newest first: one buyer's or everyone's, optionally of one status.
    async fn list_orders(&self, query: &OrderQuery) -> Result<Page<Order>, Error>;

    /// Saves `order` (with its new status) if the stored one is still `from`, together with
    /// its event. `false` when another change won.
    async fn update_status(&self, order: &Order, from: OrderStatus, event: &ShopEvent)
    -> Result<bool, Error>;
}

/// Buyers' profiles, one per user, each saved over the version it was read at.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// The user's profile; `None` when they never saved one.
    async fn profile(&self, user: &UserId) -> Result<Option<Profile>, Error>;

    /// Saves `profile` if the stored one is its version before (`version - 1`; 0: none is
    /// stored). `false`, and nothing written, when another save came first.
    async fn save_profile(&self, profile: &Profile) -> Result<bool, Error>;
}

/// Buyers' push devices: one list per user, saved whole over the version it was read at.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// The user's devices; an empty list (version 0) when they never registered one.
    async fn devices(&self, user: &UserId) -> Result<Devices, Error>;

    /// Saves `devices` if the stored list is its version before (`version - 1`; 0: none is
    /// stored). `false`, and nothing written, when another save came first.
    async fn save_devices(&self, devices: &Devices) -> Result<bool, Error>;
}

/// Mobile push: SNS platform endpoints in AWS, a push outbox in the local stack.
#[async_trait]
pub trait PushGateway: Send + Sync {
    /// Whether devices of `platform` can be registered (AWS: its platform application is set).
    fn offers(&self, platform: Platform) -> bool;

    /// The endpoint that delivers to `token`, now owned by `user`. The same token gives the
    /// same endpoint, so a retried registration adds none; whoever registered a token last owns
    /// it (a phone changes hands: one buyer signs out, another signs in), enabled again.
    async fn create_endpoint(&self, platform: Platform, token: &str, user: &UserId) -> Result<String, Error>;

    /// Deletes `owner`'s endpoint; one already gone, or owned by another user since, is left
    /// alone without an error.
    async fn delete_endpoint(&self, endpoint_arn: &str, owner: &UserId) -> Result<(), Error>;

    /// Sends `message` to `owner`'s device. [`PushDelivery::Disabled`] when the push service
    /// says the endpoint is disabled, [`PushDelivery::Reassigned`] when another user registered
    /// its token since (nothing is sent); an error for anything a retry may fix.
    async fn push(
        &self,
        device: &Device,
        owner: &UserId,
        message: &PushMessage,
    ) -> Result<PushDelivery, Error>;
}

/// Whose orders to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OrderScope {
    /// Every order (admins).
    #[default]
    Everyone,
    /// One buyer's (customers see their own).
    Buyer(UserId),
    /// One shop's (its merchants, admins).
    Shop(ShopId),
}

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub scope: OrderScope,
    pub status: Option<OrderStatus>,
    /// Only orders placed within these days (a key condition on the listing's sort key).
    pub placed: PlacedWithin,
    /// Orders after this position, newest first (the sort key of the last one seen); a key
    /// within `placed`.
    pub after: Option<EventCursor>,
    pub limit: PageSize,
}

/// One change to a review, written atomically with the rating counts it moves, the mark or
/// quota it takes, and its event. `before` is the stored review it was made from (`None` for
/// a new one), `after` what it becomes (`None`: removed).
#[derive(Debug, Clone, Copy)]
pub struct ReviewWrite<'a> {
    pub before: Option<&'a Review>,
    pub after: Option<&'a Review>,
    pub mark: Option<&'a Mark>,
    pub quota: Option<&'a DailyQuota>,
    pub event: Option<&'a ShopEvent>,
    /// On a removal: the reviewer may not review the book again (a moderator removed the
    /// review, or its author deleted it while reports hid it), so removal is no way around
    /// moderation.
    pub bar_reviewer: bool,
}

impl<'a> ReviewWrite<'a> {
    pub fn new(before: Option<&'a Review>, after: Option<&'a Review>) -> Self {
        Self { before, after, mark: None, quota: None, event: None, bar_reviewer: false }
    }

    /// The book the change is about.
    pub fn book(&self) -> Option<BookId> {
        self.after.or(self.before).map(|review| review.book_id)
    }
}

/// Books' ratings, for the catalog's answers.
#[async_trait]
pub trait RatingReader: Send + Sync {
    /// Each book's ratings, in the order asked; zero counts for a book nobody reviewed.
    async fn ratings(&self, books: &[BookId]) -> Result<Vec<Ratings>, Error>;
}

/// Reviews, their marks and each book's rating counts.
#[async_trait]
pub trait ReviewStore: RatingReader {
    async fn review(&self, id: ReviewId) -> Result<Option<Review>, Error>;
    /// The review `reviewer` wrote of `book`, if any (at most one exists).
    async fn review_by(&self, book: BookId, reviewer: &UserId) -> Result<Option<Review>, Error>;
    /// One page of a book's visible reviews, in the query's order.
    async fn list_reviews(&self, query: &ReviewQuery) -> Result<Page<Review>, Error>;
    /// Reviews with open reports, latest report first (eventually consistent).
    async fn reported(&self, query: &ReportedQuery) -> Result<Page<Review>, Error>;
    /// Writes the change in one transaction: the review (only if the stored one is still
    /// `before`), the rating counts it moves, its mark, its quota and its event. A new review
    /// is written only while its book is live. Nothing is written unless all of it is.
    async fn write_review(&self, change: &ReviewWrite<'_>) -> Result<Saved, Error>;
}

/// What a buyer bought, for the verified-purchase mark.
#[async_trait]
pub trait Purchases: Send + Sync {
    /// Whether `buyer` has a completed order containing `book`.
    async fn bought(&self, buyer: &UserId, book: BookId) -> Result<bool, Error>;
}

/// Ranked full-text search over the catalog.
#[async_trait]
pub trait CatalogSearch: Send + Sync {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, Error>;
    /// Up to [`SUGGESTIONS_MAX`](crate::search::SUGGESTIONS_MAX) titles and authors that
    /// complete `prefix` (checked with [`check_text`](crate::search::check_text)).
    async fn suggest(&self, prefix: &str) -> Result<Vec<Suggestion>, Error>;
    /// Up to `limit` books nearest `id` in meaning, nearest first: not the book itself, at
    /// most [`SIMILAR_PER_AUTHOR`](crate::search::SIMILAR_PER_AUTHOR) by any one author.
    /// `None` when the index has no such book.
    async fn similar(&self, id: BookId, limit: usize) -> Result<Option<Vec<SimilarBook>>, Error>;
    /// The books of `ids` the index has (live ones), as cards, in the order given.
    async fn cards(&self, ids: &[BookId]) -> Result<Vec<BookCard>, Error>;
    /// Whether [`similar`](Self::similar) can answer: `false` where no model is loaded (the
    /// local stack without `BOOKWORM_MODEL_DIR`), where it answers unavailable.
    fn ranks_by_meaning(&self) -> bool {
        true
    }
}

/// Books bought together: one [`Partners`] record per book, and one for every order
/// ([`PartnerKey::Popular`]). The `stats` consumer writes them, request paths only read.
#[async_trait]
pub trait CoPurchaseStore: Send + Sync {
    /// The record of `key` as stored (read consistently: the next save is conditioned on it);
    /// an empty one at version 0 when there is none.
    async fn partners(&self, key: PartnerKey) -> Result<Partners, Error>;
    /// Saves `partners` (as [`Partners::add`] made it) if the stored record is still at
    /// `partners.version - 1` (absent for 1); `false`, and nothing written, when it changed.
    async fn save_partners(&self, partners: &Partners) -> Result<bool, Error>;
}

/// The books a reader reviewed, for recommendations.
#[async_trait]
pub trait ReviewedBooks: Send + Sync {
    /// The books of `reviewer`'s visible reviews with their stars, newest review first, at
    /// most `limit`.
    async fn reviewed_by(&self, reviewer: &UserId, limit: usize) -> Result<Vec<(BookId, u8)>, Error>;
}

/// Where built search indexes are kept: immutable versions, and a pointer to the current one
/// that moves only by compare-and-swap, so concurrent indexers never lose each other's work.
#[async_trait]
pub trait IndexStore: Send + Sync {
    /// The current version, or `None` before the first is published.
    async fn current(&self) -> Result<Option<IndexPointer>, Error>;
    /// The bundle of one version. A version stays readable after newer ones are published
    /// (at least a day in S3), so a reader that saw its pointer can always fetch it.
    async fn fetch(&self, pointer: &IndexPointer) -> Result<Vec<u8>, Error>;
    /// Stores `bundle` (an index of `books` books) as the version after `replacing` (`None`:
    /// the first) and moves the pointer to it, unless the pointer is no longer `replacing`.
    async fn publish(
        &self,
        bundle: Vec<u8>,
        books: u64,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error>;
}

/// What a conversation write found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    Done,
    /// The stored conversation is no longer the version the write was made from: reload, retry.
    Stale,
    /// The message's `client_message_id` was used in this conversation already: that message.
    Duplicate(Box<Message>),
}

/// Support conversations, their messages, agents' canned replies and availability.
#[async_trait]
pub trait SupportStore: Send + Sync {
    /// Stores a new conversation with its first message; `false` (and nothing written) when a
    /// conversation with its id exists (the same opening sent again).
    async fn open(&self, conversation: &Conversation, first: &Message) -> Result<bool, Error>;
    async fn conversation(&self, id: ConversationId) -> Result<Option<Conversation>, Error>;
    /// Up to `limit` conversations of `listing`, in its order, after the one whose key in it
    /// is `after`.
    async fn conversations(
        &self,
        listing: &Listing,
        after: Option<&str>,
        limit: PageSize,
    ) -> Result<Page<Conversation>, Error>;
    /// Saves `conversation` if the stored one is its version before (`version - 1`).
    async fn save(&self, conversation: &Conversation) -> Result<Written, Error>;
    /// In one write: `message` and `conversation` (as [`Conversation::append`] made them), if
    /// the stored conversation is its version before and the message's client id is new there.
    async fn append(&self, conversation: &Conversation, message: &Message) -> Result<Written, Error>;
    /// Up to `limit` messages after `after` (a `seq`; 0 from the first), oldest first; private
    /// notes only when `private`. The cursor of the page is its last message's `seq`.
    async fn messages(
        &self,
        conversation: ConversationId,
        after: u32,
        limit: PageSize,
        private: bool,
    ) -> Result<Page<Message>, Error>;
    /// One message of the conversation, by id (what a read receipt names).
    async fn message(&self, conversation: ConversationId, id: MessageId) -> Result<Option<Message>, Error>;

    /// Counts one against `quota`; `false` (nothing counted) when it is used up.
    async fn take(&self, quota: &Quota) -> Result<bool, Error>;

    async fn put_canned_reply(&self, reply: &CannedReply) -> Result<(), Error>;
    /// `false` when there was none.
    async fn delete_canned_reply(&self, code: &str) -> Result<bool, Error>;
    /// Every canned reply, by code.
    async fn canned_replies(&self) -> Result<Vec<CannedReply>, Error>;

    async fn set_availability(&self, status: &AgentStatus) -> Result<(), Error>;
    async fn availability(&self, agent: &UserId) -> Result<Option<AgentStatus>, Error>;
    /// The agents whose status is online.
    async fn online_agents(&self) -> Result<Vec<UserId>, Error>;
}

/// Hands a reminder over to be handled after a delay (SQS's message delay in AWS).
#[async_trait]
pub trait Reminders: Send + Sync {
    async fn remind(&self, notice: &AwayNotice, after: std::time::Duration) -> Result<(), Error>;
}

/// Keeps the back-office figures: what the `stats` consumer writes. Every write is
/// conditioned, so a retried or repeated one counts nothing twice.
#[async_trait]
pub trait FigureRecorder: Send + Sync {
    /// In one write: the days' counters moved by their tallies, the customer entry saved (if the
    /// stored one is still at `expected`), and the event's marker kept (if absent).
    /// [`Recorded::Duplicate`] when the marker existed: the event was counted already.
    async fn record(&self, recording: &Recording) -> Result<Recorded, Error>;
    /// The buyer's directory entry, read consistently (the next write is conditioned on it).
    async fn customer(&self, id: &UserId) -> Result<Option<Customer>, Error>;
    /// What the catalog counters hold of `book`.
    async fn counted_book(&self, book: BookId) -> Result<BookTally, Error>;
    /// Moves the counters as `count` says, if the book's record is still `count.before`;
    /// `false` (nothing written) when it changed meanwhile.
    async fn count_book(&self, count: &BookCount) -> Result<bool, Error>;
}

/// Reads the back-office figures: what `GET /admin/stats` and `/customers` answer from. Every
/// read is a `GetItem` or a `Query` on a key: no Scan.
#[async_trait]
pub trait FigureReader: Send + Sync {
    /// The days of `range` that have figures, in order (a day without any is absent).
    async fn days(&self, range: DayRange) -> Result<Vec<DayFigures>, Error>;
    /// The catalog counters (category names left `None`: the caller names them).
    async fn catalog_figures(&self) -> Result<CatalogFigures, Error>;
    async fn find_customer(&self, id: &UserId) -> Result<Option<Customer>, Error>;
    /// One page of directory entries matching `search`, in its field's order.
    async fn customers(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error>;
}

/// Both sides of the figures, as the adapters implement them.
pub trait FigureStore: FigureRecorder + FigureReader {}
impl<T: FigureRecorder + FigureReader> FigureStore for T {}

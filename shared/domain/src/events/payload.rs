//! What each kind of shop event carries, one type per kind. Handlers build events through the
//! constructors on [`ShopEvent`](super::ShopEvent); the data structs are `non_exhaustive`, so
//! no other crate can make one up field by field, and consumers read them as typed fields
//! instead of digging in JSON. The AsyncAPI document's message schemas are generated from these
//! types (`bookworm-apidoc`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{OrderId, ReviewId, ShopId, UserId};

use crate::Money;
use crate::catalog::Book;
use crate::ids::BookId;
use crate::orders::{Order, OrderStatus};
use crate::publish::CheckoutAction;
use crate::reviews::{Review, ReviewStatus};

/// An event's type (its CloudEvents `type`) and its `data`. The names are the strings in
/// [`kinds`](super::kinds), which template filters and subscribers use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum Payload {
    /// An in-store checkout action, exactly as the in-store app sent it to `/publish/{shop_id}`.
    #[serde(rename = "com.bookworm.checkout.action")]
    CheckoutAction(CheckoutAction),
    /// A book was put into an online basket.
    #[serde(rename = "com.bookworm.basket.item_added")]
    BasketItemAdded(BasketItemSet),
    /// A book already in an online basket got a new quantity.
    #[serde(rename = "com.bookworm.basket.item_updated")]
    BasketItemUpdated(BasketItemSet),
    /// A book was taken out of an online basket.
    #[serde(rename = "com.bookworm.basket.item_removed")]
    BasketItemRemoved(BasketItemRemoved),
    /// An online basket was emptied.
    #[serde(rename = "com.bookworm.basket.cleared")]
    BasketCleared(BasketCleared),
    /// A customer checked out: an order was placed.
    #[serde(rename = "com.bookworm.checkout.completed")]
    CheckoutCompleted(CheckoutCompleted),
    /// An order was completed (shipped).
    #[serde(rename = "com.bookworm.order.completed")]
    OrderCompleted(OrderClosed),
    /// An order was cancelled.
    #[serde(rename = "com.bookworm.order.cancelled")]
    OrderCancelled(OrderClosed),
    /// A reader reviewed a book (on the catalog feed).
    #[serde(rename = "com.bookworm.review.created")]
    ReviewCreated(ReviewChanged),
    /// A review was edited, hidden by reports, or restored by a moderator (catalog feed).
    #[serde(rename = "com.bookworm.review.updated")]
    ReviewUpdated(ReviewChanged),
    /// A review was deleted by its author or removed by a moderator (catalog feed).
    #[serde(rename = "com.bookworm.review.removed")]
    ReviewRemoved(ReviewRemoved),
}

/// The online basket an event is about. Basket events use names of their own: the in-store
/// action's `product_id`, `product_price`, `shopper_id`, `category_id` and `basket_total` have
/// other types in its contract, and one name must mean one shape on the merchants' socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BasketRef {
    pub basket_id: Uuid,
    /// The customer's user id (the token's `sub`).
    pub customer_id: UserId,
    /// The basket's version after this change; it grows by one with every change.
    pub version: u64,
}

impl BasketRef {
    fn of(basket: &crate::basket::Basket) -> Self {
        Self { basket_id: basket.id, customer_id: basket.customer_id.clone(), version: basket.version }
    }
}

/// `item_added` and `item_updated`: the book as the catalog prices it now, and its quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BasketItemSet {
    #[serde(flatten)]
    pub basket: BasketRef,
    pub book_id: BookId,
    pub name: String,
    /// The selling price (the sale price, if any), a decimal string like `"12.99"`.
    pub unit_price: Money,
    #[schemars(range(min = 1, max = 99))]
    pub quantity: u32,
    /// The basket's total after the change.
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BasketItemRemoved {
    #[serde(flatten)]
    pub basket: BasketRef,
    pub book_id: BookId,
    /// The book's name; `null` when the book has left the catalog meanwhile.
    pub name: Option<String>,
    /// The basket's total after the change.
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct BasketCleared {
    #[serde(flatten)]
    pub basket: BasketRef,
}

/// One line of a placed order, at the price it was bought for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct OrderedBook {
    pub book_id: BookId,
    pub name: String,
    pub unit_price: Money,
    #[schemars(range(min = 1, max = 99))]
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct CheckoutCompleted {
    pub order_id: OrderId,
    pub shop_id: ShopId,
    /// The buyer's user id (the token's `sub`).
    pub buyer_id: UserId,
    pub total: Money,
    /// Copies bought, all lines together.
    pub item_count: u32,
    pub lines: Vec<OrderedBook>,
}

/// `order.completed` and `order.cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct OrderClosed {
    pub order_id: OrderId,
    pub shop_id: ShopId,
    pub buyer_id: UserId,
    /// `completed` or `cancelled`, as the event's type says.
    pub status: OrderStatus,
    pub total: Money,
}

/// `review.created` and `review.updated`: the review as it now is, without its text (which
/// readers fetch, and whoever renders escapes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ReviewChanged {
    pub review_id: ReviewId,
    pub book_id: BookId,
    #[schemars(range(min = 1, max = 5))]
    pub rating: u8,
    pub status: ReviewStatus,
    pub verified_purchase: bool,
}

/// Who took a review away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemovedBy {
    Author,
    Moderator,
}

/// `review.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ReviewRemoved {
    pub review_id: ReviewId,
    pub book_id: BookId,
    pub by: RemovedBy,
}

impl Payload {
    pub(super) fn review_changed(review: &Review, new: bool) -> Self {
        let data = ReviewChanged {
            review_id: review.id,
            book_id: review.book_id,
            rating: review.rating,
            status: review.status,
            verified_purchase: review.verified_purchase,
        };
        if new { Self::ReviewCreated(data) } else { Self::ReviewUpdated(data) }
    }

    pub(super) fn review_removed(review: &Review, by: RemovedBy) -> Self {
        Self::ReviewRemoved(ReviewRemoved { review_id: review.id, book_id: review.book_id, by })
    }

    pub(super) fn basket_item_set(
        basket: &crate::basket::Basket,
        book: &Book,
        quantity: u32,
        total: Money,
        new: bool,
    ) -> Self {
        let data = BasketItemSet {
            basket: BasketRef::of(basket),
            book_id: book.id,
            name: book.name.clone(),
            unit_price: book.selling_price(),
            quantity,
            total,
        };
        if new { Self::BasketItemAdded(data) } else { Self::BasketItemUpdated(data) }
    }

    pub(super) fn basket_item_removed(
        basket: &crate::basket::Basket,
        book_id: BookId,
        book: Option<&Book>,
        total: Money,
    ) -> Self {
        Self::BasketItemRemoved(BasketItemRemoved {
            basket: BasketRef::of(basket),
            book_id,
            name: book.map(|book| book.name.clone()),
            total,
        })
    }

    pub(super) fn basket_cleared(basket: &crate::basket::Basket) -> Self {
        Self::BasketCleared(BasketCleared { basket: BasketRef::of(basket) })
    }

    pub(super) fn checkout_completed(order: &Order) -> Self {
        Self::CheckoutCompleted(CheckoutCompleted {
            order_id: order.id,
            shop_id: order.shop_id,
            buyer_id: order.buyer_id.clone(),
            total: order.total,
            item_count: order.lines.iter().map(|line| line.quantity).sum(),
            lines: order
                .lines
                .iter()
                .map(|line| OrderedBook {
                    book_id: line.book_id,
                    name: line.name.clone(),
                    unit_price: line.unit_price,
                    quantity: line.quantity,
                })
                .collect(),
        })
    }

    /// `None` for a status no event announces (a new order is announced by checkout).
    pub(super) fn order_closed(order: &Order) -> Option<Self> {
        let data = OrderClosed {
            order_id: order.id,
            shop_id: order.shop_id,
            buyer_id: order.buyer_id.clone(),
            status: order.status,
            total: order.total,
        };
        match order.status {
            OrderStatus::Completed => Some(Self::OrderCompleted(data)),
            OrderStatus::Cancelled => Some(Self::OrderCancelled(data)),
            OrderStatus::New => None,
        }
    }

    /// The CloudEvents `type`.
    pub fn kind(&self) -> &'static str {
        use super::kinds;
        match self {
            Self::CheckoutAction(_) => kinds::CHECKOUT_ACTION,
            Self::BasketItemAdded(_) => kinds::BASKET_ITEM_ADDED,
            Self::BasketItemUpdated(_) => kinds::BASKET_ITEM_UPDATED,
            Self::BasketItemRemoved(_) => kinds::BASKET_ITEM_REMOVED,
            Self::BasketCleared(_) => kinds::BASKET_CLEARED,
            Self::CheckoutCompleted(_) => kinds::CHECKOUT_COMPLETED,
            Self::OrderCompleted(_) => kinds::ORDER_COMPLETED,
            Self::OrderCancelled(_) => kinds::ORDER_CANCELLED,
            Self::ReviewCreated(_) => kinds::REVIEW_CREATED,
            Self::ReviewUpdated(_) => kinds::REVIEW_UPDATED,
            Self::ReviewRemoved(_) => kinds::REVIEW_REMOVED,
        }
    }
}

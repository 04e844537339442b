//! What the email tests share: a mailer and SMS sender that keep what they are given, and an
//! order placed in a store with its `checkout.completed` event.

use std::sync::Mutex;

use async_trait::async_trait;
use bookworm_domain::basket::{Basket, PricedBasket};
use bookworm_domain::catalog::CatalogData;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::mail::{Email, Mailer, Sms, SmsSender};
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{BasketStore, OrderStore};
use bookworm_domain::{Error, contract};

/// Keeps every email and text sent; fails every email while `fail` is set (SES throttling).
#[derive(Default)]
pub struct Outbox {
    pub sent: Mutex<Vec<Email>>,
    pub texts: Mutex<Vec<Sms>>,
    pub fail: Mutex<bool>,
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> Result<(), Error> {
        if *self.fail.lock().unwrap() {
            return Err(Error::unavailable("send", "SES throttled"));
        }
        self.sent.lock().unwrap().push(email.clone());
        Ok(())
    }
}

#[async_trait]
impl SmsSender for Outbox {
    async fn send_sms(&self, sms: &Sms) -> Result<(), Error> {
        self.texts.lock().unwrap().push(sms.clone());
        Ok(())
    }
}

/// Ann's order of two copies of a fixture book, placed in `store` in a new shop, to `email`,
/// and the event that announced it.
pub async fn placed_order<S: BasketStore + OrderStore>(store: &S, email: Option<&str>) -> (Order, ShopEvent) {
    let CatalogData { books, .. } = contract::fixture();
    let shop = bookworm_domain::ids::ShopId::random();
    let mut basket = Basket::new(shop, &contract::user("ann"));
    basket.set(books[1].id, 2).unwrap();
    let book = books[1].clone();
    let books = books.into_iter().map(|book| (book.id, book)).collect();
    let priced = PricedBasket::price(&basket, &books).unwrap();
    let added = ShopEvent::basket_item_set(&basket, &book, 2, priced.total, true);
    store.save_basket(&basket, None, &added).await.unwrap();
    let mut order =
        Order::checkout(priced, &contract::user("ann"), email.map(str::to_owned), &contract::key("k"))
            .unwrap();
    order.buyer_name = Some("Ann".into());
    let event = ShopEvent::checkout_completed(&order);
    store.place_order(&order, &basket, &event).await.unwrap();
    (order, event)
}

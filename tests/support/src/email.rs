//! What the email tests share: a mailer, SMS sender and push service that keep what they are given, and an
//! order placed in a store with its `checkout.completed` event.

use std::sync::Mutex;

use async_trait::async_trait;
use bookworm_domain::basket::{Basket, PricedBasket};
use bookworm_domain::catalog::CatalogData;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::UserId;
use bookworm_domain::mail::{Email, Mailer, Sms, SmsSender};
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{BasketStore, OrderStore, PushGateway};
use bookworm_domain::push::{Device, Platform, PushDelivery, PushMessage};
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

/// A push service that keeps every push; pushes to a token in `failing` fail (APNs
/// unreachable), endpoints of a token in `disabled` are reported disabled, and of one in
/// `reassigned` registered by another user since.
#[derive(Default)]
pub struct Phones {
    pub pushed: Mutex<Vec<(Device, PushMessage)>>,
    pub failing: Mutex<Vec<String>>,
    pub disabled: Mutex<Vec<String>>,
    pub reassigned: Mutex<Vec<String>>,
    pub deleted: Mutex<Vec<String>>,
}

impl Phones {
    /// The tokens pushed to, in order.
    pub fn tokens(&self) -> Vec<String> {
        self.pushed.lock().unwrap().iter().map(|(device, _)| device.token.clone()).collect()
    }
}

#[async_trait]
impl PushGateway for Phones {
    fn offers(&self, _platform: Platform) -> bool {
        true
    }

    async fn create_endpoint(
        &self,
        platform: Platform,
        token: &str,
        _user: &UserId,
    ) -> Result<String, Error> {
        Ok(format!("arn:aws:sns:test:000000000000:endpoint/{}/app/{token}", platform.sns_key()))
    }

    async fn delete_endpoint(&self, endpoint_arn: &str, _owner: &UserId) -> Result<(), Error> {
        self.deleted.lock().unwrap().push(endpoint_arn.to_owned());
        Ok(())
    }

    async fn push(
        &self,
        device: &Device,
        _owner: &UserId,
        message: &PushMessage,
    ) -> Result<PushDelivery, Error> {
        if self.failing.lock().unwrap().contains(&device.token) {
            return Err(Error::unavailable("push", "APNs unreachable"));
        }
        if self.reassigned.lock().unwrap().contains(&device.token) {
            return Ok(PushDelivery::Reassigned);
        }
        if self.disabled.lock().unwrap().contains(&device.token) {
            return Ok(PushDelivery::Disabled);
        }
        self.pushed.lock().unwrap().push((device.clone(), message.clone()));
        Ok(PushDelivery::Sent)
    }
}

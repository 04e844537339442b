//! What one order event does to the figures: the rules, as a pure function of the event and
//! the customer entry as stored, so both stores apply exactly the same thing.
//!
//! - `checkout.completed`: one order placed and its total as revenue on the event's day; the
//!   buyer's entry made or updated. A buyer is *new* on the day of their first placed order (the
//!   earliest the figures have seen: if an earlier order shows up late, the new customer moves to
//!   its day).
//! - `order.completed`: one order completed on its day.
//! - `order.cancelled`: one order cancelled and its total taken out of the revenue, on the day
//!   of the cancellation; out of the buyer's total spent too.

use crate::Error;
use crate::events::{Payload, ShopEvent};
use crate::ids::{EventId, OrderId, UserId};
use crate::money::CURRENCY;

use super::{Customer, Day, Tally};

/// An order event as the figures read it. `Placed` carries the buyer's name and email from
/// the order (the event has neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderFact {
    Placed { order: OrderId, buyer: UserId, total: i64, name: Option<String>, email: Option<String> },
    Completed { buyer: UserId },
    Cancelled { buyer: UserId, total: i64 },
}

impl OrderFact {
    /// The order an event is about and the fact it states, minus the buyer's contacts (read
    /// from the order); `None` for events the figures do not count.
    pub fn of(event: &ShopEvent) -> Option<(OrderId, Self)> {
        let cents = |money: crate::Money| i64::try_from(money.cents()).unwrap_or(i64::MAX);
        match &event.payload {
            Payload::CheckoutCompleted(placed) => Some((
                placed.order_id,
                Self::Placed {
                    order: placed.order_id,
                    buyer: placed.buyer_id.clone(),
                    total: cents(placed.total),
                    name: None,
                    email: None,
                },
            )),
            Payload::OrderCompleted(closed) => {
                Some((closed.order_id, Self::Completed { buyer: closed.buyer_id.clone() }))
            }
            Payload::OrderCancelled(closed) => Some((
                closed.order_id,
                Self::Cancelled { buyer: closed.buyer_id.clone(), total: cents(closed.total) },
            )),
            _ => None,
        }
    }

    pub fn buyer(&self) -> &UserId {
        match self {
            Self::Placed { buyer, .. } | Self::Completed { buyer } | Self::Cancelled { buyer, .. } => buyer,
        }
    }
}

/// One event's effect: in one write, the days' counters move by their tallies, the customer
/// entry is saved (only while the stored one is at `expected`: `None` = there is none), and a
/// marker of the event is kept (only if absent: the same event never counts twice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub event: EventId,
    pub days: Vec<(Day, Tally)>,
    pub customer: Option<Customer>,
    pub expected: Option<u64>,
}

/// The recording of `fact`, which happened at `time` (the event's), given the buyer's entry as
/// stored now.
pub fn recording(
    event: EventId,
    time: &str,
    fact: &OrderFact,
    stored: Option<&Customer>,
) -> Result<Recording, Error> {
    let day = Day::of_time(time)?;
    let expected = stored.map(|customer| customer.version);
    let mut days = Vec::new();
    let customer = match fact {
        OrderFact::Placed { order, buyer, total, name, email } => {
            let mut tally = Tally { orders_placed: 1, revenue: *total, ..Tally::default() };
            let customer = match stored {
                None => {
                    tally.new_customers = 1;
                    Customer {
                        id: buyer.clone(),
                        name: name.clone(),
                        email: email.clone(),
                        first_order_id: *order,
                        first_order_at: time.to_owned(),
                        last_order_id: *order,
                        last_order_at: time.to_owned(),
                        order_count: 1,
                        cancelled_count: 0,
                        total_spent: *total,
                        currency: CURRENCY.to_owned(),
                        version: 1,
                    }
                }
                Some(stored) => {
                    let mut customer = stored.clone();
                    customer.order_count += 1;
                    customer.total_spent += total;
                    customer.version += 1;
                    if time < stored.first_order_at.as_str() {
                        // An earlier first order, seen late: the customer was new on its day.
                        let was = Day::of_time(&stored.first_order_at)?;
                        if was != day {
                            tally.new_customers = 1;
                            days.push((was, Tally { new_customers: -1, ..Tally::default() }));
                        }
                        customer.first_order_id = *order;
                        customer.first_order_at = time.to_owned();
                    }
                    if time >= stored.last_order_at.as_str() {
                        customer.last_order_id = *order;
                        customer.last_order_at = time.to_owned();
                        customer.name = name.clone().or(customer.name);
                        customer.email = email.clone().or(customer.email);
                    }
                    customer
                }
            };
            days.push((day, tally));
            Some(customer)
        }
        OrderFact::Completed { .. } => {
            days.push((day, Tally { orders_completed: 1, ..Tally::default() }));
            None
        }
        OrderFact::Cancelled { total, .. } => {
            days.push((day, Tally { orders_cancelled: 1, revenue: -total, ..Tally::default() }));
            // An order placed before the figures began has no entry to take it out of.
            stored.map(|stored| Customer {
                cancelled_count: stored.cancelled_count + 1,
                total_spent: stored.total_spent - total,
                version: stored.version + 1,
                ..stored.clone()
            })
        }
    };
    Ok(Recording { event, days, customer, expected })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(order: OrderId, total: i64) -> OrderFact {
        OrderFact::Placed {
            order,
            buyer: UserId::parse("buyer", "ann").unwrap(),
            total,
            name: Some("Ann".into()),
            email: Some("ann@example.com".into()),
        }
    }

    #[test]
    fn a_first_order_makes_a_new_customer_and_a_second_does_not() {
        let (first, second) = (OrderId::random(), OrderId::random());
        let one =
            recording(EventId::random(), "2026-12-01T10:00:00.000Z", &placed(first, 500), None).unwrap();
        assert_eq!(
            one.days[0].1,
            Tally { orders_placed: 1, revenue: 500, new_customers: 1, ..Tally::default() }
        );
        let customer = one.customer.unwrap();
        assert_eq!((customer.order_count, customer.total_spent, customer.version), (1, 500, 1));
        let two =
            recording(EventId::random(), "2026-12-02T10:00:00.000Z", &placed(second, 300), Some(&customer))
                .unwrap();
        assert_eq!(
            two.days,
            vec![(
                Day::parse("d", "2026-12-02").unwrap(),
                Tally { orders_placed: 1, revenue: 300, ..Tally::default() }
            )]
        );
        assert_eq!(two.expected, Some(1));
        let customer = two.customer.unwrap();
        assert_eq!((customer.order_count, customer.total_spent, customer.last_order_id), (2, 800, second));
        assert_eq!(customer.first_order_id, first);
    }

    #[test]
    fn an_earlier_order_seen_late_moves_the_new_customer_to_its_day() {
        let (late, early) = (OrderId::random(), OrderId::random());
        let seen =
            recording(EventId::random(), "2026-12-05T10:00:00.000Z", &placed(late, 100), None).unwrap();
        let stored = seen.customer.unwrap();
        let then =
            recording(EventId::random(), "2026-12-03T10:00:00.000Z", &placed(early, 100), Some(&stored))
                .unwrap();
        let day = |text| Day::parse("d", text).unwrap();
        assert_eq!(then.days[0], (day("2026-12-05"), Tally { new_customers: -1, ..Tally::default() }));
        assert_eq!(then.days[1].1.new_customers, 1);
        let customer = then.customer.unwrap();
        assert_eq!((customer.first_order_id, customer.last_order_id), (early, late));
    }

    #[test]
    fn a_cancellation_takes_the_revenue_out_on_its_day() {
        let stored =
            recording(EventId::random(), "2026-12-01T10:00:00.000Z", &placed(OrderId::random(), 700), None)
                .unwrap()
                .customer
                .unwrap();
        let buyer = stored.id.clone();
        let cancel = OrderFact::Cancelled { buyer, total: 700 };
        let out = recording(EventId::random(), "2026-12-02T00:00:00.000Z", &cancel, Some(&stored)).unwrap();
        assert_eq!(out.days[0].1, Tally { orders_cancelled: 1, revenue: -700, ..Tally::default() });
        assert_eq!(out.customer.unwrap().total_spent, 0);
        let unknown = recording(EventId::random(), "2026-12-02T00:00:00.000Z", &cancel, None).unwrap();
        assert_eq!(unknown.customer, None, "no entry is made up for an order from before the figures");
    }

    #[test]
    fn days_and_ranges_are_checked() {
        assert!(Day::parse("from", "2026-02-30").is_err());
        assert!(Day::parse("from", "2026-2-3").is_err());
        assert!(Day::parse("from", "20260203").is_err());
        let (from, to) = (Day::parse("from", "2024-01-01").unwrap(), Day::parse("to", "2024-12-31").unwrap());
        assert_eq!(super::super::DayRange::new(from, to).unwrap().days().count(), 366);
        let too_far = Day::parse("to", "2025-01-01").unwrap();
        assert!(super::super::DayRange::new(from, too_far).is_err());
        assert!(super::super::DayRange::new(to, from).is_err());
        assert_eq!(Day::of_time("2026-12-07T23:59:59.999Z").unwrap().key(), "2026-12-07");
    }
}

//! The back office's reads (the `admin` function): figures and the customer directory.

use bookworm_domain::figures::{Customer, MAX_CURSOR_CHARS, MAX_PREFIX_CHARS, MAX_RANGE_DAYS};
use bookworm_domain::query::Page;
use schemars::SchemaGenerator;
use serde_json::json;

use super::{Operation, Refusal, choice, limit, query};

pub fn operations(schemas: &mut SchemaGenerator) -> Vec<Operation> {
    let mut schema = |f: fn(&mut SchemaGenerator) -> schemars::Schema| f(schemas).to_value();
    let stats = schema(|g| g.subschema_for::<admin::Stats>());
    let customer = schema(|g| g.subschema_for::<admin::CustomerView>());
    let customers = schema(|g| g.subschema_for::<Page<Customer>>());
    let day = |name: &str, description: &str| {
        query(name, description, json!({ "type": "string", "format": "date" }))
    };
    vec![
        Operation::new(
            "GET /admin/stats",
            "back office",
            "Read the figures: orders, revenue, customers, books",
        )
        .query([
            day(
                "from",
                "The first day (UTC), included; by default 29 days before `to` (today, if neither is given).",
            ),
            day(
                "to",
                &format!(
                    "The last day (UTC), included; by default 29 days after `from`, or today if neither \
                         is given. At most {MAX_RANGE_DAYS} days from `from`, and not before it."
                ),
            ),
        ])
        .ok(200, "Every day of the range, the total, and the catalog's counts.", stats),
        Operation::new("GET /customers", "back office", "Search the customer directory")
            .query([
                query(
                    "q",
                    "The start of the name (or email, with `by=email`); case and spacing are ignored. \
                     None: every customer.",
                    json!({ "type": "string", "maxLength": MAX_PREFIX_CHARS }),
                ),
                choice("by", &["name", "email"], "Which field `q` starts (default: name)."),
                query(
                    "cursor",
                    "Where the page starts: the `next_cursor` of the page before, for the same `q` and \
                     `by`. Another is refused with 400.",
                    json!({ "type": "string", "minLength": 2, "maxLength": MAX_CURSOR_CHARS }),
                ),
                limit(),
            ])
            .ok(200, "A page of customers, in the order of the field searched.", customers),
        Operation::new("GET /customers/{id}", "back office", "Read a customer's directory entry")
            .ok(200, "The customer: order count, total spent, first and last order, and their profile (addresses, phone; empty when never saved).", customer)
            .refusing(&[Refusal::NotFound]),
    ]
}

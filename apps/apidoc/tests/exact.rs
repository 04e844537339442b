//! The OpenAPI document says exactly what the handlers accept: each rule a parameter or body
//! field has in the code, tried from both sides against the schema the document gives it.
//! (tests/contracts/run then fuzzes the running stack with every schemathesis check.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookworm_apidoc::deployed_openapi;
use bookworm_domain::events::{CATALOG_FEED, EventCursor};
use bookworm_domain::query::{Cursor, PageSize, SortField};
use bookworm_domain::reviews::{ReviewCursor, ReviewSort};
use bookworm_domain::search::{SearchFilter, SearchQuery, check_text};
use bookworm_domain::text::{self, Lines};
use bookworm_domain::{Error, Money};
use serde_json::{Value, json};

fn openapi() -> Value {
    deployed_openapi()
}

/// A validator for `schema`, whose `$ref`s point into the document's components.
fn validator(openapi: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = openapi["components"].clone();
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&root).unwrap()
}

/// The schema of parameter `name` of the operation `key` (`GET /books`).
fn parameter(openapi: &Value, key: &str, name: &str) -> jsonschema::Validator {
    let (method, path) = key.split_once(' ').unwrap();
    let parameters = openapi["paths"][path][method.to_ascii_lowercase()]["parameters"].as_array().unwrap();
    let found = parameters.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{key} {name}"));
    validator(openapi, &found["schema"])
}

/// The schema of property `name` of component `component`.
fn property(openapi: &Value, component: &str, name: &str) -> jsonschema::Validator {
    validator(openapi, &openapi["components"]["schemas"][component]["properties"][name])
}

const LISTS: [&str; 7] = [
    "GET /books",
    "GET /search",
    "GET /books/{id}/reviews",
    "GET /orders",
    "GET /reviews",
    "GET /shops/{shop_id}/orders",
    "GET /shops/{shop_id}/events",
];

#[test]
fn every_cursor_a_list_hands_out_is_a_cursor_its_schema_allows() {
    let openapi = openapi();
    let id = "123e4567-e89b-42d3-a456-426614174000";
    let time_and_id = format!("2026-12-07T05:15:26.123Z#{id}");
    // Every length modulo 3 of what is encoded, so every base64 tail occurs.
    let leads = |most: usize| (1..=most).map(|n| "é".repeat(n / 2) + &"e".repeat(n % 2 + n / 7));
    let mut handed_out: Vec<(&str, String)> = Vec::new();
    for lead in leads(40) {
        handed_out
            .push(("GET /books", Cursor { sort: SortField::Name, key: format!("{lead}\u{1}{id}") }.encode()));
    }
    // The longest a cursor may be: a sort key of DynamoDB's 1,024 bytes.
    let longest = format!("{}\u{1}{id}", "e".repeat(1024 - 1 - id.len() - "name:".len()));
    handed_out.push(("GET /books", Cursor { sort: SortField::Name, key: longest }.encode()));
    handed_out.push((
        "GET /books",
        Cursor { sort: SortField::Price, key: format!("0000001250\u{1}{id}") }.encode(),
    ));
    for offset in [20, 100, 999] {
        for text in ["emma", "sherlock holmes", "a"] {
            let mut query =
                SearchQuery::new(text, SearchFilter::default(), PageSize::new(20).unwrap()).unwrap();
            query.offset = offset - 20;
            handed_out.push(("GET /search", query.next_cursor(u64::MAX).unwrap()));
        }
    }
    for sort in [ReviewSort::Newest, ReviewSort::Highest, ReviewSort::Helpful] {
        let key = match sort {
            ReviewSort::Newest => time_and_id.clone(),
            ReviewSort::Helpful => format!("0000000003#{time_and_id}"),
            _ => format!("5#{time_and_id}"),
        };
        handed_out.push(("GET /books/{id}/reviews", ReviewCursor { sort, key }.encode()));
    }
    for list in &LISTS[3..] {
        handed_out.push((list, EventCursor(time_and_id.clone()).encode()));
    }
    for (list, cursor) in &handed_out {
        let schema = parameter(&openapi, list, "cursor");
        assert!(schema.is_valid(&json!(cursor)), "{list}: {cursor} ({} characters)", cursor.len());
    }
    assert!(handed_out.iter().any(|(_, cursor)| cursor.len() == 1366), "the longest is tried");
}

#[test]
fn the_cursor_pattern_is_base64url_as_the_decoder_takes_it() {
    let openapi = openapi();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let schema = parameter(&openapi, "GET /orders", "cursor");
    let mut tried = Vec::new();
    for head in ["", "AAAA", "QUJD"] {
        for last in alphabet.chars().chain("+/=.".chars()) {
            for middle in ["", "A", "AA"] {
                tried.push(format!("{head}{middle}{last}"));
            }
        }
    }
    for text in tried.iter().filter(|text| text.len() >= 2) {
        let decodes = URL_SAFE_NO_PAD.decode(text).is_ok();
        assert_eq!(schema.is_valid(&json!(text)), decodes, "{text:?}");
    }
    // What the pattern allows but no list handed out: refused with a 400 naming `cursor`, which
    // every list documents (the parameter's description says so, and 400 is a response).
    for (list, refusal) in [
        ("GET /orders", EventCursor::decode("AAAA").map(drop)),
        ("GET /books", Cursor::decode("AAAA", SortField::Name).map(drop)),
        ("GET /books/{id}/reviews", ReviewCursor::decode("AAAA", ReviewSort::Newest).map(drop)),
    ] {
        assert!(parameter(&openapi, list, "cursor").is_valid(&json!("AAAA")));
        assert!(
            matches!(refusal, Err(Error::Invalid(ref e)) if e[0].field == "cursor"),
            "{list}: {refusal:?}"
        );
    }
    for list in LISTS {
        let (method, path) = list.split_once(' ').unwrap();
        let operation = &openapi["paths"][path][method.to_ascii_lowercase()];
        assert!(operation["responses"]["400"].is_object(), "{list}");
        let cursor =
            operation["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "cursor").unwrap();
        assert!(cursor["description"].as_str().unwrap().contains("refused with 400"), "{list}");
    }
}

/// Strings that try every class of character the text rule names.
fn texts() -> Vec<String> {
    let specials = (0..=0xA0u32)
        .chain([0xAD, 0x34F, 0x115F, 0x1160, 0x1680, 0x180E, 0x3000, 0x3164, 0xFEFF, 0xFFA0])
        .chain(0x2000..=0x2070)
        .filter_map(char::from_u32)
        .chain(['é', '中', '😀', 'ש']);
    let mut texts: Vec<String> = Vec::new();
    for c in specials {
        texts.extend([c.to_string(), format!("a{c}b"), format!(" {c} "), format!("{c}{c}")]);
    }
    texts.extend([
        "".into(),
        "Emma".into(),
        "👩\u{200D}💻".into(),
        "a\r\nb\tc".into(),
        "\u{200B} \u{FEFF}".into(),
    ]);
    texts
}

#[test]
fn text_schemas_are_the_text_rule() {
    let openapi = openapi();
    let fields = [
        (property(&openapi, "AuthorInput", "name"), 100, Lines::One, true),
        (property(&openapi, "BookInput", "name"), 200, Lines::One, true),
        (property(&openapi, "BookInput", "description"), 500, Lines::Many, false),
        (property(&openapi, "ReviewInput", "title"), 120, Lines::One, false),
        (property(&openapi, "ReviewInput", "comment"), 2000, Lines::Many, false),
        (property(&openapi, "CheckoutAction", "product_name"), 200, Lines::One, true),
        (parameter(&openapi, "GET /books", "q"), 100, Lines::One, true),
    ];
    for (schema, max, lines, required) in &fields {
        for text in texts() {
            let accepted = if *required {
                text::required("f", &text, *max, *lines).is_ok()
            } else {
                text::optional("f", &text, *max, *lines).is_ok()
            };
            assert_eq!(schema.is_valid(&json!(text)), accepted, "{lines:?} required={required}: {text:?}");
        }
    }
}

#[test]
fn the_search_text_schema_is_the_search_text_rule() {
    let openapi = openapi();
    let words = |n: usize, between: &str| vec!["w"; n].join(between);
    let mut tried = texts();
    for between in [" ", "\u{A0}", "\u{3000}", "  ", "\t", "-"] {
        for n in [1, 11, 12, 13, 20] {
            tried.extend([words(n, between), format!(" {} ", words(n, between))]);
        }
    }
    for list in ["GET /search", "GET /search/suggest"] {
        let schema = parameter(&openapi, list, "q");
        for text in &tried {
            assert_eq!(schema.is_valid(&json!(text)), check_text("q", text).is_ok(), "{list}: {text:?}");
        }
    }
}

#[test]
fn the_nil_shop_id_is_the_catalog_feed_where_a_feed_is_read_and_refused_elsewhere() {
    let openapi = openapi();
    let nil = json!(CATALOG_FEED.to_string());
    let shop = json!("123e4567-e89b-42d3-a456-426614174000");
    let mut routes = 0;
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|_| path.contains("{shop_id}")) {
            let key = format!("{} {path}", method.to_ascii_uppercase());
            let schema = parameter(&openapi, &key, "shop_id");
            assert!(schema.is_valid(&shop), "{key}");
            assert_eq!(schema.is_valid(&nil), key == "GET /shops/{shop_id}/events", "{key}");
            routes += 1;
        }
    }
    assert!(routes >= 8, "{routes}");
}

#[test]
fn a_price_is_more_than_zero_in_any_spelling() {
    let openapi = openapi();
    for field in ["price", "sale_price"] {
        let schema = property(&openapi, "BookInput", field);
        for amount in ["0", "00", "0.0", "0.00", "0000000.00", "0.01", "0.10", "1", "12.99", "10000000"] {
            let positive = amount.parse::<Money>().is_ok_and(|money| money > Money::ZERO);
            assert_eq!(schema.is_valid(&json!(amount)), positive, "{field}: {amount}");
        }
    }
    assert!(property(&openapi, "BookInput", "sale_price").is_valid(&json!(null)), "not on sale");
}

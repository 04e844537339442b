//! Group commit keeps its promise: the stack is killed (SIGKILL, no chance to flush) while
//! eight clients publish, fill baskets and check out, then started again on the same data
//! folder, and every write it acknowledged is there.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

mod common;

use common::{http_send, local, serve, try_http_send};

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const CLIENTS: usize = 8;

fn token(data_dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let minted = local().arg("token").args(args).env("DATA_DIR", data_dir).output().expect("token");
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    String::from_utf8(minted.stdout).unwrap().lines().map(str::to_owned).collect()
}

/// The status code and JSON body of a raw response.
fn parse(response: &str) -> (u16, Value) {
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// The user id a token was minted for (a customer publishes only their own actions).
fn subject(token: &str) -> String {
    use base64::Engine;
    let claims = token.split('.').nth(1).expect("a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap();
    serde_json::from_slice::<Value>(&claims).unwrap()["sub"].as_str().unwrap().to_owned()
}

fn publish_body(shopper: &str, action_id: u64) -> String {
    format!(
        r#"{{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"{SHOP}","shopper_id":"{shopper}","action_id":{action_id},"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}}"#
    )
}

#[derive(Default)]
struct Acknowledged {
    /// Action ids of the publishes answered 200.
    published: BTreeSet<u64>,
    /// (order id, the buyer's token) of the checkouts answered 201.
    orders: Vec<(String, String)>,
}

/// One client: publishes, and every few publishes adds a book and checks out, until told to stop
/// or the stack goes away. Only answers it read in full count as acknowledged.
fn client(
    address: &str,
    token: &str,
    book: &str,
    client: u64,
    stop: &AtomicBool,
    acked: &Mutex<Acknowledged>,
) {
    let shopper = subject(token);
    for round in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let action_id = client * 1_000_000 + round;
        let Ok(response) = try_http_send(
            address,
            "POST",
            &format!("/publish/{SHOP}"),
            Some(token),
            &publish_body(&shopper, action_id),
            &[],
        ) else {
            return;
        };
        if parse(&response).0 == 200 {
            acked.lock().unwrap().published.insert(action_id);
        }
        if round % 4 != 0 {
            continue;
        }
        let item = format!("/shops/{SHOP}/basket/items/{book}");
        let Ok(_) = try_http_send(address, "PUT", &item, Some(token), r#"{"quantity":1}"#, &[]) else {
            return;
        };
        let key = format!("Idempotency-Key: order-{client}-{round}");
        let checkout = format!("/shops/{SHOP}/checkout");
        let Ok(response) = try_http_send(address, "POST", &checkout, Some(token), "", &[&key]) else {
            return;
        };
        if let (201, order) = parse(&response) {
            let id = order["id"].as_str().expect("an order id").to_owned();
            acked.lock().unwrap().orders.push((id, token.to_owned()));
        }
    }
}

#[test]
fn every_acknowledged_write_survives_a_kill_under_load() {
    let data = tempfile::tempdir().unwrap();
    let customers = token(data.path(), &["--role", "customer", "--count", &CLIENTS.to_string()]);
    let merchant = token(data.path(), &["--role", "merchant", "--shop", SHOP]).remove(0);
    let (mut child, address, _stdout) = serve(data.path());
    let (status, books) = parse(&http_send(&address, "GET", "/books?limit=50", None, ""));
    assert_eq!(status, 200);
    let book = books["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|book| book["status"] == "in_stock")
        .and_then(|book| book["id"].as_str())
        .expect("an in-stock book")
        .to_owned();

    let (stop, acked) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Acknowledged::default())));
    let clients: Vec<_> = customers
        .into_iter()
        .enumerate()
        .map(|(n, token)| {
            let (address, book, stop, acked) = (address.clone(), book.clone(), stop.clone(), acked.clone());
            thread::spawn(move || client(&address, &token, &book, n as u64, &stop, &acked))
        })
        .collect();
    thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
    assert!(acked.published.len() >= 50, "too little load to prove anything: {}", acked.published.len());
    assert!(acked.orders.len() >= 5, "too few orders to prove anything: {}", acked.orders.len());

    let (mut child, address, _stdout) = serve(data.path());
    let mut stored = BTreeSet::new();
    let mut page = format!("/shops/{SHOP}/events?limit=100");
    loop {
        let (status, body) = parse(&http_send(&address, "GET", &page, Some(&merchant), ""));
        assert_eq!(status, 200, "{body}");
        for event in body["items"].as_array().unwrap() {
            if let Some(id) = event["data"]["action_id"].as_u64() {
                stored.insert(id);
            }
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => page = format!("/shops/{SHOP}/events?limit=100&cursor={cursor}"),
            None => break,
        }
    }
    let lost: Vec<_> = acked.published.difference(&stored).collect();
    let (count, first) = (lost.len(), &lost[..lost.len().min(10)]);
    assert!(
        lost.is_empty(),
        "{count} of {} acknowledged events lost, first {first:?}",
        acked.published.len()
    );
    for (order, token) in &acked.orders {
        let (status, body) = parse(&http_send(&address, "GET", &format!("/orders/{order}"), Some(token), ""));
        assert_eq!(status, 200, "acknowledged order {order} lost: {body}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

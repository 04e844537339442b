//! Sharded fan-out in the local stack: a shop with more merchant sockets than one shard gets
//! each event on every socket, once, pushed partly by shards run as Lambda would run them.
//!
//! Every test in this binary runs at a shard size of 3 (`FANOUT_SHARD_SIZE`, read when a stack
//! starts), so that a few sockets make several shards.

use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use bookworm_domain::contract;
use bookworm_domain::ports::Shard;
use bookworm_local::PushBackend;
use bookworm_local::bus::shards::{LocalShards, Runner};
use e2e::LocalStack;
use fanout::Invocation;
use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SHOP: &str = "123e4567-e89b-42d3-a456-426614174000";
const OTHER_SHOP: &str = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
const SHOPPER: &str = "ab29b2d3-7c8a-446e-a4e1-d8e2a51c0e94";
const SHARD_SIZE: usize = 3;

fn small_shards() {
    static SET: Once = Once::new();
    // SAFETY: every test here calls this first, and Once makes the others wait until it is
    // done, so no thread of this process reads the environment while it is written.
    SET.call_once(|| unsafe { std::env::set_var("FANOUT_SHARD_SIZE", SHARD_SIZE.to_string()) });
}

fn action(shop: &str, action_id: u64) -> String {
    format!(
        r#"{{"session_id":"4e29b2d3-7c8a-446e-a4e1-d8e2a51c0e94","shop_id":"{shop}","shopper_id":"{SHOPPER}","action_id":{action_id},"create_time":"2023-12-18T10:30:00.000Z","action":"ADD","product_name":"FUJI Apples","product_id":500100,"product_price":3.50,"UPC":"042100005264","category_id":"fruit","basket_total":12.18}}"#
    )
}

async fn watch(stack: &LocalStack, shop: &str) -> Socket {
    let token = stack.token(&["merchant"], &[shop]);
    let url = format!("{}/ws?shop_id={shop}&token={token}", stack.base.replace("http://", "ws://"));
    connect_async(url).await.expect("upgrade").0
}

/// The next text message within `wait`, checked against the AsyncAPI document.
async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    while let Ok(Some(Ok(message))) = tokio::time::timeout(wait, socket.next()).await {
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).expect("JSON");
            e2e::assert_conforms_to_asyncapi(&message);
            return Some(message);
        }
    }
    None
}

async fn every_socket_once(push: PushBackend) {
    small_shards();
    let stack = LocalStack::start_configured(Default::default(), push).await;
    // 3 × 3 + 1: the page fan-out pushes itself, two full shards and a shard of one.
    let mut sockets = Vec::new();
    for _ in 0..3 * SHARD_SIZE + 1 {
        sockets.push(watch(&stack, SHOP).await);
    }
    let mut elsewhere = watch(&stack, OTHER_SHOP).await;
    let shopper = stack.token_as(SHOPPER, &["customer"], &[]);

    for action_id in [1, 2] {
        let response = stack
            .client
            .post(stack.url(&format!("/publish/{SHOP}")))
            .bearer_auth(&shopper)
            .header("content-type", "application/json")
            .body(action(SHOP, action_id))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    for (index, socket) in sockets.iter_mut().enumerate() {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let message = next_message(socket, Duration::from_secs(5)).await;
            ids.extend(message.and_then(|m| m["data"]["action_id"].as_u64()));
        }
        ids.sort_unstable();
        assert_eq!(ids, [1, 2], "socket {index}: each event ({push:?})");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (index, socket) in sockets.iter_mut().enumerate() {
        let more = next_message(socket, Duration::from_millis(10)).await;
        assert_eq!(more, None, "socket {index}: once ({push:?})");
    }
    assert_eq!(next_message(&mut elsewhere, Duration::from_millis(10)).await, None, "not another shop's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_with_more_sockets_than_a_shard_gets_each_event_on_every_socket_once() {
    every_socket_once(PushBackend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharded_through_the_management_api_too() {
    every_socket_once(PushBackend::ManagementApi).await;
}

#[tokio::test]
async fn the_local_shard_runner_meets_the_shard_dispatch_contract() {
    small_shards();
    let ran: Arc<Mutex<Vec<Shard>>> = Arc::default();
    let runs = ran.clone();
    let runner: Runner = Arc::new(move |invocation| {
        let runs = runs.clone();
        Box::pin(async move {
            match invocation {
                Invocation::Shard(shard) => runs.lock().unwrap().push(*shard),
                Invocation::Sns(_) => panic!("only shards are handed over"),
            }
            Ok(())
        })
    });
    let largest = contract::shard_dispatch(&LocalShards::new(runner)).await;
    for _ in 0..100 {
        if !ran.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*ran.lock().unwrap(), [largest], "the queued shard ran, as sent; the refused one never");
}

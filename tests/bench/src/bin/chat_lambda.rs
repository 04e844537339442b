//! Support chat through the Lambda path: a customer's message, handed to a warm function by a
//! local Runtime API, until it reaches the agent's socket — the conversation read, the quota
//! taken, the DynamoDB transaction, the audience's sockets looked up and `PostToConnection`
//! (to a local `@connections` endpoint that timestamps each arrival). Both entrances: the
//! WebSocket API's `chat.send` (the websocket function) and `POST …/messages` (support).
//! The function reaches moto through a timing proxy, so the table splits each message's time
//! into the endpoint's (moto's, which is no DynamoDB) and the function's own, and lists the
//! calls one message makes.
//!
//! `chat-lambda WEBSOCKET_BOOTSTRAP SUPPORT_BOOTSTRAP` with the tables on `AWS_ENDPOINT_URL`
//! (moto) and the functions' settings named in `FUNCTION_ENVIRONMENT` (scripts/bench `chat`).
//! CHAT_MESSAGES (default 400) per entrance, after 20 not counted.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use bench::runtime_api::{Api, Seen, lambda_environment, percentile};
use bench::timing_proxy::{Call, TimingProxy};
use bookworm_domain::ids::{ConversationId, UserId};
use bookworm_domain::ports::{Channel, Connection, Connections, SupportStore};
use bookworm_domain::support::{AuthorRole, Conversation, ConversationStatus, Message, message_id};
use bookworm_dynamodb::{DynamoShop, DynamoSupport};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

const AGENT: &str = "bench-agent";
const AGENT_SOCKET: &str = "AgentSocket0=";
/// Customers per entrance: each sends `messages / CUSTOMERS` messages, well under the quota of
/// 30 a minute, so every message takes the whole path (none refused as too many).
const CUSTOMERS: usize = 40;
const WARM_UP: usize = 20;

/// `PostToConnection` arrivals: which socket, when.
type Arrivals = mpsc::UnboundedSender<(String, Instant)>;

async fn post_to_connection(State(arrivals): State<Arrivals>, Path(id): Path<String>) -> StatusCode {
    let _ = arrivals.send((id, Instant::now()));
    StatusCode::OK
}

struct Customer {
    user: UserId,
    conversation: ConversationId,
    socket: String,
}

/// A conversation per customer, each assigned to the one agent; every customer and the agent
/// with a support socket open.
async fn seed(store: &DynamoSupport, connections: &DynamoShop, entrance: &str) -> Vec<Customer> {
    let now = "2026-12-07T12:00:00Z".to_owned();
    let agent = UserId::new(AGENT).expect("agent id");
    connections
        .add(&Connection {
            id: AGENT_SOCKET.parse().expect("socket id"),
            channel: Channel::Support(AuthorRole::Support),
            user_id: agent.clone(),
            connected_at: now.clone(),
            token_expires_at: 4_102_444_800,
        })
        .await
        .expect("the agent's socket");
    let mut customers = Vec::new();
    for n in 0..CUSTOMERS {
        let user = UserId::new(format!("bench-{entrance}-customer-{n}")).expect("user id");
        let id = ConversationId::random();
        let first = Message {
            id: message_id(id, Uuid::new_v4()),
            conversation_id: id,
            seq: 1,
            author_id: user.clone(),
            author_role: AuthorRole::Customer,
            text: "Where is my order?".into(),
            private: false,
            created_at: now.clone(),
            client_message_id: Uuid::new_v4(),
        };
        let conversation = Conversation {
            id,
            subject: "Delivery".into(),
            status: ConversationStatus::Waiting,
            customer_id: user.clone(),
            customer_name: None,
            assignee_id: None,
            order_id: None,
            book_id: None,
            created_at: now.clone(),
            last_message_at: now.clone(),
            waiting_since: now.clone(),
            closed_at: None,
            message_count: 1,
            customer_read: 1,
            support_read: 0,
            rating: None,
            version: 1,
            away_mailed: 0,
            customer_email: None,
        };
        store.open(&conversation, &first).await.expect("open");
        store.save(&conversation.assign(&agent).expect("assign")).await.expect("assigned");
        let socket = format!("Cust{entrance}{n}=");
        connections
            .add(&Connection {
                id: socket.parse().expect("socket id"),
                channel: Channel::Support(AuthorRole::Customer),
                user_id: user.clone(),
                connected_at: now.clone(),
                token_expires_at: 4_102_444_800,
            })
            .await
            .expect("the customer's socket");
        customers.push(Customer { user, conversation: id, socket });
    }
    customers
}

/// The websocket function's `chat.send` from `customer`'s socket.
fn websocket_event(sample: &Value, customer: &Customer, n: usize) -> String {
    let mut event = sample.clone();
    let context = &mut event["requestContext"];
    context["connectionId"] = json!(customer.socket);
    let authorizer = &mut context["authorizer"];
    authorizer["user_id"] = json!(customer.user.as_str());
    authorizer["principalId"] = json!(customer.user.as_str());
    authorizer["roles"] = json!("customer");
    event["body"] = json!(
        json!({
            "action": "chat.send",
            "conversation_id": customer.conversation.to_string(),
            "text": format!("Message {n}: is it on its way?"),
            "client_message_id": Uuid::new_v4().to_string(),
        })
        .to_string()
    );
    event.to_string()
}

/// The support function's `POST /support/conversations/{id}/messages` by `customer`.
fn https_event(sample: &Value, customer: &Customer, n: usize) -> String {
    let mut event = sample.clone();
    let id = customer.conversation.to_string();
    let path = format!("/support/conversations/{id}/messages");
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["path"] = json!(path);
    event["pathParameters"]["id"] = json!(id);
    let authorizer = &mut event["requestContext"]["authorizer"]["lambda"];
    authorizer["user_id"] = json!(customer.user.as_str());
    authorizer["roles"] = json!("customer");
    event["body"] = json!(
        json!({"text": format!("Message {n}: is it on its way?"), "client_message_id": Uuid::new_v4().to_string()})
            .to_string()
    );
    event.to_string()
}

#[derive(Default)]
struct Timings {
    /// Event handed over → the agent's socket got the message.
    to_agent: Vec<Duration>,
    /// Event handed over → the function answered.
    answered: Vec<Duration>,
    /// Of that, waiting for the AWS endpoint (calls that overlap counted once).
    endpoint: Vec<Duration>,
    /// The rest: the function's own time, the Runtime API's and the pushes'.
    own: Vec<Duration>,
    /// The calls of one message, in order (the last one measured).
    calls: Vec<String>,
    failures: Vec<String>,
}

/// The time covered by `calls` (overlapping ones counted once).
fn covered(calls: &[Call]) -> Duration {
    let mut spans: Vec<(Instant, Instant)> = calls.iter().map(|c| (c.sent, c.answered)).collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut reach: Option<Instant> = None;
    for (start, end) in spans {
        let start = reach.map_or(start, |r| start.max(r));
        if end > start {
            total += end - start;
            reach = Some(end);
        }
    }
    total
}

/// `messages` customer messages (round robin over `customers`) through one warm function.
async fn run(
    bootstrap: &str,
    endpoint: &str,
    aws: &TimingProxy,
    arrivals: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    messages: usize,
    event: impl Fn(usize) -> String,
) -> Timings {
    let mut api = Api::start(None).await;
    let overrides = [
        ("WEBSOCKET_ENDPOINT".to_owned(), endpoint.to_owned()),
        ("AWS_ENDPOINT_URL".to_owned(), aws.endpoint.clone()),
    ];
    let mut child = spawn(bootstrap, &api, &overrides);
    let mut timings = Timings::default();
    for n in 0..WARM_UP + messages {
        while arrivals.try_recv().is_ok() {}
        aws.take();
        api.invoke.send(event(n)).expect("hand the event over");
        let mut handed = None;
        let mut answered = None;
        let mut ok = true;
        while answered.is_none() {
            match api.next_seen(Duration::from_secs(10)).await {
                Some(Seen::Handed(at)) => handed = Some(at),
                Some(Seen::Response(at, fine)) => (answered, ok) = (Some(at), fine),
                Some(Seen::Next(_)) => {}
                None => break,
            }
        }
        let (Some(handed), Some(answered)) = (handed, answered) else {
            timings.failures.push(format!("message {n}: no answer within 10 s"));
            break;
        };
        let mut to_agent = None;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while to_agent.is_none() {
            match tokio::time::timeout_at(deadline, arrivals.recv()).await {
                Ok(Some((socket, at))) if socket == AGENT_SOCKET => to_agent = Some(at),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        if !ok || to_agent.is_none() {
            let error = api.first_error().await.unwrap_or_default();
            timings.failures.push(format!(
                "message {n}: answered {ok}, reached the agent: {} {error}",
                to_agent.is_some()
            ));
            continue;
        }
        if n >= WARM_UP {
            let calls = aws.take();
            let endpoint = covered(&calls);
            timings.to_agent.push(to_agent.expect("checked") - handed);
            timings.answered.push(answered - handed);
            timings.endpoint.push(endpoint);
            timings.own.push((answered - handed).saturating_sub(endpoint));
            timings.calls = calls.into_iter().map(|call| call.operation).collect();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    timings
}

fn spawn(bootstrap: &str, api: &Api, overrides: &[(String, String)]) -> Child {
    Command::new(bootstrap)
        .env_clear()
        .envs(lambda_environment(256, &api.address, overrides))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bootstrap}: {e}"))
}

fn ms(value: Option<Duration>) -> String {
    value.map_or_else(|| "–".into(), |d| format!("{:.2} ms", d.as_secs_f64() * 1000.0))
}

fn row(entrance: &str, what: &str, values: &[Duration]) {
    println!(
        "| {entrance} | {what} | {} | {} | {} | {} | {} |",
        values.len(),
        ms(percentile(values, 0.5)),
        ms(percentile(values, 0.9)),
        ms(percentile(values, 0.99)),
        ms(values.iter().max().copied()),
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [websocket, support] = args.as_slice() else {
        eprintln!("usage: chat-lambda WEBSOCKET_BOOTSTRAP SUPPORT_BOOTSTRAP");
        std::process::exit(2);
    };
    let messages: usize = std::env::var("CHAT_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(400);
    let config = bookworm_aws::config_from_env().expect("AWS settings");
    let store = DynamoSupport::new(&config).expect("SUPPORT_TABLE");
    let connections = DynamoShop::new(&config).expect("the shop tables");

    let upstream = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL");
    let aws =
        TimingProxy::start(upstream.trim_start_matches("http://").trim_end_matches('/').to_owned()).await;
    let (arrived, mut arrivals) = mpsc::unbounded_channel();
    let app = Router::new().route("/@connections/{id}", post(post_to_connection)).with_state(arrived);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let samples: HashMap<&str, Value> = [
        ("ws", include_str!("../../../../events/websocket/chat-send.json")),
        ("https", include_str!("../../../../events/support/reply.json")),
    ]
    .into_iter()
    .map(|(name, text)| (name, serde_json::from_str(text).expect("sample event")))
    .collect();
    let ws_customers = Arc::new(seed(&store, &connections, "ws").await);
    let https_customers = Arc::new(seed(&store, &connections, "https").await);

    let ws = run(websocket, &endpoint, &aws, &mut arrivals, messages, |n| {
        websocket_event(&samples["ws"], &ws_customers[n % CUSTOMERS], n)
    })
    .await;
    let https = run(support, &endpoint, &aws, &mut arrivals, messages, |n| {
        https_event(&samples["https"], &https_customers[n % CUSTOMERS], n)
    })
    .await;
    server.abort();

    println!("| entrance | from the event handed over to | messages | p50 | p90 | p99 | max |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for (entrance, timings) in
        [("WebSocket `chat.send` (websocket)", &ws), ("HTTPS `POST …/messages` (support)", &https)]
    {
        row(entrance, "the agent's socket (`PostToConnection`)", &timings.to_agent);
        row(entrance, "the function's answer", &timings.answered);
        row(entrance, "… of which waiting for moto", &timings.endpoint);
        row(entrance, "… of which the function's own", &timings.own);
    }
    println!();
    for (entrance, timings) in [("`chat.send`", &ws), ("`POST …/messages`", &https)] {
        println!("- {entrance}: {} AWS calls a message: {}.", timings.calls.len(), timings.calls.join(", "));
    }
    for failure in ws.failures.iter().chain(&https.failures).take(10) {
        println!("- {failure}");
    }
}

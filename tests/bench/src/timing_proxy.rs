//! A TCP proxy in front of the AWS endpoint that times each call: from the first bytes of a
//! request to the first bytes of its answer, with the operation the request names
//! (`X-Amz-Target`, DynamoDB's; else the method and path). So a benchmark can tell the time a
//! function waits for the endpoint (moto here, DynamoDB in AWS) from its own.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One call through the proxy.
#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub sent: Instant,
    pub answered: Instant,
}

/// The proxy; stopped when dropped.
pub struct TimingProxy {
    /// `http://127.0.0.1:PORT`, to give the function as its endpoint.
    pub endpoint: String,
    calls: Arc<Mutex<Vec<Call>>>,
    server: tokio::task::JoinHandle<()>,
}

impl TimingProxy {
    /// Forwards to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> TimingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = calls.clone();
        let server = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, calls) = (upstream.clone(), recorded.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, calls).await;
                    }
                });
            }
        });
        TimingProxy { endpoint, calls, server }
    }

    /// The calls answered since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().expect("calls"))
    }
}

impl Drop for TimingProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What one keep-alive connection is doing: a request out and not yet answered, or idle.
#[derive(Default)]
struct Pending(Option<(String, Instant)>);

/// HTTP/1.1 on one connection is request, answer, request…: the first request bytes after an
/// answer start a call, the first answer bytes after a request end it.
async fn relay(client: TcpStream, server: TcpStream, calls: Arc<Mutex<Vec<Call>>>) {
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let pending = Arc::new(Mutex::new(Pending::default()));
    let outgoing = pending.clone();
    let requests = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = client_read.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            {
                let mut pending = outgoing.lock().expect("pending");
                if pending.0.is_none() {
                    pending.0 = Some((operation(&buffer[..n]), Instant::now()));
                }
            }
            if server_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let answers = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = server_read.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            if let Some((operation, sent)) = pending.lock().expect("pending").0.take() {
                calls.lock().expect("calls").push(Call { operation, sent, answered: Instant::now() });
            }
            if client_write.write_all(&buffer[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(requests, answers);
}

/// `GetItem` from `X-Amz-Target: DynamoDB_20120810.GetItem`; else `POST /path`.
fn operation(request: &[u8]) -> String {
    let head = String::from_utf8_lossy(&request[..request.len().min(8 * 1024)]);
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    lines
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("x-amz-target")
                .then(|| value.trim().rsplit('.').next().unwrap_or("").to_owned())
        })
        .unwrap_or_else(|| first.rsplit_once(' ').map_or(first, |(start, _)| start).to_owned())
}

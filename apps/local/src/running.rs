//! Where a serving stack can be reached, for the commands that share its data folder. The stack
//! keeps its redb files locked while it runs, so `invoke` on the same folder cannot open them;
//! instead it posts the event to the stack (`POST /_local/invoke/{function}`), which runs the
//! handler on the very stores it serves. `serve` records its address in `DATA_DIR/stack.json`
//! once it listens and removes the file when it stops; a file left by a stack that was killed
//! names an address nobody answers on, and is ignored.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FILE: &str = "stack.json";

/// What `stack.json` holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct Running {
    /// Where the stack answers (a loopback address when it listens on a wildcard one).
    pub address: SocketAddr,
    pub pid: u32,
}

/// The record of a serving stack; dropping it removes the file.
pub struct Recorded(PathBuf);

impl Drop for Recorded {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Records that this process serves `data_dir` on `address`.
pub fn record(data_dir: &Path, address: SocketAddr) -> std::io::Result<Recorded> {
    let path = data_dir.join(FILE);
    let running = Running { address, pid: std::process::id() };
    std::fs::write(&path, serde_json::to_vec_pretty(&running)?)?;
    Ok(Recorded(path))
}

/// Where a client reaches a stack listening on `address`: a wildcard address is where one
/// listens, not where one connects, so loopback (whose Host the development routes accept).
pub fn reachable(mut address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    address
}

/// The stack serving `data_dir`, if one is recorded there and answers.
pub async fn find(data_dir: &Path) -> Option<Running> {
    let text = std::fs::read(data_dir.join(FILE)).ok()?;
    let running: Running = serde_json::from_slice(&text).ok()?;
    tokio::net::TcpStream::connect(running.address).await.ok()?;
    Some(running)
}

impl Running {
    /// Has the stack run `function` on `event` (an event file's text); its response, as `invoke`
    /// prints it, or the stack's refusal in words.
    pub async fn invoke(&self, function: &str, event: &str) -> Result<serde_json::Value, String> {
        let (status, body) =
            self.post(&format!("/_local/invoke/{function}"), event).await.map_err(|error| {
                format!("the stack at http://{} (DATA_DIR/{FILE}) did not answer: {error}", self.address)
            })?;
        if status == 200 {
            return serde_json::from_str(&body)
                .map_err(|error| format!("the stack answered {error}: {body}"));
        }
        // The stack's refusals are problem+json; their detail says what went wrong.
        let detail = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|problem| problem["detail"].as_str().map(str::to_owned));
        Err(detail
            .unwrap_or_else(|| format!("the stack at http://{} answered {status}: {body}", self.address)))
    }

    /// One HTTP/1.1 POST on its own connection: the status and the body.
    async fn post(&self, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut stream = tokio::net::TcpStream::connect(self.address).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            self.address,
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let response = String::from_utf8_lossy(&response);
        let malformed = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
        let (head, body) = response.split_once("\r\n\r\n").ok_or_else(malformed)?;
        let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or_else(malformed)?;
        Ok((status, body.to_owned()))
    }
}

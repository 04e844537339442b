//! `listen`: a WebSocket client for the local stack's `/ws`, so that watching a shop needs
//! nothing beyond this binary (websocat is not in Debian, `npx wscat` needs the network). It
//! prints each text message the server sends on a line of its own, flushed at once, so another
//! program can follow the output as it comes.

use std::io::Write;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// What `listen` does once connected.
pub struct Listen {
    /// `ws://host:port/ws?shop_id=…&token=…` (plain ws: the local stack; no TLS here).
    pub url: String,
    /// Texts sent once connected, in order (e.g. `{"action":"ping"}`).
    pub send: Vec<String>,
    /// Stop after this many messages; `None`: until the server closes or Ctrl-C.
    pub count: Option<usize>,
    /// Give up after this long, an error if `count` messages did not come.
    pub timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// `url` without its query, which carries the token.
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: tokio_tungstenite::tungstenite::Error },
    #[error("the connection failed: {0}")]
    Socket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("{got} of {wanted} messages within {seconds} s")]
    TimedOut { got: usize, wanted: usize, seconds: u64 },
    #[error(transparent)]
    Output(#[from] std::io::Error),
}

impl Listen {
    pub async fn run(self) -> Result<(), ListenError> {
        let Some(timeout) = self.timeout else {
            return self.receive(&mut 0).await;
        };
        let (wanted, mut got) = (self.count, 0);
        match tokio::time::timeout(timeout, self.receive(&mut got)).await {
            Ok(done) => done,
            Err(_) if wanted.is_none() => Ok(()),
            Err(_) => Err(ListenError::TimedOut {
                got,
                wanted: wanted.unwrap_or_default(),
                seconds: timeout.as_secs(),
            }),
        }
    }

    /// Connects, sends, and prints what comes until `count` messages or the server's close;
    /// `got` counts them as they come, for the timeout's report.
    async fn receive(self, got: &mut usize) -> Result<(), ListenError> {
        let (mut socket, _) = tokio_tungstenite::connect_async(self.url.as_str())
            .await
            .map_err(|source| ListenError::Connect { url: without_query(&self.url), source })?;
        for text in self.send {
            socket.send(Message::text(text)).await?;
        }
        let mut stdout = std::io::stdout();
        while self.count.is_none_or(|count| *got < count) {
            let Some(message) = socket.next().await else { break };
            match message? {
                Message::Text(text) => writeln!(stdout, "{text}")?,
                Message::Close(_) => break,
                _ => continue,
            }
            stdout.flush()?;
            *got += 1;
        }
        let _ = socket.close(None).await;
        Ok(())
    }
}

/// A URL without its query: errors name where, not the token.
fn without_query(url: &str) -> String {
    url.split_once('?').map_or(url, |(path, _)| path).to_owned()
}

//! Hands fan-out shards to another invocation of the fan-out function: Lambda's asynchronous
//! `Invoke` (invocation type `Event`), which answers 202 once the payload is queued. Lambda runs
//! it, retries it twice if it fails, then puts it in the function's dead-letter queue.

use async_trait::async_trait;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use bookworm_domain::Error;
use bookworm_domain::ports::{Shard, ShardDispatch};

/// The payload limit of an asynchronous Lambda invocation as first documented (the docs now
/// say 1 MB; the lower figure holds in every region and SDK). The local stack keeps it too.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// A shard payload's one top-level key, which tells it from an SNS event (`Records`).
pub const SHARD_PAYLOAD_KEY: &str = "fanout_shard";

/// The invocation payload of a shard, `{"fanout_shard": {…}}`; refused when over the payload
/// limit, since Lambda would refuse it after the fact.
pub fn shard_payload(shard: &Shard) -> Result<Vec<u8>, Error> {
    let mut payload = serde_json::Map::new();
    let encoded = serde_json::to_value(shard).map_err(|e| Error::unavailable("encode a shard", e))?;
    payload.insert(SHARD_PAYLOAD_KEY.to_owned(), encoded);
    let bytes = serde_json::to_vec(&payload).map_err(|e| Error::unavailable("encode a shard", e))?;
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(Error::unavailable(
            "hand a shard over",
            format!(
                "shard {} of event {} ({} connections) encodes to {} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit of an asynchronous invocation",
                shard.number,
                shard.event.id,
                shard.listeners.len(),
                bytes.len(),
            ),
        ));
    }
    Ok(bytes)
}

#[derive(Clone)]
pub struct LambdaShards {
    client: Client,
    function: String,
}

impl LambdaShards {
    /// `function`: the name or ARN of the function that runs shards (fan-out itself).
    pub fn new(config: &bookworm_aws::SdkConfig, function: impl Into<String>) -> Self {
        Self::with_client(Client::new(config), function)
    }

    pub fn with_client(client: Client, function: impl Into<String>) -> Self {
        Self { client, function: function.into() }
    }
}

#[async_trait]
impl ShardDispatch for LambdaShards {
    async fn dispatch(&self, shard: &Shard) -> Result<(), Error> {
        let payload = shard_payload(shard)?;
        let queued = self
            .client
            .invoke()
            .function_name(&self.function)
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|e| Error::unavailable("hand a shard over", DisplayErrorContext(e).to_string()))?;
        // 202 is "queued"; anything else in 2xx would mean it ran synchronously, which an
        // `Event` invocation never does: say so rather than believe it.
        match queued.status_code {
            202 => Ok(()),
            status => Err(Error::unavailable(
                "hand a shard over",
                format!("Lambda answered {status} to an asynchronous invocation of {}", self.function),
            )),
        }
    }
}

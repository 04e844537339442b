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
        let payload = shard.payload()?;
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

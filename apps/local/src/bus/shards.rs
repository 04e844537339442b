//! The local stack's shard runner: what Lambda's asynchronous invocations are to fan-out's
//! shards. A shard is encoded as the payload Lambda would get (refused over Lambda's limit), read
//! back as the function reads it, and run on a task of its own; a run that fails is tried twice
//! more after Lambda's delays, then logged where Lambda would put it in the dead-letter queue.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::ports::{Shard, ShardDispatch};
use fanout::Invocation;
use futures::future::BoxFuture;

/// Runs one invocation of the fan-out function.
pub type Runner = Arc<dyn Fn(Invocation) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

pub struct LocalShards {
    run: Runner,
    retry_delays: Vec<Duration>,
}

impl LocalShards {
    /// Lambda's default for an asynchronous invocation that fails: two retries, about a minute
    /// and then two minutes later.
    pub const LAMBDA_RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(60), Duration::from_secs(120)];

    pub fn new(run: Runner) -> Self {
        Self { run, retry_delays: Self::LAMBDA_RETRY_DELAYS.to_vec() }
    }

    /// The same, retrying after `delays` instead (tests).
    pub fn with_retry_delays(self, delays: &[Duration]) -> Self {
        Self { retry_delays: delays.to_vec(), ..self }
    }
}

#[async_trait]
impl ShardDispatch for LocalShards {
    async fn dispatch(&self, shard: &Shard) -> Result<(), Error> {
        let payload = bookworm_lambda::shard_payload(shard)?;
        let invocation: Invocation =
            serde_json::from_slice(&payload).map_err(|e| Error::unavailable("read a shard's payload", e))?;
        let (run, delays) = (self.run.clone(), self.retry_delays.clone());
        let (event, number) = (shard.event.id, shard.number);
        tokio::spawn(async move {
            for attempt in 0..=delays.len() {
                let Err(error) = run(invocation.clone()).await else { return };
                match delays.get(attempt) {
                    Some(delay) => {
                        tracing::warn!(%event, shard = number, %error, ?delay, "shard failed: retrying, as Lambda would");
                        tokio::time::sleep(*delay).await;
                    }
                    None => tracing::error!(
                        %event, shard = number, %error,
                        "shard failed after Lambda's retries: in AWS it would now wait in the fan-out dead-letter queue"
                    ),
                }
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use bookworm_domain::ports::Listener;

    use super::*;

    /// The sample shard of events/fanout/.
    fn shard() -> Shard {
        let sample = include_str!("../../../../events/fanout/shard.json");
        match serde_json::from_str(sample) {
            Ok(Invocation::Shard(shard)) => *shard,
            other => panic!("events/fanout/shard.json: {other:?}"),
        }
    }

    /// A runner that fails its first `failures` runs and records every shard it was given.
    fn recording(failures: usize) -> (Runner, Arc<Mutex<Vec<Shard>>>) {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let seen = runs.clone();
        let run: Runner = Arc::new(move |invocation| {
            let runs = runs.clone();
            Box::pin(async move {
                let Invocation::Shard(shard) = invocation else { panic!("a shard") };
                let mut runs = runs.lock().unwrap();
                runs.push(*shard);
                if runs.len() <= failures { Err(Error::unavailable("run", "failed")) } else { Ok(()) }
            })
        });
        (run, seen)
    }

    async fn settle(runs: &Mutex<Vec<Shard>>, count: usize) {
        for _ in 0..200 {
            if runs.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn runs_the_shard_as_the_function_reads_its_payload() {
        let (run, runs) = recording(0);
        let sent = shard();
        LocalShards::new(run).dispatch(&sent).await.unwrap();
        settle(&runs, 1).await;
        assert_eq!(*runs.lock().unwrap(), [sent], "field for field, through the payload");
    }

    #[tokio::test]
    async fn a_shard_over_lambdas_payload_limit_is_refused_and_never_run() {
        let (run, runs) = recording(0);
        let listener = Listener { id: "x".repeat(200).parse().unwrap(), token_expires_at: 7 };
        let huge = Shard { listeners: vec![listener; 2_000], ..shard() };
        let error = LocalShards::new(run).dispatch(&huge).await.unwrap_err();
        assert!(error.to_string().contains("limit"), "{error}");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(runs.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failing_shard_is_tried_twice_more_then_given_up() {
        let (run, runs) = recording(usize::MAX);
        let shards = LocalShards::new(run).with_retry_delays(&[Duration::from_millis(1); 2]);
        shards.dispatch(&shard()).await.unwrap();
        settle(&runs, 3).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(runs.lock().unwrap().len(), 3, "once, then Lambda's two retries");

        let (run, runs) = recording(1);
        LocalShards::new(run)
            .with_retry_delays(&[Duration::from_millis(1); 2])
            .dispatch(&shard())
            .await
            .unwrap();
        settle(&runs, 2).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(runs.lock().unwrap().len(), 2, "a retry that succeeds is the last");
    }
}

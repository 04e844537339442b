//! Group commit for the shop file: one thread owns redb's single writer. Writes queue up while
//! the previous batch is being made durable, then the whole queue runs as one transaction and
//! shares one fsync. Each write's checks run inside that transaction, after every write queued
//! before it, so a version check and its write stay atomic without holding a lock across the
//! fsync; and nobody hears "done" before the batch is on disk.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};

use bookworm_domain::Error;
use bookworm_domain::clock::unix_now;
use bookworm_domain::events::ShopEvent;
use redb::{Database, ReadableTable, WriteTransaction};
use tokio::sync::{mpsc as bus, oneshot};

use crate::layout::{EVENT_EXPIRY, EVENT_TTL, EVENTS, Table, event_key, expiry_key};

/// Writes in one transaction at most, so one batch's latency stays bounded under any load.
const MAX_BATCH: usize = 4096;
/// Expired events removed per batch at most: the sweep never stalls the writes behind it.
const SWEEP_LIMIT: usize = 1000;

/// One write's view of the batch's transaction.
pub(crate) struct Batch<'t> {
    txn: &'t WriteTransaction,
    events: Vec<ShopEvent>,
    wrote: bool,
    now: u64,
}

impl Batch<'_> {
    pub(crate) fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let table = self.txn.open_table(table).map_err(failed)?;
        Ok(table.get(key).map_err(failed)?.map(|value| value.value().to_vec()))
    }

    pub(crate) fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), Error> {
        self.wrote = true;
        self.txn.open_table(table).map_err(failed)?.insert(key, value).map_err(failed)?;
        Ok(())
    }

    pub(crate) fn remove(&mut self, table: Table, key: &[u8]) -> Result<(), Error> {
        self.wrote = true;
        self.txn.open_table(table).map_err(failed)?.remove(key).map_err(failed)?;
        Ok(())
    }

    /// Stores `event` with its expiry; it reaches history and the bus once the batch is durable.
    pub(crate) fn append(&mut self, event: &ShopEvent) -> Result<(), Error> {
        let key = event_key(event.shop_id, &event.sort_key());
        let value = serde_json::to_vec(event).map_err(|e| Error::unavailable("encode an event", e))?;
        self.put(EVENTS, &key, &value)?;
        self.put(EVENT_EXPIRY, &expiry_key(self.now + EVENT_TTL.as_secs(), &key), &[])?;
        self.events.push(event.clone());
        Ok(())
    }
}

/// Runs a job in the batch; says whether it failed, and returns what hands its outcome back once
/// the batch is settled.
type Job = Box<dyn FnOnce(&mut Batch) -> (bool, Settle) + Send>;
type Settle = Box<dyn FnOnce(Option<&str>) + Send>;

pub(crate) type Subscriber = Arc<OnceLock<bus::UnboundedSender<ShopEvent>>>;

/// The queue to the writer thread. Dropping it ends the thread and waits for it, so the file
/// is closed when the store is (a reopen in the same process finds it free).
pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    stats: Arc<WriteStats>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What group commit achieved: writes acknowledged, and the commits (fsyncs) they took.
#[derive(Debug, Default)]
pub struct WriteStats {
    pub writes: AtomicU64,
    pub commits: AtomicU64,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Writer {
    pub(crate) fn start(db: Arc<Database>, subscriber: Subscriber) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let stats = Arc::new(WriteStats::default());
        let counted = stats.clone();
        let thread = std::thread::Builder::new()
            .name("shop-writer".into())
            .spawn(move || run(&db, &queue, &subscriber, &counted))
            .map_err(|e| Error::unavailable("start the shop writer", e))?;
        Ok(Self { jobs: Some(jobs), stats, thread: Some(thread) })
    }

    pub(crate) fn stats(&self) -> &WriteStats {
        &self.stats
    }

    /// Runs `job` in the next batch and returns its result once that batch is durable. A job
    /// that fails before writing fails alone; one that fails after writing (or a failed
    /// commit) fails the whole batch, which is then rolled back.
    pub(crate) async fn write<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Batch) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let (reply, outcome) = oneshot::channel();
        let queued: Job = Box::new(move |batch: &mut Batch| {
            let result = job(batch);
            let result_failed = result.is_err();
            let settle: Settle = Box::new(move |failed: Option<&str>| {
                let result = match failed {
                    Some(reason) => Err(Error::unavailable("write the shop file", reason.to_owned())),
                    None => result,
                };
                // The caller may have gone (its request was dropped); the write stands.
                let _ = reply.send(result);
            });
            (result_failed, settle)
        });
        let dropped =
            || Error::unavailable("write the shop file", "the writer could not start a transaction");
        self.jobs.as_ref().ok_or_else(dropped)?.send(queued).map_err(|_| dropped())?;
        // A job dropped unrun (no transaction could begin) drops its reply: nothing was written.
        outcome.await.map_err(|_| dropped())?
    }
}

fn run(db: &Database, queue: &mpsc::Receiver<Job>, subscriber: &Subscriber, stats: &WriteStats) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        jobs.extend(queue.try_iter().take(MAX_BATCH - 1));
        let txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(error) => {
                tracing::error!(%error, writes = jobs.len(), "could not begin a shop batch; none of its writes happened");
                continue;
            }
        };
        let (settles, events, failure) = commit_batch(txn, jobs);
        match &failure {
            Some(reason) => {
                tracing::error!(
                    reason,
                    writes = settles.len(),
                    "a shop batch failed; none of its writes happened"
                );
            }
            None => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.writes.fetch_add(settles.len() as u64, Ordering::Relaxed);
            }
        }
        for event in events {
            if let Some(subscriber) = subscriber.get() {
                // A closed bus means the stack is stopping; the event is stored either way.
                let _ = subscriber.send(event);
            }
        }
        for settle in settles {
            settle(failure.as_deref());
        }
    }
}

fn commit_batch(txn: WriteTransaction, jobs: Vec<Job>) -> (Vec<Settle>, Vec<ShopEvent>, Option<String>) {
    let now = unix_now();
    let mut settles = Vec::with_capacity(jobs.len());
    let mut events = Vec::new();
    let mut failure = None;
    for job in jobs {
        let mut batch = Batch { txn: &txn, events: Vec::new(), wrote: false, now };
        let (job_failed, settle) = job(&mut batch);
        settles.push(settle);
        // A job that failed after writing leaves a half-done change the transaction cannot
        // take back alone: the whole batch goes (the jobs after it still run, to be answered).
        if job_failed && batch.wrote && failure.is_none() {
            failure = Some("a write failed half-way".to_owned());
        }
        events.append(&mut batch.events);
    }
    if failure.is_none()
        && let Err(error) = sweep_expired(&txn, now)
    {
        tracing::warn!(%error, "could not remove expired events; trying again with the next batch");
    }
    match failure {
        None => match txn.commit() {
            Ok(()) => (settles, events, None),
            Err(error) => (settles, Vec::new(), Some(error.to_string())),
        },
        Some(reason) => {
            let _ = txn.abort();
            (settles, Vec::new(), Some(reason))
        }
    }
}

/// Removes events whose time is up, oldest first, as DynamoDB's TTL does (a bounded number per
/// batch: a backlog drains over the next batches).
fn sweep_expired(txn: &WriteTransaction, now: u64) -> Result<(), redb::Error> {
    let mut expiry = txn.open_table(EVENT_EXPIRY)?;
    let due: Vec<Vec<u8>> = expiry
        .range::<&[u8]>(..now.to_be_bytes().as_slice())?
        .take(SWEEP_LIMIT)
        .map(|row| row.map(|(key, _)| key.value().to_vec()))
        .collect::<Result<_, _>>()?;
    if due.is_empty() {
        return Ok(());
    }
    let mut events = txn.open_table(EVENTS)?;
    for key in &due {
        expiry.remove(key.as_slice())?;
        events.remove(&key[8..])?;
    }
    Ok(())
}

fn failed(error: impl Into<redb::Error>) -> Error {
    Error::unavailable("write the shop file", error.into())
}

#[cfg(test)]
mod tests;

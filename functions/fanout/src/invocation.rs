//! What fan-out is invoked with, and how big a shard it makes.

use std::num::NonZeroUsize;

use aws_lambda_events::sns::SnsEvent;
use bookworm_domain::Error;
use bookworm_domain::ports::Shard;
use bookworm_lambda::SHARD_PAYLOAD_KEY;
use serde::de::Error as _;

/// An SNS batch of shop events from the topic, or a shard another fan-out handed over.
#[derive(Debug, Clone)]
pub enum Invocation {
    Sns(SnsEvent),
    Shard(Box<Shard>),
}

impl From<SnsEvent> for Invocation {
    fn from(batch: SnsEvent) -> Self {
        Self::Sns(batch)
    }
}

impl From<Shard> for Invocation {
    fn from(shard: Shard) -> Self {
        Self::Shard(Box::new(shard))
    }
}

/// Told apart by their one telling key (`Records`, or [`SHARD_PAYLOAD_KEY`]), so that a
/// payload that is neither is refused naming both rather than with serde's "no variant matched".
impl<'de> serde::Deserialize<'de> for Invocation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut payload = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        if payload.contains_key("Records") {
            let batch = serde_json::from_value(serde_json::Value::Object(payload));
            return batch.map(Self::Sns).map_err(|e| D::Error::custom(format!("an SNS event: {e}")));
        }
        if let Some(shard) = payload.remove(SHARD_PAYLOAD_KEY) {
            let shard = serde_json::from_value(shard);
            return shard.map(Shard::into).map_err(|e| D::Error::custom(format!("a fan-out shard: {e}")));
        }
        Err(D::Error::custom(format!(
            "neither an SNS event (\"Records\") nor a fan-out shard (\"{}\"): keys {:?}",
            SHARD_PAYLOAD_KEY,
            payload.keys().collect::<Vec<_>>()
        )))
    }
}

/// The most connections one invocation pushes to before it hands the rest over, a page each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSize(NonZeroUsize);

impl ShardSize {
    /// 1,000 posts, 64 at a time at ~20 ms each, take one invocation about 0.3 s.
    pub const DEFAULT: Self = Self(NonZeroUsize::new(1_000).unwrap());

    pub fn new(size: usize) -> Result<Self, Error> {
        match NonZeroUsize::new(size) {
            Some(size) if size.get() <= Shard::MAX_LISTENERS => Ok(Self(size)),
            _ => Err(Error::invalid(
                "FANOUT_SHARD_SIZE",
                format!("must be 0 (no sharding) or 1 to {}", Shard::MAX_LISTENERS),
            )),
        }
    }

    /// From `FANOUT_SHARD_SIZE`'s value: unset is [`Self::DEFAULT`]; `0` turns sharding off
    /// (`None`: every connection from the invocation that got the event, as before sharding).
    pub fn from_setting(value: Option<&str>) -> Result<Option<Self>, Error> {
        let Some(value) = value else { return Ok(Some(Self::DEFAULT)) };
        match value.trim().parse::<usize>() {
            Ok(0) => Ok(None),
            Ok(size) => Self::new(size).map(Some),
            Err(_) => Self::new(0).map(Some),
        }
    }

    pub fn get(self) -> NonZeroUsize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shard_size_setting() {
        assert_eq!(ShardSize::from_setting(None).unwrap(), Some(ShardSize::DEFAULT));
        assert_eq!(ShardSize::from_setting(Some("0")).unwrap(), None, "0 turns sharding off");
        assert_eq!(ShardSize::from_setting(Some(" 3 ")).unwrap().map(|s| s.get().get()), Some(3));
        assert_eq!(ShardSize::from_setting(Some("2000")).unwrap().map(|s| s.get().get()), Some(2_000));
        for bad in ["2001", "-1", "many", ""] {
            let error = ShardSize::from_setting(Some(bad)).unwrap_err().to_string();
            assert!(error.contains("FANOUT_SHARD_SIZE"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_payload_that_is_neither_is_refused_naming_both() {
        let error = serde_json::from_str::<Invocation>(r#"{"detail": {}}"#).unwrap_err().to_string();
        assert!(error.contains("Records") && error.contains(SHARD_PAYLOAD_KEY), "{error}");
        let error = serde_json::from_str::<Invocation>(r#"{"fanout_shard": {"number": 1}}"#).unwrap_err();
        assert!(error.to_string().contains("a fan-out shard"), "{error}");
        assert!(serde_json::from_str::<Invocation>("[]").is_err());
    }
}

//! The authorizer's verdicts, cached per `Authorization` header for the template's
//! `ReauthorizeEvery`, as API Gateway does: within that time a token is verified once, and
//! the functions re-check its expiry from the context themselves.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Tokens remembered at most: the cache never grows with the number of callers.
const MAX_ENTRIES: usize = 10_000;

pub struct Verdicts {
    ttl: Duration,
    cached: Mutex<HashMap<String, (Instant, Value)>>,
}

impl Verdicts {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, cached: Mutex::new(HashMap::new()) }
    }

    /// The cached verdict for `identity` (the header's value), if still fresh.
    pub fn get(&self, identity: &str) -> Option<Value> {
        let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        cached.get(identity).filter(|(until, _)| *until > Instant::now()).map(|(_, verdict)| verdict.clone())
    }

    /// Remembers `verdict` for `identity`; when full, the stale entries go first, then all.
    pub fn put(&self, identity: &str, verdict: &Value) {
        if self.ttl.is_zero() {
            return;
        }
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.len() >= MAX_ENTRIES {
            let now = Instant::now();
            cached.retain(|_, (until, _)| *until > now);
            if cached.len() >= MAX_ENTRIES {
                cached.clear();
            }
        }
        cached.insert(identity.to_owned(), (Instant::now() + self.ttl, verdict.clone()));
    }

    pub fn len(&self) -> usize {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_served_until_its_time_is_up() {
        let verdicts = Verdicts::new(Duration::from_millis(50));
        verdicts.put("Bearer a", &serde_json::json!({ "user_id": "ann" }));
        assert_eq!(verdicts.get("Bearer a"), Some(serde_json::json!({ "user_id": "ann" })));
        assert_eq!(verdicts.get("Bearer b"), None, "per header value");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(verdicts.get("Bearer a"), None, "stale");
    }

    #[test]
    fn no_ttl_caches_nothing_and_the_cache_stays_within_its_cap() {
        let off = Verdicts::new(Duration::ZERO);
        off.put("Bearer a", &Value::Null);
        assert!(off.is_empty());
        let verdicts = Verdicts::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 5 {
            verdicts.put(&format!("Bearer {i}"), &Value::Null);
        }
        assert!(verdicts.len() <= MAX_ENTRIES);
    }
}

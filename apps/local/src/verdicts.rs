//! The authorizer's verdicts, cached per `Authorization` header for the template's
//! `ReauthorizeEvery`, as API Gateway does: within that time a token is verified once, and
//! the functions re-check its expiry from the context themselves.
//!
//! Only verdicts on well-formed tokens (a bearer JWT: three base64url parts) are kept, and the
//! cache is bounded in bytes: random 390 KB "tokens" once grew the process to gigabytes.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the cache may hold, keys and verdicts together (a token and its verdict: about 1 KB).
const MAX_BYTES: usize = 4 * 1024 * 1024;
/// A map entry's own cost beside its key and verdict: the instant, the hash slot, allocations.
const ENTRY_OVERHEAD: usize = 128;

pub struct Verdicts {
    ttl: Duration,
    cached: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<String, Entry>,
    bytes: usize,
}

struct Entry {
    until: Instant,
    verdict: Value,
    bytes: usize,
}

impl Verdicts {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, cached: Mutex::default() }
    }

    /// The cached verdict for `identity` (the header's value), if still fresh.
    pub fn get(&self, identity: &str) -> Option<Value> {
        let cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cached.entries.get(identity).filter(|entry| entry.until > Instant::now())?;
        Some(entry.verdict.clone())
    }

    /// Remembers `verdict` for `identity` if it names a well-formed token; when full, the stale
    /// entries go first, then all.
    pub fn put(&self, identity: &str, verdict: &Value) {
        if self.ttl.is_zero() || !is_bearer_jwt(identity) {
            return;
        }
        let bytes = identity.len() + verdict.to_string().len() + ENTRY_OVERHEAD;
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached.bytes + bytes > MAX_BYTES {
            let now = Instant::now();
            cached.entries.retain(|_, entry| entry.until > now);
            cached.bytes = cached.entries.values().map(|entry| entry.bytes).sum();
            if cached.bytes + bytes > MAX_BYTES {
                cached.entries = HashMap::new();
                cached.bytes = 0;
            }
        }
        let entry = Entry { until: Instant::now() + self.ttl, verdict: verdict.clone(), bytes };
        cached.bytes += bytes;
        if let Some(replaced) = cached.entries.insert(identity.to_owned(), entry) {
            cached.bytes -= replaced.bytes;
        }
    }

    pub fn len(&self) -> usize {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the cache holds, by its own count.
    pub fn bytes(&self) -> usize {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).bytes
    }
}

/// `Bearer` and a JWS in compact form: three non-empty base64url parts.
fn is_bearer_jwt(identity: &str) -> bool {
    let Some((scheme, token)) = identity.trim().split_once(' ') else {
        return false;
    };
    let base64url = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    };
    let parts: Vec<&str> = token.trim().split('.').collect();
    scheme.eq_ignore_ascii_case("bearer") && parts.len() == 3 && parts.into_iter().all(base64url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2ln";

    #[test]
    fn a_verdict_is_served_until_its_time_is_up() {
        let verdicts = Verdicts::new(Duration::from_millis(50));
        verdicts.put(TOKEN, &serde_json::json!({ "user_id": "ann" }));
        assert_eq!(verdicts.get(TOKEN), Some(serde_json::json!({ "user_id": "ann" })));
        assert_eq!(verdicts.get("Bearer a.b.d"), None, "per header value");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(verdicts.get(TOKEN), None, "stale");
    }

    #[test]
    fn only_bearer_jwts_are_cached() {
        let verdicts = Verdicts::new(Duration::from_secs(60));
        for identity in
            ["Bearer a", "Bearer a.b", "Bearer a.b.c.d", "Bearer a..c", "Basic a.b.c", "Bearer a.b.c!"]
        {
            verdicts.put(identity, &Value::Null);
        }
        assert!(verdicts.is_empty());
        verdicts.put("bearer a.b.c", &Value::Null);
        assert_eq!(verdicts.len(), 1);
    }

    #[test]
    fn no_ttl_caches_nothing_and_the_cache_stays_within_its_bytes() {
        let off = Verdicts::new(Duration::ZERO);
        off.put(TOKEN, &Value::Null);
        assert!(off.is_empty());
        let verdicts = Verdicts::new(Duration::from_secs(60));
        let padding = "a".repeat(8 * 1024);
        for i in 0..1000 {
            verdicts.put(&format!("Bearer {padding}.{i}.c"), &Value::Null);
            assert!(verdicts.bytes() <= MAX_BYTES);
        }
        assert!(verdicts.len() > 100, "{} entries: the bound is in bytes, not a small count", verdicts.len());
        verdicts.put(TOKEN, &Value::Null);
        verdicts.put(TOKEN, &Value::Null);
        let one = TOKEN.len() + "null".len() + ENTRY_OVERHEAD;
        assert!(verdicts.bytes() >= one && verdicts.len() > 1, "a replaced entry is counted once");
    }
}

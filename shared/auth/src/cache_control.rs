//! Reading how long a response says it stays fresh: its `Cache-Control` (RFC 9111 §5.2.2:
//! `max-age`, `no-store`, `no-cache`) less its `Age`. Only the parsing lives here; how long a
//! JWKS is actually trusted (defaults, bounds) is [`crate::RemoteJwks`]'s policy.
//!
//! A small parser of our own: no crate in the tree parses `Cache-Control` (hyperium's `headers`
//! is not a dependency), and only three directives matter to us.

/// The seconds a response says it stays fresh from now, or `None` when it says nothing we can
/// read (no header, or no readable `max-age`, `no-store` or `no-cache` in it).
///
/// `no-store` and unqualified `no-cache` count as zero: the issuer asks us not to reuse the set.
/// When directives disagree (several `max-age`s, or `max-age` with `no-cache`) the shortest wins:
/// trusting a set too briefly costs a fetch, too long keeps a withdrawn key alive. An `Age` (a
/// CDN's copy has been cached that long already) is subtracted, as RFC 9111 §4.2.3 does.
pub(crate) fn fresh_for<'a>(
    cache_control: impl IntoIterator<Item = &'a str>,
    age: Option<&str>,
) -> Option<u64> {
    let stated = cache_control
        .into_iter()
        .flat_map(directives)
        .filter_map(|directive| {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument)),
                None => (directive, None),
            };
            if name.eq_ignore_ascii_case("max-age") {
                argument.and_then(delta_seconds)
            } else if argument.is_none()
                && (name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache"))
            {
                // `no-cache="set-cookie"` (with an argument) only restricts the named headers.
                Some(0)
            } else {
                None
            }
        })
        .min()?;
    Some(stated.saturating_sub(age.and_then(delta_seconds).unwrap_or(0)))
}

/// The comma-separated directives of one header value, trimmed; commas inside quoted strings
/// (`no-cache="a, b"`) do not separate.
fn directives(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (index, character) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match character {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&value[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().map(str::trim).filter(|part| !part.is_empty())
}

/// RFC 9111 delta-seconds: ASCII digits only (quoted ones tolerated, as §5.2 asks of
/// recipients). Too many digits to hold is a very long time, not an error (§1.2.2).
fn delta_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.strip_prefix('"').and_then(|text| text.strip_suffix('"')).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(values: &[&str]) -> Option<u64> {
        fresh_for(values.iter().copied(), None)
    }

    #[test]
    fn max_age_is_read_case_insensitively_among_other_directives() {
        assert_eq!(read(&["max-age=600"]), Some(600));
        assert_eq!(read(&["public, max-age=21600, must-revalidate"]), Some(21600));
        assert_eq!(read(&["Public,MAX-AGE=60"]), Some(60));
        assert_eq!(read(&["  max-age = 60 "]), Some(60), "whitespace around the parts");
        assert_eq!(read(&["max-age=\"60\""]), Some(60), "quoted, as recipients should accept");
    }

    #[test]
    fn no_store_and_no_cache_mean_zero_and_the_shortest_statement_wins() {
        assert_eq!(read(&["no-store"]), Some(0));
        assert_eq!(read(&["no-cache"]), Some(0));
        assert_eq!(read(&["private, no-cache, max-age=600"]), Some(0));
        assert_eq!(read(&["max-age=600, max-age=60"]), Some(60));
        assert_eq!(read(&["max-age=600", "max-age=30"]), Some(30), "over several header lines");
        assert_eq!(read(&["max-age=0"]), Some(0));
    }

    #[test]
    fn a_qualified_no_cache_restricts_only_its_headers_and_its_quoted_commas_do_not_split() {
        assert_eq!(read(&["no-cache=\"set-cookie\", max-age=300"]), Some(300));
        assert_eq!(read(&["no-cache=\"set-cookie, max-age=1\", max-age=300"]), Some(300));
        assert_eq!(read(&["private=\"a\\\", max-age=1\", max-age=300"]), Some(300), "escaped quote");
    }

    #[test]
    fn nothing_readable_is_none_so_the_caller_picks_its_default() {
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[""]), None);
        assert_eq!(read(&["public, immutable"]), None);
        for unreadable in ["max-age", "max-age=", "max-age=soon", "max-age=-5", "max-age=1.5", "max-age=+5"] {
            assert_eq!(read(&[unreadable]), None, "{unreadable}");
        }
        assert_eq!(read(&["no-store=1"]), None, "no-store takes no argument");
        assert_eq!(read(&["s-maxage=60"]), None, "for shared caches, not us");
    }

    #[test]
    fn an_age_too_large_to_hold_is_very_long_not_unreadable() {
        assert_eq!(read(&["max-age=99999999999999999999999"]), Some(u64::MAX));
    }

    #[test]
    fn the_age_of_a_cached_copy_is_subtracted() {
        assert_eq!(fresh_for(["max-age=600"], Some("90")), Some(510));
        assert_eq!(fresh_for(["max-age=600"], Some("900")), Some(0), "older than its max age");
        assert_eq!(fresh_for(["max-age=600"], Some("recently")), Some(600), "an unreadable age is ignored");
        assert_eq!(fresh_for([], Some("90")), None, "no max age: nothing to subtract from");
    }
}

//! Which indexed words a query word matches: itself, a word within its typo allowance, and for
//! the last word of the query also any word it begins (in the fields that allow prefixes). The
//! query builder asks tantivy for exactly these rules; the highlighter applies them to the
//! stored text, field by field, so what is marked is what matched.

use bookworm_domain::Error;
use bookworm_domain::search::QUERY_WORDS_MAX;

use crate::schema::analyzer;

/// Words shorter than this must be typed exactly: one edit in "cat" is another word.
const ONE_TYPO_FROM: usize = 4;
/// From this length two edits are allowed ("prejudise", "shakespere").
const TWO_TYPOS_FROM: usize = 8;
/// The last word matches words it begins only from this length: a one-letter prefix matches
/// too much of the dictionary to rank anything.
pub const PREFIX_FROM: usize = 2;

/// The edits (insertions, deletions, substitutions, swaps of neighbours) a word may differ by.
/// None in numbers: a year or a volume one digit off is another book, not a typo.
pub fn typos_allowed(word: &str) -> u8 {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return 0;
    }
    match word.chars().count() {
        n if n >= TWO_TYPOS_FROM => 2,
        n if n >= ONE_TYPO_FROM => 1,
        _ => 0,
    }
}

/// The analyzed words of a query, and whether the last one is still being typed.
#[derive(Debug, Clone)]
pub struct QueryWords {
    pub words: Vec<String>,
    /// The last word may be the start of a longer one.
    pub last_is_prefix: bool,
}

impl QueryWords {
    /// `text` analyzed as the index analyzes titles. The last word is a prefix unless the text
    /// ends in white space or punctuation (the shopper finished it). The API refuses more than
    /// [`QUERY_WORDS_MAX`] words between white space (`bookworm_domain::search::check_text`,
    /// which its schema states); the analyzer also splits at punctuation (`a-b-c` is three),
    /// which no schema pattern can state, so of those only the first [`QUERY_WORDS_MAX`] are
    /// searched (finished words: the text goes on after the last one kept).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut words = crate::schema::words(text);
        let cut = words.len() > QUERY_WORDS_MAX;
        words.truncate(QUERY_WORDS_MAX);
        let finished = cut || text.ends_with(|c: char| !c.is_alphanumeric());
        let last_is_prefix = !finished && words.last().is_some_and(|w| w.chars().count() >= PREFIX_FROM);
        Ok(Self { words, last_is_prefix })
    }

    /// Whether `token` (analyzed) matches query word `index` in a field where the last word
    /// may match as a prefix (`prefixes`) or not.
    pub fn matches(&self, index: usize, token: &str, prefixes: bool) -> bool {
        let word = &self.words[index];
        token == word
            || (prefixes
                && self.last_is_prefix
                && index + 1 == self.words.len()
                && token.starts_with(word.as_str()))
            || within(word, token, typos_allowed(word))
    }

    /// Whether every query word matches some word of `text`: a completion must contain them all.
    pub fn all_match(&self, text: &str) -> bool {
        let tokens = crate::schema::words(text);
        (0..self.words.len()).all(|i| tokens.iter().any(|t| self.matches(i, t, true)))
    }

    /// `text` HTML-escaped with every matching word in `<mark>`; `None` when nothing matches.
    pub fn mark(&self, text: &str, prefixes: bool) -> Option<String> {
        let spans = self.spans(text, prefixes);
        (!spans.is_empty()).then(|| marked(text, &spans))
    }

    /// An excerpt of about `width` characters around the first match, marked as [`mark`] does
    /// (in a field without prefixes), with an ellipsis where the text was cut.
    pub fn excerpt(&self, text: &str, width: usize) -> Option<String> {
        let spans = self.spans(text, false);
        let first = spans.first()?.0;
        if text.chars().count() <= width {
            return Some(marked(text, &spans));
        }
        // Start a third of the way before the match, at a word boundary.
        let lead = (width / 3).max(1);
        let before: Vec<(usize, char)> = text[..first].char_indices().collect();
        let mut start = before.len().checked_sub(lead).map_or(0, |i| before[i].0);
        if start > 0 {
            start = text[start..first].find(' ').map_or(start, |space| start + space + 1);
        }
        let end = text[start..].char_indices().nth(width).map_or(text.len(), |(i, _)| start + i);
        let end =
            if end < text.len() { text[..end].rfind(' ').filter(|&e| e > first).unwrap_or(end) } else { end };
        let inside: Vec<(usize, usize)> = spans
            .iter()
            .filter(|(from, to)| *from >= start && *to <= end)
            .map(|(from, to)| (from - start, to - start))
            .collect();
        let mut excerpt = String::new();
        if start > 0 {
            excerpt.push('…');
        }
        excerpt.push_str(&marked(&text[start..end], &inside));
        if end < text.len() {
            excerpt.push('…');
        }
        Some(excerpt)
    }

    /// Byte ranges of the words of `text` that match.
    fn spans(&self, text: &str, prefixes: bool) -> Vec<(usize, usize)> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut spans = Vec::new();
        while stream.advance() {
            let token = stream.token();
            if (0..self.words.len()).any(|i| self.matches(i, &token.text, prefixes)) {
                spans.push((token.offset_from, token.offset_to));
            }
        }
        spans
    }
}

fn marked(text: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len() + spans.len() * 13);
    let mut at = 0;
    for &(from, to) in spans {
        out.push_str(&escape(&text[at..from]));
        out.push_str("<mark>");
        out.push_str(&escape(&text[from..to]));
        out.push_str("</mark>");
        at = to;
    }
    out.push_str(&escape(&text[at..]));
    out
}

/// HTML-escapes text for use in an element or an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `a` and `b` are at most `max` edits apart, a swap of neighbours counting as one
/// (optimal string alignment, as tantivy's Levenshtein automata count).
fn within(a: &str, b: &str, max: u8) -> bool {
    let max = usize::from(max);
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if max == 0 || a.len().abs_diff(b.len()) > max {
        return false;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    rows[1] = (0..width).collect();
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[current][0] = i;
        let mut best = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d =
                (rows[previous][j] + 1).min(rows[current][j - 1] + 1).min(rows[previous][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = d;
            best = best.min(d);
        }
        if best > max {
            return false;
        }
    }
    rows[a.len() % 3][b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_allowance_grows_with_the_word() {
        assert_eq!([typos_allowed("cat"), typos_allowed("emma"), typos_allowed("prejudice")], [0, 1, 2]);
        assert!(within("prejudise", "prejudice", 2));
        assert!(within("austne", "austen", 1), "a swap of neighbours is one edit");
        assert!(!within("cat", "cot", 0));
        assert!(!within("dickens", "dockers", 1));
        assert!(within("shakespere", "shakespeare", 2));
        assert_eq!(typos_allowed("1984"), 0, "numbers are typed exactly");
    }

    #[test]
    fn only_the_last_unfinished_word_matches_as_a_prefix() {
        let typing = QueryWords::parse("sherlock hol").unwrap();
        assert!(typing.last_is_prefix && typing.matches(1, "holmes", true));
        assert!(!typing.matches(1, "holmes", false), "not in a field without prefixes");
        assert!(!typing.matches(0, "sherlockian", true), "an earlier word is complete (and 3 edits away)");
        assert!(!QueryWords::parse("hol ").unwrap().last_is_prefix, "a trailing space finishes the word");
        assert!(!QueryWords::parse("h").unwrap().last_is_prefix, "one letter is too short a prefix");
        let cut = QueryWords::parse(&format!("{}abcd", "ab-".repeat(12))).unwrap();
        assert_eq!(cut.words, vec!["ab"; 12], "13 words once split on punctuation: the first 12 count");
        assert!(!cut.last_is_prefix, "the text went on after the last word kept");
    }

    #[test]
    fn marks_are_escaped_and_cover_the_matched_words_only() {
        let words = QueryWords::parse("tom sawy").unwrap();
        assert_eq!(
            words.mark("The <Adventures> of Tom Sawyer & co", true).unwrap(),
            "The &lt;Adventures&gt; of <mark>Tom</mark> <mark>Sawyer</mark> &amp; co"
        );
        assert_eq!(words.mark("Huckleberry Finn", true), None);
        assert!(words.all_match("Tom Sawyer, Detective"));
        assert!(!words.all_match("Tom Jones"));
    }

    #[test]
    fn an_excerpt_centres_on_the_first_match_and_says_where_it_was_cut() {
        let text = format!("{} whale {}", "sea ".repeat(60), "wave ".repeat(60));
        let excerpt = QueryWords::parse("whale ").unwrap().excerpt(&text, 80).unwrap();
        assert!(excerpt.starts_with('…') && excerpt.ends_with('…'), "{excerpt}");
        assert!(excerpt.contains("<mark>whale</mark>"), "{excerpt}");
        assert!(excerpt.chars().count() <= 80 + 2 + 13, "{excerpt}");
        assert_eq!(
            QueryWords::parse("whale").unwrap().excerpt("a whale", 80).unwrap(),
            "a <mark>whale</mark>"
        );
        assert!(
            QueryWords::parse("wha").unwrap().excerpt("a whale", 80).is_none(),
            "no prefixes in descriptions"
        );
        assert!(
            QueryWords::parse("whale").unwrap().excerpt(&text, 1).is_some(),
            "a tiny width cuts, never panics"
        );
    }
}

//! The one rule for text people write and others read (names, titles, reviews, product names,
//! queries): at most so many characters as sent; no control characters (line breaks and tabs
//! only where the field is multi-line); no bidirectional overrides or isolates; trimmed; and
//! blank when it is only spaces or invisible characters.

use crate::Error;

/// Whether line breaks and tabs belong in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Checked, trimmed text that must be there: blank is "is required".
pub fn required(field: &str, text: &str, max: usize, lines: Lines) -> Result<String, Error> {
    optional(field, text, max, lines)?.ok_or_else(|| Error::invalid(field, "is required"))
}

/// Checked, trimmed text; `None` when blank.
pub fn optional(field: &str, text: &str, max: usize, lines: Lines) -> Result<Option<String>, Error> {
    // Lengths count what was sent, before trimming: what the API's schemas state.
    if text.chars().count() > max {
        return Err(Error::invalid(field, format!("must be at most {max} characters")));
    }
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        let what = match lines {
            Lines::One => "control characters",
            Lines::Many => "control characters other than line breaks and tabs",
        };
        return Err(Error::invalid(field, format!("must not contain {what}")));
    }
    if text.chars().any(is_direction_override) {
        return Err(Error::invalid(field, "must not contain bidirectional override or isolate characters"));
    }
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// The same text made safe to show when it cannot be refused (a name from a token): control
/// characters and overrides dropped, at most `max` characters.
pub fn displayable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control() && !is_direction_override(*c)).take(max).collect()
}

/// Unicode's explicit embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they
/// make text display in another order than it reads ("Trojan Source"), so a field could show
/// words it does not contain. Ordinary right-to-left text needs none of them.
fn is_direction_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing and are not white space: zero-width spaces and joiners,
/// direction marks, the word joiner and invisible operators, the byte-order mark, the soft
/// hyphen, the combining grapheme joiner, the Mongolian vowel separator and the Hangul fillers.
/// Inside text some do work (a joiner in an emoji); at its ends, or alone, they only hide.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(result: Result<Option<String>, Error>) -> String {
        match result {
            Err(Error::Invalid(errors)) => format!("{}: {}", errors[0].field, errors[0].message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_blank_is_none() {
        assert_eq!(optional("f", "  Emma  ", 10, Lines::One).unwrap(), Some("Emma".into()));
        assert_eq!(optional("f", " \u{FEFF}\u{200B} ", 10, Lines::One).unwrap(), None, "invisible only");
        assert_eq!(optional("f", "\u{FEFF}Emma\u{200D}", 10, Lines::One).unwrap(), Some("Emma".into()));
        assert_eq!(
            optional("f", "👩\u{200D}💻", 10, Lines::One).unwrap(),
            Some("👩\u{200D}💻".into()),
            "a joiner inside stays"
        );
        assert_eq!(refusal(required("name", "\u{FEFF}", 10, Lines::One).map(Some)), "name: is required");
    }

    #[test]
    fn controls_and_overrides_are_refused() {
        for text in ["x\u{0}y", "x\u{1b}y", "x\u{7f}", "a\nb"] {
            assert_eq!(
                refusal(optional("name", text, 10, Lines::One)),
                "name: must not contain control characters",
                "{text:?}"
            );
        }
        assert!(optional("comment", "a\nb\tc\r\n", 10, Lines::Many).unwrap().is_some());
        assert!(refusal(optional("comment", "a\u{0}", 10, Lines::Many)).contains("other than line breaks"));
        for text in ["\u{202E}evil", "a\u{2066}b\u{2069}"] {
            assert!(refusal(optional("name", text, 10, Lines::Many)).contains("bidirectional"), "{text:?}");
        }
        assert_eq!(
            optional("name", "שלום עולם", 10, Lines::One).unwrap(),
            Some("שלום עולם".into()),
            "right-to-left text is fine"
        );
    }

    #[test]
    fn lengths_count_characters_as_sent() {
        assert!(optional("f", &"é".repeat(5), 5, Lines::One).is_ok());
        assert_eq!(
            refusal(optional("f", &format!(" {}", "a".repeat(5)), 5, Lines::One)),
            "f: must be at most 5 characters"
        );
    }

    #[test]
    fn displayable_text_drops_what_cannot_be_shown() {
        assert_eq!(displayable("\u{202E}nimda\u{0}", 3), "nim");
    }
}

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

impl Lines {
    /// The control characters the field takes: line breaks and tabs, in a multi-line one.
    fn allows(self, c: char) -> bool {
        self == Lines::Many && LINE_BREAKS_AND_TABS.contains(&c)
    }
}

const LINE_BREAKS_AND_TABS: [char; 3] = ['\t', '\n', '\r'];

/// Unicode's control characters (category Cc, what [`char::is_control`] means).
const CONTROLS: [(char, char); 2] = [('\u{0}', '\u{1F}'), ('\u{7F}', '\u{9F}')];

/// Unicode's explicit embeddings, overrides and isolates: see [`is_direction_override`].
const DIRECTION_OVERRIDES: [(char, char); 2] = [('\u{202A}', '\u{202E}'), ('\u{2066}', '\u{2069}')];

/// Unicode's White_Space characters (what [`char::is_whitespace`] means), controls aside.
const SPACES: [(char, char); 8] = [
    (' ', ' '),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// Characters that show nothing and are not white space: see [`is_invisible`].
const INVISIBLES: [(char, char); 9] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
];

fn within(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(first, last)| (first..=last).contains(&c))
}

/// This rule as a JSON Schema `pattern` (ECMA-262, `\uXXXX` escapes only, so every engine
/// reads it alike): no control characters but those `lines` allows, no direction overrides,
/// and when `required`, something besides white space and invisible characters. Lengths are
/// the schema's `maxLength`. The schemas of the fields this rule checks state it with this.
pub fn pattern(lines: Lines, required: bool) -> String {
    let allowed = format!("[^{}]*", refused(lines));
    if required {
        // One character that is neither refused nor blank, anywhere.
        format!("^{allowed}[^{}{}]{allowed}$", refused(lines), blank())
    } else {
        format!("^{allowed}$")
    }
}

/// A one-line text of at most `words` words (separated by white space, as
/// [`str::split_whitespace`] splits), as a `pattern`; whether it is blank is [`blank_pattern`]'s.
pub fn words_pattern(words: usize) -> String {
    let spaces = class(&mut SPACES.into_iter());
    let word = format!("[^{}{spaces}]+", refused(Lines::One));
    format!("^[{spaces}]*(?:{word}[{spaces}]+){{0,{}}}(?:{word}[{spaces}]*)?$", words.saturating_sub(1))
}

/// Text that is blank (only white space and invisible characters), as a `pattern`: what a
/// required field's schema says `not` to.
pub fn blank_pattern() -> String {
    format!("^[{}]*$", blank())
}

/// The characters of `ranges` inside a regex character class.
fn class(ranges: &mut dyn Iterator<Item = (char, char)>) -> String {
    let escape = |c: char| format!("\\u{:04X}", u32::from(c));
    ranges
        .map(
            |(first, last)| {
                if first == last { escape(first) } else { format!("{}-{}", escape(first), escape(last)) }
            },
        )
        .collect()
}

/// What a field with `lines` refuses, inside a character class.
fn refused(lines: Lines) -> String {
    let controls = CONTROLS.iter().flat_map(|&(first, last)| {
        // Split a range around the characters a multi-line field allows.
        let mut pieces = Vec::new();
        let mut start = None;
        for c in first..=last {
            match (lines.allows(c), start) {
                (false, None) => start = Some(c),
                (true, Some(open)) => {
                    pieces.push((open, char::from_u32(u32::from(c) - 1).unwrap_or(open)));
                    start = None;
                }
                _ => {}
            }
        }
        pieces.extend(start.map(|open| (open, last)));
        pieces
    });
    class(&mut controls.chain(DIRECTION_OVERRIDES))
}

/// What blank text is made of, inside a character class: spaces, line breaks and tabs,
/// invisible characters.
fn blank() -> String {
    let breaks = LINE_BREAKS_AND_TABS.into_iter().map(|c| (c, c));
    class(&mut breaks.chain(SPACES).chain(INVISIBLES))
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
    if text.chars().any(|c| c.is_control() && !lines.allows(c)) {
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
    within(&DIRECTION_OVERRIDES, c)
}

/// Characters that show nothing and are not white space: zero-width spaces and joiners,
/// direction marks, the word joiner and invisible operators, the byte-order mark, the soft
/// hyphen, the combining grapheme joiner, the Mongolian vowel separator and the Hangul fillers.
/// Inside text some do work (a joiner in an emoji); at its ends, or alone, they only hide.
fn is_invisible(c: char) -> bool {
    within(&INVISIBLES, c)
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
    fn the_character_lists_are_what_the_standard_library_means() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(c.is_control(), within(&CONTROLS, c), "{c:?}");
            let space = c.is_whitespace() && !c.is_control();
            assert_eq!(space, within(&SPACES, c), "{c:?}");
        }
    }

    #[test]
    fn the_patterns_say_which_controls_a_field_takes() {
        let one = pattern(Lines::One, false);
        assert!(one.starts_with("^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E"), "{one}");
        let many = pattern(Lines::Many, false);
        assert!(many.starts_with("^[^\\u0000-\\u0008\\u000B-\\u000C\\u000E-\\u001F"), "{many}");
        let required = pattern(Lines::One, true);
        assert!(required.contains("\\u0020\\u00A0") && required.contains("\\uFEFF"), "{required}");
    }

    #[test]
    fn displayable_text_drops_what_cannot_be_shown() {
        assert_eq!(displayable("\u{202E}nimda\u{0}", 3), "nim");
    }
}

//! Title normalisation: one canonical, lower-case, accent-free, mostly-ASCII text to match rules against.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Dotted abbreviations ("c.e.o.", "v.p", "p.-d.g.") become one word ("ceo", "vp", "pdg").
static DOTTED: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?-u:\b)[a-z](?:\. ?-?[a-z](?-u:\b))+\.?").ok());

/// Lower case, accents removed, compatibility forms folded, dashes and spaces unified, dotted abbreviations joined.
pub fn normalize(title: &str) -> String {
    let mut text;
    if title.is_ascii() {
        text = title.trim().to_ascii_lowercase();
        if has_odd_spacing(&text) {
            let spaced = std::mem::take(&mut text);
            for c in spaced.chars() {
                push_ascii(&mut text, c);
            }
        }
    } else {
        text = String::with_capacity(title.len() + 8);
        for c in title.nfkd().filter(|c| !is_combining_mark(*c)) {
            match c {
                'ß' => text.push_str("ss"),
                'æ' | 'Æ' => text.push_str("ae"),
                'œ' | 'Œ' => text.push_str("oe"),
                'ø' | 'Ø' => text.push('o'),
                'ł' | 'Ł' => text.push('l'),
                '\u{2010}'..='\u{2015}' | '\u{2212}' => push_ascii(&mut text, '-'),
                '\u{2018}' | '\u{2019}' | '\u{00b4}' => push_ascii(&mut text, '\''),
                c if c.is_whitespace() => push_ascii(&mut text, ' '),
                c => text.extend(c.to_lowercase()),
            }
        }
    }
    let trimmed_end = text.trim_end().len();
    text.truncate(trimmed_end);
    if !text.contains('.') {
        return text;
    }
    match DOTTED.as_ref().map(|re| re.replace_all(&text, |caps: &regex::Captures<'_>| strip_dots(&caps[0]))) {
        Some(Cow::Owned(joined)) => joined,
        _ => text,
    }
}

/// Tabs, newlines or doubled spaces, which `push_ascii` folds.
fn has_odd_spacing(text: &str) -> bool {
    let mut previous_space = false;
    for byte in text.bytes() {
        match byte {
            b' ' if previous_space => return true,
            b' ' => previous_space = true,
            b if b.is_ascii_whitespace() => return true,
            _ => previous_space = false,
        }
    }
    false
}

/// Appends one character, folding runs of white space into one space and dropping leading space.
fn push_ascii(text: &mut String, c: char) {
    let c = if c.is_ascii_whitespace() { ' ' } else { c };
    if c == ' ' && (text.is_empty() || text.ends_with(' ')) {
        return;
    }
    text.push(c);
}

fn strip_dots(abbreviation: &str) -> String {
    abbreviation.chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn folds_case_accents_and_spaces() {
        assert_eq!(normalize("  Directeur   Général "), "directeur general");
        assert_eq!(normalize("Geschäftsführer"), "geschaftsfuhrer");
        assert_eq!(normalize("Großhändler"), "grosshandler");
        assert_eq!(normalize("Vice‐President – Sales"), "vice-president - sales");
        assert_eq!(normalize("ＣＥＯ"), "ceo");
    }

    #[test]
    fn joins_dotted_abbreviations() {
        assert_eq!(normalize("Founder-C.E.O."), "founder-ceo");
        assert_eq!(normalize("V.P. of Sales"), "vp of sales");
        assert_eq!(normalize("P.-D.G."), "pdg");
        assert_eq!(normalize("Sr. Manager"), "sr. manager");
    }
}

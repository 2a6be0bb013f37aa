//! Title normalisation: one canonical, lower-case, accent-free, mostly-ASCII text to match rules against.
//!
//! In order: Unicode compatibility forms folded and accents removed (é -> e, ß -> ss); lower case; quotation marks,
//! asterisks, emoji and other symbols become spaces; dashes and bullets unified; runs of white space and repeated
//! separators folded; German transliterations folded (ae, oe, ue -> a, o, u, so "Geschaeftsfuehrer" and
//! "Geschäftsführer" read alike); gender markers dropped ("Inhaber/-in", "Inhaber*in", "Inhaber:in",
//! "Président(e)", "Fondateur·rice", "Dueño/a" read as the base word); dotted abbreviations joined (c.e.o. -> ceo).
//! Rule patterns go through [`fold_pattern`] so they may be written with either German spelling.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Dotted abbreviations ("c.e.o.", "v.p", "p.-d.g.") become one word ("ceo", "vp", "pdg").
static DOTTED: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?-u:\b)[a-z](?:\. ?-?[a-z](?-u:\b))+\.?").ok());

/// Feminine and inclusive endings written after a marker, longest first: "-in", "*innen", "(e)", "·rice", "/a".
const GENDER_ENDINGS: [&str; 10] = ["innen", "trice", "rice", "euse", "in", "es", "as", "ne", "e", "a"];

/// Lower case, accents removed, compatibility forms folded, punctuation and spaces unified, German
/// transliterations and gender markers folded, dotted abbreviations joined. (The engine calls [`normalize_into`].)
#[cfg(test)]
pub(crate) fn normalize(title: &str) -> String {
    let mut text = String::new();
    normalize_into(title, &mut text);
    text
}

/// [`normalize`] into a buffer the caller reuses, so the usual title (plain ASCII that only needs lower-casing: one
/// copy and one table-driven scan) allocates nothing. Returns the union of the [`CLASS`] bits of the text before
/// markers and dots were dropped (a superset of the result's: `MAY_BREAK_SEGMENT` absent means one segment).
pub(crate) fn normalize_into(title: &str, out: &mut String) -> u8 {
    if title.is_ascii() {
        out.clear();
        out.push_str(title);
        out.make_ascii_lowercase();
        if let Some(seen) = plain_ascii_marks(out.as_bytes()) {
            if seen & (MARKER | DOT) != 0 {
                *out = finish(std::mem::take(out), seen);
            }
            return seen;
        }
    }
    let (text, seen) = normalize_slowly(title);
    *out = text;
    seen
}

/// Character by character: every fold, for titles the plain path refuses.
fn normalize_slowly(title: &str) -> (String, u8) {
    let mut text: Vec<u8> = Vec::with_capacity(title.len() + 8);
    if title.is_ascii() {
        for byte in title.bytes().map(|b| b.to_ascii_lowercase()) {
            if byte.is_ascii_alphanumeric() {
                push_alphanumeric(&mut text, byte);
            } else {
                push_ascii(&mut text, byte);
            }
        }
    } else {
        for c in title.nfkd().filter(|c| !is_combining_mark(*c)) {
            match c {
                'ß' => push_ascii_str(&mut text, "ss"),
                'æ' | 'Æ' => push_ascii_str(&mut text, "ae"),
                'œ' | 'Œ' => push_ascii_str(&mut text, "oe"),
                'ø' | 'Ø' => push_alphanumeric(&mut text, b'o'),
                'ł' | 'Ł' => push_alphanumeric(&mut text, b'l'),
                '\u{2010}'..='\u{2015}' | '\u{2212}' => push_ascii(&mut text, b'-'),
                '\u{2018}' | '\u{2019}' | '\u{00b4}' | '\u{02bc}' => push_ascii(&mut text, b'\''),
                '\u{00b7}' | '\u{2027}' => push_ascii(&mut text, b'.'),
                '\u{2022}' | '\u{2219}' | '\u{25cf}' | '\u{25aa}' => push_ascii(&mut text, b'|'),
                c if c.is_ascii_alphanumeric() => push_alphanumeric(&mut text, c.to_ascii_lowercase() as u8),
                c if c.is_ascii() => push_ascii(&mut text, c as u8),
                c if c.is_whitespace() => push_ascii(&mut text, b' '),
                c if c.is_alphanumeric() => {
                    for lower in c.to_lowercase() {
                        let mut buffer = [0u8; 4];
                        text.extend_from_slice(lower.encode_utf8(&mut buffer).as_bytes());
                    }
                }
                // Quotation marks, emoji and other symbols.
                _ => push_ascii(&mut text, b' '),
            }
        }
    }
    while matches!(text.last(), Some(b' ' | b'\'')) {
        text.pop();
    }
    let seen = text.iter().fold(0, |seen, &byte| seen | CLASS[usize::from(byte)]);
    // Only whole characters were pushed, so the bytes are UTF-8.
    (finish(String::from_utf8(text).unwrap_or_default(), seen), seen)
}

/// Gender markers dropped and dotted abbreviations joined; `seen` is the union of the text's byte classes, so a text
/// without a marker or a dot is not scanned again.
fn finish(text: String, seen: u8) -> String {
    let text = if seen & MARKER != 0 { drop_gender_markers(text) } else { text };
    if seen & DOT == 0 {
        return text;
    }
    match DOTTED.as_ref().map(|re| re.replace_all(&text, |caps: &regex::Captures<'_>| strip_dots(&caps[0]))) {
        Some(Cow::Owned(joined)) => joined,
        _ => text,
    }
}

/// Byte classes, as bits of [`CLASS`]: a character that may start a gender marker ("/", ":", "_", "(", "."), the
/// dot itself, and what may break a title into segments (see `segments`).
const MARKER: u8 = 1;
const DOT: u8 = 2;
pub(crate) const MAY_BREAK_SEGMENT: u8 = 4;

/// The class bits of every byte.
const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let markers = b"/:_(.";
    let mut i = 0;
    while i < markers.len() {
        table[markers[i] as usize] |= MARKER;
        i += 1;
    }
    table[b'.' as usize] |= DOT;
    let breaks = b",;/|()[]:-";
    i = 0;
    while i < breaks.len() {
        table[breaks[i] as usize] |= MAY_BREAK_SEGMENT;
        i += 1;
    }
    table
};

/// Whether a byte, after the byte before it, sends a lower-cased ASCII title to the character-by-character path:
/// a byte needing care (quotation marks, the star, the tilde, the apostrophe, white space other than a single
/// space, any non-ASCII byte), the "e" of a German transliteration (ae, oe, ue), or a separator repeated ("||",
/// "--", two spaces). Indexed by `previous << 8 | byte`.
static REFUSED_AFTER: [bool; 65536] = {
    let mut table = [false; 65536];
    let mut previous = 0;
    while previous < 256 {
        let mut byte = 0;
        while byte < 256 {
            let needs_care = byte >= 0x80
                || matches!(byte as u8, b'"' | b'`' | b'*' | b'~' | b'\'' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
            let transliterated_e = byte == b'e' as usize && matches!(previous as u8, b'a' | b'o' | b'u');
            let repeated = byte == previous
                && matches!(byte as u8, b' ' | b'|' | b'-' | b',' | b';' | b'/' | b':' | b'.' | b'_' | b'+');
            table[previous << 8 | byte] = needs_care || transliterated_e || repeated;
            byte += 1;
        }
        previous += 1;
    }
    table
};

/// A lookup table that is true for each of `bytes` (a test per byte without a search).
pub(crate) const fn byte_table(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// For lower-case ASCII that `push_alphanumeric`/`push_ascii` would copy unchanged (nothing to fold, no separator or
/// space repeated, no space at either end, no German transliteration): the union of its byte classes; else `None`.
fn plain_ascii_marks(bytes: &[u8]) -> Option<u8> {
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return None;
    }
    // Without early exits, so the loop has no unpredictable branch.
    let mut refused = false;
    let mut seen = 0u8;
    let mut previous = 0usize;
    for &byte in bytes {
        let byte = usize::from(byte);
        refused |= REFUSED_AFTER[previous << 8 | byte];
        seen |= CLASS[byte];
        previous = byte;
    }
    (!refused).then_some(seen)
}

fn push_ascii_str(text: &mut Vec<u8>, s: &str) {
    s.bytes().for_each(|b| push_alphanumeric(text, b));
}

/// Appends a lower-case letter or digit; the "e" of a German transliteration (ae, oe, ue) is dropped.
#[inline]
fn push_alphanumeric(text: &mut Vec<u8>, byte: u8) {
    if byte == b'e' && matches!(text.last(), Some(b'a' | b'o' | b'u')) {
        return;
    }
    text.push(byte);
}

/// Appends an ASCII character that is not a letter or digit: quotation marks and asterisks become spaces (a star
/// after a word is the German gender marker, read as "/"), an apostrophe stays only between letters
/// ("d'administration"), runs of white space fold to one space (none leading), and a separator repeated at once is
/// written once ("||", "--").
fn push_ascii(text: &mut Vec<u8>, byte: u8) {
    let previous = text.last().copied();
    let byte = match byte {
        b'*' if previous.is_some_and(|p| p.is_ascii_alphanumeric()) => b'/',
        b'"' | b'`' | b'*' => b' ',
        b'~' => b'|',
        b if b.is_ascii_whitespace() => b' ',
        b => b,
    };
    // An apostrophe not followed by a letter was a quotation mark.
    if previous == Some(b'\'') {
        text.pop();
        return push_ascii(text, byte);
    }
    match (previous, byte) {
        (None | Some(b' '), b' ' | b'\'') => {}
        (Some(p), b'\'') if !p.is_ascii_alphanumeric() => {}
        (Some(p), b) if p == b && matches!(b, b'|' | b'-' | b',' | b';' | b'/' | b':' | b'.' | b'_' | b'+') => {}
        _ => text.push(byte),
    }
}

/// Drops a feminine or inclusive ending written after a marker: "inhaber/-in", "inhaber*in" (the star is a slash
/// by now), "inhaber:in", "inhaber_in", "president(e)", "fondateur.rice", "dueno/a"; the base word stays.
/// An ending followed by a letter, digit or dash is a word of its own ("sales/e-commerce") and stays.
fn drop_gender_markers(text: String) -> String {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 1;
    while i < bytes.len() {
        let marker_len = match (bytes[i], bytes.get(i + 1)) {
            (b'/', Some(b'-')) => 2,
            (b'/' | b':' | b'_' | b'(' | b'.', _) => 1,
            _ => 0,
        };
        // The marker follows a word of two letters or more (not the dots of "c.e.o.").
        if marker_len == 0 || i < 2 || !bytes[i - 1].is_ascii_lowercase() || !bytes[i - 2].is_ascii_lowercase() {
            i += 1;
            continue;
        }
        let rest = &text[i + marker_len..];
        let ending = GENDER_ENDINGS.iter().find(|ending| {
            rest.starts_with(**ending)
                && !rest[ending.len()..].bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-')
                && (bytes[i] != b'(' || rest[ending.len()..].starts_with(')'))
        });
        match ending {
            Some(ending) => {
                let buffer = out.get_or_insert_with(|| String::with_capacity(text.len()));
                buffer.push_str(&text[copied..i]);
                let close = usize::from(bytes[i] == b'(');
                i += marker_len + ending.len() + close;
                copied = i;
            }
            None => i += 1,
        }
    }
    match out {
        Some(mut buffer) => {
            buffer.push_str(&text[copied..]);
            buffer
        }
        None => text,
    }
}

fn strip_dots(abbreviation: &str) -> String {
    abbreviation.chars().filter(|c| c.is_ascii_alphabetic()).collect()
}

/// A rule pattern as the normalised text spells it: every literal "ae", "oe" or "ue" (outside a character
/// class, the "e" not escaped or repeated) loses its "e", as titles do, so a pattern may say "geschaeftsfuehrer"
/// or "aktuell" and still match.
pub fn fold_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut previous_literal: Option<char> = None;
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => {
                out.push(c);
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
                previous_literal = None;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                None
            }
            ']' if in_class => {
                in_class = false;
                None
            }
            c if !in_class && c.is_ascii_lowercase() => Some(c),
            _ => None,
        };
        let repeated = chars.peek().is_some_and(|next| matches!(next, '?' | '*' | '+' | '{'));
        if c == 'e' && !repeated && matches!(previous_literal, Some('a' | 'o' | 'u')) {
            previous_literal = None;
            continue;
        }
        out.push(c);
        previous_literal = if repeated { None } else { literal };
    }
    out
}

#[cfg(test)]
mod tests;

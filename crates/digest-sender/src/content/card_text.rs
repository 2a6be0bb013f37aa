//! Member-supplied text made safe for an Adaptive Card TextBlock, which renders Markdown: a job title such as
//! `CEO [Verify your account](https://evil.example)` must show as text, not as a link, and `*` or `_` in a name
//! must not turn the rest of the line bold or italic.

/// Longest name, title and details line on a card, in characters (before escaping). Ten items at these lengths
/// stay well under Teams' 28 KB message limit; longer values are cut with "…", never dropped.
pub const NAME_MAX: usize = 200;
pub const TITLE_MAX: usize = 300;
pub const DETAILS_MAX: usize = 600;

/// `text` on one line (line breaks and other control characters become spaces), cut to `max` characters with "…",
/// with every character that starts Markdown formatting backslash-escaped (CommonMark escapes, which Teams honours):
/// emphasis, code, links and images, HTML and autolinks, headings, tables, strikethrough, and list markers at the
/// start.
pub fn card_text(text: &str, max: usize) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let one_line = one_line.trim();
    let shortened: String = if one_line.chars().count() > max {
        let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        one_line.to_string()
    };
    let mut escaped = String::with_capacity(shortened.len() + 8);
    for (n, c) in shortened.chars().enumerate() {
        let list_marker = n == 0 && matches!(c, '-' | '+');
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!') || list_marker {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    // "1. Title" at the start would become a numbered list.
    if let Some(dot) = escaped.find(". ")
        && dot > 0
        && escaped[..dot].chars().all(|c| c.is_ascii_digit())
    {
        escaped.insert(dot, '\\');
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_link_in_a_title_is_shown_as_text() {
        assert_eq!(
            card_text("CEO [Verify your account](https://evil.example)", 300),
            r"CEO \[Verify your account\](https://evil.example)"
        );
        assert_eq!(card_text("CTO ![x](https://evil.example/p.png)", 300), r"CTO \!\[x\](https://evil.example/p.png)");
        assert_eq!(card_text("<https://evil.example>", 300), r"\<https://evil.example\>");
    }

    #[test]
    fn emphasis_code_headings_and_list_markers_are_escaped() {
        assert_eq!(card_text("*Ada* __Love__ `x` ~~y~~", 300), r"\*Ada\* \_\_Love\_\_ \`x\` \~\~y\~\~");
        assert_eq!(card_text("# Head | col", 300), r"\# Head \| col");
        assert_eq!(card_text("- VP Sales", 300), r"\- VP Sales");
        assert_eq!(card_text("1. VP Sales", 300), r"1\. VP Sales");
        assert_eq!(card_text(r"back\slash", 300), r"back\\slash");
        assert_eq!(card_text("Vice-President, Sales & Ops. (EMEA)", 300), "Vice-President, Sales & Ops. (EMEA)");
    }

    #[test]
    fn line_breaks_become_spaces_and_long_text_is_cut_with_an_ellipsis() {
        assert_eq!(card_text("CEO\n\n- injected list", 300), "CEO  - injected list");
        let long = "é".repeat(500);
        let cut = card_text(&long, 300);
        assert_eq!(cut.chars().count(), 300);
        assert!(cut.ends_with('…'));
    }
}

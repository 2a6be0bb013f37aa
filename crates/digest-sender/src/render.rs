//! Rendering digests with the tera templates of `config/templates/` (loaded once at start; a template that does not
//! parse stops the service with the file's name).
//!
//! A Teams message may not exceed 28 KB: the card is rendered for as many detections as fit, the rest go into further
//! cards ("part 2 of 3" in the summary line), each posted as its own message; no detection is dropped.

use std::path::Path;

use anyhow::Context as _;

use crate::content::DigestContent;

pub const EMAIL_HTML: &str = "digest-email.html";
pub const EMAIL_TEXT: &str = "digest-email.txt";
pub const TEAMS_CARD: &str = "digest-teams.json";

/// Teams' limit on one message (the whole posted JSON body), in bytes.
pub const TEAMS_MESSAGE_MAX_BYTES: usize = 28 * 1024;

/// A digest ready to send on any transport.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub digest_id: i64,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The Teams cards: one, or several when the detections do not fit one message ([`TEAMS_MESSAGE_MAX_BYTES`]).
    pub cards: Vec<serde_json::Value>,
    pub content: DigestContent,
}

pub struct Renderer {
    tera: tera::Tera,
}

impl Renderer {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        for name in [EMAIL_HTML, EMAIL_TEXT, TEAMS_CARD] {
            let path = dir.join(name);
            let source =
                std::fs::read_to_string(&path).with_context(|| format!("cannot read template {}", path.display()))?;
            tera.add_raw_template(name, &source)
                .with_context(|| format!("template {} does not parse", path.display()))?;
        }
        Ok(Self { tera })
    }

    pub fn render(&self, content: &DigestContent) -> anyhow::Result<Rendered> {
        let context = tera::Context::from_serialize(content).context("digest context")?;
        let html = self.tera.render(EMAIL_HTML, &context).with_context(|| format!("rendering {EMAIL_HTML}"))?;
        let text = self.tera.render(EMAIL_TEXT, &context).with_context(|| format!("rendering {EMAIL_TEXT}"))?;
        Ok(Rendered {
            digest_id: content.digest.id,
            subject: format!("New senior executives: {}", content.digest.summary),
            html,
            text,
            cards: self.teams_cards(content, TEAMS_MESSAGE_MAX_BYTES)?,
            content: content.clone(),
        })
    }

    /// The digest's Teams cards, each message at most `max_bytes`: detections are added to a card while the
    /// message still fits, then a new card starts.
    fn teams_cards(&self, content: &DigestContent, max_bytes: usize) -> anyhow::Result<Vec<serde_json::Value>> {
        let whole = self.card(content, None)?;
        if teams_message_bytes(&whole) <= max_bytes {
            return Ok(vec![whole]);
        }
        // Sized with the longest part label, so the final labels never make a card grow past the limit.
        let sizing = Some((99, 99));
        let mut parts: Vec<Vec<usize>> = vec![Vec::new()];
        for n in 0..content.detections.len() {
            let mut candidate = parts.last().cloned().unwrap_or_default();
            candidate.push(n);
            if teams_message_bytes(&self.card(&subset(content, &candidate), sizing)?) <= max_bytes {
                if let Some(last) = parts.last_mut() {
                    *last = candidate;
                }
                continue;
            }
            anyhow::ensure!(
                candidate.len() > 1,
                "detection {} alone makes a Teams message over {max_bytes} bytes ({TEAMS_CARD})",
                content.detections[n].detection_id
            );
            parts.push(vec![n]);
        }
        let total = parts.len();
        parts.iter().enumerate().map(|(i, part)| self.card(&subset(content, part), Some((i + 1, total)))).collect()
    }

    /// One card for `content`; `part` = (this part, of how many) adds "(part i of n)" to the summary line.
    fn card(&self, content: &DigestContent, part: Option<(usize, usize)>) -> anyhow::Result<serde_json::Value> {
        let mut context = tera::Context::from_serialize(content).context("digest context")?;
        if let Some((this, total)) = part {
            let summary = format!("{} (part {this} of {total})", content.digest.summary);
            let mut digest = content.digest.clone();
            digest.summary_json = serde_json::Value::String(summary.clone()).to_string();
            digest.summary = summary;
            context.insert("digest", &digest);
        }
        let card_text = self.tera.render(TEAMS_CARD, &context).with_context(|| format!("rendering {TEAMS_CARD}"))?;
        serde_json::from_str(&card_text).with_context(|| format!("{TEAMS_CARD} did not render valid JSON"))
    }
}

/// The body posted to Teams for one card (what the 28 KB limit applies to).
pub fn teams_message(card: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}],
    })
}

fn teams_message_bytes(card: &serde_json::Value) -> usize {
    teams_message(card).to_string().len()
}

fn subset(content: &DigestContent, indices: &[usize]) -> DigestContent {
    DigestContent {
        digest: content.digest.clone(),
        detections: indices.iter().filter_map(|&n| content.detections.get(n).cloned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{DetectionView, DigestView};

    fn content(count: usize) -> DigestContent {
        let json = |text: &str| serde_json::Value::String(text.to_string()).to_string();
        let detections = (1..=count)
            .map(|n| DetectionView {
                detection_id: n as i64,
                user_id: format!("u{n}"),
                source: "community".into(),
                name: format!("member {n}"),
                title: "Chief Executive Officer".into(),
                level: "C-suite",
                kind: "new senior executive",
                detected: "Fri 6 Mar 2027, 10:00 EST".into(),
                email: None,
                company: None,
                profile_url: None,
                name_json: json(&format!("member {n}")),
                title_json: json(&"Chief Executive Officer ".repeat(20)),
                details_json: json("C-suite · new senior executive · Fri 6 Mar 2027, 10:00 EST · community"),
                profile_url_json: json(""),
            })
            .collect();
        let summary = format!("week 2027-W09: {count} members, digest #7");
        DigestContent {
            digest: DigestView {
                id: 7,
                channel: "teams".into(),
                week: "week 2027-W09".into(),
                generated: "now".into(),
                count,
                new_count: count,
                promotion_count: 0,
                summary_json: serde_json::Value::String(summary.clone()).to_string(),
                summary,
            },
            detections,
        }
    }

    fn renderer() -> Renderer {
        Renderer::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/templates"))).expect("templates")
    }

    #[test]
    fn detections_that_do_not_fit_one_message_are_split_in_order_with_part_labels() {
        let max = 4_000;
        let cards = renderer().teams_cards(&content(10), max).expect("cards");
        assert!(cards.len() > 1, "{} card(s)", cards.len());
        let mut names = Vec::new();
        for (n, card) in cards.iter().enumerate() {
            assert!(teams_message_bytes(card) <= max, "card {n}: {} bytes", teams_message_bytes(card));
            let summary = card["body"][1]["text"].as_str().unwrap_or_default();
            assert!(summary.ends_with(&format!("(part {} of {})", n + 1, cards.len())), "{summary}");
            let containers = card["body"].as_array().into_iter().flatten().filter(|b| b["type"] == "Container");
            names.extend(containers.map(|c| c["items"][0]["text"].as_str().unwrap_or_default().to_string()));
        }
        assert_eq!(names, (1..=10).map(|n| format!("member {n}")).collect::<Vec<_>>(), "each once, in order");
    }

    #[test]
    fn a_digest_that_fits_is_one_card_without_a_part_label() {
        let cards = renderer().teams_cards(&content(3), TEAMS_MESSAGE_MAX_BYTES).expect("cards");
        assert_eq!(cards.len(), 1);
        assert!(cards[0]["body"][1]["text"].as_str().is_some_and(|s| s.ends_with("digest #7")));
    }

    #[test]
    fn one_detection_too_large_for_any_message_is_an_error() {
        let error = renderer().teams_cards(&content(2), 500).expect_err("too small");
        assert!(error.to_string().contains("alone makes a Teams message over 500 bytes"), "{error}");
    }
}

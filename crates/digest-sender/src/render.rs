//! Rendering digests with the tera templates of `config/templates/` (loaded once at start; a template that does not
//! parse stops the service with the file's name).

use std::path::Path;

use anyhow::Context as _;

use crate::content::DigestContent;

pub const EMAIL_HTML: &str = "digest-email.html";
pub const EMAIL_TEXT: &str = "digest-email.txt";
pub const TEAMS_CARD: &str = "digest-teams.json";

/// A digest ready to send on any transport.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub digest_id: i64,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub card: serde_json::Value,
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
        let card_text = self.tera.render(TEAMS_CARD, &context).with_context(|| format!("rendering {TEAMS_CARD}"))?;
        let card =
            serde_json::from_str(&card_text).with_context(|| format!("{TEAMS_CARD} did not render valid JSON"))?;
        Ok(Rendered {
            digest_id: content.digest.id,
            subject: format!("New senior executives: {}", content.digest.summary),
            html,
            text,
            card,
            content: content.clone(),
        })
    }
}

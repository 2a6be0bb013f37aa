//! The sandbox transport: writes each digest to `<outbox>/digest-<id>-<channel>.{html,txt,json}` and logs it (a Teams
//! digest split over several cards writes `digest-<id>-teams.json`, then `digest-<id>-teams.2.json`, ...).

use std::path::PathBuf;

use super::{Delivered, DeliveryError};
use crate::render::Rendered;

pub struct Sandbox {
    pub outbox: PathBuf,
}

impl Sandbox {
    pub async fn deliver(&self, channel: &str, digest: &Rendered) -> Result<Delivered, DeliveryError> {
        let base = self.outbox.join(format!("digest-{}-{channel}", digest.digest_id));
        let write = |extension: &str, body: &str| {
            let path = base.with_extension(extension);
            std::fs::write(&path, body)
                .map_err(|e| DeliveryError::transient(format!("cannot write {}: {e}", path.display())))
        };
        std::fs::create_dir_all(&self.outbox)
            .map_err(|e| DeliveryError::transient(format!("cannot create {}: {e}", self.outbox.display())))?;
        let main = match channel {
            "teams" => {
                for (n, card) in digest.cards.iter().enumerate() {
                    let card = serde_json::to_string_pretty(card).unwrap_or_default();
                    if n == 0 { write("json", &card)? } else { write(&format!("{}.json", n + 1), &card)? }
                }
                base.with_extension("json")
            }
            _ => {
                write("txt", &format!("Subject: {}\n\n{}", digest.subject, digest.text))?;
                write("html", &digest.html)?;
                base.with_extension("html")
            }
        };
        tracing::info!(
            digest_id = digest.digest_id,
            channel,
            file = %main.display(),
            "sandbox delivery: digest written (configure a transport to send it for real)"
        );
        Ok(Delivered { remote_id: Some(main.display().to_string()) })
    }
}

//! The sandbox transport: writes each digest to `<outbox>/<database>-<installation>/digest-<id>-<channel>.{html,txt,json}`
//! and logs it (a Teams digest split over several cards writes `digest-<id>-teams.json`, then
//! `digest-<id>-teams.2.json`, ...). Digest ids start again at 1 in a new database, so each database writes into its
//! own folder, named by [`installation_folder`]: an earlier database's digests are never overwritten.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

use super::{Delivered, DeliveryError};
use crate::render::Rendered;

pub struct Sandbox {
    /// The folder digests are written to: `PATHFINDER_DELIVERY__OUTBOX_DIR` joined with [`installation_folder`].
    pub outbox: PathBuf,
}

/// The outbox subfolder of the database `client` is connected to: its name and 8 hex digits that tell apart two
/// databases of that name (a hash of the name and the time its first migration was applied), e.g.
/// `pathfinder-3f9a0c12`. Stable for the life of the database.
pub async fn installation_folder(client: &impl GenericClient) -> Result<String, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT current_database()::text AS name, \
                    coalesce((SELECT applied_on FROM refinery_schema_history ORDER BY version LIMIT 1), '') AS first",
            &[],
        )
        .await?;
    let (name, first_migration): (String, String) = (row.try_get("name")?, row.try_get("first")?);
    let hash = Sha256::digest(format!("{name}\n{first_migration}").as_bytes());
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    Ok(format!("{safe}-{}", hex::encode(&hash[..4])))
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

//! Digest building, shared by digest-sender (which runs it weekly and on request) and the CLI (`pathfinder jobs
//! run weekly-digest`, `pathfinder digests backfill`).
//!
//! - [`assemble`] puts every detection not yet in a digest of a channel into digests of at most 10;
//! - [`weekly::WeeklyDigestJob`] runs it as the `weekly-digest` job (scheduled, caught up, manual);
//! - [`channels`] reads the enabled channels from settings.

pub mod assemble;
pub mod channels;
pub mod weekly;

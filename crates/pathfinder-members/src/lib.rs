//! Members: what a profile event does to a member (`user_state`, detections), shared by the classifier (its queue
//! worker) and the CLI (`pathfinder import`, `pathfinder reclassify`, `pathfinder jobs run discourse-reconcile`).
//!
//! - [`transition`]: the rule table, one member, one event;
//! - [`batch`]: applies a batch of events under per-member locks, in the order received;
//! - [`import`]: a roster as the baseline; [`reclassify`]: re-applies changed rules to stored members;
//! - [`reconcile`]: the daily pass over Discourse's members that catches lost webhooks;
//! - [`rules`]: the classification rules in use, reloaded on SIGHUP.

pub mod batch;
pub mod import;
pub mod reclassify;
pub mod reconcile;
pub mod rules;
pub mod transition;

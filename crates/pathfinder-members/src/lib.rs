//! Members: what a profile event does to a member (`user_state`, detections), shared by the classifier (its queue
//! worker) and the CLI (`pathfinder import`, `pathfinder reclassify`).
//!
//! - [`transition`]: the rule table, one member, one event;
//! - [`batch`]: applies a batch of events under per-member locks, in the order received;
//! - [`import`]: a roster as the baseline; [`reclassify`]: re-applies changed rules to stored members.

pub mod batch;
pub mod import;
pub mod reclassify;
pub mod transition;

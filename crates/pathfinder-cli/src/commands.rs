//! One module per `pathfinder` subcommand.

pub mod classify;
pub mod digests;
pub mod jobs;
pub mod migrate;
pub mod reclassify;
pub mod schedule;

//! One module per `pathfinder` subcommand.

pub mod migrate;

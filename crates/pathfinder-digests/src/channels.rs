//! The enabled channels, from settings.

use pathfinder_core::Settings;

use crate::assemble::Channel;

/// The channels of `PATHFINDER_DIGEST__CHANNELS` (validated at load).
pub fn enabled(settings: &Settings) -> Vec<Channel> {
    settings.digest.channel_names().iter().filter_map(|name| Channel::parse(name)).collect()
}

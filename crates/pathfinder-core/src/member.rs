//! Who a member is: a platform (`Source`) and that platform's user id. Two sources may use the same id for two
//! different people, so every table that holds a member id holds its source too (migration V10).

use serde::{Deserialize, Serialize};

/// Where a member lives (`events_raw.source`, `user_state.source`, `detections.source`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Community,
    Discourse,
}

impl Source {
    /// Every source, in the order erasures report them.
    pub const ALL: [Source; 2] = [Source::Community, Source::Discourse];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Discourse => "discourse",
        }
    }

    /// The source named `name` (as stored in the database), if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name).ok_or_else(|| format!("unknown source {name:?} (community or discourse)"))
    }
}

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn names_round_trip() {
        for source in Source::ALL {
            assert_eq!(Source::parse(source.as_str()), Some(source));
        }
        assert_eq!(Source::parse("insided"), None);
    }
}

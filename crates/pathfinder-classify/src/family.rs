//! The families of ../shared/SENIORITY.md (the product's labelling guide) and the operator's choices for the
//! configurable ones (`[families]` in the rules file).

use serde::{Deserialize, Serialize};

use crate::rules::Level;

/// Which family of the guide a level rule speaks for. `pathfinder classify` reports it beside the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// c_suite: CEO, CFO, "Chief ... Officer".
    ChiefOfficer,
    /// c_suite: runs the company (Geschäftsführer, Directeur général, Vorstand, President of a company).
    RunsCompany,
    /// Managing Director: c_suite by default, configurable (`managing_director`).
    ManagingDirector,
    /// Owns it (Owner, Inhaber, Propriétaire, Dueño): configurable with founders (`owners_and_founders`).
    Owner,
    /// Founded it (Founder, Gründer, Fondateur, Fundador): configurable (`owners_and_founders`).
    Founder,
    /// c_suite: heads a partnership (Managing, Senior, Founding Partner; Associé gérant).
    PartnershipHead,
    /// c_suite: chairs the governing board.
    BoardChair,
    /// A member of a governing board: c_suite by default, configurable (`board_members`).
    BoardMember,
    /// vp: Vice President, SVP, EVP.
    VicePresident,
    /// vp: deputises for the top (Deputy CEO, stellvertretender Geschäftsführer).
    DeputyOfTop,
    /// Plain Partner: not senior by default, configurable (`partners`).
    Partner,
    /// Head of a function: not senior by default, configurable (`head_of`).
    HeadOf,
    /// General Manager: not senior by default, configurable (`general_manager`).
    GeneralManager,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChiefOfficer => "chief_officer",
            Self::RunsCompany => "runs_company",
            Self::ManagingDirector => "managing_director",
            Self::Owner => "owner",
            Self::Founder => "founder",
            Self::PartnershipHead => "partnership_head",
            Self::BoardChair => "board_chair",
            Self::BoardMember => "board_member",
            Self::VicePresident => "vice_president",
            Self::DeputyOfTop => "deputy_of_top",
            Self::Partner => "partner",
            Self::HeadOf => "head_of",
            Self::GeneralManager => "general_manager",
        }
    }

    /// The `[families]` key that sets this family's level, for the configurable ones.
    pub fn setting(self) -> Option<Setting> {
        match self {
            Self::ManagingDirector => Some(Setting::ManagingDirector),
            Self::Owner | Self::Founder => Some(Setting::OwnersAndFounders),
            Self::BoardMember => Some(Setting::BoardMembers),
            Self::Partner => Some(Setting::Partners),
            Self::HeadOf => Some(Setting::HeadOf),
            Self::GeneralManager => Some(Setting::GeneralManager),
            Self::ChiefOfficer
            | Self::RunsCompany
            | Self::PartnershipHead
            | Self::BoardChair
            | Self::VicePresident
            | Self::DeputyOfTop => None,
        }
    }

    /// The level the operator chose for this family (`None` inside: not senior), when it is a configurable one.
    pub fn configured_level(self, families: &Families) -> Option<Option<Level>> {
        Some(match self.setting()? {
            Setting::ManagingDirector => Some(families.managing_director.level()),
            Setting::OwnersAndFounders => families.owners_and_founders.level(),
            Setting::BoardMembers => families.board_members.level(),
            Setting::Partners => families.partners.level(),
            Setting::HeadOf => families.head_of.level(),
            Setting::GeneralManager => families.general_manager.level(),
        })
    }
}

/// A key of `[families]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    ManagingDirector,
    OwnersAndFounders,
    BoardMembers,
    Partners,
    HeadOf,
    GeneralManager,
}

impl Setting {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManagingDirector => "managing_director",
            Self::OwnersAndFounders => "owners_and_founders",
            Self::BoardMembers => "board_members",
            Self::Partners => "partners",
            Self::HeadOf => "head_of",
            Self::GeneralManager => "general_manager",
        }
    }
}

/// `managing_director`: c_suite (most of the world) or vp (banking, where it is a rank above Director).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CSuiteOrVp {
    #[default]
    CSuite,
    Vp,
}

impl CSuiteOrVp {
    fn level(self) -> Level {
        match self {
            Self::CSuite => Level::CSuite,
            Self::Vp => Level::Vp,
        }
    }
}

/// `owners_and_founders`, `board_members`: c_suite (default) or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CSuiteOrNone {
    #[default]
    CSuite,
    None,
}

impl CSuiteOrNone {
    fn level(self) -> Option<Level> {
        match self {
            Self::CSuite => Some(Level::CSuite),
            Self::None => None,
        }
    }
}

/// `partners`, `head_of`, `general_manager`: none (default) or vp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoneOrVp {
    #[default]
    None,
    Vp,
}

impl NoneOrVp {
    fn level(self) -> Option<Level> {
        match self {
            Self::None => None,
            Self::Vp => Some(Level::Vp),
        }
    }
}

/// `[families]` of the rules file: the guide's configurable families. A key left out keeps the guide's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Families {
    pub managing_director: CSuiteOrVp,
    pub owners_and_founders: CSuiteOrNone,
    pub board_members: CSuiteOrNone,
    pub partners: NoneOrVp,
    pub head_of: NoneOrVp,
    pub general_manager: NoneOrVp,
}

/// Every `[families]` key with the values it takes, the default first.
const SETTINGS: [(Setting, [&str; 2]); 6] = [
    (Setting::ManagingDirector, ["c_suite", "vp"]),
    (Setting::OwnersAndFounders, ["c_suite", "none"]),
    (Setting::BoardMembers, ["c_suite", "none"]),
    (Setting::Partners, ["none", "vp"]),
    (Setting::HeadOf, ["none", "vp"]),
    (Setting::GeneralManager, ["none", "vp"]),
];

impl Families {
    /// Checks the raw `[families]` table, naming the first unknown key or value in one line.
    pub fn check(value: &toml::Value) -> Result<(), String> {
        let Some(table) = value.as_table() else {
            return Err("[families] must be a table of keys such as managing_director = \"c_suite\"".into());
        };
        for (key, value) in table {
            let Some((_, allowed)) = SETTINGS.iter().find(|(setting, _)| setting.as_str() == key) else {
                let known: Vec<&str> = SETTINGS.iter().map(|(setting, _)| setting.as_str()).collect();
                return Err(format!("[families] {key}: unknown key (known: {})", known.join(", ")));
            };
            match value.as_str() {
                Some(text) if allowed.contains(&text) => {}
                _ => {
                    return Err(format!(
                        "[families] {key} = {value}: unknown value (use \"{}\" or \"{}\")",
                        allowed[0], allowed[1]
                    ));
                }
            }
        }
        Ok(())
    }
}

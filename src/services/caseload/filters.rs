//! What a client list can be narrowed to and ordered by, each by the name the address uses.

/// What `/clients` can be narrowed to by flag: the triage label shown in its Flag column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagFilter {
    /// Everyone needing attention: an alert, red or amber.
    Attention,
    Alert,
    Red,
    Amber,
    Green,
    Grey,
}

impl FlagFilter {
    pub const ALL: [FlagFilter; 6] = [
        Self::Attention,
        Self::Alert,
        Self::Red,
        Self::Amber,
        Self::Green,
        Self::Grey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attention => "attention",
            Self::Alert => "alert",
            Self::Red => "red",
            Self::Amber => "amber",
            Self::Green => "green",
            Self::Grey => "grey",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Attention => "Needing attention (alert, red or amber)",
            Self::Alert => "Safety alert",
            Self::Red => "Red (outcome or alliance)",
            Self::Amber => "Amber",
            Self::Green => "Green",
            Self::Grey => "No flag yet",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// Active clients (the default), deactivated ones, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Active,
    Inactive,
    All,
}

impl Status {
    pub const ALL: [Status; 3] = [Self::Active, Self::Inactive, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Deactivated",
            Self::All => "All",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By last name, then first name.
    #[default]
    Name,
    /// Most recent session first; clients with none last.
    LastSession,
    /// Worst first: alert, red outcome, red alliance, amber, green, no flag; within each,
    /// longest off track first.
    Flag,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Self::Name, Self::LastSession, Self::Flag];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::LastSession => "last_session",
            Self::Flag => "flag",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::LastSession => "Last session, newest first",
            Self::Flag => "Flag, worst first",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What a list is narrowed to. The default is every active client by name.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Part of a name or user ID, any case.
    pub q: Option<String>,
    pub flag: Option<FlagFilter>,
    pub provider: Option<i32>,
    pub status: Status,
    pub sort: Sort,
}

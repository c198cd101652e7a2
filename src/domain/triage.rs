//! Triage: how urgently a client needs their clinician's attention, worst first (SPEC §3.3).
//! The rank is stored on the open episode so that dashboards page through it in SQL.

use serde::Serialize;

use super::scoring::Flag;

/// Worst first: the stored rank is the order of the variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Attention {
    SafetyAlert,
    RedOutcome,
    RedAlliance,
    Amber,
    Green,
    /// No flag yet (grey): too few ratings, or none.
    NoFlag,
}

impl Attention {
    pub const ALL: [Attention; 6] = [
        Self::SafetyAlert,
        Self::RedOutcome,
        Self::RedAlliance,
        Self::Amber,
        Self::Green,
        Self::NoFlag,
    ];

    /// The highest rank that still needs attention (amber).
    pub const NEEDS_ATTENTION: i32 = 3;

    /// An open safety alert outranks every flag; then red outcome, red alliance, any amber.
    pub fn of(safety_alert: bool, outcome: Flag, alliance: Flag) -> Self {
        if safety_alert {
            Self::SafetyAlert
        } else if outcome == Flag::Red {
            Self::RedOutcome
        } else if alliance == Flag::Red {
            Self::RedAlliance
        } else if outcome == Flag::Amber || alliance == Flag::Amber {
            Self::Amber
        } else if outcome == Flag::Green || alliance == Flag::Green {
            Self::Green
        } else {
            Self::NoFlag
        }
    }

    pub fn rank(self) -> i32 {
        self as i32
    }

    /// A stored rank; anything unknown reads as "no flag".
    pub fn from_rank(rank: i32) -> Self {
        Self::ALL
            .get(usize::try_from(rank).unwrap_or(usize::MAX))
            .copied()
            .unwrap_or(Self::NoFlag)
    }

    pub fn needs_attention(self) -> bool {
        self.rank() <= Self::NEEDS_ATTENTION
    }

    /// In words, for the lists.
    pub fn label(self) -> &'static str {
        match self {
            Self::SafetyAlert => "Safety alert",
            Self::RedOutcome => "Red: outcome",
            Self::RedAlliance => "Red: alliance",
            Self::Amber => "Amber",
            Self::Green => "Green",
            Self::NoFlag => "No flag yet",
        }
    }

    /// The colour class the lists use.
    pub fn colour(self) -> &'static str {
        match self {
            Self::SafetyAlert | Self::RedOutcome | Self::RedAlliance => "red",
            Self::Amber => "amber",
            Self::Green => "green",
            Self::NoFlag => "grey",
        }
    }

    /// Since when the client has needed attention, once this rank replaces one that had
    /// `since`: kept while attention is still needed, started `now` when it begins, cleared
    /// when it ends.
    pub fn off_track_since(self, since: Option<i64>, now: i64) -> Option<i64> {
        if self.needs_attention() {
            Some(since.unwrap_or(now))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_outranks_red_which_outranks_amber() {
        assert_eq!(
            Attention::of(true, Flag::Green, Flag::Green),
            Attention::SafetyAlert
        );
        assert_eq!(Attention::of(false, Flag::Red, Flag::Red), Attention::RedOutcome);
        assert_eq!(
            Attention::of(false, Flag::Amber, Flag::Red),
            Attention::RedAlliance
        );
        assert_eq!(Attention::of(false, Flag::Amber, Flag::Green), Attention::Amber);
        assert_eq!(Attention::of(false, Flag::Grey, Flag::Green), Attention::Green);
        assert_eq!(Attention::of(false, Flag::Grey, Flag::Grey), Attention::NoFlag);
        assert!(Attention::Amber.needs_attention() && !Attention::Green.needs_attention());
    }

    #[test]
    fn ranks_round_trip_and_unknown_ones_read_as_no_flag() {
        for a in Attention::ALL {
            assert_eq!(Attention::from_rank(a.rank()), a);
        }
        assert_eq!(Attention::from_rank(-1), Attention::NoFlag);
        assert_eq!(Attention::from_rank(99), Attention::NoFlag);
    }

    #[test]
    fn off_track_time_starts_once_and_ends_with_the_attention() {
        assert_eq!(Attention::Amber.off_track_since(None, 100), Some(100));
        assert_eq!(Attention::RedOutcome.off_track_since(Some(50), 100), Some(50));
        assert_eq!(Attention::Green.off_track_since(Some(50), 100), None);
    }
}

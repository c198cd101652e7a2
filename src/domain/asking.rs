//! How often a provider asks a client for a symptom questionnaire (PHQ-9, GAD-7), which
//! OUTCOMES.md says "can be given at any session": not at all, at the next session only, or
//! every Nth session. The outcome and alliance measures need no such choice: they are due at
//! every session.

use super::FieldError;

/// The periods offered on the client page, in sessions.
pub const PERIODS: [u8; 5] = [1, 2, 3, 4, 6];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    NotAsked,
    /// Once, at the next session that has none; then back to not asked.
    NextSession,
    /// At a session when none was answered in the `n − 1` sessions before it.
    Every(u8),
}

impl Asking {
    pub const RULE: &'static str =
        "Choose how often: not asked, next session only, or every 1, 2, 3, 4 or 6 sessions.";

    /// The form's value: `no`, `next`, or the period in sessions.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "no" => Ok(Self::NotAsked),
            "next" => Ok(Self::NextSession),
            other => other
                .parse::<u8>()
                .ok()
                .filter(|n| PERIODS.contains(n))
                .map(Self::Every)
                .ok_or_else(|| FieldError::new(field, Self::RULE)),
        }
    }

    pub fn value(self) -> String {
        match self {
            Self::NotAsked => "no".into(),
            Self::NextSession => "next".into(),
            Self::Every(n) => n.to_string(),
        }
    }

    /// In plain words, for the select and the audit log.
    pub fn label(self) -> String {
        match self {
            Self::NotAsked => "Not asked".into(),
            Self::NextSession => "Next session only".into(),
            Self::Every(1) => "Every session".into(),
            Self::Every(2) => "Every 2nd session".into(),
            Self::Every(3) => "Every 3rd session".into(),
            Self::Every(n) => format!("Every {n}th session"),
        }
    }

    /// Every choice the client page offers, in order.
    pub fn choices() -> Vec<Self> {
        let mut all = vec![Self::NotAsked, Self::NextSession];
        all.extend(PERIODS.iter().map(|n| Self::Every(*n)));
        all
    }

    /// A stored row's `every` (a row means asked).
    pub fn from_stored(every: Option<i32>) -> Self {
        match every.and_then(|n| u8::try_from(n).ok()) {
            None => Self::NextSession,
            Some(n) => Self::Every(n.max(1)),
        }
    }

    /// The stored row's `every`: the period, or `None` for the next session only. (Not asked is
    /// no row at all.)
    pub fn every(self) -> Option<i32> {
        match self {
            Self::NotAsked | Self::NextSession => None,
            Self::Every(n) => Some(i32::from(n)),
        }
    }

    /// Whether the questionnaire is due at `session`, given the latest session of this episode
    /// at which it was answered.
    pub fn due_at(self, session: i32, last_answered: Option<i32>) -> bool {
        match self {
            Self::NotAsked => false,
            Self::NextSession => last_answered.is_none_or(|l| l < session),
            Self::Every(n) => last_answered.is_none_or(|l| l <= session - i32::from(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_offered_choices_only() {
        assert_eq!(Asking::parse("phq9", "no"), Ok(Asking::NotAsked));
        assert_eq!(Asking::parse("phq9", "next"), Ok(Asking::NextSession));
        assert_eq!(Asking::parse("phq9", "4"), Ok(Asking::Every(4)));
        for bad in ["", "0", "5", "7", "-1", "every", "1.5"] {
            assert!(Asking::parse("phq9", bad).is_err(), "{bad:?}");
        }
        for choice in Asking::choices() {
            assert_eq!(Asking::parse("phq9", &choice.value()), Ok(choice));
        }
    }

    #[test]
    fn a_period_counts_sessions_since_the_last_answer() {
        assert!(Asking::Every(1).due_at(3, Some(2)));
        assert!(!Asking::Every(1).due_at(3, Some(3)));
        assert!(Asking::Every(4).due_at(1, None));
        assert!(!Asking::Every(4).due_at(4, Some(1)));
        assert!(Asking::Every(4).due_at(5, Some(1)));
        // A missed session does not skip a whole period: it is asked at the next one.
        assert!(Asking::Every(2).due_at(6, Some(3)));
        assert!(Asking::NextSession.due_at(2, Some(1)));
        assert!(!Asking::NextSession.due_at(2, Some(2)));
        assert!(!Asking::NotAsked.due_at(1, None));
    }
}

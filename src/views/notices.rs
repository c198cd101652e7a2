//! "Saved" notices: a successful form post redirects with `?saved=<what>`, and the page it
//! lands on says so in words (`role="status"`). Also the hints that tell a form's formats.

use crate::domain::Locale;

/// What was just saved, as named in the redirect's query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Details,
    Rating,
    Sharing,
    EpisodeClosed,
    EpisodeOpened,
    AlertSeen,
    Deactivated,
    Activated,
    DevicesRevoked,
    FactorsReset,
    Invite,
    Schedule,
    Questionnaires,
}

impl Saved {
    const NAMES: [(&'static str, Saved); 13] = [
        ("details", Saved::Details),
        ("rating", Saved::Rating),
        ("sharing", Saved::Sharing),
        ("episode-closed", Saved::EpisodeClosed),
        ("episode-opened", Saved::EpisodeOpened),
        ("alert-seen", Saved::AlertSeen),
        ("deactivated", Saved::Deactivated),
        ("activated", Saved::Activated),
        ("devices-revoked", Saved::DevicesRevoked),
        ("factors-reset", Saved::FactorsReset),
        ("invite", Saved::Invite),
        ("schedule", Saved::Schedule),
        ("questionnaires", Saved::Questionnaires),
    ];

    /// The name in `?saved=`; `1` and `true` (older links) mean the details form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "1" | "true" => Some(Self::Details),
            _ => Self::NAMES.iter().find(|(n, _)| *n == text).map(|(_, s)| *s),
        }
    }

    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("details", |(n, _)| n)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Details => "Saved.",
            Self::Rating => "Saved: the rating is recorded and the graph is up to date.",
            Self::Sharing => "Saved: who may see the graph is updated.",
            Self::EpisodeClosed => "Saved: the episode is closed. The next rating starts a new one.",
            Self::EpisodeOpened => "Saved: a new episode is open.",
            Self::AlertSeen => "Saved: the safety alert is marked as seen.",
            Self::Deactivated => "Saved: deactivated. They can no longer sign in.",
            Self::Activated => "Saved: reactivated. They can sign in again.",
            Self::DevicesRevoked => "Saved: every registered device is revoked; each needs a code again.",
            Self::Invite => "Sent: the measures link is on its way to the client.",
            Self::Schedule => "Saved: the invitation schedule is updated.",
            Self::Questionnaires => "Saved: the questionnaires asked for are updated.",
            Self::FactorsReset => {
                "Saved: second factors reset. They set them up again at their next sign-in and were e-mailed."
            }
        }
    }
}

/// The phone field's hint: which numbers it takes, with an example in the practice's format.
pub fn phone_hint(locale: &Locale) -> String {
    match locale.region.example() {
        Some(example) => format!(
            "A mobile number that can receive texts: {example} for {} numbers, or + and the country code for others (e.g. +44 7400 123456).",
            locale.region.code()
        ),
        None => "A mobile number that can receive texts, with + and the country code (e.g. +44 7400 123456)."
            .into(),
    }
}

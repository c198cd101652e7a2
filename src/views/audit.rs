//! The audit log in plain words: a title for every event the service records, and the people
//! named instead of numbered.

/// Each recorded action and what it means, as the log shows it.
pub const EVENTS: &[(&str, &str)] = &[
    ("account.created", "Practice created"),
    ("authenticator.added", "Authenticator app set up"),
    ("authenticator.removed", "Authenticator app removed"),
    ("client.created", "Client added"),
    ("client.updated", "Client's details changed"),
    ("client.transferred", "Client moved to another provider"),
    ("client.deactivated", "Client deactivated"),
    ("client.reactivated", "Client reactivated"),
    ("client.graph_sharing", "Graph sharing with the client changed"),
    (
        "client.questionnaires",
        "Questionnaires asked of the client changed",
    ),
    ("client.viewed", "Client record opened"),
    ("code.sent", "Sign-in code texted"),
    ("code.send_failed", "Sign-in code could not be texted"),
    ("code.accepted", "Sign-in code accepted"),
    ("code.rejected", "Wrong sign-in code entered"),
    ("device.registered", "Device registered"),
    ("device.used", "Signed in on a registered device"),
    ("device.revoked", "Device registration revoked"),
    ("devices.revoked_all", "Every device revoked"),
    ("episode.closed", "Episode closed"),
    ("episode.opened", "New episode started"),
    ("login.failed", "Sign-in failed: wrong user ID or password"),
    ("login.refused", "Sign-in refused"),
    ("login.succeeded", "Signed in"),
    ("logout", "Signed out"),
    ("mail.failed", "E-mail could not be sent"),
    ("options.changed", "Practice options changed"),
    ("password.changed", "Password changed"),
    ("password.check_failed", "Wrong current password entered"),
    ("password.reset", "New password made"),
    ("phone.changed", "Phone number changed"),
    ("rating.recorded", "Rating recorded"),
    ("ratings.exported", "Ratings exported"),
    ("recovery_codes.replaced", "New recovery codes made"),
    ("safety.acknowledged", "Safety alert marked as seen"),
    ("safety.alert", "Safety alert raised"),
    (
        "second_step.locked",
        "Sign-in codes locked after too many wrong tries",
    ),
    ("sms.budget_exhausted", "Daily text budget used up"),
    ("staff.created", "Staff member added"),
    ("staff.updated", "Staff member's details changed"),
    ("staff.deactivated", "Staff member deactivated"),
    ("staff.reactivated", "Staff member reactivated"),
    ("two_factor.reset", "Second factors reset"),
];

/// The event's title; an action this table does not know yet reads as its own words
/// ("passkey.added" → "Passkey added").
pub fn title(action: &str) -> String {
    if let Some((_, title)) = EVENTS.iter().find(|(a, _)| *a == action) {
        return (*title).to_string();
    }
    let words = action.replace(['.', '_'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "failure" shown as a word people use.
pub fn outcome(outcome: &str) -> &str {
    match outcome {
        "success" => "Done",
        "failure" => "Refused or failed",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_events_have_titles_and_unknown_ones_read_as_words() {
        assert_eq!(title("login.failed"), "Sign-in failed: wrong user ID or password");
        assert_eq!(title("passkey.added"), "Passkey added");
        assert_eq!(title(""), "");
    }
}

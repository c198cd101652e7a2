//! The practice's locale: its time zone and phone country as values, read from the account
//! with the server's `phone_region` as the fallback for practices that never chose one.

use crate::domain::Locale;
use crate::services::Account;
use crate::state::AppState;

/// How this practice shows times and reads and shows phone numbers.
pub fn locale(state: &AppState, account: &Account) -> Locale {
    Locale::from_stored(
        &account.time_zone,
        account.phone_region.as_deref(),
        &state.settings.phone_region,
    )
}

//! The practice's calendar for texts (SPEC §3.1): invitations at its `send_hour` in its time
//! zone, and quiet hours (21:00–08:00 practice time) when no text goes out. Pure: times in,
//! times out (Unix seconds).

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone as _, Timelike};
use chrono_tz::Tz;

/// Texts wait between these hours (practice time): from 21:00 until 08:00.
pub const QUIET_FROM: u32 = 21;
pub const QUIET_UNTIL: u32 = 8;

/// How often a client is invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    Off,
    Weekly,
    Fortnightly,
    Monthly,
}

impl Schedule {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "off" => Some(Self::Off),
            "weekly" => Some(Self::Weekly),
            "fortnightly" => Some(Self::Fortnightly),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Weekly => "weekly",
            Self::Fortnightly => "fortnightly",
            Self::Monthly => "monthly",
        }
    }
}

fn local(zone: Tz, seconds: i64) -> Option<DateTime<Tz>> {
    DateTime::from_timestamp(seconds, 0).map(|t| t.with_timezone(&zone))
}

/// `hour`:00 on `day` in `zone`; in a DST gap, the first moment after it.
fn at_hour(zone: Tz, day: NaiveDate, hour: u32) -> Option<i64> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0)?;
    match zone.from_local_datetime(&day.and_time(time)) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.timestamp()),
        LocalResult::None => zone
            .from_local_datetime(&(day.and_time(time) + Duration::hours(1)))
            .earliest()
            .map(|t| t.timestamp()),
    }
}

/// The first `send_hour`:00 (practice time) strictly after `after`.
pub fn next_send_time(zone: Tz, send_hour: u32, after: i64) -> Option<i64> {
    let today = local(zone, after)?.date_naive();
    [today, today.succ_opt()?]
        .into_iter()
        .filter_map(|day| at_hour(zone, day, send_hour))
        .find(|t| *t > after)
}

/// When the schedule's next invitation falls, one period after `from`, at `send_hour`.
pub fn next_invitation(zone: Tz, schedule: Schedule, send_hour: u32, from: i64) -> Option<i64> {
    let day = local(zone, from)?.date_naive();
    let target = match schedule {
        Schedule::Off => return None,
        Schedule::Weekly => day + Duration::days(7),
        Schedule::Fortnightly => day + Duration::days(14),
        Schedule::Monthly => day.checked_add_months(chrono::Months::new(1))?,
    };
    at_hour(zone, target, send_hour)
}

/// Whether `seconds` falls in quiet hours; if so, when they end (the next 08:00 practice time).
pub fn quiet_until(zone: Tz, seconds: i64) -> Option<i64> {
    let now = local(zone, seconds)?;
    let hour = now.hour();
    if (QUIET_UNTIL..QUIET_FROM).contains(&hour) {
        return None;
    }
    let day = if hour >= QUIET_FROM {
        now.date_naive().succ_opt()?
    } else {
        now.date_naive()
    };
    at_hour(zone, day, QUIET_UNTIL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp())
            .unwrap_or_default()
    }

    const NEW_YORK: Tz = chrono_tz::America::New_York;

    #[test]
    fn the_next_send_time_is_the_practices_hour_in_its_zone() {
        // 09:30 in New York (14:30 UTC): 10:00 today; at 10:30: 10:00 tomorrow.
        assert_eq!(
            next_send_time(NEW_YORK, 10, utc("2026-11-30T14:30:00Z")),
            Some(utc("2026-11-30T15:00:00Z"))
        );
        assert_eq!(
            next_send_time(NEW_YORK, 10, utc("2026-11-30T15:30:00Z")),
            Some(utc("2026-12-01T15:00:00Z"))
        );
    }

    #[test]
    fn quiet_hours_run_from_nine_in_the_evening_to_eight_in_the_morning() {
        assert_eq!(quiet_until(NEW_YORK, utc("2026-11-30T20:00:00Z")), None, "15:00");
        assert_eq!(
            quiet_until(NEW_YORK, utc("2026-12-01T01:59:59Z")),
            None,
            "20:59:59"
        );
        assert_eq!(
            quiet_until(NEW_YORK, utc("2026-12-01T02:00:00Z")),
            Some(utc("2026-12-01T13:00:00Z")),
            "21:00 waits for 08:00"
        );
        assert_eq!(
            quiet_until(NEW_YORK, utc("2026-12-01T12:59:00Z")),
            Some(utc("2026-12-01T13:00:00Z")),
            "07:59"
        );
        assert_eq!(quiet_until(NEW_YORK, utc("2026-12-01T13:00:00Z")), None, "08:00");
    }

    #[test]
    fn schedules_step_by_their_period_at_the_send_hour() {
        let from = utc("2026-11-30T15:00:00Z");
        assert_eq!(
            next_invitation(NEW_YORK, Schedule::Weekly, 10, from),
            Some(utc("2026-12-07T15:00:00Z"))
        );
        assert_eq!(
            next_invitation(NEW_YORK, Schedule::Fortnightly, 10, from),
            Some(utc("2026-12-14T15:00:00Z"))
        );
        assert_eq!(
            next_invitation(NEW_YORK, Schedule::Monthly, 10, from),
            Some(utc("2026-12-30T15:00:00Z"))
        );
        assert_eq!(next_invitation(NEW_YORK, Schedule::Off, 10, from), None);
    }
}

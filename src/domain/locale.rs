//! A practice's time zone and phone country: times are stored as UTC seconds and shown in the
//! practice's zone; phone numbers are stored E.164 and shown in the practice country's format.

use chrono::{DateTime, NaiveDate, TimeZone as _};
use chrono_tz::Tz;
use phonenumber::{Mode, country};

use super::FieldError;

/// An IANA time zone name that chrono-tz knows ("Europe/London", "UTC").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(Tz::UTC);

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        raw.trim()
            .parse::<Tz>()
            .map(Self)
            .map_err(|_| FieldError::new(field, "Choose a time zone from the list, e.g. America/New_York."))
    }

    /// A stored name; a name this build does not know falls back to UTC rather than failing a page.
    pub fn from_stored(name: &str) -> Self {
        name.parse::<Tz>().map_or(Self::UTC, Self)
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    /// The zones offered on the Options page: the canonical `Area/City` names and UTC.
    pub fn choices() -> Vec<&'static str> {
        const AREAS: [&str; 9] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|name| AREAS.iter().any(|area| name.starts_with(area)))
            .collect();
        names.sort_unstable();
        names.insert(0, "UTC");
        names
    }
}

/// A two-letter country whose phone numbers libphonenumber knows ("US", "GB"), held as the
/// metadata's own (static) code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneRegion(&'static str);

impl PhoneRegion {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let upper = raw.trim().to_ascii_uppercase();
        phonenumber::metadata::DATABASE
            .by_id(upper.as_str())
            .map(phonenumber::Metadata::id)
            .filter(|code| code.parse::<country::Id>().is_ok())
            .map(Self)
            .ok_or_else(|| FieldError::new(field, "Choose a country from the list, e.g. US or GB."))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    fn id(self) -> Option<country::Id> {
        self.0.parse().ok()
    }

    /// The country calling code (1 for US, 44 for GB).
    pub fn calling_code(self) -> Option<u16> {
        phonenumber::metadata::DATABASE
            .by_id(self.0)
            .map(phonenumber::Metadata::country_code)
    }

    /// A mobile number of this country written the national way, for "e.g." hints.
    pub fn example(self) -> Option<String> {
        let meta = phonenumber::metadata::DATABASE.by_id(self.0)?;
        let digits = meta.descriptors().mobile()?.example()?;
        let number = phonenumber::parse(self.id(), digits).ok()?;
        Some(number.format().mode(Mode::National).to_string())
    }

    /// Every country libphonenumber knows, by code.
    pub fn choices() -> Vec<PhoneRegion> {
        let mut ids: Vec<PhoneRegion> = phonenumber::metadata::DATABASE
            .iter()
            .map(phonenumber::Metadata::id)
            .filter(|code| code.parse::<country::Id>().is_ok())
            .map(PhoneRegion)
            .collect();
        ids.sort_by_key(|r| r.code());
        ids.dedup();
        ids
    }
}

/// How one practice shows times and phone numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    pub zone: TimeZone,
    pub region: PhoneRegion,
}

impl Locale {
    /// From the stored settings; `region` falls back to `default_region` (the server's).
    pub fn from_stored(zone: &str, region: Option<&str>, default_region: &str) -> Self {
        let fallback = PhoneRegion::parse("phone_region", default_region).unwrap_or(PhoneRegion("US"));
        Self {
            zone: TimeZone::from_stored(zone),
            region: region
                .and_then(|r| PhoneRegion::parse("phone_region", r).ok())
                .unwrap_or(fallback),
        }
    }

    fn local(&self, seconds: i64) -> Option<DateTime<Tz>> {
        DateTime::from_timestamp(seconds, 0).map(|t| t.with_timezone(&self.zone.tz()))
    }

    /// "3 Mar 2026, 14:05 GMT": the date, the time and the zone's abbreviation.
    pub fn date_time(&self, seconds: i64) -> String {
        self.local(seconds)
            .map(|t| t.format("%-d %b %Y, %H:%M %Z").to_string())
            .unwrap_or_default()
    }

    /// "3 Mar 2026, 14:05:09 EST": the audit log keeps times to the second.
    pub fn date_time_seconds(&self, seconds: i64) -> String {
        self.local(seconds)
            .map(|t| t.format("%-d %b %Y, %H:%M:%S %Z").to_string())
            .unwrap_or_default()
    }

    /// "3 Mar 2026".
    pub fn date(&self, seconds: i64) -> String {
        self.local(seconds)
            .map(|t| t.format("%-d %b %Y").to_string())
            .unwrap_or_default()
    }

    /// "3 Mar": for the graph's axis, where the year is in the table.
    pub fn short_date(&self, seconds: i64) -> String {
        self.local(seconds)
            .map(|t| t.format("%-d %b").to_string())
            .unwrap_or_default()
    }

    /// RFC 3339 with the practice's offset, for exports ("2026-03-03T14:05:00+00:00").
    pub fn rfc3339(&self, seconds: i64) -> String {
        self.local(seconds).map(|t| t.to_rfc3339()).unwrap_or_default()
    }

    /// The first second of a local calendar day, in UTC seconds (for "from" filters).
    pub fn start_of_day(&self, day: NaiveDate) -> Option<i64> {
        let midnight = day.and_hms_opt(0, 0, 0)?;
        self.zone
            .tz()
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp())
    }

    /// A stored number as people of this country write it: national format for numbers of the
    /// practice's calling code, international for any other; what cannot be read is shown as
    /// stored.
    pub fn phone(&self, e164: &str) -> String {
        let Ok(number) = phonenumber::parse(None, e164) else {
            return e164.to_string();
        };
        // Same calling code: written the national way (a Canadian number in a US practice too).
        let home = self.region.calling_code() == Some(number.code().value());
        let mode = if home { Mode::National } else { Mode::International };
        number.format().mode(mode).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(zone: &str, region: &str) -> Locale {
        Locale::from_stored(zone, Some(region), "US")
    }

    #[test]
    fn times_show_in_the_practice_zone_with_its_abbreviation() {
        // 2026-07-01 12:00 UTC.
        let noon = 1_782_907_200;
        assert_eq!(locale("UTC", "US").date_time(noon), "1 Jul 2026, 12:00 UTC");
        assert_eq!(
            locale("America/New_York", "US").date_time(noon),
            "1 Jul 2026, 08:00 EDT"
        );
        assert_eq!(
            locale("Europe/London", "GB").date_time(noon),
            "1 Jul 2026, 13:00 BST"
        );
        assert_eq!(locale("Pacific/Auckland", "NZ").date(noon), "2 Jul 2026");
        assert!(locale("Europe/Berlin", "DE").rfc3339(noon).ends_with("+02:00"));
    }

    #[test]
    fn unknown_zones_and_regions_fall_back() {
        let fallback = Locale::from_stored("Mars/Olympus", Some("XX"), "GB");
        assert_eq!(fallback.zone, TimeZone::UTC);
        assert_eq!(fallback.region.code(), "GB");
        assert!(TimeZone::parse("time_zone", "Mars/Olympus").is_err());
        assert!(PhoneRegion::parse("phone_region", "XX").is_err());
        assert_eq!(
            PhoneRegion::parse("phone_region", "gb").map(PhoneRegion::code),
            Ok("GB")
        );
    }

    #[test]
    fn home_numbers_are_national_and_others_international() {
        let us = locale("UTC", "US");
        assert_eq!(us.phone("+16502530002"), "(650) 253-0002");
        assert_eq!(us.phone("+447911123456"), "+44 7911 123456");
        let gb = locale("UTC", "GB");
        assert_eq!(gb.phone("+447911123456"), "07911 123456");
        assert_eq!(gb.phone("not a number"), "not a number");
    }

    #[test]
    fn each_country_has_an_example_and_the_lists_are_full() {
        let gb = PhoneRegion::parse("phone_region", "GB").expect("GB");
        assert_eq!(gb.example().as_deref(), Some("07400 123456"));
        assert_eq!(gb.calling_code(), Some(44));
        assert!(PhoneRegion::choices().len() > 200);
        let zones = TimeZone::choices();
        assert!(zones.contains(&"Europe/London") && zones[0] == "UTC");
        assert!(!zones.contains(&"US/Eastern"));
    }

    #[test]
    fn a_local_day_starts_at_local_midnight() {
        let ny = locale("America/New_York", "US");
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
        assert_eq!(ny.start_of_day(day), Some(1_782_878_400));
    }
}

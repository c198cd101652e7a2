//! Contexts for the paged client lists: each client as a row of words and numbers in the
//! practice's locale, and the links to the pages before and after.

use serde::Serialize;

use crate::domain::Locale;
use crate::services::caseload::{ListedClient, Paged};

/// One client in a dashboard list or on `/clients`.
#[derive(Debug, Serialize)]
pub struct ClientRow {
    pub id: i32,
    pub full_name: String,
    pub user_id: String,
    pub active: bool,
    pub age_group: &'static str,
    pub provider: String,
    /// The triage label ("Red: outcome") and its colour class.
    pub flag: &'static str,
    pub flag_colour: &'static str,
    /// The triage rank, 0 (alert) to 5 (no flag), for the page's data attributes.
    pub rank: i32,
    pub safety_alert: bool,
    pub outcome_flag: &'static str,
    pub alliance_flag: &'static str,
    pub sessions: i32,
    pub intake: String,
    pub latest: String,
    pub change: String,
    pub last_session: String,
    pub off_track_since: String,
}

impl ClientRow {
    pub fn new(c: ListedClient, locale: &Locale) -> Self {
        let one = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        Self {
            change: c.change().map(|d| format!("{d:+.1}")).unwrap_or_default(),
            id: c.id,
            user_id: c.login,
            active: c.active,
            age_group: c
                .age_group
                .map(entities::values::AgeGroup::as_str)
                .unwrap_or_default(),
            provider: c.provider_name.unwrap_or_else(|| "Unassigned".into()),
            flag: c.attention.label(),
            flag_colour: c.attention.colour(),
            rank: c.attention.rank(),
            safety_alert: c.attention == crate::domain::triage::Attention::SafetyAlert,
            outcome_flag: c.outcome_flag.as_str(),
            alliance_flag: c.alliance_flag.as_str(),
            sessions: c.sessions,
            intake: one(c.intake),
            latest: one(c.latest),
            last_session: c.last_session_at.map(|t| locale.date(t)).unwrap_or_default(),
            off_track_since: c.off_track_since.map(|t| locale.date(t)).unwrap_or_default(),
            full_name: c.full_name,
        }
    }
}

/// Where a page sits, and the links to its neighbours (the list's own query kept).
#[derive(Debug, Serialize)]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    /// False: the list counted no further than `total`, and there are more ("of more than").
    pub exact: bool,
    /// The first and last row numbers shown ("51–100 of 212").
    pub first: u64,
    pub last: u64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `link(page)` builds the address of another page of the same list.
    pub fn new<T>(paged: &Paged<T>, shown: usize, link: impl Fn(u64) -> String) -> Self {
        let rows = crate::services::caseload::PAGE_ROWS;
        let first = if paged.total == 0 {
            0
        } else {
            (paged.page - 1) * rows + 1
        };
        Self {
            page: paged.page,
            pages: paged.pages,
            total: paged.total,
            exact: paged.exact,
            first,
            last: first + (shown as u64).saturating_sub(1),
            previous: (paged.page > 1).then(|| link(paged.page - 1)),
            next: (paged.page < paged.pages || !paged.exact).then(|| link(paged.page + 1)),
        }
    }
}

/// One page of clients ready for a template.
#[derive(Debug, Serialize)]
pub struct ClientPage {
    pub rows: Vec<ClientRow>,
    pub pager: Pager,
}

impl ClientPage {
    pub fn new(paged: Paged<ListedClient>, locale: &Locale, link: impl Fn(u64) -> String) -> Self {
        let pager = Pager::new(&paged, paged.rows.len(), link);
        Self {
            rows: paged
                .rows
                .into_iter()
                .map(|c| ClientRow::new(c, locale))
                .collect(),
            pager,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paged(page: u64, pages: u64, total: u64, exact: bool) -> Paged<()> {
        Paged {
            rows: vec![(); 50],
            page,
            pages,
            total,
            exact,
        }
    }

    #[test]
    fn a_list_counted_to_the_end_stops_at_its_last_page() {
        let pager = Pager::new(&paged(5, 5, 250, true), 50, |p| format!("?page={p}"));
        assert_eq!((pager.first, pager.last), (201, 250));
        assert_eq!(pager.previous.as_deref(), Some("?page=4"));
        assert_eq!(pager.next, None);
    }

    #[test]
    fn a_list_counted_only_to_the_cap_links_past_it() {
        let pager = Pager::new(&paged(20, 20, 1_000, false), 50, |p| format!("?page={p}"));
        assert_eq!((pager.first, pager.last), (951, 1_000));
        assert!(!pager.exact);
        assert_eq!(pager.next.as_deref(), Some("?page=21"));
    }
}

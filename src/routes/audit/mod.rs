//! `/audit` and `/audit.csv`: the account's audit log for owners and admins — names instead of
//! ids, a plain title per event, the practice's local time, filters by person, event and
//! dates, and pages of 50 (the CSV has every matching event).

use std::collections::HashMap;

use chrono::NaiveDate;
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::ManagerUser;
use crate::domain::{FieldError, Locale, Role};
use crate::error::AppError;
use crate::services::audit::{self, Entry, Filters, Named, PageAt, subject_person};
use crate::services::practice;
use crate::state::AppState;
use crate::views::audit::{EVENTS, outcome, title};
use crate::views::{FormState, Layout};

mod download;

#[derive(Serialize)]
struct AuditRow {
    at: String,
    at_iso: String,
    at_utc: String,
    actor: String,
    actor_link: Option<String>,
    action: String,
    title: String,
    subject: String,
    subject_link: Option<String>,
    ip: String,
    outcome: String,
    failed: bool,
    details: String,
}

/// Where a person's page is, for the log's links.
fn link(id: i32, named: &Named) -> String {
    if named.role == Role::Client {
        format!("/clients/{id}")
    } else {
        format!("/staff/{id}")
    }
}

impl AuditRow {
    fn new(e: Entry, names: &HashMap<i32, Named>, locale: &Locale) -> Self {
        let person = |id: i32| names.get(&id).map(|n| (n.name.clone(), link(id, n)));
        let (actor, actor_link) = match e.actor_id.map(|id| (id, person(id))) {
            Some((_, Some((name, href)))) => (name, Some(href)),
            Some((id, None)) => (format!("Person {id} (not in this practice)"), None),
            None => ("The service".to_string(), None),
        };
        let subject_id = e.subject.as_deref().and_then(subject_person);
        let (subject, subject_link) = match subject_id.and_then(person) {
            Some((name, href)) => (name, Some(href)),
            None => (e.subject.clone().unwrap_or_default(), None),
        };
        Self {
            at: locale.date_time_seconds(e.at),
            at_iso: locale.rfc3339(e.at),
            at_utc: crate::clock::format_time_seconds(e.at),
            actor,
            actor_link,
            title: title(&e.action),
            action: e.action,
            subject,
            subject_link,
            ip: e.ip.unwrap_or_default(),
            failed: e.outcome == "failure",
            outcome: outcome(&e.outcome).to_string(),
            details: e.details.unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct AuditPage {
    layout: Layout,
    form: FormState,
    people: Vec<Choice>,
    events: Vec<Choice>,
    zone: &'static str,
    rows: Vec<AuditRow>,
    pager: Option<LogPager>,
    csv: String,
}

/// The query as typed; each field is read (and refused) on its own.
#[derive(FromForm, Default)]
struct AuditQuery<'r> {
    person: Option<&'r str>,
    event: Option<&'r str>,
    from: Option<&'r str>,
    to: Option<&'r str>,
    /// A keyset cursor (`time.id`, from the page links): the events just older than it.
    older: Option<&'r str>,
    /// …or just newer than it.
    newer: Option<&'r str>,
}

/// A cursor as the page links write it: `<unix time>.<id>`.
fn cursor(text: &str) -> Option<(i64, i32)> {
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// Links to the newer and older pages of the log (keyset: no page numbers, no total).
#[derive(Serialize)]
struct LogPager {
    newer: Option<String>,
    older: Option<String>,
}

fn blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

const DATE_FORMAT: &str = "Enter a date as YYYY-MM-DD, e.g. 2026-03-31.";

/// The filters in UTC seconds (the dates are the practice's days), or the form's messages.
fn read(query: &AuditQuery<'_>, locale: &Locale, form: &mut FormState) -> Option<(Filters, PageAt)> {
    for (name, value) in [
        ("person", query.person),
        ("event", query.event),
        ("from", query.from),
        ("to", query.to),
    ] {
        form.values
            .insert(name.into(), value.unwrap_or_default().to_string());
    }
    let person = match blank(query.person).map(str::parse::<i32>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            form.add(FieldError::new("person", "Choose a person from the list."));
            None
        }
    };
    let action = blank(query.event).map(str::to_string);
    if action.as_ref().is_some_and(|a| a.len() > 64) {
        form.add(FieldError::new("event", "Choose an event from the list."));
    }
    let mut day = |name: &'static str, value: Option<&str>| match blank(value)
        .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
    {
        None => None,
        Some(Ok(date)) => Some(date),
        Some(Err(_)) => {
            form.add(FieldError::new(name, DATE_FORMAT));
            None
        }
    };
    let from = day("from", query.from);
    let to = day("to", query.to);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        form.add(FieldError::new(
            "to",
            "The last day must not be before the first.",
        ));
    }
    // Both cursors at once, or one that does not read, falls back to the newest page.
    let at = match (blank(query.older), blank(query.newer)) {
        (Some(text), None) => cursor(text).map_or(PageAt::Newest, |(t, i)| PageAt::Older(t, i)),
        (None, Some(text)) => cursor(text).map_or(PageAt::Newest, |(t, i)| PageAt::Newer(t, i)),
        _ => PageAt::Newest,
    };
    if at == PageAt::Newest && (blank(query.older).is_some() || blank(query.newer).is_some()) {
        form.add(FieldError::new(
            "page",
            "This page link could not be read; the newest events are shown from the start.",
        ));
    }
    if !form.is_valid() {
        return None;
    }
    let filters = Filters {
        person,
        action,
        from: from.and_then(|d| locale.start_of_day(d)),
        // Through the end of the last day: up to the start of the next.
        until: to.and_then(|d| d.succ_opt()).and_then(|d| locale.start_of_day(d)),
    };
    Some((filters, at))
}

/// The query part shared by the page links and the CSV link; `page` is a cursor
/// (`("older" | "newer", (time, id))`).
fn query_string(form: &FormState, page: Option<(&str, (i64, i32))>) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for name in ["person", "event", "from", "to"] {
        if let Some(value) = form.values.get(name).filter(|v| !v.trim().is_empty()) {
            url.append_pair(name, value.trim());
        }
    }
    if let Some((way, (at, id))) = page {
        url.append_pair(way, &format!("{at}.{id}"));
    }
    url.finish()
}

#[get("/audit?<query..>")]
async fn page(
    state: &State<AppState>,
    actor: ManagerUser,
    query: AuditQuery<'_>,
) -> Result<(Status, Template), AppError> {
    let locale = practice::locale(state, &actor.account);
    let mut form = FormState::default();
    let read = read(&query, &locale, &mut form);
    let (status, rows, pager, chosen) = match read {
        Some((filters, at)) => {
            let found = audit::page(&state.db, &actor, &filters, at).await?;
            let names = audit::names(&state.db, &actor, &found.rows, filters.person).await?;
            let pager = LogPager {
                newer: found
                    .newer
                    .map(|c| format!("/audit?{}", query_string(&form, Some(("newer", c))))),
                older: found
                    .older
                    .map(|c| format!("/audit?{}", query_string(&form, Some(("older", c))))),
            };
            let chosen = filters
                .person
                .and_then(|id| names.get(&id).map(|n| (id, n.name.clone())));
            let rows = found
                .rows
                .into_iter()
                .map(|e| AuditRow::new(e, &names, &locale))
                .collect();
            (Status::Ok, rows, Some(pager), chosen)
        }
        None => (Status::UnprocessableEntity, Vec::new(), None, None),
    };
    let mut people: Vec<Choice> = audit::staff(&state.db, &actor)
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name,
        })
        .collect();
    // A client chosen from their page's link is offered too, so the form shows who it is.
    if let Some((id, name)) = chosen
        && !people.iter().any(|p| p.value == id.to_string())
    {
        people.insert(
            0,
            Choice {
                value: id.to_string(),
                label: name,
            },
        );
    }
    let events = EVENTS
        .iter()
        .map(|(action, title)| Choice {
            value: (*action).to_string(),
            label: (*title).to_string(),
        })
        .collect();
    let csv = format!("/audit.csv?{}", query_string(&form, None));
    let page = AuditPage {
        layout: Layout::new(&actor, "Audit log"),
        people,
        events,
        zone: locale.zone.name(),
        rows,
        pager,
        csv,
        form,
    };
    Ok((status, Template::render("audit", page)))
}

pub fn routes() -> Vec<Route> {
    routes![page, download::csv_export]
}

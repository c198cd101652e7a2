//! `GET /clients`: the actor's clients searched (`q`), filtered (`flag`, `provider`, `status`),
//! sorted (`sort`) and paged (`page`), 50 to a page. A plain GET form: it works without
//! JavaScript and every choice stays in the address, so a list can be bookmarked or shared.

use rocket::http::Status;
use rocket::{FromForm, State, get};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::StaffUser;
use crate::domain::Role;
use crate::error::AppError;
use crate::services::caseload::{self, Filters, FlagFilter, Sort, Status as Shown};
use crate::services::{clients, practice};
use crate::state::AppState;
use crate::views::lists::ClientPage;
use crate::views::{FormState, Layout};

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct ClientListPage {
    layout: Layout,
    form: FormState,
    flags: Vec<Choice>,
    statuses: Vec<Choice>,
    sorts: Vec<Choice>,
    providers: Vec<Choice>,
    show_provider: bool,
    list: Option<ClientPage>,
}

/// The query as typed: every field is text until read, so a bad one is named, not dropped.
#[derive(FromForm, Default)]
pub(super) struct ListQuery<'r> {
    q: Option<&'r str>,
    flag: Option<&'r str>,
    provider: Option<&'r str>,
    status: Option<&'r str>,
    sort: Option<&'r str>,
    page: Option<&'r str>,
}

const LONGEST_SEARCH: usize = 100;

/// A field left blank is no filter.
fn blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The filters, or the form with a message on each field that could not be read.
fn read(query: &ListQuery<'_>, form: &mut FormState) -> Option<(Filters, u64)> {
    for (name, value) in [
        ("q", query.q),
        ("flag", query.flag),
        ("provider", query.provider),
        ("status", query.status),
        ("sort", query.sort),
    ] {
        form.values
            .insert(name.into(), value.unwrap_or_default().to_string());
    }
    let q = blank(query.q).map(str::to_string);
    if q.as_ref().is_some_and(|q| q.chars().count() > LONGEST_SEARCH) {
        form.add(crate::domain::FieldError::new(
            "q",
            format!("Search for at most {LONGEST_SEARCH} characters."),
        ));
    }
    let mut pick = |name: &'static str, value: Option<&str>, parse: &dyn Fn(&str) -> bool, message: &str| {
        if let Some(v) = blank(value)
            && !parse(v)
        {
            form.add(crate::domain::FieldError::new(name, message));
        }
    };
    pick(
        "flag",
        query.flag,
        &|v| FlagFilter::parse(v).is_some(),
        "Choose a flag from the list.",
    );
    pick(
        "status",
        query.status,
        &|v| Shown::parse(v).is_some(),
        "Choose active, deactivated or all.",
    );
    pick(
        "sort",
        query.sort,
        &|v| Sort::parse(v).is_some(),
        "Choose name, last session or flag.",
    );
    pick(
        "provider",
        query.provider,
        &|v| v.parse::<i32>().is_ok(),
        "Choose a provider from the list.",
    );
    let page = match blank(query.page) {
        None => 1,
        Some(p) => match p.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                form.add(crate::domain::FieldError::new(
                    "page",
                    "Pages are numbered from 1.",
                ));
                1
            }
        },
    };
    if !form.is_valid() {
        return None;
    }
    Some((
        Filters {
            q,
            flag: blank(query.flag).and_then(FlagFilter::parse),
            provider: blank(query.provider).and_then(|v| v.parse().ok()),
            status: blank(query.status).and_then(Shown::parse).unwrap_or_default(),
            sort: blank(query.sort).and_then(Sort::parse).unwrap_or_default(),
        },
        page,
    ))
}

/// The address of another page of this very list.
fn link(filters: &Filters, page: u64) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = &filters.q {
        url.append_pair("q", q);
    }
    if let Some(flag) = filters.flag {
        url.append_pair("flag", flag.as_str());
    }
    if let Some(provider) = filters.provider {
        url.append_pair("provider", &provider.to_string());
    }
    url.append_pair("status", filters.status.as_str());
    url.append_pair("sort", filters.sort.as_str());
    url.append_pair("page", &page.to_string());
    format!("/clients?{}", url.finish())
}

#[get("/clients?<query..>")]
pub(super) async fn list(
    state: &State<AppState>,
    actor: StaffUser,
    query: ListQuery<'_>,
) -> Result<(Status, Template), AppError> {
    let mut form = FormState::default();
    let read = read(&query, &mut form);
    let locale = practice::locale(state, &actor.account);
    let (status, list) = match read {
        Some((filters, page)) => {
            let found = caseload::list(&state.db, &actor, &filters, page).await?;
            (
                Status::Ok,
                Some(ClientPage::new(found, &locale, |p| link(&filters, p))),
            )
        }
        None => (Status::UnprocessableEntity, None),
    };
    let providers = clients::assignable_providers(&state.db, &actor)
        .await?
        .into_iter()
        .map(|p| Choice {
            value: p.id.to_string(),
            label: p.full_name,
        })
        .collect();
    let choice = |value: &str, label: &str| Choice {
        value: value.into(),
        label: label.into(),
    };
    let page = ClientListPage {
        layout: Layout::new(&actor, "Clients"),
        flags: FlagFilter::ALL
            .iter()
            .map(|f| choice(f.as_str(), f.label()))
            .collect(),
        statuses: Shown::ALL.iter().map(|s| choice(s.as_str(), s.label())).collect(),
        sorts: Sort::ALL.iter().map(|s| choice(s.as_str(), s.label())).collect(),
        providers,
        show_provider: actor.role() != Role::Provider,
        form,
        list,
    };
    Ok((status, Template::render("clients_list", page)))
}

//! `/staff`: owners and admins list, create, update and deactivate staff.

use rocket::form::{self, Contextual};
use rocket::http::Status;
use rocket::{FromForm, Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::{CsrfChecked, CsrfForm, ManagerUser, RequestMeta};
use crate::domain::Locale;
use crate::domain::{
    Email, FieldError, LoginId, NewPassword, PasswordContext, PersonName, PhoneEntry, Role, StaffId,
};
use crate::error::AppError;
use crate::routes::fields::{Optional, Trimmed, take};
use crate::routes::step_up::FreshSecondFactor;
use crate::services::staff::{self, ManagedStaff, StaffInput, StaffListing};
use crate::services::{devices, login_taken, practice, second_step};
use crate::state::AppState;
use crate::views::notices::{Saved, phone_hint};
use crate::views::{DeviceRow, FormState, Layout, Page, device_rows};

#[derive(Serialize)]
struct StaffRow {
    id: i32,
    full_name: String,
    user_id: String,
    role: String,
    phone: String,
    email: String,
    active: bool,
}

impl StaffRow {
    /// Phone numbers in the practice's format; a masked one stays masked.
    fn new(s: StaffListing, locale: &Locale) -> Self {
        Self {
            id: s.id,
            role: s.role.label().to_string(),
            full_name: s.full_name,
            user_id: s.login,
            phone: s.phone.map(|p| locale.phone(&p)).unwrap_or_default(),
            email: s.email.unwrap_or_default(),
            active: s.active,
        }
    }
}

#[derive(Serialize)]
struct StaffListPage {
    layout: Layout,
    staff: Vec<StaffRow>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Serialize)]
struct StaffFormPage {
    layout: Layout,
    form: FormState,
    target_id: Option<i32>,
    target_active: bool,
    role_locked: bool,
    /// One's own record: the password changes on /account/password instead.
    is_self: bool,
    roles: Vec<Choice>,
    supervisors: Vec<Choice>,
    devices: Vec<DeviceRow>,
    factor_summary: String,
    phone_hint: String,
    saved: Option<&'static str>,
}

/// The staff form. Text fields are checked after parsing (their rules need the other fields,
/// the practice's country or the database); each typed field keeps its own result so that a
/// refused one does not hide the others' messages.
#[derive(FromForm)]
struct StaffForm<'r> {
    #[field(default = "")]
    full_name: &'r str,
    /// Only when creating: a user ID never changes.
    #[field(default = "")]
    user_id: &'r str,
    /// Blank on update keeps the current password.
    #[field(default = "")]
    password: &'r str,
    role: form::Result<'r, Role>,
    phone: form::Result<'r, PhoneEntry>,
    email: form::Result<'r, Optional<Email>>,
    supervisor_id: form::Result<'r, Optional<Trimmed<i32>>>,
}

/// What a re-rendered form puts back (never the password).
const ECHO: &[&str] = &["full_name", "user_id", "role", "phone", "email", "supervisor_id"];

const ROLE_REFUSED: &str = "Choose a role you are allowed to give.";
const SUPERVISOR_REFUSED: &str = "Choose a supervisor from the list.";
const MESSAGES: &[(&str, &str)] = &[("role", ROLE_REFUSED), ("supervisor_id", SUPERVISOR_REFUSED)];

const TAKEN: &str = "That user ID is taken. Choose another.";

#[get("/staff")]
async fn list(state: &State<AppState>, actor: ManagerUser) -> Result<Template, AppError> {
    let locale = practice::locale(state, &actor.account);
    let staff = staff::list(&state.db, &actor)
        .await?
        .into_iter()
        .map(|s| StaffRow::new(s, &locale))
        .collect();
    Ok(Template::render(
        "staff_list",
        StaffListPage {
            layout: Layout::new(&actor, "Staff"),
            staff,
        },
    ))
}

/// The owner's role, and one's own, are not changed from this form.
fn role_locked(actor: &ManagerUser, target: Option<&ManagedStaff>) -> bool {
    target.is_some_and(|t| t.role == Role::Owner || t.id == actor.user.id)
}

async fn form_page(
    state: &AppState,
    actor: &ManagerUser,
    form: FormState,
    target: Option<&ManagedStaff>,
    saved: Option<&'static str>,
) -> Result<Template, AppError> {
    let locale = practice::locale(state, &actor.account);
    let roles = staff::assignable_roles(actor.role())
        .into_iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
        })
        .collect();
    let supervisors = staff::supervisors(&state.db, actor.account.id)
        .await?
        .into_iter()
        .filter(|s| Some(s.id) != target.map(|t| t.id))
        .map(|s| Choice {
            value: s.id.to_string(),
            label: s.full_name,
        })
        .collect();
    let (title, devices, factor_summary) = match target {
        Some(t) => (
            format!("Staff: {}", t.full_name),
            devices::list_for_user(&state.db, t.id).await?,
            second_step::summary(&state.db, t.id, &locale).await?,
        ),
        None => ("New staff member".to_string(), Vec::new(), String::new()),
    };
    Ok(Template::render(
        "staff_form",
        StaffFormPage {
            layout: Layout::new(actor, title),
            form,
            target_id: target.map(|t| t.id),
            target_active: target.is_none_or(|t| t.active),
            role_locked: role_locked(actor, target),
            is_self: target.is_some_and(|t| t.id == actor.user.id),
            roles,
            supervisors,
            devices: device_rows(devices, state.now(), &locale),
            factor_summary,
            phone_hint: phone_hint(&locale),
            saved,
        },
    ))
}

fn values_of(t: &ManagedStaff, locale: &Locale) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: String| {
        form.values.insert(k.to_string(), v);
    };
    set("full_name", t.full_name.clone());
    set("user_id", t.login.clone());
    set("role", t.role.as_str().to_string());
    set(
        "phone",
        t.phone.as_deref().map(|p| locale.phone(p)).unwrap_or_default(),
    );
    set("email", t.email.clone().unwrap_or_default());
    set(
        "supervisor_id",
        t.supervisor_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    form
}

/// Checks the staff form; `target` is `None` when creating. Every field is checked, so the
/// page names every mistake at once.
async fn check(
    state: &AppState,
    actor: &ManagerUser,
    input: StaffForm<'_>,
    target: Option<&ManagedStaff>,
    out: &mut FormState,
) -> Result<Option<StaffInput>, AppError> {
    let full_name = out.take(PersonName::parse("full_name", "Full name", input.full_name));
    let login = match target {
        None => {
            let login = out.take(LoginId::parse("user_id", input.user_id));
            if let Some(l) = &login
                && login_taken(&state.db, l.as_str()).await?
            {
                out.add(FieldError::new("user_id", TAKEN));
            }
            login
        }
        Some(t) => Some(LoginId::from_trusted(t.login.clone())),
    };
    let login_text = login.as_ref().map(|l| l.as_str().to_string()).unwrap_or_default();
    let context = PasswordContext {
        words: vec![&login_text, input.full_name, &actor.account.name],
    };
    let password = match (target, input.password) {
        (Some(_), "") => Some(None),
        // SECURITY: one's own password changes only on /account/password, with the current one.
        (Some(t), _) if t.id == actor.user.id => {
            out.add(FieldError::new(
                "password",
                "Change your own password on the Password page: it asks for your current one.",
            ));
            None
        }
        (_, raw) => out.take(NewPassword::parse("password", raw, &context)).map(Some),
    };
    let role = match target {
        // A locked role is kept whatever was sent.
        Some(t) if role_locked(actor, target) => Some(t.role),
        _ => match take(out, "role", input.role, MESSAGES) {
            Some(role) if staff::assignable_roles(actor.role()).contains(&role) => Some(role),
            _ => {
                out.add(FieldError::new("role", ROLE_REFUSED));
                None
            }
        },
    };
    let phone = take(out, "phone", input.phone, MESSAGES).and_then(|entry| {
        let region = practice::locale(state, &actor.account).region;
        out.take(entry.resolve("phone", region.code()))
    });
    let email = take(out, "email", input.email, MESSAGES).map(Optional::into_inner);
    let supervisor_id = match take(out, "supervisor_id", input.supervisor_id, MESSAGES) {
        None => None,
        Some(Optional(None)) => Some(None),
        Some(Optional(Some(Trimmed(id)))) => {
            if staff::check_supervisor(&state.db, actor.account.id, Some(id)).await? {
                Some(Some(id))
            } else {
                out.add(FieldError::new("supervisor_id", SUPERVISOR_REFUSED));
                None
            }
        }
    };
    if !out.is_valid() {
        return Ok(None);
    }
    Ok((|| {
        Some(StaffInput {
            full_name: full_name?,
            login: login.filter(|_| target.is_none()),
            password: password?,
            role: role?,
            phone: phone?,
            email: email?,
            supervisor_id: supervisor_id?,
        })
    })())
}

#[get("/staff/new")]
async fn new_form(state: &State<AppState>, actor: ManagerUser) -> Result<Template, AppError> {
    let mut form = FormState::default();
    form.values.insert("role".into(), Role::Provider.as_str().into());
    form_page(state, &actor, form, None, None).await
}

#[post("/staff/new", data = "<form>")]
async fn create(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    form: CsrfForm<Contextual<'_, StaffForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let CsrfForm(form) = form;
    let mut out = FormState::from_context(&form.context, ECHO, MESSAGES);
    if let Some(input) = form.value
        && let Some(input) = check(state, &actor, input, None, &mut out).await?
    {
        match staff::create(state, &actor, input, meta.ip).await {
            Ok(created) => return Ok(Page::see_other(format!("/staff/{}?saved=1", created.id))),
            // Taken a moment ago by someone else.
            Err(AppError::Conflict) => out.add(FieldError::new("user_id", TAKEN)),
            Err(other) => return Err(other),
        }
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        form_page(state, &actor, out, None, None).await?,
    )))
}

#[get("/staff/<id>?<saved>")]
async fn edit_form(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    saved: Option<&str>,
) -> Result<Template, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    let locale = practice::locale(state, &actor.account);
    let notice = saved.and_then(Saved::parse).map(Saved::message);
    form_page(state, &actor, values_of(&target, &locale), Some(&target), notice).await
}

#[post("/staff/<id>", data = "<form>")]
async fn update(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    id: StaffId,
    form: CsrfForm<Contextual<'_, StaffForm<'_>>>,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    let CsrfForm(form) = form;
    let mut out = FormState::from_context(&form.context, ECHO, MESSAGES);
    out.values.insert("user_id".into(), target.login.clone());
    if let Some(input) = form.value
        && let Some(input) = check(state, &actor, input, Some(&target), &mut out).await?
    {
        staff::update(state, &actor, target, input, meta.ip).await?;
        return Ok(Page::see_other(format!("/staff/{id}?saved=1")));
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        form_page(state, &actor, out, Some(&target), None).await?,
    )))
}

#[post("/staff/<id>/deactivate", data = "<_form>")]
async fn deactivate(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    id: StaffId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    staff::set_active(state, &actor, target, false, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}?saved=deactivated")))
}

#[post("/staff/<id>/activate", data = "<_form>")]
async fn activate(
    state: &State<AppState>,
    actor: ManagerUser,
    _fresh: FreshSecondFactor,
    id: StaffId,
    _form: CsrfChecked,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    staff::set_active(state, &actor, target, true, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}?saved=activated")))
}

pub fn routes() -> Vec<Route> {
    routes![list, new_form, create, edit_form, update, deactivate, activate]
}

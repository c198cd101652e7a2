//! `/staff`: owners and admins list, create, update and deactivate staff.

use rocket::http::Status;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use entities::user;

use crate::auth::{ManagerUser, RequestMeta, SecureForm};
use crate::domain::{
    Email, FieldError, LoginId, NewPassword, PasswordContext, PersonName, PhoneNumber, Role, StaffId,
};
use crate::error::AppError;
use crate::services::{devices, login_taken, staff};
use crate::state::AppState;
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
}

/// A staff row; the full phone number only for people this manager manages (SPEC §2).
fn row(actor: &ManagerUser, u: user::Model) -> StaffRow {
    let role = u.role;
    let manages = u.id == actor.user.id || actor.role() == Role::Owner || role < Role::Admin;
    let phone = match u.phone {
        Some(p) if manages => p,
        Some(p) => crate::domain::phone::mask(&p),
        None => String::new(),
    };
    StaffRow {
        id: u.id,
        role: u.role.label().to_string(),
        full_name: u.full_name,
        user_id: u.login,
        phone,
        email: u.email.unwrap_or_default(),
        active: u.active,
    }
}

#[get("/staff")]
async fn list(state: &State<AppState>, actor: ManagerUser) -> Result<Template, AppError> {
    let staff = staff::list(&state.db, &actor)
        .await?
        .into_iter()
        .map(|u| row(&actor, u))
        .collect();
    Ok(Template::render(
        "staff_list",
        StaffListPage {
            layout: Layout::new(&actor, "Staff"),
            staff,
        },
    ))
}

async fn form_page(
    state: &AppState,
    actor: &ManagerUser,
    form: FormState,
    target: Option<&user::Model>,
) -> Result<Template, AppError> {
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
    let devices = match target {
        Some(t) => devices::list_for_user(&state.db, t.id).await?,
        None => Vec::new(),
    };
    let factor_summary = match target {
        Some(t) => crate::services::authenticator::summary(&state.db, t.id).await?,
        None => String::new(),
    };
    let title = match target {
        Some(t) => format!("Staff: {}", t.full_name),
        None => "New staff member".to_string(),
    };
    let role_locked = target.is_some_and(|t| t.role == Role::Owner || t.id == actor.user.id);
    Ok(Template::render(
        "staff_form",
        StaffFormPage {
            layout: Layout::new(actor, title),
            form,
            target_id: target.map(|t| t.id),
            target_active: target.is_none_or(|t| t.active),
            role_locked,
            is_self: target.is_some_and(|t| t.id == actor.user.id),
            roles,
            supervisors,
            devices: device_rows(devices, state.now()),
            factor_summary,
        },
    ))
}

fn values_of(u: &user::Model) -> FormState {
    let mut form = FormState::default();
    let mut set = |k: &str, v: String| {
        form.values.insert(k.to_string(), v);
    };
    set("full_name", u.full_name.clone());
    set("user_id", u.login.clone());
    set("role", u.role.as_str().to_string());
    set("phone", u.phone.clone().unwrap_or_default());
    set("email", u.email.clone().unwrap_or_default());
    set(
        "supervisor_id",
        u.supervisor_id.map(|i| i.to_string()).unwrap_or_default(),
    );
    form
}

/// Parses the staff form; `target` is `None` when creating.
async fn parse(
    state: &AppState,
    actor: &ManagerUser,
    form: &SecureForm,
    target: Option<&user::Model>,
    out: &mut FormState,
) -> Result<Option<staff::StaffInput>, AppError> {
    let full_name = out.take(PersonName::parse("full_name", "Full name", form.get("full_name")));
    let login = match target {
        None => {
            let login = out.take(LoginId::parse("user_id", form.get("user_id")));
            if let Some(l) = &login
                && login_taken(&state.db, l.as_str()).await?
            {
                out.add(FieldError::new(
                    "user_id",
                    "That user ID is taken. Choose another.",
                ));
            }
            login
        }
        Some(t) => Some(LoginId::from_trusted(t.login.clone())),
    };
    let login_text = login.as_ref().map(|l| l.as_str().to_string()).unwrap_or_default();
    let context = PasswordContext {
        words: vec![&login_text, form.get("full_name"), &actor.account.name],
    };
    let password = match (target, form.get("password")) {
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
    let role_locked = target.is_some_and(|t| t.role == Role::Owner || t.id == actor.user.id);
    let role = if role_locked {
        target.map(|t| t.role)
    } else {
        out.take(
            Role::parse_staff_role(form.get("role"))
                .filter(|r| staff::assignable_roles(actor.role()).contains(r))
                .ok_or_else(|| FieldError::new("role", "Choose a role you are allowed to give.")),
        )
    };
    let phone = out.take(PhoneNumber::parse_optional(
        "phone",
        form.get("phone"),
        &state.settings.phone_region,
    ));
    let email = out.take(Email::parse_optional("email", form.get("email")));
    let supervisor_id = match form.get("supervisor_id").trim() {
        "" => Some(None),
        raw => match raw.parse::<i32>() {
            Ok(id) if staff::check_supervisor(&state.db, actor.account.id, Some(id)).await? => Some(Some(id)),
            _ => {
                out.add(FieldError::new(
                    "supervisor_id",
                    "Choose a supervisor from the list.",
                ));
                None
            }
        },
    };
    if !out.is_valid() {
        return Ok(None);
    }
    Ok((|| {
        Some(staff::StaffInput {
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
    form.values.insert("role".into(), "provider".into());
    form_page(state, &actor, form, None).await
}

#[post("/staff/new", data = "<form>")]
async fn create(
    state: &State<AppState>,
    actor: ManagerUser,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let mut out = FormState::with_values(form.echo());
    if let Some(input) = parse(state, &actor, &form, None, &mut out).await? {
        match staff::create(state, &actor, input, meta.ip).await {
            Ok(created) => return Ok(Page::see_other(format!("/staff/{}?saved=1", created.id))),
            Err(AppError::Conflict) => out.add(FieldError::new(
                "user_id",
                "That user ID is taken. Choose another.",
            )),
            Err(other) => return Err(other),
        }
    }
    Ok(Page::WithStatus((
        Status::UnprocessableEntity,
        form_page(state, &actor, out, None).await?,
    )))
}

#[get("/staff/<id>")]
async fn edit_form(state: &State<AppState>, actor: ManagerUser, id: StaffId) -> Result<Template, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    form_page(state, &actor, values_of(&target), Some(&target)).await
}

#[post("/staff/<id>", data = "<form>")]
async fn update(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    let mut out = FormState::with_values(form.echo());
    out.values.insert("user_id".into(), target.login.clone());
    match parse(state, &actor, &form, Some(&target), &mut out).await? {
        Some(input) => {
            staff::update(state, &actor, target, input, meta.ip).await?;
            Ok(Page::see_other(format!("/staff/{id}?saved=1")))
        }
        None => Ok(Page::WithStatus((
            Status::UnprocessableEntity,
            form_page(state, &actor, out, Some(&target)).await?,
        ))),
    }
}

#[post("/staff/<id>/deactivate", data = "<_form>")]
async fn deactivate(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    staff::set_active(state, &actor, target, false, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}")))
}

#[post("/staff/<id>/activate", data = "<_form>")]
async fn activate(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
    _form: SecureForm,
    meta: RequestMeta,
) -> Result<Page, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    staff::set_active(state, &actor, target, true, meta.ip).await?;
    Ok(Page::see_other(format!("/staff/{id}")))
}

pub fn routes() -> Vec<Route> {
    routes![list, new_form, create, edit_form, update, deactivate, activate]
}

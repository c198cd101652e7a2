//! Staff and client forms: validation, phone numbers, generated credentials, password resets.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::common::{STRONG_PASSWORD, TestApp, count_rows, create_client, create_staff, form_errors};

async fn staff_form_bad_input_answers_422_and_saves_nothing(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let before = count_rows(&app, "users").await;
    let answer = owner
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Pat Provider"),
                ("user_id", "pat"),
                ("password", "tooshort"),
                ("role", "wizard"),
                ("phone", "+44 20 7946 0018"),
                ("email", "pat@"),
                ("supervisor_id", "999"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&answer);
    for field in ["password", "role", "phone", "email", "supervisor_id"] {
        assert!(errors.contains_key(field), "{field}: {errors:?}");
    }
    assert!(
        errors["phone"].contains("cannot receive text messages"),
        "landline refused: {}",
        errors["phone"]
    );
    assert!(
        answer.body.contains("value=\"Pat Provider\""),
        "typed name survives"
    );
    assert_eq!(count_rows(&app, "users").await, before);
}

async fn phone_numbers_are_stored_in_e164(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let id = create_staff(&owner, "provider", "pat", "(415) 555-2671", None).await;
    let db = app.db().await;
    let stored = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT phone FROM users WHERE id = {id}"),
        ))
        .await
        .expect("query")
        .and_then(|row| row.try_get::<String>("", "phone").ok());
    assert_eq!(stored.as_deref(), Some("+14155552671"), "stored as E.164");
    let page = owner.get(&format!("/staff/{id}")).await;
    assert!(
        page.body.contains("value=\"(415) 555-2671\""),
        "shown the practice's (US) way"
    );
}

async fn updating_staff_keeps_the_password_when_blank(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let id = create_staff(&owner, "provider", "pat", "", None).await;
    let path = format!("/staff/{id}");
    let answer = owner
        .submit(
            &path,
            &path,
            &[
                ("full_name", "Pat Renamed"),
                ("password", ""),
                ("role", "supervisor"),
                ("phone", "+1 415 555 2671"),
                ("email", "pat@example.com"),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = owner.get(&path).await;
    assert!(page.body.contains("value=\"Pat Renamed\""));
    assert!(page.body.contains("<option value=\"supervisor\" selected>"));
    let pat = app.browser();
    assert_eq!(
        pat.login("pat", STRONG_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn a_new_client_gets_credentials_that_work_once_shown(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (id, login, password) = create_client(&owner, Some(pat), "+1 415 555 2671").await;
    assert!(password.chars().filter(char::is_ascii_alphanumeric).count() >= 12);
    let client = app.browser();
    assert_eq!(
        client.login(&login, &password).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(client.get("/").await.location(), Some("/my"));
    // The client's page does not show the password again.
    let page = owner.get(&format!("/clients/{id}")).await;
    assert!(!page.body.contains(&password));
}

async fn resetting_a_client_password_replaces_it_and_signs_them_out(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let pat = create_staff(&owner, "provider", "pat", "", None).await;
    let (id, login, old_password) = create_client(&owner, Some(pat), "").await;
    let client = app.browser();
    client.login(&login, &old_password).await;
    assert_eq!(client.get("/my").await.status, StatusCode::OK);
    let csrf = owner.csrf_from(&format!("/clients/{id}")).await;
    let answer = owner
        .post(&format!("/clients/{id}/password"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let new_password = answer
        .element_text("client-password")
        .expect("new password shown");
    assert_ne!(new_password, old_password);
    assert_eq!(
        client.get("/my").await.status,
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    assert_eq!(
        app.browser().login(&login, &old_password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().login(&login, &new_password).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn client_form_bad_input_answers_422_and_saves_nothing(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let before = count_rows(&app, "users").await;
    let answer = owner
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Casey"),
                ("last_name", ""),
                ("age_group", "elder"),
                ("phone", "555"),
                ("email", "nope"),
                ("provider_id", "424242"),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&answer);
    for field in ["last_name", "phone", "email", "provider_id"] {
        assert!(errors.contains_key(field), "{field}: {errors:?}");
    }
    assert!(answer.body.contains("Choose adult, adolescent or child."));
    assert!(answer.body.contains("value=\"Casey\""));
    assert_eq!(count_rows(&app, "users").await, before);
}

async fn changing_your_password_needs_the_current_one(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let other_session = app.browser();
    other_session.login("olivia", STRONG_PASSWORD).await;
    let new_password = "amber kettle orbit 77 meadow";
    let wrong = owner
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form_errors(&wrong).contains_key("current_password"));
    let right = owner
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", STRONG_PASSWORD),
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER);
    assert_eq!(
        owner.get("/dashboard").await.status,
        StatusCode::OK,
        "this session continues"
    );
    assert_eq!(
        other_session.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "others end"
    );
    assert_eq!(
        app.browser().login("olivia", new_password).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn the_audit_log_records_sign_ins_and_changes(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    app.browser().login("olivia", "wrong password entirely").await;
    create_staff(&owner, "provider", "pat", "", None).await;
    let page = owner.get("/audit").await;
    for action in [
        "account.created",
        "login.succeeded",
        "login.failed",
        "staff.created",
    ] {
        assert!(page.body.contains(action), "{action} in the audit log");
    }
    let csv = owner.get("/audit.csv").await;
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.body
            .starts_with("time_utc,actor,action,subject,ip,outcome,details")
    );
    assert!(csv.body.contains("staff.created"));
}

crate::db_tests!(
    staff_form_bad_input_answers_422_and_saves_nothing,
    phone_numbers_are_stored_in_e164,
    updating_staff_keeps_the_password_when_blank,
    a_new_client_gets_credentials_that_work_once_shown,
    resetting_a_client_password_replaces_it_and_signs_them_out,
    client_form_bad_input_answers_422_and_saves_nothing,
    changing_your_password_needs_the_current_one,
    the_audit_log_records_sign_ins_and_changes,
);

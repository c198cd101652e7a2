//! Authenticator apps as the practice's rule: required for staff, reset by managers; secrets sealed per person; set-ups that expire (issue 6).

use reqwest::StatusCode;

use super::authenticator::{
    PAT_PHONE, add_app, audit_details, enter, id_of, latest_factors, practice, recovery_codes,
    security_change, settle_in_step, signed_in_with_text,
};
use crate::common::{STRONG_PASSWORD, TestApp, base32_decode, count_rows, create_staff, totp_at};

async fn the_owner_can_require_the_app_for_staff(app: TestApp) {
    let owner = practice(&app).await;
    create_staff(&owner, "provider", "nophone", "", None).await;
    crate::common::require_app_for_staff(&owner).await;
    let page = owner.get("/options").await;
    assert!(page.body.contains(
        "id=\"f-staff_require_authenticator\" name=\"staff_require_authenticator\" value=\"on\" checked"
    ));
    assert!(
        !page.body.contains("Staff nophone"),
        "not listed as unprotected: the app is required"
    );

    // pat (with a phone): password, one texted code, then the app is set up.
    let browser = app.browser();
    let answer = browser.login("pat", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/verify"));
    let code = app.twilio.last_code_to(PAT_PHONE).expect("a code");
    let verified = enter(&browser, "sms", &code).await;
    assert_eq!(verified.location(), Some("/login/setup"));
    assert_eq!(
        browser.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "nothing opens before the app is set up"
    );
    assert_eq!(browser.get("/").await.location(), Some("/login/setup"));
    let setup = browser.get("/login/setup").await;
    assert!(setup.body.contains("<svg"));
    let secret = base32_decode(&setup.element_text("totp-secret").expect("secret"));
    settle_in_step(&app);
    let done = browser
        .submit(
            "/login/setup",
            "/login/setup",
            &[("code", &totp_at(&secret, app.clock.now()))],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(recovery_codes(&done).len(), 10);
    assert_eq!(latest_factors(&app).await, "password+sms+app");
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);

    // A new browser: the app only; no text offered or sent.
    app.clock.advance(30);
    settle_in_step(&app);
    let other = app.browser();
    other.login("pat", STRONG_PASSWORD).await;
    let verify = other.get("/login/verify").await;
    assert!(!verify.body.contains("Text me a code"));
    let texts = app.twilio.count();
    let csrf = other.csrf_from("/login/verify").await;
    let refused = other.post("/login/verify/resend", &[("csrf_token", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.twilio.count(), texts, "no text sent");
    let sms = enter(&other, "sms", "123456").await;
    assert_eq!(sms.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = enter(&other, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(ok.location(), Some("/"));
    // Removing the required app is refused; replacing it is the way.
    let removal = security_change(&other, STRONG_PASSWORD, "remove_app").await;
    assert_eq!(removal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_rows(&app, "recovery_codes").await, 10);

    // A staff member without a phone goes straight to the set-up after the password.
    let nophone = app.browser();
    let answer = nophone.login("nophone", STRONG_PASSWORD).await;
    assert_eq!(answer.location(), Some("/login/setup"));
    assert!(nophone.get("/login/setup").await.body.contains("<svg"));
    // The owner themself, too (the owner is staff): nothing opens before set-up.
    let owner_again = app.browser();
    assert_eq!(
        owner_again.login("olivia", STRONG_PASSWORD).await.location(),
        Some("/login/setup")
    );
}

async fn managers_reset_factors_with_an_audit_entry_and_an_email(app: TestApp) {
    let owner = practice(&app).await;
    let pat_id = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entities::user::Entity::find()
            .filter(entities::user::Column::Login.eq("pat"))
            .one(&app.db().await)
            .await
            .expect("query")
            .expect("pat")
            .id
    };
    let pat = signed_in_with_text(&app).await;
    add_app(&app, &pat).await;
    let staff_page = owner.get(&format!("/staff/{pat_id}")).await;
    assert!(
        staff_page
            .element_text("factor-summary")
            .unwrap_or_default()
            .contains("10 of 10 recovery codes left")
    );

    // A provider cannot; the owner can.
    create_staff(&owner, "provider", "other", "", None).await;
    let other = app.browser();
    other.login("other", STRONG_PASSWORD).await;
    let csrf = other.csrf_from("/dashboard").await;
    let refused = other
        .post(
            &format!("/staff/{pat_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(count_rows(&app, "authenticators").await, 1);

    let mails_before = app.mail_files().len();
    let csrf = owner.csrf_from(&format!("/staff/{pat_id}")).await;
    let reset = owner
        .post(
            &format!("/staff/{pat_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.body);
    assert_eq!(count_rows(&app, "authenticators").await, 0);
    assert_eq!(count_rows(&app, "recovery_codes").await, 0);
    assert_eq!(audit_details(&app, "two_factor.reset").await.len(), 1);
    let mails = app.mail_files();
    assert_eq!(mails.len(), mails_before + 1);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("pat@example.com") && m.contains("reset"))
    );
    // pat's session ended and the browser's registration is gone: the next sign-in texts.
    assert_eq!(pat.get("/dashboard").await.status, StatusCode::SEE_OTHER);
    let texts = app.twilio.count();
    let again = pat.login("pat", STRONG_PASSWORD).await;
    assert_eq!(again.location(), Some("/login/verify"));
    assert_eq!(app.twilio.count(), texts + 1, "no app any more: a text");
    // An owner resets their own factors on the Security page instead.
    let owner_id = id_of(&app, "olivia").await;
    let csrf = owner.csrf_from("/dashboard").await;
    let own = owner
        .post(
            &format!("/staff/{owner_id}/two-factor/reset"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
}

async fn a_sealed_secret_opens_only_for_its_person(app: TestApp) {
    let owner = practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;
    create_staff(&owner, "provider", "sam", "(415) 555-2672", None).await;
    // Copy pat's sealed secret onto a row for sam, as someone with database access might.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let db = app.db().await;
    let pats = entities::authenticator::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("pat's app");
    entities::authenticator::ActiveModel {
        user_id: Set(id_of(&app, "sam").await),
        account_id: Set(pats.account_id),
        secret_sealed: Set(pats.secret_sealed.clone()),
        created_at: Set(pats.created_at),
        confirmed_at: Set(pats.confirmed_at),
        ..Default::default()
    }
    .insert(&db)
    .await
    .expect("insert");
    app.clock.advance(30);
    settle_in_step(&app);
    let browser = app.browser();
    assert_eq!(
        browser.login("sam", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    let answer = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bound to pat: refused, not a 500"
    );
    // Sam can still get in with a text.
    let csrf = browser.csrf_from("/login/verify").await;
    browser
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    let code = app.twilio.last_code_to("+14155552672").expect("code");
    assert_eq!(enter(&browser, "sms", &code).await.location(), Some("/"));
}

async fn an_unconfirmed_set_up_expires_after_ten_minutes(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let started = security_change(&pat, STRONG_PASSWORD, "add_app").await;
    assert_eq!(started.location(), Some("/security/authenticator"));
    let page = pat.get("/security/authenticator").await;
    let secret = base32_decode(&page.element_text("totp-secret").expect("secret"));
    // Left on screen: ten minutes later the page and its secret are gone (the password is asked
    // again), even though pat's session is kept alive meanwhile.
    for _ in 0..11 {
        app.clock.advance(60);
        assert_eq!(pat.get("/security").await.status, StatusCode::OK);
    }
    assert_eq!(
        pat.get("/security/authenticator").await.location(),
        Some("/security")
    );
    let csrf = pat.csrf_from("/security").await;
    let late = pat
        .post(
            "/security/authenticator",
            &[
                ("csrf_token", &csrf),
                ("code", &totp_at(&secret, app.clock.now())),
            ],
        )
        .await;
    assert_eq!(late.location(), Some("/security"));
    assert_eq!(
        pat.get("/security").await.element_text("app-status").as_deref(),
        Some("Not set up")
    );
}

crate::db_tests!(
    an_unconfirmed_set_up_expires_after_ten_minutes,
    a_sealed_secret_opens_only_for_its_person,
    the_owner_can_require_the_app_for_staff,
    managers_reset_factors_with_an_audit_entry_and_an_email,
);

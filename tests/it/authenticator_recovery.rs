//! Authenticator apps beside texts and recovery codes: one code per sign-in, the fallback, and the shared tries (issue 6).

use reqwest::StatusCode;

use super::authenticator::{
    PAT_PHONE, add_app, audit_details, enter, latest_factors, practice, recovery_codes, security_change,
    settle_in_step, signed_in_with_text,
};
use crate::common::{Browser, STRONG_PASSWORD, TestApp, totp_at};

async fn two_concurrent_sign_ins_with_one_app_code_give_one_session(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, _) = add_app(&app, &pat).await;
    app.clock.advance(30);
    settle_in_step(&app);
    let browsers: Vec<Browser> = (0..4).map(|_| app.browser()).collect();
    let mut csrfs = Vec::new();
    for browser in &browsers {
        browser.login("pat", STRONG_PASSWORD).await;
        csrfs.push(browser.csrf_from("/login/verify").await);
    }
    let code = totp_at(&secret, app.clock.now());
    let answers = futures::future::join_all(browsers.iter().zip(&csrfs).map(|(b, csrf)| {
        let code = code.clone();
        async move {
            b.post(
                "/login/verify",
                &[("csrf_token", csrf.as_str()), ("method", "app"), ("code", &code)],
            )
            .await
        }
    }))
    .await;
    let accepted = answers.iter().filter(|a| a.location() == Some("/")).count();
    assert_eq!(accepted, 1, "one code, one session");
}

async fn text_me_instead_and_recovery_codes_work_once(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (_, codes) = add_app(&app, &pat).await;

    // "Text me a code instead".
    let texted = app.browser();
    texted.login("pat", STRONG_PASSWORD).await;
    let before = app.twilio.count();
    let csrf = texted.csrf_from("/login/verify").await;
    let sent = texted
        .post("/login/verify/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(sent.location(), Some("/login/verify?method=sms"));
    assert_eq!(app.twilio.count(), before + 1);
    let page = texted.get("/login/verify?method=sms").await;
    assert!(page.body.contains("Enter the code we texted you"));
    assert!(page.body.contains("Use your authenticator app"));
    let done = enter(&texted, "sms", &app.twilio.last_code_to(PAT_PHONE).expect("code")).await;
    assert_eq!(done.location(), Some("/"));
    assert_eq!(latest_factors(&app).await, "password+sms");

    // A recovery code, typed loosely, signs in once and e-mails pat.
    let mails_before = app.mail_files().len();
    let recovering = app.browser();
    recovering.login("pat", STRONG_PASSWORD).await;
    let page = recovering.get("/login/verify?method=recovery").await;
    assert!(page.body.contains("name=\"method\" value=\"recovery\""));
    let loose = format!(" {} ", codes[0].to_uppercase());
    let used = enter(&recovering, "recovery", &loose).await;
    assert_eq!(used.location(), Some("/"), "{}", used.body);
    assert!(
        used.set_cookies()
            .iter()
            .any(|c| c.starts_with("outcomes_device_"))
    );
    assert_eq!(latest_factors(&app).await, "password+recovery");
    let mails = app.mail_files();
    assert_eq!(mails.len(), mails_before + 1);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("pat@example.com") && m.contains("recovery code"))
    );

    // The same code a second time fails; another one works.
    let twice = app.browser();
    twice.login("pat", STRONG_PASSWORD).await;
    let again = enter(&twice, "recovery", &codes[0]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("already used"));
    let other = enter(&twice, "recovery", &codes[1]).await;
    assert_eq!(other.location(), Some("/"));
    let security = twice.get("/security").await;
    assert_eq!(
        security.element_text("recovery-status").as_deref(),
        Some("8 of 10 left")
    );
}

async fn a_new_set_of_recovery_codes_voids_the_old(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (_, old_codes) = add_app(&app, &pat).await;
    let wrong = security_change(&pat, "wrong wrong wrong", "new_codes").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fresh = security_change(&pat, STRONG_PASSWORD, "new_codes").await;
    assert_eq!(fresh.status, StatusCode::OK);
    let new_codes = recovery_codes(&fresh);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    let old = enter(&browser, "recovery", &old_codes[2]).await;
    assert_eq!(
        old.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the old set is void"
    );
    let new = enter(&browser, "recovery", &new_codes[2]).await;
    assert_eq!(new.location(), Some("/"));
    assert_eq!(audit_details(&app, "recovery_codes.replaced").await.len(), 1);
}

async fn every_factor_shares_the_five_tries_and_the_lock(app: TestApp) {
    practice(&app).await;
    let pat = signed_in_with_text(&app).await;
    let (secret, codes) = add_app(&app, &pat).await;
    app.clock.advance(60);
    settle_in_step(&app);

    // 3 wrong app codes and 2 wrong recovery codes end the challenge, even for a right code.
    let browser = app.browser();
    browser.login("pat", STRONG_PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            enter(&browser, "app", "000000").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    for _ in 0..2 {
        assert_eq!(
            enter(&browser, "recovery", "aaaaa-bbbbb").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let dead = enter(&browser, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(dead.status, StatusCode::GONE);
    let unused = enter(&browser, "recovery", &codes[0]).await;
    assert_eq!(unused.status, StatusCode::GONE);

    // 20 consecutive failures across challenges lock the second step for an hour.
    for _ in 0..3 {
        let next = app.browser();
        next.login("pat", STRONG_PASSWORD).await;
        for _ in 0..5 {
            enter(&next, "app", "111111").await;
        }
    }
    let locked = app.browser();
    locked.login("pat", STRONG_PASSWORD).await;
    let answer = enter(&locked, "app", &totp_at(&secret, app.clock.now())).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{}", answer.body);
    assert!(
        app.mail_files()
            .iter()
            .any(|m| m.contains("owner@example.com") && m.contains("pat")),
        "owner e-mailed"
    );
    // A recovery code does not get around the lock either.
    let recovery = enter(&locked, "recovery", &codes[0]).await;
    assert_eq!(recovery.status, StatusCode::TOO_MANY_REQUESTS);
}

crate::db_tests!(
    two_concurrent_sign_ins_with_one_app_code_give_one_session,
    text_me_instead_and_recovery_codes_work_once,
    a_new_set_of_recovery_codes_voids_the_old,
    every_factor_shares_the_five_tries_and_the_lock,
);

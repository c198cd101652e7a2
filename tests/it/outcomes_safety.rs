//! Safety alerts (OUTCOMES.md): a PHQ-9 item 9 answer of 1 or more, entered by staff or by the
//! client, alerts the provider and supervisor at once until acknowledged.

use reqwest::StatusCode;

use crate::common::{STRONG_PASSWORD, TestApp, create_client, create_staff};
use crate::outcomes_common::{
    ask_for, caseload, client_page, error_texts, figure, mail_is_to, practice, rate, safety_mails, sign_in,
};

async fn a_phq9_item9_answer_raises_a_safety_alert_at_once_until_acknowledged(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let sue_id = create_staff(&owner, "supervisor", "sue", "", None).await;
    let pat_id = create_staff(&owner, "provider", "pat", "", Some(sue_id)).await;
    let pat = sign_in(&app, "pat", STRONG_PASSWORD).await;
    let sue = sign_in(&app, "sue", STRONG_PASSWORD).await;
    let (client, _, _) = create_client(&pat, Some(pat_id), "").await;
    let phq9 = |item9: &'static str, session: &'static str| {
        let mut fields = vec![("measure", "phq9"), ("session", session), ("source", "paper")];
        for item in [
            "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
        ] {
            fields.push((item, "0"));
        }
        fields.push(("item9", item9));
        fields
    };
    // Item 9 answered 0: no alert.
    let answer = rate(&pat, client, &phq9("0", "1")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert!(
        client_page(&pat, client)
            .await
            .element_text("safety-alert")
            .is_none()
    );
    assert!(safety_mails(&app).is_empty());

    // Item 9 answered 1, total only 1: alert at once.
    let answer = rate(&pat, client, &phq9("1", "2")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    let page = client_page(&pat, client).await;
    assert!(
        page.element_text("safety-alert").is_some(),
        "alert on the client page"
    );
    for (who, browser) in [("provider", &pat), ("supervisor", &sue)] {
        let dashboard = browser.get("/dashboard").await;
        let row = caseload(&dashboard)
            .into_iter()
            .find(|(_, id, _)| *id == client)
            .unwrap_or_else(|| panic!("client on the {who}'s dashboard"));
        assert!(row.2.contains("Safety alert"), "{who}: {}", row.2);
    }
    let owner_dashboard = owner.get("/dashboard").await;
    assert_eq!(figure(&owner_dashboard, "Open safety alerts"), "1");
    assert!(
        caseload(&owner_dashboard)
            .iter()
            .any(|(_, id, t)| *id == client && t.contains("Safety alert")),
        "needs attention on the owner's dashboard"
    );
    let mails = safety_mails(&app);
    assert_eq!(mails.len(), 2, "one to the provider, one to the supervisor");
    assert!(
        mails.iter().any(|m| mail_is_to(m, "pat@example.com")),
        "{mails:?}"
    );
    assert!(
        mails.iter().any(|m| mail_is_to(m, "sue@example.com")),
        "{mails:?}"
    );
    for mail in &mails {
        assert!(mail.contains(&format!("/clients/{client}")), "link to the client");
        assert!(!mail.contains("Casey"), "no client name in the mail");
    }

    // Acknowledging clears it everywhere.
    let answer = pat
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/alerts/acknowledge"),
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(
        client_page(&pat, client)
            .await
            .element_text("safety-alert")
            .is_none()
    );
    let dashboard = pat.get("/dashboard").await;
    assert!(
        !dashboard.body.contains("Safety alert"),
        "cleared on the dashboard"
    );
    assert_eq!(figure(&owner.get("/dashboard").await, "Open safety alerts"), "0");
    let audit = owner.get("/audit").await;
    assert!(audit.body.contains("safety.alert") && audit.body.contains("safety.acknowledged"));
}

async fn a_clients_own_phq9_item9_answer_raises_the_safety_alert(app: TestApp) {
    let p = practice(&app).await;
    let (client, login, password) = create_client(&p.pat, None, "").await;
    ask_for(&p.pat, client, &[("phq9", "1")]).await;
    let me = sign_in(&app, &login, &password).await;
    let my = me.get("/my").await;
    assert!(my.body.contains("href=\"/my/measures/phq9\""), "PHQ-9 asked for");
    let form = me.get("/my/measures/phq9").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"item9\""));
    let mut fields = Vec::new();
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        fields.push((item, "0"));
    }
    fields.push(("item9", "2"));
    let answer = me.submit("/my/measures/phq9", "/my/measures/phq9", &fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{:?}", error_texts(&answer));
    assert!(
        client_page(&p.pat, client)
            .await
            .element_text("safety-alert")
            .is_some()
    );
    assert!(p.pat.get("/dashboard").await.body.contains("Safety alert"));
    let mails = safety_mails(&app);
    assert_eq!(mails.len(), 1, "the provider (no supervisor)");
    assert!(mail_is_to(&mails[0], "pat@example.com"));
}

crate::db_tests!(
    a_phq9_item9_answer_raises_a_safety_alert_at_once_until_acknowledged,
    a_clients_own_phq9_item9_answer_raises_the_safety_alert,
);

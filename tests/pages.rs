//! Every page a provider, an owner and a client reach (and the signed-out ones) passes the Nu
//! HTML checker with no errors and axe-core's WCAG 2.2 AA rules with no violations, in a real
//! Chromium under the app's own CSP; at 390 px the graph's text renders at 12 px or more.
//! The measures-link pages (live, spent, unknown) are among them (`links`). Screenshots of the
//! dashboard, the client page and a measures link at 390 and 1280 px are saved for review
//! (`OUTCOMES_SCREENSHOTS`, else a temporary folder named in the output).

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "pages/checks.rs"]
mod checks;
#[path = "common/mod.rs"]
mod common;
#[path = "pages/links.rs"]
mod links;

use reqwest::StatusCode;
use thirtyfour::prelude::*;

use checks::{axe, nu_errors, screenshots, smallest_chart_text};

use common::chromium::{self, Chromium};
use common::{Backend, Browser, STRONG_PASSWORD, TestApp, create_client, create_staff};

/// The practice every page is looked at in: a provider with a red, a green and an alerted
/// client (with graphs), a supervisor, an owner, and a client who can sign in.
struct Practice {
    owner: Browser,
    pat: Browser,
    client: Browser,
    client_login: String,
    client_password: String,
    pat_id: i32,
    red: i32,
    alerted: i32,
    links: links::Links,
}

async fn rate(staff: &Browser, client: i32, fields: &[(&str, &str)]) {
    let page = format!("/clients/{client}");
    let answer = staff.submit(&page, &format!("{page}/ratings"), fields).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

async fn practice(app: &TestApp) -> Practice {
    // The measures-link pages need a text sent on demand, which waits out quiet hours.
    app.skip_quiet_hours();
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let sue = create_staff(&owner, "supervisor", "sue", "", None).await;
    let pat_id = create_staff(&owner, "provider", "pat", "+1 415 555 2671", Some(sue)).await;
    let pat = app.browser();
    pat.login("pat", STRONG_PASSWORD).await;
    let (red, client_login, client_password) = create_client(&pat, Some(pat_id), "").await;
    let (green, _, _) = create_client(&pat, Some(pat_id), "").await;
    let (alerted, _, _) = create_client(&pat, Some(pat_id), "").await;
    for (client, scores) in [(red, ["20", "18", "14"]), (green, ["20", "24", "27"])] {
        for (session, score) in scores.iter().enumerate() {
            let session = (session + 1).to_string();
            rate(
                &pat,
                client,
                &[("measure", "ors"), ("session", &session), ("total", score)],
            )
            .await;
            rate(
                &pat,
                client,
                &[("measure", "srs"), ("session", &session), ("total", "37")],
            )
            .await;
        }
    }
    let mut phq9 = vec![("measure", "phq9"), ("session", "1"), ("source", "paper")];
    for item in [
        "item1", "item2", "item3", "item4", "item5", "item6", "item7", "item8",
    ] {
        phq9.push((item, "1"));
    }
    phq9.push(("item9", "1"));
    rate(&pat, alerted, &phq9).await;
    let links = links::links(app, &pat, pat_id).await;
    let client = app.browser();
    client.login(&client_login, &client_password).await;
    Practice {
        owner,
        pat,
        client,
        client_login,
        client_password,
        pat_id,
        red,
        alerted,
        links,
    }
}

/// Who looks at a page.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Provider,
    Owner,
    Client,
}

fn pages(p: &Practice) -> Vec<(Who, String)> {
    let (red, alerted, pat) = (p.red, p.alerted, p.pat_id);
    let mut pages: Vec<(Who, String)> = [
        "/login",
        "/login?signed_up=1",
        "/signup",
        "/login/forgot",
        "/login/forgot?sent=true",
    ]
    .into_iter()
    .map(|path| (Who::Anonymous, path.to_string()))
    .collect();
    // A client on their phone: the live measures link, its forms, and the thank-you pages.
    let (live, spent) = (&p.links.live, &p.links.spent);
    for path in [
        format!("/m/{live}"),
        format!("/m/{live}/ors"),
        format!("/m/{live}/phq9"),
        format!("/m/{spent}/done"),
        format!("/m/{spent}/done?safety=true"),
    ] {
        pages.push((Who::Anonymous, path));
    }
    for path in [
        "/dashboard".to_string(),
        "/dashboard?page=2".into(),
        "/clients".into(),
        "/clients?q=casey&flag=red&sort=flag".into(),
        "/clients?flag=purple".into(),
        "/clients/new".into(),
        format!("/clients/{red}"),
        format!("/clients/{red}?saved=rating"),
        format!("/clients/{alerted}"),
        format!("/clients/{}", p.links.asked),
        format!("/clients/{red}?saved=questionnaires"),
        format!("/clients/{red}/episodes/close"),
        format!("/clients/{alerted}/episodes/close"),
        format!("/clients/{red}/deactivate"),
        format!("/clients/{red}/password"),
        "/devices".into(),
        "/security".into(),
        "/account/password".into(),
    ] {
        pages.push((Who::Provider, path));
    }
    for path in [
        "/dashboard".to_string(),
        "/clients".into(),
        format!("/clients/{red}"),
        format!("/clients/{red}/devices/revoke"),
        format!("/clients/{red}/two-factor/reset"),
        "/staff".into(),
        "/staff/new".into(),
        format!("/staff/{pat}?saved=1"),
        format!("/staff/{pat}/deactivate"),
        format!("/staff/{pat}/devices/revoke"),
        format!("/staff/{pat}/two-factor/reset"),
        "/audit".into(),
        format!("/audit?person={pat}&event=login.succeeded"),
        "/audit?from=31-12-2026".into(),
        "/options".into(),
        "/options?saved=true".into(),
        "/options?sso_saved=true".into(),
        "/options/telehealth".into(),
        "/options/telehealth?saved=true".into(),
        "/devices".into(),
        "/security".into(),
        "/account/password".into(),
    ] {
        pages.push((Who::Owner, path));
    }
    for path in [
        "/my",
        "/my/measures/ors",
        "/devices",
        "/security",
        "/account/password",
    ] {
        pages.push((Who::Client, path.to_string()));
    }
    pages
}

/// Pages that only a form post reaches: the credentials page, and forms sent back with errors.
async fn posted_pages(p: &Practice) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let made = p
        .pat
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", "Dee"),
                ("last_name", "Print"),
                ("age_group", "adult"),
                ("phone", "(415) 555-2672"),
                ("email", ""),
                ("provider_id", ""),
            ],
        )
        .await;
    out.push(("POST /clients/new (credentials)".into(), made.body));
    let refused = p
        .pat
        .submit(
            "/clients/new",
            "/clients/new",
            &[
                ("first_name", ""),
                ("last_name", "X"),
                ("age_group", "elder"),
                ("phone", "12"),
                ("email", "nope"),
                ("provider_id", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /clients/new (422)".into(), refused.body));
    let options = p
        .owner
        .submit(
            "/options",
            "/options",
            &[("device_days", "0"), ("time_zone", "Nowhere")],
        )
        .await;
    assert_eq!(options.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /options (422)".into(), options.body));
    let sso = p
        .owner
        .submit(
            "/options",
            "/options/sso",
            &[
                ("practice", "x"),
                ("sso_issuer", "http://idp.example.com"),
                ("sso_mode", "sideways"),
            ],
        )
        .await;
    assert_eq!(sso.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /options/sso (422)".into(), sso.body));
    let telehealth = p
        .owner
        .submit(
            "/options/telehealth",
            "/options/telehealth",
            &[
                ("invite_hours", "0"),
                ("send_hour", "25"),
                ("reminder_hours", "x"),
            ],
        )
        .await;
    assert_eq!(telehealth.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /options/telehealth (422)".into(), telehealth.body));
    let red = format!("/clients/{}", p.red);
    let asking = p
        .pat
        .submit(&red, &format!("{red}/questionnaires"), &[("phq9", "5")])
        .await;
    assert_eq!(asking.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /clients/<id>/questionnaires (422)".into(), asking.body));
    // Refusals answered with their own status: a spent reset link (410), an SSO answer that
    // did not start here (400), a spent and an unknown measures link (410, 404), an answer the
    // link does not ask for (422).
    let anonymous = Browser::new(&p.pat.base, common::CHROME_UA);
    for path in refused_links(p).iter().map(String::as_str).chain([
        "/login/reset/spent-or-unknown",
        "/login/sso/callback?state=x&code=y",
    ]) {
        out.push((format!("GET {path}"), anonymous.get(path).await.body));
    }
    let not_asked = anonymous
        .post(&format!("/m/{}/srs", p.links.live), &[("item1", "5")])
        .await;
    assert_eq!(not_asked.status, StatusCode::UNPROCESSABLE_ENTITY);
    out.push(("POST /m/<live>/srs (422)".into(), not_asked.body));
    out
}

/// The measures-link refusals: spent (410) and unknown (404), one page for both.
fn refused_links(p: &Practice) -> Vec<String> {
    vec![
        format!("/m/{}", p.links.spent),
        "/m/0123456789abcdef0123456789abcdef".into(),
    ]
}

async fn look_at_every_page(
    driver: &WebDriver,
    app: &TestApp,
    p: &Practice,
    axe_js: &str,
) -> WebDriverResult<()> {
    let mut problems = Vec::new();
    driver.set_window_rect(0, 0, 1280, 900).await?;
    for who in [Who::Anonymous, Who::Provider, Who::Owner, Who::Client] {
        match who {
            Who::Anonymous => {}
            Who::Provider => chromium::sign_in(driver, &app.base, "pat", STRONG_PASSWORD).await?,
            Who::Owner => chromium::sign_in(driver, &app.base, "olivia", STRONG_PASSWORD).await?,
            Who::Client => chromium::sign_in(driver, &app.base, &p.client_login, &p.client_password).await?,
        }
        for (_, path) in pages(p).into_iter().filter(|(w, _)| *w == who) {
            driver.goto(format!("{}{path}", app.base)).await?;
            for v in axe(driver, axe_js).await? {
                problems.push(format!(
                    "{who:?} {path}: {} {} {}",
                    v["id"], v["help"], v["nodes"]
                ));
            }
        }
        if who != Who::Anonymous {
            chromium::sign_out(driver).await?;
        }
    }
    for path in refused_links(p) {
        driver.goto(format!("{}{path}", app.base)).await?;
        for v in axe(driver, axe_js).await? {
            problems.push(format!("{path}: {} {} {}", v["id"], v["help"], v["nodes"]));
        }
    }
    // The pages behind a confirmation, reached by their buttons; and the phone size.
    chromium::sign_in(driver, &app.base, "pat", STRONG_PASSWORD).await?;
    driver
        .goto(format!("{}/clients/{}/password", app.base, p.red))
        .await?;
    driver
        .query(By::Css("form.confirm button"))
        .first()
        .await?
        .click()
        .await?;
    driver.query(By::Id("client-password")).first().await?;
    for v in axe(driver, axe_js).await? {
        problems.push(format!(
            "credentials page: {} {} {}",
            v["id"], v["help"], v["nodes"]
        ));
    }
    let folder = screenshots();
    for (width, height) in [(390, 844), (1280, 900)] {
        driver.set_window_rect(0, 0, width, height).await?;
        for (name, path) in [
            ("dashboard", "/dashboard".to_string()),
            ("client", format!("/clients/{}", p.red)),
            ("link", format!("/m/{}", p.links.live)),
            ("link-phq9", format!("/m/{}/phq9", p.links.live)),
        ] {
            driver.goto(format!("{}{path}", app.base)).await?;
            for v in axe(driver, axe_js).await? {
                problems.push(format!(
                    "{width} px {path}: {} {} {}",
                    v["id"], v["help"], v["nodes"]
                ));
            }
            if name == "client" {
                let smallest = smallest_chart_text(driver).await?;
                assert!(
                    smallest >= 12.0,
                    "graph text at {width} px renders at {smallest:.1} px"
                );
                println!("graph text at {width} px: smallest {smallest:.1} px");
            }
            // A tall window, so the screenshot holds the whole page.
            driver.set_window_rect(0, 0, width, 3200).await?;
            driver
                .screenshot(&folder.join(format!("{name}-{width}.png")))
                .await?;
            driver.set_window_rect(0, 0, width, height).await?;
        }
    }
    println!("screenshots in {}", folder.display());
    assert!(problems.is_empty(), "axe-core found:\n{}", problems.join("\n"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_the_nu_html_checker_and_axe_core() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let p = practice(&app).await;
    let anonymous = app.browser();
    let folder = tempfile::tempdir().expect("folder for saved pages");
    let mut index = Vec::new();
    for (i, (who, path)) in pages(&p).into_iter().enumerate() {
        let browser = match who {
            Who::Anonymous => &anonymous,
            Who::Provider => &p.pat,
            Who::Owner => &p.owner,
            Who::Client => &p.client,
        };
        let page = browser.get(&path).await;
        assert!(
            page.status == StatusCode::OK || page.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{who:?} {path}: {}",
            page.status
        );
        std::fs::write(folder.path().join(format!("page-{i:02}.html")), &page.body).expect("save page");
        index.push(format!("page-{i:02}.html = {who:?} {path}"));
    }
    for (i, (what, body)) in posted_pages(&p).await.into_iter().enumerate() {
        std::fs::write(folder.path().join(format!("posted-{i}.html")), body).expect("save page");
        index.push(format!("posted-{i}.html = {what}"));
    }
    if let Some(errors) = nu_errors(folder.path()) {
        panic!(
            "the Nu HTML checker found errors:\n{errors}\n\npages:\n{}",
            index.join("\n")
        );
    }
    let Some(axe_dir) = common::tools::node_package("axe-core") else {
        return;
    };
    if !chromium::available() {
        return;
    }
    let axe_js = std::fs::read_to_string(axe_dir.join("axe.min.js")).expect("axe.min.js");
    let browser = Chromium::start().await;
    let outcome = look_at_every_page(browser.driver(), &app, &p, &axe_js).await;
    browser.quit().await;
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

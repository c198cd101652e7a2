//! Role × page matrix and isolation between accounts and caseloads (SPEC §1).

use reqwest::StatusCode;

use crate::common::{Browser, STRONG_PASSWORD, TestApp, create_client, create_staff};

struct People {
    owner: Browser,
    admin: Browser,
    supervisor: Browser,
    provider: Browser,
    client: Browser,
    anonymous: Browser,
}

async fn people(app: &TestApp) -> People {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    create_staff(&owner, "admin", "adam", "", None).await;
    let supervisor_id = create_staff(&owner, "supervisor", "sue", "", None).await;
    let provider_id = create_staff(&owner, "provider", "pat", "", Some(supervisor_id)).await;
    let (_, client_login, client_password) = create_client(&owner, Some(provider_id), "").await;
    let sign_in = |login: String, password: String| async move {
        let browser = app.browser();
        let answer = browser.login(&login, &password).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{login} signs in");
        browser
    };
    People {
        admin: sign_in("adam".into(), STRONG_PASSWORD.into()).await,
        supervisor: sign_in("sue".into(), STRONG_PASSWORD.into()).await,
        provider: sign_in("pat".into(), STRONG_PASSWORD.into()).await,
        client: sign_in(client_login, client_password).await,
        anonymous: app.browser(),
        owner,
    }
}

/// Expected status per role: owner, admin, supervisor, provider, client.
const MATRIX: &[(&str, [u16; 5])] = &[
    ("/dashboard", [200, 200, 200, 200, 403]),
    ("/my", [403, 403, 403, 403, 200]),
    ("/staff", [200, 200, 403, 403, 403]),
    ("/staff/new", [200, 200, 403, 403, 403]),
    ("/clients", [200, 200, 200, 200, 403]),
    ("/clients/new", [200, 200, 200, 200, 403]),
    ("/audit", [200, 200, 403, 403, 403]),
    ("/audit.csv", [200, 200, 403, 403, 403]),
    ("/account/password", [200, 200, 200, 200, 200]),
    ("/options", [200, 403, 403, 403, 403]),
    ("/devices", [200, 200, 200, 200, 200]),
    ("/security", [200, 200, 200, 200, 200]),
];

async fn every_role_opens_exactly_its_pages(app: TestApp) {
    let people = people(&app).await;
    let roles = [
        ("owner", &people.owner),
        ("admin", &people.admin),
        ("supervisor", &people.supervisor),
        ("provider", &people.provider),
        ("client", &people.client),
    ];
    for (path, expected) in MATRIX {
        for ((role, browser), status) in roles.iter().zip(expected) {
            let answer = browser.get(path).await;
            assert_eq!(answer.status.as_u16(), *status, "{role} GET {path}");
        }
        let anonymous = people.anonymous.get(path).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "anonymous GET {path}");
        assert_eq!(anonymous.location(), Some("/login"), "anonymous GET {path}");
    }
}

async fn the_front_door_sends_each_role_home(app: TestApp) {
    let people = people(&app).await;
    assert_eq!(people.owner.get("/").await.location(), Some("/dashboard"));
    assert_eq!(people.provider.get("/").await.location(), Some("/dashboard"));
    assert_eq!(people.client.get("/").await.location(), Some("/my"));
    assert_eq!(people.anonymous.get("/").await.location(), Some("/login"));
}

async fn another_accounts_people_are_not_found(app: TestApp) {
    let first = app.signup("pro", "olivia", "").await;
    first.login("olivia", STRONG_PASSWORD).await;
    let staff_id = create_staff(&first, "provider", "pat", "", None).await;
    let (client_id, _, _) = create_client(&first, Some(staff_id), "").await;
    let second = app.signup("pro", "otto", "").await;
    second.login("otto", STRONG_PASSWORD).await;
    assert_eq!(
        second.get(&format!("/staff/{staff_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        second.get(&format!("/clients/{client_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = second.csrf_from("/dashboard").await;
    let reset = second
        .post(
            &format!("/clients/{client_id}/password"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::NOT_FOUND);
    let staff_list = second.get("/staff").await.body;
    assert!(
        !staff_list.contains("Staff pat"),
        "other account's staff not listed"
    );
    let clients = second.get("/clients").await.body;
    assert!(!clients.contains("Casey Client"));
}

async fn providers_see_only_their_clients_and_supervisors_their_providers(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    let sue = create_staff(&owner, "supervisor", "sue", "", None).await;
    let pat = create_staff(&owner, "provider", "pat", "", Some(sue)).await;
    let quinn = create_staff(&owner, "provider", "quinn", "", None).await;
    let (pats_client, _, _) = create_client(&owner, Some(pat), "").await;
    let (quinns_client, _, _) = create_client(&owner, Some(quinn), "").await;
    let provider = app.browser();
    provider.login("pat", STRONG_PASSWORD).await;
    assert_eq!(
        provider.get(&format!("/clients/{pats_client}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        provider.get(&format!("/clients/{quinns_client}")).await.status,
        StatusCode::NOT_FOUND
    );
    let supervisor = app.browser();
    supervisor.login("sue", STRONG_PASSWORD).await;
    assert_eq!(
        supervisor.get(&format!("/clients/{pats_client}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        supervisor.get(&format!("/clients/{quinns_client}")).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn an_admin_cannot_manage_the_owner_or_make_admins(app: TestApp) {
    let owner = app.signup("pro", "olivia", "").await;
    owner.login("olivia", STRONG_PASSWORD).await;
    create_staff(&owner, "admin", "adam", "", None).await;
    let admin = app.browser();
    admin.login("adam", STRONG_PASSWORD).await;
    let owner_id = crate::common::count_rows(&app, "users").await; // ids: owner = 1 in a fresh database
    assert!(owner_id >= 1);
    assert_eq!(admin.get("/staff/1").await.status, StatusCode::NOT_FOUND);
    let answer = admin
        .submit(
            "/staff/new",
            "/staff/new",
            &[
                ("full_name", "Another Admin"),
                ("user_id", "admin2"),
                ("password", STRONG_PASSWORD),
                ("role", "admin"),
                ("phone", ""),
                ("email", ""),
                ("supervisor_id", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(crate::common::form_errors(&answer).contains_key("role"));
}

crate::db_tests!(
    every_role_opens_exactly_its_pages,
    the_front_door_sends_each_role_home,
    another_accounts_people_are_not_found,
    providers_see_only_their_clients_and_supervisors_their_providers,
    an_admin_cannot_manage_the_owner_or_make_admins,
);

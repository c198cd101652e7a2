//! Two `outcomes` processes on one PostgreSQL database with one secret key, as behind a load
//! balancer: sessions, registrations, send limits and logouts are shared (SPEC §5).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::common::{
    Browser, CHROME_UA, FakeTwilio, SECRET_KEY, STRONG_PASSWORD, TestDatabase, create_staff, fake_twilio,
    save_options,
};

const PAT_PHONE: &str = "+14155552671";

/// A server process, killed when dropped.
struct Instance {
    base: String,
    child: Child,
    _data: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start(database_url: &str, twilio: &FakeTwilio) -> Instance {
    let data = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_outcomes"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATA_DIR", data.path())
        .env("DATABASE_URL", database_url)
        .env("ROCKET_SECRET_KEY", SECRET_KEY)
        .env("ROCKET_SMS_PROVIDER", "twilio")
        .env("ROCKET_TWILIO_API_BASE", &twilio.base)
        .env("ROCKET_TWILIO_ACCOUNT_SID", fake_twilio::ACCOUNT_SID)
        .env("ROCKET_TWILIO_AUTH_TOKEN", fake_twilio::AUTH_TOKEN)
        .env("ROCKET_TWILIO_FROM", "+15005550006")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start outcomes");
    let instance = Instance {
        base: format!("http://127.0.0.1:{port}"),
        child,
        _data: data,
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client
            .get(format!("{}/healthz", instance.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("instance on port {port} did not start");
}

/// The same browser (one cookie jar: cookies ignore the port) talking to another instance.
fn via(browser: &Browser, instance: &Instance) -> Browser {
    Browser {
        base: instance.base.clone(),
        ..browser.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_registrations_limits_and_logouts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(database) = TestDatabase::create(crate::common::Backend::Postgres, dir.path()).await else {
        return;
    };
    let twilio = FakeTwilio::start().await;
    let first = start(&database.url, &twilio).await;
    let second = start(&database.url, &twilio).await;

    // Set up on the first instance.
    let owner = Browser::new(&first.base, CHROME_UA);
    let signup = owner
        .submit(
            "/signup",
            "/signup",
            &[
                ("organization", "Harbor Counseling"),
                ("plan", "pro"),
                ("full_name", "Olivia Owner"),
                ("user_id", "olivia"),
                ("password", STRONG_PASSWORD),
                ("email", "owner@example.com"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER);
    owner.login("olivia", STRONG_PASSWORD).await;
    save_options(&owner, true, false, "365", "15").await;
    create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;

    // Password on the first, code on the second: the pending state is shared.
    let pat_first = Browser::new(&first.base, CHROME_UA);
    let pat_second = via(&pat_first, &second);
    assert_eq!(
        pat_first.login("pat", STRONG_PASSWORD).await.location(),
        Some("/login/verify")
    );
    let code = twilio.last_code_to(PAT_PHONE).expect("code");
    let csrf = pat_second.csrf_from("/login/verify").await;
    let verified = pat_second
        .post("/login/verify", &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(verified.location(), Some("/"));
    // A session from one works on the other.
    assert_eq!(pat_first.get("/dashboard").await.status, StatusCode::OK);
    assert_eq!(pat_second.get("/dashboard").await.status, StatusCode::OK);
    // Logout on one ends the session on both.
    let csrf = pat_first.csrf_from("/dashboard").await;
    pat_first.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(pat_second.get("/dashboard").await.status, StatusCode::SEE_OTHER);
    // The device registered through the second skips the code on the first.
    let sent = twilio.count();
    assert_eq!(
        pat_first.login("pat", STRONG_PASSWORD).await.location(),
        Some("/")
    );
    assert_eq!(twilio.count(), sent);

    // Send limits are shared: five codes in an hour across both, the sixth refused on either.
    for i in 0..4 {
        let instance = if i % 2 == 0 { &first } else { &second };
        let fresh = Browser::new(&instance.base, CHROME_UA);
        assert_eq!(
            fresh.login("pat", STRONG_PASSWORD).await.location(),
            Some("/login/verify")
        );
    }
    assert_eq!(twilio.count(), 5);
    for instance in [&first, &second] {
        let refused = Browser::new(&instance.base, CHROME_UA)
            .login("pat", STRONG_PASSWORD)
            .await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", instance.base);
    }
    assert_eq!(twilio.count(), 5, "no provider call when refused");
}

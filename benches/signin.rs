//! Sign-in benchmark (`cargo bench --bench signin`): sign-ins with a registered device against
//! the raw argon2 verify rate, the cost of the device check itself, and `/healthz` latency
//! during a 64-way sign-in burst. Traffic goes only to 127.0.0.1; every loop is bounded.
//! `BENCH_ARGON2_ONLY=1` prints the raw rate alone (for `benches/signin_http.sh`).

// A test or benchmark that cannot set up must stop loudly: unwrap, expect and panic are its
// assertions here, unlike on the service's request paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Helpers sit next to the step that needs them, and scores read back are exact to the decimal.
#![allow(clippy::items_after_statements, clippy::float_cmp)]
// Request bodies and reports are assembled as text.
#![allow(clippy::format_push_string, clippy::format_collect)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};
use common::{Backend, STRONG_PASSWORD, TestApp, create_staff};
use reqwest::header::COOKIE;

const PAT_PHONE: &str = "+14155552671";

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Raw argon2id verifies per second with the product's parameters, one thread per core, each
/// through the product's own verify with its working memory reused (`auth::password::verify_in`).
fn argon2_verify_rate(seconds: f64) -> f64 {
    let params = Params::new(19_456, 2, 1, None).expect("params");
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let stored = hasher
        .hash_password(STRONG_PASSWORD.as_bytes())
        .expect("hash")
        .to_string();
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let stored = stored.clone();
            std::thread::spawn(move || {
                let mut memory = Vec::new();
                let mut done = 0u64;
                while Instant::now() < deadline {
                    assert!(outcomes::auth::password::verify_in(
                        &mut memory,
                        STRONG_PASSWORD.as_bytes(),
                        &stored
                    ));
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// What one anonymous browser needs to post `/login` again and again.
struct SignInClient {
    client: reqwest::Client,
    cookie_header: String,
    csrf: String,
}

async fn sign_in_client(app: &TestApp, device_cookie: Option<&(String, String)>) -> SignInClient {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(common::CHROME_UA)
        .build()
        .expect("client");
    let page = client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .expect("GET /login");
    let anon = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("outcomes_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("csrf cookie")
        .to_string();
    let body = page.text().await.expect("body");
    let csrf = body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf token")
        .to_string();
    let mut cookie_header = anon;
    if let Some((name, value)) = device_cookie {
        cookie_header.push_str(&format!("; {name}={value}"));
    }
    SignInClient {
        client,
        cookie_header,
        csrf,
    }
}

/// One sign-in; the answer must be a session (303 to "/"), not the code page.
async fn sign_in(app: &TestApp, who: &SignInClient, login: &str) -> Duration {
    let started = Instant::now();
    let answer = who
        .client
        .post(format!("{}/login", app.base))
        .header(COOKIE, &who.cookie_header)
        .form(&[
            ("csrf_token", who.csrf.as_str()),
            ("user_id", login),
            ("password", STRONG_PASSWORD),
        ])
        .send()
        .await
        .expect("POST /login");
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(location, "/", "signed in without a code");
    started.elapsed()
}

/// Runs `concurrency` loops of sign-ins for `seconds`; returns (sign-ins per second, latencies).
async fn sign_in_load(
    app: &Arc<TestApp>,
    login: &str,
    device: Option<&(String, String)>,
    concurrency: usize,
    seconds: f64,
) -> (f64, Vec<Duration>) {
    let mut clients = Vec::new();
    for _ in 0..concurrency {
        clients.push(Arc::new(sign_in_client(app, device).await));
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|who| {
            let app = app.clone();
            let login = login.to_string();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    latencies.push(sign_in(&app, &who, &login).await);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("load task"));
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

/// `/healthz` every 5 ms until told to stop; returns the latencies.
async fn probe_health(base: String, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    for _ in 0..20_000 {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let started = Instant::now();
        let answer = client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert!(answer.status().is_success());
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    latencies.sort();
    latencies
}

fn main() {
    let seconds: f64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0);
    // BENCH_ARGON2_ONLY=1: the raw rate alone, for `benches/signin_http.sh`, whose load
    // generator (wrk) runs in a process of its own.
    if std::env::var("BENCH_ARGON2_ONLY").as_deref() == Ok("1") {
        println!("argon2 verifies/s: {:.1}", argon2_verify_rate(seconds));
        return;
    }
    // The raw rate drifts by several per cent between runs on a shared machine, so each round
    // measures the floor right before the sign-ins it is compared with.
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .clamp(1, 10);

    // The app gets its own runtime (2 workers) so the load generator does not steal its workers.
    let server = runtime(2);
    // BENCH_DB=postgres (with TEST_POSTGRES_URL) runs the same on PostgreSQL.
    let backend = if std::env::var("BENCH_DB").as_deref() == Ok("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let app = Arc::new(
        server
            .block_on(TestApp::spawn(backend))
            .expect("app (is TEST_POSTGRES_URL set?)"),
    );
    let clients = runtime(2);
    clients.block_on(async {
        // A practice with staff two-factor on; "pat" registers this browser once.
        let owner = app.signup("pro", "olivia", "").await;
        owner.login("olivia", STRONG_PASSWORD).await;
        common::save_options(&owner, true, false, "365", "15").await;
        let pat_id = create_staff(&owner, "provider", "pat", PAT_PHONE, None).await;
        create_staff(&owner, "provider", "nophone", "", None).await;
        let browser = app.browser();
        browser.login("pat", STRONG_PASSWORD).await;
        let code = app.twilio.last_code_to(PAT_PHONE).expect("code");
        let csrf = browser.csrf_from("/login/verify").await;
        let answer = browser.post("/login/verify", &[("csrf_token", &csrf), ("code", &code)]).await;
        let device = answer
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("outcomes_device_"))
            .and_then(|c| c.split(';').next().and_then(|p| p.split_once('=')).map(|(n, v)| (n.to_string(), v.to_string())))
            .expect("device cookie");

        let mut round_figures = Vec::new();
        let mut device_latency = Vec::new();
        for _ in 0..rounds {
            let floor = tokio::task::spawn_blocking(move || argon2_verify_rate(seconds))
                .await
                .expect("argon2 floor");
            let (rate, latency) = sign_in_load(&app, "pat", Some(&device), 8, seconds).await;
            round_figures.push((floor, rate));
            device_latency.extend(latency);
        }
        device_latency.sort();
        let mut ratios: Vec<f64> = round_figures.iter().map(|(floor, rate)| rate / floor).collect();
        ratios.sort_by(f64::total_cmp);
        let median_ratio = ratios[ratios.len() / 2];
        let argon2_rate = round_figures.iter().map(|(f, _)| f).sum::<f64>() / rounds as f64;
        let device_rate = round_figures.iter().map(|(_, r)| r).sum::<f64>() / rounds as f64;
        let (password_rate, password_latency) = sign_in_load(&app, "nophone", None, 8, seconds).await;

        // The device check alone, straight against the database.
        let db = app.db().await;
        let token = outcomes::auth::device::DeviceToken::parse(&device.1).expect("token");
        let agent = outcomes::auth::device::Agent::parse(Some(common::CHROME_UA));
        // The device cookie's name is a keyed tag, not the user id: use the id the form gave back.
        let user_id = pat_id;
        let checks = 2_000;
        let started = Instant::now();
        for _ in 0..checks {
            let result = outcomes::auth::device::check(&db, chrono::Utc::now().timestamp(), user_id, "browser", Some(&token), &agent)
                .await
                .expect("check");
            assert!(matches!(result, outcomes::auth::device::DeviceCheck::Valid(_)));
        }
        let check_cost = started.elapsed() / checks;

        let stop = Arc::new(AtomicBool::new(false));
        let quiet = tokio::spawn(probe_health(app.base.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_secs_f64(seconds / 2.0)).await;
        stop.store(true, Ordering::SeqCst);
        let quiet = quiet.await.expect("probe");

        let stop = Arc::new(AtomicBool::new(false));
        let busy = tokio::spawn(probe_health(app.base.clone(), stop.clone()));
        let (burst_rate, burst_latency) = sign_in_load(&app, "pat", Some(&device), 64, seconds).await;
        stop.store(true, Ordering::SeqCst);
        let busy = busy.await.expect("probe");

        println!("{backend:?}");
        println!("| measurement | result |");
        println!("|---|---|");
        for (round, (floor, rate)) in round_figures.iter().enumerate() {
            println!(
                "| round {}: raw argon2id verifies/s, then sign-ins/s with a device | {floor:.1}, {rate:.1} ({:.1} %) |",
                round + 1,
                100.0 * rate / floor
            );
        }
        println!("| raw argon2id verifies/s (m=19456, t=2, p=1, {} threads), mean | {argon2_rate:.1} |", std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
        println!(
            "| sign-ins/s with a registered device (8 concurrent), mean; median ratio | {device_rate:.1}; {:.1} % of raw argon2 |",
            100.0 * median_ratio
        );
        println!(
            "| sign-in latency with a device, p50 / p99 | {:.1} ms / {:.1} ms |",
            ms(percentile(&device_latency, 0.5)),
            ms(percentile(&device_latency, 0.99))
        );
        println!(
            "| sign-ins/s, password only (no second step) | {password_rate:.1} ({:.0} % of the mean raw rate) |",
            100.0 * password_rate / argon2_rate
        );
        println!(
            "| sign-in latency, password only, p50 / p99 | {:.1} ms / {:.1} ms |",
            ms(percentile(&password_latency, 0.5)),
            ms(percentile(&password_latency, 0.99))
        );
        println!("| device check alone (select + last-used update, {backend:?}) | {:.3} ms |", ms(check_cost));
        println!(
            "| /healthz idle: p50 / p99 / max ({} probes) | {:.2} / {:.2} / {:.2} ms |",
            quiet.len(),
            ms(percentile(&quiet, 0.5)),
            ms(percentile(&quiet, 0.99)),
            ms(percentile(&quiet, 1.0))
        );
        println!(
            "| /healthz during a 64-way sign-in burst: p50 / p99 / max ({} probes) | {:.2} / {:.2} / {:.2} ms |",
            busy.len(),
            ms(percentile(&busy, 0.5)),
            ms(percentile(&busy, 0.99)),
            ms(percentile(&busy, 1.0))
        );
        println!(
            "| burst: sign-ins/s, p99 sign-in latency | {burst_rate:.1}, {:.0} ms |",
            ms(percentile(&burst_latency, 0.99))
        );
    });
    drop(app);
}

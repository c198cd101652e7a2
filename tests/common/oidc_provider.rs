//! A real OpenID provider on 127.0.0.1 for the single sign-on tests: PyPI `oidc-provider-mock`
//! (pinned in `tests/tools/requirements.txt`) started as its own process on a free port, killed
//! when dropped. Tests tell it who signs in (`PUT /users/<sub>` sets the claims) and act as the
//! person at its authorization page.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct OidcProvider {
    /// The issuer: `http://127.0.0.1:<port>`.
    pub issuer: String,
    pub port: u16,
    child: Child,
}

impl OidcProvider {
    /// Starts the provider, or `None` (skipped) when its Python package is missing and
    /// `REQUIRE_TOOLS` is not set.
    pub async fn start() -> Option<Self> {
        Self::start_with(&[]).await
    }

    /// Started with extra command-line options (e.g. `--token-max-age 1`).
    pub async fn start_with(options: &[&str]) -> Option<Self> {
        let python = super::tools::python_with("oidc_provider_mock")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port for the provider")
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "oidc_provider_mock",
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .args(options)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start oidc-provider-mock");
        let provider = Self {
            issuer: format!("http://127.0.0.1:{port}"),
            port,
            child,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = client
                .get(format!("{}/.well-known/openid-configuration", provider.issuer))
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return Some(provider);
            }
            assert!(Instant::now() < deadline, "the OpenID provider did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the claims the provider puts in `sub`'s ID token.
    pub async fn set_user(&self, sub: &str, claims: Value) {
        let answer = reqwest::Client::new()
            .put(format!("{}/users/{sub}", self.issuer))
            .json(&claims)
            .send()
            .await
            .expect("PUT /users");
        assert!(answer.status().is_success(), "set user: {}", answer.status());
    }

    /// The person at the authorization page (`authorize_url`, where the app sent the browser)
    /// signs in as `sub`, or refuses (`sub` = `None`): returns where the provider sends the
    /// browser back (the app's callback, with `code`/`error` and `state`).
    pub async fn answer(&self, authorize_url: &str, sub: Option<&str>) -> String {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let form: Vec<(&str, &str)> = match sub {
            Some(sub) => vec![("sub", sub)],
            None => vec![("action", "deny")],
        };
        let answer = client
            .post(authorize_url)
            .form(&form)
            .send()
            .await
            .expect("POST the authorization page");
        assert!(
            answer.status().is_redirection(),
            "the provider answered {} to the authorization",
            answer.status()
        );
        answer
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a redirect back")
            .to_string()
    }

    /// Stops the provider (it is then down for the app).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a [`TamperingProxy`] does to the provider's token answer.
#[derive(Debug, Clone, Copy)]
pub enum Tamper {
    /// The ID token names another application as its audience.
    Audience,
    /// The ID token names another issuer.
    Issuer,
    /// A claim is changed after signing (the signature no longer matches).
    Signature,
    /// The answer is held back this long (with a provider whose tokens live 1 s: expired).
    Delay(Duration),
}

/// The real provider behind a man in the middle on 127.0.0.1 that changes its token answers:
/// the refusals a well-behaved provider never produces. Everything else passes through, and the
/// provider names the proxy as its issuer (it builds its URLs from the `Host` header).
pub struct TamperingProxy {
    pub issuer: String,
    task: tokio::task::JoinHandle<()>,
}

impl TamperingProxy {
    pub async fn start(provider: &OidcProvider, tamper: Tamper) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the proxy");
        let address = listener.local_addr().expect("address");
        let upstream = provider.issuer.clone();
        let host = address.to_string();
        let task = tokio::spawn(async move {
            // Bounded: a test makes a handful of requests.
            for _ in 0..200 {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (upstream, host) = (upstream.clone(), host.clone());
                tokio::spawn(async move {
                    let _ = relay(stream, &upstream, &host, tamper).await;
                });
            }
        });
        Self {
            issuer: format!("http://{address}"),
            task,
        }
    }
}

impl Drop for TamperingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request, one answer, then the connection closes.
async fn relay(
    mut stream: tokio::net::TcpStream,
    upstream: &str,
    host: &str,
    tamper: Tamper,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 64 * 1024 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    let mut length = 0usize;
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "content-length" {
            length = value.parse().unwrap_or(0);
        }
        if matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "accept-encoding"
        ) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_bytes()),
            reqwest::header::HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    headers.insert(
        reqwest::header::HOST,
        reqwest::header::HeaderValue::from_str(host).expect("host"),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let Ok(answer) = client
        .request(method, format!("{upstream}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await
    else {
        return Ok(());
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let mut answer_body = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    if path.starts_with("/oauth2/token") && status.is_success() {
        answer_body = tampered(&answer_body, tamper).await;
    }
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &answer_headers {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        out.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap_or("")));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        answer_body.len()
    ));
    stream.write_all(out.as_bytes()).await?;
    stream.write_all(&answer_body).await?;
    stream.shutdown().await
}

async fn tampered(body: &[u8], tamper: Tamper) -> Vec<u8> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if let Tamper::Delay(delay) = tamper {
        tokio::time::sleep(delay).await;
        return body.to_vec();
    }
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return body.to_vec();
    };
    let Some(token) = json["id_token"].as_str().map(str::to_string) else {
        return body.to_vec();
    };
    let pieces: Vec<&str> = token.split('.').collect();
    let Some(mut claims) = pieces
        .get(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return body.to_vec();
    };
    match tamper {
        Tamper::Audience => claims["aud"] = serde_json::json!(["another-application"]),
        Tamper::Issuer => claims["iss"] = serde_json::json!("https://idp.example.com"),
        Tamper::Signature => claims["sub"] = serde_json::json!("someone-else"),
        Tamper::Delay(_) => {}
    }
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
    json["id_token"] = Value::String(format!(
        "{}.{payload}.{}",
        pieces[0],
        pieces.get(2).unwrap_or(&"")
    ));
    serde_json::to_vec(&json).unwrap_or_default()
}

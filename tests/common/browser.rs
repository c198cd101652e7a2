//! A browser-like HTTP client (cookies, CSRF tokens, forms) and what a request answered.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::secrets;

/// What a request answered, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// Text of the element with this id (first match), tags stripped.
    pub fn element_text(&self, id: &str) -> Option<String> {
        let document = scraper::Html::parse_document(&self.body);
        let selector = scraper::Selector::parse(&format!("#{id}")).ok()?;
        document
            .select(&selector)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_string())
    }

    pub fn csrf_token(&self) -> Option<String> {
        let document = scraper::Html::parse_document(&self.body);
        let selector = scraper::Selector::parse("input[name=csrf_token]").ok()?;
        document
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .map(str::to_string)
    }
}

/// A browser-like client: keeps cookies, never follows redirects, sends one User-Agent.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    pub fn new(base: &str, agent: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(agent)
            .build()
            .expect("http client");
        Self {
            base: base.to_string(),
            client,
            jar,
        }
    }

    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        secrets::note_path(&self.base, path);
        let answer = Self::read(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await;
        secrets::note_cookies(&self.base, &answer.headers);
        answer
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        secrets::note_path(&self.base, path);
        secrets::note_fields(&self.base, fields);
        let answer = Self::read(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .expect("POST"),
        )
        .await;
        secrets::note_cookies(&self.base, &answer.headers);
        answer
    }

    /// Opens `page`, takes its CSRF token, and posts `fields` to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self
            .get(page)
            .await
            .csrf_token()
            .unwrap_or_else(|| panic!("{page} has a CSRF token"));
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn login(&self, user_id: &str, password: &str) -> Answer {
        self.submit(
            "/login",
            "/login",
            &[("user_id", user_id), ("password", password)],
        )
        .await
    }

    /// The value of a cookie as this browser would send it to the app.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().ok()?;
        let header = self.jar.cookies(&url)?;
        let text = header.to_str().ok()?.to_string();
        text.split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// Puts a cookie into this browser's jar (copying a cookie from another browser).
    pub fn set_cookie(&self, name: &str, value: &str) {
        if let Ok(url) = self.base.parse::<reqwest::Url>() {
            self.jar.add_cookie_str(&format!("{name}={value}; Path=/"), &url);
        }
    }

    /// The CSRF token of a page (for posting to an action without re-opening its form).
    pub async fn csrf_from(&self, page: &str) -> String {
        self.get(page).await.csrf_token().unwrap_or_default()
    }
}

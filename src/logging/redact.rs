//! What may be written to the log of a request's address or of any message: never a query string
//! (the single sign-on callback carries an authorization code there), never the token of a
//! measures link (`/m/<token>`) or of a password-reset link (`/login/reset/<token>`), never the
//! credentials of a URL (`smtp://user:password@host`).

/// Paths whose next segment is a bearer secret.
const SECRET_PREFIXES: &[&str] = &["/m/", "/login/reset/"];

/// The placeholder written instead of a secret.
pub const HIDDEN: &str = "<redacted>";

/// A request path fit for the log: the secret segment of a link replaced, any query dropped.
/// `route` is the matched pattern, when there is one: a segment its pattern names `<token…>`
/// is replaced too, however the path spelled it.
pub fn path(raw: &str, route: Option<&str>) -> String {
    let without_query = raw.split_once('?').map_or(raw, |(path, _)| path);
    let mut segments: Vec<&str> = without_query.split('/').collect();
    if let Some(pattern) = route {
        let pattern = pattern.split_once('?').map_or(pattern, |(path, _)| path);
        for (index, part) in pattern.split('/').enumerate() {
            if part.starts_with('<') && part.contains("token") && index < segments.len() {
                segments[index] = HIDDEN;
            }
        }
    }
    let joined = segments.join("/");
    secret_segments(&joined)
}

/// Replaces the segment after each of `SECRET_PREFIXES`.
fn secret_segments(text: &str) -> String {
    let mut out = text.to_string();
    for prefix in SECRET_PREFIXES {
        let mut from = 0;
        while let Some(found) = out[from..].find(prefix) {
            let start = from + found + prefix.len();
            let end = out[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.~%".contains(c)))
                .map_or(out.len(), |n| start + n);
            if end > start && &out[start..end] != HIDDEN {
                out.replace_range(start..end, HIDDEN);
                from = start + HIDDEN.len();
            } else {
                from = end;
            }
        }
    }
    out
}

/// Any message before it is written: link secrets, query strings and URL credentials hidden,
/// line breaks escaped so one record stays one line.
pub fn message(text: &str) -> String {
    let text = secret_segments(text);
    let text = queries(&text);
    let text = credentials(&text);
    if text.contains(['\n', '\r']) {
        text.replace('\r', "\\r").replace('\n', "\\n")
    } else {
        text
    }
}

/// `…/path?anything` → `…/path?<redacted>`: a `?` glued to the word before and after it is a
/// query string; a question mark ending a sentence is left alone.
fn queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('?') {
        let (before, after) = rest.split_at(at);
        let after = &after[1..];
        out.push_str(before);
        out.push('?');
        let glued_before = before.chars().next_back().is_some_and(|c| !c.is_whitespace());
        let end = after
            .find(|c: char| c.is_whitespace() || "\"'`<>)]},".contains(c))
            .unwrap_or(after.len());
        if glued_before && end > 0 {
            out.push_str(HIDDEN);
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `scheme://user:secret@host` → `scheme://<redacted>@host`.
fn credentials(text: &str) -> String {
    let mut out = text.to_string();
    let mut from = 0;
    while let Some(found) = out[from..].find("://") {
        let start = from + found + 3;
        let end = out[start..]
            .find(|c: char| c.is_whitespace() || "/\"'<>)".contains(c))
            .map_or(out.len(), |n| start + n);
        if let Some(at) = out[start..end].rfind('@') {
            out.replace_range(start..start + at, HIDDEN);
            from = start + HIDDEN.len() + 1;
        } else {
            from = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_link_tokens_and_queries() {
        assert_eq!(path("/m/abc123", None), "/m/<redacted>");
        assert_eq!(path("/m/abc123/ors?x=1", None), "/m/<redacted>/ors");
        assert_eq!(path("/login/reset/tok-EN_1", None), "/login/reset/<redacted>");
        assert_eq!(
            path("/login/sso/callback?code=s3cret&state=x", None),
            "/login/sso/callback"
        );
        assert_eq!(path("/clients/12", Some("/clients/<id>")), "/clients/12");
        // A spelling the prefix rule would miss is caught by the matched pattern's name.
        assert_eq!(path("/%6D/abc", Some("/m/<token>")), "/%6D/<redacted>");
        assert_eq!(path("/login", None), "/login");
    }

    #[test]
    fn messages_lose_secrets_but_keep_sentences() {
        assert_eq!(
            message("No matching routes for GET /m/deadbeef?code=123456 text/html."),
            "No matching routes for GET /m/<redacted>?<redacted> text/html."
        );
        assert_eq!(message("Is this right? yes"), "Is this right? yes");
        assert_eq!(
            message("cannot connect to smtp://mailer:hunter2@mail.example.com:587/x"),
            "cannot connect to smtp://<redacted>@mail.example.com:587/x"
        );
        assert_eq!(message("http://host/path ok"), "http://host/path ok");
        assert_eq!(message("two\nlines"), "two\\nlines");
    }
}

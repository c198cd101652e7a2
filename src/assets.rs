//! Templates and static files compiled into the binary (SPEC §5 "one self-contained binary"):
//! Tera gets the templates from here, and `/static/<file>` serves the files of `public/`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rocket::{Route, get, routes};
use rocket_dyn_templates::Template;
use rust_embed::RustEmbed;

/// The Tera templates (`templates/*.html.tera`), embedded in debug builds too (`debug-embed`), so
/// what the tests run is what ships.
#[derive(RustEmbed)]
#[folder = "templates/"]
struct Templates;

/// The CSS and JavaScript of `public/`.
#[derive(RustEmbed)]
#[folder = "public/"]
struct Public;

/// Static files may be cached for an hour and are revalidated by their `ETag` after that: a
/// new release changes a file's hash, so a stale copy lives an hour at most.
const STATIC_CACHE_CONTROL: &str = "public, max-age=3600";

/// Rocket's template fairing, fed from the binary instead of the template folder.
pub fn templates_fairing() -> impl rocket::fairing::Fairing {
    // A template that does not compile stops the start (the fairing fails), as a bad file would.
    Template::try_custom(|engines| {
        load(&mut engines.tera)?;
        Ok(())
    })
}

/// Puts the embedded templates into `tera`, escaping HTML in every one of them.
fn load(tera: &mut rocket_dyn_templates::tera::Tera) -> Result<(), Box<dyn std::error::Error>> {
    let mut sources = Vec::new();
    for name in Templates::iter() {
        let Some(file) = Templates::get(&name) else {
            continue;
        };
        let text =
            String::from_utf8(file.data.into_owned()).map_err(|_| format!("template {name} is not UTF-8"))?;
        // Rocket names a template by its path without the type and engine extensions.
        let name = name.trim_end_matches(".tera");
        let name = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        sources.push((name.to_string(), text));
    }
    // SECURITY: Tera escapes only templates whose file path or name ends in `.html`; these have
    // no path and are named `login`, `base`, …, so without this nothing would be escaped. Every
    // template is HTML: escape them all.
    tera.autoescape_on(vec![""]);
    tera.add_raw_templates(sources)?;
    Ok(())
}

/// The folder Rocket's template fairing insists on finding (it refuses to start without one).
pub fn template_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("templates")
}

/// Fills `template_dir` with one empty placeholder per built-in template. Rocket learns a
/// template's name and Content-Type (`login.html.tera`: `login`, HTML) only from files; the
/// placeholders give it those, and `templates_fairing` then replaces every one with the text
/// compiled into the binary, so nothing on disk is ever rendered.
pub fn write_template_placeholders(data_dir: &Path) -> Result<(), String> {
    crate::config::create_data_dir(data_dir)?;
    let dir = template_dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    crate::config::owner_only(&dir, 0o700).map_err(|e| format!("{}: {e}", dir.display()))?;
    // A placeholder left by an older release names a template this one lacks: remove it.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if std::path::Path::new(&name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tera"))
                && Templates::get(&name).is_none()
            {
                std::fs::remove_file(entry.path()).ok();
            }
        }
    }
    for name in Templates::iter() {
        let path = dir.join(name.as_ref());
        let empty = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0);
        if !empty {
            std::fs::write(&path, b"").map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

pub fn routes() -> Vec<Route> {
    routes![static_file]
}

/// The `If-None-Match` header, if any.
pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(
            request.headers().get_one("If-None-Match").map(str::to_string),
        ))
    }
}

/// One embedded file, or `304 Not Modified` when the browser already holds this version.
pub struct StaticFile {
    data: Cow<'static, [u8]>,
    content_type: ContentType,
    etag: String,
    not_modified: bool,
}

impl<'r> Responder<'r, 'static> for StaticFile {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response
            .header(Header::new("ETag", self.etag))
            .header(Header::new("Cache-Control", STATIC_CACHE_CONTROL));
        if self.not_modified {
            return response.status(Status::NotModified).ok();
        }
        response
            .header(self.content_type)
            .sized_body(self.data.len(), std::io::Cursor::new(self.data))
            .ok()
    }
}

/// `/static/<file>`: only names that are embedded exist; `PathBuf` already refuses `..`.
#[get("/static/<path..>")]
fn static_file(path: PathBuf, if_none_match: IfNoneMatch) -> Option<StaticFile> {
    let name = path.to_str()?;
    let file = Public::get(name)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let not_modified = if_none_match.0.is_some_and(|header| {
        header
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == etag || tag == "*")
    });
    let content_type = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    Some(StaticFile {
        data: file.data,
        content_type,
        etag,
        not_modified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_and_static_file_is_embedded() {
        assert!(Templates::get("base.html.tera").is_some());
        assert!(Public::get("site.css").is_some());
        assert!(Templates::iter().count() > 20);
    }

    #[test]
    fn the_embedded_templates_escape_html() {
        let mut tera = rocket_dyn_templates::tera::Tera::default();
        load(&mut tera).expect("templates load");
        tera.add_raw_template("probe", "{{ name }}").expect("probe");
        let mut context = rocket_dyn_templates::tera::Context::new();
        context.insert("name", "<script>alert(1)</script>");
        let html = tera.render("probe", &context).expect("renders");
        assert_eq!(html, "&lt;script&gt;alert(1)&lt;&#x2F;script&gt;");
        assert!(tera.get_template_names().any(|n| n == "base"));
    }
}

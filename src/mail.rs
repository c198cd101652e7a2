//! E-mail through lettre: SMTP when `smtp_url` is set, otherwise `.eml` files in `data/mail/`.
//! A mail that cannot be sent is logged; it never fails the request that caused it.
//! Every mail is a complete RFC 5322 / MIME message (SPEC §5): `Message-ID`, `Date`,
//! `MIME-Version` and `Content-Type: text/plain; charset=utf-8`, which spam filters look for.

use std::path::PathBuf;

use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        from: Mailbox,
        dir: PathBuf,
    },
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| format!("mail_from: {e}"))?;
        if let Some(url) = &settings.smtp_url {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                .map_err(|e| format!("smtp_url: {e}"))?
                .timeout(Some(std::time::Duration::from_secs(10)))
                .build();
            Ok(Self::Smtp { transport, from })
        } else {
            let dir = settings.data_dir.join("mail");
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            crate::config::owner_only(&dir, 0o700).map_err(|e| format!("{}: {e}", dir.display()))?;
            Ok(Self::Files {
                transport: AsyncFileTransport::new(&dir),
                from,
                dir,
            })
        }
    }

    /// Whether mail can go out, without sending any: the SMTP server answers (a connection,
    /// `EHLO`, `NOOP`), or the mail folder takes a file.
    pub async fn check(&self) -> Result<String, String> {
        match self {
            Self::Smtp { transport, .. } => match transport.test_connection().await {
                Ok(true) => Ok("the SMTP server answers".into()),
                Ok(false) => Err("the SMTP server does not answer NOOP".into()),
                Err(e) => Err(format!("the SMTP server cannot be reached: {e}")),
            },
            Self::Files { dir, .. } => {
                let probe = dir.join(".outcomes-check");
                std::fs::write(&probe, b"")
                    .and_then(|()| std::fs::remove_file(&probe))
                    .map(|()| format!("no smtp_url: mail is written to {}", dir.display()))
                    .map_err(|e| format!("cannot write mail to {}: {e}", dir.display()))
            }
        }
    }

    /// Sends a plain-text mail; failures are logged and reported as `false`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> bool {
        let Ok(to_box) = to.parse::<Mailbox>() else {
            log::warn!("mail not sent: bad recipient address");
            return false;
        };
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from.clone(),
        };
        let message = match build(from, to_box, subject, body) {
            Ok(message) => message,
            Err(error) => {
                log::error!("mail not built: {error}");
                return false;
            }
        };
        let result = match self {
            Self::Smtp { transport, .. } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Self::Files { transport, dir, .. } => match transport.send(message).await {
                // SECURITY: a mail may name a client: readable by the service's user alone.
                Ok(id) => crate::config::owner_only(&dir.join(format!("{id}.eml")), 0o600)
                    .map_err(|e| format!("{} ({e})", dir.display())),
                Err(e) => Err(format!("{} ({e})", dir.display())),
            },
        };
        match result {
            Ok(()) => true,
            Err(error) => {
                log::error!("mail \"{subject}\" not sent: {error}");
                false
            }
        }
    }
}

/// The whole message: lettre adds `Date`; `singlepart` adds `MIME-Version` and the transfer
/// encoding; the `Message-ID` is named after the sender's domain, as RFC 5322 §3.6.4 suggests.
fn build(from: Mailbox, to: Mailbox, subject: &str, body: &str) -> Result<Message, lettre::error::Error> {
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), from.email.domain());
    Message::builder()
        .message_id(Some(message_id))
        .from(from)
        .to(to)
        .subject(subject)
        .singlepart(SinglePart::plain(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_carries_every_header_a_complete_message_needs() {
        let from: Mailbox = "Outcomes <no-reply@outcomes.example.org>".parse().expect("from");
        let to: Mailbox = "pat@example.com".parse().expect("to");
        let message = build(from, to, "Hello", "Zoë's line").expect("built");
        let text = String::from_utf8(message.formatted()).expect("text");
        for header in [
            "Message-ID: <",
            "@outcomes.example.org>",
            "Date: ",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ] {
            assert!(text.contains(header), "{header} in {text}");
        }
    }
}

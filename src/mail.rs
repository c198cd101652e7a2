//! E-mail through lettre: SMTP when `smtp_url` is set, otherwise `.eml` files in `data/mail/`.
//! A mail that cannot be sent is logged; it never fails the request that caused it.

use std::path::PathBuf;

use lettre::message::Mailbox;
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

    /// Sends a plain-text mail; failures are logged and reported as `false`.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> bool {
        let Ok(to_box) = to.parse::<Mailbox>() else {
            log::warn!("mail not sent: bad recipient address");
            return false;
        };
        let from = match self {
            Self::Smtp { from, .. } | Self::Files { from, .. } => from.clone(),
        };
        let message = match Message::builder()
            .from(from)
            .to(to_box)
            .subject(subject)
            .body(body.to_string())
        {
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

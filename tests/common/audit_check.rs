//! After every database test: each audit row the test produced names its address and, when a
//! person acted, its actor (SECURITY.md: audit events). Run by `db_tests!` once the app stops.

use std::sync::Arc;

use sea_orm::{Database, EntityTrait};

use super::TestDatabase;

/// Events the service's own worker writes (scheduled invitations, the outbox's tries): with no
/// request behind them they have neither actor nor address; when a person causes one, it has both.
const WORKER_EVENTS: &[&str] = &[
    "mail.failed",
    "outbox.failed",
    "invite.sent",
    "invite.text_refused",
];

/// Events that may have no actor: the person is unknown or not signed in (a wrong sign-in, a
/// forgotten-password request).
const ACTORLESS_EVENTS: &[&str] = &[
    "login.failed",
    "sms.budget_exhausted",
    "password.reset_requested",
    "password.reset_limited",
];

/// Keeps the test's database alive until its audit rows are read.
pub struct AuditCheck {
    db: Arc<TestDatabase>,
    _dir: Arc<tempfile::TempDir>,
}

impl AuditCheck {
    pub(super) fn new(db: Arc<TestDatabase>, dir: Arc<tempfile::TempDir>) -> Self {
        Self { db, _dir: dir }
    }

    /// Panics listing every audit row without an address or (where one acted) an actor.
    pub async fn run(self) {
        let Ok(db) = Database::connect(&self.db.url).await else {
            return;
        };
        // A test may have replaced the schema (migration tests); nothing to check then.
        let Ok(rows) = entities::audit_log::Entity::find().all(&db).await else {
            return;
        };
        db.close().await.ok();
        let incomplete: Vec<String> = rows
            .iter()
            .filter(|row| {
                let from_worker = row.actor_id.is_none() && row.ip.is_none();
                !(from_worker && WORKER_EVENTS.contains(&row.action.as_str()))
            })
            .filter(|row| {
                let no_ip = row.ip.as_deref().is_none_or(str::is_empty);
                let no_actor = row.actor_id.is_none() && !ACTORLESS_EVENTS.contains(&row.action.as_str());
                no_ip || no_actor
            })
            .map(|row| format!("{} (actor {:?}, ip {:?})", row.action, row.actor_id, row.ip))
            .collect();
        assert!(
            incomplete.is_empty(),
            "audit rows without actor or IP: {incomplete:#?}"
        );
    }
}

//! The background worker every instance runs from lift-off to shutdown: it sends the outbox's
//! due messages, makes the scheduled invitations and the reminders. Woken when a message is
//! queued, and every `outbox_poll` in any case (retries and schedules fall due by the clock).
//! Every step claims its rows atomically, so any number of instances can run it together.

use std::sync::Arc;

use crate::services::{clients, outbox};
use crate::state::AppState;

/// The worker's own handle on the app (see `build_state`).
pub struct Background(pub Arc<AppState>);

/// One pass: schedules and reminders first (they queue messages), then the outbox.
pub async fn tick(state: &AppState) {
    if let Err(error) = clients::schedule::run_due(state).await {
        log::warn!("schedules: pass failed: {error}");
    }
    if let Err(error) = clients::schedule::run_reminders(state).await {
        log::warn!("reminders: pass failed: {error}");
    }
    if let Err(error) = outbox::run_due(&state.postman).await {
        log::warn!("outbox: pass failed: {error}");
    }
}

pub async fn run(state: Arc<AppState>, mut shutdown: rocket::Shutdown) {
    loop {
        tick(&state).await;
        tokio::select! {
            () = &mut shutdown => break,
            () = state.postman.wake.notified() => {}
            () = tokio::time::sleep(state.postman.poll) => {}
        }
    }
}

//! HTTP only: parse the request, call a service, render or redirect.

mod account;
pub mod api;
mod audit;
pub mod clients;
pub mod confirm;
mod dashboard;
mod devices;
mod export;
pub mod fields;
mod login;
mod measures_link;
mod my;
mod options;
mod options_sso;
mod passkeys;
mod public;
pub mod ratings;
pub mod security;
mod signup;
mod staff;
pub mod step_up;
mod telehealth_options;

use rocket::Route;

pub fn routes() -> Vec<Route> {
    [
        public::routes(),
        signup::routes(),
        login::routes(),
        account::routes(),
        dashboard::routes(),
        staff::routes(),
        clients::routes(),
        confirm::routes(),
        ratings::routes(),
        my::routes(),
        measures_link::routes(),
        audit::routes(),
        devices::routes(),
        export::routes(),
        options::routes(),
        options_sso::routes(),
        security::routes(),
        passkeys::routes(),
        step_up::routes(),
        telehealth_options::routes(),
    ]
    .concat()
}

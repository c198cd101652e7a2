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
mod my;
mod options;
mod public;
pub mod ratings;
mod security;
mod signup;
mod staff;

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
        audit::routes(),
        devices::routes(),
        export::routes(),
        options::routes(),
        security::routes(),
    ]
    .concat()
}

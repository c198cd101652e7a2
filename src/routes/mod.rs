//! HTTP only: parse the request, call a service, render or redirect.

mod account;
mod audit;
mod clients;
mod dashboard;
mod devices;
mod login;
mod options;
mod public;
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
        audit::routes(),
        devices::routes(),
        options::routes(),
    ]
    .concat()
}

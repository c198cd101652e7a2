//! Launches Outcomes with the settings from `Rocket.toml` and `ROCKET_*`.

#[rocket::launch]
fn launch() -> _ {
    outcomes::rocket(rocket::Config::figment())
}

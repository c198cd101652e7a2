//! `outcomes backup FILE`: a consistent copy of the SQLite database while the service runs
//! (`VACUUM INTO` reads one snapshot, so writes going on meanwhile are either wholly in the copy
//! or not at all). PostgreSQL has its own tool for this: `pg_dump`.

use std::path::Path;

use sea_orm::{ConnectionTrait, Statement};

use crate::config::Settings;

pub async fn run(settings: &Settings, file: &Path) -> Result<String, String> {
    if !super::is_sqlite(settings) {
        return Err(
            "the database is PostgreSQL: back it up with pg_dump (e.g. `pg_dump -Fc outcomes > outcomes.dump`)"
                .into(),
        );
    }
    if file.exists() {
        return Err(format!("{} already exists; name a new file", file.display()));
    }
    let text = file
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", file.display()))?;
    // SECURITY: the copy holds health data: create it readable by this user alone, before
    // SQLite writes into it (SQLite keeps an existing empty file's mode).
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    let db = crate::connect(settings).await?;
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        "VACUUM INTO ?",
        [sea_orm::Value::from(text.to_string())],
    );
    let result = db.execute_raw(statement).await;
    db.close().await.ok();
    if let Err(error) = result {
        std::fs::remove_file(file).ok();
        return Err(format!("backup failed: {error}"));
    }
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
    Ok(format!(
        "backed up to {} ({size} bytes); restore by stopping the service and putting this file in place of {}",
        file.display(),
        settings
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap_or_default()
    ))
}

//! argon2id hashing with SECURITY.md's cost (m = 19456 KiB, t = 2, p = 1), always off the
//! async executor, and the generator for clients' passwords.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use super::tokens::random_below;
use crate::domain::NewPassword;
use crate::error::AppError;

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, AppError> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Runs argon2 on the blocking pool, at most one job per core at a time: a burst of sign-ins
/// then queues here instead of starving the async workers that serve every other request.
pub struct Hasher {
    slots: tokio::sync::Semaphore,
}

impl Hasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            slots: tokio::sync::Semaphore::new(cores),
        }
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(tokio::task::spawn_blocking(job).await?)
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, AppError> {
        let password = password.expose().to_string();
        self.run(move || hash_now(&password)).await?
    }

    /// True when `password` matches `stored`; a malformed hash never matches.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, AppError> {
        self.run(move || {
            let Ok(parsed) = PasswordHash::new(&stored) else {
                return false;
            };
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .await
    }
}

impl Hasher {
    /// Hashes several generated secrets (recovery codes) in one blocking job.
    pub async fn hash_secrets(&self, secrets: Vec<String>) -> Result<Vec<String>, AppError> {
        self.run(move || secrets.iter().map(|s| hash_now(s)).collect())
            .await?
    }

    /// The index of the first stored hash that `secret` matches, checking them all in one job.
    pub async fn find_match(&self, secret: String, stored: Vec<String>) -> Result<Option<usize>, AppError> {
        self.run(move || {
            stored.iter().position(|hash| {
                PasswordHash::new(hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(secret.as_bytes(), &parsed)
                        .is_ok()
                })
            })
        })
        .await
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

/// A hash of a random password, verified against when the user ID is unknown so that the
/// answer takes as long as a wrong password does.
pub fn dummy_hash() -> Result<String, AppError> {
    hash_now(&super::tokens::random_token::<16>())
}

/// No 0/O, 1/l/I: easy to read off a printout and type on a phone.
pub const UNAMBIGUOUS: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// 16 characters from a 31-symbol alphabet (79 bits), grouped in fours for reading aloud.
pub fn generate_client_password() -> NewPassword {
    let chars: String = (0..16)
        .map(|i| {
            let c = UNAMBIGUOUS[random_below(UNAMBIGUOUS.len() as u32) as usize] as char;
            if i > 0 && i % 4 == 0 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect();
    NewPassword::from_generated(chars)
}

/// `c` + 7 unambiguous characters; uniqueness is checked by the caller.
pub fn generate_client_login() -> String {
    let tail: String = (0..7)
        .map(|_| UNAMBIGUOUS[random_below(UNAMBIGUOUS.len() as u32) as usize] as char)
        .collect();
    format!("c{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_unambiguous() {
        let password = generate_client_password();
        assert_eq!(password.expose().chars().filter(|c| *c != '-').count(), 16);
        assert!(!password.expose().contains(['0', 'o', '1', 'l', 'i']));
    }

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash_now("correct horse battery staple").unwrap_or_default();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let runtime = tokio::runtime::Runtime::new().ok();
        let hasher = Hasher::new();
        let check = |p: &str| {
            runtime
                .as_ref()
                .and_then(|r| r.block_on(hasher.verify(p.into(), stored.clone())).ok())
        };
        assert_eq!(check("correct horse battery staple"), Some(true));
        assert_eq!(check("wrong"), Some(false));
    }
}

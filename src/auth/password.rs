//! argon2id hashing with SECURITY.md's cost (m = 19456 KiB, t = 2, p = 1), always off the
//! async executor, and the generator for clients' passwords.

use std::sync::{Arc, Mutex};

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

/// argon2's working memory (19 MiB at our cost), kept for the next job: allocating it afresh
/// had the allocator zero it first, 6 % of every verify. Every block is written before it is
/// read, so a buffer needs no clearing between passwords.
type Memory = Vec<Block>;

/// True when `password` hashes to `stored` (a PHC string), computed in `memory`, which grows to
/// the hash's cost when it must. A malformed hash never matches.
pub fn verify_in(memory: &mut Memory, password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut bytes = [0u8; Output::MAX_LENGTH];
    let Some(out) = bytes.get_mut(..expected.len()) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    if argon2
        .hash_password_into_with_memory(password, salt.as_ref(), out, &mut memory[..blocks])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality takes the same time wherever the bytes differ.
    Output::new(out).is_ok_and(|computed| computed == *expected)
}

/// Runs argon2 on the blocking pool, at most one job per core at a time: a burst of sign-ins
/// then queues here instead of starving the async workers that serve every other request.
pub struct Hasher {
    slots: tokio::sync::Semaphore,
    /// At most one buffer per slot, handed to whichever job holds the slot.
    spare_memory: Arc<Mutex<Vec<Memory>>>,
}

impl Hasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self {
            slots: tokio::sync::Semaphore::new(cores),
            spare_memory: Arc::default(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let spare = Arc::clone(&self.spare_memory);
        Ok(tokio::task::spawn_blocking(move || {
            let taken = spare.lock().ok().and_then(|mut spare| spare.pop());
            let mut memory = taken.unwrap_or_default();
            let answer = job(&mut memory);
            if let Ok(mut spare) = spare.lock() {
                spare.push(memory);
            }
            answer
        })
        .await?)
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, AppError> {
        let password = password.expose().to_string();
        self.run(move |_| hash_now(&password)).await?
    }

    /// True when `password` matches `stored`; a malformed hash never matches.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, AppError> {
        self.run(move |memory| verify_in(memory, password.as_bytes(), &stored))
            .await
    }
}

impl Hasher {
    /// Hashes several generated secrets (recovery codes) in one blocking job.
    pub async fn hash_secrets(&self, secrets: Vec<String>) -> Result<Vec<String>, AppError> {
        self.run(move |_| secrets.iter().map(|s| hash_now(s)).collect())
            .await?
    }

    /// The index of the first stored hash that `secret` matches, checking them all in one job.
    pub async fn find_match(&self, secret: String, stored: Vec<String>) -> Result<Option<usize>, AppError> {
        self.run(move |memory| {
            stored
                .iter()
                .position(|hash| verify_in(memory, secret.as_bytes(), hash))
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

    #[test]
    fn reused_memory_agrees_with_argon2s_own_verify() {
        use argon2::password_hash::PasswordVerifier;
        // A cheaper cost than ours, as an older hash might carry: the buffer grows to each.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap_or_default(),
        )
        .hash_password(b"older password")
        .map(|h| h.to_string())
        .unwrap_or_default();
        let ours = hash_now("correct horse battery staple").unwrap_or_default();
        let mut memory = Memory::new();
        for (password, stored) in [
            ("older password", &cheap),
            ("correct horse battery staple", &ours),
            ("older password", &ours),
            ("correct horse battery staple", &cheap),
            ("older password", &cheap),
        ] {
            let reference = PasswordHash::new(stored).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            });
            assert_eq!(
                verify_in(&mut memory, password.as_bytes(), stored),
                reference,
                "{password} / {stored}"
            );
        }
        // Both hashes were made, so the loop above compared real answers.
        assert!(verify_in(&mut memory, b"older password", &cheap));
        assert!(verify_in(&mut memory, b"correct horse battery staple", &ours));
        assert!(!verify_in(
            &mut memory,
            b"x",
            "$argon2id$v=19$m=19456,t=2,p=1$bm90LWEtaGFzaA"
        ));
        assert!(!verify_in(&mut memory, b"x", "not a hash"));
    }
}

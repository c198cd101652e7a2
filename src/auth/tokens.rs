//! Random tokens, hashes and constant-time comparison: the primitives every secret goes through.

use hmac::{Hmac, Mac};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // SECURITY: OsRng only; if the OS cannot give randomness we must not continue with less.
    if let Err(error) = rand::rngs::OsRng.try_fill_bytes(&mut bytes) {
        log::error!("operating system randomness failed: {error}");
        std::process::abort();
    }
    bytes
}

/// A URL-safe random token of `N` bytes, hex encoded.
pub fn random_token<const N: usize>() -> String {
    hex::encode(random_bytes::<N>())
}

/// A uniformly random number below `bound` (rejection sampling, no modulo bias).
pub fn random_below(bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let value = u32::from_le_bytes(random_bytes::<4>());
        if value < zone {
            return value % bound;
        }
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key`, hex encoded.
pub fn hmac_hex(key: &[u8], message: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Keys derived from the configured secret key, one per purpose.
#[derive(Clone)]
pub struct Keys {
    pub code_hmac: Vec<u8>,
    /// Seals authenticator-app secrets at rest (ChaCha20-Poly1305, 32 bytes).
    pub totp_seal: Vec<u8>,
    /// Names device cookies without naming the person (`outcomes_device_<tag>`).
    pub device_cookie: Vec<u8>,
}

impl Keys {
    pub fn derive(secret_key: &str) -> Self {
        let derive =
            |purpose: &str| hex::decode(hmac_hex(secret_key.as_bytes(), purpose)).unwrap_or_default();
        Self {
            code_hmac: derive("outcomes/sms-code/v1"),
            totp_seal: derive("outcomes/totp-secret/v1"),
            device_cookie: derive("outcomes/device-cookie/v1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_below_stays_in_range() {
        assert!((0..1000).all(|_| random_below(7) < 7));
    }

    #[test]
    fn tokens_have_the_requested_length() {
        assert_eq!(random_token::<16>().len(), 32);
    }
}

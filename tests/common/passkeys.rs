//! A software passkey for the tests: 1Password's `passkey` crates play the browser and its
//! authenticator (discoverable credentials, user verification, a signature counter), taking
//! the server's JSON options and giving back the JSON a browser's `toJSON()` would. `forge`
//! signs assertions a real browser would refuse to make (another RP ID, another type), to show
//! the server refuses them too.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use passkey::authenticator::{Authenticator, UiHint, UserCheck, UserValidationMethod};
use passkey::client::{Client, DefaultClientData};
use passkey::crypto::rust_crypto::RustCryptoBackend;
use passkey::types::ctap2::{Aaguid, Ctap2Error};
use passkey::types::{Passkey as StoredPasskey, webauthn as pkw};
use serde_json::{Value, json};
use sha2::Digest;

/// The person is always present and verified; an excluded credential is refused as a browser
/// would (the crate only informs otherwise, and would make a second credential).
pub struct AlwaysVerified;

#[async_trait::async_trait]
impl UserValidationMethod for AlwaysVerified {
    type PasskeyItem = StoredPasskey;

    async fn check_user<'a>(
        &self,
        hint: UiHint<'a, StoredPasskey>,
        _presence: bool,
        _verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        if let UiHint::InformExcludedCredentialFound(_) = hint {
            return Err(Ctap2Error::CredentialExcluded);
        }
        Ok(UserCheck {
            presence: true,
            verification: true,
        })
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }
}

/// One device holding one passkey.
pub type SoftDevice =
    Client<Option<StoredPasskey>, AlwaysVerified, RustCryptoBackend, public_suffix::PublicSuffixList, ()>;

/// A device; `counting`: its signature counter goes up with each use (otherwise always 0, as
/// synced passkeys do).
pub fn device(counting: bool) -> SoftDevice {
    let mut authenticator = Authenticator::new(
        Aaguid::new_empty(),
        None::<StoredPasskey>,
        AlwaysVerified,
        RustCryptoBackend,
    );
    authenticator.set_make_credentials_with_signature_counter(counting);
    Client::new(authenticator).allows_insecure_localhost(true)
}

/// Makes a passkey for the creation options (`{"publicKey": …}`) as seen from `origin`.
pub async fn register(device: &mut SoftDevice, origin: &str, options: &Value) -> Result<Value, String> {
    let options: pkw::CredentialCreationOptions =
        serde_json::from_value(options.clone()).map_err(|e| e.to_string())?;
    let origin = url::Url::parse(origin).map_err(|e| e.to_string())?;
    let credential = device
        .register(&origin, options, DefaultClientData)
        .await
        .map_err(|e| format!("{e:?}"))?;
    serde_json::to_value(&credential).map_err(|e| e.to_string())
}

/// Signs the request options (`{"publicKey": …}`) as seen from `origin`.
pub async fn authenticate(device: &mut SoftDevice, origin: &str, options: &Value) -> Result<Value, String> {
    let options: pkw::CredentialRequestOptions =
        serde_json::from_value(options.clone()).map_err(|e| e.to_string())?;
    let origin = url::Url::parse(origin).map_err(|e| e.to_string())?;
    let credential = device
        .authenticate(&origin, options, DefaultClientData)
        .await
        .map_err(|e| format!("{e:?}"))?;
    serde_json::to_value(&credential).map_err(|e| e.to_string())
}

/// A validly signed assertion for any RP ID, origin and type, made at the authenticator level
/// (no browser would make one for another site).
pub async fn forge(device: &mut SoftDevice, rp_id: &str, origin: &str, kind: &str, options: &Value) -> Value {
    use passkey::types::ctap2::get_assertion;
    let challenge = options["publicKey"]["challenge"].as_str().unwrap_or_default();
    let client_data =
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false}).to_string();
    let hash = sha2::Sha256::digest(client_data.as_bytes()).to_vec();
    let request = get_assertion::Request {
        rp_id: rp_id.to_owned(),
        client_data_hash: hash.into(),
        allow_list: None,
        extensions: None,
        options: get_assertion::Options { up: true, uv: true },
        pin_auth: None,
        pin_protocol: None,
    };
    let signed = device
        .authenticator_mut()
        .get_assertion(request)
        .await
        .expect("the soft authenticator signs");
    let id = signed
        .credential
        .as_ref()
        .map(|c| c.id.to_vec())
        .unwrap_or_default();
    json!({
        "id": B64.encode(&id),
        "rawId": B64.encode(&id),
        "type": "public-key",
        "response": {
            "clientDataJSON": B64.encode(client_data.as_bytes()),
            "authenticatorData": B64.encode(signed.auth_data.to_vec()),
            "signature": B64.encode(&*signed.signature),
            "userHandle": signed.user.as_ref().map(|u| B64.encode(&*u.id)),
        },
        "clientExtensionResults": {}
    })
}

/// Turns the device's counter back, as a copied key would be.
pub fn rewind_counter(device: &mut SoftDevice) {
    if let Some(stored) = device.authenticator_mut().store_mut().as_mut() {
        stored.counter = Some(0);
    }
}

//! The OpenID Connect client (authorization code + PKCE S256, `openidconnect` crate) on the
//! app's own reqwest client: redirects are not followed and every call gives up after 10 s.

use std::future::Future;
use std::pin::Pin;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AsyncHttpClient, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, TokenResponse,
};

/// The largest answer read from a provider (discovery documents and key sets are a few KiB).
const MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// The app's reqwest client as `openidconnect` calls it.
pub struct Http<'a>(pub &'a reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http<'_> {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| HttpError(without_query(&e.to_string())))?;
            let status = response.status();
            let headers = response.headers().clone();
            if response.content_length().is_some_and(|n| n > MAX_BODY as u64) {
                return Err(HttpError("the answer is too large".into()));
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|e| HttpError(without_query(&e.to_string())))?;
            if bytes.len() > MAX_BODY {
                return Err(HttpError("the answer is too large".into()));
            }
            let mut out = HttpResponse::new(bytes.to_vec());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

/// reqwest's errors quote the URL; a token request's URL holds nothing secret, but keep logs
/// and pages short anyway.
fn without_query(text: &str) -> String {
    text.split('?').next().unwrap_or(text).to_string()
}

/// Why a provider exchange failed, each shown to the person in its own words.
#[derive(Debug)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense (down, slow, not a provider).
    Unreachable(String),
    /// The provider refused the code (an `error` from its token endpoint).
    Refused(String),
    /// The ID token failed a check: signature, issuer, audience, expiry, nonce.
    Invalid(String),
}

/// A practice's provider as configured on Options.
pub struct Provider<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
}

/// Fetches and checks the issuer's discovery document and key set (the issuer in the document
/// must be the configured one).
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<CoreProviderMetadata, OidcError> {
    let issuer = IssuerUrl::new(issuer.to_string()).map_err(|e| OidcError::Unreachable(e.to_string()))?;
    CoreProviderMetadata::discover_async(issuer, &Http(http))
        .await
        .map_err(|e| OidcError::Unreachable(describe(&e)))
}

fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    without_query(&text)
}

/// Where to send the browser, and what the callback must find again.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Starts an authorization-code flow with PKCE (S256), `state` and `nonce`, asking for
/// `openid email profile`.
pub async fn authorize(http: &reqwest::Client, provider: &Provider<'_>) -> Result<Authorization, OidcError> {
    let metadata = discover(http, provider.issuer).await?;
    let redirect =
        RedirectUrl::new(provider.redirect_uri.clone()).map_err(|e| OidcError::Unreachable(e.to_string()))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.to_string()),
        provider.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// What a checked ID token says about the person.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
}

/// Exchanges the code (with the PKCE verifier) and checks the ID token: signature against the
/// provider's key set, `iss`, `aud`, `exp` and `nonce`.
pub async fn exchange(
    http: &reqwest::Client,
    provider: &Provider<'_>,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<Identity, OidcError> {
    let metadata = discover(http, provider.issuer).await?;
    let redirect =
        RedirectUrl::new(provider.redirect_uri.clone()).map_err(|e| OidcError::Unreachable(e.to_string()))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.to_string()),
        provider.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect);
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| OidcError::Unreachable(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()));
    let response = request.request_async(&Http(http)).await.map_err(|e| match e {
        RequestTokenError::ServerResponse(answer) => OidcError::Refused(answer.error().to_string()),
        RequestTokenError::Request(inner) => OidcError::Unreachable(inner.to_string()),
        other => OidcError::Unreachable(describe(&other)),
    })?;
    let id_token = response
        .id_token()
        .ok_or_else(|| OidcError::Invalid("the provider sent no ID token".into()))?;
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &Nonce::new(nonce.to_string()))
        .map_err(|e| OidcError::Invalid(claims_problem(&e)))?;
    Ok(Identity {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified() == Some(true),
    })
}

fn claims_problem(error: &ClaimsVerificationError) -> String {
    match error {
        ClaimsVerificationError::Expired(_) => "the ID token has expired".into(),
        ClaimsVerificationError::InvalidAudience(_) => {
            "the ID token was issued for another application (audience)".into()
        }
        ClaimsVerificationError::InvalidIssuer(_) => "the ID token comes from another issuer".into(),
        ClaimsVerificationError::InvalidNonce(_) => {
            "the ID token does not belong to this sign-in (nonce)".into()
        }
        ClaimsVerificationError::SignatureVerification(_) => {
            "the ID token's signature does not check out".into()
        }
        other => format!("the ID token was refused: {other}"),
    }
}

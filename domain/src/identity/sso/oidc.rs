//! The OpenID Connect protocol, through the `openidconnect` crate: discovery, the authorization
//! request (code flow with PKCE S256, state and nonce) and the code exchange with the ID token's
//! checks (signature against the provider's published keys, issuer, audience, expiry, nonce).
//!
//! Every request goes through one HTTP client that follows no redirects (a redirect from a
//! provider's endpoint could otherwise point Rampart's server anywhere) and gives up after ten
//! seconds.

use super::model::SsoSettings;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenFields, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse,
};
use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Claims of the ID token beyond the standard ones (the role claim, `groups`, …), read by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

/// An ID token with [`ExtraClaims`] (a test provider signs these too).
pub type RampartIdToken =
    IdToken<ExtraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
/// The token endpoint's answer.
pub type RampartTokenResponse = StandardTokenResponse<
    IdTokenFields<
        ExtraClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    RampartTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What went wrong talking to the provider. The text is the library's description (never a
/// secret or a token), for the audit log and the server's log; people see a plain sentence.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OidcError(pub String);

/// The start of the message of a code the token endpoint did not honour.
const EXCHANGE_FAILED: &str = "the code exchange failed";

impl OidcError {
    /// The provider's token endpoint refused the code: anyone can send a made-up code, so this
    /// says nothing about an identity (unlike an ID token that fails its checks).
    pub fn is_refused_code(&self) -> bool {
        self.0.starts_with(EXCHANGE_FAILED)
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> OidcError {
    OidcError(format!("{what}: {e}"))
}

// Where providers may be (the setting lives with the settings' checks).
pub use super::model::{allow_loopback, loopback_allowed};

/// An address no request to a provider may reach, whatever a discovery document names: this
/// machine (unless allowed for development), link-local addresses (where cloud metadata
/// services answer), the unspecified address and multicast.
pub fn forbidden(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    let link_local = match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    };
    (ip.is_loopback() && !loopback_allowed()) || link_local || ip.is_unspecified() || ip.is_multicast()
}

/// Resolves providers' host names, refusing a name that resolves to a forbidden address.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses.iter().find(|a| forbidden(a.ip())) {
                return Err(format!("{host} resolves to {}, which a provider may not use", refused.ip()).into());
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Sends one request to a provider (discovery, signing keys, token) through [`http_client`],
/// refusing a forbidden address written as a number (names are checked as they resolve).
async fn send(request: HttpRequest) -> Result<HttpResponse, HttpClientError<reqwest::Error>> {
    let host = request.uri().host().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        if forbidden(ip) {
            return Err(HttpClientError::Other(format!("{ip} is an address a provider may not use")));
        }
    }
    let client = http_client().map_err(|e| HttpClientError::Other(e.0))?;
    client.call(request).await
}

/// The HTTP client for every request to a provider: rustls, no redirects followed, a timeout,
/// and no forbidden address reached by name.
fn http_client() -> Result<reqwest::Client, OidcError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    // No idle connections kept: a provider's server closes them on its own schedule (Node's
    // after 5 s), and a request sent on one it is closing fails ("Request failed", seen in the
    // browser tests). A sign-in makes three requests; a new connection each costs little.
    let client = reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| fail("the HTTP client could not be built", e))?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// What discovery found, for the admin's "Test configuration".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: Option<String>,
    pub signing_keys: usize,
}

async fn metadata(issuer: &str) -> Result<CoreProviderMetadata, OidcError> {
    let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| fail("the issuer is not an address", e))?;
    // Discovery checks that the document names this very issuer, and fetches the signing keys.
    CoreProviderMetadata::discover_async(issuer, &send).await.map_err(|e| fail("discovery failed", e))
}

/// Reads the provider's discovery document and signing keys.
pub async fn discover(issuer: &str) -> Result<Discovery, OidcError> {
    let meta = metadata(issuer).await?;
    Ok(Discovery {
        issuer: meta.issuer().to_string(),
        authorization_endpoint: meta.authorization_endpoint().to_string(),
        token_endpoint: meta.token_endpoint().map(|t| t.to_string()),
        signing_keys: meta.jwks().keys().len(),
    })
}

async fn client(settings: &SsoSettings, redirect_uri: &str) -> Result<OidcClient, OidcError> {
    let meta = metadata(&settings.issuer).await?;
    let secret = (!settings.client_secret.is_empty()).then(|| ClientSecret::new(settings.client_secret.clone()));
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| fail("the redirect address is wrong", e))?;
    Ok(OidcClient::from_provider_metadata(meta, ClientId::new(settings.client_id.clone()), secret)
        .set_redirect_uri(redirect))
}

/// A sign-in about to start: where to send the browser, and the secrets to keep until it comes
/// back (state, nonce, PKCE verifier).
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// With `fresh`, the provider is asked to authenticate the person again even if it holds a
/// session for them (`prompt=login`): a confirmation before a sensitive action must not be
/// answered silently by the provider's own cookie.
pub async fn authorize(settings: &SsoSettings, redirect_uri: &str, fresh: bool) -> Result<Authorization, OidcError> {
    let client = client(settings, redirect_uri).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    if fresh {
        // A confirmation: the person must authenticate now, not ride a live session at the
        // provider (the ID token's auth_time is checked on return).
        request = request.add_prompt(CoreAuthPrompt::Login).set_max_age(std::time::Duration::ZERO);
    }
    let (url, state, nonce) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who the provider says signed in, from a verified ID token.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    /// Authentication methods (`amr`), e.g. ["pwd", "mfa"].
    pub amr: Vec<String>,
    /// When the person last authenticated at the provider (`auth_time`), if it says.
    pub auth_time: Option<chrono::DateTime<chrono::Utc>>,
    /// The value of the configured role claim, if the token has it.
    pub role_claim: Option<serde_json::Value>,
}

/// Exchanges the code (with the PKCE verifier) for tokens and verifies the ID token: its
/// signature with the provider's keys, issuer, audience (and authorized party), expiry and the
/// nonce of this sign-in.
pub async fn exchange(
    settings: &SsoSettings,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<VerifiedIdentity, OidcError> {
    let client = client(settings, redirect_uri).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| fail("the provider has no token endpoint", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(&send)
        .await
        .map_err(|e| fail(EXCHANGE_FAILED, e))?;
    let id_token = tokens.id_token().ok_or_else(|| OidcError("the provider sent no ID token".into()))?;
    let verifier = client.id_token_verifier();
    let nonce = Nonce::new(nonce.to_owned());
    let claims = id_token.claims(&verifier, &nonce).map_err(|e| fail("the ID token was refused", e))?;
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
    Ok(VerifiedIdentity {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified(),
        preferred_username: claims.preferred_username().map(|u| u.as_str().to_owned()),
        name,
        auth_time: claims.auth_time(),
        amr: claims.auth_method_refs().map(|m| m.iter().map(|r| r.as_str().to_owned()).collect()).unwrap_or_default(),
        role_claim: (!settings.role_claim.is_empty())
            .then(|| claims.additional_claims().other.get(&settings.role_claim).cloned())
            .flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::forbidden;
    use std::net::IpAddr;

    #[test]
    fn link_local_and_this_machine_are_no_place_for_a_provider() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        for refused in ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "::ffff:169.254.1.1"] {
            assert!(forbidden(ip(refused)), "{refused}");
        }
        // Loopback is refused unless development allows it (no test here allows it).
        assert!(forbidden(ip("127.0.0.1")) && forbidden(ip("::1")) && forbidden(ip("::ffff:127.0.0.1")));
        // A provider on the MSP's own network is fine (self-hosted Keycloak, say).
        for allowed in ["10.0.0.5", "192.168.1.20", "203.0.113.7", "2001:db8::1"] {
            assert!(!forbidden(ip(allowed)), "{allowed}");
        }
    }
}

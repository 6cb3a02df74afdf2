//! A small OpenID provider for the single sign-on tests, on 127.0.0.1 with a port of its own:
//! discovery, signing keys, an authorization endpoint that signs in whoever the test says
//! (no login form), and a token endpoint that checks the client's credentials, the code (once),
//! the redirect address and the PKCE verifier, and signs an ID token with an RSA key.
//!
//! It sends `auth_time`: just now when asked to authenticate the person (`max_age=0`, or
//! `prompt=login`), else an hour ago, as from a live session at the provider;
//! `ignore_max_age` makes it answer from that session whatever it is asked.
//!
//! `Tamper` makes it send a wrong ID token the next time (another issuer, audience or nonce,
//! expired, or signed with a key it does not publish), which Rampart must refuse.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use domain::identity::sso::oidc::{ExtraClaims, RampartIdToken};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::{
    Audience, AuthUrl, AuthenticationMethodReference, EmptyAdditionalProviderMetadata, EndUserEmail, EndUserName,
    IdTokenClaims, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, LocalizedClaim, Nonce, PrivateSigningKey, ResponseTypes,
    StandardClaims, SubjectIdentifier, TokenUrl,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "rampart-test-client";
pub const CLIENT_SECRET: &str = "a test client secret 9f1c";
const KEY: &str = include_str!("../fixtures/oidc_test_key.pem");
const OTHER_KEY: &str = include_str!("../fixtures/oidc_other_key.pem");

/// Who the provider signs in next, and what their token says.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: String,
    pub groups: Vec<String>,
    pub amr: Vec<String>,
}

impl Person {
    pub fn new(subject: &str, email: &str) -> Person {
        Person {
            subject: subject.into(),
            email: Some(email.into()),
            email_verified: Some(true),
            name: format!("Person {subject}"),
            groups: Vec::new(),
            amr: vec!["pwd".into()],
        }
    }
}

/// A wrong ID token, sent once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    Issuer,
    Audience,
    Nonce,
    Expired,
    Signature,
}

struct Pending {
    person: Person,
    /// Asked to authenticate the person now (`max_age=0` or `prompt=login`).
    fresh: bool,
    nonce: Option<String>,
    challenge: Option<String>,
    redirect_uri: String,
}

#[derive(Default)]
struct Inner {
    person: Option<Person>,
    tamper: Option<Tamper>,
    codes: HashMap<String, Pending>,
    next_code: u64,
    /// Answers from its own session even when asked to authenticate now.
    ignores_max_age: bool,
    /// Where its discovery document says the signing keys are, when not its own.
    jwks_uri: Option<String>,
}

#[derive(Clone)]
pub struct Provider {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

impl Provider {
    /// Signs `person` in at the next authorization request.
    pub fn sign_in_as(&self, person: Person) {
        self.inner.lock().unwrap().person = Some(person);
    }

    /// Nobody signs in: the provider answers access_denied (the person cancelled).
    pub fn sign_in_as_nobody(&self) {
        self.inner.lock().unwrap().person = None;
    }

    /// From now on, answers every authorization from the person's session at the provider (an
    /// hour old), even when asked to authenticate them now.
    pub fn ignore_max_age(&self) {
        self.inner.lock().unwrap().ignores_max_age = true;
    }

    /// From now on, its discovery document names `url` as the place of its signing keys.
    pub fn name_signing_keys_at(&self, url: &str) {
        self.inner.lock().unwrap().jwks_uri = Some(url.to_owned());
    }

    /// The next ID token is wrong in this way.
    pub fn tamper(&self, tamper: Tamper) {
        self.inner.lock().unwrap().tamper = Some(tamper);
    }
}

pub async fn start() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider { issuer, inner: Arc::new(Mutex::new(Inner::default())) };
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(provider.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    provider
}

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("test-key".into()))).expect("the test key parses")
}

async fn discovery(State(p): State<Provider>) -> Json<CoreProviderMetadata> {
    let meta = CoreProviderMetadata::new(
        IssuerUrl::new(p.issuer.clone()).unwrap(),
        AuthUrl::new(format!("{}/authorize", p.issuer)).unwrap(),
        JsonWebKeySetUrl::new(p.inner.lock().unwrap().jwks_uri.clone().unwrap_or_else(|| format!("{}/jwks", p.issuer)))
            .unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{}/token", p.issuer)).unwrap()));
    Json(meta)
}

async fn jwks() -> Json<CoreJsonWebKeySet> {
    Json(CoreJsonWebKeySet::new(vec![key(KEY).as_verification_key()]))
}

async fn authorize(State(p): State<Provider>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut inner = p.inner.lock().unwrap();
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("response_type").map(String::as_str) != Some("code")
    {
        return (StatusCode::BAD_REQUEST, "unknown client or response type").into_response();
    }
    let Some(redirect_uri) = q.get("redirect_uri").cloned() else {
        return (StatusCode::BAD_REQUEST, "no redirect_uri").into_response();
    };
    let Some(person) = inner.person.clone() else {
        return Redirect::to(&format!(
            "{redirect_uri}?error=access_denied&state={}",
            q.get("state").cloned().unwrap_or_default()
        ))
        .into_response();
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (StatusCode::BAD_REQUEST, "PKCE S256 is required").into_response();
    }
    inner.next_code += 1;
    let code = format!("code-{}", inner.next_code);
    let fresh = !inner.ignores_max_age
        && (q.get("max_age").map(String::as_str) == Some("0")
            || q.get("prompt").is_some_and(|p| p.split(' ').any(|p| p == "login")));
    inner.codes.insert(
        code.clone(),
        Pending {
            person,
            fresh,
            nonce: q.get("nonce").cloned(),
            challenge: q.get("code_challenge").cloned(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let state = q.get("state").cloned().unwrap_or_default();
    Redirect::to(&format!("{redirect_uri}?code={code}&state={state}")).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
}

/// The client's id and secret from HTTP Basic, each form-encoded first (RFC 6749, 2.3.1).
fn client_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let basic = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(basic).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |part: &str| {
        openidconnect::url::form_urlencoded::parse(format!("v={part}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((form_decode(id)?, form_decode(secret)?))
}

fn oauth_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": error }))).into_response()
}

async fn token(State(p): State<Provider>, headers: HeaderMap, Form(form): Form<TokenForm>) -> Response {
    if client_credentials(&headers) != Some((CLIENT_ID.to_string(), CLIENT_SECRET.to_string())) {
        return (StatusCode::UNAUTHORIZED, Json(serde_json::json!({ "error": "invalid_client" }))).into_response();
    }
    let (pending, tamper) = {
        let mut inner = p.inner.lock().unwrap();
        (inner.codes.remove(&form.code), inner.tamper.take())
    };
    let Some(pending) = pending else { return oauth_error("invalid_grant") };
    if form.grant_type != "authorization_code" || form.redirect_uri != pending.redirect_uri {
        return oauth_error("invalid_grant");
    }
    let verifier = form.code_verifier.unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if pending.challenge.as_deref() != Some(challenge.as_str()) {
        return oauth_error("invalid_grant");
    }
    let person = pending.person.clone();
    let now = chrono::Utc::now();
    let issuer =
        if tamper == Some(Tamper::Issuer) { "http://127.0.0.1:9/another-issuer".into() } else { p.issuer.clone() };
    let audience = if tamper == Some(Tamper::Audience) { "another-client".to_string() } else { CLIENT_ID.to_string() };
    let expires = if tamper == Some(Tamper::Expired) {
        now - chrono::Duration::minutes(5)
    } else {
        now + chrono::Duration::minutes(5)
    };
    let nonce =
        if tamper == Some(Tamper::Nonce) { Some("a nonce of another sign-in".to_string()) } else { pending.nonce };
    let mut standard = StandardClaims::new(SubjectIdentifier::new(person.subject.clone()))
        .set_name(Some(LocalizedClaim::from(EndUserName::new(person.name.clone()))))
        .set_email(person.email.clone().map(EndUserEmail::new));
    standard = standard.set_email_verified(person.email_verified);
    let mut extra = ExtraClaims::default();
    if !person.groups.is_empty() {
        extra.other.insert("groups".into(), serde_json::json!(person.groups));
    }
    let claims = IdTokenClaims::<ExtraClaims, CoreGenderClaim>::new(
        IssuerUrl::new(issuer).unwrap(),
        vec![Audience::new(audience)],
        expires,
        now - chrono::Duration::seconds(if tamper == Some(Tamper::Expired) { 600 } else { 0 }),
        standard,
        extra,
    )
    .set_nonce(nonce.map(Nonce::new))
    // The person authenticated just now when asked to, else an hour ago (their session here).
    .set_auth_time(Some(if pending.fresh { now } else { now - chrono::Duration::hours(1) }))
    .set_auth_method_refs(Some(person.amr.iter().map(|m| AuthenticationMethodReference::new(m.clone())).collect()));
    let signer = if tamper == Some(Tamper::Signature) { key(OTHER_KEY) } else { key(KEY) };
    let id_token = RampartIdToken::new(claims, &signer, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, None, None)
        .expect("the ID token is signed");
    Json(serde_json::json!({
        "access_token": "an access token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}

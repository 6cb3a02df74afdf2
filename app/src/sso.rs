//! Single sign-on: the admins' settings page (`/settings/sso`) with "Test configuration", and
//! the "Sign in with …" button of the sign-in page. The sign-in itself runs through the
//! server's routes /auth/sso/start and /auth/sso/callback (server/src/sso.rs).

// One argument per form field, so that the settings form posts without JavaScript.
#![allow(clippy::too_many_arguments)]

use crate::components::{
    ActionError, CheckField, Choices, Loading, PageError, PageTitle, SelectField, TextArea, TextField, TimeAgo,
};
use crate::error::AppError;
use crate::time::When;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Where the sign-in button goes.
pub const START_PATH: &str = "/auth/sso/start";
/// Rampart's callback, to register at the provider.
pub const CALLBACK_PATH: &str = "/auth/sso/callback";

/// The settings as the page shows them. The client secret is never here: only whether one is
/// stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSettingsView {
    pub configured: bool,
    pub enabled: bool,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub has_secret: bool,
    pub allowed_domains: String,
    pub role_claim: String,
    pub role_mapping: String,
    pub jit_enabled: bool,
    pub jit_role: String,
    pub trust_provider_mfa: bool,
    pub version: i64,
    /// The redirect address to register at the provider.
    pub redirect_uri: String,
    pub changed: Option<(When, String)>,
}

/// What "Test configuration" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoTestView {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: Option<String>,
    pub signing_keys: usize,
}

/// Where the provider sends the browser back: Rampart's own address.
#[cfg(feature = "ssr")]
fn redirect_uri() -> Result<String, AppError> {
    Ok(format!("{}{CALLBACK_PATH}", crate::state::AppState::get()?.public_url))
}

/// The single sign-on settings (admins).
#[server(prefix = "/api", endpoint = "sso/settings")]
pub async fn get_sso_settings() -> Result<SsoSettingsView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let shown = domain::identity::sso::get_settings(&state.db, &actor).await?;
    let view = match shown {
        Some(shown) => {
            let s = shown.settings;
            SsoSettingsView {
                configured: true,
                enabled: s.enabled,
                display_name: s.display_name.clone(),
                issuer: s.issuer.clone(),
                client_id: s.client_id.clone(),
                has_secret: shown.has_secret,
                allowed_domains: s.domains_text(),
                role_claim: s.role_claim.clone(),
                role_mapping: s.mapping_text(),
                jit_enabled: s.jit_enabled,
                jit_role: s.jit_role.as_str().into(),
                trust_provider_mfa: s.trust_provider_mfa,
                version: s.version,
                redirect_uri: redirect_uri()?,
                changed: s.updated.map(|(at, by)| (When::of(at), by)),
            }
        }
        None => SsoSettingsView {
            configured: false,
            enabled: false,
            display_name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            has_secret: false,
            allowed_domains: String::new(),
            role_claim: String::new(),
            role_mapping: String::new(),
            jit_enabled: false,
            jit_role: "technician".into(),
            trust_provider_mfa: false,
            version: 0,
            redirect_uri: redirect_uri()?,
            changed: None,
        },
    };
    Ok(view)
}

/// Saves the single sign-on settings (admins). An empty secret keeps the stored one. Answers
/// the new version.
#[allow(clippy::too_many_arguments)] // one argument per form field
#[server(prefix = "/api", endpoint = "sso/save_settings")]
pub async fn save_sso_settings(
    enabled: Option<String>,
    display_name: String,
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    allowed_domains: Option<String>,
    role_claim: Option<String>,
    role_mapping: Option<String>,
    jit_enabled: Option<String>,
    jit_role: String,
    trust_provider_mfa: Option<String>,
    version: i64,
) -> Result<i64, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = domain::identity::sso::SsoInput {
        enabled: enabled.is_some(),
        display_name,
        issuer,
        client_id,
        client_secret: client_secret.unwrap_or_default(),
        allowed_domains: allowed_domains.unwrap_or_default(),
        role_claim: role_claim.unwrap_or_default(),
        role_mapping: role_mapping.unwrap_or_default(),
        jit_enabled: jit_enabled.is_some(),
        jit_role,
        trust_provider_mfa: trust_provider_mfa.is_some(),
        version,
    };
    let saved = domain::identity::sso::save_settings(&state.db, &actor, &input, domain::clock::now()).await?;
    crate::flash::after_plain_post("Settings saved.").await;
    Ok(saved.settings.version)
}

/// Reads the discovery document of an issuer (admins); changes nothing. A server function, so a
/// POST from this site only: a GET (a link) never makes this server reach out.
#[server(prefix = "/api", endpoint = "sso/test")]
pub async fn test_sso_configuration(issuer: String) -> Result<SsoTestView, AppError> {
    let actor = crate::auth::current_actor().await?;
    let found = domain::identity::sso::test_discovery(&actor, &issuer).await?;
    crate::flash::after_plain_post(format!(
        "The provider answered. Issuer: {}; authorization endpoint: {}; token endpoint: {}; signing keys: {}.",
        found.issuer,
        found.authorization_endpoint,
        found.token_endpoint.as_deref().unwrap_or("none (sign-in cannot work)"),
        found.signing_keys
    ))
    .await;
    Ok(SsoTestView {
        issuer: found.issuer,
        authorization_endpoint: found.authorization_endpoint,
        token_endpoint: found.token_endpoint,
        signing_keys: found.signing_keys,
    })
}

/// The provider's name for the sign-in button, when single sign-on is on (anyone may ask).
#[server(prefix = "/api", endpoint = "sso/option")]
pub async fn sso_sign_in_option() -> Result<Option<String>, AppError> {
    let state = crate::state::AppState::get()?;
    Ok(domain::identity::sso::sign_in_option(&state.db).await?)
}

/// The sign-in page's single sign-on part: what went wrong last time, and the button (a plain
/// link, so it works without JavaScript).
#[component]
pub fn SsoSignIn() -> impl IntoView {
    let option = Resource::new(|| (), |_| sso_sign_in_option());
    let query = use_query_map();
    let error = move || query.read().get("sso_error").map(|code| sso_error_text(&code));
    let href = move || {
        let next = query.read().get("next").filter(|n| !n.is_empty());
        match next {
            Some(next) => format!("{START_PATH}?next={}", crate::html::encode_query(&next)),
            None => START_PATH.to_string(),
        }
    };
    view! {
        {move || error().map(|text| view! { <div class="alert alert-error" role="alert">{text}</div> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                option
                    .await
                    .ok()
                    .flatten()
                    .map(|name| {
                        view! {
                            <div class="sso-sign-in">
                                <p class="sso-or">"or"</p>
                                // rel="external": a full navigation to the server's route,
                                // not one for the in-browser router.
                                <a class="btn btn-secondary sso-button" href=href rel="external">
                                    {format!("Sign in with {name}")}
                                </a>
                            </div>
                        }
                    })
            })}
        </Suspense>
    }
}

/// The step-up page's single sign-on part: people who sign in through the provider confirm
/// there (asked to authenticate again), and come back to `next`.
#[component]
pub fn SsoConfirm(next: Signal<String>) -> impl IntoView {
    let option = Resource::new(|| (), |_| sso_sign_in_option());
    let href = move || {
        let next = next.get();
        if next.is_empty() {
            format!("{START_PATH}?confirm=1")
        } else {
            format!("{START_PATH}?confirm=1&next={}", crate::html::encode_query(&next))
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                option.await.ok().flatten().map(|name| {
                    view! {
                        <div class="sso-sign-in">
                            <p class="sso-or">"or, if you sign in through your provider"</p>
                            <a class="btn btn-secondary sso-button" href=href rel="external">
                                {format!("Confirm with {name}")}
                            </a>
                        </div>
                    }
                })
            })}
        </Suspense>
    }
}

/// What the sign-in page says after a single sign-on that did not work.
pub fn sso_error_text(code: &str) -> &'static str {
    match code {
        "expired" => "That single sign-on took too long, was used already, or was started in another browser. Start again.",
        "cancelled" => "The sign-in at your provider was cancelled or refused.",
        "not_allowed" => "Your address at the provider may not sign in to Rampart (its domain is not allowed, or it is not verified).",
        "no_account" => "There is no active Rampart account for you. Ask an administrator to add you.",
        "no_role" => "Your account at the provider has no role in Rampart. Ask an administrator.",
        "off" => "Single sign-on is not set up.",
        _ => "Single sign-on did not work. Try again; if it keeps failing, tell your administrator.",
    }
}

/// `/settings/sso`: the provider's settings (admins).
#[component]
pub fn SsoSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSsoSettings>::new();
    // Reloaded after a successful save only, so that a refused form keeps what was typed.
    let saved = Memo::new(move |_| save.value().get().and_then(Result::ok));
    let settings = Resource::new(move || saved.get(), |_| get_sso_settings());
    view! {
        <PageTitle text="Single sign-on"/>
        <header class="page-header">
            <div>
                <h1>"Single sign-on"</h1>
                <p class="page-subtitle">
                    "Sign-in through your OpenID Connect provider (Entra ID, Google Workspace, Okta, Keycloak …)."
                </p>
            </div>
        </header>
        {move || save.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        {move || {
            saved.get().map(|_| view! { <div class="alert alert-success" role="status">"Settings saved."</div> })
        }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => {
                        let issuer = s.issuer.clone();
                        view! { <SsoForm s save/> <SsoTest issuer/> }.into_any()
                    }
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SsoForm(s: SsoSettingsView, save: ServerAction<SaveSsoSettings>) -> impl IntoView {
    let error = move |field: &'static str| {
        Signal::derive(move || save.value().get().and_then(Result::err).and_then(|e| e.field_message(field)))
    };
    let secret_hint = if s.has_secret {
        "A secret is stored; it is never shown. Leave this empty to keep it."
    } else {
        "From the provider's app registration. Leave empty for a public client (PKCE only)."
    };
    // Accounts created at sign-in are staff: every role but client viewer.
    let mut staff_roles = Choices::from(vocabulary::ROLES);
    staff_roles.0.retain(|(value, _)| value != "client_viewer");
    let changed = s.changed.clone();
    view! {
        <section class="card" aria-labelledby="sso-provider">
            <h2 id="sso-provider">"Provider"</h2>
            <p>
                "Register Rampart at your provider as a web application with this redirect address: "
                <code>{s.redirect_uri.clone()}</code>
            </p>
            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="version" value=s.version/>
                <CheckField name="enabled" value="on" checked=s.enabled label="Single sign-on is on (the sign-in page shows its button)"/>
                <TextField name="display_name" label="Provider name" value=s.display_name.clone() error=error("display_name") hint="Shown on the button: “Sign in with …”." required=true/>
                <TextField name="issuer" label="Issuer" value=s.issuer.clone() error=error("issuer") hint="The issuer's address exactly as the provider names it, e.g. https://login.microsoftonline.com/<tenant id>/v2.0." required=true/>
                <TextField name="client_id" label="Client id" value=s.client_id.clone() error=error("client_id") required=true/>
                <TextField name="client_secret" label="Client secret" kind="password" value="" error=error("client_secret") hint=secret_hint autocomplete="new-password"/>
                <TextField name="allowed_domains" label="Allowed e-mail domains" value=s.allowed_domains.clone() error=error("allowed_domains") hint="Comma-separated, e.g. msp.example, msp-group.example. Empty: every address the provider vouches for."/>
                <TextField name="role_claim" label="Role claim" value=s.role_claim.clone() error=error("role_claim") hint="The ID token claim that gives the role, e.g. groups or roles. Empty: roles are managed in Rampart only."/>
                <TextArea
                    name="role_mapping"
                    label="Role mapping"
                    rows=4
                    value=s.role_mapping.clone()
                    hint="One “value = role” a line (admin, manager, technician or auditor); the first value the user has wins. A user with none of them cannot sign in."
                    error=error("role_mapping")
                />
                <CheckField
                    name="jit_enabled"
                    value="on"
                    checked=s.jit_enabled
                    label="Create a Rampart account at a person's first sign-in"
                />
                <SelectField
                    name="jit_role"
                    label="Role of created accounts"
                    choices=staff_roles
                    selected=s.jit_role.clone()
                    hint="Used when the role mapping gives none."
                    error=error("jit_role")
                />
                <div class="field">
                    <label>
                        <input type="checkbox" name="trust_provider_mfa" value="on" checked=s.trust_provider_mfa/>
                        " The provider enforces MFA: skip Rampart's two-factor code when the ID token says so (amr “mfa”)"
                    </label>
                    <p class="hint">
                        "Off: people who set up Rampart's two-factor sign-in enter its code after the provider too."
                    </p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save settings"</button>
                </div>
            </ActionForm>
            <p class="hint">
                {match changed {
                    Some((when, by)) => view! { "Last changed " <TimeAgo when/> {format!(" by {by}.")} }.into_any(),
                    None => view! { "Not configured yet." }.into_any(),
                }}
            </p>
        </section>
    }
}

/// "Test configuration": reads the provider's discovery document and keys. A plain GET form
/// (the test changes nothing), so that it works without JavaScript too.
/// "Test configuration": a form posted to the server (never a link: reading a provider is a
/// request this server makes, so a GET must not start one); the answer comes back as the
/// page's message, a refusal beside the form.
#[component]
fn SsoTest(issuer: String) -> impl IntoView {
    let test = ServerAction::<TestSsoConfiguration>::new();
    let error = Signal::derive(move || test.value().get().and_then(Result::err));
    view! {
        <section class="card" aria-labelledby="sso-test">
            <h2 id="sso-test">"Test configuration"</h2>
            <p>"Reads the issuer's discovery document and signing keys, as a sign-in would. Nothing is saved."</p>
            {move || {
                error
                    .get()
                    .map(|e| {
                        let text = e.field_message("issuer").unwrap_or_else(|| e.to_string());
                        view! { <div class="alert alert-error" role="alert">{text}</div> }
                    })
            }}
            <ActionForm action=test attr:class="stack">
                <TextField id="sso-test-issuer" name="issuer" label="Issuer to test" value=issuer/>
                <div class="form-actions">
                    <button type="submit" class="btn">"Test configuration"</button>
                </div>
            </ActionForm>
        </section>
    }
}

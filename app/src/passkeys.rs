//! Passkeys in the browser: adding one on /account, signing in with one (without a password,
//! or as the second step after it) and confirming with one. The ceremonies run in the browser's
//! WebAuthn API, so this is the one part of Rampart that needs JavaScript: an island
//! ([`PasskeyButton`]) that says so when it is off. The server keeps each ceremony's state in
//! the session and the domain checks the answers (`domain::identity::passkeys`).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A passkey in its owner's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub added: crate::time::When,
    pub last_used: Option<crate::time::When>,
}

/// What the sign-in's second step may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStep {
    /// A password was accepted and the second step waits (else: sign in again).
    pub waiting: bool,
    /// The user has an app: its code is asked.
    pub app: bool,
    /// The user has a passkey: it may be used instead.
    pub passkey: bool,
}

/// What a passkey button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ceremony {
    /// Signing in: without a password, or as the second step after it.
    SignIn,
    /// Confirming who one is before a sensitive action.
    Confirm,
    /// Adding a passkey to one's account.
    Register,
}

#[cfg(feature = "ssr")]
mod keys {
    /// The session key of a registration waiting for the browser's answer.
    pub const REGISTRATION: &str = "passkey_registration";
    /// The session key of a sign-in or confirmation waiting for the browser's answer.
    pub const AUTHENTICATION: &str = "passkey_authentication";
}

#[cfg(feature = "ssr")]
fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session could not be read or written");
    AppError::Internal
}

#[cfg(feature = "ssr")]
fn relying_party(state: &crate::state::AppState) -> Result<domain::identity::passkeys::RelyingParty, AppError> {
    state.passkeys.clone().ok_or_else(|| {
        AppError::from(domain::DomainError::conflict(
            None,
            "Passkeys need Rampart to be reached at a host name (RAMPART_PUBLIC_URL), not a numeric address.",
        ))
    })
}

/// A waiting sign-in's user (password accepted, second step not yet), if it is still fresh.
#[cfg(feature = "ssr")]
async fn pending_user(session: &tower_sessions::Session) -> Result<Option<(i64, Option<String>)>, AppError> {
    let pending: Option<(i64, i64, Option<String>)> =
        session.get(crate::auth::PENDING_KEY).await.map_err(session_failed)?;
    let now = domain::clock::now().timestamp();
    Ok(pending.filter(|(_, since, _)| now - since <= crate::auth::PENDING_SECONDS).map(|(id, _, next)| (id, next)))
}

/// What the second step of signing in may ask for (public: it reads only this browser's
/// waiting sign-in).
#[server(prefix = "/api", endpoint = "auth/pending_sign_in")]
pub async fn pending_sign_in() -> Result<SignInStep, AppError> {
    let state = crate::state::AppState::get()?;
    let session = crate::auth::session().await?;
    let Some((user_id, _)) = pending_user(&session).await? else {
        return Ok(SignInStep { waiting: false, app: false, passkey: false });
    };
    Ok(SignInStep {
        waiting: true,
        app: domain::identity::mfa::app_codes_accepted(&state.db, user_id, &state.passkey_roles).await?,
        passkey: state.passkeys.is_some() && domain::identity::passkeys::has_passkey(&state.db, user_id).await?,
    })
}

/// Starts a passkey ceremony: answers the options for the browser's WebAuthn API (JSON) and
/// keeps the ceremony's state in the session. Signing in asks for the waiting sign-in's
/// passkeys after a password, or any passkey of this site; confirming asks for the signed-in
/// user's; registering needs a recent confirmation.
#[server(prefix = "/api", endpoint = "auth/passkey_begin")]
pub async fn passkey_begin(ceremony: Ceremony) -> Result<String, AppError> {
    let state = crate::state::AppState::get()?;
    let rp = relying_party(&state)?;
    let session = crate::auth::session().await?;
    let now = domain::clock::now();
    match ceremony {
        Ceremony::SignIn | Ceremony::Confirm => {
            let user = match ceremony {
                Ceremony::Confirm => crate::auth::current_actor().await?.user_id,
                _ => pending_user(&session).await?.map(|(id, _)| id),
            };
            let (options, kept) = domain::identity::passkeys::start_authentication(&state.db, &rp, user).await?;
            session.insert(keys::AUTHENTICATION, (ceremony, kept)).await.map_err(session_failed)?;
            Ok(options)
        }
        Ceremony::Register => {
            let actor = crate::auth::current_actor().await?;
            let (options, kept) = domain::identity::passkeys::start_registration(&state.db, &rp, &actor, now).await?;
            session.insert(keys::REGISTRATION, kept).await.map_err(session_failed)?;
            Ok(options)
        }
    }
}

/// Finishes a passkey ceremony with the browser's answer (`credential`, the WebAuthn JSON).
/// Answers where the browser goes next: after signing in, `next` (when it stays on the site)
/// or the user's home; after confirming, `next` or /account; after adding one, /account (which
/// shows new recovery codes once, if any were issued). Each ceremony's state is used once.
#[server(prefix = "/api", endpoint = "auth/passkey_finish")]
pub async fn passkey_finish(
    ceremony: Ceremony,
    credential: String,
    name: Option<String>,
    next: Option<String>,
) -> Result<String, AppError> {
    use domain::identity::passkeys::{self, Authentication, Purpose, Registration};
    let state = crate::state::AppState::get()?;
    let rp = relying_party(&state)?;
    let session = crate::auth::session().await?;
    let now = domain::clock::now();
    let address = crate::auth::client_address();
    let again = || AppError::from(domain::DomainError::conflict(None, "Start again: that request has expired."));
    if ceremony == Ceremony::Register {
        let actor = crate::auth::current_actor().await?;
        let kept: Registration = session.remove(keys::REGISTRATION).await.map_err(session_failed)?.ok_or_else(again)?;
        let name = name.unwrap_or_default();
        let codes = passkeys::finish_registration(&state.db, &rp, &actor, kept, &name, &credential, now).await?;
        if !codes.is_empty() {
            session.insert(crate::auth::NEW_CODES_KEY, &codes).await.map_err(session_failed)?;
        }
        return Ok("/account".into());
    }
    let kept: Option<(Ceremony, Authentication)> =
        session.remove(keys::AUTHENTICATION).await.map_err(session_failed)?;
    let kept = kept.filter(|(started, _)| *started == ceremony).map(|(_, kept)| kept).ok_or_else(again)?;
    if ceremony == Ceremony::Confirm {
        let actor = crate::auth::current_actor().await?;
        passkeys::finish_authentication(
            &state.db,
            &rp,
            kept,
            &credential,
            Purpose::Confirm,
            Some(&actor),
            address.as_deref(),
            now,
        )
        .await?;
        session.cycle_id().await.map_err(session_failed)?;
        session.insert(crate::auth::STEP_UP_KEY, now.timestamp()).await.map_err(session_failed)?;
        let target = crate::auth::safe_next(next.as_deref()).filter(|n| !n.starts_with("/account/confirm"));
        return Ok(target.unwrap_or_else(|| "/account".into()));
    }
    // Signing in: the second step of a waiting sign-in, or a sign-in without a password.
    let pending = pending_user(&session).await?;
    let purpose = match (&kept, &pending) {
        (Authentication::Known { user_id, .. }, Some((waiting, _))) if user_id == waiting => Purpose::SecondFactor,
        (Authentication::Discoverable(_), _) => Purpose::SignIn,
        _ => return Err(again()),
    };
    let user_id =
        passkeys::finish_authentication(&state.db, &rp, kept, &credential, purpose, None, address.as_deref(), now)
            .await?;
    let waiting = pending.is_some();
    let next = next.or_else(|| pending.and_then(|(_, next)| next));
    session.cycle_id().await.map_err(session_failed)?;
    if waiting {
        session.remove_value(crate::auth::PENDING_KEY).await.map_err(session_failed)?;
    }
    session.insert(crate::auth::USER_ID_KEY, user_id).await.map_err(session_failed)?;
    session.insert(crate::auth::STEP_UP_KEY, now.timestamp()).await.map_err(session_failed)?;
    let actor = domain::identity::actor_for_user(&state.db, user_id).await?.ok_or(AppError::Internal)?;
    Ok(crate::auth::safe_next(next.as_deref()).unwrap_or_else(|| crate::auth::me_of(&actor).home()))
}

/// Removes one of the signed-in user's passkeys (after a recent confirmation).
#[server(prefix = "/api", endpoint = "auth/passkey_remove")]
pub async fn passkey_remove(id: i64) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::identity::passkeys::remove(&state.db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

/// The signed-in user's passkeys, as their list shows them.
#[cfg(feature = "ssr")]
pub(crate) async fn passkeys_of(
    state: &crate::state::AppState,
    actor: &domain::Actor,
) -> Result<Vec<PasskeyView>, AppError> {
    let listed = domain::identity::passkeys::list(&state.db, actor).await?;
    Ok(listed
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            name: p.name,
            added: crate::time::When::of(p.created_at),
            last_used: p.last_used_at.map(crate::time::When::of),
        })
        .collect())
}

/// A button that runs a passkey ceremony in the browser: the one island of these pages. Until
/// it is awake (for good, with JavaScript off) it says that passkeys need JavaScript. `next` is where to go afterwards (sign-in and
/// confirmation); registering asks for the passkey's name first.
#[island]
pub fn PasskeyButton(ceremony: Ceremony, label: String, next: String) -> impl IntoView {
    let awake = RwSignal::new(false);
    Effect::new(move |_| awake.set(true));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let registering = ceremony == Ceremony::Register;
    let next = StoredValue::new(next);
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let next = next.get_value();
        leptos::task::spawn_local(async move {
            let outcome = run_ceremony(ceremony, name.get_untracked(), next).await;
            busy.set(false);
            match outcome {
                Ok(target) => go_to(&target),
                Err(message) => error.set(Some(message)),
            }
        });
    };
    let id = match ceremony {
        Ceremony::SignIn => "passkey-sign-in",
        Ceremony::Confirm => "passkey-confirm",
        Ceremony::Register => "passkey-add",
    };
    view! {
        <div class="passkey">
            // Shown until the island is awake: without JavaScript, that is for good.
            {move || (!awake.get()).then(|| view! {
                <p class="muted">"Passkeys need JavaScript: turn it on in your browser to use one here."</p>
            })}
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert"><p>{e}</p></div> })}
            {move || awake.get().then(|| view! {
                <form class="stack" on:submit=run>
                    {registering.then(|| view! {
                        <div class="field">
                            <label for="passkey-name">"Name of the passkey"</label>
                            <input
                                id="passkey-name"
                                name="name"
                                placeholder="Laptop, security key…"
                                maxlength="60"
                                required
                                prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev))
                            />
                        </div>
                    })}
                    <div class="form-actions">
                        <button id=id type="submit" class="btn btn-secondary" disabled=move || busy.get()>
                            {label.clone()}
                        </button>
                    </div>
                </form>
            })}
        </div>
    }
}

/// Runs one ceremony: options from the server, the browser's WebAuthn API, the answer back to
/// the server. Answers where to go next, or a message for the person.
async fn run_ceremony(ceremony: Ceremony, name: String, next: String) -> Result<String, String> {
    let options = passkey_begin(ceremony).await.map_err(|e| message_of(&e))?;
    let credential = browser_ceremony(ceremony == Ceremony::Register, &options).await?;
    let name = (ceremony == Ceremony::Register).then_some(name);
    let next = (!next.is_empty()).then_some(next);
    passkey_finish(ceremony, credential, name, next).await.map_err(|e| message_of(&e))
}

fn message_of(error: &AppError) -> String {
    match error {
        AppError::Validation(fields) => fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

#[cfg(feature = "hydrate")]
fn go_to(target: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(target);
    }
}

#[cfg(not(feature = "hydrate"))]
fn go_to(_target: &str) {}

/// `navigator.credentials.create` (or `.get`) with the server's options, parsed by the
/// browser's own JSON helpers; the credential back as WebAuthn JSON (`toJSON`).
#[cfg(feature = "hydrate")]
async fn browser_ceremony(create: bool, options: &str) -> Result<String, String> {
    use wasm_bindgen::{JsCast, JsValue};
    let unsupported = || "This browser cannot use passkeys.".to_string();
    let get =
        |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).map_err(|_| unsupported());
    let window: JsValue = web_sys::window().ok_or_else(unsupported)?.into();
    let options = js_sys::JSON::parse(options).map_err(|_| unsupported())?;
    let public_key = get(&options, "publicKey")?;
    let credential_type = get(&window, "PublicKeyCredential")?;
    let parse_name = if create { "parseCreationOptionsFromJSON" } else { "parseRequestOptionsFromJSON" };
    let parse: js_sys::Function = get(&credential_type, parse_name)?.dyn_into().map_err(|_| unsupported())?;
    let parsed = parse.call1(&credential_type, &public_key).map_err(|_| unsupported())?;
    let request = js_sys::Object::new();
    js_sys::Reflect::set(&request, &JsValue::from_str("publicKey"), &parsed).map_err(|_| unsupported())?;
    let credentials = get(&get(&window, "navigator")?, "credentials")?;
    let method: js_sys::Function =
        get(&credentials, if create { "create" } else { "get" })?.dyn_into().map_err(|_| unsupported())?;
    let promise: js_sys::Promise =
        method.call1(&credentials, &request).map_err(|_| unsupported())?.dyn_into().map_err(|_| unsupported())?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| {
        let name = js_sys::Reflect::get(&e, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
        match name.as_deref() {
            Some("InvalidStateError") => "This passkey is registered already.".to_string(),
            Some("NotAllowedError") | Some("AbortError") => {
                "No passkey was used: it was cancelled, or took too long.".to_string()
            }
            _ => "The passkey could not be used in this browser.".to_string(),
        }
    })?;
    let to_json: js_sys::Function = get(&credential, "toJSON")?.dyn_into().map_err(|_| unsupported())?;
    let json = to_json.call0(&credential).map_err(|_| unsupported())?;
    js_sys::JSON::stringify(&json).ok().and_then(|s| s.as_string()).ok_or_else(unsupported)
}

#[cfg(not(feature = "hydrate"))]
async fn browser_ceremony(_create: bool, _options: &str) -> Result<String, String> {
    Err("Passkeys need JavaScript.".into())
}

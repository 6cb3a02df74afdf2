//! "Your account": who is signed in, two-factor sign-in (setting up a TOTP app, recovery codes),
//! and signing out of every session at once; and the sign-in page's second step.

use crate::auth::{ConfirmIdentity, ConfirmMfaEnrolment, MfaSetup, SignInCode, SignOutEverywhere, StartMfaEnrolment};
use crate::components::{columns, ActionError, DataTable, ErrorPanel, Loading, PageTitle, TimeAgo};
use crate::error::AppError;
use crate::layout::CurrentUser;
use crate::passkeys::{pending_sign_in, Ceremony, PasskeyButton, PasskeyRemove};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Two-factor sign-in of the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaState {
    /// An app is set up.
    pub enrolled: bool,
    /// Their passkeys, oldest first.
    pub passkeys: Vec<crate::passkeys::PasskeyView>,
    /// Passkeys can be used at this site's address.
    pub passkeys_available: bool,
    /// Their role must use a passkey and they have none yet.
    pub must_add_passkey: bool,
    pub unused_recovery_codes: i64,
    /// An enrolment started and waiting for its first code (so that a page reloaded after a
    /// plain form post shows the key again).
    pub pending: Option<MfaSetup>,
    /// Recovery codes just issued by a plain form post, shown on this one answer only.
    pub new_recovery_codes: Vec<String>,
}

#[server(prefix = "/api", endpoint = "auth/mfa_status")]
pub async fn mfa_status() -> Result<MfaState, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let user_id = actor.user_id.ok_or(AppError::Internal)?;
    let pending = domain::identity::mfa::pending_enrolment(&state.db, &actor).await?.map(|e| MfaSetup {
        secret: e.secret,
        uri: e.uri,
        qr_svg: e.qr_svg,
    });
    let new_recovery_codes =
        crate::auth::take_once::<Vec<String>>(&crate::auth::session().await?, crate::auth::NEW_CODES_KEY)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "session could not be read");
                AppError::Internal
            })?;
    Ok(MfaState {
        enrolled: domain::identity::mfa::is_enrolled(&state.db, user_id).await?,
        passkeys: crate::passkeys::passkeys_of(&state, &actor).await?,
        passkeys_available: state.passkeys.is_some(),
        must_add_passkey: actor.must_add_passkey(),
        unused_recovery_codes: domain::identity::mfa::unused_recovery_codes(&state.db, user_id).await?,
        pending,
        new_recovery_codes: new_recovery_codes.unwrap_or_default(),
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<CurrentUser>().0;
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    // One reading of the user's two-factor state for both sections (it hands out new recovery
    // codes once), read again after any of their actions.
    let start = ServerAction::<StartMfaEnrolment>::new();
    let confirm = ServerAction::<ConfirmMfaEnrolment>::new();
    let remove = ServerAction::<PasskeyRemove>::new();
    let status = Resource::new(
        move || (confirm.version().get(), start.version().get(), remove.version().get()),
        |_| mfa_status(),
    );
    view! {
        <PageTitle text="Your account"/>
        <h1>"Your account"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => {
                        view! {
                            {me.must_set_up_two_factor.then(|| view! {
                                <div class="alert alert-info" role="status">
                                    <p>
                                        <strong>"Set up two-factor sign-in first."</strong>
                                        " Your role must use it: until you have set it up below, every other page brings you back here, and you can change nothing."
                                    </p>
                                </div>
                            })}
                            <section class="card" aria-labelledby="who">
                                <h2 id="who">"Signed in as"</h2>
                                <dl class="facts">
                                    <div><dt>"Name"</dt><dd>{me.display_name.clone()}</dd></div>
                                    <div><dt>"Email"</dt><dd>{me.email.clone()}</dd></div>
                                    <div><dt>"Role"</dt><dd>{me.role_label.clone()}</dd></div>
                                </dl>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(None) => view! { <ErrorPanel error=AppError::Unauthenticated/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
        <TwoFactor start confirm status/>
        <Passkeys remove status/>
        <section class="card" aria-labelledby="sessions">
            <h2 id="sessions">"Sessions"</h2>
            <p>
                "Signed in on another computer, or left a browser signed in somewhere? Signing out everywhere ends every session of yours at once, this one included."
            </p>
            {move || everywhere.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            <ActionForm action=everywhere>
                <button type="submit" class="btn btn-danger">"Sign out everywhere"</button>
            </ActionForm>
        </section>
    }
}

/// Two-factor sign-in: its state, or setting it up (secret and its QR code, then a code, then
/// the recovery codes, shown once). Works without JavaScript: the key waiting for its first code
/// is shown again on the reloaded page, and the recovery codes are kept in the session until
/// the page shows them.
#[component]
fn TwoFactor(
    start: ServerAction<StartMfaEnrolment>,
    confirm: ServerAction<ConfirmMfaEnrolment>,
    status: Resource<Result<MfaState, AppError>>,
) -> impl IntoView {
    let codes = move || confirm.value().get().and_then(Result::ok);
    let confirm_error = move || confirm.value().get().and_then(Result::err);
    view! {
        <section class="card" aria-labelledby="two-factor">
            <h2 id="two-factor">"Two-factor sign-in"</h2>
            {move || codes().map(|codes| view! { <RecoveryCodes codes/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let status = status.await;
                    // Issued to a plain form post, or with a first passkey: shown on this answer only.
                    let fresh = status.as_ref().map(|s| s.new_recovery_codes.clone()).unwrap_or_default();
                    let fresh = (!fresh.is_empty()).then(|| view! { <RecoveryCodes codes=fresh/> });
                    let state = match status {
                        Ok(s) if s.enrolled => {
                            view! {
                                <p>
                                    {format!(
                                        "On: signing in asks for a code from your app. {} recovery codes left.",
                                        s.unused_recovery_codes,
                                    )}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(s) => {
                            let pending = s.pending.clone();
                            let state = if s.passkeys.is_empty() {
                                "Off: signing in asks only for your password.".to_string()
                            } else {
                                format!(
                                    "No app: after your password, signing in asks for one of your passkeys. {} recovery codes left.",
                                    s.unused_recovery_codes,
                                )
                            };
                            view! {
                                <p>{state}</p>
                                {move || start.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
                                {move || match start.value().get().and_then(Result::ok).or_else(|| pending.clone()) {
                                    None => {
                                        view! {
                                            <ActionForm action=start>
                                                <button type="submit" class="btn btn-primary">"Set up two-factor sign-in"</button>
                                            </ActionForm>
                                        }
                                            .into_any()
                                    }
                                    Some(setup) => {
                                        view! {
                                            <p>
                                                "Scan this QR code with an authenticator app (time-based, 6 digits), or type the key into it, or open the link on your phone; then enter the code it shows."
                                            </p>
                                            <div class="mfa-qr" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg.clone()></div>
                                            <p>
                                                <code class="mfa-secret" aria-label="Key">{setup.secret.clone()}</code>
                                            </p>
                                            <p><a href=setup.uri.clone()>"Open in an authenticator app"</a></p>
                                            {move || confirm_error().map(|error| view! { <ActionError error/> })}
                                            <ActionForm action=confirm attr:class="stack">
                                                <div class="field">
                                                    <label for="mfa-code">"Code from the app"</label>
                                                    <input id="mfa-code" name="code" inputmode="numeric" autocomplete="one-time-code" required/>
                                                </div>
                                                <div class="form-actions">
                                                    <button type="submit" class="btn btn-primary">"Turn on"</button>
                                                </div>
                                            </ActionForm>
                                        }
                                            .into_any()
                                    }
                                }}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    };
                    view! { {fresh} {state} }
                })}
            </Suspense>
        </section>
    }
}

/// The signed-in user's passkeys: the list, removing one (a plain form: no JavaScript needed),
/// and adding one (the island; it needs JavaScript).
#[component]
fn Passkeys(remove: ServerAction<PasskeyRemove>, status: Resource<Result<MfaState, AppError>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="passkeys">
            <h2 id="passkeys">"Passkeys"</h2>
            <p>
                "A passkey signs you in with your device's screen lock or a security key: nothing to type, and a look-alike site cannot use it. Use one instead of your password, or after it instead of a code."
            </p>
            {move || remove.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => {
                            let list = if s.passkeys.is_empty() {
                                view! { <p>"No passkeys yet."</p> }.into_any()
                            } else {
                                view! {
                                    <DataTable label="Your passkeys" columns=columns(["Name", "Added", "Last used", "Actions"])>
                                        {s.passkeys.into_iter().map(|p| {
                                            let label = format!("Remove {}", p.name);
                                            view! {
                                                <tr>
                                                    <td>{p.name}</td>
                                                    <td><TimeAgo when=p.added/></td>
                                                    <td>
                                                        {match p.last_used {
                                                            Some(when) => view! { <TimeAgo when/> }.into_any(),
                                                            None => view! { "never" }.into_any(),
                                                        }}
                                                    </td>
                                                    <td>
                                                        <ActionForm action=remove>
                                                            <input type="hidden" name="id" value=p.id/>
                                                            <button type="submit" class="btn btn-danger btn-small" aria-label=label>"Remove"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </DataTable>
                                }
                                    .into_any()
                            };
                            let add = if s.passkeys_available {
                                view! { <PasskeyButton ceremony=Ceremony::Register label="Add a passkey".to_string() next=String::new()/> }.into_any()
                            } else {
                                view! {
                                    <p class="muted">
                                        "Passkeys work only where Rampart is reached at a host name: ask whoever runs it to set RAMPART_PUBLIC_URL."
                                    </p>
                                }
                                    .into_any()
                            };
                            view! {
                                {s.must_add_passkey.then(|| view! {
                                    <div class="alert alert-info" role="status">
                                        <p><strong>"Add a passkey first."</strong>" Your role must sign in with one; until you add it, you can change nothing."</p>
                                    </div>
                                })}
                                {list}
                                {add}
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Recovery codes, shown once after setting up an app.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            <p>
                "Two-factor sign-in is on. Keep these recovery codes somewhere safe: each works once, instead of a code from your app, and they are not shown again."
            </p>
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
        </div>
    }
}

/// Step-up: the password (and a code, with two-factor sign-in) entered again before sensitive
/// actions; then back to the page named by `?next=`.
#[component]
pub fn ConfirmPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    // Passed on as given: the server follows it only if it stays on the site.
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let action = ServerAction::<ConfirmIdentity>::new();
    let status = Resource::new(|| (), |_| mfa_status());
    let error = move || action.value().get().and_then(Result::err);
    let at = move |field: &'static str| error().and_then(|e| e.field_message(field));
    view! {
        <PageTitle text="Confirm it is you"/>
        <h1>"Confirm it is you"</h1>
        <section class="card" aria-labelledby="confirm-why">
            <p id="confirm-why">
                "Changing roles, resetting two-factor sign-in, disabling people and exporting everything need your password again (and a code, with two-factor sign-in) or a passkey, at most ten minutes before. You come back to where you were."
            </p>
            {move || error().filter(|e| !matches!(e, AppError::Validation(_))).map(|error| view! { <ActionError error/> })}
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="confirm-password">"Password"</label>
                    <input id="confirm-password" name="password" type="password" autocomplete="current-password" required/>
                    {move || at("password").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        status.await.ok().filter(|s| s.enrolled).map(|_| view! {
                            <div class="field">
                                <label for="confirm-code">"Code from your app, or a recovery code"</label>
                                <input id="confirm-code" name="code" autocomplete="one-time-code" required/>
                                {move || at("code").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                            </div>
                        })
                    })}
                </Suspense>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Confirm"</button>
                </div>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    status.await.ok().filter(|s| !s.passkeys.is_empty() && s.passkeys_available).map(|_| view! {
                        <h2 class="card-title">"Or with a passkey"</h2>
                        <PasskeyButton ceremony=Ceremony::Confirm label="Confirm with a passkey".to_string() next=next()/>
                    })
                })}
            </Suspense>
            <crate::sso::SsoConfirm next=Signal::derive(next)/>
        </section>
    }
}

/// The second step of signing in: the code from the app, or a recovery code.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = move || action.value().get().and_then(Result::err);
    let pending = Resource::new(|| (), |_| pending_sign_in());
    view! {
        <PageTitle text="Sign in"/>
        <main id="main" class="login-page">
            <div class="login-card">
                <h1>"Enter your code"</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let pending = pending.await.ok();
                        let app = pending.as_ref().is_none_or(|p| p.app);
                        let passkey = pending.as_ref().is_some_and(|p| p.passkey);
                        view! {
                            <p>
                                {if app {
                                    "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
                                } else {
                                    "Use your passkey, or enter one of your recovery codes."
                                }}
                            </p>
                            {passkey.then(|| view! { <PasskeyButton ceremony=Ceremony::SignIn label="Use a passkey".to_string() next=String::new()/> })}
                        }
                    })}
                </Suspense>
                {move || {
                    error()
                        .map(|e| {
                            let text = e.field_message("code").unwrap_or_else(|| e.to_string());
                            let again = e == AppError::Unauthenticated;
                            view! {
                                <div class="alert alert-error" role="alert">
                                    <p>{text}</p>
                                    {again.then(|| view! { <p><a href="/login">"Sign in again"</a></p> })}
                                </div>
                            }
                        })
                }}
                <ActionForm action=action attr:class="stack">
                    <div class="field">
                        <label for="code">"Code"</label>
                        <input id="code" name="code" autocomplete="one-time-code" required/>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Sign in"</button>
                    </div>
                </ActionForm>
            </div>
        </main>
    }
}

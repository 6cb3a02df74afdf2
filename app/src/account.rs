//! "Your account": who is signed in, two-factor sign-in (setting up a TOTP app, recovery codes),
//! and signing out of every session at once; and the sign-in page's second step.

use crate::auth::{mfa_status, ConfirmMfaEnrolment, SignInCode, SignOutEverywhere, StartMfaEnrolment};
use crate::components::{ActionError, ErrorPanel, Loading, PageTitle};
use crate::error::AppError;
use crate::layout::CurrentUser;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<CurrentUser>().0;
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    view! {
        <PageTitle text="Your account"/>
        <h1>"Your account"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => {
                        view! {
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
        <TwoFactor/>
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

/// Two-factor sign-in: its state, or setting it up (secret, then a code, then the recovery
/// codes, shown once). Setting up needs JavaScript: the secret is shown in answer to a click.
#[component]
fn TwoFactor() -> impl IntoView {
    let start = ServerAction::<StartMfaEnrolment>::new();
    let confirm = ServerAction::<ConfirmMfaEnrolment>::new();
    let status = Resource::new(move || confirm.version().get(), |_| mfa_status());
    let codes = move || confirm.value().get().and_then(Result::ok);
    let confirm_error = move || confirm.value().get().and_then(Result::err);
    view! {
        <section class="card" aria-labelledby="two-factor">
            <h2 id="two-factor">"Two-factor sign-in"</h2>
            {move || {
                codes()
                    .map(|codes| {
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
                    })
            }}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match status.await {
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
                        Ok(_) => {
                            view! {
                                <p>"Off: signing in asks only for your password."</p>
                                {move || start.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
                                {move || match start.value().get().and_then(Result::ok) {
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
                                                "Add this key to an authenticator app (time-based, 6 digits), or open the link on your phone, then enter the code it shows."
                                            </p>
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
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The second step of signing in: the code from the app, or a recovery code.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <PageTitle text="Sign in"/>
        <main id="main" class="login-page">
            <div class="login-card">
                <h1>"Enter your code"</h1>
                <p>"Enter the 6-digit code from your authenticator app, or one of your recovery codes."</p>
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

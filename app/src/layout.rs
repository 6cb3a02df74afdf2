//! The frame around every signed-in page, the sign-in page and the not-found page.

use crate::auth::{current_user, Me, SignIn, SignOut};
use crate::components::{PageError, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_query_map;

/// Areas that are planned but not built yet: shown, so the shape of the product is clear, but
/// not links.
const COMING: [(&str, &str); 0] = [];

#[component]
pub fn AppShell() -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    // Pages below read the signed-in user from here instead of asking the server again.
    provide_context(CurrentUser(me));
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app-shell">
            <Suspense fallback=|| view! { <header class="topbar"></header> }>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) => view! { <TopBar me=me.clone()/> <SideNav me/> }.into_any(),
                        Ok(None) | Err(_) => view! { <SignedOutBar/> }.into_any(),
                    }
                })}
            </Suspense>
            <main id="main" class="content" tabindex="-1">
                <crate::flash::Flash/>
                <Outlet/>
            </main>
        </div>
    }
}

/// The signed-in user, loaded once by the shell for the pages inside it.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, AppError>>);

#[component]
fn Brand() -> impl IntoView {
    view! {
        <a class="brand" href="/">
            <svg class="brand-mark" viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
                <path d="M16 2 4 7v8c0 7.5 5.1 13.2 12 15 6.9-1.8 12-7.5 12-15V7z" fill="currentColor"></path>
            </svg>
            <span>"Rampart"</span>
        </a>
    }
}

#[component]
fn TopBar(me: Me) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let initials = me.initials();
    view! {
        <header class="topbar">
            <Brand/>
            {me.can_view_portfolio
                .then(|| {
                    view! {
                        <form class="topbar-search" role="search" method="get" action="/clients">
                            <label class="visually-hidden" for="topbar-search">"Search Rampart"</label>
                            <input id="topbar-search" type="search" name="q" placeholder="Search clients…"/>
                        </form>
                    }
                })}
            <details class="user-menu">
                <summary>
                    <span class="avatar" aria-hidden="true">{initials}</span>
                    <span class="user-name">{me.display_name.clone()}</span>
                    <span class="role-badge">{me.role_label.clone()}</span>
                </summary>
                <div class="menu-panel">
                    <p class="menu-email">{me.email.clone()}</p>
                    <a class="menu-item" href="/account">"Your account"</a>
                    <ActionForm action=sign_out>
                        <button type="submit" class="menu-item">"Sign out"</button>
                    </ActionForm>
                </div>
            </details>
        </header>
    }
}

#[component]
fn SignedOutBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <Brand/>
            <a class="btn btn-small" href="/login">"Sign in"</a>
        </header>
    }
}

#[component]
fn SideNav(me: Me) -> impl IntoView {
    let own_client = me.client_slug.clone().filter(|_| !me.can_view_portfolio);
    let can_view_audit = me.can_view_audit;
    let can_view_people = me.can_view_people;
    view! {
        <nav class="sidenav" aria-label="Main">
            <ul>
                {match own_client {
                    Some(slug) => {
                        view! {
                            <li>
                                <A href=format!("/clients/{slug}")>
                                    <span class="nav-icon" aria-hidden="true">"◆"</span>
                                    "Overview"
                                </A>
                            </li>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <li>
                                <A href="/" exact=true>
                                    <span class="nav-icon" aria-hidden="true">"◆"</span>
                                    "Portfolio"
                                </A>
                            </li>
                            <li>
                                <A href="/clients">
                                    <span class="nav-icon" aria-hidden="true">"▤"</span>
                                    "Clients"
                                </A>
                            </li>
                            <li>
                                <A href="/technicians">
                                    <span class="nav-icon" aria-hidden="true">"⇄"</span>
                                    "Technicians"
                                </A>
                            </li>
                            <li>
                                <A href="/findings">
                                    <span class="nav-icon" aria-hidden="true">"⚑"</span>
                                    "Access findings"
                                </A>
                            </li>
                            <li>
                                <A href="/reviews">
                                    <span class="nav-icon" aria-hidden="true">"◷"</span>
                                    "Reviews"
                                </A>
                            </li>
                            <li>
                                <A href="/score">
                                    <span class="nav-icon" aria-hidden="true">"◭"</span>
                                    "Risk score"
                                </A>
                            </li>
                            <li>
                                <A href="/overdue">
                                    <span class="nav-icon" aria-hidden="true">"⚠"</span>
                                    "Overdue evidence"
                                </A>
                            </li>
                            <li>
                                <A href="/catalog">
                                    <span class="nav-icon" aria-hidden="true">"☑"</span>
                                    "Catalog"
                                </A>
                            </li>
                            <li>
                                <A href="/settings/service-levels">
                                    <span class="nav-icon" aria-hidden="true">"⏱"</span>
                                    "Service levels"
                                </A>
                            </li>
                            {can_view_people
                                .then(|| {
                                    view! {
                                        <li>
                                            <A href="/settings/users">
                                                <span class="nav-icon" aria-hidden="true">"☺"</span>
                                                "People"
                                            </A>
                                        </li>
                                    }
                                })}
                            {can_view_audit
                                .then(|| {
                                    view! {
                                        <li>
                                            <A href="/audit">
                                                <span class="nav-icon" aria-hidden="true">"≣"</span>
                                                "Audit log"
                                            </A>
                                        </li>
                                    }
                                })}
                            {COMING
                                .into_iter()
                                .map(|(label, icon)| {
                                    view! {
                                        <li>
                                            <span class="nav-soon" aria-disabled="true">
                                                <span class="nav-icon" aria-hidden="true">{icon}</span>
                                                {label}
                                                " "
                                                <small>"soon"</small>
                                            </span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        }
                            .into_any()
                    }
                }}
            </ul>
        </nav>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <PageTitle text="Sign in"/>
        <main id="main" class="login-page">
            <div class="login-card">
                <Brand/>
                <h1>"Sign in to Rampart"</h1>
                {move || {
                    error().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })
                }}
                <ActionForm action=action attr:class="stack">
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Sign in"</button>
                    </div>
                </ActionForm>
                <crate::sso::SsoSignIn/>
            </div>
        </main>
    }
}

/// The page for an address that matches no route.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::state::set_status(&AppError::NotFound);
    view! {
        <PageTitle text="Not found"/>
        <main id="main" class="content">
            <PageError error=AppError::NotFound/>
        </main>
    }
}

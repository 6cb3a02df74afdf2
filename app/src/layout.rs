//! The frame around every signed-in page, the sign-in page and the not-found page.

use crate::auth::{current_user, Me, SignIn, SignOut};
use crate::components::{PageError, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_query_map;

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

/// Who sees a menu entry, beyond seeing the portfolio.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Everyone,
    PeopleViewers,
    AuditViewers,
}

/// The menu of those who see the portfolio: address, label, icon (an SVG path on a 24-unit
/// grid, drawn with the text's colour, so that no icon depends on the system's fonts), who.
const MENU: [(&str, &str, &str, Audience); 11] = [
    ("/", "Portfolio", "M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3zM14 14h7v7h-7z", Audience::Everyone),
    ("/clients", "Clients", "M4 21V6l8-3 8 3v15M2 21h20M9 21v-4h6v4M8 9h2M14 9h2M8 13h2M14 13h2", Audience::Everyone),
    (
        "/technicians",
        "Technicians",
        "M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 3.6-6 8-6s8 2 8 6",
        Audience::Everyone,
    ),
    ("/findings", "Access findings", "M5 21V4M5 4h12l-2.5 4.5L17 13H5", Audience::Everyone),
    ("/reviews", "Reviews", "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 3", Audience::Everyone),
    ("/score", "Risk score", "M3 21h18M6 17v-6M11 17V5M16 17v-9M21 17v-3", Audience::Everyone),
    ("/overdue", "Overdue evidence", "M12 3 2 20h20zM12 10v4M12 17h.01", Audience::Everyone),
    (
        "/catalog",
        "Catalog",
        "M10 6h10M10 12h10M10 18h10M3 6l1.5 1.5L7 5M3 12l1.5 1.5L7 11M3 18l1.5 1.5L7 17",
        Audience::Everyone,
    ),
    (
        "/settings/service-levels",
        "Service levels",
        "M12 22a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM12 10v4l2.5 2M9 2h6M12 2v4",
        Audience::Everyone,
    ),
    (
        "/settings/users",
        "People",
        "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21c0-4 3-6 7-6s7 2 7 6M16 3.5a4 4 0 0 1 0 7M22 21c0-3-1.6-5-4-5.7",
        Audience::PeopleViewers,
    ),
    ("/audit", "Audit log", "M6 2h9l5 5v15H6zM14 2v6h6M9 13h8M9 17h8", Audience::AuditViewers),
];

/// A client viewer's one entry: their own client.
const OVERVIEW_ICON: &str = "M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5z";

#[component]
fn NavIcon(path: &'static str) -> impl IntoView {
    view! {
        <svg
            class="nav-icon"
            viewBox="0 0 24 24"
            width="18"
            height="18"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
        >
            <path d=path></path>
        </svg>
    }
}

#[component]
fn SideNav(me: Me) -> impl IntoView {
    let own_client = me.client_slug.clone().filter(|_| !me.can_view_portfolio);
    let entries = match own_client {
        Some(slug) => view! {
            <li>
                <A href=format!("/clients/{slug}")>
                    <NavIcon path=OVERVIEW_ICON/>
                    "Overview"
                </A>
            </li>
        }
        .into_any(),
        None => MENU
            .into_iter()
            .filter(|(_, _, _, shown)| match shown {
                Audience::Everyone => true,
                Audience::PeopleViewers => me.can_view_people,
                Audience::AuditViewers => me.can_view_audit,
            })
            .map(|(href, label, icon, _)| {
                view! {
                    <li>
                        <A href=href exact={href == "/"}>
                            <NavIcon path=icon/>
                            {label}
                        </A>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    };
    view! {
        <nav class="sidenav" aria-label="Main">
            <ul>{entries}</ul>
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
                <crate::passkeys::PasskeyButton ceremony=crate::passkeys::Ceremony::SignIn label="Sign in with a passkey".to_string() next=next()/>
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

//! Rampart's web application: pages, rendered on the server (only islands are hydrated in the
//! browser), and the server functions behind them. Server functions are thin: they find the acting
//! user and call one service of the domain crate, which decides what the user may do.

pub mod access;
pub mod account;
pub mod audit;
pub mod auth;
pub mod clients;
pub mod components;
pub mod controls;
pub mod error;
pub mod flash;
pub mod html;
pub mod layout;
pub mod passkeys;
pub mod portfolio;
pub mod reviews;
pub mod score;
pub mod sso;
#[cfg(feature = "ssr")]
pub mod state;
pub mod time;
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/rampart.css"/>
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Title formatter=|page: String| format!("{page} · Rampart")/>
        <Router>
            <Routes fallback=layout::NotFoundPage>
                <Route path=path!("/login") view=layout::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/code") view=account::LoginCodePage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=users::ui::InvitePage ssr=SsrMode::Async/>
                // Async rendering: a page is sent once its data is ready, so that its status
                // (a 404 for a client one may not see) is right.
                <ParentRoute path=path!("") view=layout::AppShell ssr=SsrMode::Async>
                    <Route path=path!("") view=portfolio::PortfolioPage/>
                    <Route path=path!("/account") view=account::AccountPage/>
                    <Route path=path!("/account/confirm") view=account::ConfirmPage/>
                    <Route path=path!("/settings/users") view=users::ui::UsersPage/>
                    <Route path=path!("/clients") view=clients::ui::ClientListPage/>
                    <Route path=path!("/clients/new") view=clients::ui::NewClientPage/>
                    <Route path=path!("/clients/:slug") view=clients::ui::ClientPage/>
                    <Route path=path!("/clients/:slug/edit") view=clients::ui::EditClientPage/>
                    <Route path=path!("/clients/:slug/controls") view=controls::ui::ChecklistPage/>
                    <Route
                        path=path!("/clients/:slug/controls/:control_id")
                        view=controls::ui::ClientControlPage
                    />
                    <Route path=path!("/catalog") view=controls::ui::CatalogPage/>
                    <Route path=path!("/catalog/new") view=controls::ui::NewControlPage/>
                    <Route path=path!("/catalog/:id/edit") view=controls::ui::EditControlPage/>
                    <Route path=path!("/overdue") view=controls::ui::OverduePage/>
                    <Route path=path!("/technicians") view=access::ui::TechniciansPage/>
                    <Route path=path!("/technicians/import") view=access::csv_ui::ImportPage/>
                    <Route path=path!("/technicians/:id") view=access::ui::TechnicianPage/>
                    <Route path=path!("/findings") view=access::ui::FindingsPage/>
                    <Route path=path!("/settings/service-levels") view=access::ui::SlaSettingsPage/>
                    <Route path=path!("/audit") view=audit::ui::AuditLogPage/>
                    <Route path=path!("/score") view=score::ui::ScorePage/>
                    <Route path=path!("/settings/score") view=score::ui::ScoreSettingsPage/>
                    <Route path=path!("/settings/sso") view=sso::SsoSettingsPage/>
                    <Route path=path!("/portfolio/ranking") view=score::ui::RankingPage/>
                    <Route path=path!("/reviews") view=reviews::ui::SchedulePage/>
                    <Route path=path!("/reviews/calendar") view=reviews::ui::CalendarPage/>
                    <Route path=path!("/reviews/:id") view=reviews::ui::ReviewPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

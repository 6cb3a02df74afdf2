//! Review meetings: what the meeting card receives, and its server functions (thin: each gets
//! the actor, calls one service of `domain::meetings`, maps the result). `id` is always
//! the occurrence of the security review the meeting belongs to.

use crate::error::AppError;
use crate::time::When;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionView {
    pub id: i64,
    pub topic: String,
    /// Empty until decided.
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due_on: Option<String>,
    pub done: bool,
    /// Created in this meeting (otherwise carried over from an earlier one).
    pub new_here: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    pub occurrence_id: i64,
    pub version: i64,
    pub held_on: String,
    pub attendees_msp: String,
    pub attendees_client: String,
    pub agenda: String,
    pub minutes: String,
    pub signed: Option<(When, String)>,
    pub decisions: Vec<DecisionView>,
    pub actions: Vec<ActionView>,
    /// The signed-in user may edit it (a draft, and a manager or admin).
    pub can_edit: bool,
    /// The signed-in user may close action items.
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingCardView {
    pub meeting: Option<MeetingView>,
    /// No meeting yet, the review is open, and the user may hold it.
    pub can_hold: bool,
}

#[cfg(feature = "ssr")]
fn view_of(actor: &domain::Actor, d: domain::meetings::MeetingDetail) -> MeetingView {
    use domain::Permission;
    let can_manage = actor.may_on_client(Permission::ManageReviews, d.meeting.client_id);
    let signed = d.is_signed();
    let meeting_id = d.meeting.id;
    MeetingView {
        occurrence_id: d.occurrence.id,
        version: d.meeting.version,
        held_on: d.meeting.held_on.to_string(),
        attendees_msp: d.meeting.attendees_msp,
        attendees_client: d.meeting.attendees_client,
        agenda: d.meeting.agenda,
        minutes: d.meeting.minutes,
        signed: d.meeting.signed_at.map(When::of).zip(d.meeting.signed_by),
        decisions: d
            .decisions
            .into_iter()
            .map(|x| DecisionView { id: x.id, topic: x.topic, decision: x.decision })
            .collect(),
        actions: d
            .actions
            .into_iter()
            .map(|a| ActionView {
                new_here: a.meeting_id == meeting_id,
                id: a.id,
                title: a.title,
                owner: a.owner,
                due_on: a.due_on.map(|d| d.to_string()),
                done: a.state == "done",
            })
            .collect(),
        can_edit: can_manage && !signed,
        can_manage,
    }
}

/// The meeting of a review, if it was held.
#[server(prefix = "/api", endpoint = "reviews/meeting")]
pub async fn get_meeting(id: i64) -> Result<MeetingCardView, AppError> {
    use domain::meetings;
    use domain::reviews::ReviewKind;
    use domain::Permission;
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let occurrence = domain::reviews::visible_occurrence(&db, &actor, id).await?;
    let meeting = meetings::find_meeting(&db, &actor, id).await?;
    Ok(MeetingCardView {
        can_hold: meeting.is_none()
            && occurrence.kind == ReviewKind::SecurityReview
            && !occurrence.state.is_closed()
            && actor.may_on_client(Permission::ManageReviews, occurrence.client_id),
        meeting: meeting.map(|d| view_of(&actor, d)),
    })
}

#[server(prefix = "/api", endpoint = "reviews/hold_meeting")]
pub async fn hold_meeting(id: i64) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::meetings::hold_meeting(&db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/save_meeting")]
pub async fn save_meeting(
    id: i64,
    version: i64,
    held_on: String,
    attendees_msp: String,
    attendees_client: String,
    agenda: String,
    minutes: String,
) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let input = domain::meetings::MeetingInput { version, held_on, attendees_msp, attendees_client, agenda, minutes };
    domain::meetings::save_meeting(&db, &actor, id, &input).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/add_topic")]
pub async fn add_topic(id: i64, topic: String) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::meetings::add_decision(&db, &actor, id, &topic).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/decide_topic")]
pub async fn decide_topic(id: i64, decision_id: i64, decision: String) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::meetings::decide(&db, &actor, id, decision_id, &decision).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/add_action")]
pub async fn add_action(id: i64, title: String, owner: String, due_on: String) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let input = domain::meetings::ActionInput { title, owner, due_on };
    domain::meetings::add_action_item(&db, &actor, id, &input).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/complete_action")]
pub async fn complete_action(id: i64, item_id: i64) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::meetings::complete_action_item(&db, &actor, id, item_id, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/sign_off_meeting")]
pub async fn sign_off_meeting(id: i64, version: i64) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::meetings::sign_off_meeting(&db, &actor, id, version, domain::clock::now()).await?;
    Ok(())
}

//! The meeting card of a security review's page: hold the meeting, edit its agenda, attendees
//! and minutes, record topics with their decisions and action items, sign it off, open the pack.

use super::meetings::{
    get_meeting, ActionView, AddAction, AddTopic, CompleteAction, DecideTopic, HoldMeeting, MeetingView, SaveMeeting,
    SignOffMeeting,
};
use crate::components::{ActionError, ErrorPanel, Loading, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn MeetingCard(id: i64, sign_off: ServerAction<SignOffMeeting>) -> impl IntoView {
    let hold = ServerAction::<HoldMeeting>::new();
    let save = ServerAction::<SaveMeeting>::new();
    let topic = ServerAction::<AddTopic>::new();
    let decide = ServerAction::<DecideTopic>::new();
    let action = ServerAction::<AddAction>::new();
    let complete = ServerAction::<CompleteAction>::new();
    let meeting = Resource::new(
        move || {
            (
                hold.version().get(),
                save.version().get(),
                topic.version().get(),
                decide.version().get(),
                action.version().get(),
                complete.version().get(),
                sign_off.version().get(),
            )
        },
        move |_| get_meeting(id),
    );
    let error = move || {
        let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        err(hold.value().get())
            .or_else(|| err(save.value().get()))
            .or_else(|| err(topic.value().get()))
            .or_else(|| err(decide.value().get()))
            .or_else(|| err(action.value().get()))
            .or_else(|| err(complete.value().get()))
            .or_else(|| err(sign_off.value().get()))
    };
    view! {
        <section class="card" aria-labelledby="meeting-heading">
            <h2 id="meeting-heading" class="card-title">"Meeting"</h2>
            {move || error().map(|error| view! { <ActionError error/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match meeting.await {
                        Ok(card) => match card.meeting {
                            Some(m) => view! { <MeetingBody m save topic decide action complete sign_off/> }.into_any(),
                            None if card.can_hold => view! {
                                <p class="muted">"The agenda is generated from what changed since the last meeting; you can edit it before the meeting."</p>
                                <ActionForm action=hold>
                                    <input type="hidden" name="id" value=id/>
                                    <button type="submit" class="btn btn-primary">"Hold the meeting"</button>
                                </ActionForm>
                            }.into_any(),
                            None => view! { <p class="muted">"No meeting was held for this review."</p> }.into_any(),
                        },
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn MeetingBody(
    m: MeetingView,
    save: ServerAction<SaveMeeting>,
    topic: ServerAction<AddTopic>,
    decide: ServerAction<DecideTopic>,
    action: ServerAction<AddAction>,
    complete: ServerAction<CompleteAction>,
    sign_off: ServerAction<SignOffMeeting>,
) -> impl IntoView {
    let id = m.occurrence_id;
    let pack = format!("/reviews/{id}/pack");
    let pdf = format!("/reviews/{id}/pack.pdf");
    let signed = m.signed.clone().map(|(when, by)| {
        view! { <p><span class="badge badge-review-done">"Signed off"</span>" by "{by}" "<TimeAgo when/></p> }
    });
    let actions = m.actions.clone();
    let can_manage = m.can_manage;
    view! {
        {signed}
        <p class="meeting-links">
            <a href=pack rel="external">"Open the review pack"</a>" · "<a href=pdf rel="external" download>"Download the pack as PDF"</a>
        </p>
        {if m.can_edit {
            view! {
                <ActionForm action=save attr:class="stack">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="version" value=m.version/>
                    <label for="meeting-held-on">"Held on"</label>
                    <input id="meeting-held-on" name="held_on" type="date" required value=m.held_on.clone()/>
                    <label for="meeting-msp">"Attendees from the MSP (one a line)"</label>
                    <textarea id="meeting-msp" name="attendees_msp" rows="3">{m.attendees_msp.clone()}</textarea>
                    <label for="meeting-client">"Attendees from the client (one a line)"</label>
                    <textarea id="meeting-client" name="attendees_client" rows="3">{m.attendees_client.clone()}</textarea>
                    <label for="meeting-agenda">"Agenda"</label>
                    <textarea id="meeting-agenda" name="agenda" rows="10">{m.agenda.clone()}</textarea>
                    <label for="meeting-minutes">"Minutes"</label>
                    <textarea id="meeting-minutes" name="minutes" rows="6">{m.minutes.clone()}</textarea>
                    <button type="submit" class="btn btn-primary">"Save the meeting"</button>
                </ActionForm>
            }.into_any()
        } else {
            view! {
                <dl class="meeting-record">
                    <dt>"Held on"</dt><dd>{m.held_on.clone()}</dd>
                    <dt>"Attendees from the MSP"</dt><dd class="pre">{m.attendees_msp.clone()}</dd>
                    <dt>"Attendees from the client"</dt><dd class="pre">{m.attendees_client.clone()}</dd>
                    <dt>"Agenda"</dt><dd class="pre">{m.agenda.clone()}</dd>
                    <dt>"Minutes"</dt><dd class="pre">{m.minutes.clone()}</dd>
                </dl>
            }.into_any()
        }}
        <h3>"Decisions"</h3>
        {if m.decisions.is_empty() {
            view! { <p class="muted">"No topics to decide yet."</p> }.into_any()
        } else {
            view! {
                <ul class="decisions">
                    {m.decisions.clone().into_iter().map(|d| {
                        let can_edit = m.can_edit;
                        let field = format!("decision-{}", d.id);
                        view! {
                            <li>
                                <strong>{d.topic.clone()}</strong>": "
                                {if d.decision.is_empty() { view! { <span class="badge badge-overdue">"undecided"</span> }.into_any() } else { view! { <span>{d.decision.clone()}</span> }.into_any() }}
                                {can_edit.then(|| view! {
                                    <ActionForm action=decide attr:class="inline-form">
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="decision_id" value=d.id/>
                                        <label for=field.clone()>{format!("Decision on {}", d.topic)}</label>
                                        <input id=field name="decision" maxlength="900" value=d.decision.clone()/>
                                        <button type="submit" class="btn btn-small">"Record the decision"</button>
                                    </ActionForm>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {m.can_edit.then(|| view! {
            <ActionForm action=topic attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <label for="meeting-topic">"Topic to decide"</label>
                <input id="meeting-topic" name="topic" maxlength="300" required/>
                <button type="submit" class="btn btn-small">"Add the topic"</button>
            </ActionForm>
        })}
        <h3>"Action items"</h3>
        {if actions.is_empty() {
            view! { <p class="muted">"No open action items."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" aria-label="Action items">
                        <thead><tr><th scope="col">"Action"</th><th scope="col">"Owner"</th><th scope="col">"Due"</th><th scope="col">"State"</th></tr></thead>
                        <tbody>
                            {actions.into_iter().map(|a| view! { <ActionRow a id can_manage complete/> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        {m.can_edit.then(|| view! {
            <ActionForm action=action attr:class="inline-form">
                <input type="hidden" name="id" value=id/>
                <label for="action-title">"Action item"</label>
                <input id="action-title" name="title" maxlength="300" required/>
                <label for="action-owner">"Owner"</label>
                <input id="action-owner" name="owner" maxlength="120"/>
                <label for="action-due">"Due on"</label>
                <input id="action-due" name="due_on" type="date"/>
                <button type="submit" class="btn btn-small">"Add the action item"</button>
            </ActionForm>
            <ActionForm action=sign_off attr:class="sign-off">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=m.version/>
                <p class="muted">"Signing off freezes the posture shown in the pack and closes this review as done. Save your edits first."</p>
                <button type="submit" class="btn btn-primary">"Sign off the meeting"</button>
            </ActionForm>
        })}
    }
}

#[component]
fn ActionRow(a: ActionView, id: i64, can_manage: bool, complete: ServerAction<CompleteAction>) -> impl IntoView {
    let label = format!("Mark \"{}\" done", a.title);
    view! {
        <tr>
            <td>{a.title.clone()}{(!a.new_here).then(|| view! { " "<span class="muted">"(from an earlier meeting)"</span> })}</td>
            <td>{a.owner.clone()}</td>
            <td>{a.due_on.clone().unwrap_or_default()}</td>
            <td>
                {if a.done { "Done" } else { "Open" }}
                {(can_manage && !a.done).then(|| view! {
                    <ActionForm action=complete attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="item_id" value=a.id/>
                        <button type="submit" class="btn btn-small" aria-label=label>"Done"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

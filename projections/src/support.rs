//! The support center's read models: tickets and their messages (the unanswered queue, a
//! client's open and archived tickets, response times), ticket categories, answer templates,
//! announcements, message templates and clients' notice settings.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::desk::{AnnouncementEvent, AnswerTemplateEvent, CategoryEvent};
use domain::notice::{MessageTemplateEvent, NoticeSettingsEvent};
use domain::ticket::{Attachment, Author, TicketEvent};
use eventstore::log::StoredEvent;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::{Projection, ProjectionError};

/// The tables of the support center.
pub struct Support;

/// Every table [`Support`] owns.
pub const TABLES: &[&str] = &[
    "tickets",
    "ticket_messages",
    "ticket_categories",
    "answer_templates",
    "announcements",
    "message_templates",
    "notice_settings",
];

#[async_trait]
impl Projection for Support {
    fn name(&self) -> &'static str {
        crate::ReadModel::Support.name()
    }

    fn version(&self) -> i32 {
        1
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply_batch(
        &self,
        tx: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            let applied = match event.aggregate_type.as_str() {
                "Ticket" => apply_ticket(tx, event).await,
                "TicketCategory" => apply_category(tx, event).await,
                "AnswerTemplate" => apply_answer_template(tx, event).await,
                "Announcement" => apply_announcement(tx, event).await,
                "MessageTemplate" => apply_message_template(tx, event).await,
                "NoticeSettings" => apply_notice_settings(tx, event).await,
                _ => Ok(()),
            };
            applied.map_err(|e| e.at(event))?;
        }
        Ok(())
    }
}

fn id_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id)
        .map_err(|e| ProjectionError::Malformed(format!("aggregate id: {e}")))
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of a message, each column a value"
)]
async fn insert_message(
    tx: &mut PgConnection,
    ticket: Uuid,
    message: Uuid,
    author: &Author,
    body: &str,
    attachments: &[Attachment],
    at: DateTime<Utc>,
    response_seconds: Option<i64>,
    position: i64,
) -> Result<(), sqlx::Error> {
    let side = match author.side {
        domain::ticket::Side::Client => "client",
        domain::ticket::Side::Staff => "staff",
    };
    sqlx::query(
        "INSERT INTO ticket_messages (message_id, ticket_id, department_id, author_side, author,
                                      body, attachments, at, response_seconds, position)
         SELECT $1, $2, t.department_id, $3, $4, $5, $6, $7, $8, $9
           FROM tickets t WHERE t.ticket_id = $2",
    )
    .bind(message)
    .bind(ticket)
    .bind(side)
    .bind(&author.actor)
    .bind(body)
    .bind(Json(attachments))
    .bind(at)
    .bind(response_seconds)
    .bind(position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply_ticket(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<TicketEvent>()? {
        TicketEvent::TicketOpened {
            client_id,
            provider_id,
            department_id,
            category_id,
            subject,
            message_id,
            author,
            body,
            attachments,
            at,
            status,
            awaiting_since,
            ..
        } => {
            sqlx::query(
                "INSERT INTO tickets (ticket_id, client_id, provider_id, department_id, staff_id,
                                      category_id, subject, status, awaiting_since, opened_by,
                                      opened_at, updated_at, closed_at, messages, position)
                 VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9, $10, $10, NULL, 1, $11)",
            )
            .bind(id)
            .bind(client_id.as_uuid())
            .bind(provider_id.as_uuid())
            .bind(department_id.as_uuid())
            .bind(category_id.map(|c| c.as_uuid()))
            .bind(subject.as_str())
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(&author.actor)
            .bind(at)
            .bind(event.position)
            .execute(&mut *tx)
            .await?;
            insert_message(
                tx,
                id,
                message_id.as_uuid(),
                &author,
                &body,
                &attachments,
                at,
                None,
                event.position,
            )
            .await?;
        }
        TicketEvent::TicketReplied {
            message_id,
            author,
            body,
            attachments,
            at,
            response_seconds,
            status,
            awaiting_since,
        } => {
            insert_message(
                tx,
                id,
                message_id.as_uuid(),
                &author,
                &body,
                &attachments,
                at,
                response_seconds,
                event.position,
            )
            .await?;
            sqlx::query(
                "UPDATE tickets SET status = $2, awaiting_since = $3, updated_at = $4,
                        messages = messages + 1, position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketAssigned {
            department_id,
            staff_id,
            at,
            ..
        } => {
            sqlx::query(
                "UPDATE tickets SET department_id = $2, staff_id = $3, updated_at = $4,
                        position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(department_id.as_uuid())
            .bind(staff_id.map(|s| s.as_uuid()))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketClosed { at, .. } => {
            sqlx::query(
                "UPDATE tickets SET status = 'closed', awaiting_since = NULL, closed_at = $2,
                        updated_at = $2, position = $3
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        TicketEvent::TicketReopened {
            at,
            status,
            awaiting_since,
            ..
        } => {
            sqlx::query(
                "UPDATE tickets SET status = $2, awaiting_since = $3, closed_at = NULL,
                        updated_at = $4, position = $5
                  WHERE ticket_id = $1",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(awaiting_since)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_category(tx: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<CategoryEvent>()? {
        CategoryEvent::TicketCategoryCreated {
            name,
            department_id,
            ..
        } => {
            sqlx::query(
                "INSERT INTO ticket_categories (category_id, name, department_id, archived,
                                                created_at, position)
                 VALUES ($1, $2, $3, false, $4, $5)",
            )
            .bind(id)
            .bind(name)
            .bind(department_id.map(|d| d.as_uuid()))
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        CategoryEvent::TicketCategoryArchived => {
            sqlx::query(
                "UPDATE ticket_categories SET archived = true, position = $2
                  WHERE category_id = $1",
            )
            .bind(id)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_answer_template(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    let at = event.metadata()?.occurred_at;
    match event.decode::<AnswerTemplateEvent>()? {
        AnswerTemplateEvent::AnswerTemplateSet { name, body, .. } => {
            sqlx::query(
                "INSERT INTO answer_templates (template_id, name, body, updated_at, position)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (template_id) DO UPDATE
                    SET name = $2, body = $3, updated_at = $4, position = $5",
            )
            .bind(id)
            .bind(name)
            .bind(body)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        AnswerTemplateEvent::AnswerTemplateDeleted => {
            sqlx::query("DELETE FROM answer_templates WHERE template_id = $1")
                .bind(id)
                .execute(tx)
                .await?;
        }
    }
    Ok(())
}

async fn apply_announcement(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let id = id_of(event)?;
    match event.decode::<AnnouncementEvent>()? {
        AnnouncementEvent::AnnouncementPublished {
            provider_id,
            title,
            body,
            language,
            valid_from,
            valid_until,
            ..
        } => {
            sqlx::query(
                "INSERT INTO announcements (announcement_id, provider_id, title, body, language,
                                            valid_from, valid_until, withdrawn_at, position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
            )
            .bind(id)
            .bind(provider_id.as_uuid())
            .bind(title)
            .bind(body)
            .bind(language.map(|l| l.as_str().to_owned()))
            .bind(valid_from)
            .bind(valid_until)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
        AnnouncementEvent::AnnouncementWithdrawn { at } => {
            sqlx::query(
                "UPDATE announcements SET withdrawn_at = $2, position = $3
                  WHERE announcement_id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(event.position)
            .execute(tx)
            .await?;
        }
    }
    Ok(())
}

async fn apply_message_template(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let at = event.metadata()?.occurred_at;
    let MessageTemplateEvent::MessageTemplateSet {
        kind,
        language,
        subject,
        body,
    } = event.decode::<MessageTemplateEvent>()?;
    sqlx::query(
        "INSERT INTO message_templates (kind, language, subject, body, updated_at, position)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (kind, language) DO UPDATE
            SET subject = $3, body = $4, updated_at = $5, position = $6",
    )
    .bind(kind.as_str())
    .bind(language.as_str())
    .bind(subject)
    .bind(body)
    .bind(at)
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

async fn apply_notice_settings(
    tx: &mut PgConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let NoticeSettingsEvent::NoticeSettingsSet {
        client_id,
        language,
        subscriptions,
    } = event.decode::<NoticeSettingsEvent>()?;
    sqlx::query(
        "INSERT INTO notice_settings (client_id, language, subscriptions, position)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (client_id) DO UPDATE
            SET language = $2, subscriptions = $3, position = $4",
    )
    .bind(client_id.as_uuid())
    .bind(language.as_str())
    .bind(Json(&subscriptions))
    .bind(event.position)
    .execute(tx)
    .await?;
    Ok(())
}

// Queries: what the HTTP layer and the dashboard read.

/// An announcement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnnouncementRow {
    /// Its id.
    pub announcement_id: Uuid,
    /// The provider whose clients see it.
    pub provider_id: Uuid,
    /// The title.
    pub title: String,
    /// The text.
    pub body: String,
    /// The language of the clients who see it, or every client.
    pub language: Option<String>,
    /// When it starts to show.
    pub valid_from: DateTime<Utc>,
    /// When it stops showing.
    pub valid_until: DateTime<Utc>,
    /// When it was taken down early.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Announcements, newest first, at most 500: only those showing at `now` when `current`, and
/// for `client` only those of its provider in its language (`notice_settings`, also ours; the
/// provider from `clients`). What a client's user is shown when it logs in.
pub async fn announcements(
    pool: &sqlx::PgPool,
    current: bool,
    client: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<AnnouncementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.announcement_id, a.provider_id, a.title, a.body, a.language, a.valid_from,
                a.valid_until, a.withdrawn_at
           FROM announcements a
          WHERE (NOT $1 OR (a.withdrawn_at IS NULL AND a.valid_from <= $2 AND $2 < a.valid_until))
            AND ($3::uuid IS NULL OR (
                  a.provider_id = (SELECT provider_id FROM clients WHERE id = $3)
                  AND (a.language IS NULL OR a.language = coalesce(
                        (SELECT language FROM notice_settings WHERE client_id = $3), 'en'))))
          ORDER BY a.valid_from DESC, a.announcement_id
          LIMIT 500",
    )
    .bind(current)
    .bind(now)
    .bind(client)
    .fetch_all(pool)
    .await
}

/// A message template.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageTemplateRow {
    /// The notice kind.
    pub kind: String,
    /// The language.
    pub language: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Every message template written, by kind and language.
pub async fn message_templates(
    pool: &sqlx::PgPool,
) -> Result<Vec<MessageTemplateRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, language, subject, body, updated_at FROM message_templates
          ORDER BY kind, language",
    )
    .fetch_all(pool)
    .await
}
